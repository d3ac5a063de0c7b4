//! Choosing the GPU: which adapter we run on, and the error when there is none.
//!
//! Preference order: a discrete GPU, an integrated GPU, a virtual GPU, then a
//! software rasteriser such as Mesa's lavapipe (Vulkan on the CPU). Two
//! environment variables override the choice:
//! - `GANFORGE_BACKEND=vulkan|metal|dx12|gl` restricts the graphics API;
//! - `GANFORGE_ADAPTER=<substring>` picks the first adapter whose name contains it.

use std::fmt;

/// Everything that can go wrong while opening the GPU.
#[derive(Debug)]
pub enum GpuError {
    /// No adapter at all (or none matching the overrides).
    NoAdapter { backends: String, wanted: Option<String>, seen: Vec<String> },
    /// The adapter exists but refused to create a device.
    DeviceRequest(String),
    /// A tensor larger than one storage binding may be.
    TooLarge { len: usize, bytes: u64, limit: u64, adapter: String },
    /// `GANFORGE_PROFILE` holds no profiling mode.
    Profile(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter { backends, wanted, seen } => {
                match wanted {
                    Some(name) => write!(
                        f,
                        "no GPU adapter whose name contains {name:?} (GANFORGE_ADAPTER) on backends {backends}; adapters seen: {seen:?}. "
                    )?,
                    None => write!(f, "no GPU adapter found on backends {backends}. ")?,
                }
                write!(
                    f,
                    "To fix: install your GPU's driver (Vulkan, Metal or DX12), or on a machine \
                     without a GPU install Mesa's software Vulkan driver \
                     (Debian/Ubuntu: `sudo apt-get install mesa-vulkan-drivers`); \
                     unset GANFORGE_ADAPTER / GANFORGE_BACKEND if they are set."
                )
            }
            GpuError::DeviceRequest(why) => write!(f, "the GPU adapter refused to open a device: {why}"),
            GpuError::Profile(why) => write!(f, "{why}"),
            GpuError::TooLarge { len, bytes, limit, adapter } => write!(
                f,
                "a tensor of {len} f32 values ({:.1} MiB) is larger than one storage binding on {adapter} \
                 (max_storage_buffer_binding_size {:.1} MiB); use a smaller batch or model",
                *bytes as f64 / 1048576.0,
                *limit as f64 / 1048576.0
            ),
        }
    }
}

impl std::error::Error for GpuError {}

/// Rank of a device type: lower is preferred.
fn preference(kind: wgpu::DeviceType) -> u8 {
    match kind {
        wgpu::DeviceType::DiscreteGpu => 0,
        wgpu::DeviceType::IntegratedGpu => 1,
        wgpu::DeviceType::VirtualGpu => 2,
        wgpu::DeviceType::Other => 3,
        wgpu::DeviceType::Cpu => 4,
    }
}

/// The backends to search: `GANFORGE_BACKEND` if set, else every native one
/// (on the web: the browser's WebGPU, and no environment to read).
pub fn backends_from_env() -> wgpu::Backends {
    if cfg!(target_arch = "wasm32") {
        return wgpu::Backends::BROWSER_WEBGPU;
    }
    match std::env::var("GANFORGE_BACKEND") {
        Ok(list) => wgpu::Backends::from_comma_list(&list),
        Err(_) => wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12,
    }
}

/// Picks the adapter to use, honouring `GANFORGE_ADAPTER`.
pub async fn choose_adapter(instance: &wgpu::Instance, backends: wgpu::Backends) -> Result<wgpu::Adapter, GpuError> {
    let wanted = std::env::var("GANFORGE_ADAPTER").ok();
    let mut adapters = instance.enumerate_adapters(backends).await;
    let seen: Vec<String> = adapters.iter().map(|a| a.get_info().name).collect();
    if let Some(name) = &wanted {
        let needle = name.to_lowercase();
        adapters.retain(|a| a.get_info().name.to_lowercase().contains(&needle));
    }
    adapters.sort_by_key(|a| preference(a.get_info().device_type));
    let backends = match std::env::var("GANFORGE_BACKEND") {
        Ok(list) if backends.is_empty() => {
            format!("(none: GANFORGE_BACKEND={list:?} names none of vulkan, metal, dx12, gl)")
        }
        _ => format!("{backends:?}"),
    };
    adapters.into_iter().next().ok_or(GpuError::NoAdapter { backends, wanted, seen })
}
