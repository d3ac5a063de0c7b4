//! Shape ops (`shaders/shape.wgsl`). Storage is always contiguous, so every op
//! but `reshape` is a strided copy: an index space walked with one set of
//! strides to read and another to write (see the kernel's comment).
//!
//! Each backward is again a shape op: permute undoes itself with the inverse
//! permutation, a slice's gradient is the gradient padded back with zeros, a
//! pad's is the slice of the interior, expand's is a sum over the expanded axes.

use super::{coalesce, contiguous_strides, normalize_axis, walk_run};
use crate::gpu::{device, Params, Storage, SHAPE, WORKGROUP};
use crate::tensor::{numel, Tensor};

/// New storage of `len` values all equal to `value`.
pub(crate) fn filled(len: usize, value: f32) -> Storage {
    let out = Storage::new(len);
    let gpu = device();
    let params = Params::strided([len, value.to_bits() as usize, 0, 0], &[]);
    gpu.dispatch(SHAPE.kernel("fill"), &params, &[out.buffer()], gpu.grid(len, 4 * WORKGROUP));
    out
}

/// One strided copy: for every index of `shape`, dst[dst_offset + idx . dst_strides]
/// = src[src_offset + idx . src_strides].
struct Copy<'a> {
    shape: &'a [usize],
    src: &'a Tensor,
    src_offset: usize,
    src_strides: Vec<usize>,
    dst_offset: usize,
    dst_strides: Vec<usize>,
}

impl Copy<'_> {
    fn run(self, dst: &Storage) {
        let n = numel(self.shape);
        if n == 0 {
            return;
        }
        let (shape, strides) = coalesce(self.shape, &[self.src_strides, self.dst_strides]);
        let run = walk_run(&shape);
        let params = Params::strided(
            [n, self.src_offset, self.dst_offset, run],
            &[(&shape, &strides[0]), (&shape, &strides[1])],
        );
        let gpu = device();
        let grid = gpu.grid(n.div_ceil(run), WORKGROUP);
        gpu.dispatch(SHAPE.kernel("copy"), &params, &[self.src.buffer(), dst.buffer()], grid);
    }
}

impl Tensor {
    /// The same values viewed with another shape of the same size (no copy).
    pub fn reshape(&self, shape: &[usize]) -> Tensor {
        assert_eq!(
            numel(shape),
            self.numel(),
            "reshape: cannot view shape {:?} ({} elements) as {shape:?} ({} elements)",
            self.shape(),
            self.numel(),
            numel(shape)
        );
        Tensor::with_node(self.shared_storage(), shape.to_vec(), "reshape", &[self], |inputs, _, g| {
            vec![Some(g.reshape(inputs[0].shape()))]
        })
    }

    /// Flattens every dimension from `start` on into one: [N, C, H, W] -> [N, C*H*W] for start 1.
    pub fn flatten(&self, start: usize) -> Tensor {
        assert!(start <= self.rank(), "flatten: start dimension {start} is out of range for shape {:?}", self.shape());
        let mut shape = self.shape()[..start].to_vec();
        shape.push(numel(&self.shape()[start..]));
        self.reshape(&shape)
    }

    /// Reorders dimensions: output dimension i is input dimension `order[i]`.
    pub fn permute(&self, order: &[usize]) -> Tensor {
        let rank = self.rank();
        let mut seen = vec![false; rank];
        let valid = order.len() == rank && order.iter().all(|&d| d < rank && !std::mem::replace(&mut seen[d], true));
        assert!(valid, "permute: {order:?} is not a permutation of the {rank} dimensions of shape {:?}", self.shape());
        let shape: Vec<usize> = order.iter().map(|&d| self.shape()[d]).collect();
        let strides = contiguous_strides(self.shape());
        let out = Storage::new(self.numel());
        Copy {
            shape: &shape,
            src: self,
            src_offset: 0,
            src_strides: order.iter().map(|&d| strides[d]).collect(),
            dst_offset: 0,
            dst_strides: contiguous_strides(&shape),
        }
        .run(&out);
        let order = order.to_vec();
        Tensor::from_op(out, shape, "permute", &[self], move |_, _, g| {
            let mut inverse = vec![0; order.len()];
            for (i, &d) in order.iter().enumerate() {
                inverse[d] = i;
            }
            vec![Some(g.permute(&inverse))]
        })
    }

    /// Swaps two dimensions (negative indices count from the end).
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Tensor {
        let (a, b) = (normalize_axis(dim0, self.shape()), normalize_axis(dim1, self.shape()));
        let mut order: Vec<usize> = (0..self.rank()).collect();
        order.swap(a, b);
        self.permute(&order)
    }

    /// Repeats the tensor along size-1 (or missing leading) dimensions to reach `shape`.
    pub fn expand(&self, shape: &[usize]) -> Tensor {
        let fits = shape.len() >= self.rank()
            && self.shape().iter().rev().zip(shape.iter().rev()).all(|(&own, &target)| own == target || own == 1);
        assert!(fits, "expand: shape {:?} cannot be expanded to {shape:?}", self.shape());
        if shape == self.shape() {
            return self.clone();
        }
        let out = Storage::new(numel(shape));
        Copy {
            shape,
            src: self,
            src_offset: 0,
            src_strides: super::broadcast_strides(self.shape(), shape),
            dst_offset: 0,
            dst_strides: contiguous_strides(shape),
        }
        .run(&out);
        Tensor::from_op(out, shape.to_vec(), "expand", &[self], |inputs, _, g| vec![Some(g.sum_to(inputs[0].shape()))])
    }

