//! Mode collapse on the 2D mixtures of the PacGAN/VEEGAN experiments (8
//! Gaussians on a ring, or 25 on a grid): the same MLP GAN trained with six
//! losses, each at its own paper's optimiser settings, scored by the VEEGAN
//! protocol (2,500 samples; a sample is high quality within 3 standard
//! deviations of its nearest mode; "modes" counts the modes with at least one
//! high-quality sample), averaged over seeds.
//!
//! Pictures of each run (real points, generated points, D's output as a
//! contour) go to runs/<ring|grid>-<loss>-seed<n>/samples/.
//!
//! Run: cargo run --release --example mode_collapse [steps] [ring|grid] [seed,seed,...] [label,label,...]
//! (labels as in the table, e.g. "wgan-gp 0.1"; default: seed 0, every loss).

use ganforge::gan::{TrainConfig, Trainer};

/// One loss at the optimiser settings of the paper that introduced it.
struct Settings {
    /// A label for the table (the loss name, or the loss with a variant).
    label: &'static str,
    loss: &'static str,
    optimizer: &'static str,
    lr: f32,
    betas: (f32, f32),
    /// Critic steps per generator step (Goodfellow et al.'s k).
    d_steps: usize,
    gp_lambda: f32,
}

const SETTINGS: [Settings; 7] = [
    // Goodfellow et al. (2014), with the Adam(1e-3, 0.5, 0.999) of the
    // VEEGAN/PacGAN 2D baselines, k = 1.
    Settings {
        label: "minimax",
        loss: "minimax",
        optimizer: "adam",
        lr: 1e-3,
        betas: (0.5, 0.999),
        d_steps: 1,
        gp_lambda: 0.0,
    },
    Settings { label: "ns", loss: "ns", optimizer: "adam", lr: 1e-3, betas: (0.5, 0.999), d_steps: 1, gp_lambda: 0.0 },
    // Arjovsky et al. (2017): RMSprop(5e-5), k = 5, weights clipped to 0.01.
    Settings {
        label: "wgan",
        loss: "wgan",
        optimizer: "rmsprop",
        lr: 5e-5,
        betas: (0.0, 0.0),
        d_steps: 5,
        gp_lambda: 0.0,
    },
    // Gulrajani et al. (2017), Algorithm 1: Adam(1e-4, 0, 0.9), k = 5, lambda = 10;
    // and the lambda = 0.1 of their own toy-data code.
    Settings {
        label: "wgan-gp",
        loss: "wgan-gp",
        optimizer: "adam",
        lr: 1e-4,
        betas: (0.0, 0.9),
        d_steps: 5,
        gp_lambda: 10.0,
    },
    Settings {
        label: "wgan-gp 0.1",
        loss: "wgan-gp",
        optimizer: "adam",
        lr: 1e-4,
        betas: (0.5, 0.9),
        d_steps: 5,
        gp_lambda: 0.1,
    },
    // Mao et al. (2017): Adam(2e-4, 0.5), k = 1.
    Settings {
        label: "lsgan",
        loss: "lsgan",
        optimizer: "adam",
        lr: 2e-4,
        betas: (0.5, 0.999),
        d_steps: 1,
        gp_lambda: 0.0,
    },
    // Miyato et al. (2018), SN-GAN's hinge loss at their Adam(2e-4, 0.5, 0.999), k = 1.
    Settings {
        label: "hinge",
        loss: "hinge",
        optimizer: "adam",
        lr: 2e-4,
        betas: (0.5, 0.999),
        d_steps: 1,
        gp_lambda: 0.0,
    },
];

fn main() {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let dataset = args.next().unwrap_or_else(|| "ring".into());
    let seeds: Vec<u64> = match args.next() {
        Some(list) => list.split(',').map(|s| s.parse().expect("seeds: a comma-separated list of numbers")).collect(),
        None => vec![0],
    };
    let only: Option<Vec<String>> = args.next().map(|list| list.split(',').map(String::from).collect());
    println!("{dataset}, {steps} steps, mean over seeds {seeds:?}");
    println!("{:<12} {:>6} {:>14}   per seed (modes)", "loss", "modes", "high quality");
    for settings in SETTINGS.iter().filter(|s| only.as_ref().is_none_or(|only| only.iter().any(|l| l == s.label))) {
        let mut modes = Vec::new();
        let mut quality = 0.0;
        for &seed in &seeds {
            let config = TrainConfig {
                model: "mlp".into(),
                loss: settings.loss.into(),
                dataset: dataset.clone(),
                steps,
                batch: 256,
                lr_d: settings.lr,
                lr_g: settings.lr,
                beta1: settings.betas.0,
                beta2: settings.betas.1,
                optimizer: settings.optimizer.into(),
                d_steps: settings.d_steps,
                gp_lambda: settings.gp_lambda,
                seed,
                sample_every: steps / 4,
                checkpoint_every: steps,
                log_every: 100,
                out: format!("runs/{dataset}-{}-seed{seed}", settings.label.replace(' ', "-")).into(),
                ..TrainConfig::default()
            };
            let mut trainer = Trainer::overwrite(config).unwrap_or_else(|e| panic!("{e}"));
            // A run that diverged scores 0 modes and 0% high quality.
            match trainer.run(|_| {}) {
                Ok(()) => {
                    let report =
                        trainer.history.iter().rev().find_map(|row| row.modes.clone()).expect("a final evaluation");
                    modes.push(report.modes_covered);
                    quality += report.high_quality_fraction / seeds.len() as f32;
                }
                Err(e) => {
                    println!("  {} seed {seed}: {e}", settings.label);
                    modes.push(0);
                }
            }
        }
        let mean_modes = modes.iter().sum::<usize>() as f32 / seeds.len() as f32;
        println!("{:<12} {mean_modes:>6.1} {:>13.1}%   {modes:?}", settings.label, 100.0 * quality);
    }
}
