//! `Mapped`: a future that completes when wgpu has mapped a buffer for reading.
//!
//! wgpu reports a finished `map_async` through a callback. Blocking code can
//! wait on a channel for it, but a web page cannot block: there the callback
//! runs later, from the browser's event loop, and the page must `await` it.
//! This future is the bridge: the callback stores the result and wakes
//! whoever awaits it. No executor of our own is needed: natively `pollster`
//! drives it, on the web `wasm-bindgen-futures` does.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

/// What the callback and the awaiting task share.
#[derive(Default)]
struct Shared {
    result: Option<Result<(), wgpu::BufferAsyncError>>,
    waker: Option<Waker>,
}

/// The pending mapping of one buffer slice.
pub struct Mapped(Arc<Mutex<Shared>>);

impl Mapped {
    /// Asks wgpu to map `slice` for reading; await the result to know when.
    pub fn request(slice: &wgpu::BufferSlice<'_>) -> Mapped {
        let shared = Arc::new(Mutex::new(Shared::default()));
        let from_callback = shared.clone();
        slice.map_async(wgpu::MapMode::Read, move |result| {
            let mut shared = from_callback.lock().unwrap();
            shared.result = Some(result);
            if let Some(waker) = shared.waker.take() {
                waker.wake();
            }
        });
        Mapped(shared)
    }
}

impl Future for Mapped {
    type Output = Result<(), wgpu::BufferAsyncError>;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        let mut shared = self.0.lock().unwrap();
        match shared.result.take() {
            Some(result) => Poll::Ready(result),
            None => {
                shared.waker = Some(context.waker().clone());
                Poll::Pending
            }
        }
    }
}
