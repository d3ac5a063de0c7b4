//! The profiler (`GANFORGE_PROFILE=gpu`): its trace is well-formed Chrome
//! trace-event JSON naming the kernels that ran with their work; an unknown
//! mode is refused in one line; and the GEMM sweep's table lists every blocking.

use ganforge::bench::{blocking_label, sweep, sweep_blockings, sweep_table, GemmCase, Peaks};
use ganforge::gpu::{device, Device};
use ganforge::ops::conv::{conv2d, conv2d_weight, Conv2dOptions};
use ganforge::ops::gemm::Blocking;
use ganforge::Tensor;
use std::process::Command;
use std::sync::Once;

/// The shared device, opened with timestamp profiling on (every test of this
/// binary that touches the GPU comes here first).
fn profiled_device() -> &'static Device {
    static PROFILE: Once = Once::new();
    PROFILE.call_once(|| std::env::set_var("GANFORGE_PROFILE", "gpu"));
    device()
}

/// A parsed JSON value: just enough of JSON to check the trace's structure.
#[derive(Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(f64),
    Text(String),
    List(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn get(&self, key: &str) -> &Json {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v).unwrap_or(&Json::Null),
            _ => &Json::Null,
        }
    }
    fn number(&self) -> f64 {
        match self {
            Json::Number(v) => *v,
            other => panic!("expected a number, got {other:?}"),
        }
    }
    fn text(&self) -> &str {
        match self {
            Json::Text(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }
}

/// A recursive-descent JSON parser over bytes; errors name the byte offset.
struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn parse(text: &str) -> Result<Json, String> {
        let mut parser = Parser { bytes: text.as_bytes(), at: 0 };
        let value = parser.value()?;
        parser.skip_space();
        if parser.at != parser.bytes.len() {
            return Err(format!("trailing text at byte {}", parser.at));
        }
        Ok(value)
    }

    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_space();
        if self.bytes.get(self.at) != Some(&byte) {
            return Err(format!("expected {:?} at byte {}", byte as char, self.at));
        }
        self.at += 1;
        Ok(())
    }

    /// The items of a list or object, each read by `item`, up to `close`.
    fn items(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> Result<(), String>) -> Result<(), String> {
        self.skip_space();
        if self.bytes.get(self.at) == Some(&close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.skip_space();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(&b) if b == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return Err(format!("expected ',' or {:?} at byte {}", close as char, self.at)),
            }
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect(b'"')?;
        let mut text = String::new();
        loop {
            match self.bytes.get(self.at) {
                None => return Err("unterminated string".into()),
                Some(b'"') => break,
                Some(b'\\') => {
                    let escaped = self.bytes.get(self.at + 1).ok_or("unterminated escape")?;
                    if !b"\"\\/bfnrtu".contains(escaped) {
                        return Err(format!("bad escape at byte {}", self.at));
                    }
                    text.push(*escaped as char);
                    self.at += 2;
                }
                Some(&b) if b < 0x20 => return Err(format!("control character in a string at byte {}", self.at)),
                Some(&b) => {
                    text.push(b as char);
                    self.at += 1;
                }
            }
        }
        self.at += 1;
        Ok(text)
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_space();
        match self.bytes.get(self.at) {
            Some(b'{') => {
                self.at += 1;
                let mut fields = Vec::new();
                self.items(b'}', |p| {
                    let key = p.string()?;
                    p.expect(b':')?;
                    fields.push((key, p.value()?));
                    Ok(())
                })?;
                Ok(Json::Object(fields))
            }
            Some(b'[') => {
                self.at += 1;
                let mut list = Vec::new();
                self.items(b']', |p| {
                    list.push(p.value()?);
                    Ok(())
                })?;
                Ok(Json::List(list))
            }
            Some(b'"') => Ok(Json::Text(self.string()?)),
            _ => {
                let start = self.at;
                while self.bytes.get(self.at).is_some_and(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b)) {
                    self.at += 1;
                }
                let word = std::str::from_utf8(&self.bytes[start..self.at]).unwrap();
                let numeric = word.starts_with(|c: char| c == '-' || c.is_ascii_digit())
                    && word.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
                match word {
                    "null" => Ok(Json::Null),
                    "true" | "false" => Ok(Json::Bool(word == "true")),
                    _ if numeric => {
                        word.parse().map(Json::Number).map_err(|_| format!("bad number {word:?} at byte {start}"))
                    }
                    _ => Err(format!("bad value {word:?} at byte {start}")),
                }
            }
        }
    }
}

