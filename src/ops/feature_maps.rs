//! Feature maps that GAN architectures add to a [N, C, H, W] activation:
//! ProGAN's minibatch standard deviation and StyleGAN's noise injection.
//! Both are compositions of reduce, broadcast and shape ops, so their
//! gradients (to any order) come from autograd.

use crate::tensor::Tensor;

/// Inside the square root of the minibatch standard deviation (ProGAN's value).
pub const MINIBATCH_STDDEV_EPS: f32 = 1e-8;

impl Tensor {
    /// ProGAN's minibatch standard deviation layer with one group holding the
    /// whole batch: x [N, C, H, W] -> [N, C + 1, H, W], where the extra
    /// channel is, for every sample and pixel, the one number
    ///
    /// s = mean over (c, h, w) of sqrt(var over n of x[n, c, h, w] + 1e-8),
    ///
    /// the variance being the population one (divided by N), as in the
    /// official code. A discriminator can read from s how varied the batch is,
    /// which discourages mode collapse. With N = 1 every variance is 0 and
    /// s = 1e-4.
    pub fn minibatch_stddev(&self) -> Tensor {
        assert_eq!(self.rank(), 4, "minibatch_stddev: input must be [N, C, H, W], got shape {:?}", self.shape());
        self.minibatch_stddev_groups(self.shape()[0])
    }

    /// The same statistic over groups of `group_size` samples, as the official
    /// code computes it (group size 4): the batch is read as [G, M, ...] with
    /// sample n = g * M + m, each of the M groups gathers the samples sharing
    /// m, and every sample gets its own group's s.
    pub fn minibatch_stddev_groups(&self, group_size: usize) -> Tensor {
        assert_eq!(self.rank(), 4, "minibatch_stddev: input must be [N, C, H, W], got shape {:?}", self.shape());
        let (n, h, w) = (self.shape()[0], self.shape()[2], self.shape()[3]);
        assert!(
            group_size > 0 && n.is_multiple_of(group_size),
            "minibatch_stddev: a batch of {n} does not split into groups of {group_size}"
        );
        let groups = n / group_size;
        let grouped = self.reshape(&[group_size, groups, self.numel() / n]);
        let stddev = grouped.var(&[0], false).add_scalar(MINIBATCH_STDDEV_EPS).sqrt(); // [M, C*H*W]
        let per_group = stddev.mean(&[1], true); // [M, 1]
        let feature = per_group.reshape(&[1, groups, 1]).expand(&[group_size, groups, h * w]).reshape(&[n, 1, h, w]);
        Tensor::concat(&[self, &feature], 1)
    }

    /// StyleGAN's noise injection: x [N, C, H, W] + weight [C] * noise
    /// [N, 1, H, W], the per-channel weight scaling one noise image per sample
    /// that every channel shares.
    pub fn noise_injection(&self, weight: &Tensor, noise: &Tensor) -> Tensor {
        assert_eq!(self.rank(), 4, "noise_injection: input must be [N, C, H, W], got shape {:?}", self.shape());
        let (n, c, h, w) = (self.shape()[0], self.shape()[1], self.shape()[2], self.shape()[3]);
        assert!(
            weight.shape() == [c] && noise.shape() == [n, 1, h, w],
            "noise_injection: weight {:?} must be [{c}] and noise {:?} must be [{n}, 1, {h}, {w}] for input shape {:?}",
            weight.shape(),
            noise.shape(),
            self.shape()
        );
        self.add(&weight.reshape(&[1, c, 1, 1]).mul(noise))
    }
}
