//! 2-D convolutions (`shaders/conv.wgsl` on the tiled core `shaders/gemm.wgsl`):
//! `conv2d`, `conv_transpose2d`, and `conv2d_weight`, the gradient of conv2d
//! with respect to its weights. Each is one implicit GEMM (conv_transpose2d one
//! per output phase): the kernel gathers the im2col matrix while it loads its
//! tiles, so no patch matrix is stored. The stride-2 4 x 4 ones with a single
//! channel on the image side (DCGAN's image-facing layers) run as direct
//! kernels instead, where they have one (`one_channel_conv.rs` says which).
//!
//! **Why their gradients are each other.** With ih = oh * stride - pad +
//! kh * dilation (and alike for columns), all three ops contract the same
//! trilinear form of an image x [N, C, H, W], weights w [O, C/g, KH, KW] and an
//! output-space tensor y [N, O, OH, OW]:
//!
//! ```text
//! T(x, w, y) = sum x[b, c, ih, iw] w[o, c', kh, kw] y[b, o, oh, ow]
//! ```
//!
//! over b, o, oh, ow, kh, kw and the channels c of o's group (c' = c within
//! it), terms outside the image being 0. Each op is T differentiated by one
//! argument: conv2d(x, w) = dT/dy, conv_transpose2d(y, w) = dT/dx,
//! conv2d_weight(x, y) = dT/dw. So for a loss with gradient G at an op's
//! output, the gradient at each input is T with G in the output's place,
//! differentiated by that input:
//!
//! ```text
//! out = conv2d(x, w):           dx = conv_transpose2d(G, w)   dw = conv2d_weight(x, G)
//! out = conv_transpose2d(y, w): dy = conv2d(G, w)             dw = conv2d_weight(G, y)
//! out = conv2d_weight(x, y):    dx = conv_transpose2d(y, G)   dy = conv2d(x, G)
//! ```
//!
//! all with the same options (conv_transpose2d's output_padding chosen to give
//! back the image's size). The rules use only these three ops, so gradients of
//! any order exist. A bias is added by the kernel as it stores each output
//! (one pass over the output saved); its gradient is the sum over N, H and
//! W. An input that no gradient flows to (a batch of data) gets none computed.

use super::gemm::{pack_a, Blocking};
use super::one_channel_conv;
use crate::gpu::{device, Params, Storage, Work, CONV};
use crate::tensor::Tensor;
use std::sync::Arc;

/// Stride, padding and dilation as (rows, columns), and the number of groups:
/// channel group i of the input sees only channel group i of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Output size of a convolution over `input` rows/columns with a `kernel`:
    /// floor((input + 2 pad - dilation (kernel - 1) - 1) / stride) + 1, or None
    /// when the dilated kernel does not fit in the padded input.
    fn conv_size(&self, input: (usize, usize), kernel: (usize, usize)) -> Option<(usize, usize)> {
        let one = |input: usize, kernel: usize, stride: usize, pad: usize, dilation: usize| {
            let span = dilation * (kernel - 1) + 1;
            (input + 2 * pad).checked_sub(span).map(|room| room / stride + 1)
        };
        let (s, p, d) = (self.stride, self.padding, self.dilation);
        Some((one(input.0, kernel.0, s.0, p.0, d.0)?, one(input.1, kernel.1, s.1, p.1, d.1)?))
    }

    /// Output size of a transposed convolution: (input - 1) stride - 2 pad +
    /// dilation (kernel - 1) + output_padding + 1, or None when not positive.
    fn transposed_size(
        &self,
        input: (usize, usize),
        kernel: (usize, usize),
        output_padding: (usize, usize),
    ) -> Option<(usize, usize)> {
        let one = |input: usize, kernel: usize, stride: usize, pad: usize, dilation: usize, extra: usize| {
            let span = input.checked_sub(1)? * stride + dilation * (kernel - 1) + extra + 1;
            span.checked_sub(2 * pad).filter(|&size| size > 0)
        };
        let (s, p, d, e) = (self.stride, self.padding, self.dilation, output_padding);
        Some((one(input.0, kernel.0, s.0, p.0, d.0, e.0)?, one(input.1, kernel.1, s.1, p.1, d.1, e.1)?))
    }

    /// The output_padding that makes conv_transpose2d over `conv_out` give back
    /// `input`, when a convolution with these options maps `input` to
    /// `conv_out`: input + 2 pad - (conv_out - 1) stride - dilation (kernel - 1) - 1,
    /// the rows the convolution's last step left unread (less than the stride).
    fn padding_back(&self, input: (usize, usize), kernel: (usize, usize), conv_out: (usize, usize)) -> (usize, usize) {
        let one = |input: usize, kernel: usize, out: usize, stride: usize, pad: usize, dilation: usize| {
            input + 2 * pad - (out - 1) * stride - dilation * (kernel - 1) - 1
        };
        let (s, p, d) = (self.stride, self.padding, self.dilation);
        (one(input.0, kernel.0, conv_out.0, s.0, p.0, d.0), one(input.1, kernel.1, conv_out.1, s.1, p.1, d.1))
    }

    fn check(&self, op: &str) {
        let (s, d) = (self.stride, self.dilation);
        assert!(
            s.0 > 0 && s.1 > 0 && d.0 > 0 && d.1 > 0 && self.groups > 0,
            "{op}: stride {s:?}, dilation {d:?} and groups {} must be positive",
            self.groups
        );
    }
}

