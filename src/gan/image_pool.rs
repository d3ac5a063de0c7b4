//! CycleGAN's history of generated images (Shrivastava et al. 2017, as Zhu
//! et al. 2017 use it): the discriminators are updated on a mix of the
//! latest generated images and older ones, so they do not forget what
//! earlier generators made and the two players oscillate less.
//!
//! The rule is the reference code's: while the pool holds fewer than its
//! capacity (50), each new image is stored and shown as it is; once it is
//! full, each new image is, with probability 1/2, shown as it is, and
//! otherwise stored in place of a stored image drawn at random, which is
//! shown instead. A pool of capacity 0 passes every image through.
//!
//! Every random number comes from the step's rng, and the stored images and
//! their count are checkpoint state (`Stateful`): a resumed run sees the
//! pool it would have seen. The slots are allocated at full size up front,
//! so that loading a checkpoint can write into them in place.

use crate::checkpoint::Stateful;
use crate::Tensor;
use rand::Rng;

/// The pool size of the CycleGAN paper.
pub const POOL_SIZE: usize = 50;

pub struct ImagePool {
    /// `capacity` slots of one image each, [1, C, H, W]; the first `filled` hold images.
    slots: Vec<Tensor>,
    filled: usize,
}

impl ImagePool {
    /// An empty pool of `capacity` images of shape [C, H, W].
    pub fn new(capacity: usize, image_shape: [usize; 3]) -> ImagePool {
        let [c, h, w] = image_shape;
        ImagePool { slots: (0..capacity).map(|_| Tensor::zeros(&[1, c, h, w])).collect(), filled: 0 }
    }

    /// How many images the pool holds.
    pub fn len(&self) -> usize {
        self.filled
    }

    pub fn is_empty(&self) -> bool {
        self.filled == 0
    }

    /// The images [N, C, H, W] the discriminator sees in place of `images`
    /// (detached: the pool holds no graph), updating the pool on the way.
    pub fn query(&mut self, images: &Tensor, rng: &mut impl Rng) -> Tensor {
        let images = images.detach();
        if self.slots.is_empty() {
            return images;
        }
        let shown: Vec<Tensor> = (0..images.shape()[0])
            .map(|i| {
                let image = images.narrow(0, i, i + 1);
                if self.filled < self.slots.len() {
                    self.slots[self.filled] = image.clone();
                    self.filled += 1;
                    image
                } else if rng.random::<f32>() < 0.5 {
                    image
                } else {
                    let slot = rng.random_range(0..self.slots.len());
                    std::mem::replace(&mut self.slots[slot], image)
                }
            })
            .collect();
        Tensor::concat(&shown.iter().collect::<Vec<_>>(), 0)
    }
}

/// The slots by index, and the count of filled ones.
impl Stateful for ImagePool {
    fn state_tensors(&self) -> Vec<(String, Tensor)> {
        self.slots.iter().enumerate().map(|(i, slot)| (i.to_string(), slot.clone())).collect()
    }

    fn state_counters(&self) -> Vec<(String, u64)> {
        vec![("filled".to_string(), self.filled as u64)]
    }

    fn restore_counters(&mut self, values: &[u64]) {
        self.filled = values[0] as usize;
    }
}
