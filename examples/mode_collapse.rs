//! Mode collapse on the 2D mixtures of the PacGAN/VEEGAN experiments (8
//! Gaussians on a ring, or 25 on a grid): the same MLP GAN trained with the
//! minimax loss, the non-saturating loss and WGAN-GP, scored by the VEEGAN
//! protocol (2,500 samples; a sample is high quality within 3 standard
//! deviations of its nearest mode; "modes" counts the modes with at least one
//! high-quality sample).
//!
//! Pictures of each run (real points, generated points, D's output as a
//! contour) go to runs/<ring|grid>-<loss>/samples/.
//!
//! Run: cargo run --release --example mode_collapse [steps] [ring|grid]

use ganforge::gan::{TrainConfig, Trainer};

fn main() {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let dataset = std::env::args().nth(2).unwrap_or_else(|| "ring".into());
    println!("{dataset}, {steps} steps");
    println!("{:<10} {:>6} {:>14}", "loss", "modes", "high quality");
    // Each loss with its paper's optimiser settings: Adam(1e-3, 0.5, 0.999) with
    // k = 1 for the logistic losses; Gulrajani et al.'s Adam(1e-4, 0.5, 0.9)
    // with k = 5 critic steps per generator step for WGAN-GP.
    for (loss, lr, beta2, d_steps) in [("minimax", 1e-3, 0.999, 1), ("ns", 1e-3, 0.999, 1), ("wgan-gp", 1e-4, 0.9, 5)] {
        let config = TrainConfig {
            model: "mlp".into(),
            loss: loss.into(),
            dataset: dataset.clone(),
            steps,
            batch: 256,
            lr_d: lr,
            lr_g: lr,
            beta2,
            d_steps,
            sample_every: steps / 4,
            checkpoint_every: steps,
            log_every: 100,
            out: format!("runs/{dataset}-{loss}").into(),
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(config).unwrap_or_else(|e| panic!("{e}"));
        trainer.run(|_| {}).expect("training finished");
        let report = trainer.history.iter().rev().find_map(|row| row.modes.clone()).expect("a final evaluation");
        println!("{loss:<10} {:>6} {:>13.1}%", report.modes_covered, 100.0 * report.high_quality_fraction);
    }
}
