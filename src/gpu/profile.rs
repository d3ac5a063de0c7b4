//! The profiler behind `GANFORGE_PROFILE`: how long each dispatch ran, as a
//! per-kernel table and as a timeline in the Chrome trace-event format (open it
//! in ui.perfetto.dev or chrome://tracing).
//!
//! - `GANFORGE_PROFILE=gpu` times every dispatch on the GPU's own clock: each
//!   compute pass writes a timestamp query at its start and its end, and the
//!   queries of a batch are resolved into a buffer and read back when the batch
//!   is submitted (so every submit waits for the GPU, but dispatches still run
//!   batched). An adapter without `TIMESTAMP_QUERY` falls back to wall time,
//!   and the table's header and the trace's metadata say so.
//! - `GANFORGE_PROFILE=wall` submits every dispatch alone and charges the wall
//!   time of its submit-and-wait to it: CPU-side costs included.
//!
//! A pipeline's first dispatch is kept out of the table (the timeline keeps
//! it, marked): CPU drivers compile a shader when it first runs (lavapipe:
//! up to a second for a GEMM), which would swamp the row of a kernel that then
//! runs for milliseconds. The table's last line gives their total.
//!
//! A dispatch's rate needs its work: ops that know it (matmul, convolutions)
//! pass a [`Work`]; for the others the bytes are estimated as the sizes of the
//! buffers they bind (each read or written once), marked `~` in the table.

use super::Kernel;
use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The timeline keeps the first this many dispatches (about 3 MB of JSON),
/// so a long run does not write gigabytes; the table counts every dispatch.
pub const MAX_EVENTS: usize = 20_000;

/// What `GANFORGE_PROFILE` asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// GPU timestamps where the adapter has them, else wall time.
    Gpu,
    /// Wall time of each dispatch submitted alone.
    Wall,
}

impl Mode {
    /// The mode `GANFORGE_PROFILE` asks for: None when unset, an error naming
    /// the accepted values when it holds anything else.
    pub fn from_env() -> Result<Option<Mode>, String> {
        match std::env::var("GANFORGE_PROFILE") {
            Err(std::env::VarError::NotPresent) => Ok(None),
            Ok(value) if value == "gpu" => Ok(Some(Mode::Gpu)),
            Ok(value) if value == "wall" => Ok(Some(Mode::Wall)),
            Ok(value) => Err(format!(
                "GANFORGE_PROFILE={value:?} is not a profiling mode: use `gpu` (GPU timestamps, wall time where \
                 the adapter has none) or `wall` (each dispatch submitted alone), or unset it"
            )),
            Err(e) => Err(format!("GANFORGE_PROFILE is not valid text ({e}): use `gpu` or `wall`, or unset it")),
        }
    }
}

/// The work one dispatch does, for its rate: floating-point operations (2 per
/// multiply-add), bytes that must move, and a shape to tell calls apart.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Work {
    pub flops: f64,
    pub bytes: f64,
    pub shape: String,
    /// True when `bytes` is the profiler's estimate, not the op's own figure.
    pub estimated: bool,
}

impl Work {
    /// A compute-bound dispatch: `flops` operations on a problem of `shape`.
    pub fn flops(flops: f64, shape: String) -> Work {
        Work { flops, shape, ..Work::default() }
    }

    /// `problems` matrix products of M x N x K (2 MNK FLOPs each).
    pub fn gemm(m: usize, n: usize, k: usize, problems: usize) -> Work {
        let shape = if problems > 1 { format!("{problems} x {m}x{n}x{k}") } else { format!("{m}x{n}x{k}") };
        Work::flops(2.0 * (m * n * k * problems) as f64, shape)
    }

    /// The estimate for a dispatch that gave no work: every bound buffer read
    /// or written once. (Buffers come from the pool's size classes, so this is
    /// up to 25% high.)
    fn from_buffers(buffers: &[&wgpu::Buffer]) -> Work {
        let bytes = buffers.iter().map(|b| b.size() as f64).sum();
        Work { bytes, estimated: true, ..Work::default() }
    }
}

/// What an adapter attains at best (`bench::peaks` measures it).
#[derive(Clone, Copy, Debug)]
pub struct Peaks {
    pub flops_per_second: f64,
    pub bytes_per_second: f64,
}

