//! Matrix products against an f64 reference: ragged sizes, transposes, batches.
mod common;
use common::*;
use ganforge::bench::sweep_blockings;
use ganforge::Tensor;

/// C[b] = op(A[b]) op(B[b]) in f64; batch strides 0 broadcast.
#[allow(clippy::too_many_arguments)]
fn reference(
    a: &[f32],
    b: &[f32],
    batch: usize,
    m: usize,
    n: usize,
    k: usize,
    ta: bool,
    tb: bool,
    a_batched: bool,
    b_batched: bool,
) -> Vec<f64> {
    let mut c = vec![0.0; batch * m * n];
    for p in 0..batch {
        let ab = if a_batched { p * m * k } else { 0 };
        let bb = if b_batched { p * k * n } else { 0 };
        for i in 0..m {
            for j in 0..n {
                c[p * m * n + i * n + j] = (0..k)
                    .map(|l| {
                        let av = if ta { a[ab + l * m + i] } else { a[ab + i * k + l] };
                        let bv = if tb { b[bb + j * k + l] } else { b[bb + l * n + j] };
                        f64::from(av) * f64::from(bv)
                    })
                    .sum();
            }
        }
    }
    c
}

#[test]
fn matmul_2d_ragged_sizes_and_transposes() {
    let sizes = [(1, 1, 1), (3, 5, 7), (17, 33, 65), (65, 17, 129), (64, 64, 64), (130, 67, 3), (133, 257, 35)];
    for (s, &(m, n, k)) in sizes.iter().enumerate() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a_shape = if ta { [k, m] } else { [m, k] };
            let b_shape = if tb { [n, k] } else { [k, n] };
            let a = tensor(&a_shape, -1.0, 1.0, s as u64);
            let b = tensor(&b_shape, -1.0, 1.0, 100 + s as u64);
            let got = a.matmul_t(&b, ta, tb);
            assert_eq!(got.shape(), &[m, n]);
            let want = reference(&a.to_vec(), &b.to_vec(), 1, m, n, k, ta, tb, false, false);
            if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
                panic!("matmul {m}x{k} by {k}x{n} (ta {ta}, tb {tb}): {e}");
            }
        }
    }
}

/// Each blocking of the tiled core the GEMM sweep times (`Blocking::ALL` and
/// more), whichever this adapter would pick, on
/// sizes that leave partial tiles in every direction (several tiles of 64, of
/// 128 and of 256, K not a multiple of the 8- or 16-deep K step), and on thin
/// products (3 rows, or 3 columns: computed as the transpose of a 3-row one).
#[test]
fn every_blocking_gives_the_same_product() {
    for (m, n, k) in [(133, 259, 37), (3, 301, 21), (133, 3, 21)] {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let a = tensor(&if ta { [k, m] } else { [m, k] }, -1.0, 1.0, 21);
            let b = tensor(&if tb { [n, k] } else { [k, n] }, -1.0, 1.0, 22);
            let want = reference(&a.to_vec(), &b.to_vec(), 1, m, n, k, ta, tb, false, false);
            for blocking in sweep_blockings() {
                let got = a.matmul_blocked(&b, ta, tb, Some(blocking));
                if let Err(e) = check_close(&got.to_vec(), &want, 1e-4, 1e-4) {
                    panic!("{m}x{k} by {k}x{n}, {blocking:?} (ta {ta}, tb {tb}): {e}");
                }
            }
        }
    }
}

#[test]
fn batched_matmul_broadcasts_batches() {
    let (m, n, k) = (5, 9, 7);
    let a = tensor(&[3, m, k], -1.0, 1.0, 1);
    let b = tensor(&[3, k, n], -1.0, 1.0, 2);
    let shared = tensor(&[k, n], -1.0, 1.0, 3);
    let want = reference(&a.to_vec(), &b.to_vec(), 3, m, n, k, false, false, true, true);
    assert_close(&a.matmul(&b).to_vec(), &want, 1e-4, 1e-4);
    let want = reference(&a.to_vec(), &shared.to_vec(), 3, m, n, k, false, false, true, false);
    let got = a.matmul(&shared);
    assert_eq!(got.shape(), &[3, m, n]);
    assert_close(&got.to_vec(), &want, 1e-4, 1e-4);
    // [2, 1] batch against [3] batch broadcasts to [2, 3].
    let left = tensor(&[2, 1, m, k], -1.0, 1.0, 4);
    let right = tensor(&[3, k, n], -1.0, 1.0, 5);
    let got = left.matmul(&right);
    assert_eq!(got.shape(), &[2, 3, m, n]);
    let lv = left.to_vec();
    let rv = right.to_vec();
    for p in 0..2 {
        for q in 0..3 {
            let want = reference(
                &lv[p * m * k..(p + 1) * m * k],
                &rv[q * k * n..(q + 1) * k * n],
                1,
                m,
                n,
                k,
                false,
                false,
                false,
                false,
            );
            let block = got.narrow(0, p, p + 1).narrow(1, q, q + 1).to_vec();
            assert_close(&block, &want, 1e-4, 1e-4);
        }
    }
}

/// Every blocking the sweep times, on a batch: the direct ones pack each
/// problem's A (a wrong problem index reads another problem's A), and an A
/// shared by the whole batch (batch stride 0) once, which every problem reads.
#[test]
fn every_blocking_packs_a_batch_of_a() {
    let (m, n, k) = (6, 11, 19);
    let own = tensor(&[3, m, k], -1.0, 1.0, 31);
    let shared = tensor(&[m, k], -1.0, 1.0, 32);
    let b = tensor(&[3, k, n], -1.0, 1.0, 33);
    let own_want = reference(&own.to_vec(), &b.to_vec(), 3, m, n, k, false, false, true, true);
    let shared_want = reference(&shared.to_vec(), &b.to_vec(), 3, m, n, k, false, false, false, true);
    for blocking in sweep_blockings() {
        for (a, want, what) in [(&own, &own_want, "own"), (&shared, &shared_want, "shared")] {
            let got = a.matmul_blocked(&b, false, false, Some(blocking));
            assert_eq!(got.shape(), &[3, m, n]);
            if let Err(e) = check_close(&got.to_vec(), want, 1e-4, 1e-4) {
                panic!("{what} A, {blocking:?}: {e}");
            }
        }
    }
}

#[test]
fn matmul_with_k_zero_gives_zeros() {
    let a = Tensor::zeros(&[3, 0]);
    let b = Tensor::zeros(&[0, 4]);
    assert_eq!(a.matmul(&b).to_vec(), vec![0.0; 12]);
}
