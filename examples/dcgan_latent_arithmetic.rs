//! Walking and doing arithmetic in a DCGAN's latent space (Radford et al.,
//! 2016, Sections 6.1 and 6.3), on the generator the main job trained.
//!
//! - Interpolation: images along the straight line between two latent
//!   vectors change smoothly, one digit morphing into another.
//! - Vector arithmetic: averaging the z of three samples makes one "concept"
//!   vector; mean(A) - mean(B) + mean(C) moves C the way B differs from A.
//!
//! Run `cargo run --release` first (it writes runs/dcgan-mnist5k/checkpoint.safetensors),
//! then: cargo run --release --example dcgan_latent_arithmetic [checkpoint]
//! Pictures: runs/latent/interpolations.png and runs/latent/arithmetic.png.

use ganforge::gan::trainer::{load_sampler, sample_eval, save_images, GeneratorWeights};
use ganforge::Tensor;
use std::path::PathBuf;

fn main() {
    let checkpoint = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("runs/dcgan-mnist5k/checkpoint.safetensors"));
    let (model, _) = load_sampler(&checkpoint, GeneratorWeights::Averaged).unwrap_or_else(|e| {
        eprintln!("error: {e}\n(train the main job first: cargo run --release)");
        std::process::exit(1)
    });
    let model = model.as_ref();
    let latent = model.latent_dim();
    let out = PathBuf::from("runs/latent");

    // ANCHOR: interpolation
    // Four interpolations of ten steps each: rows of a 10-wide grid.
    let ends = Tensor::randn(&[8, latent], 7);
    let t = Tensor::from_vec((0..10).map(|i| i as f32 / 9.0).collect(), &[1, 10, 1]);
    let starts = ends.narrow(0, 0, 4).reshape(&[4, 1, latent]);
    let stops = ends.narrow(0, 4, 8).reshape(&[4, 1, latent]);
    let paths = starts.add(&t.mul(&stops.sub(&starts))).reshape(&[40, latent]);
    let images = sample_eval(model, &paths, None);
    save_images(&images, 10, &out.join("interpolations.png")).expect("picture written");
    // ANCHOR_END: interpolation

    // Arithmetic: rows A, B, C (three samples each and their mean), then
    // mean(A) - mean(B) + mean(C) and its neighbours (small perturbations).
    // ANCHOR: arithmetic
    let groups = Tensor::randn(&[3, 3, latent], 11);
    let means = groups.mean(&[1], false); // [3, latent]
    let (a, b, c) = (means.narrow(0, 0, 1), means.narrow(0, 1, 2), means.narrow(0, 2, 3));
    let result = a.sub(&b).add(&c);
    let neighbours = result.add(&Tensor::randn(&[4, latent], 13).mul_scalar(0.25));
    // ANCHOR_END: arithmetic
    let rows: Vec<Tensor> = (0..3)
        .map(|g| Tensor::concat(&[&groups.narrow(0, g, g + 1).reshape(&[3, latent]), &means.narrow(0, g, g + 1)], 0))
        .collect();
    let all = Tensor::concat(&[&rows[0], &rows[1], &rows[2], &result, &neighbours.narrow(0, 0, 3)], 0); // 4 rows of 4
    let pictures = sample_eval(model, &all, None);
    // 16 images: save as a 4 x 4 grid (rows: A, B, C, A - B + C and neighbours).
    let [n, ch, h, w] = pictures.shape() else { unreachable!() };
    ganforge::viz::grid::save_grid(&pictures.to_vec(), *n, *ch, *h, *w, 4, out.join("arithmetic.png"))
        .expect("picture written");
    println!("wrote {} and {}", out.join("interpolations.png").display(), out.join("arithmetic.png").display());
}
