//! ProGAN's growth schedule: which resolution the nets train at, and how far
//! its newest block has faded in, at every step.
//!
//! The first level trains for one stabilising phase; every later level
//! first fades in (alpha rising linearly from 0 to 1) for a phase and then
//! stabilises (alpha 1) for a phase; the last level stays once reached. A
//! phase shows the same number of real images at every level (the paper's
//! 800k; a few thousand here), so a level trained with a smaller batch takes
//! more steps. Everything follows from the step, so a checkpoint's step puts
//! a resumed run back at the same level and alpha.

use super::nets::progressive::Stage;

#[derive(Clone, Debug, PartialEq)]
pub struct GrowthSchedule {
    /// The level training starts at (0: 4x4).
    pub start: usize,
    /// The last level (the data's resolution).
    pub top: usize,
    /// Real images per fade-in phase and per stabilising phase.
    pub phase_images: usize,
    /// The batch at each level, from level 0 to `top`.
    pub batches: Vec<usize>,
}

impl GrowthSchedule {
    /// Steps in one phase at `level`: enough batches to show `phase_images` images.
    pub fn phase_steps(&self, level: usize) -> usize {
        self.phase_images.div_ceil(self.batches[level]).max(1)
    }

    /// The batch at `level`.
    pub fn batch(&self, level: usize) -> usize {
        self.batches[level]
    }

    // ANCHOR: schedule_at
    /// The stage after `step` completed steps.
    pub fn at(&self, step: usize) -> Stage {
        let mut left = step;
        for level in self.start..=self.top {
            let phase = self.phase_steps(level);
            if level > self.start {
                if left < phase {
                    return Stage { level, alpha: left as f32 / phase as f32 };
                }
                left -= phase;
            }
            if left < phase || level == self.top {
                return Stage { level, alpha: 1.0 };
            }
            left -= phase;
        }
        Stage { level: self.top, alpha: 1.0 }
    }
    // ANCHOR_END: schedule_at
}
