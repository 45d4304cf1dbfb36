//! One training step — forward, loss, backward, optimizer update — monomorphized for a network
//! `N`, an optimizer and a batch size `B`, in buffers allocated once.

#[cfg(feature = "alloc")]
use alloc::boxed::Box;

use rand::RngCore;

use crate::layer::{Backward, In, Out, Train};
use crate::loss::Loss;
use crate::optim::Optimizer;
use crate::{Error, Float, Zeroed};

/// Everything a training step of `N` at batch size `B` needs besides the network: the tape,
/// the output and its gradient, the parameter gradient and the optimizer's state.
///
/// Build it once ([`Trainer::boxed`] on the heap, or [`Trainer::new`] where it fits the
/// stack); then [`step`](Trainer::step) allocates nothing.
pub struct Trainer<N, Opt, const B: usize>
where
    N: Train,
    Opt: Optimizer<N::Element>,
{
    /// The optimizer's hyperparameters; change `learning_rate` between steps for a schedule.
    pub optimizer: Opt,
    tape: N::Tape<B>,
    output: Out<N, B>,
    d_output: Out<N, B>,
    grad: N::Grad,
    state: Opt::State<N::Grad>,
    /// Whether steps run with dropout off; `false`, dropout on, is what all-zero bytes mean.
    dropout_off: bool,
}

