//! Elementwise functions of two or three tensors with NumPy broadcasting
//! (`shaders/broadcast.wgsl`): arithmetic, maximum/minimum, comparisons,
//! `where`, and a gradient carried back through a leaky ReLU. A broadcast
//! input's gradient is summed back to its own shape.

use super::{broadcast_shapes, broadcast_strides, coalesce, walk_run};
use crate::gpu::{device, Params, Storage, BROADCAST, WORKGROUP};
use crate::tensor::{numel, Tensor};

/// Op codes of `broadcast.wgsl`'s `apply` switch.
#[derive(Clone, Copy)]
enum Op {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Div = 3,
    Max = 4,
    Min = 5,
    Gt = 6,
    Ge = 7,
    Lt = 8,
    Le = 9,
    Eq = 10,
    Ne = 11,
    Where = 12,
    TimesSlope = 13,
}

/// Runs the kernel over the broadcast shape of `inputs` (two or three
/// tensors); `scalar` is the op's number where it takes one (TimesSlope's
/// negative slope), handed over as its bits in the header.
fn launch(op: Op, inputs: &[&Tensor], scalar: f32) -> (Storage, Vec<usize>) {
    let shape = inputs.iter().fold(Vec::new(), |acc, t| broadcast_shapes(&acc, t.shape()));
    let strides: Vec<Vec<usize>> = inputs.iter().map(|t| broadcast_strides(t.shape(), &shape)).collect();
    let (merged, merged_strides) = coalesce(&shape, &strides);
    let third = merged_strides.get(2).unwrap_or(&merged_strides[0]);
    let out = Storage::new(numel(&shape));
    let run = walk_run(&merged);
    let scalar = scalar.to_bits() as usize;
    let params = Params::strided(
        [out.len(), scalar, 0, run],
        &[(&merged, &merged_strides[0]), (&merged, &merged_strides[1]), (&merged, third)],
    );
    let c = inputs.get(2).unwrap_or(&inputs[0]);
    let buffers = [inputs[0].buffer(), inputs[1].buffer(), c.buffer(), out.buffer()];
    let gpu = device();
    // Every operand contiguous with the output or a single value: the vec4 path.
    let contiguous = merged.len() <= 1 && merged_strides.iter().all(|s| s.first().is_none_or(|&stride| stride <= 1));
    if contiguous {
        let kernel = BROADCAST.kernel_for("vector", op as u32);
        gpu.dispatch(kernel, &params, &buffers, gpu.grid(out.len(), 4 * WORKGROUP));
    } else if let Some((params, run)) = rows_params(&merged, &merged_strides, scalar) {
        let kernel = BROADCAST.kernel_for("rows", op as u32);
        gpu.dispatch(kernel, &params, &buffers, gpu.grid((out.len() / 4).div_ceil(run), WORKGROUP));
    } else {
        let kernel = BROADCAST.kernel_for("main", op as u32);
        gpu.dispatch(kernel, &params, &buffers, gpu.grid(out.len().div_ceil(run), WORKGROUP));
    }
    (out, shape)
}

// ANCHOR: rows_params
/// The parameters of broadcast.wgsl's `rows` path, when the merged shape
/// allows it: rows of a multiple of 4, every operand of stride 1 or 0 along
/// them. The output is walked in vec4s; an operand of stride 1 is addressed
/// in vec4s (its other strides, multiples of the row, divided by 4), one of
/// stride 0 in floats (strides unchanged). Each invocation walks the returned
/// run of vec4s. `scalar` is the header's op scalar, as `launch` has it.
fn rows_params(merged: &[usize], strides: &[Vec<usize>], scalar: usize) -> Option<(Params, usize)> {
    let (&row, outer) = merged.split_last()?;
    let fits = |s: &Vec<usize>| match s.split_last() {
        Some((&0, _)) => true,
        Some((&1, outer)) => outer.iter().all(|v| v.is_multiple_of(4)),
        _ => false,
    };
    if !row.is_multiple_of(4) || !strides.iter().all(fits) {
        return None;
    }
    let shape: Vec<usize> = outer.iter().copied().chain([row / 4]).collect();
    let in_vec4s = |s: &Vec<usize>| s[..s.len() - 1].iter().map(|v| v / 4).chain([1]).collect();
    let units: Vec<Vec<usize>> =
        strides.iter().map(|s| if s.last() == Some(&1) { in_vec4s(s) } else { s.clone() }).collect();
    let third = units.get(2).unwrap_or(&units[0]);
    let run = walk_run(&shape);
    let params = Params::strided(
        [numel(merged) / 4, scalar, 0, run],
        &[(&shape, &units[0]), (&shape, &units[1]), (&shape, third)],
    );
    Some((params, run))
}
// ANCHOR_END: rows_params

impl Tensor {
    /// A differentiable binary op; `to_a(a, b, g)` and `to_b(a, b, g)` give
    /// the gradients at the broadcast shape, which are then summed down to
    /// each input's shape. Each is computed only for an input that tracks a
    /// gradient: a constant operand (a mask, a scale) costs no dispatch.
    fn binary(
        &self,
        other: &Tensor,
        name: &'static str,
        op: Op,
        to_a: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
        to_b: impl Fn(&Tensor, &Tensor, &Tensor) -> Tensor + Send + Sync + 'static,
    ) -> Tensor {
        let (storage, shape) = launch(op, &[self, other], 0.0);
        Tensor::from_op(storage, shape, name, &[self, other], move |inputs, _, g| {
            let (a, b) = (&inputs[0], &inputs[1]);
            vec![
                a.tracks_grad().then(|| to_a(a, b, g).sum_to(a.shape())),
                b.tracks_grad().then(|| to_b(a, b, g).sum_to(b.shape())),
            ]
        })
    }

