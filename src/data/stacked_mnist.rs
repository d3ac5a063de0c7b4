//! Stacked MNIST (Metz et al. 2017, "Unrolled Generative Adversarial
//! Networks"; the mode-collapse benchmark of VEEGAN and PacGAN): each example
//! is a 3-channel 28x28 image whose channels hold three digits drawn
//! independently from MNIST, so the data has 10 x 10 x 10 = 1,000 modes. The
//! label of an example is its mode, 100 c0 + 10 c1 + c2.
//!
//! Examples are drawn afresh for every batch (uniformly, with replacement),
//! from the embedded 5,000-digit subset; the count of covered modes is
//! measured by `metrics::stacked_mnist`.

use super::dataset::{mnist5k, Batch, Dataset};
use super::DataError;
use crate::Tensor;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Values in one 28x28 channel.
const CHANNEL: usize = 28 * 28;

pub struct StackedMnist {
    /// The digits, [count, 28, 28] in [-1, 1], and their labels.
    digits: Vec<f32>,
    labels: Vec<usize>,
    rng: StdRng,
}

impl StackedMnist {
    /// Stacks of the embedded MNIST digits, drawn from a generator seeded with `seed`.
    pub fn new(seed: u64) -> Result<StackedMnist, DataError> {
        let mnist = mnist5k(seed)?;
        let labels = mnist.labels().expect("the embedded mnist5k has labels").to_vec();
        Ok(StackedMnist { digits: mnist.values().to_vec(), labels, rng: StdRng::seed_from_u64(seed) })
    }
}

impl StackedMnist {
    /// The random choice of one batch: three digit indices per image.
    fn draw(&mut self, size: usize) -> Vec<[usize; 3]> {
        let count = self.labels.len();
        (0..size).map(|_| std::array::from_fn(|_| self.rng.random_range(0..count))).collect()
    }
}

impl Dataset for StackedMnist {
    fn describe(&self) -> String {
        format!("stacked-mnist (3 independent digits of {} per image, 1,000 modes)", self.labels.len())
    }

    fn item_shape(&self) -> &[usize] {
        &[3, 28, 28]
    }

    fn classes(&self) -> Option<usize> {
        Some(1000)
    }

    /// Each batch draws fresh triples: the supply never runs out.
    fn example_count(&self) -> Option<usize> {
        None
    }

    fn next_batch(&mut self, size: usize) -> Batch {
        let mut x = Vec::with_capacity(size * 3 * CHANNEL);
        let mut labels = Vec::with_capacity(size);
        for triple in self.draw(size) {
            let mut mode = 0;
            for digit in triple {
                x.extend_from_slice(&self.digits[digit * CHANNEL..(digit + 1) * CHANNEL]);
                mode = mode * 10 + self.labels[digit];
            }
            labels.push(mode);
        }
        Batch { x: Tensor::from_vec(x, &[size, 3, 28, 28]), labels: Some(labels) }
    }

    /// The same draws, left on the CPU.
    fn skip_batch(&mut self, size: usize) {
        self.draw(size);
    }
}
