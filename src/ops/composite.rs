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

impl Tensor {
    /// The principal branch of Lambert's W for x >= 0: the w with w e^w = x.
    /// (The f-GAN conjugate of Jeffrey's divergence needs it.)
    ///
    /// Forward: Halley's iteration from w = log(1 + x), which converges
    /// cubically; six steps reach f32 precision for any x >= 0. The iterations
    /// are not recorded: the gradient comes from the identity
    /// W'(x) = W / (x (1 + W)) = 1 / (e^W (1 + W)), which is written with
    /// differentiable ops and so can be differentiated again.
    pub fn lambert_w(&self) -> Tensor {
        let w = crate::autograd::no_grad(|| {
            let mut w = self.add_scalar(1.0).log();
            for _ in 0..6 {
                let ew = w.exp();
                let residual = w.mul(&ew).sub(self); // w e^w - x
                let w1 = w.add_scalar(1.0);
                let slope = ew.mul(&w1).sub(&w.add_scalar(2.0).mul(&residual).div(&w1.mul_scalar(2.0)));
                w = w.sub(&residual.div(&slope));
            }
            w
        });
        Tensor::with_node(w.shared_storage(), self.shape().to_vec(), "lambert_w", &[self], |_, w, g| {
            vec![Some(g.div(&w.exp().mul(&w.add_scalar(1.0))))]
        })
    }
}

impl Tensor {
    /// log W(e^y) for any real y: the s with s + e^s = y (w = e^s solves
    /// w e^w = e^y). Lambert's W of e^y itself overflows f32 once y > 88;
    /// in log space it never does. (Jeffrey's f-GAN conjugate needs it.)
    ///
    /// Forward: Newton's iteration on s + e^s - y, which is increasing and
    /// convex, from s = log(softplus(y)) (exact in both tails: s ~ y for
    /// y -> -inf, s ~ log y for y -> inf; y is clamped at -80 there so the
    /// start stays finite, and the first step then lands on s = y). Eight
    /// steps reach f32 precision. The gradient comes from
    /// ds/dy = 1 / (1 + e^s) = sigmoid(-s), written with differentiable ops
    /// so it can be differentiated again.
    pub fn log_lambert_w_of_exp(&self) -> Tensor {
        let s = crate::autograd::no_grad(|| {
            let mut s = self.clamp(-80.0, f32::MAX).softplus().log();
            for _ in 0..8 {
                let es = s.exp();
                s = s.sub(&s.add(&es).sub(self).div(&es.add_scalar(1.0)));
            }
            s
        });
        Tensor::with_node(s.shared_storage(), self.shape().to_vec(), "log_lambert_w_of_exp", &[self], |_, s, g| {
            vec![Some(g.mul(&s.neg().sigmoid()))]
        })
    }

    /// log softmax over `axis`: x - log(sum(exp(x))), through the stable
    /// `logsumexp`, so a large logit never overflows.
    pub fn log_softmax(&self, axis: isize) -> Tensor {
        self.sub(&self.logsumexp(&[axis], true))
    }

    /// Mean cross-entropy of logits [N, K] against class indices:
    /// -(1/N) sum_i log softmax(x_i)[y_i]. The indices become a one-hot mask
    /// [N, K] that picks each row's log-probability, so the gradient is the
    /// familiar (softmax(x) - onehot(y)) / N.
    pub fn cross_entropy(&self, labels: &[usize]) -> Tensor {
        let (rows, classes) = match self.shape() {
            &[rows, classes] => (rows, classes),
            shape => panic!("cross_entropy: logits must be [N, K], got {shape:?}"),
        };
        assert_eq!(labels.len(), rows, "cross_entropy: {rows} rows of logits but {} labels", labels.len());
        let mut one_hot = vec![0.0; rows * classes];
        for (row, &label) in labels.iter().enumerate() {
            assert!(label < classes, "cross_entropy: label {label} is out of range for {classes} classes");
            one_hot[row * classes + label] = 1.0;
        }
        let one_hot = Tensor::from_vec(one_hot, &[rows, classes]);
        self.log_softmax(-1).mul(&one_hot).sum_all().div_scalar(-(rows as f32))
    }
}
