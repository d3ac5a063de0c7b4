//! Concepts of MNIST digits as per-pixel masks: the segmentation that GAN
//! dissection matches a generator's units against.
//!
//! Bau et al. segment scenes into trees, doors and sky with a trained
//! segmentation network. A digit's parts can be read off the picture itself:
//! its ink, the holes its strokes enclose, the upper and lower halves of the
//! ink, and, with the evaluation classifier's label, "the ink of a 3". Images
//! are 28x28 in [-1, 1] (a tanh generator's range), row-major; a mask is one
//! bool per pixel.

/// Side of the images the concepts are computed on.
pub const SIDE: usize = 28;
/// Pixels in one image.
pub const PIXELS: usize = SIDE * SIDE;

/// What a concept's effect is measured by when units are switched off or on.
#[derive(Clone, Copy, Debug)]
pub enum ConceptKind {
    /// A region read off each picture by this function: its mean area in pixels.
    Region(fn(&[f32]) -> Vec<bool>),
    /// The ink of the images the classifier calls class k: the mean probability of k.
    Class(usize),
}

/// A named concept over a set of N images: one mask of N * 784 pixels.
pub struct Concept {
    pub name: String,
    pub kind: ConceptKind,
    pub mask: Vec<bool>,
}

/// Ink: pixels brighter than mid-grey, x > 0.
pub fn stroke(image: &[f32]) -> Vec<bool> {
    image.iter().map(|&x| x > 0.0).collect()
}

/// Holes: background pixels that no path of background pixels (stepping up,
/// down, left or right) joins to the border, found by flood-filling the
/// background from the border. The loops of 0, 6, 8, 9 and closed 4s. The
/// background moves in four directions so that ink touching only at a
/// corner still closes a loop, as it does to the eye.
pub fn holes(image: &[f32]) -> Vec<bool> {
    let ink = stroke(image);
    let mut outside = vec![false; PIXELS];
    let mut stack: Vec<(usize, usize)> = (0..SIDE)
        .flat_map(|i| [(0, i), (SIDE - 1, i), (i, 0), (i, SIDE - 1)])
        .filter(|&(row, col)| !ink[row * SIDE + col])
        .collect();
    while let Some((row, col)) = stack.pop() {
        let at = row * SIDE + col;
        if outside[at] || ink[at] {
            continue;
        }
        outside[at] = true;
        let neighbours = [(row.wrapping_sub(1), col), (row + 1, col), (row, col.wrapping_sub(1)), (row, col + 1)];
        stack.extend(neighbours.into_iter().filter(|&(r, c)| r < SIDE && c < SIDE));
    }
    (0..PIXELS).map(|at| !ink[at] && !outside[at]).collect()
}

/// The ink above the ink's mean row (the loop of a 9, not its tail).
pub fn upper_ink(image: &[f32]) -> Vec<bool> {
    ink_beside_centre(image, true)
}

/// The ink on or below the ink's mean row.
pub fn lower_ink(image: &[f32]) -> Vec<bool> {
    ink_beside_centre(image, false)
}

fn ink_beside_centre(image: &[f32], above: bool) -> Vec<bool> {
    let ink = stroke(image);
    let rows: Vec<usize> = (0..PIXELS).filter(|&at| ink[at]).map(|at| at / SIDE).collect();
    let centre = rows.iter().sum::<usize>() as f32 / rows.len().max(1) as f32;
    (0..PIXELS).map(|at| ink[at] && (((at / SIDE) as f32) < centre) == above).collect()
}

/// The concepts of images [N * 784] in [-1, 1] whose predicted classes are
/// `predicted`: stroke, hole, upper ink, lower ink, then "class k" for each
/// of the `classes` classes (the ink of the images predicted k, nothing of the others).
pub fn mnist_concepts(images: &[f32], predicted: &[usize], classes: usize) -> Vec<Concept> {
    let region = |name: &str, of: fn(&[f32]) -> Vec<bool>| Concept {
        name: name.into(),
        kind: ConceptKind::Region(of),
        mask: images.chunks(PIXELS).flat_map(of).collect(),
    };
    let mut concepts = vec![
        region("stroke", stroke),
        region("hole", holes),
        region("upper ink", upper_ink),
        region("lower ink", lower_ink),
    ];
    let ink = &concepts[0].mask;
    let class_concepts: Vec<Concept> = (0..classes)
        .map(|k| Concept {
            name: format!("class {k}"),
            kind: ConceptKind::Class(k),
            mask: ink.iter().enumerate().map(|(at, &inked)| inked && predicted[at / PIXELS] == k).collect(),
        })
        .collect();
    concepts.extend(class_concepts);
    concepts
}
