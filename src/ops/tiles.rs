//! Which blocking of the GEMM core each shape of product gets on this
//! adapter: a small table, one row per class of adapter, and a row measured
//! on this very adapter by `ganforge bench --tune` when one is cached.
//!
//! Products fall into eight classes by their M x N (K does not change which
//! tile wastes least): at most 4 rows and 64 columns (a discriminator's
//! one-output head, run transposed), at most 4, 8 or 16 rows, both sides
//! short (at most 64), only the rows short, only the columns short, neither. A 128-wide tile
//! wastes half its work or more along a side of at most 64, hence the split at
//! 64; a 64-row tile wastes 7/8 of its work on the 8 output channels of a
//! narrow layer (StyleGAN2's at 32x32), hence the row classes: one row of
//! invocations as tall as the product, each reading B straight from the
//! gather (no tile of B: no invocation shares its columns).
//!
//! The built-in rows:
//! - CPU adapters (lavapipe, SwiftShader), measured here by `ganforge bench
//!   --sweep gemm`: as many values per invocation as pay, because every
//!   load costs a loop over the SIMD lanes (gemm.wgsl's header): 32 x 16 in
//!   a row of 8 invocations for products of more than 16 rows and 64
//!   columns (1.3-1.4x the speed of 16 x 16 on dcgan28's big convolutions),
//!   8 x 8 in 8 x 8 invocations where both sides are short, and 16 x 16 in
//!   4 x 8 where only the columns are;
//!   8 or 16 rows take a row of 16 invocations 8 or 16 values tall (3.7-5x
//!   the 64-row tile's speed at StyleGAN2's 8- and 16-map convolutions); at
//!   most 4 rows a row of 16 invocations 4 x 16 values each, or 4 x 4 when
//!   there are at most 64 columns (the 4 x 256 tile spent 3/4 of its work
//!   on missing columns of dcgan28's D head, 2.4x the time).
//!   All of them direct (no tiles in workgroup memory, no barriers: 1.1-1.8x
//!   faster there), except the short-columns class, which no measured
//!   model has, and which keeps its tiles. Where the device has subgroup
//!   operations, the direct ones of 2 or more row blocks share A between
//!   lanes (`Blocking::shares_a`: 1.4-1.5x on the big convolutions).
//! - GPUs: the conventional 128 x 128 tile of 16 x 16 invocations holding 8 x 8
//!   values each, 64 x 64 tiles for short sides, and a row of 64
//!   invocations 4, 8 or 16 values tall for few rows. Not yet measured on
//!   hardware: `ganforge bench --tune` replaces it with a measured row.
//!
//! The table never tunes by itself: on a CPU adapter the sweep compiles a
//! pipeline per blocking and kernel, which takes minutes, and a first
//! training step must not wait for that. A user runs the tune once; later
//! runs read its row from the cache (see `tile_cache`).

use super::gemm::Blocking;
use super::tile_cache;
use crate::gpu::device;
use std::sync::OnceLock;

/// The classes of M x N products that may want different blockings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeClass {
    /// At most 4 rows and at most 64 columns.
    ThinShort,
    /// At most 4 rows (a product with few columns runs transposed).
    Thin,
    /// 5 to 8 rows.
    EightRows,
    /// 9 to 16 rows.
    SixteenRows,
    /// Rows and columns both at most 64.
    BothShort,
    /// Rows at most 64, columns more.
    ShortRows,
    /// Columns at most 64, rows more.
    ShortColumns,
    /// Both sides longer than 64.
    Large,
}

impl ShapeClass {
    pub const ALL: [ShapeClass; 8] = [
        ShapeClass::ThinShort,
        ShapeClass::Thin,
        ShapeClass::EightRows,
        ShapeClass::SixteenRows,
        ShapeClass::BothShort,
        ShapeClass::ShortRows,
        ShapeClass::ShortColumns,
        ShapeClass::Large,
    ];

