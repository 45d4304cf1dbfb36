//! `compile`, `fit`, `evaluate` and `predict` through the public API: partial batches,
//! reproducibility, callbacks, and every kind of bad input as a typed error.

use std::path::PathBuf;

use liandan::data::{CsvOptions, DataErrorKind, Dataset, Standardizer};
use liandan::prelude::*;
use liandan::rng::SplitMix64;
use liandan::shape::Shape;
use liandan::train::callbacks::{snapshot, Mode};
use liandan::train::{
    EarlyStopping, History, LearningRateScheduler, OnEpochEnd, Schedule, TrainError,
};
use liandan::LabelOutOfRange;

network! {
    /// `y = w·x + b`: a linear model whose gradient is easy to write by hand.
    struct Linear { input: [2], Dense<1> }
}

network! {
    /// A small classifier with dropout, so reproducibility covers the dropout masks too.
    struct Small { input: [4], Dense<8, Relu>, Dropout<0.25>, Dense<3, Softmax> }
}

network! {
    /// One yes/no output, for binary labels.
    struct Yes { input: [4], Dense<8, Tanh>, Dense<1, Sigmoid> }
}

network! {
    /// Two classes, for the bad-label tests.
    struct Two { input: [4], Dense<2, Softmax> }
}

fn silent<'a, T: Float, S: Shape>(epochs: usize) -> FitOptions<'a, T, S> {
    FitOptions::new(epochs).verbosity(Verbosity::Silent)
}

/// Ten samples `x = (i, 1 - i/8)`, `t = 2^i / 64` (all exact in f64).
fn ten() -> Dataset<f64, Flat<2>> {
    let x: Vec<[f64; 2]> = (0..10).map(|i| [i as f64, 1.0 - i as f64 / 8.0]).collect();
    let t: Vec<[f64; 1]> = (0..10).map(|i| [(1u32 << i) as f64 / 64.0]).collect();
    Dataset::regression(&x, &t).unwrap()
}

#[test]
fn a_partial_last_batch_trains_on_the_mean_over_its_samples() {
    let data = ten();
    let net = Linear::<f64>::new_boxed(&mut SplitMix64::new(3));
    let (mut w, mut b) = (net.dense_1.kernel, net.dense_1.bias[0]);
    let lr = 0.01;
    let mut model: Model<Linear<f64>, _, _, 4> =
        Model::compile(net, Sgd::new(lr), MeanSquaredError, &[]);
    model.fit(&data, silent(1).shuffle(false)).unwrap();

    // By hand: batches of 4, 4 and 2 samples; each step descends the mean over its samples of
    // (w·x + b - t)², whose gradient is (2/n)·Σ r·x and (2/n)·Σ r.
    for batch in [0..4, 4..8, 8..10] {
        let n = batch.len() as f64;
        let (mut gw, mut gb) = ([0.0; 2], 0.0);
        for i in batch {
            let x = data.sample(i);
            let r = w[0] * x[0] + w[1] * x[1] + b - (1u32 << i) as f64 / 64.0;
            gw = [gw[0] + 2.0 * r * x[0] / n, gw[1] + 2.0 * r * x[1] / n];
            gb += 2.0 * r / n;
        }
        w[0] -= lr * gw[0];
        w[1] -= lr * gw[1];
        b -= lr * gb;
    }
    let got = &model.network().dense_1;
    assert!(
        (got.kernel - w).abs().max() < 1e-12,
        "{} vs {w}",
        got.kernel
    );
    assert!((got.bias[0] - b).abs() < 1e-12);
}

#[test]
fn every_sample_counts_once_in_the_epoch_logs() {
    // A learning rate of 0 keeps the network fixed, so the epoch's loss and MAE are exact
    // means over the samples; the targets are distinct powers of two, so any sample missed,
    // doubled or padding counted would change them.
    let data = ten();
    let net = Linear::<f64>::zeroed_boxed();
    let mut model: Model<Linear<f64>, _, _, 4> = Model::compile(
        net,
        Sgd::new(0.0),
        MeanSquaredError,
        &[Metric::MeanAbsoluteError, Metric::MeanSquaredError],
    );
    let history = model.fit(&data, silent(2)).unwrap();
    let t: Vec<f64> = (0..10).map(|i| (1u32 << i) as f64 / 64.0).collect();
    let mse = t.iter().map(|t| t * t).sum::<f64>() / 10.0;
    let mae = t.iter().sum::<f64>() / 10.0;
    assert_eq!(history.get("loss"), Some(&[mse, mse][..]));
    assert_eq!(history.get("mean_squared_error"), Some(&[mse, mse][..]));
    assert_eq!(history.get("mean_absolute_error"), Some(&[mae, mae][..]));
    let logs = model.evaluate(&data).unwrap();
    assert_eq!(
        (logs.loss(), logs.get("mean_absolute_error")),
        (mse, Some(mae))
    );
}

