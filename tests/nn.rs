//! Layers against plain-Rust references, their gradients, parameter naming,
//! training mode, initialiser statistics and spectral normalisation.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, gradgradcheck};
use ganforge::nn::init::{self, Fan, Nonlinearity};
use ganforge::nn::{
    linear, spectral_normalize, BatchNorm2d, Conv2d, EqualizedConv2d, EqualizedLinear, Flatten, InstanceNorm2d, Layer,
    LeakyRelu, Linear, Module, Relu, Reshape, Sequential, Sigmoid, SpectralNorm, Tanh,
};
use ganforge::Tensor;
use rand::{rngs::StdRng, SeedableRng};

fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

fn to_f64(values: &[f32]) -> Vec<f64> {
    values.iter().map(|&v| f64::from(v)).collect()
}

/// y[r][o] = sum_i x[r][i] w[o][i] + b[o] for x [rows, in], w [out, in].
fn linear_reference(x: &[f32], w: &[f32], b: Option<&[f32]>, rows: usize, inf: usize, outf: usize) -> Vec<f64> {
    let mut y = vec![0.0; rows * outf];
    for r in 0..rows {
        for o in 0..outf {
            let dot: f64 = (0..inf).map(|i| f64::from(x[r * inf + i]) * f64::from(w[o * inf + i])).sum();
            y[r * outf + o] = dot + b.map_or(0.0, |b| f64::from(b[o]));
        }
    }
    y
}

#[test]
fn linear_forward_matches_reference() {
    // Batched input [2, 3, 5] is treated as 6 rows of 5 features.
    for (shape, outf) in [(vec![3, 5], 7), (vec![2, 3, 5], 1), (vec![1, 17], 33)] {
        let inf = *shape.last().unwrap();
        let rows = shape.iter().product::<usize>() / inf;
        let layer = Linear::new(inf, outf, &mut rng(1));
        let x = tensor(&shape, -1.0, 1.0, 2);
        let y = layer.forward(&x);
        let mut want_shape = shape.clone();
        *want_shape.last_mut().unwrap() = outf;
        assert_eq!(y.shape(), want_shape);
        let bias = layer.bias().unwrap().to_vec();
        let want = linear_reference(&x.to_vec(), &layer.weight().to_vec(), Some(&bias), rows, inf, outf);
        assert_close(&y.to_vec(), &want, 1e-5, 1e-5);
    }
    let no_bias = Linear::without_bias(5, 3, &mut rng(3));
    assert!(no_bias.bias().is_none());
    assert_eq!(no_bias.named_parameters().len(), 1);
    let x = tensor(&[4, 5], -1.0, 1.0, 4);
    let want = linear_reference(&x.to_vec(), &no_bias.weight().to_vec(), None, 4, 5, 3);
    assert_close(&no_bias.forward(&x).to_vec(), &want, 1e-5, 1e-5);
}

#[test]
fn linear_default_init_is_pytorchs_uniform_bound() {
    // PyTorch: weight and bias ~ U(-1/sqrt(in), 1/sqrt(in)).
    let layer = Linear::new(16, 33, &mut rng(5));
    let bound = 0.25;
    for (name, p) in layer.named_parameters() {
        let v = p.to_vec();
        assert!(v.iter().all(|x| x.abs() <= bound), "{name} exceeds the bound");
        assert!(v.iter().any(|x| x.abs() > 0.8 * bound), "{name} does not fill the range");
        assert!(p.requires_grad(), "{name} is not trainable");
    }
}

#[test]
fn linear_gradients_first_and_second_order() {
    let inputs = [tensor(&[3, 5], -1.0, 1.0, 6), tensor(&[4, 5], -1.0, 1.0, 7), tensor(&[4], -1.0, 1.0, 8)];
    let f = |t: &[Tensor]| linear(&t[0], &t[1], Some(&t[2]));
    gradcheck(f, &inputs).unwrap_or_else(|e| panic!("linear: {e}"));
    // A gradient penalty differentiates through the layer twice; the tanh makes
    // the second derivative non-zero.
    let g = |t: &[Tensor]| linear(&t[0], &t[1], Some(&t[2])).tanh();
    gradgradcheck(g, &inputs).unwrap_or_else(|e| panic!("linear: {e}"));
}

