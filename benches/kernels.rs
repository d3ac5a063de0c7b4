//! Kernel benchmarks: `cargo bench`. Prints GFLOP/s (compute-bound kernels) and
//! GB/s (memory-bound ones) on whatever adapter the engine picks.
//!
//! Timing is wall clock around a batch of dispatches followed by a full
//! synchronisation, after one untimed warm-up run that compiles the pipeline.

use ganforge::gpu::device;
use ganforge::ops::conv::{conv2d, conv2d_weight, conv_transpose2d, Conv2dOptions};
use ganforge::ops::gemm::Blocking;
use ganforge::{no_grad, Tensor};
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

        let tiny = Tensor::ones(&[1]);
        let seconds = time(500, || tiny.add_scalar(1.0));
        println!("one small dispatch: {:8.1} us", seconds * 1e6);
    });
}

/// The convolutions of the dcgan28 reference workload (DESIGN.md) at batch 64:
/// forward, input gradient, weight gradient and both (the full backward).
/// GFLOP/s count 2 per multiply-add of the layer (the same for each of the
/// three products), 4 for the full backward.
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
        // Multiply-adds: (output values of the layer's conv2d view) x (its input
        // channels) x (kernel elements). A transposed layer is the adjoint of the
        // conv2d from its output back to its input, so there the roles swap.
        let (image, out) = if transposed { (y.shape(), &input[..]) } else { (&input[..], y.shape()) };
        let macs = (out[0] * out[1] * out[2] * out[3] * image[1] * kernel.0 * kernel.1) as f64;
        let report = |what: &str, seconds: f64| {
            println!("{name} {what}: {:8.3} ms  {:8.2} GFLOP/s", seconds * 1e3, 2.0 * macs / seconds / 1e9);
        };
        report("forward", time(5, forward));
        let input_gradient = || {
            if transposed {
                conv2d(&g, &w, None, options)
            } else {
                conv_transpose2d(&g, &w, None, options, (0, 0))
            }
        };
        let weight_gradient = || {
            if transposed {
                conv2d_weight(&g, &x, kernel, options)
            } else {
                conv2d_weight(&x, &g, kernel, options)
            }
        };
        report("input gradient", time(5, input_gradient));
        report("weight gradient", time(5, weight_gradient));
        let both = time(5, || {
            drop(input_gradient());
            weight_gradient()
        });
        println!("{name} full backward: {:8.3} ms  {:8.2} GFLOP/s", both * 1e3, 4.0 * macs / both / 1e9);
    }
}
