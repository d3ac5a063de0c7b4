//! RMSprop (Tieleman & Hinton 2012), the optimiser of the WGAN paper (lr 5e-5):
//! s = alpha * s + (1 - alpha) * g^2; p -= lr * g / (sqrt(s) + eps), with
//! g = grad + weight_decay * p. Dividing by the running root mean square makes
//! the step size independent of the gradient's scale.

use super::kernel::launch;
use super::unrolled::{check_lengths, constants, decayed, UnrolledOptimizer, SQRT_FLOOR};
use super::{named_state, slot_parameters, slots, Optimizer, Slot};
use crate::checkpoint::Stateful;
use crate::tensor::Tensor;

pub struct RmsProp {
    slots: Vec<Slot>, // state: [square_avg]
    lr: f32,
    alpha: f32,
    eps: f32,
    weight_decay: f32,
}

impl RmsProp {
    /// PyTorch's defaults: alpha 0.99, eps 1e-8, no weight decay.
    pub fn new(parameters: Vec<Tensor>, lr: f32) -> RmsProp {
        assert!(lr >= 0.0, "RmsProp: learning rate {lr} is negative");
        RmsProp { slots: slots("RmsProp", parameters, 1), lr, alpha: 0.99, eps: 1e-8, weight_decay: 0.0 }
    }

    /// The decay of the running average of squared gradients.
    pub fn alpha(mut self, alpha: f32) -> RmsProp {
        assert!((0.0..1.0).contains(&alpha), "RmsProp: alpha {alpha} is outside [0, 1)");
        self.alpha = alpha;
        self
    }

    pub fn eps(mut self, eps: f32) -> RmsProp {
        assert!(eps > 0.0, "RmsProp: eps {eps} must be positive");
        self.eps = eps;
        self
    }

    /// L2 penalty: weight_decay * p is added to the gradient.
    pub fn weight_decay(mut self, weight_decay: f32) -> RmsProp {
        assert!(weight_decay >= 0.0, "RmsProp: weight decay {weight_decay} is negative");
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for RmsProp {
    fn step(&mut self) {
        for slot in &self.slots {
            let Some(grad) = slot.param.grad() else { continue };
            let scalars = [self.lr, self.alpha, self.eps, self.weight_decay];
            launch("rmsprop", &scalars, &[&slot.param, &grad, &slot.state[0]]);
        }
    }

    fn parameters(&self) -> Vec<Tensor> {
        slot_parameters(&self.slots)
    }

    fn learning_rate(&self) -> f32 {
        self.lr
    }

    fn set_learning_rate(&mut self, lr: f32) {
        self.lr = lr;
    }

    fn unrolled(&self) -> Box<dyn UnrolledOptimizer + '_> {
        Box::new(UnrolledRmsProp { rmsprop: self, square_avg: constants(self.slots.iter().map(|slot| &slot.state[0])) })
    }
}

/// The kernel's rule as tensor ops, on its own copy of the running averages.
struct UnrolledRmsProp<'a> {
    rmsprop: &'a RmsProp,
    square_avg: Vec<Tensor>,
}

impl UnrolledOptimizer for UnrolledRmsProp<'_> {
    fn step(&mut self, parameters: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        let rmsprop = self.rmsprop;
        check_lengths("RmsProp", self.square_avg.len(), parameters, grads);
        let mut updated = Vec::with_capacity(parameters.len());
        for (i, (p, grad)) in parameters.iter().zip(grads).enumerate() {
            let g = decayed(grad, p, rmsprop.weight_decay);
            let s = self.square_avg[i].mul_scalar(rmsprop.alpha).add(&g.mul(&g).mul_scalar(1.0 - rmsprop.alpha));
            let denominator = s.add_scalar(SQRT_FLOOR).sqrt().add_scalar(rmsprop.eps);
            updated.push(p.sub(&g.div(&denominator).mul_scalar(rmsprop.lr)));
            self.square_avg[i] = s;
        }
        updated
    }
}

impl Stateful for RmsProp {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        named_state(&self.slots, &["square_avg"])
    }
}
