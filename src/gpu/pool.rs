//! The buffer pool: GPU memory is recycled instead of freed.
//!
//! Creating a buffer is slow compared with a small kernel, and a training step
//! allocates the same sizes every step. When a tensor's storage is dropped its
//! buffer goes back here, filed under its size class; the next request of that
//! class takes it. Reuse is safe without any fence because every dispatch runs in
//! queue order: a kernel recorded later than the last reader of a buffer also runs
//! later.
//!
//! The pool also counts bytes: what it holds on the device (every buffer it
//! ever created, since it frees none), what tensors use now, and the most they
//! used at once since the peak was last reset: the figures a memory report needs.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Every buffer holding tensor data can be a kernel's input or output, and a
/// source or destination of copies (uploads and readbacks).
pub const STORAGE_USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// Rounds a byte count up to its size class: 256 bytes minimum, then four
/// classes per power of two (1, 1.25, 1.5, 1.75 x 2^k), so at most 25% is wasted.
pub fn size_class(bytes: u64) -> u64 {
    let bytes = bytes.max(256);
    let top = 63 - (bytes - 1).leading_zeros() as u64; // 2^top < bytes <= 2^(top+1)
    let quarter = (1u64 << top) / 4;
    bytes.div_ceil(quarter) * quarter
}

/// Device memory of tensor buffers, in bytes (size classes, not requested sizes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryUse {
    /// Every buffer the pool created: free or in use, it stays allocated.
    pub held: u64,
    /// Buffers that tensors hold now.
    pub in_use: u64,
    /// The most `in_use` has been since the last `reset_peak`.
    pub peak_in_use: u64,
}

#[derive(Default)]
pub struct BufferPool {
    free: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
    held: AtomicU64,
    in_use: AtomicU64,
    peak_in_use: AtomicU64,
}

impl BufferPool {
    /// A buffer of at least `bytes` bytes, recycled when one is free.
    pub fn take(&self, device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
        let class = size_class(bytes);
        let in_use = self.in_use.fetch_add(class, Ordering::Relaxed) + class;
        self.peak_in_use.fetch_max(in_use, Ordering::Relaxed);
        if let Some(buffer) = self.free.lock().unwrap().get_mut(&class).and_then(Vec::pop) {
            return buffer;
        }
        self.held.fetch_add(class, Ordering::Relaxed);
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tensor"),
            size: class,
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        })
    }

    /// Files a buffer under its size class for reuse.
    pub fn give_back(&self, buffer: wgpu::Buffer) {
        self.in_use.fetch_sub(buffer.size(), Ordering::Relaxed);
        self.free.lock().unwrap().entry(buffer.size()).or_default().push(buffer);
    }

    pub fn memory(&self) -> MemoryUse {
        MemoryUse {
            held: self.held.load(Ordering::Relaxed),
            in_use: self.in_use.load(Ordering::Relaxed),
            peak_in_use: self.peak_in_use.load(Ordering::Relaxed),
        }
    }

    /// Starts a new peak from what is in use now.
    pub fn reset_peak(&self) {
        self.peak_in_use.store(self.in_use.load(Ordering::Relaxed), Ordering::Relaxed);
    }
}