/// Which product conv.wgsl computes (its `GATHER` constant).
#[derive(Clone, Copy)]
enum Gather {
    Conv2d = 0,
    Conv2dWeight = 1,
    ConvTranspose2d = 2,
}

/// One implicit GEMM of conv.wgsl: the fields of its `Params` (see the shader
/// for their meaning). Pairs are (rows, columns); the shader's vec2s are (x, y),
/// so they are written columns first.
struct ConvGemm {
    gather: Gather,
    m: usize,
    n: usize,
    k: usize,
    /// Columns of A per workgroup along z: K, or a chunk of it (split K).
    k_chunk: usize,
    groups: usize,
    image: [usize; 4],
    out: [usize; 4],
    kernel: (usize, usize),
    pos_grid: (usize, usize),
    pos_origin: (usize, usize),
    pos_step: (usize, usize),
    tap_grid: (usize, usize),
    tap_origin: (usize, usize),
    tap_step: (usize, usize),
    in_from_pos: (usize, usize),
    in_from_tap: (i64, i64),
    in_offset: (i64, i64),
    /// The negative slope of a leaky ReLU applied as each output is stored
    /// (conv2d only; conv.wgsl's `negative_slope`); 1: none.
    negative_slope: f32,
}

/// A signed image offset as the shader's wrapping u32.
fn wrapping(v: i64) -> u32 {
    v as i32 as u32
}

impl ConvGemm {
    /// The usual sweep of a convolution: positions are the output pixels,
    /// taps every kernel element, ih = oh * stride - pad + kh * dilation.
    fn sweep(gather: Gather, image: [usize; 4], out: [usize; 4], kernel: (usize, usize), o: &Conv2dOptions) -> Self {
        let g = o.groups;
        let (og, cg) = (out[1] / g, image[1] / g);
        let (taps, positions) = (cg * kernel.0 * kernel.1, out[0] * out[2] * out[3]);
        let (m, n, k) = match gather {
            Gather::Conv2dWeight => (og, taps, positions),
            _ => (og, positions, taps),
        };
        ConvGemm {
            gather,
            m,
            n,
            k,
            k_chunk: k,
            groups: g,
            image,
            out,
            kernel,
            pos_grid: (out[2], out[3]),
            pos_origin: (0, 0),
            pos_step: (1, 1),
            tap_grid: kernel,
            tap_origin: (0, 0),
            tap_step: (1, 1),
            in_from_pos: o.stride,
            in_from_tap: (o.dilation.0 as i64, o.dilation.1 as i64),
            in_offset: (-(o.padding.0 as i64), -(o.padding.1 as i64)),
            negative_slope: 1.0,
        }
    }

