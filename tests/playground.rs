//! The GAN Playground in a real browser: builds the page (playground/build.sh),
//! serves it on 127.0.0.1, lets headless Chromium train on its WebGPU
//! (SwiftShader here), and checks what the page reports. The 2D mode trains
//! the ring: no console error, finite losses, more modes covered than at the
//! start, contour lines drawn, and the same losses as the same session run
//! natively on our kernels. The MNIST mode trains DCGAN a few steps: no
//! error, the grid of samples redrawn and changed, and the native losses.
//! Each mode's picture of its views is saved where the log says. The
//! digits session itself is checked natively against `ganforge train`'s trainer.

use ganforge::gan::digits_session::{DigitsSession, DigitsSettings};
use ganforge::gan::models::mlp::MlpSize;
use ganforge::gan::session::{Points, Session, Settings, ViewRequest};
use ganforge::gan::{TrainConfig, Trainer};
use ganforge::serve::{serve, Next};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Steps the browser trains in the 2D mode.
const STEPS: usize = 300;
/// Steps the browser trains in the MNIST mode (a dcgan28 step is ~100 times a 2D one).
const DIGIT_STEPS: usize = 4;
/// How long the page may take, build excluded (SwiftShader is slow).
const PAGE_TIMEOUT: Duration = Duration::from_secs(300);

/// The settings the page is given in its address, and the native run uses.
fn settings() -> Settings {
    Settings {
        points: Points::Ring,
        loss: "ns".into(),
        size: MlpSize { latent: 2, g_width: 64, g_layers: 2, d_width: 64, d_layers: 2 },
        lr_g: 1e-3,
        lr_d: 1e-3,
        d_steps: 1,
        batch: 64,
        seed: 7,
    }
}

/// The 2D mode's address query for these settings.
fn plane_query(s: &Settings) -> String {
    let MlpSize { g_width, g_layers, d_width, d_layers, .. } = s.size;
    format!(
        "autotest={STEPS}&loss={}&g_width={g_width}&g_layers={g_layers}&d_width={d_width}&d_layers={d_layers}\
         &lr_g={}&lr_d={}&d_steps={}&batch={}&seed={}&per_frame=10",
        s.loss, s.lr_g, s.lr_d, s.d_steps, s.batch, s.seed
    )
}

/// The settings of the MNIST mode's test: a small batch, for SwiftShader's sake.
fn digit_settings() -> DigitsSettings {
    DigitsSettings { batch: 16, seed: 7, ..DigitsSettings::defaults() }
}

/// The MNIST mode's address query for these settings (one step per frame).
fn digits_query(s: &DigitsSettings) -> String {
    format!(
        "mode=digits&autotest={DIGIT_STEPS}&digits_lr_g={}&digits_lr_d={}&digits_batch={}&digits_seed={}\
         &digits_per_frame=1",
        s.lr_g, s.lr_d, s.batch, s.seed
    )
}

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Builds the page from the current source, once for all tests; a missing
/// tool is a one-line error saying what to install (build.sh checks them).
fn build_page() {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let output =
            Command::new(repository().join("playground/build.sh")).output().expect("bash runs playground/build.sh");
        let stderr = String::from_utf8_lossy(&output.stderr);
        match output.status.success() {
            true => Ok(()),
            false => Err(stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("(no message)").into()),
        }
    });
    if let Err(message) = built {
        panic!("playground/build.sh failed: {message}");
    }
}

fn chromium() -> &'static str {
    let found = Command::new("chromium").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    assert!(
        found.is_ok_and(|s| s.success()),
        "chromium not found: install it (Debian/Ubuntu: `sudo apt-get install chromium`) to test the playground"
    );
    "chromium"
}

/// Headless Chromium with WebGPU on, with a profile of its own.
fn open_browser(url: &str, profile: &Path) -> Child {
    Command::new(chromium())
        .args(["--headless=new", "--no-sandbox", "--enable-unsafe-webgpu", "--no-first-run"])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts")
}

/// Ends the browser (its helper processes end with it).
fn close_browser(browser: &mut Child) {
    let _ = browser.kill();
    let _ = browser.wait();
}

/// The page's report: its "key values" lines.
struct Report {
    lines: Vec<(String, String)>,
}

