use liandan::data::Dataset;
use liandan::prelude::*;

network! {
    struct Mnist {
        input: [28, 28],
        Flatten,
        Dense<128, Relu>,
        Dense<10, Softmax>,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let net = Mnist::new_boxed(&mut liandan::rng::SplitMix64::new(1));
    let mut model: Model<Mnist, _, _> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    );
    // 8x8 digits as 64 features per sample, where the network reads 28x28 images.
    let digits = Dataset::<f32, Flat<64>>::classification(&[[0.0; 64]; 4], &[0, 1, 2, 3], 10)?;
    model.fit(&digits, FitOptions::new(10))?;
    Ok(())
}
