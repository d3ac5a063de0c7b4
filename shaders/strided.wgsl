// strided.wgsl — the parameters and index arithmetic of the strided families
// (broadcast, shape, reduce), prepended to them after prelude.wgsl.
//
// Such a kernel walks one or more index spaces. A `Space` is a shape (up to 8
// dims, packed four to a vec4<u32>, the 16-byte elements Params writes) and
// the strides with which one operand is addressed while walking it: 0 along
// broadcast dims, swapped for a permute, and so on. `header` carries four
// kernel-specific counts. The whole struct is exactly one 256-byte arena slot.
//
// The helpers read the parameters `p` directly: passing these arrays to a
// function by value would copy them per call, which lavapipe does not optimise
// away (it made elementwise kernels 5x slower).

struct Space {
    rank: u32,
    shape: array<vec4<u32>, 2>,
    strides: array<vec4<u32>, 2>,
}

struct Strided {
    header: vec4<u32>,
    spaces: array<Space, 3>,
}

@group(0) @binding(0) var<storage, read> p: Strided;

// Offset of element `flat` of space `s` (row-major, last dim fastest): peel
// index digits from the last dimension, weighting each by its stride. The
// first dimension's digit is what remains, so a rank-1 space costs no division.
fn space_offset(s: u32, flat: u32) -> u32 {
    let rank = p.spaces[s].rank;
    if (rank == 0u) {
        return 0u;
    }
    var rest = flat;
    var offset = 0u;
    for (var d = rank - 1u; d > 0u; d--) {
        let extent = p.spaces[s].shape[d / 4u][d % 4u];
        let next = divide(rest, extent);
        offset += (rest - next * extent) * p.spaces[s].strides[d / 4u][d % 4u];
        rest = next;
    }
    return offset + rest * p.spaces[s].strides[0][0];
}

// The offsets of element `flat` in spaces 0, 1 and 2 when all three walk the
// same shape (space 0's) with their own strides, as in broadcasting and
// copies: the index digits are computed once and weighted three times.
fn shared_offsets(flat: u32) -> vec3<u32> {
    let rank = p.spaces[0].rank;
    if (rank == 0u) {
        return vec3<u32>(0u);
    }
    var rest = flat;
    var offsets = vec3<u32>(0u);
    for (var d = rank - 1u; d > 0u; d--) {
        let extent = p.spaces[0].shape[d / 4u][d % 4u];
        let next = divide(rest, extent);
        let digit = rest - next * extent;
        rest = next;
        offsets += digit * strides_of(d);
    }
    return offsets + rest * strides_of(0u);
}

// An invocation's walk over consecutive elements of space 0's shape (the
// output's): the offsets in the three spaces, kept up to date by adding
// strides instead of splitting every index. On a CPU driver each read of the
// parameters is a loop over the SIMD lanes, so splitting an index (an extent
// and three strides per dimension, and a division) cost several times the
// element's own loads; a walk splits once and then mostly adds `step`.
// The host sets the walk's length (the header's w, `run`): many elements on a
// CPU adapter, one on a GPU, where neighbouring invocations must read
// neighbouring addresses.
//
// A walk carries from the innermost dimension into the one before it, never
// further: the host cuts the run to a divisor of the two innermost extents'
// product (ops::walk_run), so no run crosses an index of a third dimension.
// Version 2. Version 1 split the index afresh where a run crossed one; a CPU
// driver runs both sides of a branch for all lanes, so that rare split ran at
// every step and cost most of the kernel's time (permute 5.5 -> 1.5 ms).
struct Walk {
    offsets: vec3<u32>,
    // The index along the innermost dimension and its size (1 in rank 0).
    digit: u32,
    size: u32,
    // Added per step along the innermost dimension: its three strides.
    step: vec3<u32>,
    // Added when the innermost index wraps to 0: the next dimension's strides
    // less `size` steps (u32 arithmetic wraps, so the difference may be
    // negative).
    carry: vec3<u32>,
}

// The three strides of dimension d.
fn strides_of(d: u32) -> vec3<u32> {
    return vec3<u32>(
        p.spaces[0].strides[d / 4u][d % 4u],
        p.spaces[1].strides[d / 4u][d % 4u],
        p.spaces[2].strides[d / 4u][d % 4u],
    );
}

// The walk at element `flat`.
fn walk_from(flat: u32) -> Walk {
    var w: Walk;
    w.offsets = shared_offsets(flat);
    w.size = 1u;
    let rank = p.spaces[0].rank;
    if (rank == 0u) {
        return w;
    }
    let inner = rank - 1u;
    w.size = p.spaces[0].shape[inner / 4u][inner % 4u];
    w.step = strides_of(inner);
    w.digit = flat - divide(flat, w.size) * w.size;
    if (rank > 1u) {
        w.carry = strides_of(inner - 1u) - w.size * w.step;
    }
    return w;
}

// Moves the walk on to the next element.
fn walk_step(w: ptr<function, Walk>) {
    (*w).digit += 1u;
    (*w).offsets += (*w).step;
    if ((*w).digit == (*w).size) {
        (*w).digit = 0u;
        (*w).offsets += (*w).carry;
    }
}
