// lanes.wgsl — the two subgroup operations of gemm.wgsl's shared A, compiled
// in front of it on a device with subgroup operations (wgpu's SUBGROUP
// feature; no_lanes.wgsl stands in for this file elsewhere). A subgroup is
// the set of invocations that run in lockstep: on lavapipe the 8 lanes of
// one SIMD vector, on an NVIDIA GPU a warp of 32.

// This invocation's index among the active invocations of its subgroup: at
// the GEMM's entry every invocation is active, so it is the lane's index.
fn own_lane() -> u32 {
    return subgroupExclusiveAdd(1u);
}

// The value `v` held by lane `lane` of this subgroup: on lavapipe a copy
// between the lanes of a SIMD register, where a load from memory is a loop
// over the 8 lanes.
fn from_lane(v: vec4<f32>, lane: u32) -> vec4<f32> {
    return subgroupShuffle(v, lane);
}
