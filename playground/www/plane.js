// The playground's 2D mode: its controls, its animation loop and its drawings.
// All training happens in ganforge's engine (the `Playground` of pkg/): this
// file records steps, asks for views and draws them.
//
// The loop never waits for the GPU inside a step: `pg.step(n)` records n steps
// and returns; `pg.view(...)` returns a Promise the browser resolves once the
// GPU has computed the view. The next steps are recorded when it arrives, so
// the GPU's queue never runs far ahead of what the page shows.
//
// Its autotest report: the losses, the mode metric at the first and last
// view, the contour segments drawn, and steps/s.

import { default_d_steps, Playground } from "./pkg/ganforge_playground.js";
import { $, autotest, controlsFromAddress, drawLosses, progress, report, showError, StepRate, thinned } from "./page.js";
import { isoLines } from "./contours.js";

// The text panel: each objective with its formula (D(x) = sigmoid(logit) for
// the logistic ones; D is a raw score for the others).
const OBJECTIVES = {
  minimax: ["Minimax (Goodfellow et al., 2014)",
    "D maximises E<sub>x</sub>[log D(x)] + E<sub>z</sub>[log(1 − D(G(z)))]; G minimises E<sub>z</sub>[log(1 − D(G(z)))].",
    "The original game. Early on D rejects G's samples easily, log(1 − D) flattens, and G's gradient vanishes: watch the arrows shrink."],
  ns: ["Non-saturating (Goodfellow et al., 2014)",
    "D as in minimax; G maximises E<sub>z</sub>[log D(G(z))] instead.",
    "Same fixed point, but G's gradient is strong exactly when D rejects its samples. The usual choice."],
  "wgan-gp": ["WGAN-GP (Gulrajani et al., 2017)",
    "The critic maximises E<sub>x</sub>[D(x)] − E<sub>z</sub>[D(G(z))] − λ E<sub>x̂</sub>[(‖∇D(x̂)‖ − 1)²], x̂ on lines between real and generated points; G minimises −E<sub>z</sub>[D(G(z))].",
    "An estimate of the Wasserstein-1 distance: the penalty keeps the critic 1-Lipschitz, so its slope never vanishes. Several critic steps (k) per G step."],
  lsgan: ["Least squares (Mao et al., 2017)",
    "D minimises ½E<sub>x</sub>[(D(x) − 1)²] + ½E<sub>z</sub>[D(G(z))²]; G minimises ½E<sub>z</sub>[(D(G(z)) − 1)²].",
    "Samples on the right side of D's boundary but far from the data are still pulled in (the Pearson χ² divergence)."],
  hinge: ["Hinge (Lim & Ye, 2017; Miyato et al., 2018)",
    "D minimises E<sub>x</sub>[max(0, 1 − D(x))] + E<sub>z</sub>[max(0, 1 + D(G(z)))]; G minimises −E<sub>z</sub>[D(G(z))].",
    "A margin: D stops learning from points it already scores beyond ±1."],
};

const VIEW = { generated: 512, critic_side: 48, manifold_side: 17 };
// The levels of D's output drawn as contour lines; the middle one is D's decision boundary.
const CONTOUR_LEVELS = [0.1, 0.3, 0.5, 0.7, 0.9];
let pg = null;            // the Playground (ganforge's 2D session)
let playing = false;
let drawn = [];           // points the user clicked, data coordinates
let losses = [];          // [step, d, g]
let lastView = null;
let firstMetric = null;
let contourSegments = 0;  // drawn in the last view (the autotest reports it)
let rate = new StepRate();

function setting(id) { return Number($(id).value); }
function dataChoice() { return document.querySelector("input[name=data]:checked").value; }

function rebuild() {
  // wasm objects are freed by hand: the old session's GPU buffers go back to the pool.
  if (pg) pg.free();
  try {
    pg = new Playground(dataChoice(), new Float32Array(drawn.flat()), $("loss").value,
      setting("g_width"), setting("g_layers"), setting("d_width"), setting("d_layers"),
      setting("lr_g"), setting("lr_d"), setting("d_steps"), setting("batch"), setting("seed"));
    showError("");
  } catch (e) {
    pg = null;
    showError(e.message || e);
  }
  losses = [];
  lastView = null;
  firstMetric = null;
  rate = new StepRate();
  showObjective();
}

