// unary.wgsl — elementwise functions of one tensor, y[i] = f(x[i]).
//
// Bindings: 0 params, 1 x (read), 2 y (write). One invocation computes one
// element; a workgroup covers 256 consecutive elements, so the flat element
// index is (flat workgroup) * 256 + (local index), and `i < n` guards the tail.
// The function is chosen by the pipeline constant OP, so each op compiles to
// its own pipeline with the switch folded away. alpha/beta are the op's
// scalar arguments.
// Version 2: OP as a pipeline constant (version 1 switched on a uniform).

override OP: u32;

struct Params {
    n: u32,
    pad0: u32,
    alpha: f32,
    beta: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// sigmoid without overflow: exp is only taken of a non-positive number.
fn stable_sigmoid(v: f32) -> f32 {
    let e = exp(-abs(v));
    return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

// x^a that also works for negative x when a is an integer (WGSL's pow does not).
fn signed_pow(v: f32, a: f32) -> f32 {
    if (a == round(a)) {
        let magnitude = pow(abs(v), a);
        let odd = (i32(a) % 2) != 0;
        return select(magnitude, -magnitude, v < 0.0 && odd);
    }
    return pow(v, a);
}

fn apply(op: u32, v: f32, alpha: f32, beta: f32) -> f32 {
    switch op {
        case 0u: { return -v; }                                      // neg
        case 1u: { return exp(v); }                                  // exp
        case 2u: { return log(v); }                                  // log
        case 3u: { return sqrt(v); }                                 // sqrt
        case 4u: { return abs(v); }                                  // abs
        case 5u: { return max(v, 0.0); }                             // relu
        case 6u: { return select(alpha * v, v, v > 0.0); }           // leaky_relu
        case 7u: { return stable_sigmoid(v); }                       // sigmoid
        case 8u: {                                                   // tanh via exp(-2|v|), no overflow
            let e = exp(-2.0 * abs(v));
            return sign(v) * (1.0 - e) / (1.0 + e);
        }
        case 9u: { return max(v, 0.0) + log(1.0 + exp(-abs(v))); } // softplus, stable
        case 10u: { return signed_pow(v, alpha); }                   // powf
        case 11u: { return alpha * v + beta; }                       // affine (scalar add/mul)
        case 12u: { return clamp(v, alpha, beta); }                  // clamp
        case 13u: { return sign(v); }                                // sign
        case 14u: { return select(alpha, 1.0, v > 0.0); }            // slope of leaky_relu (alpha 0: step)
        case 15u: { return select(0.0, 1.0, v >= alpha && v <= beta); } // inside [alpha, beta]
        default: { return v; }
    }
}

@compute @workgroup_size(256)
fn main(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.n) {
        return;
    }
    y[i] = apply(OP, x[i], p.alpha, p.beta);
}
