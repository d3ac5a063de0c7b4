//! Mode collapse on the 2D ring of 8 Gaussians (the PacGAN/VEEGAN setting):
//! the same MLP GAN trained with the minimax loss, the non-saturating loss and
//! WGAN-GP, scored by the VEEGAN protocol (2,500 samples; a sample is high
//! quality within 3 standard deviations of its nearest mode; "modes" counts
//! the modes with at least one high-quality sample).
//!
//! Pictures of each run (real points, generated points, D's output as a
//! contour) go to runs/ring-<loss>/samples/.
//!
//! Run: cargo run --release --example ring_mode_collapse [steps]

use ganforge::gan::{TrainConfig, Trainer};

fn main() {
    let steps: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    println!("{:<10} {:>6} {:>14}", "loss", "modes", "high quality");
    for loss in ["minimax", "ns", "wgan-gp"] {
        let config = TrainConfig {
            model: "mlp".into(),
            loss: loss.into(),
            dataset: "ring".into(),
            steps,
            batch: 256,
            lr_d: 1e-3,
            lr_g: 1e-3,
            sample_every: steps / 4,
            checkpoint_every: steps,
            log_every: 100,
            out: format!("runs/ring-{loss}").into(),
            ..TrainConfig::default()
        };
        let mut trainer = Trainer::new(config).expect("the ring dataset needs no files");
        trainer.run(|_| {}).expect("training finished");
        let report = trainer.history.iter().rev().find_map(|row| row.modes.clone()).expect("a final evaluation");
        println!("{loss:<10} {:>6} {:>13.1}%", report.modes_covered, 100.0 * report.high_quality_fraction);
    }
}
