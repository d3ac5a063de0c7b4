// peak.wgsl — the device's attainable FP32 rate and memory bandwidth, the
// yardsticks the benchmarks report their kernels against.
//
// `fma_peak`: bindings 0 params, 1 out (write). Each invocation runs eight
// independent vec4 multiply-add chains for `p.x` rounds (8 chains hide the
// FMA latency; vec4 fills a GPU lane's or a CPU SIMD lane's width), then writes
// one value so the compiler cannot drop the work: 8 * 4 * 2 = 64 flops a round.
//
// `copy_peak`: bindings 0 params, 1 src (read), 2 dst (write). A plain vec4
// copy, four vec4s per invocation, each 256 apart so a workgroup's loads stay
// contiguous: the bandwidth any elementwise kernel can hope for.

struct Params {
    rounds: u32,
    count: u32,
    pad0: u32,
    pad1: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;

@compute @workgroup_size(256)
fn fma_peak(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    let seed = f32(i) * 1e-9;
    var a0 = vec4<f32>(seed);
    var a1 = a0 + 0.1;
    var a2 = a0 + 0.2;
    var a3 = a0 + 0.3;
    var a4 = a0 + 0.4;
    var a5 = a0 + 0.5;
    var a6 = a0 + 0.6;
    var a7 = a0 + 0.7;
    let m = vec4<f32>(0.999999);
    let c = vec4<f32>(1e-7);
    // Read once: a storage load in the loop test was 25% slower on lavapipe.
    let rounds = p.rounds;
    for (var r = 0u; r < rounds; r++) {
        a0 = fma(a0, m, c);
        a1 = fma(a1, m, c);
        a2 = fma(a2, m, c);
        a3 = fma(a3, m, c);
        a4 = fma(a4, m, c);
        a5 = fma(a5, m, c);
        a6 = fma(a6, m, c);
        a7 = fma(a7, m, c);
    }
    let sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    if (i < p.count) {
        out[i] = sum.x + sum.y + sum.z + sum.w;
    }
}

@compute @workgroup_size(256)
fn copy_peak(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let base = flat_group(wid, nwg) * 1024u + lid;
    for (var k = 0u; k < 4u; k++) {
        let i = base + 256u * k;
        if (i < p.count) {
            dst[i] = src[i];
        }
    }
}
