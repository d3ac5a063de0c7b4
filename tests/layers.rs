//! The nn layers that wrap the normalisation, resampling, dropout and
//! feature-map ops: each forward against its op (the ops are checked against
//! f64 references in tests/norm.rs, resample.rs, dropout.rs, feature_maps.rs),
//! parameter names and initial values as PyTorch has them, the gradients that
//! `backward()` leaves in the layers' own parameters, training mode, and the
//! seed streams of the random layers.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, Tolerance};
use ganforge::nn::{
    AdaIN, AvgPool2d, Dropout, InstanceNorm2d, Layer, LayerNorm, MinibatchStdDev, Module, NoiseInjection, PixelNorm,
    ReflectionPad2d, SeedStream, Sequential, Upsample,
};
use ganforge::Tensor;

/// PyTorch's norm epsilon, which the layers use.
const EPS: f32 = 1e-5;

fn names(module: &dyn Module) -> Vec<String> {
    module.named_parameters().into_iter().map(|(name, _)| name).collect()
}

fn buffer_names(module: &dyn Module) -> Vec<String> {
    module.named_buffers().into_iter().map(|(name, _)| name).collect()
}

/// Writes seeded values in [lo, hi) into a parameter, so that a test does not
/// rest on the ones and zeros it starts with (which would hide a swapped
/// weight and bias).
fn randomize(parameter: &Tensor, lo: f32, hi: f32, seed: u64) {
    parameter.write_(&values(parameter.numel(), lo, hi, seed));
}

/// Checks the gradients that `backward()` accumulates in each of the layer's
/// own parameters against central differences of L = sum(r * layer(x)) with
/// fixed random r, the parameter perturbed in place (as an optimiser would
/// change it) one element at a time. `gradcheck` cannot do this: it makes its
/// own leaf tensors, while a layer's forward reads the parameters it owns.
fn check_parameter_gradients(layer: &dyn Layer, x: &Tensor) {
    let Tolerance { step, atol, rtol } = Tolerance::default();
    let r = tensor(layer.forward(x).shape(), -1.0, 1.0, 99);
    let r_values = r.to_vec();
    let weighted_sum = || -> f64 {
        let y = layer.forward(x).to_vec();
        y.iter().zip(&r_values).map(|(&y, &r)| f64::from(y) * f64::from(r)).sum()
    };
    layer.zero_grad();
    layer.forward(x).mul(&r).sum_all().backward();
    for (name, parameter) in layer.named_parameters() {
        let analytic = parameter.grad().unwrap_or_else(|| panic!("{name} got no gradient")).to_vec();
        let mut v = parameter.to_vec();
        for j in 0..v.len() {
            let original = v[j];
            v[j] = original + step;
            parameter.write_(&v);
            let plus = weighted_sum();
            v[j] = original - step;
            parameter.write_(&v);
            let minus = weighted_sum();
            v[j] = original;
            parameter.write_(&v);
            let numeric = (plus - minus) / (2.0 * f64::from(step));
            let error = (f64::from(analytic[j]) - numeric).abs();
            assert!(error <= atol + rtol * numeric.abs(), "{name}[{j}]: analytic {}, numeric {numeric}", analytic[j]);
        }
    }
}

#[test]
fn instance_norm2d_is_the_op_with_its_optional_affine() {
    let x = tensor(&[2, 3, 5, 3], -1.0, 3.0, 1);

    // PyTorch's default: no affine, no parameters, no buffers.
    let plain = InstanceNorm2d::new(3);
    assert!(names(&plain).is_empty() && buffer_names(&plain).is_empty());
    assert!(plain.weight().is_none() && plain.bias().is_none());
    assert_eq!(plain.forward(&x).to_vec(), x.instance_norm2d(None, None, EPS).to_vec());

    // affine=True: "weight" [C] of ones and "bias" [C] of zeros, trainable.
    let affine = InstanceNorm2d::with_affine(3);
    assert_eq!(names(&affine), ["weight", "bias"]);
    assert!(buffer_names(&affine).is_empty());
    let (weight, bias) = (affine.weight().unwrap(), affine.bias().unwrap());
    assert_eq!((weight.shape(), weight.to_vec()), (&[3][..], vec![1.0; 3]));
    assert_eq!((bias.shape(), bias.to_vec()), (&[3][..], vec![0.0; 3]));
    assert!(weight.requires_grad() && bias.requires_grad());
    assert_eq!(affine.forward(&x).to_vec(), plain.forward(&x).to_vec(), "a new affine layer is plain normalisation");

    randomize(weight, 0.5, 1.5, 2);
    randomize(bias, -1.0, 1.0, 3);
    let want = x.instance_norm2d(Some(weight), Some(bias), EPS).to_vec();
    assert_eq!(affine.forward(&x).to_vec(), want);
    // No running statistics, so evaluation mode computes the same.
    affine.eval();
    assert_eq!(affine.forward(&x).to_vec(), want);
}

