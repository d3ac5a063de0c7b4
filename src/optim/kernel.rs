//! Dispatching one kernel of `shaders/optim.wgsl` over tensors, the first of
//! which is written in place.

use crate::gpu::{device, Params, OPTIM, WORKGROUP};
use crate::tensor::Tensor;

/// Runs `entry` over `tensors`, bound in order to bindings 1.. (the first is the
/// one written in place, and its size is the element count). Every parameter
/// struct of optim.wgsl is `n: u32` followed by f32 fields: `scalars` are those
/// fields, in the struct's order.
pub(crate) fn launch(entry: &'static str, scalars: &[f32], tensors: &[&Tensor]) {
    let n = tensors[0].numel();
    for (i, a) in tensors.iter().enumerate() {
        assert_eq!(
            a.numel(),
            n,
            "{entry}: tensors of shapes {:?} and {:?} differ in size",
            tensors[0].shape(),
            a.shape()
        );
        // A buffer bound both read-only and read-write in one dispatch is
        // invalid in wgpu (and would make the update read its own writes).
        for b in &tensors[i + 1..] {
            assert!(a.buffer() != b.buffer(), "{entry}: two of its tensors share storage (shape {:?})", a.shape());
        }
    }
    if n == 0 {
        return;
    }
    let params = scalars.iter().fold(Params::new().size(n), |params, &s| params.f32(s));
    let buffers: Vec<&wgpu::Buffer> = tensors.iter().map(|t| t.buffer()).collect();
    let gpu = device();
    gpu.dispatch(OPTIM.kernel(entry), &params, &buffers, gpu.grid(n, 4 * WORKGROUP));
}
