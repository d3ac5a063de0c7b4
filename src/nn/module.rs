//! The `Module` trait: what every layer and model shares.
//!
//! A module owns its parameters (leaf tensors that require gradients) and its
//! buffers (state that is not trained, such as batch norm's running statistics
//! or spectral norm's power-iteration vector), and may contain child modules.
//! It lists them by dotted names as PyTorch does ("0.weight", "fc.bias"); those
//! names are what checkpoints are keyed by.
//!
//! A parameter `Tensor` stays the same object for the module's whole life:
//! optimisers, initialisers and checkpoint loading change its values in place
//! (see `optim/inplace.rs`), so every holder of the handle sees the update.
//! Layers read their parameters through `resolve` (see `substitution.rs`), so
//! a module can also be evaluated with other values in their place.
//!
//! The forward pass is not part of `Module`, since models differ in what they
//! take (a conditional generator takes noise and labels). Modules with one
//! input and one output implement [`Layer`], which is what `Sequential` chains.

use super::SeedStream;
use crate::tensor::Tensor;
use std::sync::atomic::{AtomicBool, Ordering};

pub trait Module: Send + Sync {
    /// Parameters held by this module itself, not by its children.
    fn own_parameters(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Buffers held by this module itself, not by its children.
    fn own_buffers(&self) -> Vec<(String, Tensor)> {
        Vec::new()
    }

    /// Seed streams of this module itself (its random masks or noise), not its children's.
    fn own_seed_streams(&self) -> Vec<(String, &SeedStream)> {
        Vec::new()
    }

    /// The child modules, each with the name that prefixes its parameters.
    fn children(&self) -> Vec<(String, &dyn Module)> {
        Vec::new()
    }

    /// Switches training mode on or off for this module and its children. A
    /// module whose forward depends on the mode keeps a [`TrainingFlag`] and
    /// overrides this to set it (and still passes the call on to its children).
    fn set_training(&self, training: bool) {
        for (_, child) in self.children() {
            child.set_training(training);
        }
    }

    /// Every parameter, own first and then each child's, with dotted names.
    fn named_parameters(&self) -> Vec<(String, Tensor)> {
        let mut all = self.own_parameters();
        for (prefix, child) in self.children() {
            all.extend(prefixed(&prefix, child.named_parameters()));
        }
        all
    }

    /// Every buffer, own first and then each child's, with dotted names.
    fn named_buffers(&self) -> Vec<(String, Tensor)> {
        let mut all = self.own_buffers();
        for (prefix, child) in self.children() {
            all.extend(prefixed(&prefix, child.named_buffers()));
        }
        all
    }

    /// Every seed stream, own first and then each child's, with dotted names:
    /// what a checkpoint saves so a resumed run draws the same masks and noise.
    fn named_seed_streams(&self) -> Vec<(String, &SeedStream)> {
        let mut all = self.own_seed_streams();
        for (prefix, child) in self.children() {
            all.extend(child.named_seed_streams().into_iter().map(|(name, s)| (format!("{prefix}.{name}"), s)));
        }
        all
    }

    fn parameters(&self) -> Vec<Tensor> {
        self.named_parameters().into_iter().map(|(_, t)| t).collect()
    }

    fn buffers(&self) -> Vec<Tensor> {
        self.named_buffers().into_iter().map(|(_, t)| t).collect()
    }

    /// Training mode (the default): batch statistics, power iterations, dropout.
    fn train(&self) {
        self.set_training(true);
    }

    /// Evaluation mode: running statistics, frozen power iteration, no dropout.
    fn eval(&self) {
        self.set_training(false);
    }

    /// Forgets the gradient accumulated in every parameter.
    fn zero_grad(&self) {
        for p in self.parameters() {
            p.zero_grad();
        }
    }
}

/// The modules of a list as children named "{prefix}{index}" ("block0",
/// "block1", ...): how a network with a list of blocks names them in its
/// `children`, and so in its checkpoint keys.
pub fn numbered<'a, M: Module>(prefix: &'a str, modules: &'a [M]) -> impl Iterator<Item = (String, &'a dyn Module)> {
    modules.iter().enumerate().map(move |(i, module)| (format!("{prefix}{i}"), module as &dyn Module))
}

fn prefixed(prefix: &str, named: Vec<(String, Tensor)>) -> impl Iterator<Item = (String, Tensor)> + '_ {
    named.into_iter().map(move |(name, t)| (format!("{prefix}.{name}"), t))
}

/// A module with one input and one output.
pub trait Layer: Module {
    fn forward(&self, x: &Tensor) -> Tensor;

    /// Some(slope) for a ReLU-family activation (a ReLU 0, a leaky ReLU its
    /// negative slope): what a layer before it may fuse (`forward_activated`).
    fn negative_slope(&self) -> Option<f32> {
        None
    }

    /// This layer's output passed through a leaky ReLU of `negative_slope`,
    /// in one op where the layer can fuse it (batch norm in training mode
    /// does); None where it cannot, and the caller applies the two apart.
    /// `Sequential` asks for it wherever such an activation follows.
    fn forward_activated(&self, _x: &Tensor, _negative_slope: f32) -> Option<Tensor> {
        None
    }

    /// The layer's type without its module path or type parameters
    /// ("Linear", "ConvTranspose2d"), for listings such as the layers a
    /// generator can be cut at.
    fn type_name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let plain = full.split('<').next().unwrap_or(full);
        plain.rsplit("::").next().unwrap_or(plain)
    }
}

/// A layer whose output is a function of its input and one weight tensor, so a
/// wrapper can hand it a transformed weight (spectral normalisation does; so
/// can Conv2d and ConvTranspose2d).
pub trait WeightLayer: Layer {
    /// The weight parameter. Spectral normalisation reads its first axis as
    /// the output features: [out, in] for Linear, [out, in, kh, kw] for Conv2d.
    fn weight(&self) -> &Tensor;

    /// The forward pass with `weight` in place of the layer's own.
    fn forward_with_weight(&self, x: &Tensor, weight: &Tensor) -> Tensor;
}

/// A module's training mode, settable through `&self` (modules are shared by
/// reference, and an atomic keeps them `Sync`). Starts in training mode.
#[derive(Debug)]
pub struct TrainingFlag(AtomicBool);

impl Default for TrainingFlag {
    fn default() -> Self {
        TrainingFlag(AtomicBool::new(true))
    }
}

impl TrainingFlag {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, training: bool) {
        self.0.store(training, Ordering::Relaxed);
    }
}

/// The entries of `named` that are present, with owned names: the own
/// parameters of a layer whose parameters can be switched off (an optional
/// affine, an optional bias).
pub(super) fn present_named(named: &[(&str, Option<&Tensor>)]) -> Vec<(String, Tensor)> {
    named.iter().filter_map(|&(name, t)| t.map(|t| (name.to_string(), t.clone()))).collect()
}
