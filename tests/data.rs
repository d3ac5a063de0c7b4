//! Tests of the datasets: IDX files, Gaussian mixtures, batches, folders,
//! Fashion-MNIST.

mod common;

use common::fresh_temp_dir;
use flate2::write::GzEncoder;
use flate2::Compression;
use ganforge::data::batches::BatchSampler;
use ganforge::data::dataset::{fashion_mnist, FASHION_DIR};
use ganforge::data::folder;
use ganforge::data::idx::{
    read_idx_images, read_idx_images_from_bytes, read_idx_labels, read_idx_labels_from_bytes, Images, IMAGES_MAGIC,
    LABELS_MAGIC,
};
use ganforge::data::mixtures::Mixture;
use ganforge::data::DataError;
use ganforge::metrics::digits::fashion_split;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::io::Write;

/// Builds an IDX file: big-endian magic and sizes, then the data bytes.
fn encode_idx(magic: u32, dims: &[u32], data: &[u8]) -> Vec<u8> {
    let header = std::iter::once(magic).chain(dims.iter().copied());
    let mut bytes: Vec<u8> = header.flat_map(u32::to_be_bytes).collect();
    bytes.extend_from_slice(data);
    bytes
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Two 2x3 images with distinct pixel values.
fn small_images() -> Images {
    Images { count: 2, rows: 2, cols: 3, pixels: vec![0, 1, 2, 127, 128, 255, 10, 20, 30, 40, 50, 60] }
}

fn encode_images(images: &Images) -> Vec<u8> {
    let dims = [images.count, images.rows, images.cols].map(|d| d as u32);
    encode_idx(IMAGES_MAGIC, &dims, &images.pixels)
}

fn assert_error_names(error: DataError, name: &str, also: &str) {
    let message = error.to_string();
    assert!(message.contains(name), "message {message:?} should name {name}");
    assert!(message.contains(also), "message {message:?} should mention {also:?}");
}

#[test]
fn idx_images_round_trip() {
    let images = small_images();
    let read = read_idx_images_from_bytes(&encode_images(&images), "tiny-images").unwrap();
    assert_eq!(read, images);
}

#[test]
fn idx_labels_round_trip() {
    let labels = vec![3, 1, 4, 1, 5, 9];
    let bytes = encode_idx(LABELS_MAGIC, &[labels.len() as u32], &labels);
    assert_eq!(read_idx_labels_from_bytes(&bytes, "tiny-labels").unwrap(), labels);
}

#[test]
fn gzip_is_detected_by_content_not_name() {
    let images = small_images();
    let compressed = gzip(&encode_images(&images));
    assert_eq!(&compressed[..2], &[0x1f, 0x8b]);
    let read = read_idx_images_from_bytes(&compressed, "no-extension").unwrap();
    assert_eq!(read, images);

    // A gzip file with a plain name, read from disk.
    let dir = fresh_temp_dir("gzip-detect");
    let path = dir.join("images.idx");
    std::fs::write(&path, &compressed).unwrap();
    assert_eq!(read_idx_images(&path).unwrap(), images);
}

#[test]
fn signed_unit_conversion_maps_0_to_minus_1_and_255_to_1() {
    let floats = small_images().to_signed_unit_f32();
    assert_eq!(floats.len(), 12);
    assert_eq!(floats[0], -1.0);
    assert_eq!(floats[5], 1.0);
    assert!((floats[3] - (127.0 / 127.5 - 1.0)).abs() < 1e-6);
}

#[test]
fn wrong_magic_is_reported_with_both_numbers() {
    let labels = encode_idx(LABELS_MAGIC, &[1], &[7]);
    let error = read_idx_images_from_bytes(&labels, "labels-not-images.idx").unwrap_err();
    assert!(matches!(error, DataError::WrongMagic { expected: IMAGES_MAGIC, found: LABELS_MAGIC, .. }));
    assert_error_names(error, "labels-not-images.idx", "0x00000801");
}

#[test]
fn truncated_pixel_data_is_reported_with_sizes() {
    let mut bytes = encode_images(&small_images());
    bytes.truncate(bytes.len() - 5);
    let error = read_idx_images_from_bytes(&bytes, "cut-short.idx").unwrap_err();
    assert!(matches!(error, DataError::WrongLength { expected: 12, found: 7, .. }));
    assert_error_names(error, "cut-short.idx", "truncated");
}

#[test]
fn truncated_header_is_an_error_not_a_panic() {
    let error = read_idx_labels_from_bytes(&[0, 0, 8], "stub.idx").unwrap_err();
    assert_error_names(error, "stub.idx", "header");
}

#[test]
fn huge_sizes_in_a_damaged_header_are_an_error() {
    let bytes = encode_idx(IMAGES_MAGIC, &[u32::MAX, u32::MAX, u32::MAX], &[0; 4]);
    let error = read_idx_images_from_bytes(&bytes, "damaged.idx").unwrap_err();
    assert_error_names(error, "damaged.idx", "truncated");
}

#[test]
fn corrupt_gzip_is_reported() {
    let mut compressed = gzip(&encode_images(&small_images()));
    let middle = compressed.len() / 2;
    compressed.truncate(middle);
    let error = read_idx_images_from_bytes(&compressed, "broken.gz").unwrap_err();
    assert!(matches!(error, DataError::CorruptGzip { .. }));
    assert_error_names(error, "broken.gz", "gzip");
}

#[test]
fn errors_from_files_name_the_path() {
    let dir = fresh_temp_dir("idx-errors");
    let missing = dir.join("missing-labels.gz");
    assert_error_names(read_idx_labels(&missing).unwrap_err(), "missing-labels.gz", "could not read");

    let wrong = dir.join("wrong-kind.idx");
    std::fs::write(&wrong, encode_images(&small_images())).unwrap();
    assert_error_names(read_idx_labels(&wrong).unwrap_err(), "wrong-kind.idx", "0x00000803");
}

#[test]
fn bundled_mnist_subset_has_500_of_each_digit() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let images = read_idx_images(format!("{data}/mnist5k-images-idx3-ubyte.gz")).unwrap();
    let labels = read_idx_labels(format!("{data}/mnist5k-labels-idx1-ubyte.gz")).unwrap();
    assert_eq!((images.count, images.rows, images.cols), (5000, 28, 28));
    assert_eq!(images.pixels.len(), 5000 * 28 * 28);
    assert_eq!(labels.len(), 5000);
    let mut per_digit = [0usize; 10];
    for &label in &labels {
        per_digit[usize::from(label)] += 1;
    }
    assert_eq!(per_digit, [500; 10]);
    // Real digits have both background and ink.
    assert_eq!(images.pixels.iter().min(), Some(&0));
    assert_eq!(images.pixels.iter().max(), Some(&255));
}