/// One timed dispatch on the timeline, microseconds from the first one.
struct Event {
    kernel: String,
    work: Work,
    start_us: f64,
    duration_us: f64,
    /// The first dispatch of its pipeline (on a CPU driver: compile included).
    first_use: bool,
}

/// Totals of one (kernel, shape) row of the table: the work summed over its
/// dispatches (a row of estimated bytes mixes sizes).
#[derive(Default)]
struct Row {
    dispatches: u64,
    seconds: f64,
    work: Work,
}

/// Dispatches recorded into the open batch whose timestamps are not read yet.
struct Pending {
    kernel: String,
    work: Work,
}

#[derive(Default)]
struct Record {
    pending: Vec<Pending>,
    rows: HashMap<(String, String), Row>,
    /// Pipelines dispatched so far, and the time of their first dispatches.
    pipelines_seen: HashSet<String>,
    first_use_seconds: f64,
    events: Vec<Event>,
    dropped_events: u64,
    /// The GPU clock's first reading, in ticks (timestamp mode).
    first_tick: Option<u64>,
}

/// The query set and buffers of timestamp mode: two queries per dispatch of a batch.
struct Timestamps {
    queries: wgpu::QuerySet,
    resolved: wgpu::Buffer,
    readback: wgpu::Buffer,
    nanoseconds_per_tick: f64,
}

pub struct Profiler {
    timestamps: Option<Timestamps>,
    started: Instant,
    paused: AtomicBool,
    record: Mutex<Record>,
}

impl Profiler {
    /// A profiler for batches of at most `per_batch` dispatches; timestamps
    /// when `mode` is Gpu and the device has them.
    pub(crate) fn new(mode: Mode, device: &wgpu::Device, queue: &wgpu::Queue, per_batch: usize) -> Profiler {
        let has_queries = device.features().contains(wgpu::Features::TIMESTAMP_QUERY);
        let timestamps = (mode == Mode::Gpu && has_queries).then(|| {
            let count = 2 * per_batch as u32;
            let bytes = 8 * count as u64;
            let buffer = |label, usage| {
                device.create_buffer(&wgpu::BufferDescriptor {
                    label: Some(label),
                    size: bytes,
                    usage,
                    mapped_at_creation: false,
                })
            };
            Timestamps {
                queries: device.create_query_set(&wgpu::QuerySetDescriptor {
                    label: Some("dispatch timestamps"),
                    ty: wgpu::QueryType::Timestamp,
                    count,
                }),
                resolved: buffer(
                    "resolved timestamps",
                    wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
                ),
                readback: buffer("timestamp readback", wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ),
                nanoseconds_per_tick: f64::from(queue.get_timestamp_period()),
            }
        });
        Profiler { timestamps, started: Instant::now(), paused: AtomicBool::new(false), record: Default::default() }
    }

