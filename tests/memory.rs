//! The process's memory stays flat over a long loop of dispatches.
//!
//! Kernel parameters once lived in a uniform buffer, and lavapipe (Mesa 22.3)
//! then recompiled the matmul shader at every dispatch of some shapes without
//! freeing the old code: 4.6 MB per `[512, 16] x [16, 128]` product, so a
//! thousand steps of a ProGAN took gigabytes. This loop of a thousand such
//! products grew by 4.6 GB then; it must now stay within a few megabytes.

use ganforge::gpu::device;
use ganforge::{no_grad, Tensor};

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
