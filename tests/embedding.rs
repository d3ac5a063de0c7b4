//! Embedding (`ops/embedding.rs`): the lookup against a plain-Rust reference,
//! the gradient summed into repeated rows, and its own gradient.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::{grad, Tensor};

#[test]
fn embedding_looks_up_rows() {
    let (rows, width) = (5, 3);
    let table = tensor(&[rows, width], -1.0, 1.0, 1);
    let indices = [4, 0, 4, 2, 4, 1, 0];
    let tv = table.to_vec();
    let want: Vec<f64> =
        indices.iter().flat_map(|&v| (0..width).map(move |d| v * width + d)).map(|i| f64::from(tv[i])).collect();
    let out = Tensor::embedding(&indices, &table);
    assert_eq!(out.shape(), [indices.len(), width]);
    assert_close(&out.to_vec(), &want, 0.0, 0.0);
}

/// d/dtable of sum(r * embedding(indices, table)): row v of the gradient is the
/// sum of the rows of r at the positions that looked v up (0 if none did).
#[test]
fn embedding_gradient_sums_every_lookup_of_a_row() {
    let (rows, width) = (6, 5);
    let indices = [2, 5, 2, 0, 2, 5, 3];
    let table = tensor(&[rows, width], -1.0, 1.0, 2).requires_grad_();
    let r = tensor(&[indices.len(), width], -1.0, 1.0, 3);
    let loss = Tensor::embedding(&indices, &table).mul(&r).sum_all();
    let dtable = grad(&[&loss], &[&table], false).remove(0);
    let rv = r.to_vec();
    let mut want = vec![0.0f64; rows * width];
    for (l, &v) in indices.iter().enumerate() {
        for d in 0..width {
            want[v * width + d] += f64::from(rv[l * width + d]);
        }
    }
    assert_close(&dtable.to_vec(), &want, 1e-6, 1e-6);
}

#[test]
fn embedding_gradients_to_second_order() {
    // Linear in the table, so the interesting second-order path is the one
    // through the upstream gradient u: d(table grad)/du is a gather again.
    let indices = [1, 3, 1, 1, 0];
    let f = |x: &[Tensor]| Tensor::embedding(&indices, &x[0]).mul(&x[1]);
    let inputs = [tensor(&[4, 3], -1.0, 1.0, 4), tensor(&[5, 3], -1.0, 1.0, 5)];
    gradcheck(f, &inputs).unwrap();
    gradgradcheck(f, &inputs).unwrap();
}

#[test]
#[should_panic(expected = "index 4 is out of range for a table of shape [4, 2]")]
fn embedding_refuses_an_index_past_the_table() {
    drop(Tensor::embedding(&[0, 4], &Tensor::zeros(&[4, 2])));
}