    /// The class of an M x N product.
    pub fn of(m: usize, n: usize) -> ShapeClass {
        let short = |size: usize| size <= 64;
        match (m, short(m), short(n)) {
            (..=4, _, true) => ShapeClass::ThinShort,
            (..=4, _, _) => ShapeClass::Thin,
            (..=8, _, _) => ShapeClass::EightRows,
            (..=16, _, _) => ShapeClass::SixteenRows,
            (_, true, true) => ShapeClass::BothShort,
            (_, true, false) => ShapeClass::ShortRows,
            (_, false, true) => ShapeClass::ShortColumns,
            (_, false, false) => ShapeClass::Large,
        }
    }

    /// The class's name in the cache file and the tune's report.
    pub fn name(self) -> &'static str {
        match self {
            ShapeClass::ThinShort => "thin-short",
            ShapeClass::Thin => "thin",
            ShapeClass::EightRows => "eight-rows",
            ShapeClass::SixteenRows => "sixteen-rows",
            ShapeClass::BothShort => "both-short",
            ShapeClass::ShortRows => "short-rows",
            ShapeClass::ShortColumns => "short-columns",
            ShapeClass::Large => "large",
        }
    }

    fn index(self) -> usize {
        ShapeClass::ALL.iter().position(|&c| c == self).expect("every class is in ALL")
    }
}

/// One blocking per shape class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileTable {
    /// Indexed like `ShapeClass::ALL`.
    pub blockings: [Blocking; 8],
}

impl TileTable {
    /// CPU adapters (see the header).
    pub const CPU: TileTable = TileTable {
        blockings: [
            Blocking::THIN_SHORT_CPU,
            Blocking::THIN_CPU,
            Blocking::ROWS8_CPU,
            Blocking::ROWS16_CPU,
            Blocking::SMALL_CPU,
            Blocking::CPU,
            Blocking { invocations: (4, 8), blocks: (4, 4), direct: false },
            Blocking::CPU,
        ],
    };
    /// GPUs (see the header).
    pub const GPU: TileTable = TileTable {
        blockings: [
            Blocking::THIN_GPU,
            Blocking::THIN_GPU,
            Blocking::ROWS8_GPU,
            Blocking::ROWS16_GPU,
            Blocking::SMALL,
            Blocking::SMALL,
            Blocking::SMALL,
            Blocking::GPU,
        ],
    };

    /// The built-in row for an adapter: keyed by its device type (the only
    /// key measurements so far distinguish).
    pub fn built_in(info: &wgpu::AdapterInfo) -> TileTable {
        match info.device_type {
            wgpu::DeviceType::Cpu => TileTable::CPU,
            _ => TileTable::GPU,
        }
    }

    /// The blocking for an M x N product.
    pub fn for_shape(&self, m: usize, n: usize) -> Blocking {
        self.blockings[ShapeClass::of(m, n).index()]
    }

    /// The blocking for every product of `class`.
    pub fn for_class(&self, class: ShapeClass) -> Blocking {
        self.blockings[class.index()]
    }

    /// This table with `class` taking `blocking`.
    pub fn with(mut self, class: ShapeClass, blocking: Blocking) -> TileTable {
        self.blockings[class.index()] = blocking;
        self
    }
}

/// The table this process uses and where it came from.
pub struct ActiveTable {
    pub table: TileTable,
    /// "built-in CPU row", or the cache file it was read from.
    pub source: String,
}

/// The table for this process's adapter, chosen once: the cached row that
/// `ganforge bench --tune` measured on it, else the built-in row. A cache
/// that cannot be used is reported once on stderr and skipped: a stale cache
/// must never stop a run.
pub fn active() -> &'static ActiveTable {
    static ACTIVE: OnceLock<ActiveTable> = OnceLock::new();
    ACTIVE.get_or_init(|| {
        let info = &device().info;
        let built_in = || {
            let table = TileTable::built_in(info);
            let kind = if table == TileTable::CPU { "CPU" } else { "GPU" };
            ActiveTable { table, source: format!("built-in {kind} row") }
        };
        match tile_cache::read(info) {
            Ok(Some((table, path))) => ActiveTable { table, source: path.display().to_string() },
            Ok(None) => built_in(),
            Err(why) => {
                eprintln!("warning: {why}; using the built-in tiles");
                built_in()
            }
        }
    })
}
