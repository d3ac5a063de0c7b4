//! The playground's MNIST mode: `ganforge::gan::digits_session` (dcgan28 on
//! the digits embedded in the crate, so they ship inside the wasm) made
//! callable from the page. As in the 2D mode, `step` records and returns at
//! once, and `view` returns a Promise of the grid and the losses.

use ganforge::gan::digits_session::{self, DigitsSession, DigitsSettings};
use wasm_bindgen::prelude::*;

/// dcgan28's reference settings (`ganforge train --model dcgan`), for the page's controls.
#[wasm_bindgen]
pub fn digits_defaults() -> Vec<f32> {
    let DigitsSettings { lr_g, lr_d, batch, .. } = DigitsSettings::defaults();
    vec![lr_g, lr_d, batch as f32]
}

/// DCGAN learning the digits.
#[wasm_bindgen]
pub struct Digits {
    session: DigitsSession,
}

#[wasm_bindgen]
impl Digits {
    /// A bad setting throws an error that names it.
    #[wasm_bindgen(constructor)]
    pub fn new(lr_g: f32, lr_d: f32, batch: usize, seed: u32) -> Result<Digits, JsError> {
        let settings = DigitsSettings { lr_g, lr_d, batch, seed: seed.into() };
        let session = DigitsSession::new(&settings).map_err(|e| JsError::new(&e))?;
        Ok(Digits { session })
    }

    /// Records `n` training steps and returns at once (nothing is read back).
    pub fn step(&mut self, n: usize) {
        self.session.step(n);
    }

    /// Steps completed.
    pub fn steps(&self) -> usize {
        self.session.steps()
    }

    /// Records the view's computation and returns a Promise of a `DigitsView`.
    pub fn view(&mut self) -> js_sys::Promise {
        let pending = self.session.view();
        wasm_bindgen_futures::future_to_promise(async move { Ok(DigitsView::from(pending.read().await).into()) })
    }
}

/// What the page draws (see `digits_session::DigitsView`), with the grid
/// as the RGBA bytes of an ImageData.
#[wasm_bindgen]
pub struct DigitsView {
    view: digits_session::DigitsView,
    grid_rgba: Vec<u8>,
    grid_width: u32,
    grid_height: u32,
}

impl From<digits_session::DigitsView> for DigitsView {
    fn from(view: digits_session::DigitsView) -> DigitsView {
        let grid = view.grid();
        let grid_rgba = grid.pixels().flat_map(|pixel| [pixel[0], pixel[1], pixel[2], 255]).collect();
        DigitsView { grid_rgba, grid_width: grid.width(), grid_height: grid.height(), view }
    }
}

#[wasm_bindgen]
impl DigitsView {
    /// The grid of samples as RGBA bytes, row by row.
    pub fn grid_rgba(&self) -> Vec<u8> {
        self.grid_rgba.clone()
    }

    pub fn grid_width(&self) -> u32 {
        self.grid_width
    }

    pub fn grid_height(&self) -> u32 {
        self.grid_height
    }

    /// The mean and standard deviation of the grid's pixel values in [-1, 1].
    pub fn grid_mean_std(&self) -> Vec<f32> {
        let (mean, std) = self.view.mean_and_std();
        vec![mean, std]
    }

    /// The steps whose losses this view brings.
    pub fn loss_steps(&self) -> Vec<u32> {
        self.view.losses.iter().map(|&(step, _, _)| step as u32).collect()
    }

    pub fn d_losses(&self) -> Vec<f32> {
        self.view.losses.iter().map(|&(_, d, _)| d).collect()
    }

    pub fn g_losses(&self) -> Vec<f32> {
        self.view.losses.iter().map(|&(_, _, g)| g).collect()
    }
}
