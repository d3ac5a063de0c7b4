//! Embedding (`shaders/embedding.wgsl`): rows of a table [V, D] looked up by
//! index, as a conditional GAN turns class labels into vectors.
//!
//! The lookup is a gather. Its gradient adds each looked-up row's gradient
//! into the table row it came from, and a row looked up twice must get both.
//! Float atomics would make the order of those additions, and so the rounded
//! result, change from run to run. Instead the host sorts the lookups by row
//! once (a counting sort), and the scatter kernel gives every table element
//! one invocation that adds its row's list in order.
//!
//! Gather and scatter-sum are transposes of each other, so each is the other's
//! backward: the embedding is differentiable to any order in the table.

use crate::gpu::{device, Params, Storage, EMBEDDING, WORKGROUP};
use crate::tensor::Tensor;
use std::sync::Arc;

/// One list of lookups, uploaded once and shared by every gradient of it.
struct Lookups {
    /// V: the rows of the table.
    rows: usize,
    /// u32 [L]: the row of each lookup.
    indices: Storage,
    /// u32 [V + 1]: the lookups of row v are order[starts[v] .. starts[v + 1]].
    starts: Storage,
    /// u32 [L]: lookup positions sorted by row, ascending within a row.
    order: Storage,
}

fn u32_storage(values: &[u32]) -> Storage {
    let storage = Storage::new(values.len());
    device().upload(storage.buffer(), bytemuck::cast_slice(values));
    storage
}

fn as_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or_else(|_| panic!("embedding: {value} does not fit the kernels' 32-bit indices"))
}

impl Lookups {
    fn new(indices: &[usize], rows: usize) -> Lookups {
        let mut starts = vec![0u32; rows + 1];
        for &v in indices {
            starts[v + 1] += 1;
        }
        for v in 0..rows {
            starts[v + 1] += starts[v];
        }
        let mut next = starts.clone();
        let mut order = vec![0u32; indices.len()];
        for (l, &v) in indices.iter().enumerate() {
            order[next[v] as usize] = as_u32(l);
            next[v] += 1;
        }
        let indices: Vec<u32> = indices.iter().map(|&v| as_u32(v)).collect();
        Lookups { rows, indices: u32_storage(&indices), starts: u32_storage(&starts), order: u32_storage(&order) }
    }

    fn count(&self) -> usize {
        self.indices.len()
    }
}

/// table [V, D] -> [L, D], row l being table row indices[l].
fn gather_rows(table: &Tensor, lookups: Arc<Lookups>) -> Tensor {
    let width = table.shape()[1];
    let out = Storage::new(lookups.count() * width);
    let params = Params::new().size(out.len()).size(width);
    let gpu = device();
    gpu.dispatch(
        EMBEDDING.kernel("gather_rows"),
        &params,
        &[table.buffer(), lookups.indices.buffer(), out.buffer()],
        gpu.grid(out.len(), WORKGROUP),
    );
    Tensor::from_op(out, vec![lookups.count(), width], "gather_rows", &[table], move |_, _, g| {
        vec![Some(scatter_rows(g, lookups.clone()))]
    })
}

/// The transpose of `gather_rows`: grad [L, D] -> [V, D], row v being the
/// sum of the grad rows l with indices[l] = v.
fn scatter_rows(grad: &Tensor, lookups: Arc<Lookups>) -> Tensor {
    let width = grad.shape()[1];
    let out = Storage::new(lookups.rows * width);
    let params = Params::new().size(out.len()).size(width);
    let gpu = device();
    gpu.dispatch(
        EMBEDDING.kernel("scatter_rows"),
        &params,
        &[grad.buffer(), lookups.starts.buffer(), lookups.order.buffer(), out.buffer()],
        gpu.grid(out.len(), WORKGROUP),
    );
    Tensor::from_op(out, vec![lookups.rows, width], "scatter_rows", &[grad], move |_, _, g| {
        vec![Some(gather_rows(g, lookups.clone()))]
    })
}

impl Tensor {
    /// Looks up rows of `table` [V, D]: the result [indices.len(), D] holds
    /// row `indices[l]` at row l. The table's gradient is the sum of the
    /// gradients of every lookup of each row (zero for rows not looked up).
    pub fn embedding(indices: &[usize], table: &Tensor) -> Tensor {
        assert_eq!(table.rank(), 2, "embedding: the table must be [V, D], got shape {:?}", table.shape());
        let rows = table.shape()[0];
        if let Some(bad) = indices.iter().find(|&&v| v >= rows) {
            panic!("embedding: index {bad} is out of range for a table of shape {:?}", table.shape());
        }
        gather_rows(table, Arc::new(Lookups::new(indices, rows)))
    }
}
