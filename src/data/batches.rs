//! Seeded shuffling of a dataset into mini-batches.
//!
//! Each epoch visits the examples in a new random order, cut into batches of
//! equal size. The last, incomplete batch of an epoch is dropped ("drop last")
//! so every batch has the same shape. The generator is seeded, so a run can be
//! repeated exactly.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;

/// Hands out shuffled batches of example indices, reshuffling at each epoch.
#[derive(Debug, Clone)]
pub struct BatchSampler {
    order: Vec<usize>,
    batch_size: usize,
    /// Position of the next batch in `order`; past the last full batch, a new epoch starts.
    cursor: usize,
    rng: StdRng,
}

impl BatchSampler {
    /// A sampler over the indices `0..len`, in batches of `batch_size`.
    ///
    /// # Panics
    /// If `batch_size` is 0 or larger than `len`.
    pub fn new(len: usize, batch_size: usize, seed: u64) -> Self {
        assert!(batch_size > 0, "batch size must be at least 1");
        assert!(batch_size <= len, "batch size {batch_size} is larger than the dataset ({len} examples)");
        BatchSampler { order: (0..len).collect(), batch_size, cursor: len, rng: StdRng::seed_from_u64(seed) }
    }

    /// Number of full batches in one epoch.
    pub fn batches_per_epoch(&self) -> usize {
        self.order.len() / self.batch_size
    }

    /// The next batch of indices; the first batch of each epoch reshuffles.
    pub fn next_batch(&mut self) -> &[usize] {
        if self.cursor + self.batch_size > self.order.len() {
            self.order.shuffle(&mut self.rng);
            self.cursor = 0;
        }
        let batch = &self.order[self.cursor..self.cursor + self.batch_size];
        self.cursor += self.batch_size;
        batch
    }
}
