//! The ganforge command line: `info`, `train`, `sample`.
//!
//! With no subcommand it runs the main job: dcgan28 on the embedded MNIST
//! subset, writing pictures into runs/dcgan-mnist5k/.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use ganforge::explore::concepts::{Concept, ConceptKind, PIXELS, SIDE};
use ganforge::explore::dissection::Dissection;
use ganforge::explore::inversion::Inversion;
use ganforge::gan::families::stylegan::Stylegan;
use ganforge::gan::families::stylegan2::{Stylegan2, Stylegan2Generator};
use ganforge::gan::family::Sampler;
use ganforge::gan::nets::style::{StyleGenerator, Synthesis};
use ganforge::gan::prior::Prior;
use ganforge::gan::trainer::{
    checkpoint_shape, initial_family, load_family, load_sampler, sample_eval, sample_many, save_images,
    GeneratorWeights, LogRow, ResumeChanges,
};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::metrics::classifier::{weights_path, Classifier};
use ganforge::metrics::report::{padding_of, scoring_dataset, Evaluator};
use ganforge::nn::Module;
use ganforge::Tensor;
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser)]
#[command(name = "ganforge", version, about = "GANs on a from-scratch WGSL tensor engine")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

// TrainArgs is large next to the other variants, but the enum is parsed
// once per process: boxing it would only add noise.
#[allow(clippy::large_enum_variant)]
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
    /// Find the latents whose images are closest to given pictures (GAN inversion).
    Invert(InvertArgs),
    /// Score an encoder's features (BiGAN, VEEGAN) by a linear probe on a few labels.
    Probe(ProbeArgs),
    /// Match a layer's units to parts of the digits and switch them off and on (GAN dissection).
    Dissect(DissectArgs),
    /// Learn a latent direction that shifts, zooms, brightens or thickens the digits (GAN steering).
    Steer(SteerArgs),
    /// Serve the browser GAN Playground (built by playground/build.sh) on 127.0.0.1.
    Playground(PlaygroundArgs),
    /// Render datasets from installed npm packages into the standard folder layouts.
    #[command(subcommand)]
    Data(DataCommand),
}

