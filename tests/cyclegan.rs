//! CycleGAN: the history pool of generated images, the cycle and identity
//! losses at known points, learning-rate schedules (their values, and the
//! rates an optimiser sees in a run), and a two-step command-line run on the
//! committed emoji set.

mod common;

use common::{assert_resumed_run_repeats, fresh_temp_dir, ganforge, tiny_run};
use ganforge::checkpoint::{Loader, Saver};
use ganforge::gan::families::cyclegan::CycleGan;
use ganforge::gan::image_pool::{ImagePool, POOL_SIZE};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::optim::LrSchedule;
use ganforge::Tensor;
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// `count` one-value images [count, 1, 1, 1] holding first, first + 1, ...
fn numbered(first: usize, count: usize) -> Tensor {
    Tensor::from_vec((first..first + count).map(|v| v as f32).collect(), &[count, 1, 1, 1])
}

#[test]
fn image_pool_fills_to_50_then_swaps_half_the_images_for_stored_ones() {
    let mut pool = ImagePool::new(POOL_SIZE, [1, 1, 1]);
    let rng = &mut ChaCha12Rng::seed_from_u64(3);
    let first = pool.query(&numbered(0, 30), rng).to_vec();
    let second = pool.query(&numbered(30, 30), rng).to_vec();
    assert_eq!(pool.len(), POOL_SIZE);
    assert_eq!(first, (0..30).map(|v| v as f32).collect::<Vec<_>>(), "while filling, images pass through");
    assert_eq!(&second[..20], &(30..50).map(|v| v as f32).collect::<Vec<_>>()[..]);

    // Past the fill, every image is shown itself or swapped for a stored, earlier one.
    let shown = pool.query(&numbered(100, 1000), rng).to_vec();
    let passed = shown.iter().enumerate().filter(|&(i, &v)| v == (100 + i) as f32).count();
    let fraction = passed as f32 / 1000.0;
    assert!((0.45..0.55).contains(&fraction), "{passed} of 1000 passed through; expected about half");
    let mut seen = std::collections::HashSet::new();
    for (i, &v) in shown.iter().enumerate() {
        assert!(v <= (100 + i) as f32, "image {i} came back as {v}, from the future");
        assert!(v.fract() == 0.0 && seen.insert(v as u64), "{v} was shown twice: a swapped-out image leaves the pool");
    }
}

#[test]
fn image_pool_is_deterministic_under_a_seed_and_a_pool_of_zero_passes_through() {
    let run = |seed| {
        let mut pool = ImagePool::new(4, [1, 1, 1]);
        let rng = &mut ChaCha12Rng::seed_from_u64(seed);
        pool.query(&numbered(0, 20), rng).to_vec()
    };
    assert_eq!(run(1), run(1));
    assert_ne!(run(1), run(2), "different seeds should swap differently");
    let mut empty = ImagePool::new(0, [1, 1, 1]);
    let shown = empty.query(&numbered(7, 5), &mut ChaCha12Rng::seed_from_u64(0)).to_vec();
    assert_eq!(shown, vec![7.0, 8.0, 9.0, 10.0, 11.0]);
    assert!(empty.is_empty());
}

#[test]
fn image_pool_survives_a_checkpoint() {
    let dir = fresh_temp_dir("cyclegan-pool");
    let path = dir.join("pool.safetensors");
    let mut pool = ImagePool::new(5, [1, 1, 2]);
    let images = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[3, 1, 1, 2]);
    pool.query(&images, &mut ChaCha12Rng::seed_from_u64(0));
    Saver::new().part("pool", &pool).save(&path).unwrap();

    let mut restored = ImagePool::new(5, [1, 1, 2]);
    Loader::new().part("pool", &mut restored).load(&path).unwrap();
    assert_eq!(restored.len(), 3);
    // Full after two more; both pools then answer a draw alike.
    let more = Tensor::from_vec(vec![7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0], &[4, 1, 1, 2]);
    let answer = |p: &mut ImagePool| p.query(&more, &mut ChaCha12Rng::seed_from_u64(9)).to_vec();
    assert_eq!(answer(&mut pool), answer(&mut restored));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn cycle_and_identity_losses_at_known_points() {
    let a = common::tensor(&[2, 3, 4, 4], -1.0, 1.0, 1);
    let b = common::tensor(&[2, 3, 4, 4], -1.0, 1.0, 2);
    // Generators that return their input: perfect round trips.
    let zero = CycleGan::cycle_loss(&a, &a, &b, &b).to_vec()[0];
    assert_eq!(zero, 0.0);
    // Round trips off by +0.25 on A and -0.5 on B: 0.25 + 0.5.
    let offset = CycleGan::cycle_loss(&a, &a.add_scalar(0.25), &b, &b.sub_scalar(0.5)).to_vec()[0];
    assert!((offset - 0.75).abs() < 1e-5, "cycle loss {offset}, expected 0.75");
    let identity = CycleGan::identity_loss(&a, &a.sub_scalar(0.125), &b, &b).to_vec()[0];
    assert!((identity - 0.125).abs() < 1e-5, "identity loss {identity}, expected 0.125");
}

