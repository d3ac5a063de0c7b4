//! Kernel benchmarks: `cargo bench`. Prints GFLOP/s (compute-bound kernels) and
//! GB/s (memory-bound ones) on whatever adapter the engine picks.
//!
//! Timing is wall clock around a batch of dispatches followed by a full
//! synchronisation, after one untimed warm-up run that compiles the pipeline.

use ganforge::gpu::device;
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
        for blocking in [Blocking::Gpu, Blocking::Cpu, Blocking::Small] {
            let seconds = time(3, || a.matmul_blocked(&b, false, false, Some(blocking)));
            let flops = 2.0 * (n * n * n) as f64;
            println!(
                "matmul {n}^3, {blocking:?} blocking: {:8.3} ms  {:8.2} GFLOP/s",
                seconds * 1e3,
                flops / seconds / 1e9
            );
        }

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
