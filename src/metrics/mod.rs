//! Measurements of how well a generator is doing.
//!
//! - [`modes`]: mode coverage on the 2D Gaussian mixtures.
//!
//! For images, every metric reads the outputs of a small classifier that this
//! crate trains with its own engine and ships ([`classifier`], trained by
//! [`training`] on the fixed split of [`digits`]): Inception weights cannot be
//! fetched here, and scores computed with another network would not be
//! comparable with Inception scores anyway.
//!
//! - [`fid`]: Fréchet distance between Gaussians fitted to features;
//! - [`kid`]: kernel distance (unbiased MMD^2, cubic polynomial kernel);
//! - [`inception_score`]: exp E KL(p(y|x) || p(y)) with the classifier's softmax;
//! - [`precision_recall`]: k-NN manifolds in feature space;
//! - [`class_coverage`]: the histogram of predicted classes (mode counting);
//! - [`label_accuracy`]: does a conditional generator draw the class it is asked for;
//! - [`stacked_mnist`]: the 1,000-mode count of VEEGAN and PacGAN;
//! - [`reference`]: the real images' embedding, cached beside the weights;
//! - [`report`]: all of them on one generator's images, as a table and JSON;
//! - [`translation`]: FID of image-to-image translations against their
//!   held-out targets, in the features of a net trained on the colour sets
//!   of [`colour_sets`] (the same classifier with three input channels).

pub mod class_coverage;
pub mod classifier;
pub mod colour_sets;
pub mod digits;
pub mod fid;
pub mod inception_score;
pub mod kid;
pub mod label_accuracy;
pub mod modes;
pub mod precision_recall;
pub mod reference;
pub mod report;
pub mod stacked_mnist;
pub mod training;
pub mod translation;

use crate::checkpoint::CheckpointError;
use crate::data::DataError;
use std::fmt;

/// Why an evaluation could not run. Each message says what to do about it.
#[derive(Debug)]
pub enum EvalError {
    /// The classifier's weights could not be read.
    Weights(CheckpointError),
    /// The reference data could not be read.
    Data(DataError),
    /// Images or samples the metrics cannot use (wrong shape, too few).
    InvalidInput(String),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::Weights(e) => {
                write!(f, "{e}; retrain the classifier with `ganforge classifier --dataset <its dataset>`")
            }
            EvalError::Data(e) => write!(f, "{e}"),
            EvalError::InvalidInput(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for EvalError {}

impl From<CheckpointError> for EvalError {
    fn from(e: CheckpointError) -> Self {
        EvalError::Weights(e)
    }
}

impl From<DataError> for EvalError {
    fn from(e: DataError) -> Self {
        EvalError::Data(e)
    }
}

/// A statistic measured on several subsets or splits: its mean and standard
/// deviation across them (population std, as the reference implementations report).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanStd {
    pub mean: f64,
    pub std: f64,
}

impl MeanStd {
    /// The mean and population standard deviation of `values` (not empty).
    pub fn of(values: &[f64]) -> MeanStd {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
        MeanStd { mean, std: variance.sqrt() }
    }
}