function showObjective() {
  const [title, formula, note] = OBJECTIVES[$("loss").value];
  $("objective-text").innerHTML = `<h2>${title}</h2><p class="formula">${formula}</p><p>${note}</p>`;
}

// Canvas coordinates of a data point in the square [-h, h]².
function toCanvas(canvas, h, x, y) {
  return [(x + h) / (2 * h) * canvas.width, (h - y) / (2 * h) * canvas.height];
}

function drawData(view) {
  const canvas = $("data-view"), c = canvas.getContext("2d");
  const h = pg.half_width(), side = VIEW.critic_side, critic = view.critic();
  const cell = canvas.width / (side - 1); // grid points sit on both edges
  for (let row = 0; row < side; row++) {
    for (let col = 0; col < side; col++) {
      const v = critic[row * side + col];
      const shade = Math.round(255 - 110 * v);
      c.fillStyle = `rgb(${shade},${shade},255)`;
      c.fillRect((col - 0.5) * cell, (row - 0.5) * cell, cell + 1, cell + 1);
    }
  }
  drawContours(c, critic, side, cell);
  const dots = (points, color, radius) => {
    c.fillStyle = color;
    for (let i = 0; i < points.length; i += 2) {
      const [px, py] = toCanvas(canvas, h, points[i], points[i + 1]);
      c.fillRect(px - radius, py - radius, 2 * radius, 2 * radius);
    }
  };
  dots(pg.real_points(), "#2a2", 1.5);
  const generated = view.generated(), push = view.push();
  let longest = 1e-12;
  for (let i = 0; i < push.length; i += 2) longest = Math.max(longest, Math.hypot(push[i], push[i + 1]));
  c.strokeStyle = "rgba(120,40,160,0.5)";
  c.beginPath();
  for (let i = 0; i < generated.length; i += 2) {
    const [px, py] = toCanvas(canvas, h, generated[i], generated[i + 1]);
    const scale = 18 / longest;
    c.moveTo(px, py);
    c.lineTo(px + push[i] * scale, py - push[i + 1] * scale);
  }
  c.stroke();
  dots(generated, "#82c", 1.5);
  c.strokeStyle = "#000";
  for (let i = 0; i < drawn.length; i++) {
    const [px, py] = toCanvas(canvas, h, drawn[i][0], drawn[i][1]);
    c.strokeRect(px - 3, py - 3, 6, 6);
  }
}

// D's iso-lines over its heat map: grid point (col, row) is at (col, row) * cell on the canvas.
function drawContours(c, critic, side, cell) {
  contourSegments = 0;
  for (const level of CONTOUR_LEVELS) {
    const segments = isoLines(critic, side, level);
    contourSegments += segments.length;
    c.strokeStyle = "rgba(40,40,120,0.7)";
    c.lineWidth = level === 0.5 ? 2 : 0.75;
    c.beginPath();
    for (const [x1, y1, x2, y2] of segments) {
      c.moveTo(x1 * cell, y1 * cell);
      c.lineTo(x2 * cell, y2 * cell);
    }
    c.stroke();
  }
  c.lineWidth = 1;
}

// G's image of the z grid: the grid's lines, bent by G.
function drawManifold(view) {
  const canvas = $("manifold-view"), c = canvas.getContext("2d");
  c.clearRect(0, 0, canvas.width, canvas.height);
  const h = pg.half_width(), side = VIEW.manifold_side, m = view.manifold();
  const at = (row, col) => toCanvas(canvas, h, m[2 * (row * side + col)], m[2 * (row * side + col) + 1]);
  c.strokeStyle = "#82c";
  c.beginPath();
  for (let a = 0; a < side; a++) {
    for (let b = 0; b < side; b++) {
      const [x1, y1] = at(a, b), [x2, y2] = at(b, a);
      if (b === 0) { c.moveTo(x1, y1); } else { c.lineTo(x1, y1); }
      if (b > 0) { const [x0, y0] = at(b - 1, a); c.moveTo(x0, y0); c.lineTo(x2, y2); }
      c.moveTo(...at(a, b));
    }
  }
  c.stroke();
  c.fillStyle = "#2a2";
  const modes = pg.modes();
  for (let i = 0; i < modes.length; i += 2) {
    const [px, py] = toCanvas(canvas, h, modes[i], modes[i + 1]);
    c.fillRect(px - 2, py - 2, 4, 4);
  }
}

