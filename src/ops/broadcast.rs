//! Elementwise functions of two or three tensors with NumPy broadcasting
//! (`shaders/broadcast.wgsl`): arithmetic, maximum/minimum, comparisons and
//! `where`. A broadcast input's gradient is summed back to its own shape.

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
}

/// Runs the kernel over the broadcast shape of `inputs` (two or three tensors).
fn launch(op: Op, inputs: &[&Tensor]) -> (Storage, Vec<usize>) {
    let shape = inputs.iter().fold(Vec::new(), |acc, t| broadcast_shapes(&acc, t.shape()));
    let strides: Vec<Vec<usize>> = inputs.iter().map(|t| broadcast_strides(t.shape(), &shape)).collect();
    let (merged, merged_strides) = coalesce(&shape, &strides);
    let third = merged_strides.get(2).unwrap_or(&merged_strides[0]);
    let out = Storage::new(numel(&shape));
    let run = walk_run(&merged);
    let params = Params::strided(
        [out.len(), 0, 0, run],
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
    } else if let Some((params, run)) = rows_params(&merged, &merged_strides) {
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
/// run of vec4s.
fn rows_params(merged: &[usize], strides: &[Vec<usize>]) -> Option<(Params, usize)> {
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
    let params =
        Params::strided([numel(merged) / 4, 0, 0, run], &[(&shape, &units[0]), (&shape, &units[1]), (&shape, third)]);
    Some((params, run))
}
// ANCHOR_END: rows_params

impl Tensor {
    /// A differentiable binary op; `rule(a, b, out, g)` gives the gradients at
    /// the broadcast shape, which are then summed down to each input's shape.
    fn binary(
        &self,
        other: &Tensor,
        name: &'static str,
        op: Op,
        rule: impl Fn(&Tensor, &Tensor, &Tensor, &Tensor) -> (Tensor, Tensor) + Send + Sync + 'static,
    ) -> Tensor {
        let (storage, shape) = launch(op, &[self, other]);
        Tensor::from_op(storage, shape, name, &[self, other], move |inputs, out, g| {
            let (a, b) = (&inputs[0], &inputs[1]);
            let (ga, gb) = rule(a, b, out, g);
            vec![Some(ga.sum_to(a.shape())), Some(gb.sum_to(b.shape()))]
        })
    }

    /// A comparison: 1.0 where it holds, else 0.0 (no gradient).
    fn compare(&self, other: &Tensor, op: Op) -> Tensor {
        let (storage, shape) = launch(op, &[self, other]);
        Tensor::from_storage(storage, shape)
    }

    pub fn add(&self, other: &Tensor) -> Tensor {
        self.binary(other, "add", Op::Add, |_, _, _, g| (g.clone(), g.clone()))
    }

    pub fn sub(&self, other: &Tensor) -> Tensor {
        self.binary(other, "sub", Op::Sub, |_, _, _, g| (g.clone(), g.neg()))
    }

    pub fn mul(&self, other: &Tensor) -> Tensor {
        self.binary(other, "mul", Op::Mul, |a, b, _, g| (g.mul(b), g.mul(a)))
    }

    /// d(a/b) = da / b - a db / b^2.
    pub fn div(&self, other: &Tensor) -> Tensor {
        self.binary(other, "div", Op::Div, |a, b, _, g| (g.div(b), g.mul(a).div(&b.mul(b)).neg()))
    }

    /// Elementwise maximum; on ties the gradient goes to `self`.
    pub fn maximum(&self, other: &Tensor) -> Tensor {
        self.binary(other, "maximum", Op::Max, |a, b, _, g| {
            let to_a = g.mul(&a.ge(b));
            let to_b = g.sub(&to_a);
            (to_a, to_b)
        })
    }

    /// Elementwise minimum; on ties the gradient goes to `self`.
    pub fn minimum(&self, other: &Tensor) -> Tensor {
        self.binary(other, "minimum", Op::Min, |a, b, _, g| {
            let to_a = g.mul(&a.le(b));
            let to_b = g.sub(&to_a);
            (to_a, to_b)
        })
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
        let (storage, shape) = launch(Op::Where, &[self, if_true, if_false]);
        Tensor::from_op(storage, shape, "where", &[self, if_true, if_false], |inputs, _, g| {
            let zero = Tensor::scalar(0.0);
            let cond = &inputs[0];
            let to_true = cond.where_(g, &zero).sum_to(inputs[1].shape());
            let to_false = cond.where_(&zero, g).sum_to(inputs[2].shape());
            vec![None, Some(to_true), Some(to_false)]
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