/// (name, layer, reference function).
type ActivationCase = (&'static str, Box<dyn Layer>, fn(f64) -> f64);

#[test]
fn activation_and_shape_layers() {
    let x = Tensor::from_vec(vec![-2.0, -0.5, 0.5, 2.0, 1.0, -1.0], &[1, 2, 3]);
    let v = x.to_vec();
    let cases: [ActivationCase; 4] = [
        ("relu", Box::new(Relu), |x| x.max(0.0)),
        ("leaky_relu", Box::new(LeakyRelu(0.2)), |x| if x > 0.0 { x } else { 0.2 * x }),
        ("tanh", Box::new(Tanh), f64::tanh),
        ("sigmoid", Box::new(Sigmoid), |x| 1.0 / (1.0 + (-x).exp())),
    ];
    for (name, layer, f) in cases {
        let y = layer.forward(&x);
        assert_eq!(y.shape(), x.shape(), "{name}");
        let want: Vec<f64> = v.iter().map(|&x| f(f64::from(x))).collect();
        check_close(&y.to_vec(), &want, 1e-6, 1e-5).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(layer.named_parameters().is_empty(), "{name} has parameters");
    }
    let flat = Flatten.forward(&Tensor::zeros(&[2, 3, 5, 7]));
    assert_eq!(flat.shape(), [2, 105]);
    let image = Reshape::new(&[3, 5, 7]).forward(&flat);
    assert_eq!(image.shape(), [2, 3, 5, 7]);
    assert_eq!(Flatten.forward(&x).to_vec(), v);
}

#[test]
#[should_panic(expected = "does not hold [N, [4, 4]]")]
fn reshape_refuses_a_wrong_size() {
    Reshape::new(&[4, 4]).forward(&Tensor::zeros(&[2, 15]));
}

#[test]
fn sequential_names_parameters_by_position() {
    let mut r = rng(9);
    let inner = Sequential::new().push(Linear::new(2, 2, &mut r));
    let model = Sequential::new()
        .push(Linear::new(3, 4, &mut r))
        .push(LeakyRelu(0.2))
        .push(SpectralNorm::new(Linear::without_bias(4, 2, &mut r), &mut r))
        .push(inner);
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["0.weight", "0.bias", "2.weight", "3.0.weight", "3.0.bias"]);
    let buffers: Vec<String> = model.named_buffers().into_iter().map(|(n, _)| n).collect();
    assert_eq!(buffers, ["2.weight_u", "2.weight_v"]);

    // The listed tensors are the layers' own handles, not copies.
    let first = model.layers()[0].named_parameters();
    assert_eq!(model.parameters()[0].id(), first[0].1.id());

    // forward chains the layers; zero_grad clears every gradient.
    let x = tensor(&[5, 3], -1.0, 1.0, 10);
    model.eval();
    let chained = model.layers().iter().fold(x.clone(), |h, layer| layer.forward(&h));
    assert_eq!(model.forward(&x).to_vec(), chained.to_vec());
    model.forward(&x).sum_all().backward();
    assert!(model.parameters().iter().all(|p| p.grad().is_some()));
    model.zero_grad();
    assert!(model.parameters().iter().all(|p| p.grad().is_none()));
}