    /// A comparison: 1.0 where it holds, else 0.0 (no gradient).
    fn compare(&self, other: &Tensor, op: Op) -> Tensor {
        let (storage, shape) = launch(op, &[self, other], 0.0);
        Tensor::from_storage(storage, shape)
    }

    pub fn add(&self, other: &Tensor) -> Tensor {
        self.binary(other, "add", Op::Add, |_, _, g| g.clone(), |_, _, g| g.clone())
    }

    pub fn sub(&self, other: &Tensor) -> Tensor {
        self.binary(other, "sub", Op::Sub, |_, _, g| g.clone(), |_, _, g| g.neg())
    }

    pub fn mul(&self, other: &Tensor) -> Tensor {
        self.binary(other, "mul", Op::Mul, |_, b, g| g.mul(b), |a, _, g| g.mul(a))
    }

    /// d(a/b) = da / b - a db / b^2.
    pub fn div(&self, other: &Tensor) -> Tensor {
        self.binary(other, "div", Op::Div, |_, b, g| g.div(b), |a, b, g| g.mul(a).div(&b.mul(b)).neg())
    }

    /// Elementwise maximum; on ties the gradient goes to `self`.
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        self.binary(other, "maximum", Op::Max, |a, b, g| g.mul(&a.ge(b)), |a, b, g| g.mul(&a.lt(b)))
    }

    /// Elementwise minimum; on ties the gradient goes to `self`.
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        self.binary(other, "minimum", Op::Min, |a, b, g| g.mul(&a.le(b)), |a, b, g| g.mul(&a.gt(b)))
    }

    pub fn gt(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Gt)
    }

    pub fn ge(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Ge)
    }

    pub fn lt(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Lt)
    }

    pub fn le(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Le)
    }

    pub fn eq_elementwise(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Eq)
    }

    pub fn ne_elementwise(&self, other: &Tensor) -> Tensor {
        self.compare(other, Op::Ne)
    }

    /// `if_true` where `self` is nonzero, else `if_false` (all three broadcast).
    /// The condition gets no gradient; each branch gets the gradient where chosen.
    pub fn where_(&self, if_true: &Tensor, if_false: &Tensor) -> Tensor {
        let (storage, shape) = launch(Op::Where, &[self, if_true, if_false], 0.0);
        Tensor::from_op(storage, shape, "where", &[self, if_true, if_false], |inputs, _, g| {
            let zero = Tensor::scalar(0.0);
            let (cond, if_true, if_false) = (&inputs[0], &inputs[1], &inputs[2]);
            let to_true = if_true.tracks_grad().then(|| cond.where_(g, &zero).sum_to(if_true.shape()));
            let to_false = if_false.tracks_grad().then(|| cond.where_(&zero, g).sum_to(if_false.shape()));
            vec![None, to_true, to_false]
        })
    }

    /// `self`, a gradient at a leaky ReLU of `negative_slope`, carried back
    /// through it: times the ReLU's slope, 1 where `at` > 0 and
    /// `negative_slope` elsewhere, in one dispatch. `at` is the ReLU's input,
    /// or its output where the slope is not negative (the sign is the same).
    /// A slope of 1 is no activation and leaves `self` as it is. Linear in
    /// `self` with a piecewise-constant factor, so its own gradient is the
    /// same op on the upstream gradient, and `at` gets none.
    pub(crate) fn through_leaky_relu(&self, at: &Tensor, negative_slope: f32) -> Tensor {
        if negative_slope == 1.0 {
            return self.clone();
        }
        assert_eq!(
            self.shape(),
            at.shape(),
            "through_leaky_relu: the gradient and the values it is read at differ in shape"
        );
        let (storage, shape) = launch(Op::TimesSlope, &[self, at], negative_slope);
        Tensor::from_op(storage, shape, "through_leaky_relu", &[self, at], move |inputs, _, g| {
            let at = &inputs[1];
            vec![inputs[0].tracks_grad().then(|| g.through_leaky_relu(at, negative_slope)), None]
        })
    }
}

impl std::ops::Add for &Tensor {
    type Output = Tensor;
    fn add(self, rhs: &Tensor) -> Tensor {
        Tensor::add(self, rhs)
    }
}

impl std::ops::Sub for &Tensor {
    type Output = Tensor;
    fn sub(self, rhs: &Tensor) -> Tensor {
        Tensor::sub(self, rhs)
    }
}

impl std::ops::Mul for &Tensor {
    type Output = Tensor;
    fn mul(self, rhs: &Tensor) -> Tensor {
        Tensor::mul(self, rhs)
    }
}

impl std::ops::Div for &Tensor {
    type Output = Tensor;
    fn div(self, rhs: &Tensor) -> Tensor {
        Tensor::div(self, rhs)
    }
}

impl std::ops::Neg for &Tensor {
    type Output = Tensor;
    fn neg(self) -> Tensor {
        Tensor::neg(self)
    }
}
