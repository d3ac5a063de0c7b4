//! Kernel benchmarks: `cargo bench`. Prints GFLOP/s (compute-bound kernels) and
//! GB/s (memory-bound ones) on whatever adapter the engine picks.
//!
//! Timing is wall clock around a batch of dispatches followed by a full
//! synchronisation, after one untimed warm-up run that compiles the pipeline.

use ganforge::gpu::device;
use ganforge::ops::conv::{conv2d, conv2d_weight, conv_transpose2d, Conv2dOptions};
use ganforge::ops::matmul::Blocking;
use ganforge::{enable_grad, grad, no_grad, Tensor};
use std::time::Instant;

/// Seconds per call of `f`, averaged over `reps` calls after one warm-up.
fn time(reps: usize, f: impl Fn() -> Tensor) -> f64 {
    drop(f());
    device().synchronize();
    let start = Instant::now();
    for _ in 0..reps {
        drop(f());
    }
    device().synchronize();
    start.elapsed().as_secs_f64() / reps as f64
}

fn main() {
    let gpu = device();
    println!("adapter: {} ({:?}, {:?})", gpu.info.name, gpu.info.backend, gpu.info.device_type);
    no_grad(|| {
        for n in [256usize, 512, 1024] {
            let a = Tensor::randn(&[n, n], 1);
            let b = Tensor::randn(&[n, n], 2);
            let reps = if n == 1024 { 5 } else { 20 };
            let seconds = time(reps, || a.matmul(&b));
            let flops = 2.0 * (n * n * n) as f64;
            println!("matmul {n}^3: {:8.3} ms  {:8.2} GFLOP/s", seconds * 1e3, flops / seconds / 1e9);
        }
        // The same product under each blocking of the tiled core (the default
        // above picks one per adapter).
        let n = 1024;
        let a = Tensor::randn(&[n, n], 1);
        let b = Tensor::randn(&[n, n], 2);
        for blocking in [Blocking::GPU, Blocking::CPU, Blocking::SMALL] {
            let seconds = time(3, || a.matmul_blocked(&b, false, false, Some(blocking)));
            let flops = 2.0 * (n * n * n) as f64;
            println!(
                "matmul {n}^3, {:?} invocations of {:?} blocks: {:8.3} ms  {:8.2} GFLOP/s",
                blocking.invocations,
                blocking.blocks,
                seconds * 1e3,
                flops / seconds / 1e9
            );
        }

        dcgan28_convolutions();

        let n = 1 << 22;
        let a = Tensor::randn(&[n], 3);
        let b = Tensor::randn(&[n], 4);
        let seconds = time(20, || a.add(&b));
        let bytes = 3.0 * 4.0 * n as f64; // read a, read b, write out
        println!("add {n} elements: {:8.3} ms  {:8.2} GB/s", seconds * 1e3, bytes / seconds / 1e9);

        // Batch norm (training mode, affine) forward + backward at the dcgan28
        // shapes: G's first BatchNorm2d and D's / G's second. The gradient is
        // seeded with ones (what `grad` does); the cost does not depend on it.
        // GB/s counts the traffic a two-pass kernel pair cannot avoid: the
        // forward reads x twice (statistics, then normalise) and writes y; the
        // backward reads x and dy twice (two sums, then dx) and writes dx.
        for shape in [[64usize, 128, 7, 7], [64, 64, 14, 14]] {
            let x = Tensor::randn(&shape, 5).requires_grad_();
            let weight = Tensor::ones(&[shape[1]]).requires_grad_();
            let bias = Tensor::zeros(&[shape[1]]).requires_grad_();
            let step = || {
                enable_grad(|| {
                    let (y, _) = x.batch_norm_train(Some(&weight), Some(&bias), 1e-5);
                    grad(&[&y], &[&x, &weight, &bias], false).swap_remove(0)
                })
            };
            let (dispatches_before, _) = gpu.counters();
            drop(step());
            let dispatches = gpu.counters().0 - dispatches_before;
            let seconds = time(10, step);
            let bytes = 8.0 * 4.0 * x.numel() as f64;
            println!(
                "batch_norm fwd+bwd {shape:?}: {:8.3} ms  {:8.2} GB/s  ({dispatches} dispatches)",
                seconds * 1e3,
                bytes / seconds / 1e9
            );
        }

        let tiny = Tensor::ones(&[1]);
        let seconds = time(500, || tiny.add_scalar(1.0));
        println!("one small dispatch: {:8.1} us", seconds * 1e6);
    });
}

/// The convolutions of the dcgan28 reference workload (DESIGN.md) at batch 64:
/// forward, input gradient and weight gradient, each one kernel launch set.
/// GFLOP/s count 2 per multiply-add of the layer (the same for all three).
fn dcgan28_convolutions() {
    let options = Conv2dOptions { stride: (2, 2), padding: (1, 1), ..Default::default() };
    // (name, transposed, input [N, C, H, W], weight)
    let layers = [
        ("D conv 1->64, 28->14", false, [64, 1, 28, 28], [64, 1, 4, 4]),
        ("D conv 64->128, 14->7", false, [64, 64, 14, 14], [128, 64, 4, 4]),
        ("G convT 128->64, 7->14", true, [64, 128, 7, 7], [128, 64, 4, 4]),
        ("G convT 64->1, 14->28", true, [64, 64, 14, 14], [64, 1, 4, 4]),
    ];
    for (name, transposed, input, weight) in layers {
        let x = Tensor::randn(&input, 5);
        let w = Tensor::randn(&weight, 6);
        let kernel = (weight[2], weight[3]);
        let forward = || {
            if transposed {
                conv_transpose2d(&x, &w, None, options, (0, 0))
            } else {
                conv2d(&x, &w, None, options)
            }
        };
        let y = forward();
        let g = Tensor::randn(y.shape(), 7);
        // Multiply-adds: every (input pixel or output pixel of the conv2d side) x
        // (kernel element) x (channel pair); the conv2d side is the larger image
        // for a transposed layer, so count from the conv2d view of each layer.
        let (image, out) = if transposed { (y.shape(), &input[..]) } else { (&input[..], y.shape()) };
        let macs = (out[0] * out[1] * out[2] * out[3] * image[1] * kernel.0 * kernel.1) as f64;
        let report = |what: &str, seconds: f64| {
            println!("{name} {what}: {:8.3} ms  {:8.2} GFLOP/s", seconds * 1e3, 2.0 * macs / seconds / 1e9);
        };
        report("forward", time(5, forward));
        report(
            "input gradient",
            time(5, || {
                if transposed {
                    conv2d(&g, &w, None, options)
                } else {
                    conv_transpose2d(&g, &w, None, options, (0, 0))
                }
            }),
        );
        report(
            "weight gradient",
            time(5, || {
                if transposed {
                    conv2d_weight(&g, &x, kernel, options)
                } else {
                    conv2d_weight(&x, &g, kernel, options)
                }
            }),
        );
    }
}
