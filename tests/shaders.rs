//! Every WGSL file parses and validates with naga, without any GPU: a broken
//! kernel fails here with the compiler's message before anything is dispatched.

/// Both forms of each module: for a device with subgroup operations (and
/// naga's subgroup capabilities), and for one without (and none).
#[test]
fn every_shader_validates() {
    use naga::valid::Capabilities;
    for shader in ganforge::gpu::ALL_SHADERS {
        for (subgroups, capabilities) in [(false, Capabilities::empty()), (true, Capabilities::SUBGROUP)] {
            let source = shader.full_source(subgroups);
            let name = format!("{} (subgroups: {subgroups})", shader.name);
            let module = naga::front::wgsl::parse_str(&source)
                .unwrap_or_else(|e| panic!("{name} does not parse:\n{}", e.emit_to_string(&source)));
            naga::valid::Validator::new(naga::valid::ValidationFlags::all(), capabilities)
                .subgroup_stages(naga::valid::ShaderStages::COMPUTE)
                .subgroup_operations(naga::valid::SubgroupOperationSet::all())
                .validate(&module)
                .unwrap_or_else(|e| panic!("{name} does not validate:\n{}", e.emit_to_string(&source)));
        }
    }
}

#[test]
fn every_shader_file_is_registered() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("shaders/ exists")
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            let parts = ["prelude.wgsl", "strided.wgsl", "gemm.wgsl", "lanes.wgsl", "no_lanes.wgsl"];
            name.ends_with(".wgsl") && !parts.contains(&name.as_str())
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
        let source = shader.full_source(true);
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
