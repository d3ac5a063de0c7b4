//! Memory stays flat over long loops: the process's (what the driver keeps)
//! and the device's (what the buffer pool holds), and the pool's counts add up.
//!
//! Kernel parameters once lived in a uniform buffer, and lavapipe (Mesa 22.3)
//! then recompiled the matmul shader at every dispatch of some shapes without
//! freeing the old code: 4.6 MB per `[512, 16] x [16, 128]` product, so a
//! thousand steps of a ProGAN took gigabytes. This loop of a thousand such
//! products grew by 4.6 GB then; it must now stay within a few megabytes.

mod common;

use common::fresh_temp_dir;
use ganforge::gan::config::TrainConfig;
use ganforge::gan::trainer::Trainer;
use ganforge::gpu::device;
use ganforge::{no_grad, Tensor};
use std::sync::Mutex;

/// The tests measure one process and one pool: they take turns.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// Resident memory of this process in bytes (Linux's /proc/self/statm counts
/// pages of 4 KiB).
#[cfg(target_os = "linux")]
fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm is readable on Linux");
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).expect("statm's second field");
    pages * 4096
}

#[cfg(target_os = "linux")]
#[test]
fn a_thousand_products_leave_memory_flat() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    no_grad(|| {
        let a = Tensor::randn(&[512, 16], 1);
        let b = Tensor::randn(&[16, 128], 2);
        let run = |count: usize| {
            for _ in 0..count {
                drop(a.matmul(&b));
            }
            device().synchronize();
        };
        // The first products compile the pipeline and fill the buffer pool.
        run(50);
        let before = resident_bytes();
        run(1000);
        let grown = resident_bytes().saturating_sub(before) as f64 / 1e6;
        assert!(
            grown < 50.0,
            "1,000 products grew the process by {grown:.0} MB (4.6 MB each when the driver recompiles)"
        );
    });
}

/// A thousand WGAN-GP steps (first and second derivatives, Adam, the ring's
/// batches, no readback) after a thousand more: the device holds not one byte
/// more, and the process stays within a few megabytes. The pool is full after
/// ten steps. The process grew for longer, by 40-170 MB over the second
/// thousand steps on SwiftShader, until the device bounded the submits queued
/// ahead of the GPU (`MAX_SUBMITS_IN_FLIGHT`): the growth was the queue, and
/// its depth depended on how far the CPU ran ahead. Measured since: +21.5 MB
/// over the first 500 steps, then 0.0 MB per 500 steps, on SwiftShader.
#[cfg(target_os = "linux")]
#[test]
fn a_thousand_training_steps_hold_no_more_memory_than_the_thousand_before() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let config = TrainConfig {
        model: "mlp".into(),
        dataset: "ring".into(),
        loss: "wgan-gp".into(),
        batch: 16,
        steps: 2000,
        out: fresh_temp_dir("memory-steps"),
        ..TrainConfig::default()
    };
    let mut trainer = Trainer::new(config).unwrap();
    let mut run = |count: usize| {
        for _ in 0..count {
            drop(trainer.step());
        }
        device().synchronize();
    };
    run(1000);
    let (process, held) = (resident_bytes(), device().memory().held);
    run(1000);
    let grown = resident_bytes().saturating_sub(process) as f64 / 1e6;
    assert_eq!(device().memory().held, held, "the pool created buffers after the first thousand steps");
    assert!(grown < 10.0, "1,000 steps grew the process by {grown:.1} MB");
}

/// Tensors count in their size class while alive, and the peak remembers the
/// most that were alive at once until it is reset.
#[test]
fn the_pool_counts_what_tensors_use_and_the_peak() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let before = device().memory();
    let a = Tensor::zeros(&[1000]); // 4,000 bytes: size class 4,096
    let b = Tensor::zeros(&[100]); // 400 bytes: size class 448
    assert_eq!(device().memory().in_use, before.in_use + 4096 + 448);
    drop(a);
    drop(b);
    let after = device().memory();
    assert_eq!(after.in_use, before.in_use);
    assert!(after.peak_in_use >= before.in_use + 4096 + 448);
    device().reset_memory_peak();
    assert_eq!(device().memory().peak_in_use, after.in_use);
}
