//! The GAN Playground's engine side: `ganforge::gan::session` (the 2D mode;
//! the MNIST mode is in `digits.rs`) made callable from the page's JavaScript
//! through wasm-bindgen. Nothing is trained here that the library does not
//! train natively; these files only convert arguments and results between
//! Rust and JavaScript.
//!
//! The page opens the GPU once (`open_gpu`, awaited), builds a `Playground`,
//! then in each animation frame records a few steps (`step` returns at once)
//! and asks for a view (`view` returns a Promise that the browser resolves
//! when the GPU has computed it).

use ganforge::gan::models::mlp::MlpSize;
use ganforge::gan::session::{self, Points, Session, Settings, ViewRequest};
use wasm_bindgen::prelude::*;

mod digits;

/// Sends Rust panics to the browser console (the page and its test watch it).
#[wasm_bindgen(start)]
pub fn start() {
    std::panic::set_hook(Box::new(|info| web_sys::console::error_1(&format!("ganforge panicked: {info}").into())));
}

/// Opens the GPU through the browser's WebGPU; resolves to the adapter's name.
#[wasm_bindgen]
pub async fn open_gpu() -> Result<String, JsError> {
    let device = ganforge::gpu::open_device().await.map_err(|e| {
        JsError::new(&format!(
            "{e} (on the web: this browser offers no WebGPU adapter; use one with WebGPU enabled, \
             e.g. Chrome or Edge 113+)"
        ))
    })?;
    // A kernel the browser's WGSL compiler refuses, or any other GPU error,
    // would otherwise only reach the browser's log: the page must see it.
    device.device.on_uncaptured_error(std::sync::Arc::new(|error| {
        web_sys::console::error_1(&format!("WebGPU error: {error}").into())
    }));
    let name = if device.info.name.is_empty() { "the browser's WebGPU adapter" } else { &device.info.name };
    Ok(name.to_string())
}

/// The library's number of D steps per G step for `loss` (what `ganforge
/// train --model mlp --dataset ring --loss <loss>` uses: 5 for WGAN-GP, else 1).
#[wasm_bindgen]
pub fn default_d_steps(loss: &str) -> usize {
    Settings::defaults(loss).d_steps
}

/// A 2D GAN in training.
#[wasm_bindgen]
pub struct Playground {
    session: Session,
}

#[wasm_bindgen]
impl Playground {
    /// `data`: "ring", "grid" or "drawn" (then `drawn` holds x, y pairs);
    /// `loss`: an objective name of `Objective::parse`. A bad setting throws
    /// an error that names it.
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)] // one argument per control of the page
    pub fn new(
        data: &str,
        drawn: Vec<f32>,
        loss: &str,
        g_width: usize,
        g_layers: usize,
        d_width: usize,
        d_layers: usize,
        lr_g: f32,
        lr_d: f32,
        d_steps: usize,
        batch: usize,
        seed: u32,
    ) -> Result<Playground, JsError> {
        let points = match data {
            "ring" => Points::Ring,
            "grid" => Points::Grid,
            "drawn" => Points::Drawn(drawn.chunks_exact(2).map(|p| [p[0], p[1]]).collect()),
            other => return Err(JsError::new(&format!("unknown data {other:?}: use ring, grid or drawn"))),
        };
        let settings = Settings {
            points,
            loss: loss.into(),
            size: MlpSize { latent: 2, g_width, g_layers, d_width, d_layers },
            lr_g,
            lr_d,
            d_steps,
            batch,
            seed: seed.into(),
        };
        let session = Session::new(&settings).map_err(|e| JsError::new(&e))?;
        Ok(Playground { session })
    }

    /// Records `n` training steps and returns at once (nothing is read back).
    pub fn step(&mut self, n: usize) {
        self.session.step(n);
    }

    /// Steps completed.
    pub fn steps(&self) -> usize {
        self.session.steps()
    }

    /// Every view is the square [-h, h]²: this h.
    pub fn half_width(&self) -> f32 {
        self.session.half_width()
    }

    /// Real points, x, y pairs.
    pub fn real_points(&self) -> Vec<f32> {
        self.session.real_points().concat()
    }

    /// The means of the mixture, x, y pairs (the modes the metric counts).
    pub fn modes(&self) -> Vec<f32> {
        self.session.mixture().means.concat()
    }

    /// Records the view's computation and returns a Promise of a `View`.
    pub fn view(&mut self, generated: usize, critic_side: usize, manifold_side: usize) -> js_sys::Promise {
        let pending = self.session.view(ViewRequest { generated, critic_side, manifold_side });
        wasm_bindgen_futures::future_to_promise(async move { Ok(View(pending.read().await).into()) })
    }
}

/// What the page draws (see `session::View`).
#[wasm_bindgen]
pub struct View(session::View);

#[wasm_bindgen]
impl View {
    /// G(z) at the fixed view latents, x, y pairs.
    pub fn generated(&self) -> Vec<f32> {
        self.0.generated.clone()
    }

    /// Minus the gradient of G's loss at each generated point, x, y pairs.
    pub fn push(&self) -> Vec<f32> {
        self.0.push.clone()
    }

    /// D's output in [0, 1] on `square_grid(critic_side, half_width)`.
    pub fn critic(&self) -> Vec<f32> {
        self.0.critic.clone()
    }

    /// G's image of `square_grid(manifold_side, 2)`, x, y pairs.
    pub fn manifold(&self) -> Vec<f32> {
        self.0.manifold.clone()
    }

    /// The steps whose losses this view brings.
    pub fn loss_steps(&self) -> Vec<u32> {
        self.0.losses.iter().map(|&(step, _, _)| step as u32).collect()
    }

    pub fn d_losses(&self) -> Vec<f32> {
        self.0.losses.iter().map(|&(_, d, _)| d).collect()
    }

    pub fn g_losses(&self) -> Vec<f32> {
        self.0.losses.iter().map(|&(_, _, g)| g).collect()
    }

    /// Modes with at least one high-quality generated point.
    pub fn modes_covered(&self) -> usize {
        self.0.modes.modes_covered
    }

    /// The fraction of generated points within 3 std of a mode.
    pub fn high_quality_fraction(&self) -> f32 {
        self.0.modes.high_quality_fraction
    }
}
