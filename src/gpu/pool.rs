//! The buffer pool: GPU memory is recycled instead of freed.
//!
//! Creating a buffer is slow compared with a small kernel, and a training step
//! allocates the same sizes every step. When a tensor's storage is dropped its
//! buffer goes back here, filed under its size class; the next request of that
//! class takes it. Reuse is safe without any fence because every dispatch runs in
//! queue order: a kernel recorded later than the last reader of a buffer also runs
//! later.

use std::collections::HashMap;
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

#[derive(Default)]
pub struct BufferPool {
    free: Mutex<HashMap<u64, Vec<wgpu::Buffer>>>,
}

impl BufferPool {
    /// A buffer of at least `bytes` bytes, recycled when one is free.
    pub fn take(&self, device: &wgpu::Device, bytes: u64) -> wgpu::Buffer {
        let class = size_class(bytes);
        if let Some(buffer) = self.free.lock().unwrap().get_mut(&class).and_then(Vec::pop) {
            return buffer;
        }
        device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("tensor"),
            size: class,
            usage: STORAGE_USAGE,
            mapped_at_creation: false,
        })
    }

    /// Files a buffer under its size class for reuse.
    pub fn give_back(&self, buffer: wgpu::Buffer) {
        self.free.lock().unwrap().entry(buffer.size()).or_default().push(buffer);
    }
}
