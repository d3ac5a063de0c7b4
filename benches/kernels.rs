//! `cargo bench`: the kernel suite of `ganforge::bench` with rates as
//! fractions of this adapter's measured peaks, then the dcgan28 training step.
//! (`ganforge bench --json` prints the same as JSON.)

use ganforge::bench;

fn main() {
    let gpu = ganforge::gpu::device();
    println!("adapter: {} ({:?}, {:?})", gpu.info.name, gpu.info.backend, gpu.info.device_type);
    let peaks = bench::peaks();
    println!(
        "measured peaks: {:.1} GFLOP/s (FMA chains), {:.1} GB/s (vec4 copy)\n",
        peaks.flops_per_second / 1e9,
        peaks.bytes_per_second / 1e9
    );
    print!("{}", bench::table(&bench::kernels(), &peaks));
    println!("\n{}", bench::dcgan28_step(5));
}
