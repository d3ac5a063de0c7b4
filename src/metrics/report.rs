//! Every image metric on one set of images, as a table and as JSON.
//!
//! Generated images are compared with a fixed reference: the classifier's
//! embedding of the real training digits. Scoring the held-out real digits the
//! same way gives the floor (FID and KID near 0, precision and recall near 1,
//! IS near the classifier's ceiling) that a model's numbers should be read
//! against: sample-size bias and the classifier's own errors are in it too.

use super::class_coverage::ClassCoverage;
use super::classifier::{Classifier, Embedding, CLASSES};
use super::digits::split;
use super::fid::fid;
use super::inception_score::inception_score;
use super::kid::{kid_in_reference_units, KidSubsets};
use super::label_accuracy::LabelAccuracy;
use super::precision_recall::{precision_recall, PrecisionRecall, K};
use super::reference::Reference;
use super::{EvalError, MeanStd};
use crate::Tensor;
use std::fmt::Write;
use std::path::Path;

/// Splits of the Inception Score, as in Salimans et al.
const IS_SPLITS: usize = 10;
/// Fewest images the metrics accept (KID subsets, IS splits, k-NN radii).
pub const MIN_IMAGES: usize = 20;

/// The classifier's dataset that scores a model trained on `dataset` (a
/// `--dataset` value): mnist5k for MNIST digits, fashion for Fashion-MNIST
/// (both also padded to 32x32: the classifier crops the border back off),
/// None for data no shipped classifier knows (2D points, image folders,
/// Stacked MNIST, which has its own mode count).
pub fn scoring_dataset(dataset: &str) -> Option<&'static str> {
    match dataset {
        "mnist5k" | "mnist5k-32" => Some("mnist5k"),
        "fashion" | "fashion-32" => Some("fashion"),
        _ if dataset.starts_with("mnist:") => Some("mnist5k"),
        _ => None,
    }
}

/// The border of background around the classifier's 28x28 images in the
/// run's data: 2 for the sets padded to 32x32, else 0. Real digits shown to
/// a model of such data (probing its encoder, inverting its generator) are
/// padded by it.
pub fn padding_of(dataset: &str) -> usize {
    match dataset {
        "mnist5k-32" | "fashion-32" => 2,
        _ => 0,
    }
}

/// The classifier and the real digits every image set is compared with,
/// embedded once: build it once per run, then `evaluate` as often as needed
/// (the trainer's periodic evaluation costs classifying the new images plus
/// a few seconds of CPU).
pub struct Evaluator {
    classifier: Classifier,
    /// The training part of the split (mnist5k: 4,000 digits): the reference.
    train: Embedding,
    /// The held-out part (mnist5k: 1,000 digits): scored against `train`, the floor.
    held_out: Embedding,
    /// Their true classes (the floor's label accuracy is the classifier's accuracy).
    held_out_labels: Vec<usize>,
}

impl Evaluator {
    /// The classifier at `weights` (see `classifier::weights_path`) with the
    /// split of `dataset` (mnist5k or fashion, see `digits::split`) as the real
    /// data, whose embedding comes from the cache beside the weights (see `reference`).
    pub fn new(dataset: &str, weights: &Path) -> Result<Evaluator, EvalError> {
        if !weights.exists() {
            return Err(EvalError::InvalidInput(format!(
                "no {dataset} classifier at {}: train it with `ganforge classifier --dataset {dataset}`",
                weights.display()
            )));
        }
        let (classifier, _) = Classifier::load(weights)?;
        let split = split(dataset)?;
        let Reference { train, held_out } = Reference::load_or_embed(&classifier, weights, &split)?;
        Ok(Evaluator { classifier, train, held_out, held_out_labels: split.held_out.labels })
    }

    pub fn classifier(&self) -> &Classifier {
        &self.classifier
    }

    /// Scores images [N, 1, 28, 28] in [-1, 1] (N >= 20; e.g. a generator's
    /// samples) against the real training digits; with the `labels` a
    /// conditional generator was asked for, also its label accuracy.
    pub fn evaluate(&self, images: &Tensor, labels: Option<&[usize]>) -> Result<EvalReport, EvalError> {
        if images.shape().first().is_some_and(|&n| n < MIN_IMAGES) {
            return Err(EvalError::InvalidInput(format!(
                "evaluation needs at least {MIN_IMAGES} images, got {}",
                images.shape()[0]
            )));
        }
        if labels.is_some_and(|labels| labels.len() != images.shape()[0] || labels.iter().any(|&l| l >= CLASSES)) {
            return Err(EvalError::InvalidInput(format!(
                "label accuracy needs one label below {CLASSES} per image ({} images)",
                images.shape()[0]
            )));
        }
        Ok(score(&self.train, &self.classifier.embed(images)?, labels))
    }

    /// The floor: the held-out real digits scored the same way.
    pub fn real_floor(&self) -> EvalReport {
        score(&self.train, &self.held_out, Some(&self.held_out_labels))
    }

    /// A generator's images scored beside the floor: what `ganforge eval
    /// --checkpoint` prints (`table`) and writes to eval.json (`to_json`).
    pub fn compare(&self, images: &Tensor, labels: Option<&[usize]>) -> Result<Comparison, EvalError> {
        Ok(Comparison { model: self.evaluate(images, labels)?, real_floor: self.real_floor() })
    }
}