function metricOf(view) {
  return { step: pg.steps(), modes_covered: view.modes_covered(), modes: pg.modes().length / 2,
    high_quality: view.high_quality_fraction() };
}

function show(view) {
  const steps = view.loss_steps(), d = view.d_losses(), g = view.g_losses();
  for (let i = 0; i < steps.length; i++) losses.push([steps[i], d[i], g[i]]);
  losses = thinned(losses);
  const metric = metricOf(view);
  if (!firstMetric) firstMetric = metric;
  lastView = metric;
  drawData(view);
  drawManifold(view);
  drawLosses($("loss-view"), losses);
  $("metric").textContent = `modes covered ${metric.modes_covered} / ${metric.modes}, ` +
    `high quality ${(100 * metric.high_quality).toFixed(1)} %`;
}

async function loop(adapter) {
  for (;;) {
    if (pg) {
      const perFrame = setting("per_frame");
      if (playing) {
        trainingStarted ??= performance.now();
        pg.step(perFrame);
      }
      rate.add(playing ? perFrame : 0);
      const view = await pg.view(VIEW.generated, VIEW.critic_side, VIEW.manifold_side);
      show(view);
      view.free();
      $("status").textContent = `${adapter} | step ${pg.steps()} | ${rate.describe(playing, 1)}`;
      progress($("status").textContent);
      if (autotest && pg.steps() >= autotest) { await sendReport(adapter); return; }
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

// Autotest: the views as one PNG, then the state; one loss row per step.
async function sendReport(adapter) {
  await report(["data-view", "manifold-view", "loss-view"], [`adapter ${adapter}`, `steps ${pg.steps()}`,
    `steps_per_second ${pg.steps() / ((performance.now() - trainingStarted) / 1000)}`,
    `first_modes ${firstMetric.step} ${firstMetric.modes_covered} ${firstMetric.high_quality}`,
    `last_modes ${lastView.step} ${lastView.modes_covered} ${lastView.high_quality}`,
    `contour_segments ${contourSegments}`,
    ...losses.map(([step, d, g]) => `loss ${step} ${d} ${g}`)]);
}

// When the first step was recorded (the autotest's steps/s count pipeline compilation in).
let trainingStarted = null;

// Wires the controls and starts training and drawing.
export function startPlane(adapter) {
  for (const id of ["g_width", "g_layers", "d_width", "d_layers", "lr_g", "lr_d", "d_steps", "batch", "seed"]) {
    $(id).addEventListener("change", rebuild);
  }
  for (const radio of document.querySelectorAll("input[name=data]")) radio.addEventListener("change", rebuild);
  $("loss").addEventListener("change", () => { $("d_steps").value = default_d_steps($("loss").value); rebuild(); });
  $("play").addEventListener("click", () => {
    playing = !playing;
    rate = new StepRate();
    $("play").textContent = playing ? "pause" : "play";
  });
  $("step").addEventListener("click", () => pg && pg.step(1));
  $("reset").addEventListener("click", rebuild);
  $("clear").addEventListener("click", () => { drawn = []; rebuild(); });
  $("data-view").addEventListener("click", (e) => {
    if (dataChoice() !== "drawn") return;
    const canvas = $("data-view"), rect = canvas.getBoundingClientRect();
    const h = pg ? pg.half_width() : 1;
    const x = ((e.clientX - rect.left) / rect.width * 2 - 1) * h;
    const y = (1 - (e.clientY - rect.top) / rect.height * 2) * h;
    drawn.push([x, y]);
    rebuild();
  });
  controlsFromAddress();
  rebuild();
  if (autotest) { playing = true; }
  loop(adapter);
}
