//! Convolutions as matrix products (im2col + matmul):
//!
//! conv2d: y = W x cols, with cols = im2col(x) [C*KH*KW, N*OH*OW] and the
//! weight [O, C/G, KH, KW] read as [G, O/G, C/G*KH*KW] (one matrix per group).
//!
//! conv_transpose2d is the adjoint of conv2d with respect to its input: the
//! same matmul transposed, then col2im folds the columns back into the
//! (larger) output image, gathering, without atomics.
//!
//! The gradients come from the pieces: matmul's and im2col/col2im's rules. So
//! conv2d's input gradient is a conv_transpose2d, its weight gradient is
//! `conv2d_weight` (a matmul with the im2col of x), and everything is
//! differentiable to any order.

use super::im2col::ConvGeometry;
use crate::tensor::Tensor;

/// Stride, padding, dilation (each per height and width) and groups.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conv2dOptions {
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions { stride: (1, 1), padding: (0, 0), dilation: (1, 1), groups: 1 }
    }
}

impl Conv2dOptions {
    /// The same stride on both axes.
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }

    /// The same padding on both axes.
    pub fn padding(mut self, p: usize) -> Self {
        self.padding = (p, p);
        self
    }

    /// The same dilation on both axes.
    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = (d, d);
        self
    }

    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    fn check(&self) {
        let Conv2dOptions { stride, dilation, groups, .. } = *self;
        assert!(
            stride.0 > 0 && stride.1 > 0 && dilation.0 > 0 && dilation.1 > 0 && groups > 0,
            "conv: {self:?} needs positive stride, dilation and groups"
        );
    }
}

/// Output size of a convolution along one axis, or a panic naming the shapes.
fn conv_out(size: usize, kernel: usize, stride: usize, padding: usize, dilation: usize, what: &str) -> usize {
    let span = dilation * (kernel - 1) + 1;
    assert!(
        size + 2 * padding >= span,
        "{what}: a kernel spanning {span} does not fit an input of {size} padded by {padding}"
    );
    (size + 2 * padding - span) / stride + 1
}

/// [N, C, H, W] dimensions, or a panic naming the shape.
fn dims4(t: &Tensor, what: &str) -> [usize; 4] {
    match *t.shape() {
        [a, b, c, d] => [a, b, c, d],
        _ => panic!("{what}: expected a 4-d tensor, got shape {:?}", t.shape()),
    }
}

fn add_bias(y: Tensor, bias: Option<&Tensor>, channels: usize, what: &str) -> Tensor {
    match bias {
        Some(b) => {
            assert_eq!(b.shape(), [channels], "{what}: bias {:?} must be [{channels}]", b.shape());
            y.add(&b.reshape(&[1, channels, 1, 1]))
        }
        None => y,
    }
}

