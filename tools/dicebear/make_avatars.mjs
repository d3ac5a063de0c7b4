// Writes DiceBear "Pixel Art" avatars (CC0) and their part label maps as SVG
// pairs, for `ganforge data dicebear` to render into pix2pix's layout.
//
//   npm install && node make_avatars.mjs --count 5000 --out /tmp/avatar-svgs
//
// For each seed avatar-00000, avatar-00001, ... it writes two files:
//   <seed>.image.svg   the avatar as DiceBear draws it, with the colours its
//                      seed picks (skin, hair, clothes, eyes, mouth, hat ...);
//   <seed>.labels.svg  the same drawing with every part filled flat in its
//                      class colour (PARTS below), translucent shading left out: the label
//                      map, whose pixels say which part drew them.
//
// How the parts are found, with DiceBear's public options only: the style
// draws the face, then the parts in a fixed order (PARTS), each part's SVG
// appended after the previous ones. Rendering the avatar with the parts up to
// k allowed (the later ones given no variant to pick) and with the parts up to
// k - 1, the text the first has and the second lacks is part k's drawing.

import { createAvatar } from '@dicebear/core';
import { pixelArt } from '@dicebear/collection';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Class index = position in this list; colours must match PALETTE in
// src/data/avatars.rs. Background (white, class 0) is what no part covers.
// The parts after "face" are in the style's drawing order.
const PARTS = [
  ['background', 'ffffff'],
  ['face', 'ff8c00'],
  ['accessories', 'ffd700'],
  ['clothing', '1e90ff'],
  ['eyes', '000080'],
  ['glasses', '808080'],
  ['beard', '556b2f'],
  ['mouth', 'dc143c'],
  ['hair', '8b4513'],
  ['hat', '9400d3'],
];
const DRAWN_PARTS = PARTS.slice(2).map(([name]) => name);
// The optional parts, drawn with a probability the seed decides.
const OPTIONAL = ['accessories', 'glasses', 'beard', 'hat'];

function argument(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : fallback;
}

const count = Number(argument('count', '400'));
const out = argument('out');
if (!out || !Number.isInteger(count) || count < 1) {
  console.error('usage: node make_avatars.mjs --count N --out DIR (N a whole number, 1 or more)');
  process.exit(1);
}

// The avatar's own choices: which variant of each part, which colours.
// Colours come as "#rrggbb"; the options take "rrggbb".
function resolve(seed) {
  const choices = createAvatar(pixelArt, { seed }).toJson().extra;
  for (const key of Object.keys(choices)) {
    if (key.endsWith('Color')) choices[key] = choices[key].replace(/^#/, '');
  }
  return choices;
}

// The avatar of `choices` with only the first `drawn` parts of DRAWN_PARTS
// allowed, and the skin coloured `skin`. Every choice is given explicitly,
// so the seed's random draws cannot pick anything else.
function drawing(seed, choices, drawn, skin) {
  const options = { seed, skinColor: [skin] };
  DRAWN_PARTS.forEach((part, k) => {
    const present = k < drawn && choices[part] !== undefined;
    options[part] = present ? [choices[part]] : [];
    options[`${part}Color`] = [choices[`${part}Color`] ?? 'transparent'];
    if (OPTIONAL.includes(part)) options[`${part}Probability`] = present ? 100 : 0;
  });
  return createAvatar(pixelArt, options).toString();
}

// The tags `longer` has where `shorter` has not: both share the tags before
// and the tags after the inserted part.
function inserted(shorter, longer) {
  const [a, b] = [shorter, longer].map((svg) => svg.match(/<[^>]*>/g));
  let start = 0;
  while (start < a.length && a[start] === b[start]) start++;
  let end = 0;
  while (end < a.length - start && a.at(-1 - end) === b.at(-1 - end)) end++;
  return b.slice(start, b.length - end).join('');
}

// A part's opaque paths filled flat with `colour` (its white and black details
// too). Translucent paths (fill-opacity) are left out: they shade or tint what
// lies beneath (a lens over an eye stays an eye in the label map).
function flat(svg, colour) {
  const opaque = (svg.match(/<path [^>]*>/g) ?? []).filter((path) => !path.includes('fill-opacity'));
  return opaque.map((path) => path.replace(/fill="[^"]*"/, `fill="#${colour}"`)).join('');
}

// The face is the first path of every drawing (DiceBear's skin shape).
function face(svg) {
  return svg.match(/<path [^>]*>/)[0];
}

mkdirSync(out, { recursive: true });
for (let i = 0; i < count; i++) {
  const seed = `avatar-${String(i).padStart(5, '0')}`;
  const choices = resolve(seed);
  const image = drawing(seed, choices, DRAWN_PARTS.length, choices.skinColor);
  const layers = [flat(face(image), PARTS[1][1])];
  let previous = drawing(seed, choices, 0, choices.skinColor);
  DRAWN_PARTS.forEach((part, k) => {
    const next = drawing(seed, choices, k + 1, choices.skinColor);
    layers.push(flat(inserted(previous, next), PARTS[k + 2][1]));
    previous = next;
  });
  if (previous !== image) throw new Error(`${seed}: the drawing with every part differs from the avatar`);
  const labels =
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16" shape-rendering="crispEdges">' +
    `${layers.join('')}</svg>`;
  writeFileSync(join(out, `${seed}.image.svg`), image);
  writeFileSync(join(out, `${seed}.labels.svg`), labels);
}
console.log(`wrote ${count} avatars (image and labels SVG each) to ${out}`);
