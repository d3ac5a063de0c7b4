//! ProGAN's minibatch standard deviation and StyleGAN's noise injection
//! (`ops/feature_maps.rs`) against plain-Rust references, with gradients.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::ops::feature_maps::MINIBATCH_STDDEV_EPS;
use ganforge::Tensor;

/// The definition, in f64: s = mean over (c, h, w) of sqrt(population var over n + eps).
fn reference_stddev(x: &[f32], n: usize, per_sample: usize) -> f64 {
    let mut total = 0.0;
    for j in 0..per_sample {
        let column: Vec<f64> = (0..n).map(|s| f64::from(x[s * per_sample + j])).collect();
        let mean = column.iter().sum::<f64>() / n as f64;
        let var = column.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
        total += (var + f64::from(MINIBATCH_STDDEV_EPS)).sqrt();
    }
    total / per_sample as f64
}

#[test]
fn minibatch_stddev_appends_one_constant_channel() {
    for shape in [[3usize, 2, 3, 5], [1, 3, 1, 1]] {
        let [n, c, h, w] = shape;
        let x = tensor(&shape, -1.0, 2.0, 1);
        let xv = x.to_vec();
        let s = reference_stddev(&xv, n, c * h * w);
        let mut want = Vec::new();
        for sample in 0..n {
            want.extend(xv[sample * c * h * w..(sample + 1) * c * h * w].iter().map(|&v| f64::from(v)));
            want.extend(std::iter::repeat_n(s, h * w));
        }
        let y = x.minibatch_stddev();
        assert_eq!(y.shape(), [n, c + 1, h, w]);
        assert_close(&y.to_vec(), &want, 1e-6, 1e-5);
    }
    // One sample: every variance is 0, so s = sqrt(1e-8) = 1e-4.
    let y = Tensor::ones(&[1, 2, 1, 1]).minibatch_stddev().to_vec();
    assert_close(&y[2..], &[1e-4], 1e-9, 1e-4);
}

#[test]
fn minibatch_stddev_gradients_to_second_order() {
    // ProGAN trains with WGAN-GP, whose penalty differentiates through this layer.
    let input = [tensor(&[3, 2, 1, 3], -1.0, 1.0, 2)];
    gradcheck(|x| x[0].minibatch_stddev(), &input).unwrap();
    gradgradcheck(|x| x[0].minibatch_stddev(), &input).unwrap();
}

#[test]
fn noise_injection_adds_weighted_shared_noise() {
    let [n, c, h, w] = [2usize, 3, 3, 5];
    let x = tensor(&[n, c, h, w], -1.0, 1.0, 3);
    let weight = tensor(&[c], -1.0, 1.0, 4);
    let noise = tensor(&[n, 1, h, w], -1.0, 1.0, 5);
    let (xv, wv, zv) = (x.to_vec(), weight.to_vec(), noise.to_vec());
    let want: Vec<f64> = (0..xv.len())
        .map(|i| {
            let (sample, channel, pixel) = (i / (c * h * w), (i / (h * w)) % c, i % (h * w));
            f64::from(xv[i]) + f64::from(wv[channel]) * f64::from(zv[sample * h * w + pixel])
        })
        .collect();
    assert_close(&x.noise_injection(&weight, &noise).to_vec(), &want, 1e-6, 1e-6);
    let inputs = [tensor(&[2, 2, 1, 3], -1.0, 1.0, 6), tensor(&[2], -1.0, 1.0, 7), tensor(&[2, 1, 1, 3], -1.0, 1.0, 8)];
    gradcheck(|x| x[0].noise_injection(&x[1], &x[2]), &inputs).unwrap();
}

#[test]
#[should_panic(expected = "noise [2, 3, 1, 1] must be [2, 1, 1, 1]")]
fn noise_injection_refuses_per_channel_noise() {
    drop(Tensor::zeros(&[2, 3, 1, 1]).noise_injection(&Tensor::zeros(&[3]), &Tensor::zeros(&[2, 3, 1, 1])));
}
