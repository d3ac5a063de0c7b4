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
struct Walk {
    offsets: vec3<u32>,
    // The index along the innermost dimension (x) and the one before it (y),
    // and their sizes (1 where the space has no such dimension).
    digits: vec2<u32>,
    sizes: vec2<u32>,
    // Added per step along the innermost dimension: its three strides.
    step: vec3<u32>,
    // Added when the innermost index wraps to 0: the next dimension's strides
    // less sizes.x steps (u32 arithmetic wraps, so the difference may be
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
    w.sizes = vec2<u32>(1u);
    let rank = p.spaces[0].rank;
    if (rank == 0u) {
        return w;
    }
    let inner = rank - 1u;
    w.sizes.x = p.spaces[0].shape[inner / 4u][inner % 4u];
    w.step = strides_of(inner);
    let rows = divide(flat, w.sizes.x);
    w.digits.x = flat - rows * w.sizes.x;
    if (rank > 1u) {
        let outer = rank - 2u;
        w.sizes.y = p.spaces[0].shape[outer / 4u][outer % 4u];
        w.digits.y = rows - divide(rows, w.sizes.y) * w.sizes.y;
        w.carry = strides_of(outer) - w.sizes.x * w.step;
    }
    return w;
}

// Moves the walk on to element `flat`, the one after its current element.
fn walk_step(w: ptr<function, Walk>, flat: u32) {
    (*w).digits.x += 1u;
    (*w).offsets += (*w).step;
    if ((*w).digits.x == (*w).sizes.x) {
        (*w).digits = vec2<u32>(0u, (*w).digits.y + 1u);
        (*w).offsets += (*w).carry;
        // Past the last two dimensions (rare): split the index afresh.
        if ((*w).digits.y == (*w).sizes.y) {
            *w = walk_from(flat);
        }
    }
}
