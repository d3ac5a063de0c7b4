// prelude.wgsl — helpers shared by every kernel family. The Rust side
// (gpu/shaders.rs) prepends this file to each family before compiling, since
// WGSL has no #include.
//
// A rule for every kernel: combine bools with & and |, never && and ||. The
// short-circuit forms are branches (naga compiles `a && b` into an if), and a
// gather inlined sixteen times per tile then holds dozens of them; SwiftShader's
// compiler took 21 GB on conv.wgsl's before dying. `&` and `|` evaluate both
// sides, which is free when both are comparisons. tests/shaders.rs checks it.

// Flat index of this workgroup. Device::grid spills grids wider than 65535
// workgroups into y, so the flat index is y * (groups per row) + x.
fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
    return wid.y * nwg.x + wid.x;
}

