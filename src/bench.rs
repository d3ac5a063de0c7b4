//! The benchmark suite behind `cargo bench` and `ganforge bench`.
//!
//! Every kernel is timed by wall clock around a batch of dispatches followed
//! by a full synchronisation, after one untimed run that compiles its
//! pipeline. Compute-bound kernels report GFLOP/s (2 per multiply-add),
//! memory-bound ones GB/s, and both as a fraction of what this adapter can do
//! at best, measured by two yardstick kernels (`shaders/peak.wgsl`): a chain
//! of independent FMAs (attainable FP32 rate) and a plain vec4 copy
//! (attainable bandwidth).
//!
//! The GEMM sweep (`ganforge bench --sweep gemm`) times every blocking of the
//! tiled core (`ops/gemm.rs`) on each GEMM of the dcgan28 step and of
//! StyleGAN2's narrow layers, and sets the blocking `Blocking::for_problem`
//! picks beside the fastest; the tune
//! (`ganforge bench --tune`) keeps the fastest per shape class in the
//! adapter's tile cache (`ops/tiles.rs`).

use crate::gan::{TrainConfig, Trainer};
pub use crate::gpu::Peaks;
use crate::gpu::{device, Params, Storage, PEAK};
use crate::ops::conv::{conv2d_blocked, conv2d_weight_blocked, conv_transpose2d_blocked, Conv2dOptions};
use crate::ops::gemm::Blocking;
use crate::ops::tiles::{ShapeClass, TileTable};
use crate::{enable_grad, grad, no_grad, Tensor};
use std::fmt::Write;
use std::time::Instant;

/// One timed kernel: its cost per call and the work it does.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub name: String,
    pub seconds: f64,
    /// Floating-point operations per call (0 for data movement).
    pub flops: f64,
    /// Bytes that must move per call (0 where FLOPs are the measure).
    pub bytes: f64,
}

/// Seconds per call of `f`, averaged over `reps` calls after one warm-up.
pub fn time(reps: usize, f: impl Fn() -> Tensor) -> f64 {
    drop(f());
    device().synchronize();
    let start = Instant::now();
    for _ in 0..reps {
        drop(f());
    }
    device().synchronize();
    start.elapsed().as_secs_f64() / reps as f64
}

/// Runs one yardstick kernel `reps` times over `count` invocations; returns seconds per run.
/// Each invocation does `per_invocation` items of `count`.
fn time_peak(
    entry: &'static str,
    params: &Params,
    buffers: &[&wgpu::Buffer],
    count: usize,
    per_invocation: u32,
    reps: usize,
) -> f64 {
    let gpu = device();
    let run = || gpu.dispatch(PEAK.kernel(entry), params, buffers, gpu.grid(count, 256 * per_invocation));
    run();
    gpu.synchronize();
    let start = Instant::now();
    for _ in 0..reps {
        run();
    }
    gpu.synchronize();
    start.elapsed().as_secs_f64() / reps as f64
}

/// Measures the attainable FP32 rate and bandwidth of this adapter.
pub fn peaks() -> Peaks {
    let invocations = 1 << 18;
    let rounds = 512;
    let out = Storage::new(invocations);
    let seconds = time_peak(
        "fma_peak",
        &Params::new().size(rounds).size(invocations).u32(0).u32(0),
        &[out.buffer()],
        invocations,
        1,
        3,
    );
    let flops = 64.0 * rounds as f64 * invocations as f64;

    let vec4s = 1 << 21; // 32 MiB each way
    let (src, dst) = (Storage::new(4 * vec4s), Storage::new(4 * vec4s));
    let params = Params::new().u32(0).size(vec4s).u32(0).u32(0);
    let copy = time_peak("copy_peak", &params, &[src.buffer(), dst.buffer()], vec4s, 4, 10);
    Peaks { flops_per_second: flops / seconds, bytes_per_second: 2.0 * 16.0 * vec4s as f64 / copy }
}