#[test]
#[should_panic(expected = "InstanceNorm2d(4): input must be [N, 4, H, W], got shape [2, 3, 5, 5]")]
fn instance_norm2d_refuses_another_channel_count() {
    InstanceNorm2d::new(4).forward(&Tensor::zeros(&[2, 3, 5, 5]));
}

#[test]
fn layer_norm_is_the_op_over_its_normalized_shape() {
    // Normalised shape [3, 5]: the trailing block of inputs [2, 3, 5] and [7, 1, 3, 5].
    let layer = LayerNorm::new(&[3, 5]);
    assert_eq!(names(&layer), ["weight", "bias"]);
    assert!(buffer_names(&layer).is_empty());
    let (weight, bias) = (layer.weight().unwrap(), layer.bias().unwrap());
    assert_eq!((weight.shape(), weight.to_vec()), (&[3, 5][..], vec![1.0; 15]));
    assert_eq!((bias.shape(), bias.to_vec()), (&[3, 5][..], vec![0.0; 15]));
    assert!(weight.requires_grad() && bias.requires_grad());
    randomize(weight, 0.5, 1.5, 4);
    randomize(bias, -1.0, 1.0, 5);
    for shape in [vec![2, 3, 5], vec![7, 1, 3, 5]] {
        let x = tensor(&shape, -2.0, 4.0, 6);
        assert_eq!(layer.forward(&x).to_vec(), x.layer_norm(2, Some(weight), Some(bias), EPS).to_vec());
    }

    let plain = LayerNorm::without_affine(&[7]);
    assert!(names(&plain).is_empty() && plain.weight().is_none());
    let x = tensor(&[3, 7], -2.0, 4.0, 7);
    assert_eq!(plain.forward(&x).to_vec(), x.layer_norm(1, None, None, EPS).to_vec());
}

#[test]
#[should_panic(expected = "LayerNorm([3, 5]): input shape [2, 5, 3] does not end with the normalised shape")]
fn layer_norm_refuses_an_input_of_another_shape() {
    LayerNorm::new(&[3, 5]).forward(&Tensor::zeros(&[2, 5, 3]));
}

#[test]
fn norm_layers_put_correct_gradients_in_their_parameters() {
    // Parameters away from their initial ones and zeros, awkward shapes.
    let layer_norm = LayerNorm::new(&[3, 5]);
    randomize(layer_norm.weight().unwrap(), 0.5, 1.5, 8);
    randomize(layer_norm.bias().unwrap(), -1.0, 1.0, 9);
    let x = tensor(&[2, 3, 5], -2.0, 2.0, 10);
    check_parameter_gradients(&layer_norm, &x);
    gradcheck(|t| layer_norm.forward(&t[0]), &[x]).unwrap_or_else(|e| panic!("LayerNorm input: {e}"));

    let instance_norm = InstanceNorm2d::with_affine(3);
    randomize(instance_norm.weight().unwrap(), 0.5, 1.5, 11);
    randomize(instance_norm.bias().unwrap(), -1.0, 1.0, 12);
    let x = tensor(&[2, 3, 3, 5], -2.0, 2.0, 13);
    check_parameter_gradients(&instance_norm, &x);
    gradcheck(|t| instance_norm.forward(&t[0]), &[x]).unwrap_or_else(|e| panic!("InstanceNorm2d input: {e}"));
}

#[test]
fn adain_is_the_op_and_has_no_parameters() {
    let content = tensor(&[2, 3, 3, 5], -1.0, 2.0, 14);
    let scale = tensor(&[2, 3], 0.5, 1.5, 15);
    let bias = tensor(&[2, 3], -1.0, 1.0, 16);
    assert!(names(&AdaIN).is_empty() && buffer_names(&AdaIN).is_empty());
    assert_eq!(AdaIN.forward(&content, &scale, &bias).to_vec(), content.adain(&scale, &bias, EPS).to_vec());
}

/// Checks that a parameter-free layer maps x to `want`, of shape `shape`.
fn check_layer_is_op(name: &str, layer: &dyn Layer, x: &Tensor, want: Tensor, shape: &[usize]) {
    let y = layer.forward(x);
    assert_eq!(y.shape(), shape, "{name}");
    assert_eq!(y.to_vec(), want.to_vec(), "{name}");
    assert!(names(layer).is_empty() && buffer_names(layer).is_empty(), "{name}");
}