    /// The block `ranges[d].0 .. ranges[d].1` of every dimension d.
    pub fn slice(&self, ranges: &[(usize, usize)]) -> Tensor {
        let valid = ranges.len() == self.rank()
            && ranges.iter().zip(self.shape()).all(|(&(start, end), &size)| start <= end && end <= size);
        assert!(valid, "slice: ranges {ranges:?} do not fit inside shape {:?}", self.shape());
        let shape: Vec<usize> = ranges.iter().map(|(start, end)| end - start).collect();
        let strides = contiguous_strides(self.shape());
        let out = Storage::new(numel(&shape));
        Copy {
            shape: &shape,
            src: self,
            src_offset: ranges.iter().zip(&strides).map(|((start, _), stride)| start * stride).sum(),
            src_strides: strides,
            dst_offset: 0,
            dst_strides: contiguous_strides(&shape),
        }
        .run(&out);
        let ranges = ranges.to_vec();
        Tensor::from_op(out, shape, "slice", &[self], move |inputs, _, g| {
            let padding: Vec<(usize, usize)> =
                ranges.iter().zip(inputs[0].shape()).map(|(&(start, end), &size)| (start, size - end)).collect();
            vec![Some(g.pad(&padding, 0.0))]
        })
    }

    /// Elements `start..end` along one axis, everything along the others.
    pub fn narrow(&self, axis: isize, start: usize, end: usize) -> Tensor {
        let axis = normalize_axis(axis, self.shape());
        let mut ranges: Vec<(usize, usize)> = self.shape().iter().map(|&size| (0, size)).collect();
        ranges[axis] = (start, end);
        self.slice(&ranges)
    }

    /// Surrounds the tensor with `value`: `padding[d] = (before, after)` for each dimension.
    pub fn pad(&self, padding: &[(usize, usize)], value: f32) -> Tensor {
        assert_eq!(
            padding.len(),
            self.rank(),
            "pad: {} (before, after) pairs given for shape {:?}",
            padding.len(),
            self.shape()
        );
        let shape: Vec<usize> =
            self.shape().iter().zip(padding).map(|(size, (before, after))| before + size + after).collect();
        let out_strides = contiguous_strides(&shape);
        let out = filled(numel(&shape), value);
        Copy {
            shape: self.shape(),
            src: self,
            src_offset: 0,
            src_strides: contiguous_strides(self.shape()),
            dst_offset: padding.iter().zip(&out_strides).map(|((before, _), stride)| before * stride).sum(),
            dst_strides: out_strides,
        }
        .run(&out);
        let padding = padding.to_vec();
        Tensor::from_op(out, shape, "pad", &[self], move |inputs, _, g| {
            let ranges: Vec<(usize, usize)> =
                padding.iter().zip(inputs[0].shape()).map(|(&(before, _), &size)| (before, before + size)).collect();
            vec![Some(g.slice(&ranges))]
        })
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    pub fn concat(tensors: &[&Tensor], axis: isize) -> Tensor {
        assert!(!tensors.is_empty(), "concat needs at least one tensor");
        let first = tensors[0].shape();
        let axis = normalize_axis(axis, first);
        for t in tensors {
            let agree = t.rank() == first.len() && (0..first.len()).all(|d| d == axis || t.shape()[d] == first[d]);
            assert!(agree, "concat along axis {axis}: shape {:?} does not match {first:?}", t.shape());
        }
        let mut shape = first.to_vec();
        shape[axis] = tensors.iter().map(|t| t.shape()[axis]).sum();
        let out_strides = contiguous_strides(&shape);
        let out = Storage::new(numel(&shape));
        let mut start = 0;
        let mut offsets = Vec::new();
        for t in tensors {
            Copy {
                shape: t.shape(),
                src: t,
                src_offset: 0,
                src_strides: contiguous_strides(t.shape()),
                dst_offset: start * out_strides[axis],
                dst_strides: out_strides.clone(),
            }
            .run(&out);
            offsets.push((start, start + t.shape()[axis]));
            start += t.shape()[axis];
        }
        Tensor::from_op(out, shape, "concat", tensors, move |_, _, g| {
            offsets.iter().map(|&(from, to)| Some(g.narrow(axis as isize, from, to))).collect()
        })
    }

    /// A contiguous copy that shares nothing with `self` (still differentiable).
    pub fn copy(&self) -> Tensor {
        let out = Storage::new(self.numel());
        let strides = contiguous_strides(self.shape());
        Copy {
            shape: self.shape(),
            src: self,
            src_offset: 0,
            src_strides: strides.clone(),
            dst_offset: 0,
            dst_strides: strides,
        }
        .run(&out);
        Tensor::from_op(out, self.shape().to_vec(), "copy", &[self], |_, _, g| vec![Some(g.clone())])
    }
}
