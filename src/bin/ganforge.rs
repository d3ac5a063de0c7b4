//! The ganforge command line.
//!
//! `ganforge info` prints the GPU adapter the engine would use and its limits.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("info") => info(),
        _ => {
            eprintln!("usage: ganforge info    show the GPU adapter, backend and limits");
            ExitCode::FAILURE
        }
    }
}

fn info() -> ExitCode {
    let gpu = match ganforge::gpu::try_device() {
        Ok(gpu) => gpu,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let info = &gpu.info;
    let limits = &gpu.limits;
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    println!("adapter:      {}", info.name);
    println!("backend:      {:?}", info.backend);
    println!("device type:  {:?}", info.device_type);
    println!("driver:       {} {}", info.driver, info.driver_info);
    println!("limits:");
    println!("  max_storage_buffer_binding_size    {:.1} MiB", mib(limits.max_storage_buffer_binding_size));
    println!("  max_buffer_size                    {:.1} MiB", mib(limits.max_buffer_size));
    println!("  max_compute_workgroup_storage_size {} bytes", limits.max_compute_workgroup_storage_size);
    println!("  max_compute_invocations_per_workgroup {}", limits.max_compute_invocations_per_workgroup);
    println!("  max_compute_workgroups_per_dimension  {}", limits.max_compute_workgroups_per_dimension);
    println!("  max_storage_buffers_per_shader_stage  {}", limits.max_storage_buffers_per_shader_stage);
    println!("features:");
    println!("  timestamp queries: {}", gpu.features.contains(wgpu::Features::TIMESTAMP_QUERY));
    ExitCode::SUCCESS
}
