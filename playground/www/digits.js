// The playground's MNIST mode: DCGAN (the crate's dcgan28) learning the
// digits embedded in the wasm. All training happens in ganforge's engine (the
// `Digits` of pkg/): this file records steps, asks for views and draws them.
//
// As in the 2D mode, nothing waits for the GPU inside a step: `digits.step(n)`
// records n steps and returns; `digits.view()` returns a Promise of the grid of
// samples at fixed latents and the losses of the steps since the last view,
// read back in one read. A paused session asks for no views.
//
// Its autotest report: the losses, the grid's pixel mean and standard
// deviation at the first (untrained) and last view, and steps/s.

import { Digits, digits_defaults } from "./pkg/ganforge_playground.js";
import { $, autotest, controlsFromAddress, drawLosses, progress, report, showError, StepRate, thinned } from "./page.js";

let digits = null;        // the Digits session
let playing = false;
let pending = 0;          // steps recorded since the last view
let losses = [];          // [step, d, g]
let firstGrid = null;     // [step, mean, std] of the first view, and of the last
let lastGrid = null;
let rate = new StepRate();
let trainingStarted = null;

function setting(id) { return Number($(id).value); }

function rebuild() {
  // wasm objects are freed by hand: the old session's GPU buffers go back to the pool.
  if (digits) digits.free();
  try {
    digits = new Digits(setting("digits_lr_g"), setting("digits_lr_d"), setting("digits_batch"), setting("digits_seed"));
    showError("");
  } catch (e) {
    digits = null;
    showError(e.message || e);
  }
  losses = [];
  firstGrid = lastGrid = null;
  rate = new StepRate();
  pending = 1; // the untrained grid is drawn at once
}

function record(n) {
  if (!digits) return;
  digits.step(n);
  pending += n;
}

// Draws a view; returns how many steps' results it brought.
function show(view) {
  const steps = view.loss_steps(), d = view.d_losses(), g = view.g_losses();
  for (let i = 0; i < steps.length; i++) losses.push([steps[i], d[i], g[i]]);
  losses = thinned(losses);
  const [mean, std] = view.grid_mean_std();
  lastGrid = [digits.steps(), mean, std];
  firstGrid ??= lastGrid;
  // The grid at its size on a scratch canvas, then scaled up (pixelated) on the page's.
  const width = view.grid_width(), height = view.grid_height();
  const scratch = new OffscreenCanvas(width, height);
  scratch.getContext("2d").putImageData(new ImageData(new Uint8ClampedArray(view.grid_rgba()), width, height), 0, 0);
  const canvas = $("digits-grid"), c = canvas.getContext("2d");
  c.imageSmoothingEnabled = false;
  c.drawImage(scratch, 0, 0, canvas.width, canvas.height);
  drawLosses($("digits-loss"), losses);
  return steps.length;
}

async function loop(adapter) {
  for (;;) {
    if (digits) {
      const perFrame = setting("digits_per_frame");
      // Training waits until the untrained grid has been drawn (once after each reset).
      const training = playing && lastGrid !== null;
      if (training) {
        trainingStarted ??= performance.now();
        record(perFrame);
      }
      // Steps count when their results arrive: a step takes many frames on a slow GPU.
      let done = 0;
      if (pending > 0) {
        pending = 0;
        const view = await digits.view();
        done = show(view);
        view.free();
      }
      rate.add(done);
      $("status").textContent = `${adapter} | step ${digits.steps()} | ${rate.describe(playing, 2)}`;
      progress($("status").textContent);
      if (autotest && digits.steps() >= autotest) { await sendReport(adapter); return; }
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

// Autotest: the grid and the loss curves as one PNG, then the state; one loss row per step.
async function sendReport(adapter) {
  await report(["digits-grid", "digits-loss"], [`adapter ${adapter}`, `steps ${digits.steps()}`,
    `steps_per_second ${digits.steps() / ((performance.now() - trainingStarted) / 1000)}`,
    `first_grid ${firstGrid.join(" ")}`, `last_grid ${lastGrid.join(" ")}`,
    ...losses.map(([step, d, g]) => `loss ${step} ${d} ${g}`)]);
}

// Wires the controls (set to dcgan28's reference settings) and starts training and drawing.
export function startDigits(adapter) {
  const [lr_g, lr_d, batch] = digits_defaults();
  // f32 to a short decimal: 2e-4, not 0.00019999999494757503.
  $("digits_lr_g").value = Number(lr_g.toPrecision(6));
  $("digits_lr_d").value = Number(lr_d.toPrecision(6));
  $("digits_batch").value = batch;
  for (const id of ["digits_lr_g", "digits_lr_d", "digits_batch", "digits_seed"]) $(id).addEventListener("change", rebuild);
  $("digits_play").addEventListener("click", () => {
    playing = !playing;
    rate = new StepRate();
    $("digits_play").textContent = playing ? "pause" : "play";
  });
  $("digits_step").addEventListener("click", () => record(1));
  $("digits_reset").addEventListener("click", rebuild);
  controlsFromAddress();
  rebuild();
  if (autotest) { playing = true; }
  loop(adapter);
}
