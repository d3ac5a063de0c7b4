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

// x / d for four numerators at once, without integer division: CPU drivers
// run u32 division one SIMD lane at a time, f32 arithmetic as vector
// instructions, so kernels that split flat indices divide with this. The f32
// estimate can be off by a few for large x (f32 keeps 24 bits, and WGSL lets a
// GPU round 1/d to 2.5 ulp), so it is corrected by the quotient of its own
// remainder, then by one from the remainder's sign and size. Checked on the
// CPU below 2^25 (what a 128 MiB binding can index) with 1/d exact and 3 ulp
// off either way, for divisors 1-300 and ten larger ones up to 2^20, at every
// multiple of d and its neighbours in 20,000 steps across the range and at
// the top 200,000 numerators: no wrong quotient. With the first estimate and
// one correction only (this function's first version), 2.5 million of those
// came out wrong when 1/d was off, none when it was exact.
fn divide4(x: vec4<u32>, d: u32) -> vec4<u32> {
    let inverse = 1.0 / f32(d);
    let numerator = vec4<i32>(x);
    let divisor = i32(d);
    let estimate = vec4<i32>(vec4<f32>(x) * inverse);
    let refined = estimate + vec4<i32>(floor(vec4<f32>(numerator - estimate * divisor) * inverse));
    let r = numerator - refined * divisor;
    let zero = vec4<i32>(0);
    let one = vec4<i32>(1);
    return vec4<u32>(refined + select(zero, one, r >= vec4<i32>(divisor)) - select(zero, one, r < zero));
}

// divide4 for one numerator (a driver computes only the component used).
fn divide(x: u32, d: u32) -> u32 {
    return divide4(vec4<u32>(x), d).x;
}

// x / d when the quotient is small (below 2^20, as when a convolution splits
// a position into batch index, row and column): the first estimate and one
// correction are exact there, even with 1/d 3 ulp off (the same check), and
// save divide's second step, 4% of the dcgan28 step on lavapipe.
fn divide_small(x: u32, d: u32) -> u32 {
    let q = u32(f32(x) * (1.0 / f32(d)));
    let r = i32(x) - i32(q * d);
    return q + select(0u, 1u, r >= i32(d)) - select(0u, 1u, r < 0);
}
