//! Weight initialisers, each writing new values into an existing tensor in
//! place (PyTorch's `nn.init.*_`), drawn from a caller's seeded generator so
//! that the same seed gives the same network.
//!
//! - `normal_(w, 0.0, 0.02)`: DCGAN's initialisation (Radford et al. 2015).
//! - Kaiming (He et al. 2015): variance gain^2 / fan keeps the activations'
//!   scale through layers of rectifiers; gain sqrt(2 / (1 + slope^2)) for a
//!   leaky ReLU of that negative slope.
//! - Xavier (Glorot & Bengio 2010): variance gain^2 * 2 / (fan_in + fan_out),
//!   a compromise between the forward and backward passes.
//!
//! Fans follow PyTorch: for a weight [out, in, k...] (Linear's [out, in],
//! Conv2d's [out, in, kh, kw]) fan_in = in * prod(k) and fan_out = out * prod(k).

use crate::tensor::Tensor;
use rand::Rng;
use rand_distr::StandardNormal;

/// The nonlinearity that follows a layer, which sets Kaiming's gain.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// No nonlinearity (or a linear output): gain 1.
    Linear,
    Sigmoid,
    Tanh,
    Relu,
    /// A leaky ReLU with this negative slope.
    LeakyRelu(f32),
}

impl Nonlinearity {
    /// PyTorch's `calculate_gain`: the factor that keeps activations' variance.
    pub fn gain(self) -> f32 {
        match self {
            Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
            Nonlinearity::Tanh => 5.0 / 3.0,
            Nonlinearity::Relu => 2f32.sqrt(),
            Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        }
    }
}

/// Which fan Kaiming's variance divides by: fan_in preserves the forward
/// pass's scale (PyTorch's default), fan_out the backward pass's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fan {
    In,
    Out,
}

/// (fan_in, fan_out) of a weight of shape [out, in, k...].
pub fn fans(shape: &[usize]) -> (usize, usize) {
    assert!(shape.len() >= 2, "fans need a weight of rank >= 2 ([out, in, ...]), got shape {shape:?}");
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// Values drawn from N(mean, std^2).
pub fn normal_(t: &Tensor, mean: f32, std: f32, rng: &mut impl Rng) {
    let values: Vec<f32> = (0..t.numel()).map(|_| mean + std * rng.sample::<f32, _>(StandardNormal)).collect();
    t.write_(&values);
}

/// Values drawn from U[low, high).
pub fn uniform_(t: &Tensor, low: f32, high: f32, rng: &mut impl Rng) {
    assert!(low < high, "uniform_: empty range [{low}, {high})");
    let values: Vec<f32> = (0..t.numel()).map(|_| rng.random_range(low..high)).collect();
    t.write_(&values);
}

/// Every value equal to `value` (zeros for biases, ones for norm scales).
pub fn constant_(t: &Tensor, value: f32) {
    t.write_(&vec![value; t.numel()]);
}

fn kaiming_std(shape: &[usize], fan: Fan, nonlinearity: Nonlinearity) -> f32 {
    let (fan_in, fan_out) = fans(shape);
    let fan = match fan {
        Fan::In => fan_in,
        Fan::Out => fan_out,
    };
    nonlinearity.gain() / (fan as f32).sqrt()
}

/// Kaiming normal: N(0, (gain / sqrt(fan))^2).
pub fn kaiming_normal_(t: &Tensor, fan: Fan, nonlinearity: Nonlinearity, rng: &mut impl Rng) {
    normal_(t, 0.0, kaiming_std(t.shape(), fan, nonlinearity), rng);
}

/// Kaiming uniform: U(-b, b) with b = sqrt(3) * gain / sqrt(fan), the same variance.
pub fn kaiming_uniform_(t: &Tensor, fan: Fan, nonlinearity: Nonlinearity, rng: &mut impl Rng) {
    let bound = 3f32.sqrt() * kaiming_std(t.shape(), fan, nonlinearity);
    uniform_(t, -bound, bound, rng);
}

fn xavier_std(shape: &[usize], gain: f32) -> f32 {
    let (fan_in, fan_out) = fans(shape);
    gain * (2.0 / (fan_in + fan_out) as f32).sqrt()
}

/// Xavier normal: N(0, gain^2 * 2 / (fan_in + fan_out)).
pub fn xavier_normal_(t: &Tensor, gain: f32, rng: &mut impl Rng) {
    normal_(t, 0.0, xavier_std(t.shape(), gain), rng);
}

/// Xavier uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)), the same variance.
pub fn xavier_uniform_(t: &Tensor, gain: f32, rng: &mut impl Rng) {
    let bound = 3f32.sqrt() * xavier_std(t.shape(), gain);
    uniform_(t, -bound, bound, rng);
}
