//! `Storage`: a run of f32 values in a GPU buffer, returned to the pool on drop.

use super::device;

pub struct Storage {
    buffer: Option<wgpu::Buffer>,
    len: usize,
}

impl Storage {
    /// Uninitialised storage for `len` f32 values (a kernel will write it).
    /// Panics with a clear message when `len` is beyond the device's limits.
    pub fn new(len: usize) -> Storage {
        let gpu = device();
        gpu.check_fits(len).unwrap_or_else(|e| panic!("{e}"));
        Storage { buffer: Some(gpu.pool.take(&gpu.device, bytes_of(len))), len }
    }

    /// Storage holding a copy of `values`.
    pub fn from_slice(values: &[f32]) -> Storage {
        let storage = Storage::new(values.len());
        device().upload(storage.buffer(), bytemuck::cast_slice(values));
        storage
    }

    /// Number of f32 values.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        self.buffer.as_ref().expect("storage buffer is present until drop")
    }

    /// Copies the values back to the CPU (submits pending work and waits).
    /// Empty storage reads as no values, though its buffer holds one.
    pub fn read(&self) -> Vec<f32> {
        if self.is_empty() {
            return Vec::new();
        }
        let bytes = device().read(self.buffer(), bytes_of(self.len));
        bytemuck::pod_collect_to_vec(&bytes)
    }

    /// Copies the values back to the CPU without blocking (see `Device::read_async`).
    pub async fn read_async(&self) -> Vec<f32> {
        if self.is_empty() {
            return Vec::new();
        }
        let bytes = device().read_async(self.buffer(), bytes_of(self.len)).await;
        bytemuck::pod_collect_to_vec(&bytes)
    }
}

/// Bytes of `len` f32 values (at least 4: wgpu buffers cannot be empty).
fn bytes_of(len: usize) -> u64 {
    (len.max(1) * 4) as u64
}

impl Drop for Storage {
    fn drop(&mut self) {
        if let Some(buffer) = self.buffer.take() {
            device().pool.give_back(buffer);
        }
    }
}