#[test]
fn lr_schedule_values() {
    assert_eq!(LrSchedule::parse("constant"), Ok(LrSchedule::Constant));
    assert!((0..10).all(|s| LrSchedule::Constant.factor(s, 10) == 1.0));
    let decay = LrSchedule::parse("linear-decay:2").unwrap();
    let factors: Vec<f32> = (0..6).map(|s| decay.factor(s, 6)).collect();
    assert_eq!(factors, vec![1.0, 1.0, 1.0, 0.75, 0.5, 0.25]);
    // Without START the decay takes the second half of the run.
    let half = LrSchedule::parse("linear-decay").unwrap();
    assert_eq!(half.factor(4, 10), 1.0);
    assert_eq!(half.factor(5, 10), 1.0);
    assert_eq!(half.factor(8, 10), 0.4);
    // A decay starting at or after the end never decays.
    assert_eq!(LrSchedule::parse("linear-decay:50").unwrap().factor(9, 10), 1.0);
    for bad in ["linear", "linear-decay:x", "linear-decay:-1", "constant:3"] {
        let message = LrSchedule::parse(bad).unwrap_err();
        assert!(message.contains("linear-decay:START"), "{bad}: {message}");
    }
}

#[test]
fn trainer_gives_every_optimiser_the_scheduled_rate() {
    let config = TrainConfig {
        model: "mlp".into(),
        dataset: "ring".into(),
        steps: 4,
        batch: 8,
        lr_d: 1e-3,
        lr_g: 2e-3,
        lr_schedule: "linear-decay:2".into(),
        out: fresh_temp_dir("cyclegan-schedule"),
        ..TrainConfig::default()
    };
    let out = config.out.clone();
    let mut trainer = Trainer::new(config).unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        trainer.step();
        seen.push(trainer.learning_rates());
    }
    // Steps 0..4 ran at factors 1, 1, 1, 0.5: the last step's rates are halved.
    for (player, lr) in &seen[3] {
        let base = if *player == ganforge::gan::family::Player::Discriminator { 1e-3 } else { 2e-3 };
        assert!((lr - 0.5 * base).abs() < 1e-9, "{player:?} at {lr}, expected {}", 0.5 * base);
    }
    assert!(seen[2].iter().all(|(_, lr)| *lr >= 1e-3), "no decay before step 3: {:?}", seen[2]);
    assert_eq!(seen[3].len(), 2, "an mlp has two optimisers");
    std::fs::remove_dir_all(out).unwrap();
}

#[test]
fn cli_trains_two_steps_on_the_emoji_and_writes_the_picture_and_scores() {
    let dir = fresh_temp_dir("cyclegan-cli");
    let dataset = "unpaired:data/emoji32/unpaired";
    let (folder, checkpoint) = tiny_run(&dir, "run", "cyclegan", &["--dataset", dataset, "--features", "2"]);
    let picture = image::open(format!("{folder}/samples/step_000002.png")).unwrap();
    // 8 A rows and 8 B rows of 32x32 pictures, two examples of three a row: 6 wide, 8 high.
    assert!(picture.width() * 8 > picture.height() * 5, "{}x{}", picture.width(), picture.height());
    let config = std::fs::read_to_string(format!("{folder}/config.txt")).unwrap();
    assert!(config.contains("lr_schedule = linear-decay") && config.contains("loss = lsgan"), "{config}");
    let log = std::fs::read_to_string(format!("{folder}/log.csv")).unwrap();
    assert!(log.starts_with("step,d_a,d_b,g_gan,cycle,identity"), "{log}");
    let (ok, text) = ganforge(&["eval", "--checkpoint", &checkpoint]);
    assert!(ok && text.contains("|G(a) - b| to the true counterpart (test, 27 pairs)"), "{text}");

    let (ok, text) = ganforge(&["train", "--model", "cyclegan", "--dataset", "ring", "--steps", "1"]);
    assert!(!ok && text.contains("unpaired:<dir>"), "{text}");
    let (ok, text) = ganforge(&["train", "--model", "dcgan", "--cycle-weight", "3", "--steps", "1"]);
    assert!(!ok && text.contains("--model cyclegan"), "{text}");
    let (ok, text) = ganforge(&["train", "--lr-schedule", "cosine", "--steps", "1"]);
    assert!(!ok && text.contains("unknown lr schedule"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn resumed_run_repeats_the_uninterrupted_one_with_a_full_pool_and_a_decaying_rate() {
    // 16 pictures a step: the pools are full (50) after step 4 of 4, the rate halves at step 3.
    let mut args = vec!["train", "--model", "cyclegan", "--dataset", "unpaired:data/emoji32/unpaired"];
    args.extend(["--batch", "16", "--features", "2", "--patch", "16", "--log-every", "1"]);
    assert_resumed_run_repeats("cyclegan-resume", &args, 2, 4);
}

#[test]
fn held_out_pictures_of_another_size_are_refused() {
    let dir = fresh_temp_dir("cyclegan-sizes");
    for (set, side) in [("trainA", 16), ("trainB", 16), ("testA", 8), ("testB", 16)] {
        std::fs::create_dir_all(dir.join(set)).unwrap();
        image::RgbImage::new(side, side).save(dir.join(set).join("x.png")).unwrap();
    }
    let dataset = format!("unpaired:{}", dir.display());
    let (ok, text) = ganforge(&[
        "train",
        "--model",
        "cyclegan",
        "--dataset",
        &dataset,
        "--batch",
        "1",
        "--patch",
        "16",
        "--steps",
        "1",
    ]);
    assert!(!ok && text.contains("testA have shape [3, 8, 8], the training pictures [3, 16, 16]"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}
