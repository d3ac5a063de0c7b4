//! An exponential moving average of a module's parameters (Polyak averaging;
//! the "G_ema" of ProGAN and StyleGAN): after the module's update number t,
//!   shadow = d_t * shadow + (1 - d_t) * param,  d_t = min(decay, (1 + t) / (10 + t)),
//! so the shadow is a smoothed generator whose samples flicker less than the
//! trained one's. Buffers (running statistics) are copied, not averaged.
//!
//! The warm-up d_t (TensorFlow's `ExponentialMovingAverage` with
//! `num_updates`) keeps the random initial weights from lingering: with a
//! fixed decay of 0.999 they would still weigh 0.999^600 = 55% after 600
//! steps, and a short run's average would be mostly noise. With it, the
//! average covers about the last t/10 updates early on and the last
//! 1/(1 - decay) once t passes 10/(1 - decay).
//!
//! The shadow values live in their own tensors, updated in place by one
//! `lerp` kernel per parameter. To sample from them, copy them into a second
//! instance of the model (`copy_to`), or into the trained one after saving it.

use crate::checkpoint::Stateful;
use crate::nn::Module;
use crate::tensor::Tensor;

pub struct Ema {
    decay: f32,
    parameters: Vec<(String, Tensor)>,
    buffers: Vec<(String, Tensor)>,
}

/// Fresh copies (no gradient, own storage) of named tensors.
fn copies(named: Vec<(String, Tensor)>) -> Vec<(String, Tensor)> {
    named.into_iter().map(|(name, t)| (name, t.detach().copy())).collect()
}

/// Pairs the shadow tensors with the module's tensors of the same name,
/// panicking when the module is not shaped like the one averaged.
fn matched<'a>(
    what: &str,
    shadows: &'a [(String, Tensor)],
    module: Vec<(String, Tensor)>,
) -> impl Iterator<Item = (&'a Tensor, Tensor)> {
    assert_eq!(
        shadows.len(),
        module.len(),
        "Ema: the module has {} {what}, the average {}",
        module.len(),
        shadows.len()
    );
    shadows.iter().zip(module).map(move |((shadow_name, shadow), (name, t))| {
        assert!(
            *shadow_name == name && shadow.shape() == t.shape(),
            "Ema: the module's {name} {:?} does not match the averaged {shadow_name} {:?}",
            t.shape(),
            shadow.shape()
        );
        (shadow, t)
    })
}

impl Ema {
    /// Starts the average at the module's current values.
    pub fn new(module: &dyn Module, decay: f32) -> Ema {
        assert!((0.0..=1.0).contains(&decay), "Ema: decay {decay} is outside [0, 1]");
        Ema { decay, parameters: copies(module.named_parameters()), buffers: copies(module.named_buffers()) }
    }

    pub fn decay(&self) -> f32 {
        self.decay
    }

    /// The decay applied at update number `t` (counting from 0): the
    /// warm-up (1 + t) / (10 + t), capped at the configured decay.
    pub fn decay_at(&self, t: usize) -> f32 {
        let t = t as f32;
        self.decay.min((1.0 + t) / (10.0 + t))
    }

    /// Averaging step number `t` (counting from 0; the trainer passes its
    /// step, so a resumed run continues the same schedule) toward the
    /// module's current parameters.
    pub fn update(&self, module: &dyn Module, t: usize) {
        let weight = 1.0 - self.decay_at(t);
        for (shadow, param) in matched("parameters", &self.parameters, module.named_parameters()) {
            shadow.lerp_(&param, weight);
        }
        for (shadow, buffer) in matched("buffers", &self.buffers, module.named_buffers()) {
            shadow.assign_(&buffer);
        }
    }

    /// Writes the averaged values into `module`'s parameters and buffers.
    pub fn copy_to(&self, module: &dyn Module) {
        for (shadow, param) in matched("parameters", &self.parameters, module.named_parameters()) {
            param.assign_(shadow);
        }
        for (shadow, buffer) in matched("buffers", &self.buffers, module.named_buffers()) {
            buffer.assign_(shadow);
        }
    }

    /// The averaged parameters, by the module's names.
    pub fn named_parameters(&self) -> &[(String, Tensor)] {
        &self.parameters
    }
}

impl Stateful for Ema {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        self.parameters.iter().chain(&self.buffers).cloned().collect()
    }
}
