//! The per-adapter tile table: shape classes, the built-in rows, the cache
//! file `ganforge bench --tune` writes, and that a run reads it.

mod common;

use ganforge::bench::{blocking_label, sweep_blockings};
use ganforge::gpu::device;
use ganforge::ops::gemm::Blocking;
use ganforge::ops::tile_cache::{adapter_key, file_in, format, parse};
use ganforge::ops::tiles::{ShapeClass, TileTable};
use std::process::Command;

#[test]
fn shape_classes_split_at_4_8_and_16_rows_and_64_a_side() {
    use ShapeClass::*;
    let cases = [
        ((1, 64), ThinShort),
        ((4, 4), ThinShort),
        ((1, 65), Thin),
        ((1, 12544), Thin),
        ((5, 5), EightRows),
        ((8, 16384), EightRows),
        ((9, 72), SixteenRows),
        ((16, 4096), SixteenRows),
        ((17, 17), BothShort),
        ((64, 64), BothShort),
        ((64, 65), ShortRows),
        ((65, 64), ShortColumns),
        ((65, 65), Large),
        ((128, 3136), Large),
    ];
    for ((m, n), class) in cases {
        assert_eq!(ShapeClass::of(m, n), class, "{m} x {n}");
    }
}

#[test]
fn the_cpu_row_halves_invocations_along_a_short_side_and_fits_few_rows() {
    let cpu = TileTable::CPU;
    assert_eq!(cpu.for_shape(1, 12544), Blocking::THIN_CPU);
    assert_eq!(cpu.for_shape(1, 64), Blocking::THIN_SHORT_CPU);
    assert_eq!(cpu.for_shape(8, 16384), Blocking::ROWS8_CPU);
    assert_eq!(cpu.for_shape(16, 144), Blocking::ROWS16_CPU);
    assert_eq!(TileTable::GPU.for_shape(8, 16384), Blocking::ROWS8_GPU);
    assert_eq!(cpu.for_shape(64, 16), Blocking::SMALL_CPU);
    assert_eq!(cpu.for_shape(64, 3136), Blocking::CPU);
    assert_eq!(cpu.for_shape(3136, 64), Blocking { invocations: (4, 8), blocks: (4, 4), direct: false });
    // Direct (no tiles, no barriers) where the sweep measured it faster on a
    // CPU adapter: every class it has shapes of; tiles for short columns
    // (not measured) and for every GPU class.
    let direct = |t: &TileTable| ShapeClass::ALL.map(|c| t.for_class(c).direct);
    assert_eq!(direct(&cpu), [true, true, true, true, true, true, false, true]);
    assert_eq!(direct(&TileTable::GPU), [false; 8]);
    assert_eq!(cpu.for_shape(128, 3136), Blocking { invocations: (8, 1), blocks: (8, 4), direct: true });
    assert_eq!(TileTable::GPU.for_shape(128, 3136), Blocking::GPU);
    // Every built-in entry is one the correctness tests run (tests/matmul.rs and
    // tests/conv.rs cover `sweep_blockings`), where this adapter can run it.
    let covered = sweep_blockings();
    let here = TileTable::built_in(&device().info);
    assert!(here.blockings.iter().all(|b| covered.contains(b)), "{here:?}");
}

#[test]
fn a_cache_file_reads_back_as_written_and_refuses_what_it_cannot_use() {
    let key = "Some GPU | Vulkan | driver 1.2";
    let tuned = TileTable::CPU
        .with(ShapeClass::BothShort, Blocking { invocations: (4, 4), blocks: (2, 2), direct: false })
        .with(ShapeClass::Large, Blocking { invocations: (16, 1), blocks: (1, 1), direct: true });
    assert_ne!(tuned, TileTable::CPU);
    let text = format(&tuned, key);
    assert_eq!(parse(&text, key, TileTable::GPU).unwrap(), tuned);

    // A file with only some classes keeps the base's others.
    let partial = format!("adapter: {key}\nlarge: {}\n", blocking_label(Blocking::SMALL));
    assert_eq!(parse(&partial, key, TileTable::CPU).unwrap(), TileTable::CPU.with(ShapeClass::Large, Blocking::SMALL));

    let errors = [
        (parse(&text, "Another GPU | Vulkan | 1", TileTable::CPU), "measured on"),
        (parse("large: 8x8 inv, 4x4 blk\n", key, TileTable::CPU), "names no adapter"),
        (parse(&format!("adapter: {key}\nhuge: 8x8 inv, 4x4 blk\n"), key, TileTable::CPU), "unknown shape class"),
        (parse(&format!("adapter: {key}\nlarge: 3x3 inv, 5x5 blk\n"), key, TileTable::CPU), "not a blocking"),
        (parse(&format!("adapter: {key}\nlarge 8x8\n"), key, TileTable::CPU), "name: value"),
    ];
    for (result, expected) in errors {
        let why = result.expect_err("an unusable cache is an error");
        assert!(why.contains(expected), "{why}");
    }
}

/// `ganforge info` with `GANFORGE_CACHE_DIR` set to `dir`: its output.
fn info_with_cache(dir: &std::path::Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_ganforge"))
        .arg("info")
        .env("XDG_RUNTIME_DIR", "/tmp")
        .env("GANFORGE_CACHE_DIR", dir)
        .output()
        .expect("the ganforge binary runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn a_run_uses_this_adapters_cached_table_and_survives_a_corrupt_one() {
    let dir = common::fresh_temp_dir("tiles");
    let info = &device().info;
    let built_in = TileTable::built_in(info);
    let text = info_with_cache(&dir);
    assert!(text.contains("built-in"), "{text}");

    // The cache this adapter's tune would write, with a blocking the built-in row
    // does not use for large products.
    let other = sweep_blockings().into_iter().find(|&b| b != built_in.for_class(ShapeClass::Large)).unwrap();
    let file = file_in(&dir, &adapter_key(info));
    std::fs::write(&file, format(&built_in.with(ShapeClass::Large, other), &adapter_key(info))).unwrap();
    let text = info_with_cache(&dir);
    assert!(text.contains(&file.display().to_string()), "{text}");
    assert!(text.contains(&format!("large          {}", blocking_label(other))), "{text}");

    // A file it cannot use is reported, and the run goes on with the built-in row.
    std::fs::write(&file, "adapter: something else\n").unwrap();
    let text = info_with_cache(&dir);
    assert!(text.contains("warning") && text.contains("delete it") && text.contains("built-in"), "{text}");
}
