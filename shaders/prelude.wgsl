// prelude.wgsl — helpers shared by every kernel family. The Rust side
// (gpu/shaders.rs) prepends this file to each family before compiling, since
// WGSL has no #include.
//
// Shapes and strides reach kernels as `array<vec4<u32>, 2>`: up to 8 dims,
// packed four to a vec4 because uniform arrays need 16-byte elements.

// Flat index of this workgroup. Device::grid spills grids wider than 65535
// workgroups into y, so the flat index is y * (groups per row) + x.
fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

// Entry d of a packed 8-dim list.
fn dim_of(list: array<vec4<u32>, 2>, d: u32) -> u32 {
    return list[d / 4u][d % 4u];
}

// Offset of element `flat` of a row-major index space of shape `shape[0..rank]`
// inside a buffer addressed with `strides`: peel the index digits from the
// last (fastest) dimension to the first and weight each by its stride.
fn strided_offset(flat: u32, rank: u32, shape: array<vec4<u32>, 2>, strides: array<vec4<u32>, 2>) -> u32 {
    var rest = flat;
    var offset = 0u;
    for (var d = i32(rank) - 1; d >= 0; d--) {
        let extent = dim_of(shape, u32(d));
        offset += (rest % extent) * dim_of(strides, u32(d));
        rest /= extent;
    }
    return offset;
}