impl Report {
    fn values(&self, key: &str) -> Vec<f64> {
        let (_, rest) = self.lines.iter().find(|(k, _)| k == key).unwrap_or_else(|| panic!("the report has no {key}"));
        rest.split_whitespace().map(|v| v.parse().unwrap_or_else(|_| panic!("{key}: {v:?} is no number"))).collect()
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.lines.iter().filter(|(k, _)| k == key).map(|(_, v)| v.as_str()).collect()
    }
}

/// Serves the page with this address query, lets Chromium train it, and
/// returns its report and picture. One browser at a time: on two cores, two
/// would slow each other down past their timeouts.
fn run_page(query: &str) -> (Report, Vec<u8>) {
    static ONE_BROWSER: Mutex<()> = Mutex::new(());
    let _alone = ONE_BROWSER.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    build_page();
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
    let port = listener.local_addr().unwrap().port();
    let (sender, posts) = mpsc::channel();
    let folder = repository().join("playground/www");
    std::thread::spawn(move || {
        serve(&listener, &folder, |path, body| {
            let last = path == "/report";
            let _ = sender.send((path.to_string(), body));
            if last {
                Next::Stop
            } else {
                Next::Serve
            }
        })
    });
    let profile = std::env::temp_dir().join(format!("ganforge-playground-chromium-{}", std::process::id()));
    let mut browser = open_browser(&format!("http://127.0.0.1:{port}/index.html?{query}"), &profile);
    let started = Instant::now();
    let (mut report, mut picture) = (None, Vec::new());
    while report.is_none() {
        match posts.recv_timeout(Duration::from_secs(1)) {
            Ok((path, body)) if path == "/report" => report = Some(String::from_utf8_lossy(&body).into_owned()),
            Ok((path, body)) if path == "/screenshot" => picture = body,
            Ok((path, body)) if path == "/progress" => {
                println!("{:5.1} s: {}", started.elapsed().as_secs_f64(), String::from_utf8_lossy(&body))
            }
            Ok(_) => {}
            Err(_) => {
                if let Ok(Some(status)) = browser.try_wait() {
                    let mut log = String::new();
                    std::io::Read::read_to_string(browser.stderr.as_mut().unwrap(), &mut log).ok();
                    panic!("chromium exited ({status}) before the page reported; its log ends:\n{}", tail(&log));
                }
                if started.elapsed() > PAGE_TIMEOUT {
                    close_browser(&mut browser);
                    panic!(
                        "the page did not report within {PAGE_TIMEOUT:?} (open the address in a browser to see why)"
                    );
                }
            }
        }
    }
    close_browser(&mut browser);
    let _ = std::fs::remove_dir_all(&profile);
    println!("browser: trained and reported in {:.1} s (build excluded)", started.elapsed().as_secs_f64());
    let lines = report
        .unwrap()
        .lines()
        .map(|l| l.split_once(' ').map_or((l.to_string(), String::new()), |(k, v)| (k.into(), v.into())))
        .collect();
    (Report { lines }, picture)
}

/// Saves the page's picture as runs/playground/<name> and says where.
fn save_picture(picture: &[u8], name: &str, what: &str) {
    let path = repository().join("runs/playground").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    assert!(picture.starts_with(b"\x89PNG"), "the page sent no PNG picture of its views");
    std::fs::write(&path, picture).unwrap();
    println!("{what}: {}", path.display());
}

/// The report's loss rows: (step, D loss, G loss), one per step.
fn loss_rows(report: &Report) -> Vec<(usize, f32, f32)> {
    report
        .all("loss")
        .iter()
        .map(|row| {
            let v: Vec<f64> = row.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (v[0] as usize, v[1] as f32, v[2] as f32)
        })
        .collect()
}

/// Asserts the browser's and the native run's losses agree step by step,
/// within `tolerance(step)`; returns the largest gap.
fn assert_same_losses(
    browser: &[(usize, f32, f32)],
    native: &[(usize, f32, f32)],
    tolerance: impl Fn(usize) -> f32,
) -> f32 {
    assert_eq!(browser.len(), native.len(), "the browser and the native run trained different numbers of steps");
    let mut worst = 0f32;
    for (&(step, d, g), &(native_step, native_d, native_g)) in browser.iter().zip(native) {
        assert_eq!(step, native_step);
        let gap = (d - native_d).abs().max((g - native_g).abs());
        worst = worst.max(gap);
        let tolerance = tolerance(step);
        assert!(
            gap <= tolerance,
            "step {step}: browser losses D {d}, G {g}; native D {native_d}, G {native_g} (tolerance {tolerance})"
        );
    }
    worst
}

