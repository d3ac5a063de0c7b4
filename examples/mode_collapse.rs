//! Mode collapse on the 2D mixtures of the PacGAN/VEEGAN experiments (8
//! Gaussians on a ring, or 25 on a grid), scored by the VEEGAN protocol
//! (2,500 samples; a sample is high quality within 3 standard deviations of
//! its nearest mode; "modes" counts the modes with at least one high-quality
//! sample), averaged over seeds. Two tables:
//!
//! - `losses`: the same MLP GAN trained with each loss at its own paper's
//!   optimiser settings;
//! - `methods`: the remedies for mode collapse (ALI/BiGAN, Unrolled GAN,
//!   VEEGAN, PacGAN, WGAN-GP) against the plain GAN, all with the same
//!   networks, batch and optimiser, printed beside the numbers of VEEGAN's
//!   and PacGAN's Table 1. Those papers used bigger networks and far longer
//!   runs (PacGAN: 400,000 steps), so compare the ordering, not the digits.
//!
//! Pictures of each run (real points, generated points, D's output as a
//! contour) go to runs/<ring|grid>-<row>-seed<n>/samples/, and one figure
//! with a row per method, its pictures through training from left to right,
//! to runs/mode-collapse-<ring|grid>-<table>.png.
//!
//! A third data set, `stacked-mnist` (three digits stacked as the colour
//! channels: 1,000 modes), runs the method rows on dcgan28 at DCGAN's
//! optimiser (Adam 2e-4, betas 0.5 / 0.999, batch 64) and scores each with
//! the protocol of VEEGAN's and PacGAN's Table 2: of 26,000 samples, how
//! many of the 1,000 digit triples the classifier finds, and the KL
//! divergence of that histogram to uniform. The 2D WGAN-GP setting (lambda
//! 0.1) is not run there. BiGAN/ALI and VEEGAN keep their perceptron nets.
//!
//! Run: cargo run --release --example mode_collapse [steps] [ring|grid|stacked-mnist] [seed,seed,...] [losses|methods|label,label,...]
//! (labels as in the tables, e.g. "wgan-gp 0.1" or "pacgan2"; default: seed 0, every loss).

use ganforge::gan::prior::Prior;
use ganforge::gan::trainer::sample_many;
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::metrics::class_coverage::ClassCoverage;
use ganforge::metrics::classifier::{weights_path, Classifier};
use ganforge::metrics::stacked_mnist::{stacked_mnist_modes, MODES, SAMPLES};
use ganforge::viz::montage::labelled_rows;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::path::Path;

/// One row of a table: a label, how its run differs from the plain GAN's
/// config, and the published (modes, high-quality %) on the ring and the
/// grid, with the paper they come from.
struct Row {
    label: &'static str,
    configure: fn(&mut TrainConfig),
    published: Option<Published>,
}