#[test]
fn the_parser_refuses_broken_json() {
    for broken in [r#"{"a":1"#, r#"{"a":1,}"#, r#"[1 2]"#, r#"{"a":NaN}"#, r#"{"a":"x"} y"#] {
        assert!(Parser::parse(broken).is_err(), "{broken} parsed");
    }
    assert!(matches!(Parser::parse(r#"{"a":[1,-2.5e3,"b",true,null]}"#), Ok(Json::Object(_))));
}

#[test]
fn the_trace_of_a_tiny_workload_is_well_formed_and_names_its_kernels() {
    let gpu = profiled_device();
    let profiler = gpu.profiler().expect("GANFORGE_PROFILE=gpu turns the profiler on");
    // 5x7 by 7x3: matmul runs it as its transpose, 3x5x7 (210 FLOPs). Twice:
    // a pipeline's first dispatch stays out of the table.
    let a = Tensor::randn(&[5, 7], 1);
    let b = Tensor::randn(&[7, 3], 2);
    let product = a.matmul(&b).add(&a.matmul(&b));
    // A 3x3 convolution of 2 channels into 3 on 3x3 outputs: M 3, N 9, K 18 (972 FLOPs).
    let image = Tensor::randn(&[1, 2, 5, 5], 3);
    let weight = Tensor::randn(&[3, 2, 3, 3], 4);
    let convolved = conv2d(&image, &weight, None, Conv2dOptions::default());
    // Reading back submits the batch, which collects its timestamps.
    assert_eq!(product.to_vec().len() + convolved.to_vec().len(), 15 + 27);

    let trace =
        Parser::parse(&profiler.trace_json(&gpu.info.name)).unwrap_or_else(|e| panic!("trace is not JSON: {e}"));
    assert_eq!(trace.get("displayTimeUnit").text(), "ms");
    assert!(
        trace.get("metadata").get("clock").text().contains("GPU timestamp")
            || !gpu.features.contains(wgpu::Features::TIMESTAMP_QUERY)
    );
    let Json::List(events) = trace.get("traceEvents") else { panic!("traceEvents is not a list") };
    let mut last_start = f64::NEG_INFINITY;
    let mut first_uses = std::collections::HashSet::new();
    for event in events {
        // Each pipeline's earliest dispatch, and only that one, is its first use.
        let kernel = event.get("name").text();
        assert_eq!(
            matches!(event.get("args").get("first_use"), Json::Bool(true)),
            first_uses.insert(kernel.to_string()),
            "{event:?}"
        );
        assert_eq!(event.get("ph").text(), "X", "{event:?}");
        let (start, duration) = (event.get("ts").number(), event.get("dur").number());
        assert!(start >= last_start, "events out of order: {start} after {last_start}");
        assert!(duration > 0.0, "{event:?} has no duration");
        assert_eq!(event.get("name").text(), event.get("args").get("kernel").text());
        last_start = start;
    }
    let with = |kernel: &str, flops: f64| {
        events.iter().any(|e| e.get("name").text().starts_with(kernel) && e.get("args").get("flops").number() == flops)
    };
    let names: Vec<String> =
        events.iter().map(|e| format!("{} {}", e.get("name").text(), e.get("args").get("flops").number())).collect();
    assert!(with("matmul.wgsl:main", 210.0), "no matmul event with 210 FLOPs: {names:?}");
    assert!(with("conv.wgsl:main", 972.0), "no conv event with 972 FLOPs");
    // The add gave no work: its bytes are estimated from its buffers.
    assert!(events
        .iter()
        .any(|e| e.get("args").get("flops").number() == 0.0 && e.get("args").get("bytes").number() > 0.0));
    let table = profiler.table(None);
    assert!(
        table.contains("matmul.wgsl:main") && table.contains("3x5x7") && table.contains("peak not measured"),
        "{table}"
    );
    assert!(table.contains(&format!("the first dispatch of each of the {} pipelines", first_uses.len())), "{table}");
}

#[test]
fn a_long_weight_gradient_runs_in_chunks_of_k() {
    let gpu = profiled_device();
    let profiler = gpu.profiler().expect("GANFORGE_PROFILE=gpu turns the profiler on");
    // 5 x 27 weights, each a sum over 2 x 27 x 25 = 1,350 positions: one tile,
    // so K is split into chunks of at least 256 (conv.wgsl's "Split K").
    let x = Tensor::randn(&[2, 3, 27, 25], 5);
    let dy = Tensor::randn(&[2, 5, 27, 25], 6);
    // Twice: a pipeline's first dispatch stays out of the table.
    for _ in 0..2 {
        let dw = conv2d_weight(&x, &dy, (3, 3), Conv2dOptions { padding: (1, 1), ..Default::default() });
        assert_eq!(dw.to_vec().len(), 5 * 27);
    }
    let table = profiler.table(None);
    assert!(table.contains("5x27x1350 in 5 K chunks"), "{table}");
}

#[test]
fn an_unknown_profile_mode_is_refused_in_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_ganforge"))
        .arg("info")
        .env("GANFORGE_PROFILE", "sometimes")
        .env("XDG_RUNTIME_DIR", "/tmp")
        .output()
        .expect("the ganforge binary runs");
    assert!(!output.status.success());
    let errors = String::from_utf8_lossy(&output.stderr);
    assert_eq!(errors.trim().lines().count(), 1, "{errors}");
    assert!(
        errors.contains("GANFORGE_PROFILE=\"sometimes\"") && errors.contains("`gpu`") && errors.contains("`wall`"),
        "{errors}"
    );
}

#[test]
fn the_sweep_table_lists_every_blocking() {
    profiled_device();
    let blockings = sweep_blockings();
    assert!(Blocking::ALL.iter().all(|b| blockings.contains(b)), "the sweep must time every blocking of Blocking::ALL");
    // 20 x 9: both sides short, and more rows than the row classes take.
    let (a, b) = (Tensor::randn(&[20, 7], 1), Tensor::randn(&[7, 9], 2));
    let case = GemmCase {
        name: "tiny".into(),
        m: 20,
        n: 9,
        k: 7,
        products: 1,
        flops: 2.0 * 20.0 * 9.0 * 7.0,
        run: Box::new(move |blocking| a.matmul_blocked(&b, false, false, blocking)),
    };
    let timings = sweep(&case, &blockings, 1);
    let table = sweep_table(&case, &timings, &Peaks { flops_per_second: 1e9, bytes_per_second: 1e9 });
    for blocking in &blockings {
        let label = blocking_label(*blocking);
        assert_eq!(table.lines().filter(|l| l.contains(&format!("{label} "))).count(), 1, "{label} missing:\n{table}");
    }
    assert_eq!(table.matches("[best]").count(), 1, "{table}");
    assert!(table.contains(&format!("for_problem chooses {}", blocking_label(Blocking::SMALL))), "{table}");
}
