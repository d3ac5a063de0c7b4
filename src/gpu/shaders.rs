//! The WGSL sources, embedded in the binary, and the kernels they define.
//!
//! WGSL has no `#include`, so every family is compiled as `prelude.wgsl`
//! followed by its own file: the prelude holds the index helpers all kernels
//! share.

/// One WGSL file: a family of kernels.
pub struct Shader {
    pub name: &'static str,
    pub source: &'static str,
}

/// One entry point of one shader: what a dispatch runs.
#[derive(Clone, Copy)]
pub struct Kernel {
    pub shader: &'static Shader,
    pub entry: &'static str,
}

impl Shader {
    pub const fn kernel(&'static self, entry: &'static str) -> Kernel {
        Kernel { shader: self, entry }
    }

    /// The complete module: the shared prelude, then this family.
    pub fn full_source(&self) -> String {
        format!("{PRELUDE}\n{}", self.source)
    }
}

const PRELUDE: &str = include_str!("../../shaders/prelude.wgsl");

macro_rules! shader {
    ($ident:ident, $file:literal) => {
        pub static $ident: Shader = Shader { name: $file, source: include_str!(concat!("../../shaders/", $file)) };
    };
}

shader!(UNARY, "unary.wgsl");
shader!(BROADCAST, "broadcast.wgsl");
shader!(REDUCE, "reduce.wgsl");
shader!(MATMUL, "matmul.wgsl");
shader!(SHAPE, "shape.wgsl");

/// Every shader, for the validation test and for warming the pipeline cache.
pub static ALL: &[&Shader] = &[&UNARY, &BROADCAST, &REDUCE, &MATMUL, &SHAPE];
