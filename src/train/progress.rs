//! Progress output like Keras' `fit`, on standard output.
//!
//! - On a terminal, a live bar per epoch (Keras' `verbose=1`), redrawn at most every 50 ms:
//!   ```text
//!   Epoch 3/10
//!   142/250 ━━━━━━━━━━━───────── ETA 1s 4ms/step - loss: 0.1432 - accuracy: 0.9581
//!   ```
//!   and at the epoch's end the same line with the elapsed time and the validation logs.
//! - Otherwise (a log file, a pipe), one line per epoch (`verbose=2`), so logs do not flood:
//!   `250/250 - 1s - 4ms/step - loss: 0.1432 - accuracy: 0.9581 - val_loss: ...`.
//! - [`Verbosity::Silent`] prints nothing.
//!
//! Hand-written rather than `indicatif`: the bar is one line of `\r` and text, and writing it
//! to the locked `stdout` allocates nothing per step.

use std::io::{IsTerminal, Stdout, Write};
use std::time::{Duration, Instant};

use super::Logs;
use crate::metrics::MetricState;

/// How much `fit` prints.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Verbosity {
    /// Nothing.
    Silent,
    /// A live bar on a terminal, one line per epoch otherwise (the default).
    #[default]
    Auto,
    /// A live bar, even when standard output is not a terminal.
    Bar,
    /// One line per epoch.
    Lines,
}

const WIDTH: usize = 20;
const REDRAW: Duration = Duration::from_millis(50);

/// The progress of one `fit`.
pub(crate) struct Progress {
    mode: Verbosity,
    epochs: usize,
    steps: usize,
    out: Stdout,
    epoch_start: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    pub(crate) fn new(verbosity: Verbosity, epochs: usize, steps: usize) -> Self {
        let out = std::io::stdout();
        let mode = match verbosity {
            Verbosity::Auto if out.is_terminal() => Verbosity::Bar,
            Verbosity::Auto => Verbosity::Lines,
            other => other,
        };
        Progress {
            mode,
            epochs,
            steps,
            out,
            epoch_start: Instant::now(),
            last_draw: None,
        }
    }

    /// Prints `Epoch 3/10` (epoch from 0) and starts the clock.
    pub(crate) fn begin(&mut self, epoch: usize) {
        self.epoch_start = Instant::now();
        self.last_draw = None;
        if self.mode != Verbosity::Silent {
            // Progress is a courtesy: a closed stdout must not stop training.
            let _ = writeln!(self.out.lock(), "Epoch {}/{}", epoch + 1, self.epochs);
        }
    }

    /// After step `step` (from 1): redraws the bar with the running loss and metrics.
    pub(crate) fn step(&mut self, step: usize, loss: f64, metrics: &[MetricState]) {
        let now = Instant::now();
        let due = self.last_draw.is_none_or(|t| now - t >= REDRAW);
        if self.mode != Verbosity::Bar || !due || step == self.steps {
            return;
        }
        self.last_draw = Some(now);
        let elapsed = now - self.epoch_start;
        let per_step = elapsed / step as u32;
        let eta = per_step * (self.steps - step) as u32;
        let mut out = self.out.lock();
        let _ = write!(out, "\r{}/{} ", step, self.steps);
        let _ = write_bar(&mut out, step, self.steps);
        let _ = write!(
            out,
            " ETA {} {}/step - loss: {loss:.4}",
            Secs(eta),
            Time(per_step)
        );
        for m in metrics {
            let _ = write!(out, " - {}: {:.4}", m.name(), m.result());
        }
        let _ = write!(out, "\x1b[K");
        let _ = out.flush();
    }

    /// Ends the epoch's line with its logs (validation included).
    pub(crate) fn end(&mut self, logs: &Logs) {
        let elapsed = self.epoch_start.elapsed();
        let per_step = elapsed / self.steps.max(1) as u32;
        let (steps, time) = (self.steps, Secs(elapsed));
        let mut out = self.out.lock();
        let _ = match self.mode {
            Verbosity::Silent | Verbosity::Auto => return,
            Verbosity::Bar => {
                let _ = write!(out, "\r{steps}/{steps} ");
                let _ = write_bar(&mut out, steps, steps);
                writeln!(out, " {time} {}/step - {logs}\x1b[K", Time(per_step))
            }
            Verbosity::Lines => {
                writeln!(
                    out,
                    "{steps}/{steps} - {time} - {}/step - {logs}",
                    Time(per_step)
                )
            }
        };
        let _ = out.flush();
    }
}

/// `━━━━━━───────`: done steps heavy, the rest light.
fn write_bar(out: &mut impl Write, step: usize, steps: usize) -> std::io::Result<()> {
    let done = (step * WIDTH).checked_div(steps).unwrap_or(WIDTH);
    for i in 0..WIDTH {
        out.write_all(if i < done { "━" } else { "─" }.as_bytes())?;
    }
    Ok(())
}

/// Whole seconds, as Keras prints an epoch's time: `3s`.
struct Secs(Duration);

impl std::fmt::Display for Secs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}s", self.0.as_secs_f64().round() as u64)
    }
}

/// A step's time in the unit that keeps it readable: `4ms`, `850us`, `2s`.
struct Time(Duration);

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let micros = self.0.as_micros();
        match micros {
            0..1_000 => write!(f, "{micros}us"),
            1_000..1_000_000 => write!(f, "{}ms", micros / 1_000),
            _ => write!(f, "{}s", micros / 1_000_000),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::{String, ToString};
    use std::vec::Vec;

    #[test]
    fn times_and_bars_read_like_keras() {
        assert_eq!(Time(Duration::from_micros(850)).to_string(), "850us");
        assert_eq!(Time(Duration::from_micros(4_200)).to_string(), "4ms");
        assert_eq!(Time(Duration::from_secs(3)).to_string(), "3s");
        assert_eq!(Secs(Duration::from_millis(2_600)).to_string(), "3s");
        let mut bar = Vec::new();
        write_bar(&mut bar, 5, 10).unwrap();
        let bar = String::from_utf8(bar).unwrap();
        assert_eq!(bar, "━".repeat(10) + &"─".repeat(10));
    }
}