/// In training mode a batch norm followed by a ReLU or a leaky ReLU runs as
/// one fused op: the same output, gradients and running statistics as the
/// layers one by one; cut between the two (forward_range), or in eval mode,
/// they run apart.
#[test]
fn sequential_fuses_batch_norm_with_the_activation_after_it() {
    let x = tensor(&[4, 3, 5, 5], -1.0, 2.0, 70).requires_grad_();
    for relu in [true, false] {
        let model = Sequential::new().push(BatchNorm2d::new(3));
        let model = if relu { model.push(Relu) } else { model.push(LeakyRelu(0.2)) };
        let (bn, activation) = (&model.layers()[0], &model.layers()[1]);
        let alone = BatchNorm2d::new(3);
        let fused = model.forward(&x);
        let apart = activation.forward(&alone.forward(&x));
        assert_eq!(fused.to_vec(), apart.to_vec());
        let (running, running_alone) = (&bn.named_buffers()[0].1, &alone.named_buffers()[0].1);
        assert_eq!(running.to_vec(), running_alone.to_vec(), "the running mean is updated as unfused");
        let fused_grad = ganforge::grad(&[&fused.sum_all()], &[&x], false);
        let apart_grad = ganforge::grad(&[&apart.sum_all()], &[&x], false);
        assert_eq!(fused_grad[0].to_vec(), apart_grad[0].to_vec());
        // Cut between the two, they run apart.
        let by_layer = model.forward_range(&model.forward_range(&x, 0..1), 1..2);
        let apart = activation.forward(&alone.forward(&x));
        assert_eq!(by_layer.to_vec(), apart.to_vec());
        model.eval();
        assert_eq!(model.forward(&x).to_vec(), activation.forward(&bn.forward(&x)).to_vec());
    }
}

/// A convolution followed by a ReLU-family activation runs as one fused op
/// (Conv2d and the equalized conv of ProGAN alike): the same output and
/// gradients as the layers one by one, and apart when cut between them.
#[test]
fn sequential_fuses_a_convolution_with_the_activation_after_it() {
    let x = tensor(&[2, 3, 7, 6], -1.0, 1.0, 71).requires_grad_();
    fused_like_apart(Conv2d::new(3, 4, 3, 2, 1, &mut rng(72)), &x);
    fused_like_apart(EqualizedConv2d::new(3, 4, 3, &mut rng(73)), &x);
}

/// Instance norm without an affine (CycleGAN's generators') takes the
/// activation after it into batch norm's fused kernels as well; with an
/// affine it runs apart.
#[test]
fn sequential_fuses_instance_norm_with_the_activation_after_it() {
    let x = tensor(&[2, 3, 7, 6], -1.0, 1.0, 74).requires_grad_();
    fused_like_apart(InstanceNorm2d::new(3), &x);
    assert!(InstanceNorm2d::with_affine(3).forward_activated(&x, 0.2).is_none(), "an affine runs apart");
}

fn fused_like_apart(layer: impl Layer + 'static, x: &Tensor) {
    let apart = layer.forward(x).leaky_relu(0.2);
    // The layer offers the fused form (the trait's default offers none), and
    // refuses a negative slope, which its backward could not undo.
    let direct = layer.forward_activated(x, 0.2).expect("the layer fuses a leaky ReLU");
    assert_eq!(direct.to_vec(), apart.to_vec());
    assert!(layer.forward_activated(x, -0.5).is_none(), "a negative slope runs apart");
    let model = Sequential::new().push(layer).push(LeakyRelu(0.2));
    let fused = model.forward(x);
    assert_eq!(fused.to_vec(), apart.to_vec());
    let fused_grad = ganforge::grad(&[&fused.sum_all()], &[x], false);
    let apart_grad = ganforge::grad(&[&apart.sum_all()], &[x], false);
    assert_eq!(fused_grad[0].to_vec(), apart_grad[0].to_vec());
    let by_layer = model.forward_range(&model.forward_range(x, 0..1), 1..2);
    assert_eq!(by_layer.to_vec(), apart.to_vec());
}

