//! Elementwise functions of one tensor (`shaders/unary.wgsl`), with their
//! derivatives. Scalar arithmetic (`add_scalar`, `mul_scalar`) is the affine op
//! `alpha * x + beta`.

use crate::gpu::{device, Params, Storage, UNARY, WORKGROUP};
use crate::tensor::Tensor;

/// Op codes of `unary.wgsl`'s `apply` switch.
#[derive(Clone, Copy)]
enum Op {
    Neg = 0,
    Exp = 1,
    Log = 2,
    Sqrt = 3,
    Abs = 4,
    Relu = 5,
    LeakyRelu = 6,
    Sigmoid = 7,
    Tanh = 8,
    Softplus = 9,
    Powf = 10,
    Affine = 11,
    Clamp = 12,
    Sign = 13,
    Inside = 14,
}

// ANCHOR: launch
/// Runs the kernel: a new storage with f(x) elementwise.
fn launch(x: &Tensor, op: Op, alpha: f32, beta: f32) -> Storage {
    let out = Storage::new(x.numel());
    let gpu = device();
    let params = Params::new().size(x.numel()).u32(0).f32(alpha).f32(beta);
    gpu.dispatch(
        UNARY.kernel_for("main", op as u32),
        &params,
        &[x.buffer(), out.buffer()],
        gpu.grid(x.numel(), 4 * WORKGROUP),
    );
    out
}
// ANCHOR_END: launch

impl Tensor {
    // ANCHOR: unary
    /// A differentiable unary op: forward by the kernel, backward by `rule(x, y, dy)`.
    fn unary(
        &self,
        name: &'static str,
        op: Op,
        alpha: f32,
        beta: f32,
        rule: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    ) -> Tensor {
        Tensor::from_op(launch(self, op, alpha, beta), self.shape().to_vec(), name, &[self], move |inputs, out, g| {
            vec![Some(rule(&inputs[0], out, g))]
        })
    }
    // ANCHOR_END: unary

    /// A unary function that is piecewise constant, so it has no gradient.
    fn constant_piecewise(&self, op: Op, alpha: f32, beta: f32) -> Tensor {
        Tensor::from_storage(launch(self, op, alpha, beta), self.shape().to_vec())
    }

    pub fn neg(&self) -> Tensor {
        self.unary("neg", Op::Neg, 0.0, 0.0, |_, _, g| g.neg())
    }

    // ANCHOR: exp
    /// d exp(x) = exp(x) dx: the output itself.
    pub fn exp(&self) -> Tensor {
        self.unary("exp", Op::Exp, 0.0, 0.0, |_, y, g| g.mul(y))
    }
    // ANCHOR_END: exp

    pub fn log(&self) -> Tensor {
        self.unary("log", Op::Log, 0.0, 0.0, |x, _, g| g.div(x))
    }

    /// d sqrt(x) = dx / (2 sqrt(x)).
    pub fn sqrt(&self) -> Tensor {
        self.unary("sqrt", Op::Sqrt, 0.0, 0.0, |_, y, g| g.div(y).mul_scalar(0.5))
    }

    pub fn abs(&self) -> Tensor {
        self.unary("abs", Op::Abs, 0.0, 0.0, |x, _, g| g.mul(&x.sign()))
    }

    /// max(x, 0); its slope is 1 where x > 0, else 0.
    pub fn relu(&self) -> Tensor {
        self.unary("relu", Op::Relu, 0.0, 0.0, |x, _, g| g.through_leaky_relu(x, 0.0))
    }

    /// x where x > 0, else `negative_slope * x`.
    pub fn leaky_relu(&self, negative_slope: f32) -> Tensor {
        self.unary("leaky_relu", Op::LeakyRelu, negative_slope, 0.0, move |x, _, g| {
            g.through_leaky_relu(x, negative_slope)
        })
    }

    /// 1 / (1 + exp(-x)); its derivative is y (1 - y).
    pub fn sigmoid(&self) -> Tensor {
        self.unary("sigmoid", Op::Sigmoid, 0.0, 0.0, |_, y, g| g.mul(&y.mul(&y.neg().add_scalar(1.0))))
    }

    /// Its derivative is 1 - y^2.
    pub fn tanh(&self) -> Tensor {
        self.unary("tanh", Op::Tanh, 0.0, 0.0, |_, y, g| g.mul(&y.mul(y).neg().add_scalar(1.0)))
    }

    /// log(1 + exp(x)), computed without overflow; its derivative is sigmoid(x).
    pub fn softplus(&self) -> Tensor {
        self.unary("softplus", Op::Softplus, 0.0, 0.0, |x, _, g| g.mul(&x.sigmoid()))
    }

    /// x^p (negative x allowed when p is an integer); derivative p x^(p-1).
    pub fn powf(&self, p: f32) -> Tensor {
        self.unary("powf", Op::Powf, p, 0.0, move |x, _, g| g.mul(&x.powf(p - 1.0)).mul_scalar(p))
    }

    /// alpha * x + beta.
    pub fn affine(&self, alpha: f32, beta: f32) -> Tensor {
        self.unary("affine", Op::Affine, alpha, beta, move |_, _, g| g.mul_scalar(alpha))
    }

    pub fn add_scalar(&self, s: f32) -> Tensor {
        self.affine(1.0, s)
    }

    pub fn sub_scalar(&self, s: f32) -> Tensor {
        self.affine(1.0, -s)
    }

    pub fn mul_scalar(&self, s: f32) -> Tensor {
        self.affine(s, 0.0)
    }

    pub fn div_scalar(&self, s: f32) -> Tensor {
        self.affine(1.0 / s, 0.0)
    }

    /// x clamped to [min, max]; the gradient passes only where x is inside.
    pub fn clamp(&self, min: f32, max: f32) -> Tensor {
        assert!(min <= max, "clamp: min {min} is greater than max {max}");
        self.unary("clamp", Op::Clamp, min, max, move |x, _, g| g.mul(&x.constant_piecewise(Op::Inside, min, max)))
    }

    /// -1, 0 or 1 (no gradient).
    pub fn sign(&self) -> Tensor {
        self.constant_piecewise(Op::Sign, 0.0, 0.0)
    }
}
