//! Stochastic gradient descent with momentum, the optimiser of the original
//! GAN paper (Goodfellow et al. 2014): v = momentum * v + g; p -= lr * v
//! (PyTorch's form), with g = grad + weight_decay * p.

use super::kernel::launch;
use super::unrolled::{check_lengths, constants, decayed, UnrolledOptimizer};
use super::{named_state, slot_parameters, slots, Optimizer, Slot};
use crate::checkpoint::Stateful;
use crate::tensor::Tensor;

pub struct Sgd {
    slots: Vec<Slot>, // state: [velocity]
    lr: f32,
    momentum: f32,
    weight_decay: f32,
}

impl Sgd {
    /// Plain gradient descent (no momentum, no weight decay).
    pub fn new(parameters: Vec<Tensor>, lr: f32) -> Sgd {
        assert!(lr >= 0.0, "Sgd: learning rate {lr} is negative");
        Sgd { slots: slots("Sgd", parameters, 1), lr, momentum: 0.0, weight_decay: 0.0 }
    }

    pub fn momentum(mut self, momentum: f32) -> Sgd {
        assert!((0.0..1.0).contains(&momentum), "Sgd: momentum {momentum} is outside [0, 1)");
        self.momentum = momentum;
        self
    }

    /// L2 penalty: weight_decay * p is added to the gradient.
    pub fn weight_decay(mut self, weight_decay: f32) -> Sgd {
        assert!(weight_decay >= 0.0, "Sgd: weight decay {weight_decay} is negative");
        self.weight_decay = weight_decay;
        self
    }
}

impl Optimizer for Sgd {
    fn step(&mut self) {
        for slot in &self.slots {
            let Some(grad) = slot.param.grad() else { continue };
            launch("sgd", &[self.lr, self.momentum, self.weight_decay], &[&slot.param, &grad, &slot.state[0]]);
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
        Box::new(UnrolledSgd { sgd: self, velocity: constants(self.slots.iter().map(|slot| &slot.state[0])) })
    }
}

/// The kernel's rule as tensor ops, on its own copy of the velocities.
struct UnrolledSgd<'a> {
    sgd: &'a Sgd,
    velocity: Vec<Tensor>,
}

impl UnrolledOptimizer for UnrolledSgd<'_> {
    fn step(&mut self, parameters: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        let sgd = self.sgd;
        check_lengths("Sgd", self.velocity.len(), parameters, grads);
        let mut updated = Vec::with_capacity(parameters.len());
        for (i, (p, grad)) in parameters.iter().zip(grads).enumerate() {
            let v = self.velocity[i].mul_scalar(sgd.momentum).add(&decayed(grad, p, sgd.weight_decay));
            updated.push(p.sub(&v.mul_scalar(sgd.lr)));
            self.velocity[i] = v;
        }
        updated
    }
}

impl Stateful for Sgd {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        named_state(&self.slots, &["velocity"])
    }
}
