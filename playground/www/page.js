// What both modes of the playground share: the error display, the loss
// curves, and the autotest's messages to the server that serves the page.
//
// `?autotest=N` (used by tests/playground.rs): the mode plays from its
// settings until N steps, then POSTs a picture of its views to /screenshot and
// its state to /report as "key values" lines; /progress gets a line now and then.

export const $ = (id) => document.getElementById(id);
export const params = new URLSearchParams(location.search);
export const autotest = Number(params.get("autotest") || 0);

// Everything written to the console as an error, and every uncaught error, is kept for the report.
export const errors = [];
const consoleError = console.error.bind(console);
console.error = (...args) => { errors.push(args.join(" ")); consoleError(...args); showError(args.join(" ")); };
addEventListener("error", (e) => { errors.push(String(e.message)); showError(e.message); });
addEventListener("unhandledrejection", (e) => { errors.push(String(e.reason)); showError(e.reason); });

export function showError(message) {
  $("error").textContent = String(message);
  // The autotest reports an error at once: the test fails with it instead of waiting.
  if (autotest && message) fetch("/report", { method: "POST", body: `error ${String(message).replace(/\n/g, " ")}` });
}

// Sets each control named in the address to its value: ?lr_g=0.001&seed=3 (the test sets them all).
export function controlsFromAddress() {
  for (const [id, value] of params) {
    if ($(id) && "value" in $(id)) $(id).value = value;
  }
}

// The D and G loss curves of `losses` ([step, d, g] rows) on `canvas`.
export function drawLosses(canvas, losses) {
  const c = canvas.getContext("2d");
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

// Keeps a loss history from growing without end: every other row goes past 4,000.
export function thinned(losses) {
  return losses.length > 4000 ? losses.filter((_, i) => i % 2 === 0) : losses;
}

// Steps per second, measured over windows of at least a second and at least
// one step (a DCGAN step on a software GPU takes many seconds).
export class StepRate {
  constructor() { this.steps = 0; this.since = performance.now(); this.perSecond = 0; }
  add(steps) {
    this.steps += steps;
    const seconds = (performance.now() - this.since) / 1000;
    if (seconds > 1 && this.steps > 0) { this.perSecond = this.steps / seconds; this.steps = 0; this.since = performance.now(); }
  }
  // The status line's rate: "paused" when not training.
  describe(playing, decimals) { return playing ? `${this.perSecond.toFixed(decimals)} steps/s` : "paused"; }
}

// Autotest: tells the server how far the page is, at most every 5 s.
let lastProgress = 0;
export function progress(line) {
  if (!autotest || performance.now() - lastProgress < 5000) return;
  lastProgress = performance.now();
  fetch("/progress", { method: "POST", body: line });
}

// Autotest: the canvases with these ids side by side as one PNG, then the report lines.
export async function report(canvasIds, lines) {
  const views = canvasIds.map($);
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
  const all = [...lines, ...errors.map((e) => `error ${e.replace(/\n/g, " ")}`)];
  $("report").textContent = all.join("\n");
  await fetch("/report", { method: "POST", body: all.join("\n") });
}
