//! Reverse-mode automatic differentiation.
//!
//! Every differentiable op records a node (its inputs and a backward rule) on
//! its output while gradients are being recorded. To differentiate, we order
//! the graph so that each tensor comes after everything it was computed from,
//! walk that order backwards, and hand each node the gradient of its output,
//! summed over every consumer (so a tensor used twice gets both contributions).
//!
//! Backward rules are themselves tensor ops. `backward()` runs them with
//! recording off: the gradients are plain numbers. `grad(.., create_graph:
//! true)` runs them with recording on, so the gradients have graphs of their own
//! and can be differentiated again: that is what a gradient penalty (WGAN-GP,
//! R1) needs.

use crate::tensor::Tensor;
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

thread_local! {
    static GRAD_ENABLED: Cell<bool> = const { Cell::new(true) };
}

/// Whether ops record graph nodes on this thread.
pub fn is_grad_enabled() -> bool {
    GRAD_ENABLED.with(Cell::get)
}

/// Restores the previous recording mode when dropped (also on panic).
struct ModeGuard(bool);

impl ModeGuard {
    fn set(enabled: bool) -> ModeGuard {
        ModeGuard(GRAD_ENABLED.with(|mode| mode.replace(enabled)))
    }
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        GRAD_ENABLED.with(|mode| mode.set(self.0));
    }
}

/// Runs `f` without recording graph nodes (inference, optimiser updates).
pub fn no_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = ModeGuard::set(false);
    f()
}

/// Runs `f` with recording on, even inside a `no_grad` scope.
pub fn enable_grad<R>(f: impl FnOnce() -> R) -> R {
    let _guard = ModeGuard::set(true);
    f()
}

impl Tensor {
    /// Adds d(sum of self)/d(leaf) to the `.grad()` of every leaf that
    /// requires a gradient. (For a scalar loss that is just dloss/dleaf.)
    pub fn backward(&self) {
        accumulate_into_leaves(differentiate(&[self], &Targets::Leaves, false));
    }

    /// Like `backward`, but only for `leaves`: no work is spent on gradients
    /// that lead elsewhere. A GAN's generator step uses it so that the
    /// discriminator's weight gradients are never computed.
    pub fn backward_for(&self, leaves: &[&Tensor]) {
        let ids = leaves.iter().map(|t| t.id()).collect();
        accumulate_into_leaves(differentiate(&[self], &Targets::Ids(ids), false));
    }
}

/// Adds each gradient to its leaf's `.grad()`.
fn accumulate_into_leaves(grads: HashMap<u64, (Tensor, Tensor)>) {
    for (leaf, grad) in grads.into_values() {
        let total = match leaf.grad() {
            Some(previous) => no_grad(|| previous.add(&grad)),
            None => grad,
        };
        leaf.set_grad(Some(total));
    }
}

// ANCHOR: grad
/// Gradients of the sum of `outputs` with respect to each of `inputs`, without
/// touching any `.grad()`. With `create_graph` the results carry graphs and can
/// be differentiated again. An input the outputs do not depend on gets zeros.
pub fn grad(outputs: &[&Tensor], inputs: &[&Tensor], create_graph: bool) -> Vec<Tensor> {
    let ids = inputs.iter().map(|t| t.id()).collect();
    let mut grads = differentiate(outputs, &Targets::Ids(ids), create_graph);
    inputs.iter().map(|t| grads.remove(&t.id()).map(|(_, g)| g).unwrap_or_else(|| t.zeros_like())).collect()
}
// ANCHOR_END: grad

/// The tensors whose gradients a differentiation collects.
enum Targets {
    /// Every leaf that requires a gradient (`backward`).
    Leaves,
    /// These tensors, leaves or not (`grad`).
    Ids(HashSet<u64>),
}

impl Targets {
    fn contains(&self, t: &Tensor) -> bool {
        match self {
            Targets::Leaves => t.requires_grad() && t.node().is_none(),
            Targets::Ids(ids) => ids.contains(&t.id()),
        }
    }
}

// ANCHOR: topological_order
/// The graph below `outputs`, each tensor after all of its inputs
/// (depth-first post-order, iterative so deep graphs cannot overflow the stack).
fn topological_order(outputs: &[&Tensor]) -> Vec<Tensor> {
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    let mut stack: Vec<(Tensor, bool)> = outputs.iter().map(|&t| (t.clone(), false)).collect();
    while let Some((tensor, inputs_done)) = stack.pop() {
        if inputs_done {
            order.push(tensor);
            continue;
        }
        if !seen.insert(tensor.id()) {
            continue;
        }
        stack.push((tensor.clone(), true));
        if let Some(node) = tensor.node() {
            for input in node.inputs.iter().filter(|t| !seen.contains(&t.id())) {
                stack.push((input.clone(), false));
            }
        }
    }
    order
}
// ANCHOR_END: topological_order

// ANCHOR: differentiate
/// The core of both entry points: returns (tensor, gradient) for each target
/// reached, keyed by tensor id.
fn differentiate(outputs: &[&Tensor], targets: &Targets, create_graph: bool) -> HashMap<u64, (Tensor, Tensor)> {
    let _mode = ModeGuard::set(create_graph);
    let order = topological_order(outputs);

    // A tensor is worth a gradient when it is a target or leads to one.
    let mut needed = HashSet::new();
    for t in &order {
        let leads_to_target = t.node().is_some_and(|n| n.inputs.iter().any(|i| needed.contains(&i.id())));
        if targets.contains(t) || leads_to_target {
            needed.insert(t.id());
        }
    }

    let mut pending: HashMap<u64, Tensor> = HashMap::new();
    for output in outputs {
        accumulate(&mut pending, output.id(), output.ones_like());
    }
    let mut results = HashMap::new();
    for t in order.iter().rev() {
        if !needed.contains(&t.id()) {
            continue;
        }
        // Every consumer of t comes later in the order, so its gradient is complete.
        let Some(g) = pending.remove(&t.id()) else { continue };
        if let Some(node) = t.node() {
            // Without create_graph, inputs that lead to no target are handed to
            // the rule detached: a rule skips the gradient of an input that does
            // not track one (a discriminator's weights during the generator's
            // step cost no matmuls). With create_graph every input stays attached,
            // since the gradient's own graph must reach them (a gradient penalty
            // differentiates dD/dx with respect to D's weights).
            let inputs: Vec<Tensor> = if create_graph {
                node.inputs.clone()
            } else {
                node.inputs.iter().map(|i| if needed.contains(&i.id()) { i.clone() } else { i.detach() }).collect()
            };
            let input_grads = (node.backward)(&inputs, t, &g);
            assert_eq!(
                input_grads.len(),
                node.inputs.len(),
                "backward of {} returned the wrong number of gradients",
                node.op
            );
            for (input, input_grad) in node.inputs.iter().zip(input_grads) {
                let Some(input_grad) = input_grad else { continue };
                if !needed.contains(&input.id()) {
                    continue;
                }
                assert_eq!(
                    input_grad.shape(),
                    input.shape(),
                    "backward of {} gave a gradient of shape {:?} for an input of shape {:?}",
                    node.op,
                    input_grad.shape(),
                    input.shape()
                );
                accumulate(&mut pending, input.id(), input_grad);
            }
        }
        if targets.contains(t) {
            results.insert(t.id(), (t.clone(), g));
        }
    }
    results
}
// ANCHOR_END: differentiate

fn accumulate(pending: &mut HashMap<u64, Tensor>, id: u64, grad: Tensor) {
    let total = match pending.remove(&id) {
        Some(previous) => previous.add(&grad),
        None => grad,
    };
    pending.insert(id, total);
}
