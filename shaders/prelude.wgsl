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


// x / d, exact for x < 2^31 and x / d < 2^20: the f32 estimate is within 1 of
// the true quotient, and the remainder says which way to correct it. CPU
// drivers run u32 division one SIMD lane at a time, f32 arithmetic as vector
// instructions, so kernels that split flat indices divide with this.
fn divide(x: u32, d: u32) -> u32 {
    let q = u32(f32(x) * (1.0 / f32(d)));
    let r = i32(x) - i32(q * d);
    return q + select(0u, 1u, r >= i32(d)) - select(0u, 1u, r < 0);
}
