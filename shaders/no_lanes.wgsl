// no_lanes.wgsl — stand-ins for lanes.wgsl on a device without subgroup
// operations, where WGSL cannot name them. There ops/gemm.rs never picks a
// blocking that shares A (gemm.wgsl's SHARED_A is false), so these are never
// called: they only keep gemm.wgsl a valid module.

fn own_lane() -> u32 {
    return 0u;
}

fn from_lane(v: vec4<f32>, lane: u32) -> vec4<f32> {
    return v;
}
