// The GAN Playground's page logic: controls, the animation loop, the drawings.
// All training happens in ganforge's engine (pkg/, compiled from the crate's
// src/ to wasm32): this file records steps, asks for views and draws them.
//
// The loop never waits for the GPU inside a step: `pg.step(n)` records n steps
// and returns; `pg.view(...)` returns a Promise the browser resolves once the
// GPU has computed the view. The next steps are recorded when it arrives, so
// the GPU's queue never runs far ahead of what the page shows.
//
// `?autotest=N` (used by tests/playground.rs): play from the default settings
// until N steps, then POST a picture of the views to /screenshot and the
// state (losses, mode metric at the first and last view, console errors,
// steps/s) to /report as "key values" lines.

import init, { open_gpu, default_d_steps, Playground } from "./pkg/ganforge_playground.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const autotest = Number(params.get("autotest") || 0);

// Everything written to the console as an error, and every uncaught error, is kept for the report.
const errors = [];
const consoleError = console.error.bind(console);
console.error = (...args) => { errors.push(args.join(" ")); consoleError(...args); showError(args.join(" ")); };
addEventListener("error", (e) => { errors.push(String(e.message)); showError(e.message); });
addEventListener("unhandledrejection", (e) => { errors.push(String(e.reason)); showError(e.reason); });
function showError(message) {
  $("error").textContent = String(message);
  // The autotest reports an error at once: the test fails with it instead of waiting.
  if (autotest && message) fetch("/report", { method: "POST", body: `error ${String(message).replace(/\n/g, " ")}` });
}

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
let pg = null;            // the Playground (ganforge's 2D session)
let playing = false;
let drawn = [];           // points the user clicked, data coordinates
let losses = [];          // [step, d, g]
let lastView = null;
let firstMetric = null;
let rate = { steps: 0, since: performance.now(), perSecond: 0 };

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
  rate = { steps: 0, since: performance.now(), perSecond: 0 };
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

function drawLosses() {
  const canvas = $("loss-view"), c = canvas.getContext("2d");
  c.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const values = losses.flatMap(([, d, g]) => [d, g]).filter(Number.isFinite);
  const low = Math.min(...values), high = Math.max(...values), span = high - low || 1;
  const first = losses[0][0], last = losses[losses.length - 1][0];
  for (const [column, color] of [[1, "#c33"], [2, "#36c"]]) {
    c.strokeStyle = color;
    c.beginPath();
    losses.forEach((row, i) => {
      const x = (row[0] - first) / (last - first || 1) * canvas.width;
      const y = canvas.height - (row[column] - low) / span * (canvas.height - 4) - 2;
      if (i === 0) { c.moveTo(x, y); } else { c.lineTo(x, y); }
    });
    c.stroke();
  }
  c.fillStyle = "#555";
  c.fillText(high.toFixed(3), 2, 10);
  c.fillText(low.toFixed(3), 2, canvas.height - 3);
}

function metricOf(view) {
  return { step: pg.steps(), modes_covered: view.modes_covered(), modes: pg.modes().length / 2,
    high_quality: view.high_quality_fraction() };
}

function show(view) {
  const steps = view.loss_steps(), d = view.d_losses(), g = view.g_losses();
  for (let i = 0; i < steps.length; i++) losses.push([steps[i], d[i], g[i]]);
  if (losses.length > 4000) losses = losses.filter((_, i) => i % 2 === 0);
  const metric = metricOf(view);
  if (!firstMetric) firstMetric = metric;
  lastView = metric;
  drawData(view);
  drawManifold(view);
  drawLosses();
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
        rate.steps += perFrame;
      }
      const view = await pg.view(VIEW.generated, VIEW.critic_side, VIEW.manifold_side);
      show(view);
      view.free();
      const seconds = (performance.now() - rate.since) / 1000;
      if (seconds > 1) { rate.perSecond = rate.steps / seconds; rate = { steps: 0, since: performance.now(), perSecond: rate.perSecond }; }
      $("status").textContent = `${adapter} | step ${pg.steps()} | ${rate.perSecond.toFixed(1)} steps/s`;
      if (autotest && performance.now() - lastProgress > 5000) {
        lastProgress = performance.now();
        fetch("/progress", { method: "POST", body: $("status").textContent });
      }
      if (autotest && pg.steps() >= autotest) { await report(adapter); return; }
    }
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
}

// Autotest: the views as one PNG, then the state as JSON.
async function report(adapter) {
  const views = ["data-view", "manifold-view", "loss-view"].map($);
  const sheet = document.createElement("canvas");
  sheet.width = views.reduce((w, v) => w + v.width + 10, 0);
  sheet.height = Math.max(...views.map((v) => v.height));
  const c = sheet.getContext("2d");
  c.fillStyle = "#fff";
  c.fillRect(0, 0, sheet.width, sheet.height);
  let x = 0;
  for (const v of views) { c.drawImage(v, x, 0); x += v.width + 10; }
  const png = await new Promise((resolve) => sheet.toBlob(resolve, "image/png"));
  await fetch("/screenshot", { method: "POST", body: png });
  // Plain "key values" lines, one loss row per step: easy to read in any language.
  const lines = [`adapter ${adapter}`, `steps ${pg.steps()}`, `steps_per_second ${autotestRate()}`,
    `first_modes ${firstMetric.step} ${firstMetric.modes_covered} ${firstMetric.high_quality}`,
    `last_modes ${lastView.step} ${lastView.modes_covered} ${lastView.high_quality}`,
    ...errors.map((e) => `error ${e.replace(/\n/g, " ")}`),
    ...losses.map(([step, d, g]) => `loss ${step} ${d} ${g}`)];
  $("report").textContent = lines.join("\n");
  await fetch("/report", { method: "POST", body: lines.join("\n") });
}

// When the autotest last told its server how far it is.
let lastProgress = 0;

// Steps per second since the first step was recorded (pipeline compilation included).
let trainingStarted = null;
function autotestRate() { return pg.steps() / ((performance.now() - trainingStarted) / 1000); }

async function main() {
  if (!navigator.gpu) {
    showError("This browser has no WebGPU (navigator.gpu is missing): use Chrome or Edge 113+, or enable WebGPU in your browser's settings.");
    return;
  }
  await init();
  const adapter = await open_gpu();
  if (autotest) fetch("/progress", { method: "POST", body: `engine loaded, GPU: ${adapter}` });
  for (const id of ["g_width", "g_layers", "d_width", "d_layers", "lr_g", "lr_d", "d_steps", "batch", "seed"]) {
    $(id).addEventListener("change", rebuild);
  }
  for (const radio of document.querySelectorAll("input[name=data]")) radio.addEventListener("change", rebuild);
  $("loss").addEventListener("change", () => { $("d_steps").value = default_d_steps($("loss").value); rebuild(); });
  $("play").addEventListener("click", () => { playing = !playing; $("play").textContent = playing ? "pause" : "play"; });
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
  // Any control may be set from the address: ?lr_g=0.001&seed=3 (the test sets them all).
  for (const [id, value] of params) {
    if ($(id) && $(id).tagName !== "DIV") $(id).value = value;
  }
  rebuild();
  if (autotest) { playing = true; }
  loop(adapter);
}

main().catch((e) => { console.error(e.message || String(e)); });
