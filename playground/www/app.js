// The GAN Playground's entry point: loads ganforge's engine (pkg/, compiled
// from the crate's src/ to wasm32), opens the browser's WebGPU, and starts the
// mode the address names: the 2D mode (plane.js), or `?mode=digits`, the
// MNIST mode (digits.js). Only the chosen mode's panels are shown.

import init, { open_gpu } from "./pkg/ganforge_playground.js";
import { $, autotest, params, showError } from "./page.js";
import { startPlane } from "./plane.js";
import { startDigits } from "./digits.js";

async function main() {
  const digits = params.get("mode") === "digits";
  $(digits ? "digits-mode" : "plane-mode").hidden = false;
  $(digits ? "tab-digits" : "tab-plane").classList.add("chosen");
  if (!navigator.gpu) {
    showError("This browser has no WebGPU (navigator.gpu is missing): use Chrome or Edge 113+, or enable WebGPU in your browser's settings.");
    return;
  }
  await init();
  const adapter = await open_gpu();
  if (autotest) fetch("/progress", { method: "POST", body: `engine loaded, GPU: ${adapter}` });
  if (digits) { startDigits(adapter); } else { startPlane(adapter); }
}

main().catch((e) => { console.error(e.message || String(e)); });
