//! Every WGSL file parses and validates with naga, without any GPU: a broken
//! kernel fails here with the compiler's message before anything is dispatched.

#[test]
fn every_shader_validates() {
    for shader in ganforge::gpu::ALL_SHADERS {
        let source = shader.full_source();
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{} does not parse:\n{}", shader.name, e.emit_to_string(&source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{} does not validate:\n{}", shader.name, e.emit_to_string(&source)));
    }
}

#[test]
fn every_shader_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("shaders/ exists")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            name.ends_with(".wgsl") && !["prelude.wgsl", "strided.wgsl", "gemm.wgsl"].contains(&name.as_str())
        })
        .collect();
    on_disk.sort();
    let mut registered: Vec<String> = ganforge::gpu::ALL_SHADERS.iter().map(|s| s.name.to_string()).collect();
    registered.sort();
    assert_eq!(on_disk, registered, "shaders/ and gpu::shaders::ALL disagree");
}

/// The rule in prelude.wgsl: bools combine with `&` and `|`, whose operands
/// are both evaluated, never the short-circuit `&&` and `||`, which naga turns
/// into branches that SwiftShader's compiler cannot digest in quantity.
#[test]
fn no_shader_uses_short_circuit_operators() {
    for shader in ganforge::gpu::ALL_SHADERS {
        let source = shader.full_source();
        for (number, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            assert!(
                !code.contains("&&") && !code.contains("||"),
                "{} line {}: use & or | instead of a short-circuit operator: {line}",
                shader.name,
                number + 1
            );
        }
    }
}
