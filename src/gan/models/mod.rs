//! The architectures: one file each. A model is a generator and a
//! discriminator behind one interface, so the trainer never knows which.

pub mod cgan;
pub mod dcgan;
pub mod mlp;

use crate::nn::Module;
use crate::Tensor;

/// A generator/discriminator pair.
pub trait GanModel: Send + Sync {
    fn generator(&self) -> &dyn Module;
    fn discriminator(&self) -> &dyn Module;
    /// Size of the latent vector z.
    fn latent_dim(&self) -> usize;
    /// Number of classes it conditions on (cGAN), or None.
    fn classes(&self) -> Option<usize> {
        None
    }
    /// G(z): [N, latent] (with labels for conditional models) to samples [N, ...].
    fn generate(&self, z: &Tensor, labels: Option<&[usize]>) -> Tensor;
    /// D(x): samples [N, ...] to raw outputs ("logits") [N].
    fn discriminate(&self, x: &Tensor, labels: Option<&[usize]>) -> Tensor;
}

/// Builds the model named on the command line for data of shape `item_shape`
/// ([C, H, W] or [2]) with `classes` labels, initialised from `seed`.
pub fn build(name: &str, item_shape: &[usize], classes: Option<usize>, seed: u64) -> Result<Box<dyn GanModel>, String> {
    use rand::SeedableRng;
    let rng = &mut rand::rngs::StdRng::seed_from_u64(seed);
    match name {
        "mlp" => Ok(Box::new(mlp::Mlp::new(item_shape, rng))),
        "dcgan" => match item_shape {
            [1, 28, 28] => Ok(Box::new(dcgan::Dcgan::mnist28(rng))),
            [c, 64, 64] => Ok(Box::new(dcgan::Dcgan::classic64(*c, rng))),
            _ => Err(format!(
                "dcgan needs 1x28x28 images (dcgan28) or Cx64x64 images (Radford et al.'s 64x64 DCGAN), got {item_shape:?}"
            )),
        },
        "cgan" => match (item_shape, classes) {
            ([1, 28, 28], Some(classes)) => Ok(Box::new(cgan::Cgan::mnist28(classes, rng))),
            (_, None) => Err("cgan needs a labelled dataset (mnist5k or MNIST files with their labels file)".into()),
            _ => Err(format!("cgan is built for 1x28x28 images, got {item_shape:?}")),
        },
        _ => Err(format!("unknown model {name:?}: use mlp, dcgan or cgan")),
    }
}

/// The image size and channels a model expects from an image folder.
pub fn folder_image_size(name: &str) -> (u32, usize) {
    match name {
        "dcgan" => (64, 3),
        _ => (28, 1),
    }
}