    /// How dispatches are timed, in words (the table's header, the trace's metadata).
    pub fn clock(&self) -> &'static str {
        if self.timestamps.is_some() {
            "GPU timestamp queries"
        } else {
            "wall time of each dispatch submitted alone (no GPU timestamps: GANFORGE_PROFILE=wall, or the \
             adapter lacks TIMESTAMP_QUERY)"
        }
    }

    /// True when each dispatch must be submitted alone and timed by the caller.
    pub(crate) fn times_wall(&self) -> bool {
        self.timestamps.is_none() && !self.paused.load(Ordering::Relaxed)
    }

    /// Runs `f` without recording its dispatches (e.g. measuring the peaks
    /// after a profiled run).
    pub fn paused<T>(&self, f: impl FnOnce() -> T) -> T {
        self.paused.store(true, Ordering::Relaxed);
        let result = f();
        self.paused.store(false, Ordering::Relaxed);
        result
    }

    /// Notes a dispatch about to be recorded; in timestamp mode, the writes its
    /// compute pass should make.
    pub(crate) fn begin(
        &self,
        kernel: Kernel,
        work: Option<Work>,
        buffers: &[&wgpu::Buffer],
    ) -> Option<wgpu::ComputePassTimestampWrites<'_>> {
        if self.paused.load(Ordering::Relaxed) {
            return None;
        }
        // "shader:entry", with "#op" for a specialised kernel, in hex: the op
        // codes are bit fields (a GEMM's blocking is a hex digit per field).
        let kernel = match kernel.op {
            Some(op) => format!("{}:{}#{op:#x}", kernel.shader.name, kernel.entry),
            None => format!("{}:{}", kernel.shader.name, kernel.entry),
        };
        let work = work.unwrap_or_else(|| Work::from_buffers(buffers));
        let mut record = self.record.lock().unwrap();
        let index = 2 * record.pending.len() as u32;
        record.pending.push(Pending { kernel, work });
        self.timestamps.as_ref().map(|t| wgpu::ComputePassTimestampWrites {
            query_set: &t.queries,
            beginning_of_pass_write_index: Some(index),
            end_of_pass_write_index: Some(index + 1),
        })
    }

    /// Wall mode: the dispatch noted last ran from `start` for `elapsed`.
    pub(crate) fn end_wall(&self, start: Instant, elapsed: Duration) {
        let mut record = self.record.lock().unwrap();
        let start_us = (start - self.started).as_secs_f64() * 1e6;
        for pending in std::mem::take(&mut record.pending) {
            record.add(pending, start_us, elapsed.as_secs_f64() * 1e6);
        }
    }

    /// Timestamp mode, before a batch is finished: copies its queries to the readback buffer.
    pub(crate) fn resolve(&self, encoder: &mut wgpu::CommandEncoder) {
        let (Some(t), count) = (&self.timestamps, self.record.lock().unwrap().pending.len() as u32) else { return };
        if count > 0 {
            encoder.resolve_query_set(&t.queries, 0..2 * count, &t.resolved, 0);
            encoder.copy_buffer_to_buffer(&t.resolved, 0, &t.readback, 0, 16 * count as u64);
        }
    }

    /// Timestamp mode, after the batch was submitted: waits for it, then reads
    /// its timestamps and records its dispatches.
    pub(crate) fn collect(&self, device: &wgpu::Device) {
        let Some(t) = &self.timestamps else { return };
        let mut record = self.record.lock().unwrap();
        if record.pending.is_empty() {
            return;
        }
        let slice = t.readback.slice(..16 * record.pending.len() as u64);
        let (sender, receiver) = std::sync::mpsc::channel();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        super::wait_for_gpu(device, None);
        receiver.recv().expect("map callback ran").expect("mapping the timestamp buffer failed");
        let ticks: Vec<u64> = bytemuck::pod_collect_to_vec(&slice.get_mapped_range().expect("timestamps are mapped"));
        t.readback.unmap();
        let first = *record.first_tick.get_or_insert(ticks[0]);
        let microseconds = |tick: u64| tick.saturating_sub(first) as f64 * t.nanoseconds_per_tick / 1e3;
        for (pending, pair) in std::mem::take(&mut record.pending).into_iter().zip(ticks.chunks(2)) {
            let start = microseconds(pair[0]);
            record.add(pending, start, (microseconds(pair[1]) - start).max(0.0));
        }
    }

    /// The per-kernel table, slowest first: dispatches, time, rate and (with
    /// `peaks`) fraction of peak.
    pub fn table(&self, peaks: Option<&Peaks>) -> String {
        let record = self.record.lock().unwrap();
        let mut rows: Vec<(&(String, String), &Row)> = record.rows.iter().collect();
        rows.sort_by(|a, b| b.1.seconds.total_cmp(&a.1.seconds));
        let total: f64 = rows.iter().map(|(_, row)| row.seconds).sum();
        let mut text = format!("profile ({}); ~: bytes estimated from the bound buffers\n", self.clock());
        match peaks {
            Some(p) => {
                let (flops, bytes) = (p.flops_per_second / 1e9, p.bytes_per_second / 1e9);
                let _ = writeln!(text, "measured peaks: {flops:.1} GFLOP/s (FMA chains), {bytes:.1} GB/s (vec4 copy)");
            }
            None => text += "peak not measured: no fraction of peak\n",
        }
        let _ = writeln!(
            text,
            "{:<32} {:<24} {:>10} {:>11} {:>6} {:>18} {:>8}",
            "kernel", "shape", "dispatches", "time ms", "share", "rate", "of peak"
        );
        for ((kernel, shape), row) in rows {
            let (rate, fraction) = rate(&row.work, row.seconds, peaks);
            let _ = writeln!(
                text,
                "{kernel:<32} {shape:<24} {:>10} {:>11.3} {:>5.1}% {rate:>18} {fraction:>8}",
                row.dispatches,
                row.seconds * 1e3,
                100.0 * row.seconds / total.max(f64::MIN_POSITIVE),
            );
        }
        let _ = writeln!(
            text,
            "not in the rows: the first dispatch of each of the {} pipelines, {:.3} ms (on a CPU driver it \
             includes compiling the shader)",
            record.pipelines_seen.len(),
            record.first_use_seconds * 1e3
        );
        text
    }

    /// The timeline as Chrome trace-event JSON: one complete ("X") event per
    /// dispatch on one track, its work in `args`.
    pub fn trace_json(&self, adapter: &str) -> String {
        let record = self.record.lock().unwrap();
        let events: Vec<String> = record
            .events
            .iter()
            .map(|e| {
                let (rate, _) = rate(&e.work, e.duration_us / 1e6, None);
                format!(
                    r#"{{"name":{:?},"cat":"dispatch","ph":"X","ts":{:.3},"dur":{:.3},"pid":1,"tid":1,"args":{{"kernel":{:?},"shape":{:?},"flops":{},"bytes":{},"rate":{:?},"first_use":{}}}}}"#,
                    e.kernel, e.start_us, e.duration_us, e.kernel, e.work.shape, e.work.flops, e.work.bytes, rate,
                    e.first_use
                )
            })
            .collect();
        format!(
            "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ms\",\"metadata\":{{\"adapter\":{adapter:?},\"clock\":{:?},\"events_kept\":{},\"events_dropped\":{}}}}}\n",
            events.join(",\n"),
            self.clock(),
            record.events.len(),
            record.dropped_events
        )
    }

    /// Writes [`Profiler::trace_json`] to `path`.
    pub fn write_trace(&self, path: &std::path::Path, adapter: &str) -> Result<(), String> {
        std::fs::write(path, self.trace_json(adapter)).map_err(|e| format!("could not write {}: {e}", path.display()))
    }
}

