//! `SeedStream`: a new seed for every forward pass of a random layer (dropout,
//! noise injection), all of them reproducible from one base seed.
//!
//! The stream is a base seed and a count of the seeds drawn so far. Draw k
//! (counting from 0) is output k of SplitMix64 (Steele, Lea and Flood, 2014;
//! the generator behind Java's `SplittableRandom`) started at the base seed:
//! the state base + (k + 1) * gamma, with gamma the odd constant 2^64 / phi,
//! put through a bijective mixing function. So two layers built with the same
//! base seed draw the same seeds in the same order, nearby base seeds give
//! unrelated streams, and the whole state is two integers. The count is an
//! atomic, so layers (used through `&self` and shared between threads) can
//! advance it.

use std::sync::atomic::{AtomicU64, Ordering};

/// SplitMix64's increment: 2^64 divided by the golden ratio, made odd.
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

#[derive(Debug)]
pub struct SeedStream {
    base: u64,
    drawn: AtomicU64,
}

impl SeedStream {
    pub fn new(base: u64) -> SeedStream {
        SeedStream { base, drawn: AtomicU64::new(0) }
    }

    /// The next seed of the stream; no two draws of one stream repeat.
    pub fn draw(&self) -> u64 {
        let k = self.drawn.fetch_add(1, Ordering::Relaxed);
        mix(self.base.wrapping_add(k.wrapping_add(1).wrapping_mul(GOLDEN_GAMMA)))
    }

    /// How many seeds have been drawn.
    pub fn drawn(&self) -> u64 {
        self.drawn.load(Ordering::Relaxed)
    }

    /// Moves the stream to just after its `drawn`-th draw (a checkpoint's position).
    pub fn set_drawn(&self, drawn: u64) {
        self.drawn.store(drawn, Ordering::Relaxed);
    }
}

/// SplitMix64's output function (Stafford's "Mix13" variant of MurmurHash3's
/// finaliser): xor-shifts and multiplies that spread every input bit over
/// the whole word, and a bijection, so distinct states give distinct seeds.
fn mix(state: u64) -> u64 {
    let z = (state ^ (state >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