#[derive(Subcommand)]
enum DataCommand {
    /// OpenMoji outline|colour pairs for pix2pix: OUT/{train,val,test}/X.png, each 2*size x size
    Openmoji {
        /// The tarball of `npm pack openmoji@17.0.0`
        openmoji: PathBuf,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// OpenMoji colour (A) and Twemoji colour (B) for CycleGAN: OUT/{trainA,trainB,testA,testB}/
    OpenmojiTwemoji {
        /// The tarball of `npm pack openmoji@17.0.0`
        openmoji: PathBuf,
        /// The tarball of `npm pack @twemoji/svg@15.0.0`
        twemoji: PathBuf,
        #[command(flatten)]
        render: RenderArgs,
    },
    /// DiceBear avatars beside their part label maps, for SPADE: OUT/{train,test}/NAME.png, labels|avatar
    Dicebear {
        /// The folder of NAME.image.svg and NAME.labels.svg files written by tools/dicebear/make_avatars.mjs
        svgs: PathBuf,
        #[command(flatten)]
        render: RenderArgs,
    },
}

#[derive(Args)]
struct RenderArgs {
    /// Side of one rendered emoji in pixels
    #[arg(long, default_value_t = 64)]
    size: u32,
    /// Output folder (new or empty)
    #[arg(long)]
    out: PathBuf,
    /// Keep one emoji (or avatar) in this many, chosen by hash (1: all; the committed data/emoji32 subset: 6)
    #[arg(long, default_value_t = 1)]
    keep_one_in: u64,
}

#[derive(Args)]
struct BenchArgs {
    /// Print JSON instead of a table
    #[arg(long)]
    json: bool,
    /// Timed dcgan28 steps after the first (0: skip the step benchmark)
    #[arg(long, default_value_t = 5)]
    steps: usize,
    /// Instead of the kernel table, time a kernel's variants: `gemm` times every
    /// blocking of the tiled GEMM core on the GEMM shapes of dcgan28 and StyleGAN2
    #[arg(long, value_enum)]
    sweep: Option<Sweep>,
    /// Measure the fastest GEMM blocking per shape class on this adapter and
    /// keep it in the user's cache folder, where every later run reads it
    /// (minutes on a CPU adapter; delete the file to return to the built-in table)
    #[arg(long, conflicts_with = "sweep")]
    tune: bool,
    /// After the kernels, time a training step of each family (dcgan28,
    /// ProGAN, StyleGAN and StyleGAN2 at 32x32, pix2pix, CycleGAN) with its peak device memory
    #[arg(long, conflicts_with_all = ["sweep", "tune", "json"])]
    families: bool,
}

/// The variant sweeps of `ganforge bench --sweep`.
#[derive(Clone, Copy, ValueEnum)]
enum Sweep {
    /// Every blocking of the GEMM core (ops/gemm.rs) on each GEMM of dcgan28
    /// and of StyleGAN2's narrow layers
    Gemm,
}

#[derive(Args)]
struct TrainArgs {
    /// mlp, dcgan, cgan, bigan (BiGAN/ALI: an encoder and a joint D), veegan (a reconstructor and a joint D), progan (nets growing from 4x4), stylegan (a mapping network and styles), stylegan2 (modulated convolutions, skip G, residual D), pix2pix (image-to-image, with --dataset pairs:<dir>), cyclegan (unpaired, with --dataset unpaired:<dir>), alignflow (unpaired, two normalizing flows sharing a latent space) or spade (label maps to pictures, with --dataset pairs:<dir> from `ganforge data dicebear`)
    #[arg(long, default_value = "dcgan")]
    model: String,
    /// minimax, ns, wgan, wgan-gp, lsgan, hinge, or f:<divergence> (tv, kl, reverse-kl, pearson, neyman, hellinger, jeffrey, js, gan, alpha=<a>, js-weighted=<pi>) (default: ns; wgan-gp for progan; lsgan for cyclegan and alignflow; hinge for spade)
    #[arg(long)]
    loss: Option<String>,
    /// mnist5k (embedded), mnist5k-32 (padded to 32x32), fashion (Debian's dataset-fashion-mnist), fashion-32, stacked-mnist, mnist:<images idx file>, folder:<dir>, pairs:<dir> (A|B pictures in <dir>/train/), unpaired:<dir> (<dir>/trainA/, trainB/), ring or grid
    #[arg(long, default_value = "mnist5k")]
    dataset: String,
    /// folder:<dir> only: side the pictures are resized to (default: 32 for progan, stylegan and stylegan2, whose
    /// nets take any power of two; 64 for dcgan; 28 for the rest)
    #[arg(long, default_value_t = 0, hide_default_value = true)]
    image_size: u32,
    /// Steps to train (on --resume: the new total; default: the checkpoint's)
    #[arg(long)]
    steps: Option<usize>,
    #[arg(long, default_value_t = 64)]
    batch: usize,
    /// Learning rate of both players (default: the loss's paper; see --lr-d / --lr-g for TTUR)
    #[arg(long, allow_hyphen_values = true)]
    lr: Option<f32>,
    #[arg(long, allow_hyphen_values = true)]
    lr_d: Option<f32>,
    #[arg(long, allow_hyphen_values = true)]
    lr_g: Option<f32>,
    /// Adam's beta1 (default: 0.5; 0 for wgan-gp on images)
    #[arg(long, allow_hyphen_values = true)]
    beta1: Option<f32>,
    /// Adam's beta2 (default: 0.999; 0.9 for wgan-gp)
    #[arg(long, allow_hyphen_values = true)]
    beta2: Option<f32>,
    /// adam, rmsprop or sgd (default: rmsprop for wgan, adam otherwise)
    #[arg(long)]
    optimizer: Option<String>,
    /// Discriminator steps per generator step (default: 5 for wgan and wgan-gp, 1 otherwise)
    #[arg(long)]
    k: Option<usize>,
    /// PacGAN: the discriminator judges packs of this many samples (Lin et al.; 2, 3 or 4 in the paper)
    #[arg(long, default_value_t = 1)]
    pack: usize,
    /// WGAN's weight-clipping bound
    #[arg(long, default_value_t = 0.01, allow_hyphen_values = true)]
    clip: f32,
    /// WGAN-GP's penalty weight (default: 10; 0.1 on the 2D ring and grid)
    #[arg(long, allow_hyphen_values = true)]
    gp_lambda: Option<f32>,
    /// R1 penalty weight gamma (0: off) (default: 0; 10 for stylegan and stylegan2, applied every 16th D step there)
    #[arg(long, allow_hyphen_values = true)]
    r1: Option<f32>,
    /// One-sided label smoothing: the real label (e.g. 0.9)
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    real_label: f32,
    /// Instance noise std, annealed to 0 over the run
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    instance_noise: f32,
    /// Decay of the generator's EMA (e.g. 0.999; 0: off) (default: 0; 0.999 for progan)
    #[arg(long, allow_hyphen_values = true)]
    ema: Option<f32>,
    /// The latent prior: normal (N(0, I)) or uniform (U(-1, 1))
    #[arg(long, default_value = "normal")]
    prior: String,
    /// Train G by feature matching (Salimans et al.) instead of the loss's G term
    #[arg(long)]
    feature_matching: bool,
    /// Unrolled GAN: G's loss against D after this many differentiable look-ahead updates (0: off; the paper: 5, 10)
    #[arg(long, default_value_t = 0)]
    unroll: usize,
    /// BiGAN's encoder: deterministic, or stochastic (ALI's Gaussian, reparameterised)
    #[arg(long, default_value = "deterministic")]
    encoder: String,
    /// ProGAN: real images shown in each fade-in phase and each stabilising phase
    #[arg(long, default_value_t = 6000)]
    phase_images: usize,
    /// ProGAN: the batch at each resolution from 4x4 up, comma-separated (e.g. 64,64,32,16; default: --batch at all)
    #[arg(long, default_value = "")]
    level_batches: String,
    /// ProGAN and StyleGAN: feature maps of both nets at 4x4 and 8x8, halved per doubling after (default 64); pix2pix: maps of the U-Net's outer level and the PatchGAN's first layer (default 16; the paper: 64); cyclegan: maps of the ResNet generators' first layer and the PatchGANs' (default 16; the paper: 64); alignflow: maps of the coupling layers' nets and the PatchGANs' first layer (default 32, the reference code's); spade: maps of the generator's last block and of the discriminators' first layers (default 16; the paper: 64)
    #[arg(long)]
    features: Option<usize>,
    /// pix2pix: weight of the L1 distance to the target in G's loss (the paper's lambda)
    #[arg(long, default_value_t = 100.0, allow_hyphen_values = true)]
    l1_weight: f32,
    /// pix2pix, cyclegan and alignflow: side of the patch each PatchGAN logit sees: 1 (PixelGAN), 16, 34 or 70 (the paper's)
    #[arg(long, default_value_t = 70)]
    patch: usize,
    /// pix2pix: the generator, unet (the paper's) or resnet (CycleGAN's ResNet blocks)
    #[arg(long, default_value = "unet")]
    generator: String,
    /// StyleGAN: dense layers of the mapping network z -> w (the paper: 8)
    #[arg(long, default_value_t = 8)]
    mapping_layers: usize,
    /// StyleGAN: values of z and w, and width of the mapping layers (the paper: 512)
    #[arg(long, default_value_t = 128)]
    mapping_width: usize,
    /// StyleGAN: fraction of batches drawn with two w's and a random crossover layer (the paper: 0.9)
    #[arg(long, default_value_t = 0.9)]
    style_mixing: f32,
    /// StyleGAN2: weight of the path-length penalty, applied every 4th generator step (0: off) (default: 2, the paper's)
    #[arg(long, allow_hyphen_values = true)]
    path_length_weight: Option<f32>,
    /// cyclegan: weight of the cycle-consistency L1 terms (the paper's lambda)
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    cycle_weight: f32,
    /// cyclegan: weight of the identity L1 terms (the paper's 0.5 lambda)
    #[arg(long, default_value_t = 5.0, allow_hyphen_values = true)]
    identity_weight: f32,
    /// alignflow: weight lambda_mle of the flows' negative log-likelihood in nats per picture (the reference code's run: 1e-4)
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    mle_weight: f32,
    /// alignflow: start both flows from the same weights, so the translations start as the identity (the reference code
    /// starts them independently)
    #[arg(long)]
    shared_start: bool,
    /// spade: weight of the feature-matching loss on the discriminators' hidden layers (the paper's lambda)
    #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
    fm_weight: f32,
    /// Learning-rate schedule: constant, or linear-decay:START (constant until step START, then linearly to 0;
    /// linear-decay alone: from half the run) (default: constant; linear-decay for cyclegan and alignflow)
    #[arg(long)]
    lr_schedule: Option<String>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    #[arg(long, default_value_t = 10)]
    log_every: usize,
    #[arg(long, default_value_t = 100)]
    sample_every: usize,
    #[arg(long, default_value_t = 200)]
    checkpoint_every: usize,
    /// Score the generator every this many steps (FID, IS, precision/recall, on 1,000 samples; 0: off).
    /// Default: four times a run on MNIST and Fashion-MNIST, off on other data
    #[arg(long)]
    eval_every: Option<usize>,
    /// Run folder (default: runs/<model>-<dataset>; on --resume: the checkpoint's folder)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Continue from a checkpoint: its config is used; --steps, --lr*, --out and --dataset may change
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Start a fresh run in a folder that already holds one, replacing its log and checkpoint
    #[arg(long, conflicts_with = "resume")]
    overwrite: bool,
}

#[derive(Args)]
struct SampleArgs {
    #[arg(long)]
    checkpoint: PathBuf,
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// The picture to write (.png, .jpg or .jpeg)
    #[arg(long, default_value = "samples.png")]
    out: PathBuf,
    /// For a conditional model: draw only this class
    #[arg(long)]
    label: Option<usize>,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Draw from the trained generator, not its moving average (for runs with --ema)
    #[arg(long)]
    no_ema: bool,
    /// For pix2pix: a folder of pictures to translate (A|B pairs, whose A halves are translated, or plain pictures)
    #[arg(long)]
    input: Option<PathBuf>,
    /// StyleGAN: the truncation trick's psi, w = w_avg + psi (w - w_avg) (1: none; 0: the mean image)
    #[arg(long, allow_hyphen_values = true)]
    truncation: Option<f32>,
    /// StyleGAN: also write the style-mixing, truncation, noise and Z/W interpolation pictures into this folder
    #[arg(long)]
    style_pictures: Option<PathBuf>,
    /// StyleGAN and StyleGAN2: print the droplet check instead, how peaked each layer's feature maps are (StyleGAN2: with and without demodulation; StyleGAN: before AdaIN)
    #[arg(long)]
    feature_magnitudes: bool,
}

#[derive(Args)]
struct InvertArgs {
    /// The run whose generator is searched
    #[arg(long)]
    checkpoint: PathBuf,
    /// A folder of pictures to invert (default: held-out digits of the run's dataset)
    #[arg(long)]
    input: Option<PathBuf>,
    /// How many pictures: the folder's first, or the first held-out digits
    #[arg(long, default_value_t = 64)]
    n: usize,
    /// Adam steps on the latents (0 with an encoder: its reconstructions G(E(x)) alone)
    #[arg(long, default_value_t = 300)]
    steps: usize,
    #[arg(long, default_value_t = 0.05)]
    lr: f32,
    /// Weight of the evaluation classifier's feature distance beside the pixel distance (0: pixels only)
    #[arg(long, default_value_t = 1.0)]
    feature_weight: f32,
    /// Search the trained generator, not its moving average (for runs with --ema)
    #[arg(long)]
    no_ema: bool,
    /// Start every search at z = 0, even when the model has an encoder (BiGAN, VEEGAN) to start from
    #[arg(long)]
    from_zero: bool,
    /// Output folder (default: inversion/ beside the checkpoint)
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct ProbeArgs {
    /// A BiGAN or VEEGAN run on mnist5k or fashion, whose encoder is probed
    #[arg(long)]
    checkpoint: PathBuf,
    /// Labelled training digits per class, one probe each (comma-separated)
    #[arg(long, value_delimiter = ',', default_values_t = [10, 100, 400])]
    labels: Vec<usize>,
    /// Full-batch Adam steps of each probe
    #[arg(long, default_value_t = 500)]
    steps: usize,
}

#[derive(Args)]
struct DissectArgs {
    /// The run whose generator is dissected (a dcgan on 28x28 digits)
    #[arg(long)]
    checkpoint: PathBuf,
    /// Cut the generator after this layer (default: the last one with more than one map; a wrong one lists the choices)
    #[arg(long)]
    layer: Option<usize>,
    /// Generated samples to dissect
    #[arg(long, default_value_t = 500)]
    samples: usize,
    /// A unit fires where its upsampled activation exceeds this quantile of all of its values
    #[arg(long, default_value_t = 0.95)]
    quantile: f32,
    /// Units switched off (ablation) or forced on (insertion) per concept
    #[arg(long, default_value_t = 4)]
    units: usize,
    /// Dissect the trained generator, not its moving average (for runs with --ema)
    #[arg(long)]
    no_ema: bool,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (default: dissection/ beside the checkpoint)
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
struct PlaygroundArgs {
    /// Port on 127.0.0.1
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// The page's folder (default: playground/www of the source tree this binary was built from)
    #[arg(long)]
    dir: Option<PathBuf>,
}

#[derive(Args)]
struct SteerArgs {
    /// The run whose generator is steered
    #[arg(long)]
    checkpoint: PathBuf,
    /// The edit the walk learns: shift, zoom, brightness or thickness
    #[arg(long)]
    edit: String,
    /// Adam steps on the direction
    #[arg(long, default_value_t = 300)]
    steps: usize,
    /// Latents per step, each with its own alpha
    #[arg(long, default_value_t = 32)]
    batch: usize,
    #[arg(long, default_value_t = 0.01)]
    lr: f32,
    /// Rows of the strips (latents shown)
    #[arg(long, default_value_t = 8)]
    n: usize,
    /// Latents the asked-against-achieved table is measured on
    #[arg(long, default_value_t = 100)]
    samples: usize,
    /// Steer the trained generator, not its moving average (for runs with --ema)
    #[arg(long)]
    no_ema: bool,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output folder (default: steering-<edit>/ beside the checkpoint)
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A progress bar over `total` things of a kind (`unit`: "steps",
/// "pictures"), with a message slot and the time left.
fn progress_bar(total: usize, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{{bar:30}} {{pos}}/{{len}} {unit}  {{msg}}  [{{elapsed_precise}} < {{eta_precise}}]"
        ))
        .expect("a template written here is valid"),
    );
    bar
}

/// `--no-ema` as the generator to load.
fn generator_weights(no_ema: bool) -> GeneratorWeights {
    if no_ema {
        GeneratorWeights::Trained
    } else {
        GeneratorWeights::Averaged
    }
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // A GANFORGE_PROFILE the device would refuse is refused before any work.
    if let Err(message) = ganforge::gpu::profile::Mode::from_env() {
        eprintln!("error: {message}");
        return ExitCode::FAILURE;
    }
    let result = match cli.command {
        Some(Command::Info) => info(),
        Some(Command::Train(args)) => {
            let given = matches.subcommand_matches("train").map(given_flags).unwrap_or_default();
            train(args, &given)
        }
        Some(Command::Sample(args)) => sample(args),
        Some(Command::Bench(args)) => bench(args),
        Some(Command::Classifier(args)) => classifier(args),
        Some(Command::Eval(args)) => eval(args),
        Some(Command::Invert(args)) => invert(args),
        Some(Command::Probe(args)) => probe(args),
        Some(Command::Dissect(args)) => dissect(args),
        Some(Command::Steer(args)) => steer(args),
        Some(Command::Playground(args)) => playground(args),
        Some(Command::Data(command)) => data(command),
        None => {
            println!(
                "ganforge: training dcgan28 on the embedded MNIST subset: `ganforge train {}` \
                 (see `ganforge --help` for more)",
                MAIN_JOB.join(" ")
            );
            train(main_job_args(), &[])
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

/// The flags given on the command line (not defaulted), by argument id.
fn given_flags(matches: &ArgMatches) -> Vec<String> {
    matches
        .ids()
        .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
        .map(|id| id.to_string())
        .collect()
}

/// The main job's flags (`cargo run --release` with no subcommand): dcgan28
/// with the non-saturating loss, as `ganforge train` defaults, but tuned for
/// the best FID in about 10 minutes on lavapipe: 2.5 times DCGAN's learning
/// rate and half its batch, so 900 updates fit where 600 did (FID 131 against
/// 198 for the paper's settings at equal time; the evaluation chapter of the
/// book has the measurements). `ganforge train` itself keeps the papers' settings.
const MAIN_JOB: [&str; 6] = ["--lr", "5e-4", "--batch", "32", "--steps", "900"];

/// `train` with the main job's flags.
fn main_job_args() -> TrainArgs {
    match Cli::parse_from(["ganforge", "train"].into_iter().chain(MAIN_JOB)).command {
        Some(Command::Train(args)) => args,
        _ => unreachable!("`ganforge train` parses as the train command"),
    }
}

impl TrainArgs {
    /// The loss given, or the model's own: WGAN-GP for ProGAN, LSGAN for CycleGAN, the non-saturating loss otherwise.
    fn loss(&self) -> String {
        let own = match self.model.as_str() {
            "progan" => "wgan-gp",
            "cyclegan" | "alignflow" => "lsgan",
            "spade" => "hinge",
            _ => "ns",
        };
        self.loss.clone().unwrap_or_else(|| own.to_string())
    }

    /// The run's config: the loss's paper defaults, then the flags given.
    fn config(&self) -> TrainConfig {
        let paper = TrainConfig::for_model(&self.model, &self.loss(), &self.dataset);
        let lr_d = self.lr_d.or(self.lr).unwrap_or(paper.lr_d);
        let lr_g = self.lr_g.or(self.lr).unwrap_or(paper.lr_g);
        let dataset_name = self.dataset.split([':', '/']).next_back().unwrap_or("data").to_string();
        let steps = self.steps.unwrap_or(paper.steps);
        TrainConfig {
            model: self.model.clone(),
            dataset: self.dataset.clone(),
            image_size: self.image_size,
            steps,
            batch: self.batch,
            lr_d,
            lr_g,
            beta1: self.beta1.unwrap_or(paper.beta1),
            beta2: self.beta2.unwrap_or(paper.beta2),
            optimizer: self.optimizer.clone().unwrap_or(paper.optimizer.clone()),
            d_steps: self.k.unwrap_or(paper.d_steps),
            pack: self.pack,
            clip: self.clip,
            gp_lambda: self.gp_lambda.unwrap_or(paper.gp_lambda),
            r1_gamma: self.r1.unwrap_or(paper.r1_gamma),
            real_label: self.real_label,
            instance_noise: self.instance_noise,
            ema: self.ema.unwrap_or(paper.ema),
            prior: self.prior.clone(),
            feature_matching: self.feature_matching,
            unroll: self.unroll,
            encoder: self.encoder.clone(),
            phase_images: self.phase_images,
            level_batches: self.level_batches.clone(),
            features: self.features.unwrap_or(paper.features),
            l1_weight: self.l1_weight,
            patch: self.patch,
            generator: self.generator.clone(),
            mapping_layers: self.mapping_layers,
            mapping_width: self.mapping_width,
            style_mixing: self.style_mixing,
            path_length_weight: self.path_length_weight.unwrap_or(paper.path_length_weight),
            cycle_weight: self.cycle_weight,
            identity_weight: self.identity_weight,
            mle_weight: self.mle_weight,
            shared_start: self.shared_start,
            fm_weight: self.fm_weight,
            lr_schedule: self.lr_schedule.clone().unwrap_or(paper.lr_schedule.clone()),
            seed: self.seed,
            log_every: self.log_every,
            sample_every: self.sample_every,
            checkpoint_every: self.checkpoint_every,
            // Scored by default where the data's classifier is at hand (Fashion-MNIST's
            // is trained by the user: without it a run trains and says how to score it).
            eval_every: self.eval_every.unwrap_or_else(|| match scoring_dataset(&self.dataset) {
                Some(scoring) if weights_path(scoring).exists() => (steps / 4).max(1),
                _ => 0,
            }),
            out: self.out.clone().unwrap_or_else(|| PathBuf::from(format!("runs/{}-{dataset_name}", self.model))),
            ..paper
        }
    }

    /// What a resumed run changes. Flags that would change anything else are
    /// refused, naming the flag and the value the run was trained with.
    fn resume_changes(&self, checkpoint: &Path, given: &[String]) -> Result<ResumeChanges, String> {
        let trained = Trainer::checkpoint_config(checkpoint).map_err(|e| e.to_string())?;
        let asked = self.config();
        for flag in
            given.iter().filter(|f| !["resume", "steps", "lr", "lr_d", "lr_g", "out", "dataset"].contains(&f.as_str()))
        {
            let key = match flag.as_str() {
                "k" => "d_steps",
                "r1" => "r1_gamma",
                other => other,
            };
            let (was, now) = (trained.value_of(key), asked.value_of(key));
            if was != now {
                return Err(format!(
                    "--{} cannot change when resuming (the run was trained with {key} = {}); only --steps, --lr, \
                     --lr-d, --lr-g, --out and --dataset may",
                    flag.replace('_', "-"),
                    was.unwrap_or_default()
                ));
            }
        }
        let given_any = |names: &[&str]| names.iter().any(|n| given.iter().any(|g| g == n));
        Ok(ResumeChanges {
            steps: self.steps,
            lr_d: given_any(&["lr", "lr_d"]).then_some(asked.lr_d),
            lr_g: given_any(&["lr", "lr_g"]).then_some(asked.lr_g),
            out: self.out.clone(),
            dataset: given_any(&["dataset"]).then(|| self.dataset.clone()),
        })
    }
}

fn train(args: TrainArgs, given: &[String]) -> Result<(), String> {
    let mut trainer = match &args.resume {
        Some(checkpoint) => {
            let changes = args.resume_changes(checkpoint, given)?;
            let (trainer, noted) = Trainer::resume(checkpoint, &changes).map_err(|e| e.to_string())?;
            for change in noted {
                println!("resume changes {change}");
            }
            trainer
        }
        None if args.overwrite => Trainer::overwrite(args.config()).map_err(|e| e.to_string())?,
        None => Trainer::new(args.config()).map_err(|e| e.to_string())?,
    };
    let config = trainer.config.clone();
    let gpu = ganforge::gpu::device();
    println!("device: {} ({:?})", gpu.info.name, gpu.info.backend);
    println!("run folder: {}", config.out.display());
    let bar = progress_bar(config.steps, "steps");
    bar.set_position(trainer.step as u64);
    let start = Instant::now();
    let first_step = trainer.step;
    let result = trainer.run(|row: &LogRow| {
        let rate = (row.step - first_step) as f64 / start.elapsed().as_secs_f64();
        let losses: Vec<String> = row.losses.iter().map(|(name, v)| format!("{name} {v:.3}")).collect();
        let mut message = format!("{}  {rate:.2} steps/s", losses.join("  "));
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
    if let Some(profiler) = gpu.profiler() {
        // The peaks take about a second to measure (not profiled): worth it
        // for the table's fraction-of-peak column.
        let peaks = profiler.paused(ganforge::bench::peaks);
        print_profile(profiler, &peaks, &config.out.join("trace.json"))?;
    }
    println!(
        "done: {} steps in {:.1} s. Pictures: {}/samples/, losses.png; log: log.csv; checkpoint: checkpoint.safetensors",
        trainer.step - first_step,
        start.elapsed().as_secs_f64(),
        config.out.display()
    );
    for (name, value) in trainer.family().held_out_scores() {
        println!("{name}: {}", score_text(value));
    }
    let checkpoint = config.out.join("checkpoint.safetensors");
    score_run(&checkpoint, &config)?;
    let folder = config.out.join("style");
    match config.model.as_str() {
        "stylegan" => write_style_pictures(
            &Stylegan::load_generator(&checkpoint, GeneratorWeights::Averaged)?,
            1.0,
            config.seed,
            &folder,
        )?,
        "stylegan2" => {
            let generator = Stylegan2::load_generator(&checkpoint, GeneratorWeights::Averaged)?;
            write_style_pictures(&generator, 1.0, config.seed, &folder)?;
            write_feature_magnitudes(&generator, config.seed, &folder)?;
        }
        _ => {}
    }
    Ok(())
}

/// StyleGAN2's droplet check: the feature maps' peak-to-mean magnitude per
/// layer with and without demodulation, printed and written as CSV into `folder`.
fn write_feature_magnitudes(generator: &Stylegan2Generator, seed: u64, folder: &Path) -> Result<(), String> {
    use ganforge::explore::droplets::{feature_magnitudes, magnitude_table, STYLEGAN2_GROUPS};
    let (text, csv) = magnitude_table(&STYLEGAN2_GROUPS, &feature_magnitudes(generator, seed));
    print!("{text}");
    let path = folder.join("feature_magnitudes.csv");
    std::fs::write(&path, csv).map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// StyleGAN's four pictures into `folder`, and what they measured.
fn write_style_pictures<S: Synthesis>(
    generator: &StyleGenerator<S>,
    psi: f32,
    seed: u64,
    folder: &Path,
) -> Result<(), String> {
    let pictures = ganforge::explore::style::write_style_pictures(generator, psi, seed, folder)?;
    let names: Vec<String> = pictures.files.iter().map(|f| f.display().to_string()).collect();
    println!("style pictures: {}", names.join(", "));
    println!(
        "noise: per-pixel standard deviation over noise draws, mean {:.4} (pixels in [-1, 1])",
        pictures.mean_noise_std
    );
    Ok(())
}

/// The Stacked MNIST mode count of a generator of 3x28x28 images, drawn
/// 500 at a time, as a text line beside the published DCGAN figure and as JSON.
fn stacked_mnist_modes(
    model: &dyn Sampler,
    prior: Prior,
    classifier: &Path,
    seed: u64,
) -> Result<(String, String), String> {
    use ganforge::metrics::stacked_mnist::{stacked_mnist_modes, MODES, SAMPLES};
    const CHUNK: usize = 500;
    let (classifier, _) = ganforge::metrics::classifier::Classifier::load(classifier).map_err(|e| e.to_string())?;
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let batches = (0..SAMPLES / CHUNK).map(|_| sample_many(model, prior, CHUNK, &mut rng).0);
    let coverage = stacked_mnist_modes(&classifier, batches).map_err(|e| e.to_string())?;
    let text = format!(
        "Stacked MNIST, {SAMPLES} samples: {} of {MODES} modes, KL to uniform {:.3} \
         (DCGAN in VEEGAN's Table 2: 99 modes, KL 3.40; all modes equally often: 1000, 0)\n",
        coverage.covered, coverage.kl_to_uniform
    );
    let json = format!(
        "{{\n\"samples\": {SAMPLES},\n\"modes_covered\": {},\n\"kl_to_uniform\": {}\n}}\n",
        coverage.covered, coverage.kl_to_uniform
    );
    Ok((text, json))
}

/// The seed of the latents `eval` scores a generator with unless given
/// `--seed`; the score at the end of a run uses it too.
const EVAL_SEED: u64 = 1;

/// How many samples the end of a run scores (`eval --n 2000` repeats it).
const RUN_SCORE_SAMPLES: usize = 2000;

/// The end of a run: its checkpoint scored as `ganforge eval --checkpoint
/// CHECKPOINT --n 2000` scores it (a generator loaded fresh from the file,
/// latents from `EVAL_SEED`), so the run's eval.json and a later `eval` agree
/// to every digit; the table also goes to eval.json. Without the classifier
/// (Fashion-MNIST's is trained by the user), says how to score the run later
/// instead of failing it.
fn score_run(checkpoint: &Path, config: &TrainConfig) -> Result<(), String> {
    let Some(scoring) = scoring_classifier(&config.dataset) else { return Ok(()) };
    let weights = weights_path(scoring);
    if !weights.exists() {
        println!(
            "not scored: no {scoring} classifier at {}; train it with `ganforge classifier --dataset {scoring}`, \
             then `ganforge eval --checkpoint {} --n {RUN_SCORE_SAMPLES}`",
            weights.display(),
            checkpoint.display()
        );
        return Ok(());
    }
    let (model, _) = load_sampler(checkpoint, GeneratorWeights::Averaged).map_err(|e| e.to_string())?;
    let (text, json) = generator_scores(model.as_ref(), config, RUN_SCORE_SAMPLES, EVAL_SEED, None)?;
    if config.dataset != "stacked-mnist" {
        println!("scores of {RUN_SCORE_SAMPLES} samples (the {scoring} classifier's features; not Inception's):");
    }
    print!("{text}");
    let path = checkpoint.with_file_name("eval.json");
    std::fs::write(&path, json).map_err(|e| format!("could not write {}: {e}", path.display()))
}

/// Which classifier scores runs on `dataset` (Stacked MNIST's modes are
/// read by the MNIST one); None where none does.
fn scoring_classifier(dataset: &str) -> Option<&'static str> {
    if dataset == "stacked-mnist" {
        Some("mnist5k")
    } else {
        scoring_dataset(dataset)
    }
}

/// The scores of `model`, the generator of a run with `config`, on `n`
/// samples whose latents follow from `seed`, by the classifier `classifier`
/// (default: the run's data's): the report as a table and as JSON. A Stacked
/// MNIST run's modes are counted instead (always on 26,000 samples).
fn generator_scores(
    model: &dyn Sampler,
    config: &TrainConfig,
    n: usize,
    seed: u64,
    classifier: Option<&Path>,
) -> Result<(String, String), String> {
    let Some(scoring) = scoring_classifier(&config.dataset) else {
        return Err(format!(
            "the run was trained on --dataset {}, which no shipped classifier scores \
             (eval scores mnist5k, MNIST files, fashion, their 32x32 paddings and stacked-mnist models)",
            config.dataset
        ));
    };
    let weights = classifier.map_or_else(|| weights_path(scoring), Path::to_path_buf);
    let prior = Prior::parse(&config.prior)?;
    if config.dataset == "stacked-mnist" {
        return stacked_mnist_modes(model, prior, &weights, seed);
    }
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let (images, labels) = sample_many(model, prior, n, &mut rng);
    let comparison = Evaluator::new(scoring, &weights)
        .and_then(|evaluator| evaluator.compare(&images, labels.as_deref()))
        .map_err(|e| e.to_string())?;
    Ok((comparison.table(), comparison.to_json()))
}

fn sample(args: SampleArgs) -> Result<(), String> {
    if args.n == 0 {
        return Err("--n 0: draw at least one sample".into());
    }
    ganforge::viz::picture_format(&args.out).map_err(|e| e.to_string())?;
    if args.feature_magnitudes {
        return print_feature_magnitudes(&args);
    }
    if args.truncation.is_some() || args.style_pictures.is_some() {
        return sample_styles(&args);
    }
    let (model, _) = load_sampler(&args.checkpoint, generator_weights(args.no_ema)).map_err(|e| e.to_string())?;
    if let Some(shape) = model.image_input() {
        return translate(model.as_ref(), shape, &args);
    }
    if args.input.is_some() {
        return Err("--input: this generator draws from latents; --input gives pix2pix pictures to translate".into());
    }
    let labels: Option<Vec<usize>> = match (model.classes(), args.label) {
        (Some(classes), Some(label)) if label >= classes => {
            return Err(format!("--label {label}: this model draws classes 0 to {}", classes - 1))
        }
        (Some(_), Some(label)) => Some(vec![label; args.n]),
        (Some(classes), None) => Some((0..args.n).map(|i| (i / 8) % classes).collect()),
        (None, Some(_)) => return Err("--label: this model is not conditional; leave --label out".into()),
        (None, None) => None,
    };
    let z = Tensor::randn(&[args.n, model.latent_dim()], args.seed);
    let samples = sample_eval(model.as_ref(), &z, labels.as_deref());
    if samples.rank() == 2 {
        // 2D points: a scatter plot around them.
        let points: Vec<[f32; 2]> = samples.to_vec().chunks(2).map(|p| [p[0], p[1]]).collect();
        let reach = points.iter().fold(1.0f32, |m, p| m.max(p[0].abs()).max(p[1].abs()));
        let bounds = ganforge::viz::plot::Bounds::square(reach * 1.1);
        ganforge::viz::plot::save_scatter_with_contour(&[], &points, None, bounds, &args.out)
            .map_err(|e| e.to_string())?;
    } else {
        save_images(&samples, 8, &args.out).map_err(|e| e.to_string())?;
    }
    println!("wrote {} samples to {}", args.n, args.out.display());
    Ok(())
}

/// `sample` for a generator of pictures from pictures (pix2pix): the
/// pictures of `--input` as rows input | output (| target, for A|B pairs).
fn translate(model: &dyn Sampler, [_, size, _]: [usize; 3], args: &SampleArgs) -> Result<(), String> {
    use ganforge::gan::families::pix2pix::side_by_side;
    let Some(dir) = &args.input else {
        return Err(
            "this generator translates pictures (pix2pix): give --input <folder of pictures or A|B pairs>".into()
        );
    };
    let (input, target) = ganforge::data::pairs::translation_inputs(dir, size, args.n).map_err(|e| e.to_string())?;
    let output = sample_eval(model, &input, None);
    let (picture, columns) = match &target {
        Some(target) => (side_by_side(&[&input, &output, target]), 6),
        None => (side_by_side(&[&input, &output]), 8),
    };
    save_images(&picture, columns, &args.out).map_err(|e| e.to_string())?;
    println!("translated {} pictures of {} into {}", input.shape()[0], dir.display(), args.out.display());
    Ok(())
}

/// Refuses a generator that translates pictures (pix2pix) in a command built on latents.
fn refuse_translator(model: &dyn Sampler, command: &str) -> Result<(), String> {
    match model.image_input() {
        Some(_) => Err(format!(
            "{command}: this generator translates pictures (pix2pix) and has no latent to work on;              use `ganforge sample --input <dir>` to translate pictures"
        )),
        None => Ok(()),
    }
}

/// `sample --feature-magnitudes`: the droplet check's table for a StyleGAN or StyleGAN2 checkpoint.
fn print_feature_magnitudes(args: &SampleArgs) -> Result<(), String> {
    use ganforge::explore::droplets::{adain_feature_magnitudes, feature_magnitudes, magnitude_table};
    use ganforge::explore::droplets::{STYLEGAN2_GROUPS, STYLEGAN_GROUPS};
    let weights = generator_weights(args.no_ema);
    let refused = |e: String| format!("--feature-magnitudes is a StyleGAN and StyleGAN2 option: {e}");
    let (trained, _) = checkpoint_shape(&args.checkpoint).map_err(|e| refused(e.to_string()))?;
    let (text, _) = match trained.model.as_str() {
        "stylegan2" => {
            let generator = Stylegan2::load_generator(&args.checkpoint, weights).map_err(refused)?;
            magnitude_table(&STYLEGAN2_GROUPS, &feature_magnitudes(&generator, args.seed))
        }
        _ => {
            let generator = Stylegan::load_generator(&args.checkpoint, weights).map_err(refused)?;
            magnitude_table(&STYLEGAN_GROUPS, &adain_feature_magnitudes(&generator, args.seed))
        }
    };
    print!("{text}");
    Ok(())
}

/// `sample` with StyleGAN's options: truncated samples, and with
/// --style-pictures its four pictures at the same psi.
fn sample_styles(args: &SampleArgs) -> Result<(), String> {
    let psi = args.truncation.unwrap_or(1.0);
    if !psi.is_finite() {
        return Err(format!(
            "--truncation {psi}: give a finite psi (1: none, 0: the mean image; the paper shows -1 to 1)"
        ));
    }
    let weights = generator_weights(args.no_ema);
    let refused = |e: String| format!("--truncation and --style-pictures are StyleGAN and StyleGAN2 options: {e}");
    let (trained, _) = checkpoint_shape(&args.checkpoint).map_err(|e| refused(e.to_string()))?;
    match trained.model.as_str() {
        "stylegan2" => {
            let generator = Stylegan2::load_generator(&args.checkpoint, weights).map_err(refused)?;
            sample_truncated(&generator, psi, args)
        }
        _ => sample_truncated(&Stylegan::load_generator(&args.checkpoint, weights).map_err(refused)?, psi, args),
    }
}

/// Truncated samples of a style generator, and with --style-pictures its four pictures.
fn sample_truncated<S: Synthesis>(generator: &StyleGenerator<S>, psi: f32, args: &SampleArgs) -> Result<(), String> {
    let z = Tensor::randn(&[args.n, generator.latent_dim()], args.seed);
    generator.eval();
    let samples = ganforge::no_grad(|| generator.generate_truncated(&z, psi));
    save_images(&samples, 8, &args.out).map_err(|e| e.to_string())?;
    println!("wrote {} samples at psi {psi} to {}", args.n, args.out.display());
    if let Some(folder) = &args.style_pictures {
        write_style_pictures(generator, psi, args.seed, folder)?;
    }
    Ok(())
}

fn invert(args: InvertArgs) -> Result<(), String> {
    use ganforge::explore::inversion::{self, InversionSettings};
    if args.n == 0 || !(args.lr.is_finite() && args.lr > 0.0) || args.feature_weight < 0.0 {
        return Err("invert: --n must be at least 1, --lr above 0, --feature-weight 0 or above".into());
    }
    let (model, config) = load_sampler(&args.checkpoint, generator_weights(args.no_ema)).map_err(|e| e.to_string())?;
    refuse_translator(model.as_ref(), "invert")?;
    if model.classes().is_some() {
        return Err("invert: the generator is conditional; inversion searches unconditional generators".into());
    }
    let item = sample_eval(model.as_ref(), &Tensor::zeros(&[1, model.latent_dim()]), None).shape()[1..].to_vec();
    let [channels, side, _] = item[..] else {
        return Err(format!("invert: the generator draws {item:?}, not images; inversion searches image generators"));
    };
    let (targets, names) = inversion_targets(&args, &config.dataset, channels, side)?;
    // The feature term uses the evaluation classifier of the run's data, where it has one.
    let dataset = scoring_dataset(&config.dataset);
    let classifier = match dataset.filter(|_| item == [1, 28, 28] && args.feature_weight > 0.0) {
        Some(name) => Some(Classifier::load(&weights_path(name)).map_err(|e| e.to_string())?.0),
        None => None,
    };
    if classifier.is_none() && args.feature_weight > 0.0 {
        println!("no evaluation classifier for this data: pixel distance only");
    }
    let features = classifier.as_ref().map(|c| move |x: &Tensor| c.forward(x).0);
    let features = features.as_ref().map(|f| f as &dyn Fn(&Tensor) -> Tensor);
    let settings = InversionSettings { steps: args.steps, lr: args.lr, feature_weight: args.feature_weight };
    // The whole family (D and optimiser states too) is loaded only to look for an encoder.
    let code = match args.from_zero {
        true => None,
        false => {
            let (family, _) = load_family(&args.checkpoint).map_err(|e| e.to_string())?;
            ganforge::no_grad(|| family.encode(&targets))
        }
    };
    let start = match code {
        Some(code) => {
            println!("starting from the model's encoder, z = E(x)");
            code
        }
        None if args.steps == 0 => {
            return Err(
                "invert: --steps 0 keeps the start, which is z = 0 without an encoder; give --steps 1 or more".into()
            )
        }
        None => Tensor::zeros(&[targets.shape()[0], model.latent_dim()]),
    };
    let found = inversion::invert(model.as_ref(), &targets, &start, features, &settings);
    let out = args.out.clone().unwrap_or_else(|| args.checkpoint.with_file_name("inversion"));
    write_inversion(&out, &targets, &found, &names)
}

/// The linear probe's table: held-out accuracy from E(x) of the trained
/// encoder, of the same encoder untrained, and from raw pixels, for each
/// number of labelled digits per class.
fn probe(args: ProbeArgs) -> Result<(), String> {
    use ganforge::explore::probe::{linear_probe, Labelled, ProbeSettings};
    let per_class_limit = ganforge::metrics::digits::TRAIN_PER_CLASS;
    if args.steps == 0 || args.labels.iter().any(|&n| n == 0 || n > per_class_limit) {
        return Err(format!("probe: --steps must be at least 1 and each --labels between 1 and {per_class_limit}"));
    }
    let (trained, config) = load_family(&args.checkpoint).map_err(|e| e.to_string())?;
    let (untrained, _) = initial_family(&args.checkpoint).map_err(|e| e.to_string())?;
    let dataset = scoring_dataset(&config.dataset).ok_or_else(|| {
        format!("probe: the run's data {:?} has no labels to probe with; use an mnist5k or fashion run", config.dataset)
    })?;
    let split = ganforge::metrics::digits::split(dataset).map_err(|e| e.to_string())?;
    let no_encoder = || format!("probe: a {} model has no encoder; probe a --model bigan or veegan run", config.model);
    let encode = |family: &dyn ganforge::gan::family::Family, digits: &Tensor| {
        ganforge::no_grad(|| family.encode(digits)).ok_or_else(no_encoder)
    };
    let border = padding_of(&config.dataset);
    let held_out = split.held_out.to_padded_tensor(border);
    let settings = ProbeSettings { steps: args.steps, ..Default::default() };
    println!(
        "linear probe: softmax regression on standardised features, accuracy on {} held-out digits",
        held_out.shape()[0]
    );
    print!("{:<22}{:>6}", "features", "dim");
    for n in &args.labels {
        print!("{:>12}", format!("{n}/class"));
    }
    println!();
    // Each row: a name and the encoder whose codes are the features (none: the pixels).
    let rows: [(&str, Option<&dyn ganforge::gan::family::Family>); 3] = [
        ("E(x), trained", Some(trained.as_ref())),
        ("E(x), untrained", Some(untrained.as_ref())),
        ("raw pixels", None),
    ];
    for (name, encoder) in rows {
        let features = |digits: &Tensor| match encoder {
            Some(family) => encode(family, digits),
            None => Ok(digits.flatten(1)),
        };
        let test_features = features(&held_out)?;
        print!("{name:<22}{:>6}", test_features.shape()[1]);
        for &per_class in &args.labels {
            // The first `per_class` training digits of each class.
            let mut taken = [0; 10];
            let chosen: Vec<usize> = (0..split.train.len())
                .filter(|&i| {
                    let label = split.train.labels[i];
                    taken[label] += 1;
                    taken[label] <= per_class
                })
                .collect();
            let train = split.train.select(&chosen);
            let train_features = features(&train.to_padded_tensor(border))?;
            let accuracy = linear_probe(
                &Labelled { features: &train_features, labels: &train.labels },
                &Labelled { features: &test_features, labels: &split.held_out.labels },
                10,
                &settings,
            );
            print!("{:>12}", format!("{:.1}%", 100.0 * accuracy));
        }
        println!();
    }
    Ok(())
}

/// The pictures to invert, each with a name for the report: a folder's
/// pictures at the generator's size, or held-out digits with their labels.
fn inversion_targets(
    args: &InvertArgs,
    dataset: &str,
    channels: usize,
    side: usize,
) -> Result<(Tensor, Vec<String>), String> {
    if let Some(dir) = &args.input {
        let files = ganforge::data::folder::list_images(dir).map_err(|e| e.to_string())?;
        let files = &files[..args.n.min(files.len())];
        let mut values = Vec::new();
        for file in files {
            values.extend(ganforge::data::folder::load(file, side as u32, channels).map_err(|e| e.to_string())?);
        }
        let names = files.iter().map(|f| f.file_name().unwrap_or_default().to_string_lossy().into_owned()).collect();
        return Ok((Tensor::from_vec(values, &[files.len(), channels, side, side]), names));
    }
    let name = scoring_dataset(dataset)
        .ok_or_else(|| format!("invert: the run's data {dataset:?} has no held-out digits; give --input DIR"))?;
    let held_out = ganforge::metrics::digits::split(name).map_err(|e| e.to_string())?.held_out;
    // Every class in turn: the first of each class, then the second of each...
    let mut seen = std::collections::HashMap::new();
    let mut order: Vec<(usize, usize, usize)> = (held_out.labels.iter().enumerate())
        .map(|(i, &label)| {
            let rank = seen.entry(label).or_insert(0);
            *rank += 1;
            (*rank, label, i)
        })
        .collect();
    order.sort();
    let chosen: Vec<usize> = order.iter().take(args.n).map(|&(_, _, i)| i).collect();
    let digits = held_out.select(&chosen);
    let names = chosen.iter().zip(&digits.labels).map(|(i, label)| format!("held-out {i} (label {label})")).collect();
    Ok((digits.to_padded_tensor(padding_of(dataset)), names))
}

/// pairs.png (target, reconstruction, side by side, 8 pairs a row), worst.png
/// (the 16 farthest), and errors.csv.
fn write_inversion(out: &Path, targets: &Tensor, found: &Inversion, names: &[String]) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let n = targets.shape()[0];
    let pairs = |indices: &[usize]| {
        let pick: Vec<Tensor> = indices
            .iter()
            .flat_map(|&i| [targets.narrow(0, i, i + 1), found.reconstructions.narrow(0, i, i + 1)])
            .collect();
        Tensor::concat(&pick.iter().collect::<Vec<_>>(), 0)
    };
    let mut by_error: Vec<usize> = (0..n).collect();
    by_error.sort_by(|&a, &b| found.pixel_errors[b].total_cmp(&found.pixel_errors[a]));
    save_images(&pairs(&(0..n).collect::<Vec<_>>()), 16, &out.join("pairs.png")).map_err(|e| e.to_string())?;
    save_images(&pairs(&by_error[..16.min(n)]), 16, &out.join("worst.png")).map_err(|e| e.to_string())?;
    let mut csv = String::from("picture,pixel_mse\n");
    for (name, error) in names.iter().zip(&found.pixel_errors) {
        csv.push_str(&format!("{},{error}\n", name.replace(',', " ")));
    }
    let csv_path = out.join("errors.csv");
    std::fs::write(&csv_path, csv).map_err(|e| format!("cannot write {}: {e}", csv_path.display()))?;
    let mean = found.pixel_errors.iter().sum::<f32>() / n as f32;
    println!("inverted {n} pictures: mean pixel MSE {mean:.4} (pixels in [-1, 1])");
    for &i in by_error.iter().take(5) {
        println!("  far: {} (MSE {:.4})", names[i], found.pixel_errors[i]);
    }
    println!("wrote {}/pairs.png, worst.png, errors.csv", out.display());
    Ok(())
}

fn dissect(args: DissectArgs) -> Result<(), String> {
    use ganforge::explore::dissection::{self, judge, set_units, Cut};
    if args.samples == 0 || args.units == 0 || !(args.quantile > 0.0 && args.quantile < 1.0) {
        return Err("dissect: --samples and --units must be at least 1, --quantile between 0 and 1".into());
    }
    let (model, config) = load_sampler(&args.checkpoint, generator_weights(args.no_ema)).map_err(|e| e.to_string())?;
    refuse_translator(model.as_ref(), "dissect")?;
    if model.classes().is_some() {
        return Err("dissect: the generator is conditional; dissection cuts unconditional generators".into());
    }
    let layers = dissection::layers(model.as_ref())
        .ok_or("dissect: this generator is not one chain of layers, so it cannot be cut (dcgan's is)")?;
    let drawn = layers.last().map(|layer| layer.shape.clone()).unwrap_or_default();
    if drawn != [1, 28, 28] {
        return Err(format!("dissect: the generator draws {drawn:?}; the concepts are those of 1x28x28 digits"));
    }
    let scoring = scoring_dataset(&config.dataset)
        .ok_or_else(|| format!("dissect: no evaluation classifier for the run's data {:?}", config.dataset))?;
    // By default the last layer with more than one map: the finest units.
    let cuttable = dissection::cuttable(&layers);
    let layer = args
        .layer
        .or_else(|| cuttable.iter().rev().find(|layer| layer.shape[0] > 1).map(|layer| layer.index))
        .unwrap_or(0);
    let cut = Cut::new(model.as_ref(), layer).map_err(|e| format!("dissect: {e}"))?;
    let units = layers[layer].shape[0];
    if args.units > units {
        return Err(format!("dissect: --units {}: layer {layer} has {units} units", args.units));
    }
    let classifier = Classifier::load(&weights_path(scoring)).map_err(|e| e.to_string())?.0;
    let start = Instant::now();

    let mut rng = ChaCha12Rng::seed_from_u64(args.seed);
    let z = Prior::parse(&config.prior)?.sample(args.samples, model.latent_dim(), &mut rng);
    let maps = cut.head(&z);
    let shape: [usize; 4] = maps.shape().try_into().map_err(|_| "dissect: the layer's output is not maps")?;
    let values = maps.to_vec();
    let original = judge(&classifier, &cut.tail(&maps))?;
    let concepts = ganforge::explore::concepts::mnist_concepts(
        &original.pixels,
        &original.predicted,
        ganforge::metrics::classifier::CLASSES,
    );
    let found = dissection::dissect(&values, shape, &concepts, args.quantile);

    let k = args.units;
    let mut interventions = Vec::new();
    for (c, concept) in concepts.iter().enumerate() {
        let top = found.ranked(c)[..k].to_vec();
        let random = rand::seq::index::sample(&mut rng, units, k).into_vec();
        let firing: Vec<f32> = top.iter().map(|&u| found.firing_values[u]).collect();
        let off = vec![0.0; k];
        for (what, chosen, to) in
            [("ablate top", &top, &off), ("ablate random", &random, &off), ("insert top", &top, &firing)]
        {
            let edited = judge(&classifier, &cut.tail(&set_units(&maps, chosen, to)))?;
            interventions.push(Intervention {
                concept: c,
                what,
                units: chosen.clone(),
                before: original.measure(concept.kind),
                after: edited.measure(concept.kind),
                changed: original.changed_share(&edited),
                first: edited.pixels[..SHOWN.min(args.samples) * PIXELS].to_vec(),
            });
        }
    }
    let seconds = start.elapsed().as_secs_f64();

    let out = args.out.clone().unwrap_or_else(|| args.checkpoint.with_file_name("dissection"));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let names: Vec<&str> = concepts.iter().map(|c| c.name.as_str()).collect();
    write_text(&out.join("units.csv"), &units_csv(&found, &names))?;
    write_text(&out.join("interventions.csv"), &interventions_csv(&interventions, &concepts))?;
    let top_units = top_units_picture(&found, &values, shape, &original.pixels, &names);
    let path = out.join("top-units.png");
    top_units.save(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let ablation = ablation_picture(&original.pixels, &interventions, &found, &concepts);
    let path = out.join("ablation.png");
    ablation.save(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;

    println!(
        "dissected layer {} on {} samples at quantile {} in {seconds:.1} s",
        layers[layer].describe(),
        args.samples,
        args.quantile
    );
    print!("{}", summary_table(&found, &interventions, &concepts, k));
    println!("wrote {}/units.csv, interventions.csv, top-units.png, ablation.png", out.display());
    Ok(())
}

/// Samples shown per row of the pictures.
const SHOWN: usize = 8;

/// One edit of the maps and what it did to a concept's measure.
struct Intervention {
    concept: usize,
    what: &'static str,
    units: Vec<usize>,
    before: f32,
    after: f32,
    /// The share of samples whose predicted class changed.
    changed: f32,
    /// The first SHOWN edited images' pixels.
    first: Vec<f32>,
}

fn write_text(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// A line per unit: its threshold, its best concept, its IoU with each concept.
fn units_csv(found: &Dissection, names: &[&str]) -> String {
    let mut csv = format!("unit,threshold,best_concept,{}\n", names.join(","));
    for (unit, row) in found.iou.iter().enumerate() {
        let ious: Vec<String> = row.iter().map(|v| format!("{v:.4}")).collect();
        let best = names[found.best_concept(unit)];
        csv.push_str(&format!("{unit},{},{best},{}\n", found.thresholds[unit], ious.join(",")));
    }
    csv
}

/// What a concept's measure is, for the tables.
fn measure_name(kind: ConceptKind) -> String {
    match kind {
        ConceptKind::Region(_) => "area (pixels)".into(),
        ConceptKind::Class(k) => format!("p(class {k})"),
    }
}

fn interventions_csv(interventions: &[Intervention], concepts: &[Concept]) -> String {
    let mut csv = String::from("concept,intervention,units,measure,before,after,class_changed\n");
    for i in interventions {
        let units: Vec<String> = i.units.iter().map(usize::to_string).collect();
        let concept = &concepts[i.concept];
        csv.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            concept.name,
            i.what,
            units.join(" "),
            measure_name(concept.kind),
            i.before,
            i.after,
            i.changed
        ));
    }
    csv
}

/// The top units of each concept with their IoU, then each concept's
/// measure before and after each intervention.
fn summary_table(found: &Dissection, interventions: &[Intervention], concepts: &[Concept], k: usize) -> String {
    let mut text = format!("\n{:<10} top {k} units (IoU)\n", "concept");
    for (c, concept) in concepts.iter().enumerate() {
        let top: Vec<String> = found.ranked(c)[..k].iter().map(|&u| format!("{u} ({:.3})", found.iou[u][c])).collect();
        text.push_str(&format!("{:<10} {}\n", concept.name, top.join(", ")));
    }
    text.push_str(&format!(
        "\n{:<10} {:<14} {:>8} {:>11} {:>13} {:>11} {:>15}\n",
        "concept", "measure", "before", "ablate top", "ablate random", "insert top", "changed top/rnd"
    ));
    // `dissect` made three edits per concept, in this order.
    for (concept, edits) in concepts.iter().zip(interventions.chunks(3)) {
        text.push_str(&format!(
            "{:<10} {:<14} {:>8.3} {:>11.3} {:>13.3} {:>11.3} {:>7.3} / {:.3}\n",
            concept.name,
            measure_name(concept.kind),
            edits[0].before,
            edits[0].after,
            edits[1].after,
            edits[2].after,
            edits[0].changed,
            edits[1].changed
        ));
    }
    text.push_str("(changed: the share of samples whose predicted class changed, ablating the top / random units)\n");
    text
}

/// A row per concept: the samples where its top unit fires most, that
/// unit's firing region in red.
fn top_units_picture(
    found: &Dissection,
    maps: &[f32],
    shape: [usize; 4],
    pixels: &[f32],
    names: &[&str],
) -> image::RgbImage {
    use ganforge::viz::overlay::mask_overlay;
    let n = shape[0];
    let rows: Vec<(String, Vec<image::RgbImage>)> = (0..names.len())
        .map(|c| {
            let unit = found.ranked(c)[0];
            let masks: Vec<Vec<bool>> = (0..n).map(|i| found.firing_mask(maps, shape, unit, i)).collect();
            let mut samples: Vec<usize> = (0..n).collect();
            samples.sort_by_key(|&i| std::cmp::Reverse(masks[i].iter().filter(|&&m| m).count()));
            let pictures = samples[..SHOWN.min(n)]
                .iter()
                .map(|&i| mask_overlay(&pixels[i * PIXELS..][..PIXELS], SIDE, Some(&masks[i]), 3))
                .collect();
            (format!("{}: unit {unit} {:.2}", names[c], found.iou[unit][c]), pictures)
        })
        .collect();
    ganforge::viz::montage::labelled_rows(&rows)
}

/// The first samples, then for stroke, hole and the class whose top unit
/// matches best: after ablating the top units, after ablating random units,
/// after inserting the top units.
fn ablation_picture(
    pixels: &[f32],
    interventions: &[Intervention],
    found: &Dissection,
    concepts: &[Concept],
) -> image::RgbImage {
    use ganforge::viz::overlay::mask_overlay;
    let strip =
        |pixels: &[f32]| pixels.chunks(PIXELS).map(|image| mask_overlay(image, SIDE, None, 3)).collect::<Vec<_>>();
    let shown = interventions.first().map_or(0, |i| i.first.len());
    let top_iou = |c: usize| found.iou[found.ranked(c)[0]][c];
    let best_class = (0..concepts.len())
        .filter(|&c| matches!(concepts[c].kind, ConceptKind::Class(_)))
        .max_by(|&a, &b| top_iou(a).total_cmp(&top_iou(b)));
    let mut rows = vec![("original".to_string(), strip(&pixels[..shown]))];
    // Concepts 0 and 1 are stroke and hole (see `mnist_concepts`).
    for c in [Some(0), Some(1), best_class].into_iter().flatten() {
        for edit in interventions.iter().filter(|i| i.concept == c) {
            rows.push((format!("{} {}", concepts[c].name, edit.what), strip(&edit.first)));
        }
    }
    ganforge::viz::montage::labelled_rows(&rows)
}

/// Columns of the strips: four alphas either side of 0.
const STRIP_COLUMNS: usize = 9;

fn playground(args: PlaygroundArgs) -> Result<(), String> {
    let dir = args.dir.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("playground/www"));
    if !dir.join("pkg/ganforge_playground_bg.wasm").is_file() {
        return Err(format!(
            "{} holds no built page (pkg/ganforge_playground_bg.wasm): build it first with playground/build.sh",
            dir.display()
        ));
    }
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port))
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}; choose another --port", args.port))?;
    println!("the GAN Playground: open http://127.0.0.1:{}/ in a browser with WebGPU (Ctrl-C stops)", args.port);
    ganforge::serve::serve(&listener, &dir, |_, _| ganforge::serve::Next::Serve).map_err(|e| e.to_string())
}

fn steer(args: SteerArgs) -> Result<(), String> {
    use ganforge::explore::steering::{self, Edit, SteeringSettings};
    let edit = Edit::parse(&args.edit).map_err(|e| format!("steer: {e}"))?;
    if args.steps == 0 || args.batch == 0 || args.n == 0 || args.samples == 0 || !(args.lr.is_finite() && args.lr > 0.0)
    {
        return Err("steer: --steps, --batch, --n and --samples must be at least 1, --lr above 0".into());
    }
    let (model, config) = load_sampler(&args.checkpoint, generator_weights(args.no_ema)).map_err(|e| e.to_string())?;
    refuse_translator(model.as_ref(), "steer")?;
    if model.classes().is_some() {
        return Err("steer: the generator is conditional; steering walks unconditional generators".into());
    }
    let latent = model.latent_dim();
    let item = sample_eval(model.as_ref(), &Tensor::zeros(&[1, latent]), None).shape()[1..].to_vec();
    if item.len() != 3 {
        return Err(format!("steer: the generator draws {item:?}, not images; steering edits image generators"));
    }
    let prior = Prior::parse(&config.prior)?;
    let settings = SteeringSettings {
        steps: args.steps,
        batch: args.batch,
        lr: args.lr,
        seed: args.seed,
        prior,
        ..SteeringSettings::for_edit(edit)
    };
    let bar = progress_bar(args.steps, "steps");
    let start = Instant::now();
    // Each step's loss depends on its random alphas: show the mean of the last 50.
    let mut recent = std::collections::VecDeque::new();
    let direction = steering::learn_direction(model.as_ref(), edit, &settings, |step, loss| {
        recent.push_back(loss);
        if recent.len() > 50 {
            recent.pop_front();
        }
        let mean = recent.iter().sum::<f32>() / recent.len() as f32;
        bar.set_position(step as u64 + 1);
        bar.set_message(format!("loss {mean:.4} (mean of the last {})", recent.len()));
        if bar.is_hidden() && (step + 1) % 50 == 0 {
            println!("step {}: loss {mean:.4} (mean of the last 50 steps)", step + 1);
        }
    });
    bar.finish();
    println!("learned the {} direction in {} steps, {:.1} s", edit.name(), args.steps, start.elapsed().as_secs_f64());

    // The measurement's latents are drawn apart from training's; the strips show the first of them.
    let mut rng = ChaCha12Rng::seed_from_u64(args.seed.wrapping_add(1));
    let z = prior.sample(args.samples.max(args.n), latent, &mut rng);
    let alphas = steering::strip_alphas(settings.range, STRIP_COLUMNS);
    let walk = steering::take_walk(model.as_ref(), edit, &direction.w, &z, &alphas);
    let out = args.out.clone().unwrap_or_else(|| args.checkpoint.with_file_name(format!("steering-{}", edit.name())));
    std::fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    save_images(&steering::strip(&walk.walked, args.n), STRIP_COLUMNS, &out.join("strip.png"))
        .map_err(|e| e.to_string())?;
    save_images(&steering::strip(&walk.targets, args.n), STRIP_COLUMNS, &out.join("targets.png"))
        .map_err(|e| e.to_string())?;
    let rows = walk.measure();
    let mut csv = String::from("alpha,asked,achieved_mean,achieved_std,target_achieved\n");
    for row in &rows {
        csv.push_str(&format!(
            "{},{},{},{},{}\n",
            row.alpha, row.asked, row.achieved_mean, row.achieved_std, row.target_achieved
        ));
    }
    let csv_path = out.join("steering.csv");
    std::fs::write(&csv_path, csv).map_err(|e| format!("cannot write {}: {e}", csv_path.display()))?;
    println!(
        "walk loss on {} fresh latents: {:.4} (w = 0: {:.4}; pixels in [-1, 1])",
        z.shape()[0],
        walk.loss(),
        walk.loss_without_direction()
    );
    println!("{}: {}", edit.name(), edit.measure_description());
    println!("{:>7} {:>7} {:>18} {:>12}", "alpha", "asked", "achieved (walk)", "target edit");
    for row in &rows {
        println!(
            "{:>7.2} {:>7.2} {:>10.2} ± {:<5.2} {:>12.2}",
            row.alpha, row.asked, row.achieved_mean, row.achieved_std, row.target_achieved
        );
    }
    println!("wrote {}/strip.png, targets.png, steering.csv", out.display());
    Ok(())
}

/// Profiling: the per-kernel table against the measured `peaks`, and the
/// timeline written to `trace`.
fn print_profile(profiler: &ganforge::gpu::Profiler, peaks: &ganforge::gpu::Peaks, trace: &Path) -> Result<(), String> {
    let gpu = ganforge::gpu::device();
    print!("\n{}", profiler.table(Some(peaks)));
    profiler.write_trace(trace, &gpu.info.name)?;
    println!("trace: {} (open it in ui.perfetto.dev or chrome://tracing)", trace.display());
    Ok(())
}

fn bench(args: BenchArgs) -> Result<(), String> {
    use ganforge::bench;
    let gpu = ganforge::gpu::try_device().map_err(|e| e.to_string())?;
    let peaks = bench::peaks();
    if args.tune {
        println!("adapter: {} ({:?}, {:?})", gpu.info.name, gpu.info.backend, gpu.info.device_type);
        println!("timing every blocking on the swept GEMMs of each shape class (2 calls each after a warm-up)...");
        let tuning = bench::tune(2);
        print!("{}", tuning.report);
        let path = ganforge::ops::tile_cache::write(&gpu.info, &tuning.table)?;
        println!("tile table written to {} (later runs on this adapter use it)", path.display());
        return Ok(());
    }
    if let Some(Sweep::Gemm) = args.sweep {
        println!("adapter: {} ({:?}, {:?})", gpu.info.name, gpu.info.backend, gpu.info.device_type);
        println!(
            "measured FMA peak: {:.1} GFLOP/s; times are means of 3 calls after a warm-up\n",
            peaks.flops_per_second / 1e9
        );
        let blockings = bench::sweep_blockings();
        for case in ganforge::no_grad(bench::sweep_gemms) {
            let timings = ganforge::no_grad(|| bench::sweep(&case, &blockings, 3));
            println!("{}", bench::sweep_table(&case, &timings, &peaks));
        }
        return Ok(());
    }
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
    if let Some(step) = step {
        println!("\n{step}");
    }
    if args.families {
        for family in bench::family_steps().into_iter().skip(1) {
            println!("{}", bench::training_step(family, args.steps.max(1))?);
        }
    }
    if let Some(profiler) = gpu.profiler() {
        print_profile(profiler, &peaks, &std::env::temp_dir().join("ganforge-bench-trace.json"))?;
    }
    Ok(())
}

/// `ganforge data`: renders a set with a progress bar, then prints its summary.
fn data(command: DataCommand) -> Result<(), String> {
    use ganforge::data::emoji::{write_pairs, write_unpaired, RenderOptions};
    let bar = progress_bar(0, "pictures");
    let mut progress = |done: usize, total: usize| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let options = |render: &RenderArgs| RenderOptions { size: render.size, keep_one_in: render.keep_one_in };
    let start = Instant::now();
    let (summary, out) = match &command {
        DataCommand::Openmoji { openmoji, render } => {
            (write_pairs(openmoji, &render.out, options(render), &mut progress).map(|s| s.to_string()), &render.out)
        }
        DataCommand::OpenmojiTwemoji { openmoji, twemoji, render } => {
            let summary = write_unpaired(openmoji, twemoji, &render.out, options(render), &mut progress);
            (summary.map(|s| s.to_string()), &render.out)
        }
        DataCommand::Dicebear { svgs, render } => {
            let written = ganforge::data::avatars::write_pairs(svgs, &render.out, options(render), &mut progress);
            let counts = |written: Vec<(&str, usize)>| {
                written.iter().map(|(folder, count)| format!("{folder} {count}")).collect::<Vec<_>>().join(", ")
            };
            (written.map(counts), &render.out)
        }
    };
    bar.finish_and_clear();
    let summary = summary.map_err(|e| e.to_string())?;
    println!("{}: {summary}; {:.1} s", out.display(), start.elapsed().as_secs_f64());
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
    match gpu.subgroup_size {
        Some(lanes) => println!("  subgroups:         {lanes} lanes or more"),
        None => println!("  subgroups:         none"),
    }
    let tiles = ganforge::ops::tiles::active();
    println!("GEMM tiles ({}):", tiles.source);
    for class in ganforge::ops::tiles::ShapeClass::ALL {
        let blocking = tiles.table.for_class(class);
        // Shared A depends on this device's subgroups, not on the table.
        let shared = if blocking.shares_a() { ", shared A" } else { "" };
        println!("  {:<14} {}{shared}", class.name(), ganforge::bench::blocking_label(blocking));
    }
    Ok(())
}

#[derive(Args)]
struct ClassifierArgs {
    /// mnist5k (the embedded digits, split 4,000 / 1,000), fashion (Fashion-MNIST's 60k / 10k),
    /// or the colour sets' feature nets: emoji (by OpenMoji group) or avatars (by optional parts)
    #[arg(long, default_value = "mnist5k")]
    dataset: String,
    /// emoji, avatars: the rendered set (emoji: the folder with pairs/ and unpaired/ of
    /// `ganforge data`; avatars: the one with train/ and test/ of `ganforge data dicebear`)
    #[arg(long)]
    data: Option<PathBuf>,
    /// emoji: the OpenMoji npm tarball (`npm pack openmoji@17.0.0`), whose data file gives the groups
    #[arg(long)]
    openmoji: Option<PathBuf>,
    /// Where to write the weights (default: data/classifier-<dataset>.safetensors)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Passes over the training images (default: the committed recipe's)
    #[arg(long)]
    epochs: Option<usize>,
}

#[derive(Args)]
struct EvalArgs {
    /// Score the held-out real images against the training images: the floor of every table
    #[arg(long, conflicts_with = "checkpoint")]
    real: bool,
    /// With --real: mnist5k or fashion (a checkpoint is scored on the data it was trained on)
    #[arg(long, default_value = "mnist5k", requires = "real")]
    dataset: String,
    /// Score a trained generator (its EMA when the run kept one); writes eval.json beside it
    #[arg(long)]
    checkpoint: Option<PathBuf>,
    /// Samples to draw from the checkpoint's generator (a Stacked MNIST model: always 26,000)
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// Score the trained generator, not its moving average (for runs with --ema);
    /// the report goes to eval-no-ema.json
    #[arg(long, requires = "checkpoint")]
    no_ema: bool,
    /// The latents' seed (the end of a run scores with the default, 1)
    #[arg(long, default_value_t = EVAL_SEED)]
    seed: u64,
    /// Classifier weights (default: data/classifier-<dataset>.safetensors)
    #[arg(long)]
    classifier: Option<PathBuf>,
    /// Write the JSON report here
    #[arg(long)]
    json: Option<PathBuf>,
}

fn classifier(args: ClassifierArgs) -> Result<(), String> {
    use ganforge::metrics::training::{train, Recipe};
    let split = match &args.data {
        Some(dir) => ganforge::metrics::colour_sets::colour_split(&args.dataset, dir, args.openmoji.as_deref()),
        None if ["emoji", "avatars"].contains(&args.dataset.as_str()) => {
            return Err(format!("--dataset {}: give the rendered set with --data DIR", args.dataset))
        }
        None => ganforge::metrics::digits::split(&args.dataset),
    }
    .map_err(|e| e.to_string())?;
    let mut recipe = Recipe::default();
    recipe.epochs = args.epochs.unwrap_or(recipe.epochs);
    let out = args.out.unwrap_or_else(|| weights_path(&args.dataset));
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
    // The reference embedding, cached beside the weights (as `eval` caches the digits').
    let reference =
        ganforge::metrics::reference::Reference::load_or_embed(&classifier, &out, &split).map_err(|e| e.to_string())?;
    let floor = ganforge::metrics::fid::fid(&reference.train.features, &reference.held_out.features);
    println!("FID of the held-out images to the training images: {floor:.3}");
    println!("done in {:.1} s; weights: {}", start.elapsed().as_secs_f64(), out.display());
    Ok(())
}

/// `eval` for a family that scores itself on held-out data (pix2pix's L1):
/// its scores, printed.
fn held_out_eval(checkpoint: &Path) -> Result<(), String> {
    let (family, _) = load_family(checkpoint).map_err(|e| e.to_string())?;
    for (name, value) in family.held_out_scores() {
        println!("{name}: {}", score_text(value));
    }
    Ok(())
}

/// A held-out score as printed: four decimals, or three significant digits
/// below 0.001 (AlignFlow's cycle errors, about 1e-6, would print as 0.0000).
fn score_text(value: f32) -> String {
    if value != 0.0 && value.abs() < 1e-3 {
        format!("{value:.2e}")
    } else {
        format!("{value:.4}")
    }
}

fn eval(args: EvalArgs) -> Result<(), String> {
    let (text, json, default_json) = match &args.checkpoint {
        Some(checkpoint) => {
            let least = ganforge::metrics::report::MIN_IMAGES;
            if args.n < least {
                return Err(format!("--n {}: the metrics need at least {least} samples", args.n));
            }
            let (model, config) =
                load_sampler(checkpoint, generator_weights(args.no_ema)).map_err(|e| e.to_string())?;
            if model.image_input().is_some() {
                return held_out_eval(checkpoint);
            }
            let report = checkpoint.with_file_name(if args.no_ema { "eval-no-ema.json" } else { "eval.json" });
            let (text, json) = generator_scores(model.as_ref(), &config, args.n, args.seed, args.classifier.as_deref())
                .map_err(|e| format!("{}: {e}", checkpoint.display()))?;
            (text, json, Some(report))
        }
        None if args.real => {
            let weights = args.classifier.clone().unwrap_or_else(|| weights_path(&args.dataset));
            let report = Evaluator::new(&args.dataset, &weights).map_err(|e| e.to_string())?.real_floor();
            (report.table(), report.to_json(), None)
        }
        None => return Err("give --checkpoint <file> to score a generator, or --real for the real-data floor".into()),
    };
    print!("{text}");
    if let Some(path) = args.json.or(default_json) {
        std::fs::write(&path, json).map_err(|e| format!("could not write {}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
