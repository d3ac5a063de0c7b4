//! The WGSL sources, embedded in the binary, and the kernels they define.
//!
//! WGSL has no `#include`, so every family is compiled as `prelude.wgsl`,
//! then `strided.wgsl` for the families that walk strided index spaces, then
//! its own file. The matrix-multiply families (matmul, conv) get the tiled
//! core `gemm.wgsl` in front of their own file. Those and the direct
//! 1-channel convolutions get two subgroup functions in front of everything
//! of theirs: `lanes.wgsl` on a device with subgroup operations,
//! `no_lanes.wgsl`'s stand-ins on one without (WGSL cannot even name a
//! subgroup operation where the device lacks them).

/// One WGSL file: a family of kernels.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
    /// Whether the family indexes through `strided.wgsl`'s index spaces.
    pub strided: bool,
    /// Whether the family is built on the GEMM core, `gemm.wgsl`.
    pub gemm: bool,
    /// Whether the family (or its core) calls `lanes.wgsl`'s functions.
    pub lanes: bool,
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

    /// The complete module for a device with subgroup operations or
    /// without: the shared prelude, the strided helpers or the GEMM core
    /// where used, then this family.
    pub fn full_source(&self, subgroups: bool) -> String {
        let strided = if self.strided { STRIDED } else { "" };
        let lanes = match (self.lanes, subgroups) {
            (false, _) => "",
            (true, true) => LANES,
            (true, false) => NO_LANES,
        };
        let gemm = if self.gemm { GEMM } else { "" };
        format!("{PRELUDE}\n{strided}\n{lanes}\n{gemm}\n{}", self.source)
    }
}

const PRELUDE: &str = include_str!("../../shaders/prelude.wgsl");
const STRIDED: &str = include_str!("../../shaders/strided.wgsl");
const GEMM: &str = include_str!("../../shaders/gemm.wgsl");
const LANES: &str = include_str!("../../shaders/lanes.wgsl");
const NO_LANES: &str = include_str!("../../shaders/no_lanes.wgsl");

macro_rules! shader {
    // Every form comes here: (strided, gemm, lanes).
    (@with $ident:ident, $file:literal, $strided:literal, $gemm:literal, $lanes:literal) => {
        pub static $ident: Shader = Shader {
            name: $file,
            source: include_str!(concat!("../../shaders/", $file)),
            strided: $strided,
            gemm: $gemm,
            lanes: $lanes,
        };
    };
    ($ident:ident, $file:literal, $strided:literal) => {
        shader!(@with $ident, $file, $strided, false, false);
    };
    // A family built on the tiled matrix-multiply core: gemm.wgsl goes first.
    ($ident:ident, $file:literal, gemm) => {
        shader!(@with $ident, $file, false, true, true);
    };
    // A family that shares values between the lanes of a subgroup itself.
    ($ident:ident, $file:literal, lanes) => {
        shader!(@with $ident, $file, false, false, true);
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
shader!(PIXEL_NORM, "pixel_norm.wgsl", false);
shader!(CONV, "conv.wgsl", gemm);
shader!(ONE_CHANNEL_CONV, "one_channel_conv.wgsl", lanes);
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
    &PIXEL_NORM,
    &CONV,
    &ONE_CHANNEL_CONV,
    &PEAK,
];
