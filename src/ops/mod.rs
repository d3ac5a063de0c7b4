//! Differentiable ops. Each family pairs `ops/<family>.rs` (forward dispatch
//! and backward rule side by side) with `shaders/<family>.wgsl` (the kernels).
//!
//! This file holds the shape arithmetic the families share.

pub mod batch_norm;
pub mod broadcast;
pub mod composite;
pub mod conv;
pub mod dropout;
pub mod embedding;
pub mod feature_maps;
pub mod gemm;
pub mod matmul;
pub mod norm;
mod one_channel_conv;
mod pixel_norm;
pub mod reduce;
pub mod resample;
pub mod shape;
pub mod tile_cache;
pub mod tiles;
pub mod unary;

use crate::gpu::{device, MAX_RANK};
use std::cell::Cell;

/// How many consecutive elements one invocation of a strided kernel walks
/// (strided.wgsl's `Walk`, batch norm's elementwise passes): many on a CPU
/// adapter, where every read of the kernel's parameters is a loop over the
/// SIMD lanes and a walk reads them once (32: on lavapipe 16 -> 32 took a
/// permute of [64, 64, 14, 14] from 1.4 to 1.1 ms, and batch norm did not
/// move); one on a GPU, where neighbouring invocations must read
/// neighbouring addresses.
pub(crate) fn strided_run() -> usize {
    RUN_OVERRIDE.with(Cell::get).unwrap_or(match device().info.device_type {
        wgpu::DeviceType::Cpu => 32,
        _ => 1,
    })
}

/// The run of a strided.wgsl walk over `shape` (coalesced, as the kernel
/// sees it): `strided_run()`, cut down where the shape has three or more
/// dimensions to the largest divisor of its two innermost extents' product,
/// since a walk carries from the innermost dimension into the one before it
/// only. Runs start at multiples of the run, so none then crosses an index of
/// a third dimension.
pub(crate) fn walk_run(shape: &[usize]) -> usize {
    match shape {
        [.., rows, row] if shape.len() > 2 => run_within(rows * row),
        _ => strided_run(),
    }
}

/// The largest run up to `strided_run()` that divides `period`: runs that
/// start at its multiples never cross a multiple of `period`.
pub(crate) fn run_within(period: usize) -> usize {
    (1..=strided_run()).rev().find(|d| period.is_multiple_of(*d)).unwrap_or(1)
}

thread_local! {
    static RUN_OVERRIDE: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `f` with the strided kernels it dispatches (on this thread) walking
/// `run` elements per invocation instead of this adapter's choice: how the
/// tests run a GPU's setting (1) on a CPU driver.
pub fn with_strided_run<T>(run: usize, f: impl FnOnce() -> T) -> T {
    assert!(run > 0, "with_strided_run: a run holds at least one element");
    let before = RUN_OVERRIDE.with(|cell| cell.replace(Some(run)));
    let result = f();
    RUN_OVERRIDE.with(|cell| cell.set(before));
    result
}

/// Row-major strides of a contiguous tensor of this shape.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// The shape two shapes broadcast to (NumPy rules: align on the right; each
/// pair of sizes must be equal or contain a 1). Panics naming both shapes.
pub fn broadcast_shapes(a: &[usize], b: &[usize]) -> Vec<usize> {
    let rank = a.len().max(b.len());
    (0..rank)
        .map(|d| {
            let size_a = if d + a.len() >= rank { a[d + a.len() - rank] } else { 1 };
            let size_b = if d + b.len() >= rank { b[d + b.len() - rank] } else { 1 };
            match (size_a, size_b) {
                (x, y) if x == y => x,
                (1, y) => y,
                (x, 1) => x,
                _ => {
                    panic!("shapes {a:?} and {b:?} cannot be broadcast together (dimension {d}: {size_a} vs {size_b})")
                }
            }
        })
        .collect()
}

/// Strides for reading a tensor of shape `shape` as if it had the (broadcast)
/// shape `target`: 0 along dimensions it is broadcast over.
pub fn broadcast_strides(shape: &[usize], target: &[usize]) -> Vec<usize> {
    let own = contiguous_strides(shape);
    let offset = target.len() - shape.len();
    (0..target.len()).map(|d| if d < offset || shape[d - offset] == 1 { 0 } else { own[d - offset] }).collect()
}

/// Simplifies an index space shared by several operands, each with its own
/// strides: drops size-1 dimensions, and merges dimension d into d+1 when every
/// operand steps over d exactly as if the two were one dimension. Kernels then
/// do fewer divisions per element, and most elementwise ops end up rank 1.
pub fn coalesce(shape: &[usize], strides: &[Vec<usize>]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_shape: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && strides.iter().zip(&out_strides).all(|(s, o)| *o.last().unwrap() == s[d] * shape[d]);
        if mergeable {
            *out_shape.last_mut().unwrap() *= shape[d];
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                *o.last_mut().unwrap() = s[d];
            }
        } else {
            out_shape.push(shape[d]);
            for (s, o) in strides.iter().zip(out_strides.iter_mut()) {
                o.push(s[d]);
            }
        }
    }
    assert!(
        out_shape.len() <= MAX_RANK,
        "kernels index at most {MAX_RANK} dimensions; shape {shape:?} needs {}",
        out_shape.len()
    );
    (out_shape, out_strides)
}

/// Resolves a possibly negative axis (-1 is the last) against a shape.
pub fn normalize_axis(axis: isize, shape: &[usize]) -> usize {
    let rank = shape.len() as isize;
    let resolved = if axis < 0 { axis + rank } else { axis };
    assert!((0..rank).contains(&resolved), "axis {axis} is out of range for shape {shape:?} (rank {rank})");
    resolved as usize
}
