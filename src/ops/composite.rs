//! Functions built from other ops rather than kernels of their own: they
//! inherit correct (and twice differentiable) gradients, and the stable
//! formulations live in one place.

use crate::tensor::Tensor;

impl Tensor {
    /// log(sum(exp(x))) over `axes`, computed as m + log(sum(exp(x - m))) with
    /// m the maximum, so no exp overflows. (m is detached: the result does not
    /// depend on it, so its gradient would be zero anyway.)
    pub fn logsumexp(&self, axes: &[isize], keepdim: bool) -> Tensor {
        let m = self.max(axes, true).detach();
        let lse = self.sub(&m).exp().sum(axes, true).log().add(&m);
        if keepdim {
            lse
        } else {
            let shape: Vec<usize> = self.max(axes, false).shape().to_vec();
            lse.reshape(&shape)
        }
    }

    /// Mean binary cross-entropy between sigmoid(self) and `targets` in [0, 1],
    /// from logits: -[y log s(x) + (1 - y) log(1 - s(x))] = softplus(x) - x y,
    /// which never takes the log of a rounded-to-zero probability.
    pub fn bce_with_logits(&self, targets: &Tensor) -> Tensor {
        self.softplus().sub(&self.mul(targets)).mean_all()
    }

    /// Mean squared error.
    pub fn mse(&self, targets: &Tensor) -> Tensor {
        let diff = self.sub(targets);
        diff.mul(&diff).mean_all()
    }
}