fn tail(log: &str) -> String {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

/// The same session natively: its losses per step.
fn native_losses(s: &Settings) -> Vec<(usize, f32, f32)> {
    let started = Instant::now();
    let mut session = Session::new(s).expect("the test's settings are valid");
    session.step(STEPS);
    let view = session.view(ViewRequest { generated: 8, critic_side: 2, manifold_side: 2 });
    let losses = pollster::block_on(view.read()).losses;
    println!("native: {:.1} steps/s", STEPS as f64 / started.elapsed().as_secs_f64());
    losses
}

#[test]
fn the_page_trains_the_ring_in_headless_chromium_like_the_native_run() {
    let s = settings();
    let (report, picture) = run_page(&plane_query(&s));

    let errors = report.all("error");
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    assert_eq!(report.values("steps")[0] as usize, STEPS);
    let rate = report.values("steps_per_second")[0];
    println!("browser: {rate:.1} steps/s, on {}", report.all("adapter").join(""));

    save_picture(&picture, "browser-ring.png", &format!("the 2D mode's views after {STEPS} steps"));

    // Losses: one row per step, all finite.
    let browser = loss_rows(&report);
    assert_eq!(browser.len(), STEPS, "the page must report every step's losses");
    assert!(browser.iter().all(|&(_, d, g)| d.is_finite() && g.is_finite()), "a loss is not finite: {browser:?}");

    // The mode metric moved: more modes covered than at the first view.
    let (first, last) = (report.values("first_modes"), report.values("last_modes"));
    println!("modes covered: {} at step {} -> {} at step {}", first[1], first[0], last[1], last[0]);
    assert!(last[1] > first[1], "no more modes covered after {STEPS} steps: {first:?} -> {last:?}");

    // D's contour lines were drawn over its heat map.
    let segments = report.values("contour_segments")[0];
    println!("contour segments drawn in the last view: {segments}");
    assert!(segments > 0.0, "no contour line of D was drawn");

    // Same kernels, same initial weights, same data stream: the same losses
    // up to rounding. Rounding differences grow as training goes on (a GAN's
    // dynamics amplify them), so the first steps are held tight and the rest loosely.
    let native = native_losses(&s);
    let worst = assert_same_losses(&browser, &native, |step| if step <= 50 { 1e-3 } else { 5e-2 });
    println!("largest gap between browser and native losses over {STEPS} steps: {worst:.2e}");
}

/// The same digits session natively: its losses per step.
fn native_digit_losses(s: &DigitsSettings) -> Vec<(usize, f32, f32)> {
    let started = Instant::now();
    let mut session = DigitsSession::new(s).expect("the test's settings are valid");
    session.step(DIGIT_STEPS);
    let losses = pollster::block_on(session.view().read()).losses;
    println!("native: {:.2} steps/s", DIGIT_STEPS as f64 / started.elapsed().as_secs_f64());
    losses
}

#[test]
fn the_page_trains_dcgan_on_digits_in_headless_chromium_like_the_native_run() {
    let s = digit_settings();
    let (report, picture) = run_page(&digits_query(&s));

    let errors = report.all("error");
    assert!(errors.is_empty(), "the page logged errors: {errors:?}");
    assert_eq!(report.values("steps")[0] as usize, DIGIT_STEPS);
    let rate = report.values("steps_per_second")[0];
    println!("browser: {rate:.2} steps/s (batch {}), on {}", s.batch, report.all("adapter").join(""));
    save_picture(&picture, "browser-digits.png", &format!("the MNIST mode's views after {DIGIT_STEPS} steps"));

    // The grid was drawn untrained, then again after training, and G's samples changed.
    let (first, last) = (report.values("first_grid"), report.values("last_grid"));
    println!("grid pixels (step, mean, std): {first:?} -> {last:?}");
    assert_eq!((first[0] as usize, last[0] as usize), (0, DIGIT_STEPS), "the grid was not redrawn as it trained");
    assert!(first[1..].iter().chain(&last[1..]).all(|v| v.is_finite()), "the grid holds a non-finite value");
    let change = (last[1] - first[1]).abs().max((last[2] - first[2]).abs());
    assert!(change > 1e-3, "the grid did not change in {DIGIT_STEPS} steps: {first:?} -> {last:?}");

    let browser = loss_rows(&report);
    assert!(browser.iter().all(|&(_, d, g)| d.is_finite() && g.is_finite()), "a loss is not finite: {browser:?}");
    let worst = assert_same_losses(&browser, &native_digit_losses(&s), |_| 1e-3);
    println!("largest gap between browser and native losses over {DIGIT_STEPS} steps: {worst:.2e}");
}

#[test]
fn the_digits_session_trains_like_ganforge_train() {
    let s = digit_settings();
    let out = std::env::temp_dir().join(format!("ganforge-digits-session-{}", std::process::id()));
    let config = TrainConfig { batch: s.batch, seed: s.seed, out: out.clone(), ..TrainConfig::default() };
    let mut trainer = Trainer::overwrite(config).expect("the reference config trains");
    let trained: Vec<f32> = (0..2).flat_map(|_| trainer.step().into_iter().map(|(_, loss)| loss.item())).collect();
    std::fs::remove_dir_all(&out).unwrap();

    let mut session = DigitsSession::new(&s).unwrap();
    session.step(2);
    let view = pollster::block_on(session.view().read());
    let live: Vec<f32> = view.losses.iter().flat_map(|&(_, d, g)| [d, g]).collect();
    assert_eq!(live, trained, "the digits session's losses differ from the trainer's");
    assert_eq!(view.samples.len(), DigitsSession::GRID_SAMPLES * 28 * 28);
    assert!(view.samples.iter().all(|v| (-1.0..=1.0).contains(v)), "a sample pixel lies outside tanh's range");
}

#[test]
fn a_session_refuses_a_bad_setting_with_its_name() {
    let error = |change: fn(&mut Settings)| {
        let mut s = settings();
        change(&mut s);
        Session::new(&s).err().expect("a bad setting is refused")
    };
    assert!(error(|s| s.size.g_layers = 0).contains("G layers = 0"));
    assert!(error(|s| s.points = Points::Drawn(Vec::new())).contains("no points drawn"));
    assert!(error(|s| s.lr_d = -1.0).contains("lr_d"));
    assert!(error(|s| s.loss = "nonsense".into()).contains("nonsense"));

    let digits_error = |change: fn(&mut DigitsSettings)| {
        let mut s = digit_settings();
        change(&mut s);
        DigitsSession::new(&s).err().expect("a bad setting is refused")
    };
    assert!(digits_error(|s| s.batch = 0).contains("batch = 0"));
    assert!(digits_error(|s| s.batch = 100_000).contains("batch = 100000"));
    assert!(digits_error(|s| s.lr_g = f32::NAN).contains("lr_g"));
}

#[test]
fn the_server_serves_its_folder_and_nothing_outside_it() {
    use std::io::{Read, Write};
    let folder = std::env::temp_dir().join(format!("ganforge-serve-{}", std::process::id()));
    std::fs::create_dir_all(folder.join("pkg")).unwrap();
    std::fs::write(folder.join("index.html"), "<p>page</p>").unwrap();
    std::fs::write(folder.join("pkg/a.wasm"), b"\0asm").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = folder.clone();
    std::thread::spawn(move || {
        serve(&listener, &served, |path, _| if path == "/stop" { Next::Stop } else { Next::Serve })
    });
    let get = |request: &str| {
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer
    };
    let index = get("GET /?autotest=1 HTTP/1.1\r\n\r\n");
    assert!(index.starts_with("HTTP/1.1 200") && index.ends_with("<p>page</p>"), "{index}");
    assert!(get("GET /pkg/a.wasm HTTP/1.1\r\n\r\n").contains("Content-Type: application/wasm"));
    assert!(get("GET /../Cargo.toml HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(get("GET /missing.js HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
    assert!(get("POST /stop HTTP/1.1\r\nContent-Length: 2\r\n\r\nok").starts_with("HTTP/1.1 200"));
    std::fs::remove_dir_all(&folder).unwrap();
}