    /// Dispatches this product with `blocking`, or the one `Blocking::for_problem`
    /// picks, adding `bias` (one value per output channel) as it stores.
    fn run(&self, a: &Tensor, image: &Tensor, result: &Storage, bias: Option<&Tensor>, blocking: Option<Blocking>) {
        // divide() in the shader is exact for quotients below 2^20.
        let largest_quotient = self.image[0].max(self.image[1]).max(self.pos_grid.0).max(self.tap_grid.0);
        assert!(
            largest_quotient < 1 << 20 && self.m.max(self.n).max(self.k) < 1 << 31,
            "convolution of image {:?} into {:?} is too large for the kernel's index arithmetic",
            self.image,
            self.out
        );
        // conv.wgsl's Params in order; its vec2 fields are (x, y) = (columns, rows).
        let g = self.groups;
        let (i, o) = (self.image, self.out);
        let sizes = [self.m, self.n, self.k, self.k_chunk, i[1], i[2], i[3], i[1] / g, o[1], o[2], o[3], o[1] / g];
        let pairs = [self.kernel, self.pos_grid, self.pos_origin, self.pos_step, self.tap_grid, self.tap_origin];
        let pairs = pairs.into_iter().chain([self.tap_step]);
        let signed_pairs = [self.in_from_tap, self.in_offset];
        let mut params = sizes.into_iter().fold(Params::new(), Params::size);
        params = pairs.flat_map(|(rows, cols)| [cols, rows]).fold(params, Params::size);
        params = params.u32(u32::from(bias.is_some())).f32(self.negative_slope);
        params = [self.in_from_pos].into_iter().flat_map(|(rows, cols)| [cols, rows]).fold(params, Params::size);
        params = signed_pairs.into_iter().flat_map(|(rows, cols)| [cols, rows]).fold(params, |p, v| p.u32(wrapping(v)));
        let blocking = blocking.unwrap_or_else(|| Blocking::for_problem(self.m, self.n));
        let problems = g * self.k_chunks();
        let gather = self.gather as u32;
        let kernel = CONV.kernel_for("main", blocking.op(gather, self.output_in_vec4()));
        let grid = blocking.grid(self.m, self.n, problems);
        let packed = pack_a(&CONV, blocking, gather, &params, a.buffer(), (self.m, self.k, g));
        let packed_a = packed.as_ref().map_or(a.buffer(), Storage::buffer);
        let buffers = [a.buffer(), image.buffer(), result.buffer(), bias.unwrap_or(a).buffer(), packed_a];
        let mut work = Work::gemm(self.m, self.n, self.k, g);
        if self.k_chunks() > 1 {
            work.shape += &format!(" in {} K chunks", self.k_chunks());
        }
        device().dispatch_with_work(kernel, &params, &buffers, grid, Some(work));
    }

    // ANCHOR: split_k
    /// This weight gradient with its K split into chunks (conv.wgsl's "Split
    /// K") when its tiles alone would leave the device idle: enough chunks
    /// to make about `split_k_workgroups()` workgroups, each chunk at least
    /// `MIN_K_CHUNK` columns long and a multiple of 16 (the core's K step).
    fn split_k(self, blocking: Option<Blocking>) -> ConvGemm {
        let blocking = blocking.unwrap_or_else(|| Blocking::for_problem(self.m, self.n));
        let workgroups: usize = blocking.grid(self.m, self.n, self.groups).iter().map(|&w| w as usize).product();
        let chunks = split_k_workgroups().div_ceil(workgroups).min(self.k / MIN_K_CHUNK).max(1);
        ConvGemm { k_chunk: self.k.div_ceil(chunks).next_multiple_of(16), ..self }
    }
    // ANCHOR_END: split_k

