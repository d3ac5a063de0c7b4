//! Kernel benchmarks: `cargo bench`. Prints GFLOP/s (compute-bound kernels) and
//! GB/s (memory-bound ones) on whatever adapter the engine picks.
//!
//! Timing is wall clock around a batch of dispatches followed by a full
//! synchronisation, after one untimed warm-up run that compiles the pipeline.

use ganforge::gpu::device;
use ganforge::ops::matmul::Blocking;
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

        let tiny = Tensor::ones(&[1]);
        let seconds = time(500, || tiny.add_scalar(1.0));
        println!("one small dispatch: {:8.1} us", seconds * 1e6);
    });
}
