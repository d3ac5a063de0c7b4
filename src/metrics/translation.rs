//! FID of an image-to-image translation: the translations of the held-out
//! inputs against the held-out targets, in the features of a feature net
//! trained by this crate on the target domain (`colour_sets.rs`: `emoji`
//! for the emoji sets, `avatars` for SPADE's avatars), beside two floors:
//!
//! - **best achievable**: the held-out targets against the training
//!   targets: two samples of the same pictures' distribution, so all that is
//!   left is the sampling noise of a few hundred pictures (FID is biased
//!   upwards at small N, and the model's FID has the same bias);
//! - **do nothing**: the inputs themselves against the held-out targets,
//!   what a translation that returns its input would score.
//!
//! A translation is worth something when its FID lies well below the
//! do-nothing one; it is done when it reaches the best-achievable one.

use super::classifier::{weights_path, Classifier};
use super::fid::fid;
use crate::data::pairs;
use crate::Tensor;
use std::path::Path;

/// One direction of a translation, as FID needs it: pictures [N, C, H, W] in [-1, 1].
pub struct Translation {
    /// What is scored, e.g. "G(a) to testB".
    pub name: String,
    pub inputs: Tensor,
    pub outputs: Tensor,
    pub held_out_targets: Tensor,
    pub training_targets: Tensor,
}

/// A feature net of the colour sets, by the name `ganforge classifier --dataset` gave it.
pub struct FeatureNet {
    classifier: Classifier,
    name: &'static str,
}

impl FeatureNet {
    /// The feature net `name` (emoji or avatars) from its file in data/.
    pub fn open(name: &'static str) -> Result<FeatureNet, String> {
        let path = weights_path(name);
        if !path.exists() {
            return Err(format!(
                "no {name} feature net at {}: train it with `ganforge classifier --dataset {name} --data DIR` \
                 (see the book's evaluation chapter)",
                path.display()
            ));
        }
        let (classifier, _) = Classifier::load(&path).map_err(|e| e.to_string())?;
        Ok(FeatureNet::new(classifier, name))
    }

    /// A classifier as the feature net called `name`.
    pub fn new(classifier: Classifier, name: &'static str) -> FeatureNet {
        FeatureNet { classifier, name }
    }

    /// The translation's FID and its two floors, as named scores.
    pub fn scores(&self, t: &Translation) -> Result<Vec<(String, f32)>, String> {
        let sets = [&t.inputs, &t.outputs, &t.held_out_targets, &t.training_targets];
        if sets.iter().any(|set| set.shape()[0] < 2) {
            return Err(format!("{}: a Gaussian needs at least 2 pictures in each set", t.name));
        }
        let features = |pictures: &Tensor| {
            self.classifier.embed(pictures).map(|e| e.features).map_err(|e| format!("{}: {e}", self.name))
        };
        let targets = features(&t.held_out_targets)?;
        let (outputs, inputs, training) = (features(&t.outputs)?, features(&t.inputs)?, features(&t.training_targets)?);
        let (n, m) = (targets.nrows(), training.nrows());
        Ok(vec![
            (
                format!("FID {} ({n} held-out targets, {} feature net)", t.name, self.name),
                fid(&outputs, &targets) as f32,
            ),
            (
                format!("  best achievable: held-out targets to the {m} training targets"),
                fid(&targets, &training) as f32,
            ),
            ("  do nothing: the inputs to the held-out targets".to_string(), fid(&inputs, &targets) as f32),
        ])
    }
}

/// The FID scores of `translations` with the feature net `net`, or one
/// score, NaN, whose name says why there are none (no feature net, training
/// targets that could not be read, pictures of another shape than the net's).
pub fn fid_scores(net: &'static str, translations: Result<Vec<Translation>, String>) -> Vec<(String, f32)> {
    let scored = translations.and_then(|translations| {
        let net = FeatureNet::open(net)?;
        translations.iter().map(|t| net.scores(t)).collect::<Result<Vec<_>, _>>().map(|scores| scores.concat())
    });
    scored.unwrap_or_else(|reason| vec![(format!("FID not measured: {reason}"), f32::NAN)])
}

/// `translate` applied to `inputs` [N, ...] `chunk` examples at a time,
/// the outputs joined again (a generator pass over a few hundred pictures
/// at once would need several times their memory for its activations).
pub fn in_chunks(inputs: &Tensor, chunk: usize, translate: impl Fn(usize, &Tensor) -> Tensor) -> Tensor {
    let n = inputs.shape()[0];
    let outputs: Vec<Tensor> =
        (0..n).step_by(chunk).map(|start| translate(start, &inputs.narrow(0, start, (start + chunk).min(n)))).collect();
    Tensor::concat(&outputs.iter().collect::<Vec<_>>(), 0)
}

/// The targets (right halves) [N, C, H, W] of the A|B pairs in `dir`.
pub fn pair_targets(dir: &Path) -> Result<Tensor, String> {
    let pairs = pairs::load_pair_tensor(dir).map_err(|e| e.to_string())?;
    let channels = pairs.shape()[1];
    Ok(pairs.narrow(1, channels / 2, channels))
}
