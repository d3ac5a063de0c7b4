//! Learning-rate schedules: the factor by which the trainer multiplies every
//! optimiser's base learning rate (`--lr-d`, `--lr-g`) before each step.
//!
//! - `constant`: the base rate throughout (every model's default but CycleGAN's).
//! - `linear-decay:START`: the base rate until step START, then a straight
//!   line down to 0 at the end of the run: CycleGAN's schedule (Zhu et al.
//!   2017 train 100 epochs at 2e-4, then 100 more decaying to 0).
//!   `linear-decay` alone starts the decay halfway through the run.

/// A schedule of learning-rate factors over the steps of a run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LrSchedule {
    Constant,
    /// Linear decay to 0 from step `start` (None: half the run) to the end.
    LinearDecay {
        start: Option<usize>,
    },
}

impl LrSchedule {
    /// Reads `constant`, `linear-decay` or `linear-decay:START`.
    pub fn parse(text: &str) -> Result<LrSchedule, String> {
        let usage = "use constant, linear-decay (from half the run) or linear-decay:START (a step number)";
        match text.split_once(':') {
            None if text == "constant" => Ok(LrSchedule::Constant),
            None if text == "linear-decay" => Ok(LrSchedule::LinearDecay { start: None }),
            Some(("linear-decay", start)) => match start.parse() {
                Ok(start) => Ok(LrSchedule::LinearDecay { start: Some(start) }),
                Err(_) => Err(format!("lr schedule {text:?}: START must be a step number; {usage}")),
            },
            _ => Err(format!("unknown lr schedule {text:?}: {usage}")),
        }
    }

    // ANCHOR: lr_factor
    /// The factor of the base learning rate for the step after `step`
    /// completed ones, in a run of `total_steps`: 1 before the decay starts,
    /// then (total - step) / (total - start), which is 1 at the start and
    /// falls by the same amount every step, to 1 / (total - start) at the last step.
    pub fn factor(&self, step: usize, total_steps: usize) -> f32 {
        match *self {
            LrSchedule::Constant => 1.0,
            LrSchedule::LinearDecay { start } => {
                let start = start.unwrap_or(total_steps / 2);
                if step < start || total_steps <= start {
                    1.0
                } else {
                    total_steps.saturating_sub(step) as f32 / (total_steps - start) as f32
                }
            }
        }
    }
    // ANCHOR_END: lr_factor
}