struct Published {
    source: &'static str,
    ring: (f32, f32),
    grid: (f32, f32),
    /// Stacked MNIST (modes of 1,000, KL to uniform) and its source: VEEGAN's
    /// Table 2, or PacGAN's Table 2 for the PacDCGANs.
    stacked: Option<(f32, f32, &'static str)>,
}

/// A loss at its paper's optimiser: `loss`, Adam or RMSprop at `lr` with `betas`, `k` critic steps.
fn loss_at(config: &mut TrainConfig, loss: &str, optimizer: &str, lr: f32, betas: (f32, f32), k: usize) {
    config.loss = loss.into();
    config.optimizer = optimizer.into();
    (config.lr_d, config.lr_g) = (lr, lr);
    (config.beta1, config.beta2) = betas;
    config.d_steps = k;
}

const LOSSES: [Row; 7] = [
    // Goodfellow et al. (2014), with the Adam(1e-3, 0.5, 0.999) of the
    // VEEGAN/PacGAN 2D baselines, k = 1.
    Row { label: "minimax", configure: |c| loss_at(c, "minimax", "adam", 1e-3, (0.5, 0.999), 1), published: None },
    Row { label: "ns", configure: |c| loss_at(c, "ns", "adam", 1e-3, (0.5, 0.999), 1), published: None },
    // Arjovsky et al. (2017): RMSprop(5e-5), k = 5, weights clipped to 0.01.
    Row { label: "wgan", configure: |c| loss_at(c, "wgan", "rmsprop", 5e-5, (0.0, 0.0), 5), published: None },
    // Gulrajani et al. (2017), Algorithm 1: Adam(1e-4, 0, 0.9), k = 5, lambda = 10;
    // and the lambda = 0.1 of their own toy-data code.
    Row {
        label: "wgan-gp",
        configure: |c| {
            loss_at(c, "wgan-gp", "adam", 1e-4, (0.0, 0.9), 5);
            c.gp_lambda = 10.0;
        },
        published: None,
    },
    Row { label: "wgan-gp 0.1", configure: wgan_gp_toy, published: None },
    // Mao et al. (2017): Adam(2e-4, 0.5), k = 1.
    Row { label: "lsgan", configure: |c| loss_at(c, "lsgan", "adam", 2e-4, (0.5, 0.999), 1), published: None },
    // Miyato et al. (2018), SN-GAN's hinge loss at their Adam(2e-4, 0.5, 0.999), k = 1.
    Row { label: "hinge", configure: |c| loss_at(c, "hinge", "adam", 2e-4, (0.5, 0.999), 1), published: None },
];

fn wgan_gp_toy(config: &mut TrainConfig) {
    loss_at(config, "wgan-gp", "adam", 1e-4, (0.5, 0.9), 5);
    config.gp_lambda = 0.1;
}

/// The plain GAN's settings, which every method row starts from.
fn plain_gan(config: &mut TrainConfig) {
    loss_at(config, "ns", "adam", 1e-3, (0.5, 0.999), 1);
}

const VEEGAN: &str = "VEEGAN T1";
const PACGAN: &str = "PacGAN T1";
const VEEGAN_STACKED: &str = "VEEGAN T2";
const PACGAN_STACKED: &str = "PacGAN T2";

const METHODS: [Row; 9] = [
    Row {
        label: "gan",
        configure: plain_gan,
        published: Some(Published {
            source: VEEGAN,
            ring: (1.0, 99.3),
            grid: (3.3, 0.5),
            stacked: Some((99.0, 3.40, VEEGAN_STACKED)),
        }),
    },
    Row {
        label: "ali",
        configure: |c| {
            plain_gan(c);
            c.model = "bigan".into();
        },
        published: Some(Published {
            source: VEEGAN,
            ring: (2.8, 0.13),
            grid: (15.8, 1.6),
            stacked: Some((16.0, 5.40, VEEGAN_STACKED)),
        }),
    },
    Row {
        label: "unrolled5",
        configure: |c| {
            plain_gan(c);
            c.unroll = 5;
        },
        published: Some(Published {
            source: VEEGAN,
            ring: (7.6, 35.6),
            grid: (23.6, 16.0),
            stacked: Some((48.7, 4.32, VEEGAN_STACKED)),
        }),
    },
    Row {
        label: "unrolled10",
        configure: |c| {
            plain_gan(c);
            c.unroll = 10;
        },
        published: None,
    },
    Row {
        label: "veegan",
        configure: |c| {
            plain_gan(c);
            c.model = "veegan".into();
        },
        published: Some(Published {
            source: VEEGAN,
            ring: (8.0, 52.9),
            grid: (24.6, 40.0),
            stacked: Some((150.0, 2.95, VEEGAN_STACKED)),
        }),
    },
    Row {
        label: "pacgan2",
        configure: |c| {
            plain_gan(c);
            c.pack = 2;
        },
        published: Some(Published {
            source: PACGAN,
            ring: (7.9, 95.6),
            grid: (23.8, 91.3),
            stacked: Some((1000.0, 0.06, PACGAN_STACKED)),
        }),
    },
    Row {
        label: "pacgan3",
        configure: |c| {
            plain_gan(c);
            c.pack = 3;
        },
        published: Some(Published {
            source: PACGAN,
            ring: (7.8, 97.7),
            grid: (24.6, 94.2),
            stacked: Some((1000.0, 0.06, PACGAN_STACKED)),
        }),
    },
    Row {
        label: "pacgan4",
        configure: |c| {
            plain_gan(c);
            c.pack = 4;
        },
        published: Some(Published {
            source: PACGAN,
            ring: (7.8, 95.9),
            grid: (24.8, 93.6),
            stacked: Some((1000.0, 0.07, PACGAN_STACKED)),
        }),
    },
    Row { label: "wgan-gp 0.1", configure: wgan_gp_toy, published: None },
];

fn main() {
    let mut args = std::env::args().skip(1);
    let steps: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(2000);
    let dataset = args.next().unwrap_or_else(|| "ring".into());
    let seeds: Vec<u64> = match args.next() {
        Some(list) => list.split(',').map(|s| s.parse().expect("seeds: a comma-separated list of numbers")).collect(),
        None => vec![0],
    };
    let selection = args.next().unwrap_or_else(|| "losses".into());
    let rows: Vec<&Row> = match selection.as_str() {
        "losses" => LOSSES.iter().collect(),
        "methods" => METHODS.iter().collect(),
        labels => {
            let wanted: Vec<&str> = labels.split(',').collect();
            // A label in both tables (wgan-gp 0.1, the same run) is run once.
            let mut chosen: Vec<&Row> = Vec::new();
            for row in LOSSES.iter().chain(&METHODS) {
                if wanted.contains(&row.label) && !chosen.iter().any(|r| r.label == row.label) {
                    chosen.push(row);
                }
            }
            chosen
        }
    };
    let stacked = dataset == "stacked-mnist";
    println!("{dataset}, {steps} steps, mean over seeds {seeds:?}");
    let (score, published) =
        if stacked { ("KL", "published (modes, KL)") } else { ("high quality", "published (modes, hq)") };
    println!("{:<12} {:>6} {score:>14}   {published:<26} per seed (modes)", "row", "modes");
    let mut figure = Vec::new();
    for row in rows {
        let mut modes = Vec::new();
        let mut quality = 0.0;
        if stacked && config_for(row, &dataset, steps, 0, "").loss != "ns" {
            println!("{:<12} (a 2D setting: not run on stacked-mnist)", row.label);
            continue;
        }
        for &seed in &seeds {
            let out = format!("runs/{dataset}-{}-seed{seed}", row.label.replace(' ', "-"));
            let config = config_for(row, &dataset, steps, seed, &out);
            let mut trainer = Trainer::overwrite(config).unwrap_or_else(|e| panic!("{e}"));
            // A run that diverged scores 0 modes and 0% high quality (on
            // Stacked MNIST: 0 modes and the KL of a single mode, ln 1000).
            match trainer.run(|_| {}) {
                Ok(()) if stacked => {
                    let coverage = stacked_mnist_coverage(&trainer, seed);
                    modes.push(coverage.covered);
                    quality += coverage.kl_to_uniform as f32 / seeds.len() as f32;
                }
                Ok(()) => {
                    let report =
                        trainer.history.iter().rev().find_map(|row| row.modes.clone()).expect("a final evaluation");
                    modes.push(report.modes_covered);
                    quality += report.high_quality_fraction / seeds.len() as f32;
                }
                Err(e) if stacked => {
                    println!("  {} seed {seed}: {e}", row.label);
                    modes.push(0);
                    quality += (MODES as f32).ln() / seeds.len() as f32;
                }
                Err(e) => {
                    println!("  {} seed {seed}: {e}", row.label);
                    modes.push(0);
                }
            }
            if seed == seeds[0] {
                figure.push((row.label.to_string(), snapshots(Path::new(&out).join("samples").as_path())));
            }
        }
        let mean_modes = modes.iter().sum::<usize>() as f32 / seeds.len() as f32;
        let published = row.published.as_ref().map_or(String::new(), |p| match (stacked, p.stacked) {
            (true, Some((m, kl, source))) => format!("{m:.1}, KL {kl:.2} ({source})"),
            (true, None) => String::new(),
            (false, _) => {
                let (m, q) = if dataset == "grid" { p.grid } else { p.ring };
                format!("{m:.1}, {q:.1}% ({})", p.source)
            }
        });
        let score = if stacked { format!("{quality:.2}") } else { format!("{:.1}%", 100.0 * quality) };
        println!("{:<12} {mean_modes:>6.1} {score:>14}   {published:<26} {modes:?}", row.label);
    }
    let path = format!("runs/mode-collapse-{dataset}-{}.png", selection.replace([',', ' '], "-"));
    match labelled_rows(&figure).save(&path) {
        Ok(()) => println!("figure: {path} (a row per run, left to right through training)"),
        Err(e) => println!("could not write the figure {path}: {e}"),
    }
}

/// The run of `row` on `dataset` with `seed`, writing to `out`.
fn config_for(row: &Row, dataset: &str, steps: usize, seed: u64, out: &str) -> TrainConfig {
    let mut config = TrainConfig {
        model: "mlp".into(),
        dataset: dataset.into(),
        steps,
        batch: 256,
        seed,
        sample_every: (steps / 4).max(1),
        checkpoint_every: steps,
        log_every: 100,
        out: out.into(),
        ..TrainConfig::default()
    };
    (row.configure)(&mut config);
    if dataset == "stacked-mnist" {
        dcgan_on_stacked_mnist(&mut config);
    }
    config
}

/// dcgan28 with DCGAN's optimiser and batch for the image rows; the joint
/// families (ALI, VEEGAN) keep their own networks.
fn dcgan_on_stacked_mnist(config: &mut TrainConfig) {
    if config.model == "mlp" {
        config.model = "dcgan".into();
    }
    config.batch = 64;
    (config.lr_d, config.lr_g) = (2e-4, 2e-4);
    (config.beta1, config.beta2) = (0.5, 0.999);
}

/// The Table 2 protocol on the run's generator: 26,000 samples, 500 at a time.
fn stacked_mnist_coverage(trainer: &Trainer, seed: u64) -> ClassCoverage {
    let classifier = Classifier::load(&weights_path("mnist5k")).unwrap_or_else(|e| panic!("{e}")).0;
    let prior = Prior::parse(&trainer.config.prior).unwrap_or_else(|e| panic!("{e}"));
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let batches = (0..SAMPLES / 500).map(|_| sample_many(trainer.sampling_model(), prior, 500, &mut rng).0);
    stacked_mnist_modes(&classifier, batches).unwrap_or_else(|e| panic!("{e}"))
}

/// A run's scatter pictures in step order, at half size.
fn snapshots(samples: &Path) -> Vec<image::RgbImage> {
    let mut paths: Vec<_> = std::fs::read_dir(samples)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter_map(|p| image::open(p).ok().map(|i| image::imageops::thumbnail(&i.to_rgb8(), 256, 256)))
        .collect()
}