/// Every metric of `generated` against `real`, from their embeddings (and
/// the label accuracy when the classes each image should show are given).
pub fn score(real: &Embedding, generated: &Embedding, labels: Option<&[usize]>) -> EvalReport {
    let predicted = generated.predicted_classes();
    EvalReport {
        samples: generated.features.nrows(),
        reference_samples: real.features.nrows(),
        fid: fid(&real.features, &generated.features),
        kid: kid_in_reference_units(&real.features, &generated.features, KidSubsets::default()),
        inception_score: inception_score(&generated.probabilities, IS_SPLITS),
        precision_recall: precision_recall(&real.features, &generated.features, K),
        coverage: ClassCoverage::of(&predicted, CLASSES),
        label_accuracy: labels.map(|labels| LabelAccuracy::of(&predicted, labels, CLASSES)),
    }
}

/// A model's report next to the real-data floor.
pub struct Comparison {
    pub model: EvalReport,
    pub real_floor: EvalReport,
}

impl Comparison {
    /// One metric per line: the model's value, then the floor's.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} generated images and {} held-out real images, each against {} real training images\n",
            self.model.samples, self.real_floor.samples, self.model.reference_samples
        );
        let (model, floor) = (self.model.rows(), self.real_floor.rows());
        // The model column is as wide as its widest value (the per-label row is long).
        let width = model.iter().map(|(_, value)| value.chars().count() + 1).max().unwrap_or(0).max(22);
        let _ = writeln!(out, "  {:<16} {:<width$} real (floor)", "metric", "model");
        for (name, value) in model {
            let floor = floor.iter().find(|(row, _)| *row == name).map_or("", |(_, v)| v.as_str());
            let _ = writeln!(out, "  {name:<16} {value:<width$} {floor}");
        }
        out
    }

    /// {"model": {...}, "real_floor": {...}}.
    pub fn to_json(&self) -> String {
        format!(
            "{{\n\"model\": {},\n\"real_floor\": {}\n}}\n",
            self.model.to_json().trim_end(),
            self.real_floor.to_json().trim_end()
        )
    }
}

/// Every metric of one set of images against the real reference.
#[derive(Clone, Debug)]
pub struct EvalReport {
    /// Images scored.
    pub samples: usize,
    /// Real images they were compared with.
    pub reference_samples: usize,
    pub fid: f64,
    pub kid: MeanStd,
    pub inception_score: MeanStd,
    pub precision_recall: PrecisionRecall,
    pub coverage: ClassCoverage,
    /// A conditional generator's (or labelled real data's) label accuracy.
    pub label_accuracy: Option<LabelAccuracy>,
}

impl EvalReport {
    /// (name, value as text) of each row of the table.
    fn rows(&self) -> Vec<(&'static str, String)> {
        let pm = |m: MeanStd, scale: f64| format!("{:.4} ± {:.4}", m.mean * scale, m.std * scale);
        let mut rows = vec![
            ("FID", format!("{:.3}", self.fid)),
            ("KID x 1000", pm(self.kid, 1000.0)),
            ("IS (max 10)", pm(self.inception_score, 1.0)),
            ("precision", format!("{:.4}", self.precision_recall.precision)),
            ("recall", format!("{:.4}", self.precision_recall.recall)),
            ("classes covered", format!("{} / {}", self.coverage.covered, self.coverage.histogram.len())),
            ("KL to uniform", format!("{:.4}", self.coverage.kl_to_uniform)),
        ];
        if let Some(accuracy) = &self.label_accuracy {
            rows.push(("label accuracy", format!("{:.4}", accuracy.overall)));
            let per_class: Vec<String> = accuracy.per_class.iter().map(|a| format!("{:.0}", 100.0 * a)).collect();
            rows.push(("  % by label", per_class.join(" ")));
        }
        rows
    }

    /// A two-column table, one metric per line.
    pub fn table(&self) -> String {
        let mut out = format!("{} images against {} real training images\n", self.samples, self.reference_samples);
        for (name, value) in self.rows() {
            let _ = writeln!(out, "  {name:<16} {value}");
        }
        out
    }

    /// The report as a JSON object.
    pub fn to_json(&self) -> String {
        let histogram: Vec<String> = self.coverage.histogram.iter().map(|c| c.to_string()).collect();
        let label_accuracy = match &self.label_accuracy {
            Some(accuracy) => {
                let per_class: Vec<String> = accuracy.per_class.iter().map(|a| a.to_string()).collect();
                format!(
                    ",\n  \"label_accuracy\": {{\"overall\": {}, \"per_class\": [{}]}}",
                    accuracy.overall,
                    per_class.join(", ")
                )
            }
            None => String::new(),
        };
        format!(
            concat!(
                "{{\n",
                "  \"samples\": {},\n  \"reference_samples\": {},\n  \"fid\": {},\n",
                "  \"kid\": {{\"mean\": {}, \"std\": {}}},\n",
                "  \"inception_score\": {{\"mean\": {}, \"std\": {}}},\n",
                "  \"precision\": {},\n  \"recall\": {},\n",
                "  \"classes_covered\": {},\n  \"kl_to_uniform\": {},\n  \"class_histogram\": [{}]{}\n",
                "}}\n"
            ),
            self.samples,
            self.reference_samples,
            self.fid,
            self.kid.mean,
            self.kid.std,
            self.inception_score.mean,
            self.inception_score.std,
            self.precision_recall.precision,
            self.precision_recall.recall,
            self.coverage.covered,
            self.coverage.kl_to_uniform,
            histogram.join(", "),
            label_accuracy
        )
    }
}
