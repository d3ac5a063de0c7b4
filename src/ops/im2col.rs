//! im2col and col2im (`shaders/im2col.wgsl`): the two data-movement ops that
//! make a convolution a matrix product. Each is the other's adjoint, so each
//! one's backward is the other, and both are differentiable to any order.

use crate::gpu::{device, Params, Storage, IM2COL, WORKGROUP};
use crate::tensor::Tensor;

/// The geometry of a convolution: input [n, c, h, w], kernel kh x kw, and the
/// output positions oh x ow that stride, padding and dilation give.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ConvGeometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub oh: usize,
    pub ow: usize,
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    pub dilation: (usize, usize),
}

impl ConvGeometry {
    /// The im2col matrix's shape: [c * kh * kw, n * oh * ow].
    pub fn cols_shape(&self) -> [usize; 2] {
        [self.c * self.kh * self.kw, self.n * self.oh * self.ow]
    }

    fn params(&self, count: usize) -> Params {
        [
            self.n,
            self.c,
            self.h,
            self.w,
            self.kh,
            self.kw,
            self.oh,
            self.ow,
            self.stride.0,
            self.stride.1,
            self.padding.0,
            self.padding.1,
            self.dilation.0,
            self.dilation.1,
            count,
            0,
        ]
        .iter()
        .fold(Params::new(), |params, &v| params.size(v))
    }
}

fn launch(entry: &'static str, src: &Tensor, geometry: ConvGeometry, count: usize) -> Storage {
    let out = Storage::new(count);
    let gpu = device();
    gpu.dispatch(
        IM2COL.kernel(entry),
        &geometry.params(count),
        &[src.buffer(), out.buffer()],
        gpu.grid(count, WORKGROUP),
    );
    out
}

impl Tensor {
    /// Unfolds x [n, c, h, w] into [c*kh*kw, n*oh*ow]: column (n, oh, ow) holds
    /// the input values that kernel taps (c, kh, kw) meet at that output position.
    pub fn im2col(&self, geometry: ConvGeometry) -> Tensor {
        let ConvGeometry { n, c, h, w, .. } = geometry;
        assert_eq!(
            self.shape(),
            [n, c, h, w],
            "im2col: input {:?} does not match the geometry {geometry:?}",
            self.shape()
        );
        let shape = geometry.cols_shape();
        let out = launch("im2col", self, geometry, shape[0] * shape[1]);
        Tensor::from_op(out, shape.to_vec(), "im2col", &[self], move |_, _, g| vec![Some(g.col2im(geometry))])
    }

    /// The adjoint of `im2col`: folds [c*kh*kw, n*oh*ow] back to [n, c, h, w],
    /// summing the entries that came from the same input value.
    pub fn col2im(&self, geometry: ConvGeometry) -> Tensor {
        let shape = geometry.cols_shape();
        assert_eq!(self.shape(), shape, "col2im: input {:?} does not match the geometry {geometry:?}", self.shape());
        let ConvGeometry { n, c, h, w, .. } = geometry;
        let out = launch("col2im", self, geometry, n * c * h * w);
        Tensor::from_op(out, vec![n, c, h, w], "col2im", &[self], move |_, _, g| vec![Some(g.im2col(geometry))])
    }
}
