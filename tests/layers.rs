//! The nn layers that wrap the normalisation and resampling ops: each forward
//! against its op (the ops are checked against f64 references in
//! tests/norm.rs, resample.rs, feature_maps.rs), parameter names and initial
//! values as PyTorch has them, and the gradients that `backward()` leaves in
//! the layers' own parameters.
mod common;
use common::*;
use ganforge::gradcheck::{gradcheck, Tolerance};
use ganforge::nn::{
    AdaIN, AvgPool2d, InstanceNorm2d, Layer, LayerNorm, MinibatchStdDev, Module, PixelNorm, ReflectionPad2d, Upsample,
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
