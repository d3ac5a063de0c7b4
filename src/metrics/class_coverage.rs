//! Class coverage: mode counting for labelled image data. A generator that
//! collapsed onto a few digits draws them over and over; the classifier's
//! predicted classes of its samples show it as a lopsided histogram.
//!
//! Reported, as in the mode-counting protocol of VEEGAN (Srivastava et al.
//! 2017) and PacGAN (Lin et al. 2018): the histogram, the number of classes
//! with at least one sample, and the KL divergence of the histogram's
//! frequencies q to the uniform distribution over K classes,
//! KL(q || U) = sum_c q_c log(K q_c) (0 when every class is equally
//! frequent, log K when only one class appears).

#[derive(Clone, Debug, PartialEq)]
pub struct ClassCoverage {
    /// Samples predicted in each class.
    pub histogram: Vec<usize>,
    /// Classes with at least one sample.
    pub covered: usize,
    /// KL(histogram frequencies || uniform), in nats.
    pub kl_to_uniform: f64,
}

impl ClassCoverage {
    /// The coverage of `classes` classes by these predictions (each < classes).
    pub fn of(predictions: &[usize], classes: usize) -> ClassCoverage {
        let mut histogram = vec![0usize; classes];
        for &class in predictions {
            histogram[class] += 1;
        }
        let total = predictions.len() as f64;
        let kl_to_uniform = histogram
            .iter()
            .filter(|&&count| count > 0)
            .map(|&count| {
                let q = count as f64 / total;
                q * (q * classes as f64).ln()
            })
            .sum();
        let covered = histogram.iter().filter(|&&count| count > 0).count();
        ClassCoverage { histogram, covered, kl_to_uniform }
    }
}
