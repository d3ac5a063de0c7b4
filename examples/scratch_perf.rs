use ganforge::gpu::device;
use ganforge::{no_grad, Tensor};
use std::time::Instant;
fn time(name: &str, bytes: f64, reps: usize, f: impl Fn() -> Tensor) {
    drop(f());
    device().synchronize();
    let t = Instant::now();
    for _ in 0..reps {
        drop(f());
    }
    device().synchronize();
    let s = t.elapsed().as_secs_f64() / reps as f64;
    println!("{name}: {:.3} ms {:.2} GB/s", s * 1e3, bytes / s / 1e9);
}
fn main() {
    no_grad(|| {
        let x = Tensor::randn(&[64, 128, 7, 7], 1);
        time("bn sum [64,128,7,7] over 0,2,3", 4.0 * x.numel() as f64, 20, || x.sum(&[0, 2, 3], true));
        let y = Tensor::randn(&[64, 64, 14, 14], 1);
        time("bn sum [64,64,14,14] over 0,2,3", 4.0 * y.numel() as f64, 20, || y.sum(&[0, 2, 3], true));
        let g = Tensor::randn(&[64, 6272], 2);
        time("sum_to [64,6272]->[6272]", 4.0 * g.numel() as f64, 20, || g.sum_to(&[6272]));
        let b = Tensor::randn(&[6272], 2);
        time("expand [6272]->[64,6272]", 4.0 * g.numel() as f64, 20, || b.expand(&[64, 6272]));
        time("permute [64,128,7,7]->(1,0,2,3)", 8.0 * x.numel() as f64, 20, || x.permute(&[1, 0, 2, 3]));
        let c = Tensor::randn(&[128, 1, 1], 3);
        time("mul broadcast [64,128,7,7]*[128,1,1]", 8.0 * x.numel() as f64, 20, || x.mul(&c));
        time("sum_all 802816", 4.0 * y.numel() as f64, 20, || y.sum_all());
        time("add same shape 802816", 12.0 * y.numel() as f64, 20, || y.add(&y));
    });
}