/// Checks that samples spread around each mean with the configured std.
fn check_sample_statistics(mixture: &Mixture, seed: u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let samples = mixture.sample(20_000, &mut rng);
    let mut per_mode: Vec<Vec<[f32; 2]>> = vec![Vec::new(); mixture.means.len()];
    for point in samples {
        let nearest = (0..mixture.means.len())
            .min_by(|&a, &b| {
                let distance = |i: usize| {
                    let mean = mixture.means[i];
                    (point[0] - mean[0]).powi(2) + (point[1] - mean[1]).powi(2)
                };
                distance(a).total_cmp(&distance(b))
            })
            .unwrap();
        per_mode[nearest].push(point);
    }
    let expected_share = 20_000.0 / mixture.means.len() as f32;
    for (mean, points) in mixture.means.iter().zip(&per_mode) {
        let count = points.len() as f32;
        assert!((count - expected_share).abs() < 0.2 * expected_share, "uneven mode choice");
        for axis in 0..2 {
            let average = points.iter().map(|p| p[axis]).sum::<f32>() / count;
            let variance = points.iter().map(|p| (p[axis] - average).powi(2)).sum::<f32>() / count;
            assert!((average - mean[axis]).abs() < 0.3 * mixture.std, "mean off");
            assert!((variance.sqrt() / mixture.std - 1.0).abs() < 0.15, "std off");
        }
    }
}