    /// Whether every 4 columns of this product's C from a multiple of 4 are
    /// one aligned vec4 of the result, so the core may store them as one:
    /// a weight gradient's rows when their length is a multiple of 4; else
    /// the positions when they sweep whole output planes in order (not a
    /// phase of a strided transposed convolution) of a multiple of 4 pixels.
    fn output_in_vec4(&self) -> bool {
        match self.gather {
            Gather::Conv2dWeight => self.n.is_multiple_of(4),
            _ => {
                let whole_planes =
                    self.pos_grid == (self.out[2], self.out[3]) && self.pos_origin == (0, 0) && self.pos_step == (1, 1);
                whole_planes && (self.out[2] * self.out[3]).is_multiple_of(4)
            }
        }
    }

    /// How many chunks K runs in (1 unless split; K may be 0 in a phase no tap reaches).
    fn k_chunks(&self) -> usize {
        if self.k_chunk >= self.k {
            1
        } else {
            self.k.div_ceil(self.k_chunk)
        }
    }
}

/// A chunk of a split K is at least this long, so that a workgroup's
/// multiply-adds outweigh writing its partial tile and reading it back.
const MIN_K_CHUNK: usize = 256;

/// Workgroups a weight gradient should fill before its K is split no
/// further: a few per thread of a CPU adapter (lavapipe runs each workgroup
/// on one thread, so fewer than its threads leave cores idle), and twice the
/// multiprocessors of a large GPU (an H100 has 132).
fn split_k_workgroups() -> usize {
    match device().info.device_type {
        wgpu::DeviceType::Cpu => 16,
        _ => 256,
    }
}

fn dims4(t: &Tensor, op: &str, what: &str) -> [usize; 4] {
    t.shape().try_into().unwrap_or_else(|_| panic!("{op}: {what} must be [N, C, H, W], got shape {:?}", t.shape()))
}

/// conv2d with the kernel's blocking given (benchmarks and tests compare
/// them) or (None) chosen.
pub fn conv2d_blocked(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
    blocking: Option<Blocking>,
) -> Tensor {
    conv2d_fused(x, w, bias, options, blocking, 1.0)
}

// ANCHOR: conv2d_op
/// conv2d with the kernel's blocking given or (None) chosen, and with a leaky
/// ReLU of `negative_slope` applied as each output is stored (1: none).
fn conv2d_fused(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
    blocking: Option<Blocking>,
    negative_slope: f32,
) -> Tensor {
    let op = "conv2d";
    options.check(op);
    let xs = dims4(x, op, "input");
    let ws = dims4(w, op, "weight");
    let g = options.groups;
    assert!(
        xs[1].is_multiple_of(g) && ws[0].is_multiple_of(g) && ws[1] * g == xs[1] && ws[2] > 0 && ws[3] > 0,
        "{op}: input {xs:?} and weight {ws:?} do not fit {g} groups (need weight [O, C/groups, KH, KW], C and O divisible by groups)"
    );
    let kernel = (ws[2], ws[3]);
    let (oh, ow) = options.conv_size((xs[2], xs[3]), kernel).unwrap_or_else(|| {
        panic!(
            "{op}: kernel {kernel:?} (dilation {:?}) is larger than input {xs:?} padded by {:?}",
            options.dilation, options.padding
        )
    });
    let out = [xs[0], ws[0], oh, ow];
    check_bias(bias, out, op);
    let storage = Storage::new(out.iter().product());
    if !storage.is_empty() {
        let gemm = ConvGemm { negative_slope, ..ConvGemm::sweep(Gather::Conv2d, xs, out, kernel, &options) };
        gemm.run(w, x, &storage, bias, blocking);
    }
    let inputs: Vec<&Tensor> = [x, w].into_iter().chain(bias).collect();
    let name = if negative_slope != 1.0 { "conv2d_activated" } else { op };
    Tensor::from_op(storage, out.to_vec(), name, &inputs, move |inputs, y, grad| {
        let (x, w) = (&inputs[0], &inputs[1]);
        let grad = &grad.through_leaky_relu(y, negative_slope);
        let back = options.padding_back((xs[2], xs[3]), kernel, (oh, ow));
        let grads = [
            x.tracks_grad().then(|| conv_transpose2d(grad, w, None, options, back)),
            w.tracks_grad().then(|| conv2d_weight(x, grad, kernel, options)),
        ];
        with_bias_gradient(grads, inputs, grad)
    })
}
// ANCHOR_END: conv2d_op

