// prelude.wgsl — helpers shared by every kernel family. The Rust side
// (gpu/shaders.rs) prepends this file to each family before compiling, since
// WGSL has no #include.

// Flat index of this workgroup. Device::grid spills grids wider than 65535
// workgroups into y, so the flat index is y * (groups per row) + x.
fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