#[test]
fn parameter_free_layers_are_their_ops() {
    let x = tensor(&[2, 3, 5, 7], -1.0, 1.0, 17);
    check_layer_is_op("PixelNorm", &PixelNorm, &x, x.pixel_norm(), &[2, 3, 5, 7]);
    check_layer_is_op("MinibatchStdDev", &MinibatchStdDev, &x, x.minibatch_stddev(), &[2, 4, 5, 7]);
    check_layer_is_op("Upsample", &Upsample::nearest(3), &x, x.upsample_nearest2d(3), &[2, 3, 15, 21]);
    check_layer_is_op("AvgPool2d", &AvgPool2d::new(3, 2, 1), &x, x.avg_pool2d(3, 2, 1), &[2, 3, 3, 4]);
    let even = x.reflection_pad2d([(2, 2), (2, 2)]);
    check_layer_is_op("ReflectionPad2d", &ReflectionPad2d::new(2), &x, even, &[2, 3, 9, 11]);
    let sides = [(1, 0), (3, 2)];
    let uneven = x.reflection_pad2d(sides);
    check_layer_is_op("ReflectionPad2d sides", &ReflectionPad2d::with_sides(sides), &x, uneven, &[2, 3, 6, 12]);
}

#[test]
fn seed_stream_is_splitmix64() {
    // The first outputs of SplitMix64 started at 0, as published with Vigna's
    // reference splitmix64.c (https://prng.di.unimi.it/splitmix64.c).
    let stream = SeedStream::new(0);
    let drawn: Vec<u64> = (0..4).map(|_| stream.draw()).collect();
    assert_eq!(drawn, [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F, 0xF88BB8A8724C81EC]);
    assert_eq!(stream.drawn(), 4);
}

/// The outputs of `count` training forwards of a new Dropout(p, seed) on x.
fn dropout_outputs(p: f32, seed: u64, x: &Tensor, count: usize) -> Vec<Vec<f32>> {
    let layer = Dropout::new(p, seed);
    (0..count).map(|_| layer.forward(x).to_vec()).collect()
}

#[test]
fn dropout_draws_a_new_seeded_mask_every_training_forward() {
    let (p, seed) = (0.4f32, 5u64);
    let x = tensor(&[3, 5, 7], 0.5, 1.5, 18); // no zeros, so a zero output means dropped
    let layer = Dropout::new(p, seed);
    assert!(names(&layer).is_empty() && buffer_names(&layer).is_empty());
    assert_eq!(layer.p(), p);

    // Forward k is the op with the k-th seed of the layer's stream.
    let seeds = SeedStream::new(seed);
    for _ in 0..3 {
        assert_eq!(layer.forward(&x).to_vec(), x.dropout(p, seeds.draw(), true).to_vec());
    }

    // Successive forwards differ; each is a mask of zeros and 1 / (1 - p).
    let outputs = dropout_outputs(p, seed, &x, 3);
    assert!(outputs[0] != outputs[1] && outputs[1] != outputs[2] && outputs[0] != outputs[2]);
    for out in &outputs {
        for (&y, &x) in out.iter().zip(&x.to_vec()) {
            assert!(y == 0.0 || (y - x / (1.0 - p)).abs() < 1e-6, "{y} is neither dropped nor {x} / (1 - p)");
        }
    }
    // The same seed repeats the sequence; another seed does not.
    assert_eq!(dropout_outputs(p, seed, &x, 3), outputs);
    assert_ne!(dropout_outputs(p, seed + 1, &x, 3), outputs);
}

#[test]
fn dropout_is_the_identity_in_eval_mode_and_eval_forwards_draw_no_mask() {
    let x = tensor(&[3, 5, 7], 0.5, 1.5, 19);
    let training_only = dropout_outputs(0.5, 6, &x, 2);

    let layer = Dropout::new(0.5, 6);
    let first = layer.forward(&x).to_vec();
    layer.eval();
    for _ in 0..2 {
        assert_eq!(layer.forward(&x).to_vec(), x.to_vec(), "eval mode is the identity");
    }
    layer.train();
    let second = layer.forward(&x).to_vec();
    assert_eq!([first, second], training_only.as_slice());
}