#[test]
fn ring_mixture_matches_its_settings() {
    let ring = Mixture::ring();
    assert_eq!(ring.means.len(), 8);
    assert_eq!(ring.std, 0.01);
    assert!((ring.means[2][0]).abs() < 1e-6 && (ring.means[2][1] - 1.0).abs() < 1e-6);
    check_sample_statistics(&ring, 1);
}

#[test]
fn grid_mixture_matches_its_settings() {
    let grid = Mixture::grid();
    assert_eq!(grid.means.len(), 25);
    assert_eq!(grid.std, 0.05);
    assert!(grid.means.contains(&[-4.0, 4.0]) && grid.means.contains(&[0.0, 2.0]));
    check_sample_statistics(&grid, 2);
}

#[test]
fn sampling_is_reproducible_with_a_seed() {
    let ring = Mixture::ring();
    let first = ring.sample(10, &mut StdRng::seed_from_u64(7));
    let second = ring.sample(10, &mut StdRng::seed_from_u64(7));
    assert_eq!(first, second);
}

#[test]
fn density_peaks_at_means_and_vanishes_between() {
    let ring = Mixture::ring();
    let at_mean = ring.density(1.0, 0.0);
    let expected = 1.0 / (8.0 * 2.0 * std::f32::consts::PI * 0.01 * 0.01);
    assert!((at_mean / expected - 1.0).abs() < 1e-3);
    assert!(ring.density(0.0, 0.0) < 1e-6);
}

#[test]
fn batches_cover_each_index_once_per_epoch_and_drop_the_rest() {
    let mut sampler = BatchSampler::new(10, 3, 42);
    assert_eq!(sampler.batches_per_epoch(), 3);
    let epoch = |s: &mut BatchSampler| -> Vec<Vec<usize>> { (0..3).map(|_| s.next_batch().to_vec()).collect() };
    let first = epoch(&mut sampler);
    let second = epoch(&mut sampler);
    for epoch in [&first, &second] {
        assert_eq!(epoch.len(), 3);
        assert!(epoch.iter().all(|batch| batch.len() == 3));
        let mut seen: Vec<usize> = epoch.concat();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 9, "no index twice in one epoch");
        assert!(seen.iter().all(|&i| i < 10));
    }
    assert_ne!(first, second, "each epoch is reshuffled");

    let mut again = BatchSampler::new(10, 3, 42);
    let replay = epoch(&mut again);
    assert_eq!(replay, first, "same seed, same order");
}

#[test]
fn folder_lists_and_loads_pictures() {
    let dir = fresh_temp_dir("folder-load");
    // 8x4 RGB: left half red, right half blue.
    let wide =
        image::RgbImage::from_fn(8, 4, |x, _| if x < 4 { image::Rgb([255, 0, 0]) } else { image::Rgb([0, 0, 255]) });
    wide.save(dir.join("b_wide.PNG")).unwrap();
    // 2x2 gray, all white.
    image::GrayImage::from_pixel(2, 2, image::Luma([255])).save(dir.join("a_white.png")).unwrap();
    std::fs::write(dir.join("notes.txt"), "not a picture").unwrap();

    let files = folder::list_images(&dir).unwrap();
    let names: Vec<_> = files.iter().map(|f| f.file_name().unwrap().to_owned()).collect();
    assert_eq!(names, ["a_white.png", "b_wide.PNG"]);

    let white = folder::load(&files[0], 4, 3).unwrap();
    assert_eq!(white.len(), 3 * 4 * 4);
    assert!(white.iter().all(|&v| (v - 1.0).abs() < 1e-6));

    // Shorter side 4 -> 4, so the 8-wide picture is cropped to its centre
    // columns 2..6: red then blue, seen in CHW planes.
    let wide = folder::load(&files[1], 4, 3).unwrap();
    assert_eq!(wide.len(), 3 * 4 * 4);
    let (red, blue) = (&wide[0..16], &wide[32..48]);
    assert_eq!(red[0], 1.0);
    assert_eq!(red[3], -1.0);
    assert_eq!(blue[0], -1.0);
    assert_eq!(blue[3], 1.0);

    let gray = folder::load(&files[1], 2, 1).unwrap();
    assert_eq!(gray.len(), 2 * 2);
}

