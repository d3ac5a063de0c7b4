//! The GPU layer: one `Device` that owns the wgpu objects and turns "run this
//! kernel on these buffers" into batched command submissions.
//!
//! **Command batching.** A dispatch is recorded into the open command encoder and
//! returns at once. The encoder is submitted only when data is read back, or
//! after `DISPATCHES_PER_SUBMIT` dispatches so the GPU starts working while the
//! CPU records more. On lavapipe a dispatch costs ~100 us but a submit and
//! readback ~1 ms, so a training step should read back only its losses.
//!
//! **Parameter arena.** Each dispatch's small parameters (shapes, strides) are
//! written into its own 256-byte slot of one read-only storage buffer; the
//! whole arena is uploaded once, just before the submit, so no two dispatches
//! share a slot. Storage, not the uniform buffer such parameters usually live
//! in: lavapipe specialises a shader to the values of the uniforms its loops
//! and branches test, and Mesa 22.3 (Debian 12's) recompiles it at every
//! dispatch without freeing the old code. A `[512, 16] x [16, 128]` matmul
//! then cost 55 ms and 4.6 MB per dispatch instead of 5 ms and nothing (ProGAN
//! reached 24 GB); storage buffers are never specialised.

mod adapter;
mod params;
mod pipelines;
mod pool;
pub mod profile;
mod readback;
mod shaders;
mod storage;

pub use adapter::GpuError;
pub use params::{Params, MAX_RANK};
pub use pool::MemoryUse;
pub use profile::{Peaks, Profiler, Work};
pub use shaders::{Kernel, Shader, ALL as ALL_SHADERS};
pub use storage::Storage;

pub(crate) use shaders::{BATCH_NORM, CONV, EMBEDDING, ONE_CHANNEL_CONV, OPTIM, PEAK, PIXEL_NORM, RESAMPLE};
pub(crate) use shaders::{BROADCAST, MATMUL, REDUCE, SHAPE, UNARY};

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

/// Dispatches recorded before the encoder is submitted even without a readback.
pub const DISPATCHES_PER_SUBMIT: usize = 128;
/// Submits the GPU may have queued before the next one waits for the oldest.
/// Without a bound, a loop that never reads back (a thousand training steps
/// between two logged losses) runs ahead of the GPU by all of them, and every
/// queued submit holds its commands and parameter upload in the driver: on
/// SwiftShader 40-170 MB for a thousand small steps, depending on how far
/// ahead the CPU got. Four submits are up to 512 dispatches, more than a
/// dcgan28 step, so the GPU never waits for the CPU because of it.
const MAX_SUBMITS_IN_FLIGHT: usize = 4;

/// Blocks until the GPU has finished `submission` (None: everything submitted
/// so far) and wgpu has run the callbacks it completes, such as a mapped
/// readback's. A wait without a timeout, for a submission this device
/// returned, has no way to fail. In a browser this returns at once: a page
/// cannot block, and the browser runs the GPU and the callbacks itself.
pub(crate) fn wait_for_gpu(device: &wgpu::Device, submission: Option<wgpu::SubmissionIndex>) {
    #[cfg(not(target_arch = "wasm32"))]
    device
        .poll(wgpu::PollType::Wait { submission_index: submission, timeout: None })
        .expect("an untimed wait for a submission of this device cannot fail");
    #[cfg(target_arch = "wasm32")]
    let _ = (device, submission);
}
/// Threads per workgroup of the one-dimensional (elementwise) kernels.
pub const WORKGROUP: u32 = 256;

/// The commands recorded since the last submit, and the submits the GPU may
/// still be running.
struct Batch {
    encoder: Option<wgpu::CommandEncoder>,
    /// Parameter bytes for the arena, one slot per dispatch.
    params: Vec<u8>,
    dispatches: usize,
    /// The most recent submits, oldest first (at most MAX_SUBMITS_IN_FLIGHT).
    in_flight: VecDeque<wgpu::SubmissionIndex>,
}