#[test]
fn equalized_linear_scales_its_weight_at_run_time() {
    // Stored weight ~ N(0, 1/m^2); used weight = stored * sqrt(2 / in) * m;
    // used bias = stored * m. Its gradient is the used weight's gradient times
    // the same scale: for loss = sum(y), d loss / d W_used[o][i] = sum_n x[n][i].
    let (inf, outf, m) = (6, 5, 0.5f32);
    let layer = EqualizedLinear::with_lr_multiplier(inf, outf, m, &mut rng(11));
    let scale = (2.0 / inf as f32).sqrt() * m;
    assert!((layer.weight_scale() - scale).abs() < 1e-7);
    let params = layer.named_parameters();
    let (w, b) = (&params[0].1, &params[1].1);
    b.write_(&values(outf, -1.0, 1.0, 12));
    let x = tensor(&[3, inf], -1.0, 1.0, 13);
    let y = layer.forward(&x);
    let used_w: Vec<f32> = w.to_vec().iter().map(|v| v * scale).collect();
    let used_b: Vec<f32> = b.to_vec().iter().map(|v| v * m).collect();
    assert_close(&y.to_vec(), &linear_reference(&x.to_vec(), &used_w, Some(&used_b), 3, inf, outf), 1e-5, 1e-5);

    y.sum_all().backward();
    let xs = x.to_vec();
    let column_sums: Vec<f64> = (0..inf).map(|i| (0..3).map(|n| f64::from(xs[n * inf + i])).sum()).collect();
    let want: Vec<f64> = (0..outf * inf).map(|k| column_sums[k % inf] * f64::from(scale)).collect();
    assert_close(&w.grad().unwrap().to_vec(), &want, 1e-5, 1e-5);
    assert_close(&b.grad().unwrap().to_vec(), &vec![3.0 * f64::from(m); outf], 1e-5, 1e-5);
}

#[test]
fn equalized_conv2d_is_a_same_padded_conv_with_the_he_scale() {
    use ganforge::ops::conv::{conv2d, Conv2dOptions};
    let layer = EqualizedConv2d::new(3, 4, 3, &mut rng(21));
    let scale = (2.0f32 / 27.0).sqrt();
    assert!((layer.weight_scale() - scale).abs() < 1e-7);
    let params = layer.named_parameters();
    let (w, b) = (&params[0].1, &params[1].1);
    assert_eq!(w.shape(), &[4, 3, 3, 3]);
    b.write_(&values(4, -1.0, 1.0, 23)); // a zero bias would hide one left out of the forward
    let (mean, std) = moments(&w.to_vec());
    assert!(mean.abs() < 0.3 && (std - 1.0).abs() < 0.3, "stored weights ~ N(0, 1): mean {mean}, std {std}");
    let x = tensor(&[2, 3, 5, 7], -1.0, 1.0, 22);
    let y = layer.forward(&x);
    assert_eq!(y.shape(), &[2, 4, 5, 7], "same padding keeps the size");
    let options = Conv2dOptions { padding: (1, 1), ..Conv2dOptions::default() };
    let want: Vec<f64> =
        conv2d(&x, &w.mul_scalar(scale), Some(b), options).to_vec().into_iter().map(f64::from).collect();
    assert_close(&y.to_vec(), &want, 1e-6, 1e-6);
}

