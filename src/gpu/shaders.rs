//! The WGSL sources, embedded in the binary, and the kernels they define.
//!
//! WGSL has no `#include`, so every family is compiled as `prelude.wgsl`,
//! then `strided.wgsl` for the families that walk strided index spaces, then
//! its own file. The matrix-multiply families (matmul, conv) get the tiled
//! core `gemm.wgsl` in front of their own file.

/// One WGSL file: a family of kernels.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    /// Whether the family indexes through `strided.wgsl`'s index spaces.
    pub strided: bool,
}

/// One entry point of one shader, optionally specialised by the value of the
/// shader's `override OP: u32` constant: what a dispatch runs.
///
/// Kernel families that pick a function by op code take it as a pipeline
/// constant rather than a parameter: the driver compiles one pipeline per op
/// with the `switch` folded away. (A switch on a parameter costs little on a GPU, but
/// lavapipe evaluates every case for every element.)
#[derive(Clone, Copy)]
pub struct Kernel {
    pub shader: &'static Shader,
    pub entry: &'static str,
    pub op: Option<u32>,
}

impl Shader {
    pub const fn kernel(&'static self, entry: &'static str) -> Kernel {
        Kernel { shader: self, entry, op: None }
    }

    /// The entry point specialised for one op code.
    pub const fn kernel_for(&'static self, entry: &'static str, op: u32) -> Kernel {
        Kernel { shader: self, entry, op: Some(op) }
    }

    /// The complete module: the shared prelude, the strided helpers where
    /// used, then this family.
    pub fn full_source(&self) -> String {
        let strided = if self.strided { STRIDED } else { "" };
        format!("{PRELUDE}\n{strided}\n{}", self.source)
    }
}

const PRELUDE: &str = include_str!("../../shaders/prelude.wgsl");
const STRIDED: &str = include_str!("../../shaders/strided.wgsl");

macro_rules! shader {
    ($ident:ident, $file:literal, $strided:literal) => {
        pub static $ident: Shader =
            Shader { name: $file, source: include_str!(concat!("../../shaders/", $file)), strided: $strided };
    };
    // A family built on the tiled matrix-multiply core: gemm.wgsl goes first.
    ($ident:ident, $file:literal, gemm) => {
        pub static $ident: Shader = Shader {
            name: $file,
            source: concat!(include_str!("../../shaders/gemm.wgsl"), include_str!(concat!("../../shaders/", $file))),
            strided: false,
        };
    };
}

shader!(UNARY, "unary.wgsl", false);
shader!(BROADCAST, "broadcast.wgsl", true);
shader!(REDUCE, "reduce.wgsl", true);
shader!(MATMUL, "matmul.wgsl", gemm);
shader!(SHAPE, "shape.wgsl", true);
shader!(RESAMPLE, "resample.wgsl", false);
shader!(EMBEDDING, "embedding.wgsl", false);
shader!(OPTIM, "optim.wgsl", false);
shader!(BATCH_NORM, "batch_norm.wgsl", false);
shader!(CONV, "conv.wgsl", gemm);
shader!(ONE_CHANNEL_CONV, "one_channel_conv.wgsl", false);
shader!(PEAK, "peak.wgsl", false);

/// Every shader, for the validation test and for warming the pipeline cache.
pub static ALL: &[&Shader] = &[
    &UNARY,
    &BROADCAST,
    &REDUCE,
    &MATMUL,
    &SHAPE,
    &RESAMPLE,
    &EMBEDDING,
    &OPTIM,
    &BATCH_NORM,
    &CONV,
    &ONE_CHANNEL_CONV,
    &PEAK,
];