impl<N, Opt, const B: usize> Trainer<N, Opt, B>
where
    N: Train,
    Opt: Optimizer<N::Element>,
{
    /// A trainer built on the stack and returned by value: for small networks (larger ones
    /// use [`boxed`](Trainer::boxed), which builds it in place).
    pub fn new(optimizer: Opt) -> Self {
        Trainer {
            optimizer,
            tape: Zeroed::zeroed(),
            output: Zeroed::zeroed(),
            d_output: Zeroed::zeroed(),
            grad: Zeroed::zeroed(),
            state: Zeroed::zeroed(),
            dropout_off: false,
        }
    }

    /// A trainer built in place on the heap, whatever its size.
    #[cfg(feature = "alloc")]
    pub fn boxed(optimizer: Opt) -> Box<Self> {
        let mut trainer = Box::<Self>::new_zeroed();
        let place = trainer.as_mut_ptr();
        // Safety: every field but `optimizer` is `Zeroed` (`dropout_off` is a `bool`, for which
        // zero is `false`), so the zeroed allocation holds valid values for them; `optimizer`
        // is written (not assigned, so no old value is dropped)
        // before `assume_init`.
        unsafe {
            core::ptr::addr_of_mut!((*place).optimizer).write(optimizer);
            trainer.assume_init()
        }
    }

    /// One step on a batch whose first `n` columns are samples: forward, loss, backward and an
    /// optimizer update. Returns the mean loss over the `n` samples (before the update).
    ///
    /// Columns from `n` on are padding: they add nothing to the loss or the gradient, but
    /// must hold finite values (zeros, as the data layer writes), since `0·NaN` is NaN.
    ///
    /// On bad targets, `n > B`, or a loss that is not finite, the network is left unchanged
    /// and an error says why.
    ///
    /// ```
    /// use liandan::prelude::*;
    ///
    /// network! {
    ///     struct Xor { input: [2], Dense<8, Tanh>, Dense<1, Sigmoid> }
    /// }
    ///
    /// let mut rng = liandan::rng::SplitMix64::new(42);
    /// let mut net = Xor::<f32>::new(&mut rng);
    /// // The truth table as one batch of 4, one sample per column.
    /// let x = SMatrix::<f32, 2, 4>::from_column_slice(&[0., 0., 0., 1., 1., 0., 1., 1.]);
    /// let y = SMatrix::<f32, 1, 4>::new(0., 1., 1., 0.);
    /// let mut trainer = Trainer::<Xor, Adam, 4>::new(Adam::new(0.05));
    /// let loss = BinaryCrossentropy::default();
    /// let first = trainer.step(&mut net, &x, &y, 4, &loss, &mut rng)?;
    /// let mut last = first;
    /// for _ in 0..200 {
    ///     last = trainer.step(&mut net, &x, &y, 4, &loss, &mut rng)?;
    /// }
    /// assert!(last < first / 4.0);
    ///
    /// // Five samples do not fit a batch of four: an error, and the network is untouched.
    /// let before = net.predict(&SVector::<f32, 2>::new(1., 0.));
    /// assert!(trainer.step(&mut net, &x, &y, 5, &loss, &mut rng).is_err());
    /// assert_eq!(net.predict(&SVector::<f32, 2>::new(1., 0.)), before);
    /// # Ok::<(), liandan::Error>(())
    /// ```
    pub fn step<L: Loss<N::Element, Out<N, B>>, R: RngCore>(
        &mut self,
        net: &mut N,
        x: &In<N, B>,
        targets: &L::Targets,
        n: usize,
        loss: &L,
        rng: &mut R,
    ) -> Result<N::Element, Error> {
        let value = self.gradients(net, x, targets, n, loss, rng)?;
        self.update(net);
        Ok(value)
    }

    /// Forward, loss and backward without the update: fills [`grad`](Trainer::grad) with
    /// `∂L/∂θ` and returns the mean loss.
    ///
    /// ```
    /// use liandan::prelude::*;
    /// use liandan::layers::Dense;
    ///
    /// // y = w·x + b with w = 1 and b = 0; at x = 2 the target is 1, so L = (2 - 1)² = 1.
    /// let mut unit = Dense::<f64, 1, 1>::zeroed();
    /// unit.kernel[(0, 0)] = 1.0;
    /// let (x, t) = (SMatrix::<f64, 1, 1>::new(2.0), SMatrix::<f64, 1, 1>::new(1.0));
    /// let mut trainer = Trainer::<Dense<f64, 1, 1>, Sgd, 1>::new(Sgd::default());
    /// let loss = trainer.gradients(&unit, &x, &t, 1, &MeanSquaredError, &mut liandan::rng::SplitMix64::new(0))?;
    /// assert_eq!(loss, 1.0);
    /// // ∂L/∂w = 2(y - t)·x = 4 and ∂L/∂b = 2(y - t) = 2; the layer is unchanged until `update`.
    /// assert_eq!((trainer.grad().kernel[(0, 0)], trainer.grad().bias[0]), (4.0, 2.0));
    /// assert_eq!(unit.kernel[(0, 0)], 1.0);
    /// # Ok::<(), liandan::Error>(())
    /// ```
    pub fn gradients<L: Loss<N::Element, Out<N, B>>, R: RngCore>(
        &mut self,
        net: &N,
        x: &In<N, B>,
        targets: &L::Targets,
        n: usize,
        loss: &L,
        rng: &mut R,
    ) -> Result<N::Element, Error> {
        loss.validate(targets, n)?;
        let rng: Option<&mut dyn RngCore> = if self.dropout_off { None } else { Some(rng) };
        net.forward_train(x, &mut self.output, &mut self.tape, rng);
        let value = loss.loss(&self.output, targets, n);
        if !value.finite() {
            return Err(Error::NonFiniteLoss);
        }
        let seed = loss.gradient(&self.output, targets, n, N::HEAD, &mut self.d_output);
        // The gradient is overwritten, not added to, so it needs no zeroing pass first.
        let (tape, output, d_output) = (&mut self.tape, &self.output, &mut self.d_output);
        let ctx = Backward::new(x, output, tape, d_output, &mut self.grad);
        net.backward(ctx.seed(seed).overwrite());
        Ok(value)
    }

    /// Switches dropout on (the default, as Keras trains) or off for the following steps.
    ///
    /// With dropout off every feature is kept, unscaled, and `rng` is not drawn from: a step
    /// then computes the gradient of the network that inference runs.
    pub fn set_dropout(&mut self, on: bool) {
        self.dropout_off = !on;
    }

    /// Whether steps run with dropout on.
    pub fn dropout(&self) -> bool {
        !self.dropout_off
    }

    /// Applies the optimizer to `net` with the gradient of the last
    /// [`gradients`](Trainer::gradients) call.
    pub fn update(&mut self, net: &mut N) {
        self.optimizer
            .update_after_step(net, &self.grad, &mut self.state, B);
    }

    /// Inference on a batch in the trainer's own buffers: no stack for intermediates and no
    /// allocation, whatever the network's size. Returns the outputs (dropout off).
    pub fn predict(&mut self, net: &N, x: &In<N, B>) -> &Out<N, B> {
        net.forward_in(x, &mut self.output, &mut self.tape);
        &self.output
    }

    /// The tape, for inference in it ([`Train::forward_in`]) without touching the output of
    /// the last training batch.
    #[cfg(feature = "std")]
    pub(crate) fn tape_mut(&mut self) -> &mut N::Tape<B> {
        &mut self.tape
    }

    /// The network's output for the last batch, as computed in training mode.
    pub fn output(&self) -> &Out<N, B> {
        &self.output
    }

    /// The parameter gradient of the last batch.
    pub fn grad(&self) -> &N::Grad {
        &self.grad
    }

    /// The optimizer's state, e.g. Adam's moments, to inspect or to save.
    pub fn optimizer_state(&self) -> &Opt::State<N::Grad> {
        &self.state
    }

    /// The optimizer's state, mutably: to restore it when resuming training.
    pub fn optimizer_state_mut(&mut self) -> &mut Opt::State<N::Grad> {
        &mut self.state
    }
}