pub struct Device {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub limits: wgpu::Limits,
    pub features: wgpu::Features,
    /// The lanes every subgroup of this device has at least, where it has
    /// subgroup operations (wgpu's SUBGROUP feature): 8 on lavapipe, 4 on
    /// SwiftShader, 32 on NVIDIA GPUs. None without them.
    pub subgroup_size: Option<u32>,
    pipelines: pipelines::PipelineCache,
    pool: pool::BufferPool,
    batch: Mutex<Batch>,
    arena: wgpu::Buffer,
    slot: u64,
    dispatch_count: AtomicU64,
    submit_count: AtomicU64,
    /// With `GANFORGE_PROFILE` set: the time of every dispatch.
    profiler: Option<Profiler>,
}

static DEVICE: OnceLock<Result<Device, GpuError>> = OnceLock::new();

/// The process-wide device, opened on first use. Panics with the fix when no
/// adapter exists; use [`try_device`] to handle that case yourself.
pub fn device() -> &'static Device {
    try_device().unwrap_or_else(|e| panic!("{e}"))
}

/// The process-wide device, or the reason it could not be opened.
/// On the web it must have been opened first by [`open_device`], since opening
/// it there means awaiting the browser.
pub fn try_device() -> Result<&'static Device, &'static GpuError> {
    #[cfg(not(target_arch = "wasm32"))]
    let opened = DEVICE.get_or_init(Device::open);
    #[cfg(target_arch = "wasm32")]
    let opened = DEVICE
        .get()
        .expect("on the web the GPU opens asynchronously: await ganforge::gpu::open_device() before using tensors");
    opened.as_ref()
}

/// Opens the process-wide device without blocking (the web's way; native code
/// may use it too). Later calls return the device the first one opened.
pub async fn open_device() -> Result<&'static Device, &'static GpuError> {
    if let Some(opened) = DEVICE.get() {
        return opened.as_ref();
    }
    let opened = Device::open_async().await;
    DEVICE.get_or_init(|| opened).as_ref()
}