#[test]
fn noise_injection_starts_as_the_identity_and_learns_its_weight() {
    let (n, c, h, w) = (2usize, 3usize, 5usize, 3usize);
    let layer = NoiseInjection::new(c, 7);
    assert_eq!(names(&layer), ["weight"]);
    assert!(buffer_names(&layer).is_empty());
    assert_eq!((layer.weight().shape(), layer.weight().to_vec()), (&[c][..], vec![0.0; c]));
    assert!(layer.weight().requires_grad());

    // Zero weight: the output is the input, whatever the noise.
    let x = tensor(&[n, c, h, w], -1.0, 1.0, 20);
    assert_eq!(layer.forward(&x).to_vec(), x.to_vec());

    // y = x + weight[c] noise[n, 0], so for L = sum(r * y) the gradient is
    // dL/dweight[c] = sum over n, h, w of r[n, c, h, w] * noise[n, 0, h, w].
    let noise = tensor(&[n, 1, h, w], -1.0, 1.0, 21);
    let r = tensor(&[n, c, h, w], -1.0, 1.0, 22);
    layer.forward_with_noise(&x, &noise).mul(&r).sum_all().backward();
    let (rv, nv) = (r.to_vec(), noise.to_vec());
    let want: Vec<f64> = (0..c)
        .map(|ch| {
            let planes = (0..n).flat_map(|s| (0..h * w).map(move |p| (s, p)));
            planes.map(|(s, p)| f64::from(rv[(s * c + ch) * h * w + p]) * f64::from(nv[s * h * w + p])).sum()
        })
        .collect();
    let grad = layer.weight().grad().expect("the weight got no gradient");
    assert_close(&grad.to_vec(), &want, 1e-5, 1e-5);
    assert!(want.iter().all(|g| g.abs() > 1e-3), "a vanishing reference gradient would test nothing");

    // With a weight, forward_with_noise is the op.
    randomize(layer.weight(), -1.0, 1.0, 23);
    assert_eq!(layer.forward_with_noise(&x, &noise).to_vec(), x.noise_injection(layer.weight(), &noise).to_vec());
}

/// The outputs of `count` forwards of a NoiseInjection(c, seed) with weight `weight` on x.
fn noise_outputs(weight: &[f32], seed: u64, x: &Tensor, count: usize) -> Vec<Vec<f32>> {
    let layer = NoiseInjection::new(weight.len(), seed);
    layer.weight().write_(weight);
    (0..count).map(|_| layer.forward(x).to_vec()).collect()
}

#[test]
fn noise_injection_draws_seeded_gaussian_noise_every_forward_in_both_modes() {
    let (n, c, h, w) = (2usize, 3usize, 5usize, 3usize);
    let x = tensor(&[n, c, h, w], -1.0, 1.0, 24);
    let weight = [0.5f32, -1.5, 2.0];
    let layer = NoiseInjection::new(c, 8);
    layer.weight().write_(&weight);

    // Forward k adds the N(0, 1) image Tensor::randn([N, 1, H, W], seed k of the stream).
    let seeds = SeedStream::new(8);
    let noise = Tensor::randn(&[n, 1, h, w], seeds.draw());
    assert_eq!(layer.forward(&x).to_vec(), layer.forward_with_noise(&x, &noise).to_vec());

    // The noise is part of the generator, so evaluation mode draws it too.
    layer.eval();
    let noise = Tensor::randn(&[n, 1, h, w], seeds.draw());
    assert_eq!(layer.forward(&x).to_vec(), layer.forward_with_noise(&x, &noise).to_vec());

    let outputs = noise_outputs(&weight, 9, &x, 2);
    assert_ne!(outputs[0], outputs[1], "successive forwards draw new noise");
    assert_eq!(noise_outputs(&weight, 9, &x, 2), outputs, "the same seed draws the same noise");
    assert_ne!(noise_outputs(&weight, 10, &x, 2), outputs, "another seed draws other noise");
}

#[test]
fn layers_in_a_sequential_keep_pytorchs_names_and_follow_its_mode() {
    let model = Sequential::new()
        .push(InstanceNorm2d::with_affine(3))
        .push(NoiseInjection::new(3, 1))
        .push(Dropout::new(0.5, 2))
        .push(LayerNorm::new(&[5, 7]))
        .push(InstanceNorm2d::new(3));
    assert_eq!(names(&model), ["0.weight", "0.bias", "1.weight", "3.weight", "3.bias"]);
    assert!(buffer_names(&model).is_empty());

    // eval() reaches the dropout inside: with the noise weight at zero, every
    // other layer is deterministic, so two eval forwards agree, and a training
    // forward (a fresh mask) gives something else.
    let x = tensor(&[2, 3, 5, 7], -1.0, 1.0, 25);
    model.eval();
    let evaluated = model.forward(&x).to_vec();
    assert_eq!(model.forward(&x).to_vec(), evaluated);
    model.train();
    assert_ne!(model.forward(&x).to_vec(), evaluated);
}
