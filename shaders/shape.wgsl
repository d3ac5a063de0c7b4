// shape.wgsl — data movement: the strided copy behind permute, slice, pad,
// concat and expand, and a fill.
//
// `copy`: bindings 0 params, 1 src (read), 2 dst (write). One invocation moves
// one element of an index space of shape `shape`: its flat index is split into
// per-dimension indices, which are weighted by the source strides and by the
// destination strides (plus a base offset for each). Permute swaps source
// strides, slice starts at an offset, pad and concat write into a window of a
// larger destination, and expand reads with stride 0.
//
// `fill`: bindings 0 params, 1 dst (write). dst[i] = value.

struct CopyParams {
    n: u32,
    rank: u32,
    src_offset: u32,
    dst_offset: u32,
    shape: array<vec4<u32>, 2>,
    src_strides: array<vec4<u32>, 2>,
    dst_strides: array<vec4<u32>, 2>,
}

@group(0) @binding(0) var<uniform> cp: CopyParams;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn copy(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= cp.n) {
        return;
    }
    let read_at = cp.src_offset + strided_offset(i, cp.rank, cp.shape, cp.src_strides);
    let write_at = cp.dst_offset + strided_offset(i, cp.rank, cp.shape, cp.dst_strides);
    dst[write_at] = src[read_at];
}

struct FillParams {
    n: u32,
    value: f32,
}

@group(0) @binding(0) var<uniform> fp: FillParams;
@group(0) @binding(1) var<storage, read_write> fill_dst: array<f32>;

@compute @workgroup_size(256)
fn fill(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i < fp.n) {
        fill_dst[i] = fp.value;
    }
}