impl Device {
    /// Opens the preferred adapter (see `adapter.rs`) with all of its limits,
    /// blocking until it is ready.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn open() -> Result<Device, GpuError> {
        pollster::block_on(Device::open_async())
    }

    /// Opens the preferred adapter (see `adapter.rs`) with all of its limits.
    pub async fn open_async() -> Result<Device, GpuError> {
        let profile_mode = profile::Mode::from_env().map_err(GpuError::Profile)?;
        let backends = adapter::backends_from_env();
        let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle();
        descriptor.backends = backends;
        let instance = wgpu::Instance::new(descriptor);
        let adapter = adapter::choose_adapter(&instance, backends).await?;
        let limits = adapter.limits();
        // Timestamps for the profiler, subgroups for the GEMM's shared A
        // (ops::gemm), each where the adapter has it. Not subgroups in a
        // browser: its WGSL compiler wants an `enable subgroups;` line, which
        // naga (wgpu 30) does not parse yet.
        let wanted = if cfg!(target_arch = "wasm32") {
            wgpu::Features::TIMESTAMP_QUERY
        } else {
            wgpu::Features::TIMESTAMP_QUERY | wgpu::Features::SUBGROUP
        };
        let features = adapter.features() & wanted;
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("ganforge"),
                required_features: features,
                required_limits: limits.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| GpuError::DeviceRequest(e.to_string()))?;
        let slot = 256.max(limits.min_storage_buffer_offset_alignment as u64);
        let arena = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("parameter arena"),
            size: slot * DISPATCHES_PER_SUBMIT as u64,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let profiler = profile_mode.map(|mode| Profiler::new(mode, &device, &queue, DISPATCHES_PER_SUBMIT));
        let info = adapter.get_info();
        let subgroup_size = features.contains(wgpu::Features::SUBGROUP).then_some(info.subgroup_min_size);
        Ok(Device {
            info,
            limits,
            features,
            subgroup_size,
            device,
            queue,
            pipelines: Default::default(),
            pool: Default::default(),
            batch: Mutex::new(Batch { encoder: None, params: Vec::new(), dispatches: 0, in_flight: VecDeque::new() }),
            arena,
            slot,
            dispatch_count: AtomicU64::new(0),
            submit_count: AtomicU64::new(0),
            profiler,
        })
    }

    /// Refuses a tensor of `len` f32 values that one storage binding cannot hold.
    pub fn check_fits(&self, len: usize) -> Result<(), GpuError> {
        let bytes = len as u64 * 4;
        let limit = self.limits.max_storage_buffer_binding_size.min(self.limits.max_buffer_size);
        if bytes > limit {
            return Err(GpuError::TooLarge { len, bytes, limit, adapter: self.info.name.clone() });
        }
        Ok(())
    }

    // ANCHOR: dispatch
    /// Records one dispatch of `kernel`: binding 0 gets `params`, bindings 1.. get
    /// `buffers` in order, and `groups` workgroups run.
    pub fn dispatch(&self, kernel: Kernel, params: &Params, buffers: &[&wgpu::Buffer], groups: [u32; 3]) {
        self.dispatch_with_work(kernel, params, buffers, groups, None);
    }

    /// `dispatch`, telling the profiler the work this dispatch does (its FLOPs
    /// or bytes and its shape); with None it estimates the bytes.
    pub fn dispatch_with_work(
        &self,
        kernel: Kernel,
        params: &Params,
        buffers: &[&wgpu::Buffer],
        groups: [u32; 3],
        work: Option<Work>,
    ) {
        let pipeline = self.pipelines.get(&self.device, kernel);
        let mut batch = self.batch.lock().unwrap();
        if batch.dispatches == DISPATCHES_PER_SUBMIT {
            self.submit(&mut batch);
        }
        let offset = batch.dispatches as u64 * self.slot;
        let bytes = params.bytes();
        assert!(bytes.len() as u64 <= self.slot, "kernel parameters exceed one arena slot");
        batch.params.resize(offset as usize, 0);
        batch.params.extend_from_slice(bytes);

        let mut entries = vec![wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.arena,
                offset,
                size: wgpu::BufferSize::new(self.slot),
            }),
        }];
        for (i, buffer) in buffers.iter().enumerate() {
            entries.push(wgpu::BindGroupEntry { binding: i as u32 + 1, resource: buffer.as_entire_binding() });
        }
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(kernel.entry),
            layout: &pipeline.layout,
            entries: &entries,
        });
        let timestamp_writes = self.profiler.as_ref().and_then(|p| p.begin(kernel, work, buffers));
        let encoder = self.encoder(&mut batch);
        let mut pass =
            encoder.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(kernel.entry), timestamp_writes });
        pass.set_pipeline(&pipeline.pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.dispatch_workgroups(groups[0], groups[1], groups[2]);
        drop(pass);
        batch.dispatches += 1;
        self.dispatch_count.fetch_add(1, Ordering::Relaxed);
        if let Some(profiler) = self.profiler.as_ref().filter(|p| p.times_wall()) {
            // Wall-clock profiling: run this dispatch alone and charge its time to it.
            let start = std::time::Instant::now();
            self.submit(&mut batch);
            wait_for_gpu(&self.device, None);
            profiler.end_wall(start, start.elapsed());
        }
    }
    // ANCHOR_END: dispatch

    /// With `GANFORGE_PROFILE` set, the profiler holding every dispatch's time.
    /// Profiling waits for the GPU at every submit, so it slows the run down.
    pub fn profiler(&self) -> Option<&Profiler> {
        self.profiler.as_ref()
    }

    /// Whether this device has subgroup operations and every subgroup holds
    /// at least `lanes` lanes, so that `lanes` consecutive invocations of a
    /// workgroup no larger than that can share values by shuffles
    /// (lanes.wgsl).
    pub fn subgroups_hold(&self, lanes: u32) -> bool {
        self.subgroup_size.is_some_and(|size| size >= lanes)
    }

    /// Workgroup counts covering `items` work items, `per_group` per workgroup.
    /// Grids larger than the per-dimension limit (65535) spill into y; kernels
    /// recover the flat index with `flat_group` in the prelude.
    pub fn grid(&self, items: usize, per_group: u32) -> [u32; 3] {
        let groups = items.div_ceil(per_group as usize).max(1);
        let max = self.limits.max_compute_workgroups_per_dimension as usize;
        let x = groups.min(max);
        let y = groups.div_ceil(x);
        assert!(y <= max, "{items} work items exceed the dispatch limits of this GPU");
        [x as u32, y as u32, 1]
    }

    /// Records a copy of `data` into `target` (through a fresh staging buffer,
    /// so the copy is ordered after all previously recorded kernels).
    pub fn upload(&self, target: &wgpu::Buffer, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("upload"),
            size: data.len() as u64,
            usage: wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::MAP_WRITE,
            mapped_at_creation: true,
        });
        staging.get_mapped_range_mut(..).expect("fresh staging buffer is mapped").copy_from_slice(data);
        staging.unmap();
        let mut batch = self.batch.lock().unwrap();
        self.encoder(&mut batch).copy_buffer_to_buffer(&staging, 0, target, 0, data.len() as u64);
    }

    // ANCHOR: read
    /// Submits everything recorded, then copies `bytes` bytes of `source` back,
    /// waiting for the GPU.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read(&self, source: &wgpu::Buffer, bytes: u64) -> Vec<u8> {
        pollster::block_on(self.read_async(source, bytes))
    }

    /// A web page cannot block on the GPU: a blocking read is an error there.
    #[cfg(target_arch = "wasm32")]
    pub fn read(&self, _source: &wgpu::Buffer, bytes: u64) -> Vec<u8> {
        panic!(
            "reading {bytes} bytes back would block on the GPU, which a web page cannot do: \
             use the async read (Tensor::to_vec_async) instead"
        )
    }

    /// Submits everything recorded, then copies `bytes` bytes of `source` back
    /// once the GPU has computed them. On the web the browser completes the
    /// copy while the page goes on; natively wgpu only reports it from inside
    /// `poll`, so there this waits for the GPU before returning.
    pub async fn read_async(&self, source: &wgpu::Buffer, bytes: u64) -> Vec<u8> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: bytes,
            usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
            mapped_at_creation: false,
        });
        {
            let mut batch = self.batch.lock().unwrap();
            self.encoder(&mut batch).copy_buffer_to_buffer(source, 0, &staging, 0, bytes);
            self.submit(&mut batch);
        }
        let slice = staging.slice(..);
        let mapped = readback::Mapped::request(&slice);
        wait_for_gpu(&self.device, None);
        mapped.await.expect("mapping the readback buffer failed");
        let data = slice.get_mapped_range().expect("readback buffer is mapped").to_vec();
        staging.unmap();
        data
    }
    // ANCHOR_END: read

    /// Submits everything recorded so far and waits for the GPU to finish it
    /// (used by benchmarks to time work).
    pub fn synchronize(&self) {
        self.submit(&mut self.batch.lock().unwrap());
        wait_for_gpu(&self.device, None);
    }

    /// Device memory held and used by tensors (see `pool.rs`).
    pub fn memory(&self) -> MemoryUse {
        self.pool.memory()
    }

    /// Starts measuring a new peak of the memory tensors use (e.g. per step).
    pub fn reset_memory_peak(&self) {
        self.pool.reset_peak();
    }

    /// Dispatches recorded and submits made since the device was opened.
    pub fn counters(&self) -> (u64, u64) {
        (self.dispatch_count.load(Ordering::Relaxed), self.submit_count.load(Ordering::Relaxed))
    }

    fn encoder<'a>(&self, batch: &'a mut Batch) -> &'a mut wgpu::CommandEncoder {
        batch.encoder.get_or_insert_with(|| {
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("batch") })
        })
    }

    fn submit(&self, batch: &mut Batch) {
        let Some(mut encoder) = batch.encoder.take() else { return };
        if !batch.params.is_empty() {
            self.queue.write_buffer(&self.arena, 0, &batch.params);
        }
        if let Some(profiler) = &self.profiler {
            profiler.resolve(&mut encoder);
        }
        let submitted = self.queue.submit([encoder.finish()]);
        if let Some(profiler) = &self.profiler {
            profiler.collect(&self.device);
        }
        batch.params.clear();
        batch.dispatches = 0;
        self.submit_count.fetch_add(1, Ordering::Relaxed);
        // At most MAX_SUBMITS_IN_FLIGHT recent submits: past that, wait for the oldest.
        batch.in_flight.push_back(submitted);
        if batch.in_flight.len() > MAX_SUBMITS_IN_FLIGHT {
            wait_for_gpu(&self.device, batch.in_flight.pop_front());
        }
    }
}
