//! Per-dispatch parameters: shapes, strides and scalars packed for the WGSL
//! struct each kernel reads at binding 0.
//!
//! WGSL lays such a struct out with each `u32`/`f32` on 4 bytes and each
//! `array<vec4<u32>, 2>` (our fixed-size list of up to 8 dimensions) aligned to
//! 16 bytes. `Params` reproduces exactly that: push the fields in the order the
//! shader declares them and the bytes line up.

/// The most dimensions a kernel's shape/stride list can hold.
pub const MAX_RANK: usize = 8;

#[derive(Default, Clone, Debug)]
pub struct Params {
    words: Vec<u32>,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a `u32` field.
    pub fn u32(mut self, value: u32) -> Self {
        self.words.push(value);
        self
    }

    /// Appends a `usize` as a `u32` field, refusing values that do not fit.
    pub fn size(self, value: usize) -> Self {
        let value =
            u32::try_from(value).unwrap_or_else(|_| panic!("size {value} does not fit the kernels' 32-bit indices"));
        self.u32(value)
    }

    /// Appends an `f32` field.
    pub fn f32(mut self, value: f32) -> Self {
        self.words.push(value.to_bits());
        self
    }

    /// Appends an `array<vec4<u32>, 2>` field (16-byte aligned) holding up to 8
    /// values; unused slots are zero.
    pub fn dims(mut self, values: &[usize]) -> Self {
        assert!(values.len() <= MAX_RANK, "kernels take at most {MAX_RANK} dimensions, got {}", values.len());
        while !self.words.len().is_multiple_of(4) {
            self.words.push(0);
        }
        for slot in 0..MAX_RANK {
            self.words.push(values.get(slot).map_or(0, |&v| v as u32));
        }
        self
    }

    /// The layout of `shaders/strided.wgsl`: a header of four counts, then
    /// three index spaces, each (rank, shape, strides); unused spaces are zero.
    pub fn strided(header: [usize; 4], spaces: &[(&[usize], &[usize])]) -> Self {
        assert!(spaces.len() <= 3, "the strided layout holds three index spaces");
        let mut params = header.iter().fold(Params::new(), |params, &count| params.size(count));
        for slot in 0..3 {
            let (shape, strides) = spaces.get(slot).copied().unwrap_or((&[], &[]));
            params = params.size(shape.len()).dims(shape).dims(strides);
        }
        params
    }

    pub fn bytes(&self) -> &[u8] {
        bytemuck::cast_slice(&self.words)
    }
}
