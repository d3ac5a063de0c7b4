// optim.wgsl — updates that overwrite a tensor in place: one fused kernel per
// optimiser step of one parameter tensor (SGD with momentum, RMSprop, Adam), and
// the in-place helpers built the same way (clamp for WGAN's weight clipping,
// lerp for an EMA of weights, assign for copying values into an existing tensor).
//
// Bindings (each entry point reads its own parameter struct at binding 0):
//   sgd:     1 param (read_write), 2 grad (read), 3 velocity (read_write)
//   rmsprop: 1 param (read_write), 2 grad (read), 3 square_avg (read_write)
//   adam:    1 param (read_write), 2 grad (read), 3 exp_avg (read_write), 4 exp_avg_sq (read_write)
//   clamp:   1 param (read_write)
//   lerp:    1 dst (read_write), 2 src (read)
//   assign:  1 dst (read_write), 2 src (read)
//
// One invocation updates four consecutive elements, as one vec4 (WGSL's
// arithmetic works per component). Every rule here is elementwise: element
// i of the new parameter and state depends only on element i of the old
// parameter, its gradient and its state, so each invocation can read its
// elements and overwrite them in the same buffer without racing any other. A
// workgroup covers 1024 consecutive elements, as in unary.wgsl: vec4 index =
// (flat workgroup) * 256 + (local index), and `4 i < n` guards the tail. A
// length not divisible by 4 is safe as there: buffers are allocated in
// 64-byte multiples, so the last vec4 stays inside them, and what it writes
// past the tensor's end lands in padding nobody reads.
//
// Scalars that change from step to step (Adam's bias corrections) are computed
// on the host and arrive in the parameters, so the kernel does no pow().
// Version 2: vec4s (Adam 2.1% of the dcgan28 step's GPU time at a third of
// the copy peak on lavapipe, one scalar element per invocation in version 1).

@group(0) @binding(1) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;

// The invocation's vec4: elements 4 i..4 i + 3.
fn vec4_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
    return flat_group(wid, nwg) * 256u + lid;
}

// SGD with momentum (PyTorch's form, dampening 0):
//   g = grad + weight_decay * param;  velocity = momentum * velocity + g;  param -= lr * velocity.
// The velocity starts at zero, so the first step is plain gradient descent;
// momentum 0 makes every step plain gradient descent.
struct SgdParams {
    n: u32,
    lr: f32,
    momentum: f32,
    weight_decay: f32,
}

@group(0) @binding(0) var<storage, read> sgd_p: SgdParams;
@group(0) @binding(3) var<storage, read_write> velocity: array<vec4<f32>>;

@compute @workgroup_size(256)
fn sgd(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= sgd_p.n) {
        return;
    }
    let g = grad[i] + sgd_p.weight_decay * param[i];
    let v = sgd_p.momentum * velocity[i] + g;
    velocity[i] = v;
    param[i] = param[i] - sgd_p.lr * v;
}

// RMSprop (Tieleman & Hinton; the optimiser of the WGAN paper):
//   g = grad + weight_decay * param;  s = alpha * s + (1 - alpha) * g^2;
//   param -= lr * g / (sqrt(s) + eps).
struct RmsPropParams {
    n: u32,
    lr: f32,
    alpha: f32,
    eps: f32,
    weight_decay: f32,
}

@group(0) @binding(0) var<storage, read> rmsprop_p: RmsPropParams;
@group(0) @binding(3) var<storage, read_write> square_avg: array<vec4<f32>>;

@compute @workgroup_size(256)
fn rmsprop(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= rmsprop_p.n) {
        return;
    }
    let g = grad[i] + rmsprop_p.weight_decay * param[i];
    let s = rmsprop_p.alpha * square_avg[i] + (1.0 - rmsprop_p.alpha) * g * g;
    square_avg[i] = s;
    param[i] = param[i] - rmsprop_p.lr * g / (sqrt(s) + rmsprop_p.eps);
}

// Adam (Kingma & Ba, Algorithm 1, with PyTorch's L2 weight decay):
//   g = grad + weight_decay * param;
//   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2;
//   param -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps).
// The host folds the first correction into step_size = lr / (1 - beta1^t) and
// passes sqrt(1 - beta2^t), so the update reads as PyTorch computes it:
//   param -= step_size * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
struct AdamParams {
    n: u32,
    step_size: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    bias_correction2_sqrt: f32,
}

@group(0) @binding(0) var<storage, read> adam_p: AdamParams;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<vec4<f32>>;

@compute @workgroup_size(256)
fn adam(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= adam_p.n) {
        return;
    }
    let g = grad[i] + adam_p.weight_decay * param[i];
    let m = adam_p.beta1 * exp_avg[i] + (1.0 - adam_p.beta1) * g;
    let v = adam_p.beta2 * exp_avg_sq[i] + (1.0 - adam_p.beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    let denom = sqrt(v) / adam_p.bias_correction2_sqrt + adam_p.eps;
    param[i] = param[i] - adam_p.step_size * m / denom;
}

// clamp: param = clamp(param, min, max) (WGAN's weight clipping to [-c, c]).
struct ClampParams {
    n: u32,
    min: f32,
    max: f32,
}

@group(0) @binding(0) var<storage, read> clamp_p: ClampParams;

@compute @workgroup_size(256)
fn clamp_in_place(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= clamp_p.n) {
        return;
    }
    param[i] = clamp(param[i], vec4<f32>(clamp_p.min), vec4<f32>(clamp_p.max));
}

// lerp: dst += weight * (src - dst). With weight = 1 - decay this is
// the EMA update shadow = decay * shadow + (1 - decay) * param.
struct LerpParams {
    n: u32,
    weight: f32,
}

@group(0) @binding(0) var<storage, read> lerp_p: LerpParams;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;

@compute @workgroup_size(256)
fn lerp(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= lerp_p.n) {
        return;
    }
    dst[i] = dst[i] + lerp_p.weight * (src[i] - dst[i]);
}

// assign: dst = src.
struct AssignParams {
    n: u32,
}

@group(0) @binding(0) var<storage, read> assign_p: AssignParams;

@compute @workgroup_size(256)
fn assign(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = vec4_index(wid, nwg, lid);
    if (4u * i >= assign_p.n) {
        return;
    }
    dst[i] = src[i];
}