/// 2-D convolution (cross-correlation, as in PyTorch): x [N, C, H, W], weight
/// [O, C/groups, KH, KW], bias [O] -> [N, O, OH, OW] with
/// OH = floor((H + 2 pad - dilation (KH - 1) - 1) / stride) + 1.
pub fn conv2d(x: &Tensor, weight: &Tensor, bias: Option<&Tensor>, options: Conv2dOptions) -> Tensor {
    conv2d_blocked(x, weight, bias, options, None)
}

/// `conv2d` followed by a leaky ReLU of `negative_slope` (0: a ReLU, 1: none), in one
/// op: the kernel applies the activation as it stores each output, so the
/// convolution's own output is never written or kept. The same values as the
/// two ops apart, bit for bit. Panics on a negative slope, whose activation
/// the output's sign could not undo in the backward pass.
pub fn conv2d_activated(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
    negative_slope: f32,
) -> Tensor {
    assert!(
        negative_slope >= 0.0,
        "conv2d_activated: negative_slope must be >= 0 (0 for a ReLU), got {negative_slope}"
    );
    conv2d_fused(x, weight, bias, options, None, negative_slope)
}

/// Refuses a bias that is not one value per channel of an output of shape `out`.
fn check_bias(bias: Option<&Tensor>, out: [usize; 4], op: &str) {
    if let Some(b) = bias {
        assert_eq!(b.shape(), [out[1]], "{op}: bias must be [{}] for output {out:?}, got {:?}", out[1], b.shape());
    }
}

/// The gradients of an op's image and weights, then, when it has a bias (a
/// third input), the bias's: the output gradient summed over N, H and W.
fn with_bias_gradient(grads: [Option<Tensor>; 2], inputs: &[Tensor], grad: &Tensor) -> Vec<Option<Tensor>> {
    let bias = inputs.get(2).map(|b| b.tracks_grad().then(|| grad.sum(&[0, 2, 3], false)));
    grads.into_iter().chain(bias).collect()
}

/// The gradient of conv2d with respect to its weights: for x [N, C, H, W] and
/// grad_out [N, O, OH, OW], dw[o, c, kh, kw] = sum over b, oh, ow of
/// grad_out[b, o, oh, ow] x[b, g c' .., oh stride - pad + kh dilation, ..]: shape
/// [O, C/groups, KH, KW] for `kernel` = (KH, KW). Differentiable (see the module doc).
pub fn conv2d_weight(x: &Tensor, grad_out: &Tensor, kernel: (usize, usize), options: Conv2dOptions) -> Tensor {
    conv2d_weight_blocked(x, grad_out, kernel, options, None)
}