/// Mean and standard deviation of values, in f64.
fn moments(values: &[f32]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let var = values.iter().map(|&v| (f64::from(v) - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Checks the sample mean (within 4 standard errors of `mean`) and the sample
/// standard deviation (within 5% of `std`) of 4608 draws.
fn check_moments(name: &str, values: &[f32], mean: f64, std: f64) {
    let (m, s) = moments(values);
    let standard_error = std / (values.len() as f64).sqrt();
    assert!((m - mean).abs() < 4.0 * standard_error, "{name}: mean {m}, want {mean}");
    assert!((s - std).abs() < 0.05 * std, "{name}: std {s}, want {std}");
}

#[test]
fn initialisers_have_the_published_statistics() {
    // Weight [32, 16, 3, 3]: fan_in = 16 * 9 = 144, fan_out = 32 * 9 = 288.
    let shape = [32, 16, 3, 3];
    assert_eq!(init::fans(&shape), (144, 288));
    let w = Tensor::zeros(&shape);
    let mut r = rng(21);

    init::normal_(&w, 0.0, 0.02, &mut r);
    check_moments("DCGAN normal", &w.to_vec(), 0.0, 0.02);
    init::normal_(&w, 1.0, 0.02, &mut r);
    check_moments("normal around 1", &w.to_vec(), 1.0, 0.02);

    // gain sqrt(2 / (1 + a^2)): with a = 0.5 it is 11% below ReLU's sqrt(2), far
    // outside the 5% tolerance (a = 0.2 would be 2% off, inside it).
    let leaky = Nonlinearity::LeakyRelu(0.5);
    assert!((leaky.gain() - (2.0f32 / 1.25).sqrt()).abs() < 1e-6);
    init::kaiming_normal_(&w, Fan::In, leaky, &mut r);
    check_moments("kaiming normal fan_in", &w.to_vec(), 0.0, f64::from(leaky.gain()) / 12.0);
    init::kaiming_normal_(&w, Fan::Out, Nonlinearity::Relu, &mut r);
    check_moments("kaiming normal fan_out", &w.to_vec(), 0.0, (2.0f64 / 288.0).sqrt());

    // A uniform on (-b, b) has std b / sqrt(3); the bound itself is never exceeded.
    init::kaiming_uniform_(&w, Fan::In, Nonlinearity::Relu, &mut r);
    let bound = (6.0f64 / 144.0).sqrt();
    let values = w.to_vec();
    assert!(values.iter().all(|&v| f64::from(v.abs()) <= bound));
    check_moments("kaiming uniform", &values, 0.0, bound / 3f64.sqrt());

    let xavier_std = (2.0f64 / (144.0 + 288.0)).sqrt();
    init::xavier_normal_(&w, 1.0, &mut r);
    check_moments("xavier normal", &w.to_vec(), 0.0, xavier_std);
    init::xavier_uniform_(&w, Nonlinearity::Tanh.gain(), &mut r);
    let values = w.to_vec();
    assert!(values.iter().all(|&v| f64::from(v.abs()) <= 5.0 / 3.0 * 3f64.sqrt() * xavier_std));
    check_moments("xavier uniform", &values, 0.0, 5.0 / 3.0 * xavier_std);

    init::constant_(&w, 0.25);
    assert!(w.to_vec().iter().all(|&v| v == 0.25));
}

#[test]
fn initialisers_are_deterministic_per_seed() {
    let draw = |seed| {
        let w = Tensor::zeros(&[7, 5]);
        init::kaiming_uniform_(&w, Fan::In, Nonlinearity::LeakyRelu(0.2), &mut rng(seed));
        w.to_vec()
    };
    assert_eq!(draw(1), draw(1));
    assert_ne!(draw(1), draw(2));
    let layer = |seed| Linear::new(5, 3, &mut rng(seed)).weight().to_vec();
    assert_eq!(layer(4), layer(4));
    assert_ne!(layer(4), layer(5));
}

/// The largest singular value of w [rows, cols] by power iteration on w^T w in f64.
fn largest_singular_value(w: &[f32], rows: usize, cols: usize) -> f64 {
    let w: Vec<f64> = to_f64(w);
    let mut v = vec![1.0; cols];
    let mut sigma = 0.0;
    for _ in 0..2000 {
        let wv: Vec<f64> = (0..rows).map(|r| (0..cols).map(|c| w[r * cols + c] * v[c]).sum()).collect();
        let wtwv: Vec<f64> = (0..cols).map(|c| (0..rows).map(|r| w[r * cols + c] * wv[r]).sum()).collect();
        let norm = wtwv.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = wtwv.iter().map(|x| x / norm).collect();
        sigma = norm.sqrt(); // |W^T W v| -> sigma^2 for a unit v
    }
    sigma
}

#[test]
fn spectral_norm_converges_to_the_largest_singular_value() {
    let (outf, inf) = (5, 7);
    let layer = SpectralNorm::new(Linear::new(inf, outf, &mut rng(31)), &mut rng(32));
    let w = layer.layer().weight().to_vec();
    let want = largest_singular_value(&w, outf, inf);
    // One power iteration per training forward.
    let x = tensor(&[2, inf], -1.0, 1.0, 33);
    let first = layer.forward(&x);
    let early = f64::from(layer.sigma().item());
    for _ in 0..60 {
        layer.forward(&x);
    }
    let sigma = f64::from(layer.sigma().item());
    assert!((sigma - want).abs() < 1e-4 * want, "sigma {sigma}, largest singular value {want}");
    assert!(early <= want + 1e-5, "a power-iteration estimate u^T W v cannot exceed sigma_max");

    // The forward pass uses W / sigma, so the used weight has spectral norm 1.
    let used: Vec<f32> = w.iter().map(|&v| v / sigma as f32).collect();
    assert!((largest_singular_value(&used, outf, inf) - 1.0).abs() < 1e-4);
    let bias = layer.layer().bias().unwrap().to_vec();
    let y = layer.forward(&x);
    assert_close(&y.to_vec(), &linear_reference(&x.to_vec(), &used, Some(&bias), 2, inf, outf), 1e-5, 1e-4);
    assert_eq!(first.shape(), y.shape());
}

#[test]
fn spectral_norm_freezes_its_vectors_in_eval_mode() {
    let layer = SpectralNorm::new(Linear::new(4, 3, &mut rng(41)), &mut rng(42));
    let x = tensor(&[2, 4], -1.0, 1.0, 43);
    let buffers = || layer.named_buffers().iter().map(|(_, b)| b.to_vec()).collect::<Vec<_>>();
    let before = buffers();
    layer.eval();
    let y1 = layer.forward(&x).to_vec();
    let y2 = layer.forward(&x).to_vec();
    assert_eq!(buffers(), before, "eval mode moved u or v");
    assert_eq!(y1, y2);
    layer.train();
    layer.forward(&x);
    assert_ne!(buffers(), before, "training mode did not iterate");
}

#[test]
fn spectral_norm_graphs_keep_the_vectors_they_were_built_with() {
    // A critic called on two batches before one backward pass: the second
    // forward's power iteration must not change the first forward's gradient.
    // Reference: the same layer (same seeds) differentiated after each forward.
    let make = || SpectralNorm::new(Linear::new(4, 3, &mut rng(61)), &mut rng(62));
    let (x1, x2) = (tensor(&[2, 4], -1.0, 1.0, 63), tensor(&[2, 4], -1.0, 1.0, 64));
    let together = make();
    together.forward(&x1).tanh().sum_all().add(&together.forward(&x2).tanh().sum_all()).backward();

    let apart = make();
    apart.forward(&x1).tanh().sum_all().backward();
    apart.forward(&x2).tanh().sum_all().backward(); // accumulates into .grad
    let grad = |layer: &SpectralNorm<Linear>| layer.layer().weight().grad().unwrap().to_vec();
    assert_close(&grad(&together), &to_f64(&grad(&apart)), 1e-6, 1e-5);
}

#[test]
fn spectral_normalize_gradients() {
    // sigma = u^T W v with u, v held fixed: W / sigma is differentiable in W,
    // also twice (spectrally normalised critics can take a gradient penalty).
    let unit = |len, seed| {
        let v = values(len, -1.0, 1.0, seed);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        Tensor::from_vec(v.iter().map(|x| x / norm).collect(), &[len])
    };
    let (u, v) = (unit(3, 51), unit(4, 52));
    // W close to u v^T keeps sigma = u^T W v well away from zero.
    let w0: Vec<f32> = (0..12).map(|k| 2.0 * u.to_vec()[k / 4] * v.to_vec()[k % 4]).collect();
    let noise = values(12, -0.2, 0.2, 53);
    let w = Tensor::from_vec(w0.iter().zip(&noise).map(|(a, b)| a + b).collect(), &[3, 4]);
    let f = |t: &[Tensor]| spectral_normalize(&t[0], &u, &v);
    gradcheck(f, std::slice::from_ref(&w)).unwrap_or_else(|e| panic!("spectral_normalize: {e}"));
    gradgradcheck(f, &[w]).unwrap_or_else(|e| panic!("spectral_normalize: {e}"));
}