/// Square matmuls, the dcgan28 convolutions and batch norms, the strided
/// kernels, an elementwise add and the cost of one tiny dispatch.
pub fn kernels() -> Vec<Measurement> {
    no_grad(|| {
        let mut all = Vec::new();
        for n in [256usize, 512, 1024] {
            let a = Tensor::randn(&[n, n], 1);
            let b = Tensor::randn(&[n, n], 2);
            let seconds = time(if n == 1024 { 5 } else { 20 }, || a.matmul(&b));
            all.push(Measurement {
                name: format!("matmul {n}^3"),
                seconds,
                flops: 2.0 * (n * n * n) as f64,
                bytes: 0.0,
            });
        }
        all.extend(dcgan28_convolutions());
        all.extend(batch_norms());
        all.extend(strided_elementwise());
        let n = 1 << 22;
        let a = Tensor::randn(&[n], 3);
        let b = Tensor::randn(&[n], 4);
        let seconds = time(20, || a.add(&b));
        all.push(Measurement { name: format!("add {n} elements"), seconds, flops: 0.0, bytes: 12.0 * n as f64 });
        let tiny = Tensor::ones(&[1]);
        let seconds = time(500, || tiny.add_scalar(1.0));
        all.push(Measurement { name: "one small dispatch".into(), seconds, flops: 0.0, bytes: 0.0 });
        all
    })
}

/// The convolutions of the dcgan28 reference workload, each direction timed
/// with the blocking `Blocking::for_problem` picks.
fn dcgan28_convolutions() -> Vec<Measurement> {
    dcgan28_convolution_gemms()
        .iter()
        .map(|case| Measurement {
            name: case.name.clone(),
            seconds: time(5, || (case.run)(None)),
            flops: case.flops,
            bytes: 0.0,
        })
        .collect()
}

/// One call of the dcgan28 step that runs on the tiled GEMM core, runnable
/// with any blocking (None: the one `Blocking::for_problem` picks).
pub struct GemmCase {
    pub name: String,
    /// The product as the kernel sees it: M x N x K, repeated `products`
    /// times (a transposed convolution runs one product per output phase).
    pub m: usize,
    pub n: usize,
    pub k: usize,
    pub products: usize,
    /// Floating-point operations of the whole call.
    pub flops: f64,
    pub run: Box<dyn Fn(Option<Blocking>) -> Tensor>,
}

/// The GEMMs the sweep and the tune time: dcgan28's, then StyleGAN2's
/// narrow layers at 32x32 (`style32_convolution_gemms`).
pub fn sweep_gemms() -> Vec<GemmCase> {
    let mut cases = dcgan28_gemms();
    cases.extend(style32_convolution_gemms());
    cases
}

/// The GEMMs of the dcgan28 step: its two linear layers and every direction
/// (forward, input gradient, weight gradient) of its four convolutions, at batch 64.
pub fn dcgan28_gemms() -> Vec<GemmCase> {
    let mut cases = Vec::new();
    // (name, [M, K] input, [K, N] weight); D's 1-column product runs as its
    // transpose (1 row), as matmul does for any product of at most 4 columns.
    for (name, input, weight) in
        [("G linear 100->6272", [64, 100], [100, 6272]), ("D linear 6272->1", [64, 6272], [6272, 1])]
    {
        let (x, w) = (Tensor::randn(&input, 8), Tensor::randn(&weight, 9));
        let (m, n) = if weight[1] <= 4 { (weight[1], input[0]) } else { (input[0], weight[1]) };
        cases.push(GemmCase {
            name: format!("{name} forward"),
            m,
            n,
            k: input[1],
            products: 1,
            flops: 2.0 * (m * n * input[1]) as f64,
            run: Box::new(move |blocking| x.matmul_blocked(&w, false, false, blocking)),
        });
    }
    cases.extend(dcgan28_convolution_gemms());
    cases
}