impl Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch): x [N, C, H, W],
    /// weight [O, C/groups, KH, KW], bias [O] -> [N, O, OH, OW].
    pub fn conv2d(&self, weight: &Tensor, bias: Option<&Tensor>, options: Conv2dOptions) -> Tensor {
        options.check();
        let [n, c, _, _] = dims4(self, "conv2d input");
        let [o, cg, kh, kw] = dims4(weight, "conv2d weight");
        let g = options.groups;
        assert!(
            c == cg * g && o % g == 0,
            "conv2d: input {:?} and weight {:?} do not agree for {g} groups (need C = weight's C/groups * groups, O divisible by groups)",
            self.shape(),
            weight.shape()
        );
        let geometry = self.geometry_for(weight, options);
        let (oh, ow) = (geometry.oh, geometry.ow);
        let cols = self.im2col(geometry).reshape(&[g, cg * kh * kw, n * oh * ow]);
        let y = weight.reshape(&[g, o / g, cg * kh * kw]).matmul(&cols); // [G, O/G, N*OH*OW]
        let y = y.reshape(&[o, n, oh, ow]).permute(&[1, 0, 2, 3]);
        add_bias(y, bias, o, "conv2d")
    }

    /// The geometry of conv2d(self, weight) with `options`.
    fn geometry_for(&self, weight: &Tensor, options: Conv2dOptions) -> ConvGeometry {
        let [n, c, h, w] = dims4(self, "conv2d input");
        let [_, _, kh, kw] = dims4(weight, "conv2d weight");
        let Conv2dOptions { stride, padding, dilation, .. } = options;
        let oh = conv_out(h, kh, stride.0, padding.0, dilation.0, "conv2d height");
        let ow = conv_out(w, kw, stride.1, padding.1, dilation.1, "conv2d width");
        ConvGeometry { n, c, h, w, kh, kw, oh, ow, stride, padding, dilation }
    }

    /// The gradient of conv2d's output with respect to its weight, as an op:
    /// given x [N, C, H, W] and the output gradient [N, O, OH, OW], the weight
    /// gradient [O, C/groups, KH, KW]. It is a matmul with im2col(x), so it
    /// is differentiable in both arguments.
    pub fn conv2d_weight(&self, grad_out: &Tensor, weight_shape: &[usize], options: Conv2dOptions) -> Tensor {
        let probe = Tensor::zeros(weight_shape);
        let geometry = self.geometry_for(&probe, options);
        let [o, cg, kh, kw] = dims4(&probe, "conv2d_weight shape");
        let g = options.groups;
        let (n, oh, ow) = (geometry.n, geometry.oh, geometry.ow);
        assert_eq!(
            grad_out.shape(),
            [n, o, oh, ow],
            "conv2d_weight: output gradient {:?} does not match input {:?} and weight {weight_shape:?}",
            grad_out.shape(),
            self.shape()
        );
        let cols = self.im2col(geometry).reshape(&[g, cg * kh * kw, n * oh * ow]);
        let grad = grad_out.permute(&[1, 0, 2, 3]).reshape(&[g, o / g, n * oh * ow]);
        grad.matmul_t(&cols, false, true).reshape(weight_shape)
    }

    /// Transposed convolution (the adjoint of conv2d in its input): x [N, C, H, W],
    /// weight [C, O/groups, KH, KW], bias [O] -> [N, O, OH, OW] with
    /// OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: Conv2dOptions,
        output_padding: (usize, usize),
    ) -> Tensor {
        options.check();
        let [n, c, h, w] = dims4(self, "conv_transpose2d input");
        let [cw, og, kh, kw] = dims4(weight, "conv_transpose2d weight");
        let g = options.groups;
        assert!(
            c == cw && c % g == 0,
            "conv_transpose2d: input {:?} and weight {:?} do not agree for {g} groups (weight must be [C, O/groups, KH, KW])",
            self.shape(),
            weight.shape()
        );
        let Conv2dOptions { stride, padding, dilation, .. } = options;
        assert!(
            output_padding.0 < stride.0.max(dilation.0) && output_padding.1 < stride.1.max(dilation.1),
            "conv_transpose2d: output_padding {output_padding:?} must be smaller than the stride or the dilation ({options:?})"
        );
        let out_size = |size: usize, k: usize, s: usize, p: usize, d: usize, extra: usize| {
            ((size - 1) * s + d * (k - 1) + extra + 1).checked_sub(2 * p).unwrap_or_else(|| {
                panic!("conv_transpose2d: padding {padding:?} leaves no output for input {:?}", [n, c, h, w])
            })
        };
        let oh = out_size(h, kh, stride.0, padding.0, dilation.0, output_padding.0);
        let ow = out_size(w, kw, stride.1, padding.1, dilation.1, output_padding.1);
        let o = og * g;
        // The conv2d this is the adjoint of maps [N, O, OH, OW] to [N, C, H, W].
        let geometry = ConvGeometry { n, c: o, h: oh, w: ow, kh, kw, oh: h, ow: w, stride, padding, dilation };
        let x = self.permute(&[1, 0, 2, 3]).reshape(&[g, c / g, n * h * w]);
        let cols = weight.reshape(&[g, c / g, og * kh * kw]).matmul_t(&x, true, false); // [G, O/G*KH*KW, N*H*W]
        let y = cols.reshape(&geometry.cols_shape()).col2im(geometry);
        add_bias(y, bias, o, "conv_transpose2d")
    }
}
