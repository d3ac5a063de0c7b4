// unary.wgsl — elementwise functions of one tensor, y[i] = f(x[i]).
//
// Bindings: 0 params, 1 x (read), 2 y (write). One invocation computes four
// consecutive elements as one vec4 (WGSL's math builtins work per component),
// so a workgroup of 256 covers 1024 elements and the vec4 index is
// (flat workgroup) * 256 + (local index). A tensor whose length is not a
// multiple of 4 still works: storage buffers are allocated in 64-byte
// multiples, so the last vec4 stays inside the buffer, and the values computed
// past the tensor's end land in padding nobody reads.
// The function is the pipeline constant OP, so each op compiles to its own
// pipeline with the switch folded away; alpha/beta are its scalar arguments.
// Version 3: vec4 per invocation (v2: OP as a pipeline constant; v1: a
// switch on a parameter, one element per invocation, 5x slower on lavapipe).

override OP: u32;

struct Params {
    n: u32,
    pad0: u32,
    alpha: f32,
    beta: f32,
}

@group(0) @binding(0) var<storage, read> p: Params;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;

const ZERO = vec4<f32>(0.0);
const ONE = vec4<f32>(1.0);

// sigmoid without overflow: exp is only taken of a non-positive number.
fn stable_sigmoid(v: vec4<f32>) -> vec4<f32> {
    let e = exp(-abs(v));
    return select(e / (ONE + e), ONE / (ONE + e), v >= ZERO);
}

// x^a that also works for negative x when a is an integer (WGSL's pow does not).
fn signed_pow(v: vec4<f32>, a: f32) -> vec4<f32> {
    if (a == round(a)) {
        let magnitude = pow(abs(v), vec4<f32>(a));
        let odd = (i32(a) % 2) != 0;
        return select(magnitude, -magnitude, (v < ZERO) & vec4<bool>(odd));
    }
    return pow(v, vec4<f32>(a));
}

// log(1 + e) for e in [0, 1]. Below 0.01 the series e - e^2/2 + e^3/3 (error
// under e^4/4): there 1 + e would round away most of e's digits, and below
// 6e-8 all of them, so softplus(-20) would come out as 0 instead of 2e-9.
fn log1p_unit(e: vec4<f32>) -> vec4<f32> {
    let series = e * (ONE - e * (vec4<f32>(0.5) - e / 3.0));
    return select(log(ONE + e), series, e < vec4<f32>(0.01));
}

fn apply(op: u32, v: vec4<f32>, alpha: f32, beta: f32) -> vec4<f32> {
    switch op {
        case 0u: { return -v; }                                          // neg
        case 1u: { return exp(v); }                                      // exp
        case 2u: { return log(v); }                                      // log
        case 3u: { return sqrt(v); }                                     // sqrt
        case 4u: { return abs(v); }                                      // abs
        case 5u: { return max(v, ZERO); }                                // relu
        case 6u: { return select(alpha * v, v, v > ZERO); }              // leaky_relu
        case 7u: { return stable_sigmoid(v); }                           // sigmoid
        case 8u: {                                                       // tanh via exp(-2|v|), no overflow
            let e = exp(-2.0 * abs(v));
            return sign(v) * (ONE - e) / (ONE + e);
        }
        case 9u: { return max(v, ZERO) + log1p_unit(exp(-abs(v))); }    // softplus, stable
        case 10u: { return signed_pow(v, alpha); }                       // powf
        case 11u: { return alpha * v + beta; }                           // affine (scalar add/mul)
        case 12u: { return clamp(v, vec4<f32>(alpha), vec4<f32>(beta)); } // clamp
        case 13u: { return sign(v); }                                    // sign
        case 14u: { return select(ZERO, ONE, (v >= vec4<f32>(alpha)) & (v <= vec4<f32>(beta))); } // inside [alpha, beta]
        default: { return v; }
    }
}

// ANCHOR: main
@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i * 4u >= p.n) {
        return;
    }
    y[i] = apply(OP, x[i], p.alpha, p.beta);
}
// ANCHOR_END: main
