//! The pipeline cache: each (shader, entry point, op constant) is compiled once.
//!
//! Compiling WGSL to the driver's code takes milliseconds (lavapipe runs LLVM),
//! far longer than a dispatch, so the first use of a kernel compiles it and
//! every later use finds it here.

use super::shaders::Kernel;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A compiled kernel and the layout of its bind group 0.
pub struct Pipeline {
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

/// (shader file, entry point, op constant).
type PipelineKey = (&'static str, &'static str, Option<u32>);

#[derive(Default)]
pub struct PipelineCache {
    modules: Mutex<HashMap<&'static str, Arc<wgpu::ShaderModule>>>,
    pipelines: Mutex<HashMap<PipelineKey, Arc<Pipeline>>>,
}

impl PipelineCache {
    pub fn get(&self, device: &wgpu::Device, kernel: Kernel) -> Arc<Pipeline> {
        let key = (kernel.shader.name, kernel.entry, kernel.op);
        if let Some(found) = self.pipelines.lock().unwrap().get(&key) {
            return found.clone();
        }
        let module = self.module(device, kernel);
        let constants: Vec<(&str, f64)> = kernel.op.map(|op| ("OP", f64::from(op))).into_iter().collect();
        // `layout: None` lets wgpu derive the bind group layout from the bindings
        // the entry point actually uses.
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(kernel.entry),
            layout: None,
            module: &module,
            entry_point: Some(kernel.entry),
            compilation_options: wgpu::PipelineCompilationOptions { constants: &constants, ..Default::default() },
            cache: None,
        });
        let layout = pipeline.get_bind_group_layout(0);
        let compiled = Arc::new(Pipeline { pipeline, layout });
        self.pipelines.lock().unwrap().insert(key, compiled.clone());
        compiled
    }

    fn module(&self, device: &wgpu::Device, kernel: Kernel) -> Arc<wgpu::ShaderModule> {
        let mut modules = self.modules.lock().unwrap();
        modules
            .entry(kernel.shader.name)
            .or_insert_with(|| {
                Arc::new(device.create_shader_module(wgpu::ShaderModuleDescriptor {
                    label: Some(kernel.shader.name),
                    source: wgpu::ShaderSource::Wgsl(
                        kernel.shader.full_source(device.features().contains(wgpu::Features::SUBGROUP)).into(),
                    ),
                }))
            })
            .clone()
    }
}