/// A convolution layer as the GEMM cases see it: (name, transposed, input
/// [N, C, H, W], weight).
type ConvLayer = (&'static str, bool, [usize; 4], [usize; 4]);

/// Forward, input gradient and weight gradient of the dcgan28 convolutions.
fn dcgan28_convolution_gemms() -> Vec<GemmCase> {
    let options = Conv2dOptions { stride: (2, 2), padding: (1, 1), ..Default::default() };
    convolution_gemms(
        &[
            ("D conv 1->64, 28->14", false, [64, 1, 28, 28], [64, 1, 4, 4]),
            ("D conv 64->128, 14->7", false, [64, 64, 14, 14], [128, 64, 4, 4]),
            ("G convT 128->64, 7->14", true, [64, 128, 7, 7], [128, 64, 4, 4]),
            ("G convT 64->1, 14->28", true, [64, 64, 14, 14], [64, 1, 4, 4]),
        ],
        options,
    )
}

/// The 3x3 convolutions of the StyleGAN2 bench step's two top resolutions
/// (`--features 16`, batch 16): 8 maps at 32x32 and 16 at 16x16. Their
/// products have 8 or 16 rows, the row classes of `ops/tiles.rs`.
fn style32_convolution_gemms() -> Vec<GemmCase> {
    let options = Conv2dOptions { padding: (1, 1), ..Default::default() };
    convolution_gemms(
        &[
            ("StyleGAN2 conv 8->8, 32x32", false, [16, 8, 32, 32], [8, 8, 3, 3]),
            ("StyleGAN2 conv 16->16, 16x16", false, [16, 16, 16, 16], [16, 16, 3, 3]),
        ],
        options,
    )
}

/// Forward, input gradient and weight gradient of each layer. All three do
/// the layer's multiply-adds: (conv2d-side output pixels) x (kernel taps) x
/// (channel pairs).
fn convolution_gemms(layers: &[ConvLayer], options: Conv2dOptions) -> Vec<GemmCase> {
    let mut cases = Vec::new();
    for &(name, transposed, input, weight) in layers {
        let (x, w) = (Tensor::randn(&input, 5), Tensor::randn(&weight, 6));
        let kernel = (weight[2], weight[3]);
        type Run = Box<dyn Fn(Option<Blocking>) -> Tensor>;
        let conv = |x: &Tensor, w: &Tensor| -> Run {
            let (x, w) = (x.clone(), w.clone());
            Box::new(move |b| conv2d_blocked(&x, &w, None, options, b))
        };
        let conv_t = |x: &Tensor, w: &Tensor| -> Run {
            let (x, w) = (x.clone(), w.clone());
            Box::new(move |b| conv_transpose2d_blocked(&x, &w, None, options, (0, 0), b))
        };
        let weight_grad = |x: &Tensor, g: &Tensor| -> Run {
            let (x, g) = (x.clone(), g.clone());
            Box::new(move |b| conv2d_weight_blocked(&x, &g, kernel, options, b))
        };
        let forward = if transposed { conv_t(&x, &w) } else { conv(&x, &w) };
        let y = forward(None);
        let g = Tensor::randn(y.shape(), 7);
        // The conv2d side's image and output: the layer's input and output, swapped for a transposed layer.
        let (image, out) = if transposed { (y.shape(), &input[..]) } else { (&input[..], y.shape()) };
        let flops = 2.0 * (out[0] * out[1] * out[2] * out[3] * image[1] * kernel.0 * kernel.1) as f64;
        // The implicit GEMMs as conv.rs lays them out (rows, columns, depth, products).
        let pixels = |s: &[usize]| s[0] * s[2] * s[3];
        let (taps, phases) = (image[1] * kernel.0 * kernel.1, options.stride.0 * options.stride.1);
        let conv2d_gemm = (out[1], pixels(out), taps, 1);
        let transposed_gemm = (image[1], pixels(image) / phases, out[1] * kernel.0 * kernel.1 / phases, phases);
        let weight_gemm = (out[1], taps, pixels(out), 1);
        let directions = if transposed {
            [
                ("forward", transposed_gemm, forward),
                ("input grad", conv2d_gemm, conv(&g, &w)),
                ("weight grad", weight_gemm, weight_grad(&g, &x)),
            ]
        } else {
            [
                ("forward", conv2d_gemm, forward),
                ("input grad", transposed_gemm, conv_t(&g, &w)),
                ("weight grad", weight_gemm, weight_grad(&x, &g)),
            ]
        };
        for (what, (m, n, k, products), run) in directions {
            cases.push(GemmCase { name: format!("{name} {what}"), m, n, k, products, flops, run });
        }
    }
    cases
}

/// Batch norm (training mode, affine) forward + backward at the dcgan28
/// shapes. The bytes are the traffic a two-pass kernel pair cannot avoid: the
/// forward reads x twice and writes y; the backward reads x and dy twice and writes dx.
fn batch_norms() -> Vec<Measurement> {
    [[64usize, 128, 7, 7], [64, 64, 14, 14]]
        .into_iter()
        .map(|shape| {
            let x = Tensor::randn(&shape, 5).requires_grad_();
            let weight = Tensor::ones(&[shape[1]]).requires_grad_();
            let bias = Tensor::zeros(&[shape[1]]).requires_grad_();
            let step = || {
                enable_grad(|| {
                    let (y, _) = x.batch_norm_train(Some(&weight), Some(&bias), 1e-5);
                    grad(&[&y], &[&x, &weight, &bias], false).swap_remove(0)
                })
            };
            let seconds = time(10, step);
            Measurement {
                name: format!("batch_norm fwd+bwd {shape:?}"),
                seconds,
                flops: 0.0,
                bytes: 32.0 * x.numel() as f64,
            }
        })
        .collect()
}

/// The strided kernels on a dcgan28 activation [64, 64, 14, 14]: a
/// per-channel operand (broadcast's `rows` path), a per-pixel one shared by
/// the channels (its general path), a permute to channels-last (a strided
/// copy) and a per-channel sum (a conv bias gradient). Bytes: each value
/// read or written once.
fn strided_elementwise() -> Vec<Measurement> {
    let shape = [64usize, 64, 14, 14];
    let x = Tensor::randn(&shape, 6);
    let (per_channel, per_pixel) = (Tensor::randn(&[1, 64, 1, 1], 7), Tensor::randn(&[64, 1, 14, 14], 8));
    let measure = |name: &str, bytes_per_value: f64, seconds: f64| Measurement {
        name: format!("{name} {shape:?}"),
        seconds,
        flops: 0.0,
        bytes: bytes_per_value * x.numel() as f64,
    };
    vec![
        measure("add per channel", 8.0, time(10, || x.add(&per_channel))),
        measure("add per pixel", 8.0 + 4.0 / 64.0, time(10, || x.add(&per_pixel))),
        measure("permute to NHWC", 8.0, time(10, || x.permute(&[0, 2, 3, 1]))),
        measure("sum per channel", 4.0, time(10, || x.sum(&[0, 2, 3], false))),
    ]
}

/// What one training step costs.
pub struct StepCost {
    /// The step's name, e.g. "dcgan28 (batch 64)".
    pub name: String,
    /// Seconds of the first timed step (pipeline compilation included).
    pub first_seconds: f64,
    /// Mean seconds of the steps after it.
    pub mean_seconds: f64,
    /// The most device bytes tensors used at once during those steps.
    pub peak_bytes: u64,
    /// Kernel dispatches per step: on a CPU driver each costs a fixed ~0.1-0.2
    /// ms beyond its work (lavapipe wakes its threads for every one), so
    /// fewer of them is a speed-up of its own.
    pub dispatches_per_step: f64,
}

/// A family's training step as the bench times it: the README's command for
/// the family on the embedded data, after `warmup` untimed steps (in which
/// ProGAN grows to its full 32x32 networks, one step per phase).
pub struct StepBench {
    pub name: String,
    pub config: TrainConfig,
    pub warmup: usize,
}

/// The step benchmarks of `ganforge bench --families`: dcgan28 first, then
/// ProGAN, StyleGAN and StyleGAN2 at 32x32, pix2pix and CycleGAN on the
/// committed emoji.
pub fn family_steps() -> Vec<StepBench> {
    let emoji = |kind: &str| format!("{kind}:{}/data/emoji32/{kind}", env!("CARGO_MANIFEST_DIR"));
    let bench = |name: &str, config: TrainConfig, warmup: usize| StepBench {
        name: format!("{name} (batch {})", config.batch),
        config,
        warmup,
    };
    vec![
        bench("dcgan28", TrainConfig::default(), 0),
        // Seven phases of one step each (4x4; 8x8 fading, stable; ...; 32x32 fading).
        bench(
            "progan 32x32",
            TrainConfig { batch: 16, phase_images: 16, ..TrainConfig::for_model("progan", "wgan-gp", "mnist5k-32") },
            7,
        ),
        bench(
            "stylegan 32x32",
            TrainConfig {
                batch: 8,
                features: 16,
                mapping_width: 64,
                ..TrainConfig::for_model("stylegan", "ns", "mnist5k-32")
            },
            0,
        ),
        bench(
            "stylegan2 32x32",
            TrainConfig {
                batch: 16,
                features: 16,
                mapping_width: 64,
                ..TrainConfig::for_model("stylegan2", "ns", "mnist5k-32")
            },
            0,
        ),
        bench(
            "pix2pix emoji32",
            TrainConfig { patch: 16, ..TrainConfig::for_model("pix2pix", "ns", &emoji("pairs")) },
            0,
        ),
        bench(
            "cyclegan emoji32",
            TrainConfig { batch: 1, features: 8, ..TrainConfig::for_model("cyclegan", "lsgan", &emoji("unpaired")) },
            0,
        ),
    ]
}

/// The step of `bench` after its warm-up, and the next `steps`: their times
/// and the step's peak device memory.
pub fn training_step(bench: StepBench, steps: usize) -> Result<StepCost, String> {
    let out = std::env::temp_dir().join(format!("ganforge-bench-{}", std::process::id()));
    let total = bench.warmup + steps + 1;
    let config = TrainConfig { steps: total, eval_every: 0, out: out.clone(), ..bench.config };
    let mut trainer = Trainer::new(config).map_err(|e| format!("{}: {e}", bench.name))?;
    let timed_step = |trainer: &mut Trainer| {
        let start = Instant::now();
        drop(trainer.step());
        device().synchronize();
        start.elapsed().as_secs_f64()
    };
    for _ in 0..bench.warmup {
        timed_step(&mut trainer);
    }
    let first_seconds = timed_step(&mut trainer);
    device().reset_memory_peak();
    let (dispatches_before, _) = device().counters();
    let mean_seconds = (0..steps).map(|_| timed_step(&mut trainer)).sum::<f64>() / steps.max(1) as f64;
    let dispatches_per_step = (device().counters().0 - dispatches_before) as f64 / steps.max(1) as f64;
    let peak_bytes = device().memory().peak_in_use;
    let _ = std::fs::remove_dir_all(out);
    Ok(StepCost { name: bench.name, first_seconds, mean_seconds, peak_bytes, dispatches_per_step })
}

/// The first dcgan28 training step and the next `steps`, on the embedded
/// MNIST subset: their times and the step's peak device memory.
pub fn dcgan28_step(steps: usize) -> StepCost {
    let dcgan = family_steps().swap_remove(0);
    training_step(dcgan, steps).expect("the embedded dataset opens")
}

impl std::fmt::Display for StepCost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} training step: first {:.2} s, then {:.2} s per step ({:.0} dispatches), peak {:.1} MB of tensors \
             on the device",
            self.name,
            self.first_seconds,
            self.mean_seconds,
            self.dispatches_per_step,
            self.peak_bytes as f64 / 1e6
        )
    }
}

