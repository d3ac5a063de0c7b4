//! Bad input gets a message that names the shapes involved.
use ganforge::Tensor;

/// Runs `f`, expecting a panic whose message contains every one of `parts`.
fn panics_with(f: impl FnOnce() + std::panic::UnwindSafe, parts: &[&str]) {
    let message = match std::panic::catch_unwind(f) {
        Ok(()) => panic!("expected a panic mentioning {parts:?}"),
        Err(payload) => payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default(),
    };
    for part in parts {
        assert!(message.contains(part), "message {message:?} does not mention {part:?}");
    }
}

#[test]
fn mismatched_shapes_name_both() {
    panics_with(|| drop(Tensor::zeros(&[2, 3]).add(&Tensor::zeros(&[4, 3]))), &["[2, 3]", "[4, 3]"]);
    panics_with(|| drop(Tensor::zeros(&[2, 3]).matmul(&Tensor::zeros(&[4, 5]))), &["[2, 3]", "[4, 5]"]);
    panics_with(|| drop(Tensor::concat(&[&Tensor::zeros(&[2, 3]), &Tensor::zeros(&[3, 4])], 0)), &["[3, 4]", "[2, 3]"]);
}

#[test]
fn reshape_to_the_wrong_size_names_both() {
    panics_with(|| drop(Tensor::zeros(&[2, 3]).reshape(&[4, 2])), &["[2, 3]", "[4, 2]"]);
    panics_with(|| drop(Tensor::from_vec(vec![1.0; 5], &[2, 3])), &["5 values", "[2, 3]"]);
}

#[test]
fn out_of_range_axis_names_the_shape() {
    panics_with(|| drop(Tensor::zeros(&[2, 3]).sum(&[2], false)), &["axis 2", "[2, 3]"]);
    panics_with(|| drop(Tensor::zeros(&[2, 3]).transpose(0, -3)), &["axis -3", "[2, 3]"]);
    panics_with(|| drop(Tensor::zeros(&[2, 3]).permute(&[0, 0])), &["[0, 0]", "[2, 3]"]);
    panics_with(|| drop(Tensor::zeros(&[2, 3]).slice(&[(0, 3), (0, 3)])), &["[2, 3]"]);
}

#[test]
fn a_tensor_too_large_for_one_binding_is_refused() {
    let limit = ganforge::gpu::device().limits.max_storage_buffer_binding_size as usize / 4;
    panics_with(|| drop(Tensor::zeros(&[limit + 1])), &["larger than one storage binding", "smaller batch"]);
}
