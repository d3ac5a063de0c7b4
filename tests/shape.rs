//! Shape ops against index-by-index references.
mod common;
use common::*;
use ganforge::ops::with_strided_run;
use ganforge::Tensor;

/// Value of `x` (row-major `shape`) at a multi-index.
fn at(x: &[f32], shape: &[usize], index: &[usize]) -> f64 {
    f64::from(x[index.iter().zip(strides(shape)).map(|(i, s)| i * s).sum::<usize>()])
}

#[test]
fn permute_matches_reference() {
    let shape = [3, 5, 7, 2];
    let x = tensor(&shape, -1.0, 1.0, 1);
    let xv = x.to_vec();
    for order in [[0, 1, 2, 3], [3, 2, 1, 0], [1, 0, 3, 2], [2, 0, 3, 1]] {
        let y = x.permute(&order);
        let out_shape: Vec<usize> = order.iter().map(|&d| shape[d]).collect();
        assert_eq!(y.shape(), out_shape.as_slice());
        let want: Vec<f64> = (0..x.numel())
            .map(|i| {
                let out_index = unravel(i, &out_shape);
                let mut in_index = [0; 4];
                for (o, &d) in order.iter().enumerate() {
                    in_index[d] = out_index[o];
                }
                at(&xv, &shape, &in_index)
            })
            .collect();
        assert_close(&y.to_vec(), &want, 0.0, 0.0);
        // The copy walks runs of elements: a GPU's 1 and an odd 3 as well.
        for run in [1, 3] {
            assert_close(&with_strided_run(run, || x.permute(&order)).to_vec(), &want, 0.0, 0.0);
        }
    }
    assert_eq!(x.transpose(0, -1).to_vec(), x.permute(&[3, 1, 2, 0]).to_vec());
}

#[test]
fn slice_narrow_and_pad_match_reference() {
    let shape = [5, 17, 3];
    let x = tensor(&shape, -1.0, 1.0, 2);
    let xv = x.to_vec();
    let ranges = [(1, 4), (3, 16), (0, 2)];
    let y = x.slice(&ranges);
    assert_eq!(y.shape(), &[3, 13, 2]);
    let want: Vec<f64> = (0..y.numel())
        .map(|i| {
            let idx = unravel(i, y.shape());
            at(&xv, &shape, &[idx[0] + 1, idx[1] + 3, idx[2]])
        })
        .collect();
    assert_close(&y.to_vec(), &want, 0.0, 0.0);
    assert_eq!(x.narrow(1, 3, 16).to_vec(), x.slice(&[(0, 5), (3, 16), (0, 3)]).to_vec());
    // An empty range is an empty tensor, and it reads back as no values
    // (its GPU buffer cannot be empty, so it holds one unused value).
    let empty = x.narrow(1, 4, 4);
    assert_eq!((empty.shape(), empty.to_vec()), (&[5, 0, 3][..], vec![]));

    let padding = [(0, 1), (2, 3), (1, 0)];
    let p = x.pad(&padding, -7.0);
    assert_eq!(p.shape(), &[6, 22, 4]);
    let want: Vec<f64> = (0..p.numel())
        .map(|i| {
            let idx = unravel(i, p.shape());
            let inside = idx[0] < 5 && (2..19).contains(&idx[1]) && idx[2] >= 1;
            if inside {
                at(&xv, &shape, &[idx[0], idx[1] - 2, idx[2] - 1])
            } else {
                -7.0
            }
        })
        .collect();
    assert_close(&p.to_vec(), &want, 0.0, 0.0);
}

#[test]
fn concat_joins_along_any_axis() {
    // Three distinct pieces of sizes 1, 2 and 3 along the joined axis: block k
    // of the result, narrowed back out, must be piece k.
    for axis in 0..3 {
        let pieces: Vec<Tensor> = (0..3)
            .map(|k| {
                let mut shape = vec![2, 3, 4];
                shape[axis] = k + 1;
                tensor(&shape, -1.0, 1.0, 3 + k as u64)
            })
            .collect();
        let joined = Tensor::concat(&pieces.iter().collect::<Vec<_>>(), axis as isize);
        let mut want_shape = vec![2, 3, 4];
        want_shape[axis] = 6;
        assert_eq!(joined.shape(), want_shape.as_slice(), "axis {axis}");
        let mut start = 0;
        for (k, piece) in pieces.iter().enumerate() {
            let end = start + piece.shape()[axis];
            assert_eq!(joined.narrow(axis as isize, start, end).to_vec(), piece.to_vec(), "axis {axis}, piece {k}");
            start = end;
        }
        if axis == 2 {
            let from_the_end = Tensor::concat(&pieces.iter().collect::<Vec<_>>(), -1);
            assert_eq!(from_the_end.to_vec(), joined.to_vec(), "axis -1 is the last axis");
        }
    }
}

#[test]
fn expand_reshape_and_flatten() {
    let x = tensor(&[3, 1], -1.0, 1.0, 5);
    let e = x.expand(&[2, 3, 4]);
    let xv = x.to_vec();
    let want: Vec<f64> = (0..24).map(|i| f64::from(xv[(i / 4) % 3])).collect();
    assert_close(&e.to_vec(), &want, 0.0, 0.0);
    let r = e.reshape(&[6, 4]);
    assert_eq!(r.shape(), &[6, 4]);
    assert_eq!(r.to_vec(), e.to_vec());
    assert_eq!(e.flatten(1).shape(), &[2, 12]);
}

#[test]
fn constructors_fill_as_asked() {
    assert_eq!(Tensor::zeros(&[3]).to_vec(), vec![0.0; 3]);
    assert_eq!(Tensor::ones(&[2, 2]).to_vec(), vec![1.0; 4]);
    assert_eq!(Tensor::full(&[5], 2.5).to_vec(), vec![2.5; 5]);
    // Past one workgroup's 1024 values (4 an invocation), not a multiple of 4.
    assert_eq!(Tensor::full(&[1031], -1.5).to_vec(), vec![-1.5; 1031]);
    assert_eq!(Tensor::scalar(4.0).item(), 4.0);
    // Seeded randomness repeats; different seeds differ; moments are plausible.
    let a = Tensor::randn(&[4000], 1).to_vec();
    assert_eq!(a, Tensor::randn(&[4000], 1).to_vec());
    assert_ne!(a, Tensor::randn(&[4000], 2).to_vec());
    let mean = a.iter().sum::<f32>() / 4000.0;
    let var = a.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 4000.0;
    assert!(mean.abs() < 0.1 && (var - 1.0).abs() < 0.1, "randn mean {mean}, var {var}");
    let u = Tensor::rand(&[4000], 3).to_vec();
    assert!(u.iter().all(|&v| (0.0..1.0).contains(&v)));
    assert!((u.iter().sum::<f32>() / 4000.0 - 0.5).abs() < 0.05);
}
