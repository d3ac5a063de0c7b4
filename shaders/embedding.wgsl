// embedding.wgsl — row lookup in a table, and its transpose, summing rows
// back. Version 1.
//
// `gather_rows`: bindings 0 params, 1 table (read, [rows, width]), 2 indices
//   (read, u32 [count]), 3 out (write, [count, width]).
//   out[l, d] = table[indices[l], d]. One invocation per output element; the
//   flat index i = l * width + d, so consecutive invocations read consecutive
//   values of one table row.
// `scatter_rows`: bindings 0 params, 1 grad (read, [count, width]), 2 starts
//   (read, u32 [rows + 1]), 3 order (read, u32 [count]), 4 out (write,
//   [rows, width]).
//   out[v, d] = sum of grad[l, d] over every l with indices[l] = v. The host
//   lists those l for each v (counting sort): order[starts[v] .. starts[v+1]],
//   ascending. One invocation per output element (i = v * width + d) loops over
//   its row's list. So each output has exactly one writer, which adds in a
//   fixed order: deterministic, with no float atomics; rows never looked up
//   get 0.
//
// Both use 256 invocations per workgroup along the flat index, `i < total`
// guarding the tail.

struct Params {
    total: u32,
    width: u32,
}

@group(0) @binding(0) var<storage, read> p: Params;

@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(256)
fn gather_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.total) {
        return;
    }
    let l = i / p.width;
    let d = i % p.width;
    out[i] = table[indices[l] * p.width + d];
}

@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> starts: array<u32>;
@group(0) @binding(3) var<storage, read> order: array<u32>;
@group(0) @binding(4) var<storage, read_write> summed: array<f32>;

@compute @workgroup_size(256)
fn scatter_rows(
    @builtin(workgroup_id) wid: vec3<u32>,
    @builtin(num_workgroups) nwg: vec3<u32>,
    @builtin(local_invocation_index) lid: u32,
) {
    let i = flat_group(wid, nwg) * 256u + lid;
    if (i >= p.total) {
        return;
    }
    let v = i / p.width;
    let d = i % p.width;
    var acc = 0.0;
    for (var k = starts[v]; k < starts[v + 1u]; k++) {
        acc += grad[order[k] * p.width + d];
    }
    summed[i] = acc;
}
