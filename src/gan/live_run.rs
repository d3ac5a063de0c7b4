//! A one-G-one-D run trained step by step under someone else's control (the
//! browser playground's page, or a test), never waiting for the GPU.
//!
//! Each `step` only records the family's GPU work; its losses stay on the GPU
//! until the caller takes them (`take_losses`) to read them back together with
//! whatever else it draws, in one readback. The playground's 2D and digits
//! sessions (`session.rs`, `digits_session.rs`) are this run with different
//! networks, data and views.

use crate::gan::families::pair::Pair;
use crate::gan::family::{DataStream, Family, StepContext};
use crate::Tensor;
use rand_chacha::ChaCha12Rng;

/// A [`Pair`] in training, with its data stream and random stream.
pub struct LiveRun {
    family: Pair,
    data: DataStream,
    /// The run's random stream: every step's latents and noise.
    rng: ChaCha12Rng,
    /// Steps completed.
    step: usize,
    /// Each step's losses [2] (D, G), still on the GPU, until taken.
    unread_losses: Vec<Tensor>,
}

impl LiveRun {
    /// A run of `family` on `data`, drawing its steps' random numbers from `rng`.
    pub fn new(family: Pair, data: DataStream, rng: ChaCha12Rng) -> LiveRun {
        LiveRun { family, data, rng, step: 0, unread_losses: Vec::new() }
    }

    /// Records `n` training steps on the GPU and returns without waiting for them.
    pub fn step(&mut self, n: usize) {
        for _ in 0..n {
            let mut ctx =
                StepContext { step: self.step, total_steps: usize::MAX, data: &mut self.data, rng: &mut self.rng };
            let losses = self.family.step(&mut ctx);
            let scalars: Vec<Tensor> = losses.iter().map(|(_, loss)| loss.reshape(&[1])).collect();
            self.unread_losses.push(Tensor::concat(&scalars.iter().collect::<Vec<_>>(), 0));
            self.step += 1;
        }
    }

    /// Steps completed.
    pub fn steps(&self) -> usize {
        self.step
    }

    /// The family trained (to draw its networks' outputs).
    pub fn family(&self) -> &Pair {
        &self.family
    }

    /// The losses of the steps since the last call, (D, G) per step, still on
    /// the GPU, with the number of steps completed before the first of them.
    pub fn take_losses(&mut self) -> (usize, Vec<Tensor>) {
        let losses = std::mem::take(&mut self.unread_losses);
        (self.step - losses.len(), losses)
    }
}

/// (step, D loss, G loss) rows from the values of `take_losses`' tensors as
/// read back, the first row being step `first_step + 1`.
pub fn loss_rows(first_step: usize, values: &[f32]) -> Vec<(usize, f32, f32)> {
    values.chunks(2).enumerate().map(|(i, pair)| (first_step + i + 1, pair[0], pair[1])).collect()
}
