//! Evaluating a module with other values in place of its parameters, as
//! PyTorch's `torch.func.functional_call` does.
//!
//! A layer holds its parameters as fixed handles (see `module.rs`), so a
//! computation that needs the layer "with weights theta" (Unrolled GAN's
//! look-ahead discriminator, whose theta are tensors computed from the real
//! weights, with graphs) cannot just hand it new ones. Instead, a scope names
//! substitutes for some parameters, keyed by the parameter tensor's id, and
//! every layer reads each parameter through [`resolve`], which returns the
//! substitute in scope or the parameter itself. Nothing in the layer changes,
//! so the module's own values, its optimiser and its checkpoints never see the
//! substitutes, and gradients taken through a substituted forward pass reach
//! the substitutes (and, through their graphs, whatever they were computed
//! from), never the parameters they stand in for.
//!
//! The scope is per thread, like `no_grad`: a forward pass runs on the thread
//! that builds its graph.

use crate::tensor::Tensor;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

/// A substitute, and whether a layer has read it yet.
struct Substitute {
    value: Tensor,
    read: Cell<bool>,
}

thread_local! {
    /// The scopes in force, innermost last; each maps a parameter id to its substitute.
    static SCOPES: RefCell<Vec<HashMap<u64, Substitute>>> = const { RefCell::new(Vec::new()) };
}

/// Pops the scope when dropped, also when `f` panics.
struct ScopeGuard;

impl Drop for ScopeGuard {
    fn drop(&mut self) {
        SCOPES.with(|scopes| scopes.borrow_mut().pop());
    }
}

/// Runs `f` with `parameters[i]` read as `substitutes[i]` by every layer (the
/// innermost scope wins when scopes nest). Panics when the lists differ in
/// length or a substitute's shape differs from its parameter's, and after `f`
/// when a substitute was never read: that means a layer read its parameter
/// directly instead of through [`resolve`], and `f` computed with the wrong values.
pub fn with_substitutes<R>(parameters: &[Tensor], substitutes: &[Tensor], f: impl FnOnce() -> R) -> R {
    assert_eq!(
        parameters.len(),
        substitutes.len(),
        "with_substitutes: {} parameters but {} substitutes",
        parameters.len(),
        substitutes.len()
    );
    let mut scope = HashMap::new();
    for (i, (parameter, value)) in parameters.iter().zip(substitutes).enumerate() {
        assert_eq!(
            parameter.shape(),
            value.shape(),
            "with_substitutes: substitute {i} has shape {:?}, its parameter {:?}",
            value.shape(),
            parameter.shape()
        );
        scope.insert(parameter.id(), Substitute { value: value.clone(), read: Cell::new(false) });
    }
    SCOPES.with(|scopes| scopes.borrow_mut().push(scope));
    let guard = ScopeGuard;
    let result = f();
    let unread = SCOPES.with(|scopes| {
        let scopes = scopes.borrow();
        let scope = scopes.last().expect("the scope pushed above");
        parameters.iter().position(|p| !scope[&p.id()].read.get())
    });
    drop(guard);
    if let Some(i) = unread {
        panic!(
            "with_substitutes: no layer read the substitute for parameter {i} (shape {:?}); a layer reads that \
             parameter directly instead of through nn::resolve",
            parameters[i].shape()
        );
    }
    result
}

/// The tensor a layer computes with for its `parameter`: the innermost
/// substitute in scope, or the parameter itself. Every layer reads its
/// parameters through this.
pub fn resolve(parameter: &Tensor) -> Tensor {
    SCOPES.with(|scopes| {
        let scopes = scopes.borrow();
        let found = scopes.iter().rev().find_map(|scope| scope.get(&parameter.id()));
        match found {
            Some(substitute) => {
                substitute.read.set(true);
                substitute.value.clone()
            }
            None => parameter.clone(),
        }
    })
}