#[test]
fn flip_mirrors_every_row() {
    let mut chw = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    folder::flip_horizontal(&mut chw, 3);
    assert_eq!(chw, [3.0, 2.0, 1.0, 6.0, 5.0, 4.0]);
}

#[test]
fn folder_errors_say_what_is_wrong() {
    let dir = fresh_temp_dir("folder-errors");
    let error = folder::list_images(&dir).unwrap_err();
    assert!(matches!(error, DataError::EmptyFolder { .. }));
    assert_error_names(error, &dir.display().to_string(), ".jpeg");

    let missing = dir.join("no-such-folder");
    assert!(matches!(folder::list_images(&missing), Err(DataError::MissingFolder { .. })));

    let fake = dir.join("fake.png");
    std::fs::write(&fake, "this is text, not a PNG").unwrap();
    let error = folder::load(&fake, 8, 3).unwrap_err();
    assert!(matches!(error, DataError::UnreadableImage { .. }));
    assert_error_names(error, "fake.png", "could not read image");

    let real = dir.join("real.png");
    image::GrayImage::new(2, 2).save(&real).unwrap();
    let error = folder::load(&real, 2, 2).unwrap_err();
    assert!(matches!(error, DataError::InvalidArgument(_)));
    assert!(error.to_string().contains("got 2"));
}

#[test]
fn datasets_open_by_name_and_serve_gpu_batches() {
    use ganforge::data::dataset::open;
    let mut mnist = open("mnist5k", 28, 1, 1).unwrap();
    assert_eq!(mnist.item_shape(), &[1, 28, 28]);
    assert_eq!(mnist.classes(), Some(10));
    let batch = mnist.next_batch(8);
    assert_eq!(batch.x.shape(), &[8, 1, 28, 28]);
    assert_eq!(batch.labels.as_ref().map(Vec::len), Some(8));
    let pixels = batch.x.to_vec();
    assert!(pixels.iter().all(|v| (-1.0..=1.0).contains(v)) && pixels.iter().any(|&v| v > 0.9));

    let mut ring = open("ring", 0, 0, 1).unwrap();
    let points = ring.next_batch(5).x;
    assert_eq!(points.shape(), &[5, 2]);
    assert!(points.to_vec().chunks(2).all(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - 1.0).abs() < 0.1));

    let unknown = open("cifar", 28, 1, 1).err().expect("unknown dataset is an error").to_string();
    assert!(unknown.contains("cifar") && unknown.contains("mnist5k"), "{unknown}");
    let missing = open("mnist:/no/such/train-images-idx3-ubyte", 28, 1, 1).err().expect("missing file").to_string();
    assert!(missing.contains("/no/such/train-images-idx3-ubyte"), "{missing}");
}

#[test]
fn fashion_mnist_comes_from_the_debian_package_or_says_how_to_get_it() {
    let empty = fresh_temp_dir("no-fashion");
    let error = fashion_mnist(&empty, "train", 0).err().expect("an empty folder has no Fashion-MNIST");
    assert!(error.to_string().contains("apt-get install dataset-fashion-mnist"), "{error}");
    // The package's files, where installed (.ci/run installs them): its own
    // 60,000 / 10,000 split, 6,000 training images of each class.
    if !std::path::Path::new(FASHION_DIR).exists() {
        eprintln!("{FASHION_DIR} is absent: `apt-get install dataset-fashion-mnist` to test reading it");
        return;
    }
    let split = fashion_split(std::path::Path::new(FASHION_DIR)).unwrap();
    assert_eq!((split.train.len(), split.held_out.len()), (60_000, 10_000));
    let mut per_class = [0usize; 10];
    split.train.labels.iter().for_each(|&label| per_class[label] += 1);
    assert_eq!(per_class, [6000; 10]);
}