/// `conv2d_weight` with the kernel's blocking given or (None) chosen.
pub fn conv2d_weight_blocked(
    x: &Tensor,
    grad_out: &Tensor,
    kernel: (usize, usize),
    options: Conv2dOptions,
    blocking: Option<Blocking>,
) -> Tensor {
    let op = "conv2d_weight";
    options.check(op);
    let xs = dims4(x, op, "input");
    let ys = dims4(grad_out, op, "output gradient");
    let g = options.groups;
    assert!(
        kernel.0 > 0 && kernel.1 > 0 && xs[1].is_multiple_of(g) && ys[1].is_multiple_of(g),
        "{op}: kernel {kernel:?}, input {xs:?} and output gradient {ys:?} do not fit {g} groups"
    );
    let expected = options.conv_size((xs[2], xs[3]), kernel);
    assert!(
        xs[0] == ys[0] && expected == Some((ys[2], ys[3])),
        "{op}: output gradient {ys:?} is not the output shape of a {kernel:?} convolution of input {xs:?} with {options:?}"
    );
    let out = [ys[1], xs[1] / g, kernel.0, kernel.1];
    let size = out.iter().product();
    let gemm = ConvGemm::sweep(Gather::Conv2dWeight, xs, ys, kernel, &options).split_k(blocking);
    let storage = if size > 0 && blocking.is_none() && one_channel_conv::handles(xs[1], kernel, &options) {
        one_channel_conv::weight_grad(x, grad_out, xs, ys).shared_storage()
    } else if size == 0 || gemm.k_chunks() == 1 {
        let storage = Storage::new(size);
        if size > 0 {
            gemm.run(grad_out, x, &storage, None, blocking);
        }
        Arc::new(storage)
    } else {
        // One slice of partial sums per chunk of K, then their sum (no history: the op's rule below covers it).
        let partial = Storage::new(gemm.k_chunks() * size);
        gemm.run(grad_out, x, &partial, None, blocking);
        Tensor::from_storage(partial, vec![gemm.k_chunks(), size]).sum(&[0], false).shared_storage()
    };
    Tensor::with_node(storage, out.to_vec(), op, &[x, grad_out], move |inputs, _, grad| {
        let (x, grad_out) = (&inputs[0], &inputs[1]);
        let back = options.padding_back((xs[2], xs[3]), kernel, (ys[2], ys[3]));
        vec![
            x.tracks_grad().then(|| conv_transpose2d(grad_out, grad, None, options, back)),
            grad_out.tracks_grad().then(|| conv2d(x, grad, None, options)),
        ]
    })
}

/// conv_transpose2d with the kernel's blocking given or (None) chosen.
pub fn conv_transpose2d_blocked(
    x: &Tensor,
    w: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
    output_padding: (usize, usize),
    blocking: Option<Blocking>,
) -> Tensor {
    let op = "conv_transpose2d";
    options.check(op);
    let xs = dims4(x, op, "input");
    let ws = dims4(w, op, "weight");
    let g = options.groups;
    assert!(
        ws[0] == xs[1] && xs[1].is_multiple_of(g) && ws[2] > 0 && ws[3] > 0,
        "{op}: input {xs:?} and weight {ws:?} do not fit {g} groups (need weight [C, O/groups, KH, KW], C divisible by groups)"
    );
    let (s, e) = (options.stride, output_padding);
    assert!(e.0 < s.0 && e.1 < s.1, "{op}: output_padding {e:?} must be smaller than the stride {s:?}");
    let kernel = (ws[2], ws[3]);
    let (oh, ow) = options
        .transposed_size((xs[2], xs[3]), kernel, e)
        .unwrap_or_else(|| panic!("{op}: input {xs:?} with kernel {kernel:?} and {options:?} gives an empty output"));
    let out = [xs[0], ws[1] * g, oh, ow];
    check_bias(bias, out, op);
    let storage = Storage::new(out.iter().product());
    if !storage.is_empty() {
        if blocking.is_none() && one_channel_conv::handles(ws[1], kernel, &options) {
            one_channel_conv::upsample(x, w, bias, xs, out, &storage);
        } else {
            // Every output pixel is in exactly one phase, a phase without taps
            // included (it stores 0 plus the bias), so the bias is added once.
            for gemm in transposed_phases(xs, out, kernel, &options) {
                gemm.run(w, x, &storage, bias, blocking);
            }
        }
    }
    let inputs: Vec<&Tensor> = [x, w].into_iter().chain(bias).collect();
    Tensor::from_op(storage, out.to_vec(), op, &inputs, move |inputs, _, grad| {
        let (x, w) = (&inputs[0], &inputs[1]);
        let grads = [
            x.tracks_grad().then(|| conv2d(grad, w, None, options)),
            w.tracks_grad().then(|| conv2d_weight(grad, x, kernel, options)),
        ];
        with_bias_gradient(grads, inputs, grad)
    })
}

