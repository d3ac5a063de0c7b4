//! The ganforge command line: `info`, `train`, `sample`.
//!
//! With no subcommand it runs the main job: dcgan28 on the embedded MNIST
//! subset, writing pictures into runs/dcgan-mnist5k/.

use clap::{Args, Parser, Subcommand};
use ganforge::gan::trainer::{sample_eval, save_images, LogRow};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "ganforge", version, about = "GANs on a from-scratch WGSL tensor engine")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Show the GPU adapter the engine picks, its backend and limits.
    Info,
    /// Train a GAN (defaults: dcgan28 on the embedded MNIST subset).
    Train(TrainArgs),
    /// Draw samples from a checkpoint into a picture grid.
    Sample(SampleArgs),
    /// Time every kernel family and the dcgan28 training step on this adapter.
    Bench(BenchArgs),
    /// Train the evaluation classifier whose features the metrics use.
    Classifier(ClassifierArgs),
    /// Score images with FID, KID, IS, precision/recall and class coverage.
    Eval(EvalArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Timed dcgan28 steps after the first (0: skip the step benchmark)
    #[arg(long, default_value_t = 5)]
    steps: usize,
}

#[derive(Args)]
struct TrainArgs {
    /// mlp, dcgan or cgan
    #[arg(long, default_value = "dcgan")]
    model: String,
    /// minimax, ns, wgan, wgan-gp, lsgan, hinge, or f:<divergence> (tv, kl, reverse-kl, pearson, neyman, hellinger, jeffrey, js, gan, alpha=<a>)
    #[arg(long, default_value = "ns")]
    loss: String,
    /// mnist5k (embedded), mnist:<images idx file>, folder:<dir>, ring or grid
    #[arg(long, default_value = "mnist5k")]
    dataset: String,
    #[arg(long, default_value_t = 600)]
    steps: usize,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate of both players (see --lr-d / --lr-g for TTUR)
    #[arg(long)]
    lr: Option<f32>,
    #[arg(long)]
    lr_d: Option<f32>,
    #[arg(long)]
    lr_g: Option<f32>,
    #[arg(long, default_value_t = 0.5)]
    beta1: f32,
    #[arg(long, default_value_t = 0.999)]
    beta2: f32,
    /// adam, rmsprop or sgd (default: rmsprop for wgan, adam otherwise)
    #[arg(long)]
    optimizer: Option<String>,
    /// Discriminator steps per generator step
    #[arg(long, default_value_t = 1)]
    k: usize,
    /// WGAN's weight-clipping bound
    #[arg(long, default_value_t = 0.01)]
    clip: f32,
    /// WGAN-GP's penalty weight
    #[arg(long, default_value_t = 10.0)]
    gp_lambda: f32,
    /// R1 penalty weight gamma (0: off)
    #[arg(long, default_value_t = 0.0)]
    r1: f32,
    /// One-sided label smoothing: the real label (e.g. 0.9)
    #[arg(long, default_value_t = 1.0)]
    real_label: f32,
    /// Instance noise std, annealed to 0 over the run
    #[arg(long, default_value_t = 0.0)]
    instance_noise: f32,
    /// Decay of the generator's EMA (e.g. 0.999; 0: off)
    #[arg(long, default_value_t = 0.0)]
    ema: f32,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 10)]
    log_every: usize,
    #[arg(long, default_value_t = 100)]
    sample_every: usize,
    #[arg(long, default_value_t = 200)]
    checkpoint_every: usize,
    /// Run folder (default: runs/<model>-<dataset>)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from a checkpoint (its config is used; --steps may extend it)
    #[arg(long)]
    resume: Option<PathBuf>,
}

