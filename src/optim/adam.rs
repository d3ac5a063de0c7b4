//! Adam (Kingma & Ba 2015), the optimiser of most GANs since DCGAN (lr 2e-4,
//! betas 0.5 / 0.999):
//!   m = beta1 m + (1 - beta1) g,   v = beta2 v + (1 - beta2) g^2,
//!   p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps),
//! with g = grad + weight_decay * p (PyTorch's `Adam`, not `AdamW`).
//!
//! m and v start at zero, so early on they are biased toward zero; dividing by
//! 1 - beta^t removes that bias. t counts the steps each parameter was
//! actually updated (a parameter skipped for lack of a gradient does not
//! advance), as PyTorch keeps it. The corrections are computed here in f64
//! and passed to the kernel as parameters.

use super::kernel::launch;
use super::unrolled::{check_lengths, constants, decayed, UnrolledOptimizer, SQRT_FLOOR};
use super::{named_state, slot_parameters, slots, Optimizer, Slot};
use crate::checkpoint::Stateful;
use crate::tensor::Tensor;

pub struct Adam {
    slots: Vec<Slot>, // state: [exp_avg (m), exp_avg_sq (v)]
    steps: Vec<u64>,  // t, per parameter
    lr: f32,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
}

impl Adam {
    /// The paper's defaults: betas 0.9 / 0.999, eps 1e-8, no weight decay.
    pub fn new(parameters: Vec<Tensor>, lr: f32) -> Adam {
        assert!(lr >= 0.0, "Adam: learning rate {lr} is negative");
        let slots = slots("Adam", parameters, 2);
        let steps = vec![0; slots.len()];
        Adam { slots, steps, lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.0 }
    }

    pub fn betas(mut self, beta1: f32, beta2: f32) -> Adam {
        assert!(
            (0.0..1.0).contains(&beta1) && (0.0..1.0).contains(&beta2),
            "Adam: betas ({beta1}, {beta2}) must lie in [0, 1)"
        );
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }

    pub fn eps(mut self, eps: f32) -> Adam {
        assert!(eps > 0.0, "Adam: eps {eps} must be positive");
        self.eps = eps;
        self
    }

    /// L2 penalty: weight_decay * p is added to the gradient.
    pub fn weight_decay(mut self, weight_decay: f32) -> Adam {
        assert!(weight_decay >= 0.0, "Adam: weight decay {weight_decay} is negative");
        self.weight_decay = weight_decay;
        self
    }

    /// The step size lr / (1 - beta1^t) and sqrt(1 - beta2^t) of update
    /// number t, computed in f64.
    fn corrections(&self, t: u64) -> (f32, f32) {
        let bias_correction1 = 1.0 - f64::from(self.beta1).powf(t as f64);
        let bias_correction2 = 1.0 - f64::from(self.beta2).powf(t as f64);
        ((f64::from(self.lr) / bias_correction1) as f32, bias_correction2.sqrt() as f32)
    }
}

impl Optimizer for Adam {
    fn step(&mut self) {
        for (i, slot) in self.slots.iter().enumerate() {
            let Some(grad) = slot.param.grad() else { continue };
            self.steps[i] += 1;
            let (step_size, bias_correction2_sqrt) = self.corrections(self.steps[i]);
            let scalars = [step_size, self.beta1, self.beta2, self.eps, self.weight_decay, bias_correction2_sqrt];
            launch("adam", &scalars, &[&slot.param, &grad, &slot.state[0], &slot.state[1]]);
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
        Box::new(UnrolledAdam {
            adam: self,
            exp_avg: constants(self.slots.iter().map(|slot| &slot.state[0])),
            exp_avg_sq: constants(self.slots.iter().map(|slot| &slot.state[1])),
            steps: self.steps.clone(),
        })
    }
}

/// The kernel's rule as tensor ops, on its own copy of the moments and counts.
struct UnrolledAdam<'a> {
    adam: &'a Adam,
    exp_avg: Vec<Tensor>,
    exp_avg_sq: Vec<Tensor>,
    steps: Vec<u64>,
}

impl UnrolledOptimizer for UnrolledAdam<'_> {
    fn step(&mut self, parameters: &[Tensor], grads: &[Tensor]) -> Vec<Tensor> {
        let adam = self.adam;
        check_lengths("Adam", self.steps.len(), parameters, grads);
        let mut updated = Vec::with_capacity(parameters.len());
        for (i, (p, grad)) in parameters.iter().zip(grads).enumerate() {
            self.steps[i] += 1;
            let (step_size, bias_correction2_sqrt) = adam.corrections(self.steps[i]);
            let g = decayed(grad, p, adam.weight_decay);
            let m = self.exp_avg[i].mul_scalar(adam.beta1).add(&g.mul_scalar(1.0 - adam.beta1));
            let v = self.exp_avg_sq[i].mul_scalar(adam.beta2).add(&g.mul(&g).mul_scalar(1.0 - adam.beta2));
            let denominator = v.add_scalar(SQRT_FLOOR).sqrt().affine(1.0 / bias_correction2_sqrt, adam.eps);
            updated.push(p.sub(&m.div(&denominator).mul_scalar(step_size)));
            (self.exp_avg[i], self.exp_avg_sq[i]) = (m, v);
        }
        updated
    }
}

impl Stateful for Adam {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        named_state(&self.slots, &["exp_avg", "exp_avg_sq"])
    }

    fn state_counters(&self) -> Vec<(String, u64)> {
        self.steps.iter().enumerate().map(|(i, &t)| (format!("{i}.step"), t)).collect()
    }

    fn restore_counters(&mut self, values: &[u64]) {
        self.steps.copy_from_slice(values);
    }
}