/// Transposed convolution (the adjoint of `conv2d`, as PyTorch's
/// ConvTranspose2d): x [N, C, H, W], weight [C, O/groups, KH, KW], bias [O] ->
/// [N, O, OH, OW], OH = (H - 1) stride - 2 pad + dilation (KH - 1) +
/// output_padding + 1. output_padding (< stride) adds rows and columns at the
/// end, telling apart the input sizes a strided conv2d maps to the same size.
pub fn conv_transpose2d(
    x: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    options: Conv2dOptions,
    output_padding: (usize, usize),
) -> Tensor {
    conv_transpose2d_blocked(x, weight, bias, options, output_padding, None)
}

/// The taps of one output phase along one axis. Output rows oh = phase +
/// stride * j read input row (oh + pad - kh dilation) / stride from the kernel
/// rows kh where that division is exact: kh = first + step * t for t < count.
/// Position j and tap t then read input row j + origin - t * drop.
struct PhaseTaps {
    first: usize,
    step: usize,
    count: usize,
    origin: i64,
    drop: usize,
}

// ANCHOR: phase_taps
/// The taps of the output rows oh = phase (mod stride).
fn phase_taps(phase: usize, kernel: usize, stride: usize, pad: usize, dilation: usize) -> PhaseTaps {
    let (phase, stride, pad, dilation) = (phase as i64, stride as i64, pad as i64, dilation as i64);
    let exact: Vec<i64> =
        (0..kernel as i64).filter(|kh| (phase + pad - kh * dilation).rem_euclid(stride) == 0).collect();
    let Some(&first) = exact.first() else { return PhaseTaps { first: 0, step: 1, count: 0, origin: 0, drop: 0 } };
    // Consecutive exact rows differ by stride / gcd(stride, dilation), so
    // step * dilation is a multiple of the stride.
    let step = exact.get(1).map_or(1, |second| second - first);
    debug_assert!(exact.windows(2).all(|w| w[1] - w[0] == step));
    PhaseTaps {
        first: first as usize,
        step: step as usize,
        count: exact.len(),
        origin: (phase + pad - first * dilation).div_euclid(stride),
        drop: (step * dilation / stride) as usize,
    }
}
// ANCHOR_END: phase_taps

/// conv_transpose2d as stride_h x stride_w implicit GEMMs, one per output
/// phase (oh % stride_h, ow % stride_w), each over only the taps that reach it.
fn transposed_phases(image: [usize; 4], out: [usize; 4], kernel: (usize, usize), o: &Conv2dOptions) -> Vec<ConvGemm> {
    let mut gemms = Vec::new();
    for phase_h in 0..o.stride.0.min(out[2]) {
        for phase_w in 0..o.stride.1.min(out[3]) {
            let h = phase_taps(phase_h, kernel.0, o.stride.0, o.padding.0, o.dilation.0);
            let w = phase_taps(phase_w, kernel.1, o.stride.1, o.padding.1, o.dilation.1);
            let pos_grid = ((out[2] - phase_h).div_ceil(o.stride.0), (out[3] - phase_w).div_ceil(o.stride.1));
            let g = o.groups;
            gemms.push(ConvGemm {
                gather: Gather::ConvTranspose2d,
                m: out[1] / g,
                n: out[0] * pos_grid.0 * pos_grid.1,
                k: image[1] / g * h.count * w.count,
                k_chunk: image[1] / g * h.count * w.count,
                groups: g,
                image,
                out,
                kernel,
                pos_grid,
                pos_origin: (phase_h, phase_w),
                pos_step: o.stride,
                tap_grid: (h.count, w.count),
                tap_origin: (h.first, w.first),
                tap_step: (h.step, w.step),
                in_from_pos: (1, 1),
                in_from_tap: (-(h.drop as i64), -(w.drop as i64)),
                in_offset: (h.origin, w.origin),
                negative_slope: 1.0,
            });
        }
    }
    gemms
}