#[derive(Args)]
struct SampleArgs {
    #[arg(long)]
    checkpoint: PathBuf,
    #[arg(long, default_value_t = 64)]
    n: usize,
    #[arg(long, default_value = "samples.png")]
    out: PathBuf,
    /// For a conditional model: draw only this class
    #[arg(long)]
    label: Option<usize>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info) => info(),
        Some(Command::Train(args)) => train(args),
        Some(Command::Sample(args)) => sample(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Classifier(args)) => classifier(args),
        Some(Command::Eval(args)) => eval(args),
        None => {
            println!("ganforge: training dcgan28 on the embedded MNIST subset (see `ganforge --help` for more)");
            train(default_train_args())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `train` with every option at its default.
fn default_train_args() -> TrainArgs {
    match Cli::parse_from(["ganforge", "train"]).command {
        Some(Command::Train(args)) => args,
        _ => unreachable!("`ganforge train` parses as the train command"),
    }
}

impl TrainArgs {
    fn config(&self) -> TrainConfig {
        let wgan = self.loss == "wgan";
        // WGAN's paper: RMSprop at 5e-5; everyone else: Adam at 2e-4.
        let default_lr = if wgan { 5e-5 } else { 2e-4 };
        let lr = self.lr.unwrap_or(default_lr);
        let dataset_name = self.dataset.split([':', '/']).next_back().unwrap_or("data").to_string();
        TrainConfig {
            model: self.model.clone(),
            loss: self.loss.clone(),
            dataset: self.dataset.clone(),
            steps: self.steps,
            batch: self.batch,
            lr_d: self.lr_d.unwrap_or(lr),
            lr_g: self.lr_g.unwrap_or(lr),
            beta1: self.beta1,
            beta2: self.beta2,
            optimizer: self.optimizer.clone().unwrap_or_else(|| if wgan { "rmsprop" } else { "adam" }.into()),
            d_steps: self.k,
            clip: self.clip,
            gp_lambda: self.gp_lambda,
            r1_gamma: self.r1,
            real_label: self.real_label,
            instance_noise: self.instance_noise,
            ema: self.ema,
            seed: self.seed,
            log_every: self.log_every,
            sample_every: self.sample_every,
            checkpoint_every: self.checkpoint_every,
            out: self.out.clone().unwrap_or_else(|| PathBuf::from(format!("runs/{}-{dataset_name}", self.model))),
        }
    }
}

fn train(args: TrainArgs) -> Result<(), String> {
    let mut trainer = match &args.resume {
        Some(checkpoint) => Trainer::resume(checkpoint, Some(args.steps)),
        None => Trainer::new(args.config()),
    }
    .map_err(|e| e.to_string())?;
    let config = trainer.config.clone();
    let gpu = ganforge::gpu::device();
    println!("device: {} ({:?})", gpu.info.name, gpu.info.backend);
    println!("run folder: {}", config.out.display());
    let bar = ProgressBar::new(config.steps as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise} < {eta_precise}]")
            .expect("valid template"),
    );
    bar.set_position(trainer.step as u64);
    let start = Instant::now();
    let first_step = trainer.step;
    let result = trainer.run(|row: &LogRow| {
        let rate = (row.step - first_step) as f64 / start.elapsed().as_secs_f64();
        let mut message = format!("D {:.3}  G {:.3}  {rate:.2} steps/s", row.d_loss, row.g_loss);
        if let Some(modes) = &row.modes {
            message +=
                &format!("  modes {}  high quality {:.1}%", modes.modes_covered, 100.0 * modes.high_quality_fraction);
        }
        bar.set_position(row.step as u64);
        bar.set_message(message.clone());
        if bar.is_hidden() {
            println!("step {}: {message}", row.step);
        }
    });
    bar.finish();
    result.map_err(|e| e.to_string())?;
    for (kernel, count, seconds) in gpu.profile_report() {
        println!("{seconds:9.3} s {count:7} dispatches  {kernel}");
    }
    println!(
        "done: {} steps in {:.1} s. Pictures: {}/samples/, losses.png; log: log.csv; checkpoint: checkpoint.safetensors",
        trainer.step - first_step,
        start.elapsed().as_secs_f64(),
        config.out.display()
    );
    Ok(())
}

fn sample(args: SampleArgs) -> Result<(), String> {
    let trainer = Trainer::load(&args.checkpoint, None).map_err(|e| e.to_string())?;
    let model = trainer.sampling_model();
    let z = Tensor::randn(&[args.n, model.latent_dim()], args.seed);
    let labels: Option<Vec<usize>> = model.classes().map(|classes| match args.label {
        Some(label) => vec![label.min(classes - 1); args.n],
        None => (0..args.n).map(|i| (i / 8) % classes).collect(),
    });
    let images = sample_eval(model, &z, labels.as_deref());
    save_images(&images, 8, &args.out).map_err(|e| e.to_string())?;
    println!("wrote {} samples to {}", args.n, args.out.display());
    Ok(())
}

fn bench(args: BenchArgs) -> Result<(), String> {
    use ganforge::bench;
    let gpu = ganforge::gpu::try_device().map_err(|e| e.to_string())?;
    let peaks = bench::peaks();
    let kernels = bench::kernels();
    let step = (args.steps > 0).then(|| bench::dcgan28_step(args.steps));
    if args.json {
        println!("{}", bench::json(&gpu.info.name, &kernels, &peaks, step));
        return Ok(());
    }
    println!("adapter: {} ({:?}, {:?})", gpu.info.name, gpu.info.backend, gpu.info.device_type);
    println!(
        "measured peaks: {:.1} GFLOP/s (FMA chains), {:.1} GB/s (vec4 copy)\n",
        peaks.flops_per_second / 1e9,
        peaks.bytes_per_second / 1e9
    );
    print!("{}", bench::table(&kernels, &peaks));
    if let Some((first, mean)) = step {
        println!("\ndcgan28 training step (batch 64): first {first:.2} s, then {mean:.2} s per step");
    }
    Ok(())
}

