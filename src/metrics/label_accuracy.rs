//! Label accuracy of a conditional generator: asked for class r, does it draw
//! something the classifier calls r? (The cGAN check of Mirza and Osindero's
//! MNIST experiment, and what "classification accuracy score"-style checks
//! measure.) Reported overall and for each asked class, so a generator that
//! ignores one label shows it.
//!
//! On real data with its true labels the same number is the classifier's own
//! accuracy: the ceiling a generator's accuracy is read against.

#[derive(Clone, Debug, PartialEq)]
pub struct LabelAccuracy {
    /// Fraction of all images classified as the label they were drawn for.
    pub overall: f64,
    /// The same fraction among the images of each asked class (0 for a class
    /// that was never asked for).
    pub per_class: Vec<f64>,
}

impl LabelAccuracy {
    /// Accuracy of `predicted` classes against the `asked` labels (same
    /// length, every label < classes).
    pub fn of(predicted: &[usize], asked: &[usize], classes: usize) -> LabelAccuracy {
        assert_eq!(predicted.len(), asked.len(), "label accuracy: one prediction per asked label");
        let (mut hits, mut asks) = (vec![0usize; classes], vec![0usize; classes]);
        for (&got, &want) in predicted.iter().zip(asked) {
            asks[want] += 1;
            hits[want] += usize::from(got == want);
        }
        let fraction = |hit: usize, total: usize| if total == 0 { 0.0 } else { hit as f64 / total as f64 };
        LabelAccuracy {
            overall: fraction(hits.iter().sum(), asked.len()),
            per_class: hits.iter().zip(&asks).map(|(&h, &a)| fraction(h, a)).collect(),
        }
    }
}
