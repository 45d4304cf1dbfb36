//! # 2. Vanishing gradients
//!
//! **Claim.** Backpropagation multiplies the gradient, layer after layer on its way back to the
//! input, by each activation's slope. The sigmoid's slope `σ(z)(1 - σ(z))` is at most 0.25, so
//! through nine sigmoid layers the gradient shrinks by roughly 0.25 per layer and the first
//! layers barely learn. ReLU's slope is 1 wherever a unit is active, so the gradient survives.
//!
//! **Experiment.** Two 10-layer networks (nine hidden layers of 32 units and a softmax output),
//! identical but for the hidden activation, from the same seed. For one batch of 256 digits
//! [`Trainer::gradients`] runs forward, loss and backward without updating anything; the
//! norm `‖∂L/∂W‖` of each layer's kernel gradient is then read through the parameter visitor.
//!
//! **Look for** the sigmoid column falling by about a factor of four per layer from the output
//! (layer 10) back to the input (layer 1), while the ReLU column stays within about one order of
//! magnitude. The plot (`target/experiments/02-vanishing-gradients.svg`) is on a log scale.
//!
//! ```text
//! cargo run --release --example 02-vanishing-gradients
//! ```

mod common;

use common::plot::{plot, Axes, Series};
use common::*;
use liandan::data::Dataset;
use liandan::prelude::*;
use liandan::rng::SplitMix64;

network! {
    /// Ten dense layers with sigmoid hidden units.
    struct DeepSigmoid {
        input: [196],
        Dense<32, Sigmoid>, Dense<32, Sigmoid>, Dense<32, Sigmoid>,
        Dense<32, Sigmoid>, Dense<32, Sigmoid>, Dense<32, Sigmoid>,
        Dense<32, Sigmoid>, Dense<32, Sigmoid>, Dense<32, Sigmoid>,
        Dense<10, Softmax>,
    }
}

network! {
    /// The same ten layers with ReLU hidden units.
    struct DeepRelu {
        input: [196],
        Dense<32, Relu>, Dense<32, Relu>, Dense<32, Relu>,
        Dense<32, Relu>, Dense<32, Relu>, Dense<32, Relu>,
        Dense<32, Relu>, Dense<32, Relu>, Dense<32, Relu>,
        Dense<10, Softmax>,
    }
}

/// The kernel gradient norm of each layer of a fresh `Net` on the first 256 samples of `data`.
fn layer_gradients<Net>(data: &Dataset<f32, Flat<196>>) -> Result<Vec<f64>>
where
    Net: Network<Element = f32, Input = Flat<196>, Output = Flat<10>> + Train,
{
    let mut rng = SplitMix64::new(3);
    let net = Net::new_boxed(&mut rng);
    let mut trainer = Net::trainer::<Sgd, 256>(Sgd::default());
    let (mut x, mut labels) = (SMatrix::<f32, 196, 256>::boxed(), [0usize; 256]);
    let first: Vec<usize> = (0..256).collect();
    let n = data.fill_batch(&first, &mut x, &mut labels)?;
    let loss = SparseCategoricalCrossentropy::default();
    trainer.gradients(&net, &x, &labels, n, &loss, &mut rng)?;
    let norms = kernel_gradient_norms(trainer.grad());
    Ok(norms.into_iter().map(|(_, norm)| norm).collect())
}

fn main() -> Result<()> {
    let data = digits::<196>(256)?;
    let sigmoid = layer_gradients::<DeepSigmoid<f32>>(&data)?;
    let relu = layer_gradients::<DeepRelu<f32>>(&data)?;

    println!("layer  ‖∂L/∂W‖ sigmoid  ‖∂L/∂W‖ relu");
    for (layer, (s, r)) in sigmoid.iter().zip(&relu).enumerate() {
        println!("{:>5}  {s:>15.3e}  {r:>12.3e}", layer + 1);
    }
    // The gradient's decay per layer: the geometric mean of the ratio between neighbours.
    let per_layer = |g: &[f64]| (g[0] / g[g.len() - 1]).powf(1.0 / (g.len() - 1) as f64);
    let ratio = |g: &[f64]| g[0] / g[g.len() - 1];
    println!(
        "\nconclusion: sigmoid's first-layer gradient is {:.1e} times its last layer's ({:.2} per \
         layer, against the 0.25 bound of σ'); ReLU's is {:.2} times its last layer's ({:.2} \
         per layer)",
        ratio(&sigmoid),
        per_layer(&sigmoid),
        ratio(&relu),
        per_layer(&relu),
    );

    let series = [
        Series::numbered("sigmoid", &sigmoid),
        Series::numbered("relu", &relu),
    ];
    let axes = Axes {
        x: "layer (1 = next to the input)",
        y: "‖∂L/∂W‖",
        log_y: true,
    };
    let title = "Kernel gradient norm per layer, 10-layer network at initialisation";
    let path = plot("02-vanishing-gradients", title, axes, &series)?;
    println!("plot: {}", path.display());
    Ok(())
}
