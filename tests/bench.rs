//! The training-step benchmarks of `ganforge bench --families`: every
//! family's bench settings make a trainer, and a timed step reports its
//! times and peak device memory.

mod common;

use ganforge::bench::{family_steps, training_step, StepBench};
use ganforge::gan::{TrainConfig, Trainer};

#[test]
fn every_family_step_the_bench_times_builds() {
    let benches = family_steps();
    let names: Vec<&str> = benches.iter().map(|b| b.name.as_str()).collect();
    for model in ["dcgan28", "progan", "stylegan ", "stylegan2", "pix2pix", "cyclegan"] {
        assert!(names.iter().any(|n| n.starts_with(model)), "no {model} step in {names:?}");
    }
    let dir = common::fresh_temp_dir("bench-families");
    for bench in benches {
        let config = TrainConfig { out: dir.join(&bench.name), eval_every: 0, ..bench.config };
        if let Err(e) = Trainer::new(config) {
            panic!("{}: {e}", bench.name);
        }
    }
}

#[test]
fn a_timed_step_reports_its_times_and_memory() {
    let config = TrainConfig { batch: 16, ..TrainConfig::for_model("mlp", "ns", "ring") };
    let cost = training_step(StepBench { name: "ring".into(), config, warmup: 1 }, 2).unwrap();
    assert!(cost.first_seconds > 0.0 && cost.mean_seconds > 0.0, "{cost}");
    assert!(cost.peak_bytes > 0, "{cost}");
    // An MLP step runs dozens of kernels; none counted means the counter is broken.
    assert!(cost.dispatches_per_step >= 10.0, "{cost}");
    assert!(cost.to_string().starts_with("ring training step: first"), "{cost}");
}