impl Record {
    /// Adds one timed dispatch to its table row (or, the first of its
    /// pipeline, to the first-use total) and, while there is room, to the timeline.
    fn add(&mut self, pending: Pending, start_us: f64, duration_us: f64) {
        let first_use = self.pipelines_seen.insert(pending.kernel.clone());
        if first_use {
            self.first_use_seconds += duration_us / 1e6;
        } else {
            let row = self.rows.entry((pending.kernel.clone(), pending.work.shape.clone())).or_default();
            row.dispatches += 1;
            row.seconds += duration_us / 1e6;
            row.work.flops += pending.work.flops;
            row.work.bytes += pending.work.bytes;
            row.work.estimated = pending.work.estimated;
        }
        if self.events.len() < MAX_EVENTS {
            self.events.push(Event { kernel: pending.kernel, work: pending.work, start_us, duration_us, first_use });
        } else {
            self.dropped_events += 1;
        }
    }
}

/// "12.3 GFLOP/s" or "4.5 GB/s" (with `~` for an estimate) for `work` done in
/// `seconds`, and its fraction of `peaks` ("" when unknown).
fn rate(work: &Work, seconds: f64, peaks: Option<&Peaks>) -> (String, String) {
    let seconds = seconds.max(1e-9);
    let fraction = |rate: f64, peak: Option<f64>| peak.map_or(String::new(), |p| format!("{:.1}%", 100.0 * rate / p));
    if work.flops > 0.0 {
        let rate = work.flops / seconds;
        (format!("{:.2} GFLOP/s", rate / 1e9), fraction(rate, peaks.map(|p| p.flops_per_second)))
    } else if work.bytes > 0.0 {
        let rate = work.bytes / seconds;
        let mark = if work.estimated { "~" } else { "" };
        (format!("{mark}{:.2} GB/s", rate / 1e9), fraction(rate, peaks.map(|p| p.bytes_per_second)))
    } else {
        (String::new(), String::new())
    }
}
