//! The benchmark suite behind `cargo bench` and `ganforge bench`.
//!
//! Every kernel is timed by wall clock around a batch of dispatches followed
//! by a full synchronisation, after one untimed run that compiles its
//! pipeline. Compute-bound kernels report GFLOP/s (2 per multiply-add),
//! memory-bound ones GB/s, and both as a fraction of what this adapter can do
//! at best, measured by two yardstick kernels (`shaders/peak.wgsl`): a chain
//! of independent FMAs (attainable FP32 rate) and a plain vec4 copy
//! (attainable bandwidth).

use crate::gan::{TrainConfig, Trainer};
use crate::gpu::{device, Params, Storage, PEAK};
use crate::ops::conv::{conv2d, conv2d_weight, conv_transpose2d, Conv2dOptions};
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

/// What the adapter attains at best.
#[derive(Clone, Copy, Debug)]
pub struct Peaks {
    pub flops_per_second: f64,
    pub bytes_per_second: f64,
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

/// Square matmuls, the dcgan28 convolutions and batch norms, an elementwise
/// add and the cost of one tiny dispatch.
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

/// The convolutions of the dcgan28 reference workload (DESIGN.md) at batch 64:
/// forward, input gradient and weight gradient. All three do the layer's
/// multiply-adds: (conv2d-side output pixels) x (kernel taps) x (channel pairs).
fn dcgan28_convolutions() -> Vec<Measurement> {
    let options = Conv2dOptions { stride: (2, 2), padding: (1, 1), ..Default::default() };
    // (name, transposed, input [N, C, H, W], weight)
    let layers = [
        ("D conv 1->64, 28->14", false, [64, 1, 28, 28], [64, 1, 4, 4]),
        ("D conv 64->128, 14->7", false, [64, 64, 14, 14], [128, 64, 4, 4]),
        ("G convT 128->64, 7->14", true, [64, 128, 7, 7], [128, 64, 4, 4]),
        ("G convT 64->1, 14->28", true, [64, 64, 14, 14], [64, 1, 4, 4]),
    ];
    let mut all = Vec::new();
    for (name, transposed, input, weight) in layers {
        let x = Tensor::randn(&input, 5);
        let w = Tensor::randn(&weight, 6);
        let kernel = (weight[2], weight[3]);
        let forward =
            || if transposed { conv_transpose2d(&x, &w, None, options, (0, 0)) } else { conv2d(&x, &w, None, options) };
        let y = forward();
        let g = Tensor::randn(y.shape(), 7);
        let (image, out) = if transposed { (y.shape(), &input[..]) } else { (&input[..], y.shape()) };
        let flops = 2.0 * (out[0] * out[1] * out[2] * out[3] * image[1] * kernel.0 * kernel.1) as f64;
        let input_gradient =
            || if transposed { conv2d(&g, &w, None, options) } else { conv_transpose2d(&g, &w, None, options, (0, 0)) };
        let weight_gradient =
            || if transposed { conv2d_weight(&g, &x, kernel, options) } else { conv2d_weight(&x, &g, kernel, options) };
        for (what, seconds) in [
            ("forward", time(5, forward)),
            ("input grad", time(5, input_gradient)),
            ("weight grad", time(5, weight_gradient)),
        ] {
            all.push(Measurement { name: format!("{name} {what}"), seconds, flops, bytes: 0.0 });
        }
    }
    all
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

/// Time of the first dcgan28 training step (pipeline compilation included)
/// and the mean of the next `steps`, on the embedded MNIST subset.
pub fn dcgan28_step(steps: usize) -> (f64, f64) {
    let out = std::env::temp_dir().join(format!("ganforge-bench-{}", std::process::id()));
    let config = TrainConfig { steps: steps + 1, out: out.clone(), ..TrainConfig::default() };
    let mut trainer = Trainer::new(config).expect("the embedded dataset opens");
    let timed_step = |trainer: &mut Trainer| {
        let start = Instant::now();
        drop(trainer.step());
        device().synchronize();
        start.elapsed().as_secs_f64()
    };
    let first = timed_step(&mut trainer);
    let mean = (0..steps).map(|_| timed_step(&mut trainer)).sum::<f64>() / steps.max(1) as f64;
    let _ = std::fs::remove_dir_all(out);
    (first, mean)
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
pub fn json(adapter: &str, measurements: &[Measurement], peaks: &Peaks, step: Option<(f64, f64)>) -> String {
    let rows: Vec<String> = measurements
        .iter()
        .map(|m| {
            format!(r#"{{"name":{:?},"seconds":{:e},"flops":{:e},"bytes":{:e}}}"#, m.name, m.seconds, m.flops, m.bytes)
        })
        .collect();
    let step = match step {
        Some((first, mean)) => format!(r#","dcgan28_step":{{"first_seconds":{first:e},"mean_seconds":{mean:e}}}"#),
        None => String::new(),
    };
    format!(
        r#"{{"adapter":{adapter:?},"peak_flops_per_second":{:e},"peak_bytes_per_second":{:e},"kernels":[{}]{step}}}"#,
        peaks.flops_per_second,
        peaks.bytes_per_second,
        rows.join(",")
    )
}