/// A table: time, rate, and fraction of the measured peak.
pub fn table(measurements: &[Measurement], peaks: &Peaks) -> String {
    let mut text = String::new();
    for m in measurements {
        let _ = write!(text, "{:<36} {:10.3} ms", m.name, m.seconds * 1e3);
        if m.flops > 0.0 {
            let rate = m.flops / m.seconds;
            let _ =
                write!(text, "  {:8.2} GFLOP/s  {:5.1}% of peak", rate / 1e9, 100.0 * rate / peaks.flops_per_second);
        } else if m.bytes > 0.0 {
            let rate = m.bytes / m.seconds;
            let _ =
                write!(text, "  {:8.2} GB/s     {:5.1}% of peak", rate / 1e9, 100.0 * rate / peaks.bytes_per_second);
        }
        text.push('\n');
    }
    text
}

/// The same as JSON, for tracking results over time.
pub fn json(adapter: &str, measurements: &[Measurement], peaks: &Peaks, step: Option<StepCost>) -> String {
    let rows: Vec<String> = measurements
        .iter()
        .map(|m| {
            format!(r#"{{"name":{:?},"seconds":{:e},"flops":{:e},"bytes":{:e}}}"#, m.name, m.seconds, m.flops, m.bytes)
        })
        .collect();
    let step = match step {
        Some(step) => format!(
            r#","dcgan28_step":{{"first_seconds":{:e},"mean_seconds":{:e},"peak_bytes":{},"dispatches_per_step":{}}}"#,
            step.first_seconds, step.mean_seconds, step.peak_bytes, step.dispatches_per_step
        ),
        None => String::new(),
    };
    format!(
        r#"{{"adapter":{adapter:?},"peak_flops_per_second":{:e},"peak_bytes_per_second":{:e},"kernels":[{}]{step}}}"#,
        peaks.flops_per_second,
        peaks.bytes_per_second,
        rows.join(",")
    )
}

/// The blockings the GEMM sweep times, and the correctness tests cover:
/// `Blocking::ALL`; the halved CPU blockings `Blocking::for_problem` picks for
/// short sides; then one change at a time from those (1 or 4 blocks a side
/// instead of 2, a 4 x 4 group, thin rows of other widths, tiles in
/// workgroup memory or direct reads), as far as this adapter's workgroup
/// limits allow. (Every combination would be ~60 pipelines per kernel:
/// minutes of compilation on lavapipe, for tiles no adapter class would pick.)
pub fn sweep_blockings() -> Vec<Blocking> {
    let limits = &device().limits;
    let fits = |b: &Blocking| {
        let (x, y) = b.invocations;
        let (rows, cols) = b.tile();
        // gemm.wgsl's K step: 16, or 8 when the tiles are wide (its header).
        let depth = if rows + cols <= 256 { 16 } else { 8 };
        x * y <= limits.max_compute_invocations_per_workgroup
            && x <= limits.max_compute_workgroup_size_x
            && y <= limits.max_compute_workgroup_size_y
            && 4 * depth * (rows + cols) <= limits.max_compute_workgroup_storage_size as usize
    };
    let more = [
        ((4, 8), (4, 4), false),
        ((8, 4), (4, 4), false),
        ((4, 4), (4, 4), false),
        ((8, 8), (1, 1), false),
        ((16, 16), (1, 1), false),
        ((16, 16), (4, 4), false),
        ((4, 4), (2, 2), false),
        ((16, 1), (1, 1), false),
        ((64, 1), (1, 4), false),
        ((16, 1), (1, 4), false),
        ((8, 1), (2, 4), false),
        ((16, 1), (4, 4), false),
        ((8, 8), (4, 4), false),
        // The CPU row's earlier choices for large and short-rows products.
        ((8, 8), (4, 4), true),
        ((8, 4), (4, 4), true),
    ];
    let mut all = Blocking::ALL.to_vec();
    all.extend(more.map(|(invocations, blocks, direct)| Blocking { invocations, blocks, direct }));
    all.retain(fits);
    all
}

/// "8x8 inv, 4x4 blk": invocations (x, y) and 4x4 blocks per invocation (rows,
/// columns), then ", direct" for a blocking without tiles.
pub fn blocking_label(b: Blocking) -> String {
    let direct = if b.direct { ", direct" } else { "" };
    format!("{}x{} inv, {}x{} blk{direct}", b.invocations.0, b.invocations.1, b.blocks.0, b.blocks.1)
}

/// Seconds per call of `case` with each of `blockings`, `reps` calls each after one warm-up.
pub fn sweep(case: &GemmCase, blockings: &[Blocking], reps: usize) -> Vec<(Blocking, f64)> {
    blockings.iter().map(|&b| (b, time(reps, || (case.run)(Some(b))))).collect()
}

/// The sweep of one case as a table: blocking, tile, time, rate, fraction of
/// the FMA peak, the fastest marked `[best]` and `for_problem`'s pick `[chosen]`,
/// then how far the pick is from the best.
pub fn sweep_table(case: &GemmCase, timings: &[(Blocking, f64)], peaks: &Peaks) -> String {
    let chosen = Blocking::for_problem(case.m, case.n);
    let products = if case.products > 1 { format!(", {} products", case.products) } else { String::new() };
    let mut text = format!("{}: M x N x K = {} x {} x {}{products}\n", case.name, case.m, case.n, case.k);
    let Some(&(best, best_seconds)) = timings.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else { return text };
    for &(blocking, seconds) in timings {
        let (rows, cols) = blocking.tile();
        let rate = case.flops / seconds;
        let marks = [(blocking == best, " [best]"), (blocking == chosen, " [chosen]")];
        let marks: String = marks.iter().filter(|m| m.0).map(|m| m.1).collect();
        let _ = writeln!(
            text,
            "  {:<20} {:>9} {:10.3} ms {:8.2} GFLOP/s {:5.1}% of peak{marks}",
            blocking_label(blocking),
            format!("{rows}x{cols}"),
            seconds * 1e3,
            rate / 1e9,
            100.0 * rate / peaks.flops_per_second
        );
    }
    match timings.iter().find(|t| t.0 == chosen) {
        Some(&(_, seconds)) => {
            let _ = writeln!(
                text,
                "  for_problem chooses {}: {:.2}x the best time ({})",
                blocking_label(chosen),
                seconds / best_seconds,
                blocking_label(best)
            );
        }
        None => {
            let _ = writeln!(text, "  for_problem chooses {}, which the sweep did not time", blocking_label(chosen));
        }
    }
    text
}

/// What `ganforge bench --tune` measured: the table it chose and, per shape
/// class, the GEMMs that decided it.
pub struct Tuning {
    pub table: TileTable,
    pub report: String,
}

/// The tile table measured on this adapter: for each shape class, the
/// blocking with the least total time over the swept GEMMs of that class
/// (`reps` calls each after a warm-up); a class no such GEMM falls in keeps
/// the built-in entry. Compiles one pipeline per blocking and kernel: minutes
/// on a CPU adapter, seconds on a GPU.
pub fn tune(reps: usize) -> Tuning {
    let built_in = TileTable::built_in(&device().info);
    let cases = no_grad(sweep_gemms);
    let blockings = sweep_blockings();
    let mut table = built_in;
    let mut report = String::new();
    for class in ShapeClass::ALL {
        let members: Vec<&GemmCase> = cases.iter().filter(|c| ShapeClass::of(c.m, c.n) == class).collect();
        if members.is_empty() {
            let _ = writeln!(
                report,
                "{:<14} no swept GEMM: built-in {}",
                class.name(),
                blocking_label(built_in.for_class(class))
            );
            continue;
        }
        // The sweep's timings of each member, summed per blocking.
        let mut totals: Vec<(Blocking, f64)> = blockings.iter().map(|&b| (b, 0.0)).collect();
        for case in &members {
            for (total, (_, seconds)) in totals.iter_mut().zip(no_grad(|| sweep(case, &blockings, reps))) {
                total.1 += seconds;
            }
        }
        let Some(&(best, best_seconds)) = totals.iter().min_by(|a, b| a.1.total_cmp(&b.1)) else { continue };
        let previous = totals.iter().find(|t| t.0 == built_in.for_class(class)).map_or(f64::NAN, |t| t.1);
        let _ = writeln!(
            report,
            "{:<14} {} GEMMs: {} {:.1} ms in all (built-in {}: {:.2}x that)",
            class.name(),
            members.len(),
            blocking_label(best),
            best_seconds * 1e3,
            blocking_label(built_in.for_class(class)),
            previous / best_seconds
        );
        table = table.with(class, best);
    }
    Tuning { table, report }
}
