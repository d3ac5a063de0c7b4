//! Seeded shuffling of a dataset into mini-batches.
//!
//! Each epoch visits the examples in a new random order, cut into batches of
//! equal size. The last, incomplete batch is dropped ("drop last") so every
//! batch has the same shape. The generator is seeded, so a run can be
//! repeated exactly.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Hands out shuffled batches of example indices, one epoch at a time.
#[derive(Debug, Clone)]
pub struct BatchSampler {
    order: Vec<usize>,
    batch_size: usize,
    rng: StdRng,
}

impl BatchSampler {
    /// A sampler over the indices `0..len`, in batches of `batch_size`.
    ///
    /// # Panics
    /// If `batch_size` is 0.
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(batch_size > 0, "batch size must be at least 1");
        BatchSampler { order: (0..len).collect(), batch_size, rng: StdRng::seed_from_u64(seed) }
    }

    /// Number of full batches in one epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len() / self.batch_size
    }

    /// Reshuffles and returns the batches of the next epoch. The examples
    /// left over after the last full batch are skipped for this epoch.
    pub fn next_epoch(&mut self) -> std::slice::ChunksExact<'_, usize> {
        self.order.shuffle(&mut self.rng);
        self.order.chunks_exact(self.batch_size)
    }
}