fn info() -> Result<(), String> {
    let gpu = ganforge::gpu::try_device().map_err(|e| e.to_string())?;
    let info = &gpu.info;
    let limits = &gpu.limits;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!("adapter:      {}", info.name);
    println!("backend:      {:?}", info.backend);
    println!("device type:  {:?}", info.device_type);
    println!("driver:       {} {}", info.driver, info.driver_info);
    println!("limits:");
    println!("  max_storage_buffer_binding_size    {:.1} MiB", mib(limits.max_storage_buffer_binding_size));
    println!("  max_buffer_size                    {:.1} MiB", mib(limits.max_buffer_size));
    println!("  max_compute_workgroup_storage_size {} bytes", limits.max_compute_workgroup_storage_size);
    println!("  max_compute_invocations_per_workgroup {}", limits.max_compute_invocations_per_workgroup);
    println!("  max_compute_workgroups_per_dimension  {}", limits.max_compute_workgroups_per_dimension);
    println!("  max_storage_buffers_per_shader_stage  {}", limits.max_storage_buffers_per_shader_stage);
    println!("features:");
    println!("  timestamp queries: {}", gpu.features.contains(wgpu::Features::TIMESTAMP_QUERY));
    Ok(())
}

#[derive(Args)]
struct ClassifierArgs {
    /// mnist5k (the embedded digits, split 4,000 / 1,000) or fashion (Fashion-MNIST's 60k / 10k)
    #[arg(long, default_value = "mnist5k")]
    dataset: String,
    /// Where to write the weights (default: data/classifier-<dataset>.safetensors)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Passes over the training images (default: the committed recipe's)
    #[arg(long)]
    epochs: Option<usize>,
}

#[derive(Args)]
struct EvalArgs {
    /// Score the held-out real digits against the training digits: the floor of every table
    #[arg(long)]
    real: bool,
    /// Classifier weights (default: the committed MNIST classifier)
    #[arg(long)]
    classifier: Option<PathBuf>,
    /// Write the JSON report here
    #[arg(long)]
    json: Option<PathBuf>,
}

fn classifier(args: ClassifierArgs) -> Result<(), String> {
    use ganforge::metrics::training::{train, Recipe};
    let split = ganforge::metrics::digits::split(&args.dataset).map_err(|e| e.to_string())?;
    let mut recipe = Recipe::default();
    recipe.epochs = args.epochs.unwrap_or(recipe.epochs);
    let out = args.out.unwrap_or_else(|| PathBuf::from(format!("data/classifier-{}.safetensors", args.dataset)));
    println!("training on {} images, testing on {} ({})", split.train.len(), split.held_out.len(), recipe.describe());
    let bar = ProgressBar::new(recipe.steps(split.train.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {msg}  [{elapsed_precise}]").expect("valid template"),
    );
    let start = Instant::now();
    let classifier = train(&split.train, &recipe, |step, _, loss| {
        bar.set_position(step as u64);
        if step % 50 == 0 {
            bar.set_message(format!("loss {:.4}", loss.item()));
            if bar.is_hidden() {
                println!("step {step}: loss {:.4}", loss.item());
            }
        }
    })
    .map_err(|e| e.to_string())?;
    bar.finish();
    let report = ganforge::metrics::training::save_trained(&classifier, &split, &recipe, &args.dataset, &out)
        .map_err(|e| e.to_string())?;
    println!("{report}");
    println!("done in {:.1} s; weights: {}", start.elapsed().as_secs_f64(), out.display());
    Ok(())
}

fn eval(args: EvalArgs) -> Result<(), String> {
    use ganforge::metrics::report::Evaluator;
    if !args.real {
        return Err("give --real to score held-out real digits (scoring a checkpoint comes with --checkpoint)".into());
    }
    let weights = args.classifier.unwrap_or_else(ganforge::metrics::classifier::default_weights_path);
    let report = Evaluator::mnist5k(&weights).map_err(|e| e.to_string())?.real_floor();
    print!("{}", report.table());
    if let Some(path) = args.json {
        std::fs::write(&path, report.to_json()).map_err(|e| format!("could not write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
