//! The players of a joint game (BiGAN/ALI, VEEGAN): a generator G: z -> x, an
//! encoder going back x -> z, and a discriminator D(x, z) on pairs. G and the
//! encoder minimise one objective with one optimiser; D has its own. This
//! file holds what both families share around their steps: building the
//! nets from the seed, the optimisers, the checkpoint parts, and the picture
//! of D under the 2D scatter plots.

use crate::checkpoint::{Part, Parts};
use crate::gan::config::TrainConfig;
use crate::gan::families::{optimizer, DataShape};
use crate::gan::family::{Player, Sampler};
use crate::gan::nets::encoder::{Encoder, EncoderKind};
use crate::gan::nets::generator::MlpGenerator;
use crate::gan::nets::hidden_width;
use crate::gan::nets::joint::JointCritic;
use crate::gan::prior::Prior;
use crate::nn::Module;
use crate::optim::Optimizer;
use crate::Tensor;
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Latent size for images (as the `mlp` model); each family picks its own for 2D points.
const IMAGE_LATENT: usize = 64;

pub struct JointPlayers {
    pub generator: MlpGenerator,
    pub encoder: Encoder,
    pub critic: JointCritic,
    pub opt_d: Box<dyn Optimizer>,
    /// Over G's and the encoder's parameters together.
    pub opt_g: Box<dyn Optimizer>,
    pub prior: Prior,
    /// Examples a step draws.
    pub batch: usize,
    /// The encoder's checkpoint part: "encoder" (BiGAN) or "reconstructor" (VEEGAN).
    encoder_part: &'static str,
}

impl JointPlayers {
    /// The three nets, initialised from the config's seed (generator first,
    /// so `generator` alone builds the same one), and their optimisers.
    pub fn new(
        config: &TrainConfig,
        shape: &DataShape,
        point_latent: usize,
        kind: EncoderKind,
        encoder_part: &'static str,
    ) -> Result<JointPlayers, String> {
        let item = &shape.item_shape;
        let (latent, hidden) = (latent_size(item, point_latent), hidden_width(item));
        let rng = &mut StdRng::seed_from_u64(config.seed);
        let generator = MlpGenerator::new(latent, hidden, item, rng);
        let encoder = Encoder::new(item, latent, hidden, kind, rng);
        let critic = JointCritic::new(item, latent, hidden, rng);
        let mut generator_side = generator.generator().parameters();
        generator_side.extend(encoder.parameters());
        Ok(JointPlayers {
            opt_d: optimizer(config, critic.parameters(), config.lr_d),
            opt_g: optimizer(config, generator_side, config.lr_g),
            prior: Prior::parse(&config.prior)?,
            batch: config.batch,
            generator,
            encoder,
            critic,
            encoder_part,
        })
    }

    /// The generator alone (what sampling from a checkpoint builds).
    pub fn generator(config: &TrainConfig, shape: &DataShape, point_latent: usize) -> Box<dyn Sampler> {
        let item = &shape.item_shape;
        let rng = &mut StdRng::seed_from_u64(config.seed);
        Box::new(MlpGenerator::new(latent_size(item, point_latent), hidden_width(item), item, rng))
    }

    pub fn optimizers(&mut self) -> Vec<(Player, &mut dyn Optimizer)> {
        vec![(Player::Discriminator, self.opt_d.as_mut()), (Player::Generator, self.opt_g.as_mut())]
    }

    pub fn parts(&mut self) -> Parts<'_> {
        vec![
            ("generator", Part::Module(self.generator.generator())),
            (self.encoder_part, Part::Module(&self.encoder)),
            ("discriminator", Part::Module(&self.critic)),
            ("opt_g", Part::State(self.opt_g.as_mut())),
            ("opt_d", Part::State(self.opt_d.as_mut())),
        ]
    }

    /// How real D finds each point paired with its own code, sigmoid(D(x,
    /// E(x))): D alone has no value at a point without a code.
    pub fn critic_on(&self, points: &Tensor) -> Tensor {
        self.critic.logits(points, &self.encoder.encode(points)).sigmoid()
    }
}

fn latent_size(item_shape: &[usize], point_latent: usize) -> usize {
    if item_shape == [2] {
        point_latent
    } else {
        IMAGE_LATENT
    }
}
