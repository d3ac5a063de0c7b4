//! Dropout (Srivastava et al.): in training, zero each element with
//! probability p and scale the survivors by 1 / (1 - p), so the expected value
//! of every element is unchanged and eval mode is the identity.
//!
//! The mask is drawn on the CPU from `rand`'s `StdRng` seeded with `seed`, and
//! uploaded: element i is dropped when the i-th U[0, 1) sample is below p,
//! the same samples `Tensor::rand(shape, seed)` holds. So a seed means the
//! same mask on every adapter and every run, and a test can rebuild it. The
//! price is one upload of 4 bytes per element, small next to the layers
//! dropout sits in; a GPU hash would avoid it, should a benchmark ever show
//! the upload matters. The op itself is `x * mask`, so its gradient (the same
//! mask) and every higher one come from `mul`.

use crate::tensor::Tensor;
use rand::{rngs::StdRng, Rng, SeedableRng};

impl Tensor {
    /// `x * mask` in training (mask: 0 with probability p, else 1 / (1 - p);
    /// all zeros when p = 1); `x` itself when not training or when p = 0.
    pub fn dropout(&self, p: f32, seed: u64, training: bool) -> Tensor {
        assert!((0.0..=1.0).contains(&p), "dropout: probability {p} is not in [0, 1]");
        if !training || p == 0.0 {
            return self.clone();
        }
        let keep = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
        let mut rng = StdRng::seed_from_u64(seed);
        let mask: Vec<f32> = (0..self.numel()).map(|_| if rng.random::<f32>() < p { 0.0 } else { keep }).collect();
        self.mul(&Tensor::from_vec(mask, self.shape()))
    }
}