/// A zeroed network, boxed: every output 0.
trait ZeroedBoxed {
    fn zeroed_boxed() -> Box<Self>;
}

impl<T: Zeroed> ZeroedBoxed for T {
    fn zeroed_boxed() -> Box<Self> {
        T::boxed()
    }
}

fn bundled(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(name)
}

/// Iris, standardised on its training part: (train, eval).
fn iris() -> (Dataset<f32, Flat<4>>, Dataset<f32, Flat<4>>) {
    let all = Dataset::from_csv(bundled("iris.csv"), &CsvOptions::classes(4, 3)).unwrap();
    let (mut train, mut eval, _) = all.split((0.8, 0.2, 0.0), 7, true).unwrap();
    let scaler = Standardizer::fit(&train).unwrap();
    scaler.apply(&mut train);
    scaler.apply(&mut eval);
    (train, eval)
}

type SmallModel = Model<Small, SparseCategoricalCrossentropy, Adam, 16>;

fn small_model(seed: u64) -> SmallModel {
    let net = Small::new_boxed(&mut SplitMix64::new(seed));
    Model::compile(
        net,
        Adam::new(0.01),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    )
}

fn bits(history: &History) -> Vec<(String, Vec<u64>)> {
    history
        .keys()
        .map(|k| {
            (
                k.into(),
                history
                    .get(k)
                    .unwrap()
                    .iter()
                    .map(|v| v.to_bits())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn the_same_seed_gives_the_same_history_bit_for_bit() {
    let (train, eval) = iris();
    let run = |seed| {
        let mut model = small_model(1);
        let options = silent(5).seed(seed).validation_data(&eval);
        bits(&model.fit(&train, options).unwrap())
    };
    let first = run(42);
    assert_eq!(first.len(), 4, "loss, accuracy, val_loss, val_accuracy");
    assert_eq!(first, run(42));
    assert_ne!(first, run(43));
}

#[test]
fn fit_learns_iris_and_reports_keras_keys() {
    let (train, eval) = iris();
    let mut model = small_model(5);
    let history = model
        .fit(&train, silent(60).seed(1).validation_data(&eval))
        .unwrap();
    let keys: Vec<&str> = history.keys().collect();
    assert_eq!(keys, ["loss", "accuracy", "val_loss", "val_accuracy"]);
    assert_eq!(history.epochs(), 60);
    let loss = history.get("loss").unwrap();
    assert!(loss[59] < loss[0] / 3.0, "{loss:?}");
    let logs = model.evaluate(&eval).unwrap();
    assert!(logs.get("accuracy").unwrap() >= 0.9, "{logs}");
    // The last epoch's val_ entries are an evaluation of the same network on the same data.
    assert_eq!(
        history.get("val_accuracy").unwrap()[59],
        logs.get("accuracy").unwrap()
    );

    let outputs = model.predict(&eval).unwrap();
    assert_eq!(outputs.len(), eval.len());
    let x = SVector::<f32, 4>::from_column_slice(eval.sample(7));
    assert_eq!(outputs[7], model.network().predict(&x));
    let matrix = model.confusion_matrix(&eval).unwrap();
    assert_eq!((matrix.classes(), matrix.total()), (3, eval.len()));
    assert_eq!(matrix.accuracy(), logs.get("accuracy").unwrap());
}

#[test]
fn validation_split_takes_the_last_fraction() {
    let (train, _) = iris();
    let mut model = small_model(2);
    let history = model.fit(&train, silent(2).validation_split(0.25)).unwrap();
    assert_eq!(history.get("val_loss").unwrap().len(), 2);
    let err = model
        .fit(&train, silent(1).validation_split(1.5))
        .unwrap_err();
    assert!(
        matches!(
            &err,
            TrainError::Data { source, .. }
                if matches!(source.kind(), DataErrorKind::ValidationFraction { .. })
        ),
        "{err}"
    );
}

#[test]
fn callbacks_schedule_the_rate_and_stop_training() {
    let (train, _) = iris();
    let mut model = small_model(3);
    let mut scheduler = LearningRateScheduler(Schedule::StepDecay {
        initial: 0.02,
        factor: 0.5,
        every: 2,
    });
    let mut rates = Vec::new();
    let mut hook = OnEpochEnd(|ctx: &mut liandan::train::Context<'_, f32>| {
        rates.push(ctx.learning_rate);
        ctx.stop = ctx.epoch == 4;
    });
    let options = silent(10).callback(&mut scheduler).callback(&mut hook);
    let history = model.fit(&train, options).unwrap();
    assert_eq!(history.epochs(), 5, "the hook stops after epoch index 4");
    assert_eq!(rates, [0.02, 0.02, 0.01, 0.01, 0.005]);
    assert_eq!(model.trainer().optimizer.learning_rate, 0.005);
}

#[test]
fn early_stopping_restores_the_best_weights() {
    let (train, _) = iris();
    let mut model = small_model(4);
    // The loss falls every epoch, so "max" mode sees epoch 0 as the best and, with patience
    // 1, stops after epoch 1, putting epoch 0's weights back.
    let mut first = None;
    let mut record = OnEpochEnd(|ctx: &mut liandan::train::Context<'_, f32>| {
        first.get_or_insert_with(|| snapshot(&*ctx.weights));
    });
    let mut stopper = EarlyStopping::new("loss")
        .mode(Mode::Max)
        .patience(1)
        .restore_best_weights(true);
    let options = silent(10).callback(&mut record).callback(&mut stopper);
    let history = model.fit(&train, options).unwrap();
    assert_eq!((history.epochs(), stopper.stopped_epoch()), (2, Some(1)));
    let loss = history.get("loss").unwrap();
    assert!(loss[1] < loss[0]);
    assert_eq!(snapshot::<f32>(model.network()), first.unwrap());
}

#[test]
fn early_stopping_on_a_missing_entry_names_what_there_is() {
    let (train, _) = iris();
    let mut model = small_model(4);
    let mut stopper = EarlyStopping::new("val_loss");
    let err = model
        .fit(&train, silent(3).callback(&mut stopper))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot monitor `val_loss`: the logs have loss, accuracy"
    );
}

#[test]
fn binary_labels_train_a_one_unit_sigmoid() {
    // Iris as "is it a setosa?": labels 0 and 1 in the file, read as two classes, as a user
    // of Keras would write them for `Dense(1, activation="sigmoid")`.
    let text = std::fs::read_to_string(bundled("iris.csv")).unwrap();
    let mut lines = text.lines();
    let mut binary = std::format!("{}\n", lines.next().unwrap());
    for line in lines.filter(|l| !l.is_empty()) {
        let (features, label) = line.rsplit_once(',').unwrap();
        let setosa = u8::from(label.trim() == "0");
        binary.push_str(&std::format!("{features},{setosa}\n"));
    }
    let path = std::env::temp_dir().join(format!("setosa-{}.csv", std::process::id()));
    std::fs::write(&path, binary).unwrap();
    let all = Dataset::<f32, Flat<4>>::from_csv(&path, &CsvOptions::classes(4, 2)).unwrap();
    std::fs::remove_file(&path).unwrap();
    // A stratified split keeps the 1:2 share of the classes in both parts.
    let (train, eval, _) = all.split((0.8, 0.2, 0.0), 3, true).unwrap();
    assert_eq!(train.targets().class_counts(), Some(vec![80, 40]));
    assert_eq!(eval.targets().class_counts(), Some(vec![20, 10]));
    let mut model: Model<Yes, _, _, 16> = Model::compile(
        Yes::new_boxed(&mut SplitMix64::new(2)),
        Adam::new(0.05),
        BinaryCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let history = model.fit(&train, silent(30)).unwrap();
    assert!(history.get("accuracy").unwrap()[29] > 0.95);
    let logs = model.evaluate(&eval).unwrap();
    assert_eq!(logs.get("accuracy"), Some(1.0), "{logs}");
    let matrix = model.confusion_matrix(&eval).unwrap();
    assert_eq!((matrix.classes(), matrix.accuracy()), (2, 1.0));
    // Three classes still do not fit one output.
    let three = Dataset::classification(&[[0.0f32; 4]; 2], &[0, 2], 3).unwrap();
    let err = model.fit(&three, silent(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "training data: sample 1: label 2 is out of range for 2 classes"
    );
}

#[test]
fn a_label_beyond_the_outputs_is_named_by_part_and_sample() {
    let x = [[0.0f32; 4]; 5];
    let data = Dataset::classification(&x, &[0, 1, 0, 2, 1], 3).unwrap();
    let good = Dataset::classification(&x, &[0, 1, 0, 1, 1], 2).unwrap();
    let net = Two::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<Two, _, _, 2> = Model::compile(
        net,
        Adam::default(),
        SparseCategoricalCrossentropy::default(),
        &[Metric::Accuracy],
    );
    let before = snapshot::<f32>(model.network());
    let want = "training data: sample 3: label 2 is out of range for 2 classes";
    assert_eq!(model.fit(&data, silent(1)).unwrap_err().to_string(), want);
    assert_eq!(snapshot::<f32>(model.network()), before, "nothing trained");
    let err = model
        .fit(&good, silent(1).validation_data(&data))
        .unwrap_err();
    let label = LabelOutOfRange {
        label: 2,
        classes: 2,
    };
    assert!(matches!(
        err,
        TrainError::Label {
            part: "validation data",
            sample: 3,
            source,
        } if source == label
    ));
    let err = model.evaluate(&data).unwrap_err();
    assert!(matches!(
        err,
        TrainError::Label {
            part: "evaluation data",
            ..
        }
    ));
    // The label is the cause, one type wherever labels are checked.
    let cause = std::error::Error::source(&err).and_then(|e| e.downcast_ref());
    assert_eq!(cause, Some(&label));
}

#[test]
fn targets_that_do_not_fit_the_loss_are_a_data_error() {
    let x = [[0.0f32; 4]; 3];
    // Two classes one-hot into a 3-output categorical cross-entropy.
    let data = Dataset::classification(&x, &[0, 1, 1], 2).unwrap();
    let net = Small::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<Small, _, _, 2> = Model::compile(
        net,
        Adam::default(),
        CategoricalCrossentropy::default(),
        &[],
    );
    let err = model.fit(&data, silent(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "training data: the targets are 2 wide but the target matrix has 3 rows"
    );
    // Real-valued targets for a sparse (class index) loss.
    let values = Dataset::<f32, Flat<4>>::regression(&x, &[[0.0, 1.0, 0.0]; 3]).unwrap();
    let err = small_model(1).evaluate(&values).unwrap_err();
    assert!(
        matches!(
            &err,
            TrainError::Data { source, .. }
                if matches!(source.kind(), DataErrorKind::NotClasses { .. })
        ),
        "{err}"
    );
}

#[test]
fn nan_in_features_or_targets_is_named_before_training() {
    let mut x = [[0.5f32; 4]; 4];
    x[2][1] = f32::NAN;
    let data = Dataset::classification(&x, &[0, 1, 2, 0], 3).unwrap();
    let mut model = small_model(1);
    let err = model.fit(&data, silent(1)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "training data: sample 2: feature 1 is not finite (NaN or infinity)"
    );
    assert!(matches!(
        model.evaluate(&data),
        Err(TrainError::NotFinite { sample: 2, .. })
    ));
    let mut t = [[0.0f64]; 10];
    t[9][0] = f64::INFINITY;
    let x: Vec<[f64; 2]> = (0..10).map(|i| [i as f64, 1.0]).collect();
    let data = Dataset::regression(&x, &t).unwrap();
    let net = Linear::<f64>::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<Linear<f64>, _, _, 4> =
        Model::compile(net, Sgd::new(0.1), MeanSquaredError, &[]);
    let err = model.fit(&data, silent(1)).unwrap_err();
    assert!(matches!(
        err,
        TrainError::NotFinite {
            part: "training data",
            sample: 9,
            what: "target",
            index: 0
        }
    ));
}

#[test]
fn a_diverging_loss_stops_training_naming_epoch_and_step() {
    // A learning rate of 1e200 makes the weights ~1e200 after one step, so the second step's
    // squared error (~1e400) is past f64's range.
    let x: Vec<[f64; 2]> = (0..8).map(|i| [i as f64, 1.0]).collect();
    let t: Vec<[f64; 1]> = (0..8).map(|i| [i as f64]).collect();
    let data = Dataset::regression(&x, &t).unwrap();
    let net = Linear::<f64>::new_boxed(&mut SplitMix64::new(1));
    let mut model: Model<Linear<f64>, _, _, 2> =
        Model::compile(net, Sgd::new(1e200), MeanSquaredError, &[]);
    let err = model.fit(&data, silent(3).shuffle(false)).unwrap_err();
    let TrainError::NonFiniteLoss { epoch, step, steps } = err else {
        panic!("{err}");
    };
    assert_eq!((epoch, step, steps), (1, 2, 4));
    let net = model.network();
    assert!(net.dense_1.kernel.iter().all(|w| w.is_finite()));
    let text = err.to_string();
    assert!(
        text.starts_with("epoch 1, step 2/4: the loss is not finite"),
        "{text}"
    );
}

#[test]
fn empty_data_and_images_of_the_wrong_size() {
    let empty = Dataset::<f32, Flat<4>>::classification::<4>(&[], &[], 3).unwrap();
    let err = small_model(1).fit(&empty, silent(1)).unwrap_err();
    assert_eq!(err.to_string(), "training data has no samples");
    // A model's input shape is its type, so MNIST images can only reach it as a dataset of
    // 28×28 images (or their 784 features): reading them as anything else fails in the data
    // layer, naming the file.
    let images = bundled("mnist/mnist-10k-images-idx3-ubyte.gz");
    let labels = bundled("mnist/mnist-10k-labels-idx1-ubyte.gz");
    let err = Dataset::<f32, Flat<4>>::from_idx(&images, labels, 10).unwrap_err();
    assert!(matches!(
        err.kind(),
        DataErrorKind::ImageSize {
            rows: 28,
            cols: 28,
            shape: [4],
        }
    ));
    assert_eq!(err.path(), Some(images.as_path()));
}
