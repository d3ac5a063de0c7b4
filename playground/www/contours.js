// Iso-lines of a field sampled on a square grid, by marching squares.
//
// Each cell of four neighbouring samples is crossed by the line of a level
// wherever the level lies between two corners joined by an edge; the crossing
// point on that edge is found by linear interpolation. A cell has 0, 2 or 4
// such crossings: two make one segment, four (a saddle: opposite corners on
// the same side) make two, joined as the value at the cell's centre says.

// `values`: side x side samples, row by row. Returns the line segments
// [x1, y1, x2, y2] in grid units (x = column, y = row).
export function isoLines(values, side, level) {
  const segments = [];
  for (let row = 0; row + 1 < side; row++) {
    for (let col = 0; col + 1 < side; col++) {
      // Corners clockwise from the top left; edge i joins corner i to corner i + 1.
      const corners = [[col, row], [col + 1, row], [col + 1, row + 1], [col, row + 1]];
      const v = corners.map(([x, y]) => values[y * side + x]);
      const crossings = [];
      for (let i = 0; i < 4; i++) {
        const j = (i + 1) % 4;
        if ((v[i] < level) !== (v[j] < level)) {
          const t = (level - v[i]) / (v[j] - v[i]);
          crossings.push([corners[i][0] + t * (corners[j][0] - corners[i][0]),
            corners[i][1] + t * (corners[j][1] - corners[i][1])]);
        }
      }
      if (crossings.length === 2) {
        segments.push([...crossings[0], ...crossings[1]]);
      } else if (crossings.length === 4) {
        // Corners 0 and 2 lie on one side, 1 and 3 on the other. If the centre
        // lies with 0 and 2, they connect and the lines cut off corners 1 and 3.
        const centre = (v[0] + v[1] + v[2] + v[3]) / 4;
        const [e0, e1, e2, e3] = crossings;
        if ((centre < level) === (v[0] < level)) {
          segments.push([...e0, ...e1], [...e2, ...e3]);
        } else {
          segments.push([...e3, ...e0], [...e1, ...e2]);
        }
      }
    }
  }
  return segments;
}
