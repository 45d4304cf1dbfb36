//! Logs of one epoch and the History of a whole `fit`, keyed by Keras' names: `loss`, each
//! metric's name (`accuracy`, `mean_absolute_error`, ...), and `val_` before each for the
//! validation data.

use core::fmt;
use std::string::String;
use std::vec::Vec;

/// Named values of one epoch (or one evaluation), in the order they were logged.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Logs {
    entries: Vec<(String, f64)>,
}

impl Logs {
    /// Adds (or replaces) the entry `name`.
    pub fn insert(&mut self, name: impl Into<String>, value: f64) {
        let name = name.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The value of `name`, if logged.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.entries.iter().find(|(n, _)| n == name).map(|e| e.1)
    }

    /// The loss: `loss`, or 0 if not logged.
    pub fn loss(&self) -> f64 {
        self.get("loss").unwrap_or(0.0)
    }

    /// The names logged, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    /// The entries, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), *v))
    }
}

/// `loss: 0.1234 - accuracy: 0.9620`, as Keras prints logs.
impl fmt::Display for Logs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.iter().enumerate() {
            let sep = if i == 0 { "" } else { " - " };
            write!(f, "{sep}{name}: {value:.4}")?;
        }
        Ok(())
    }
}

/// What `fit` returns: for each logged name, its value at the end of each epoch (Keras'
/// `History.history`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    keys: Vec<String>,
    values: Vec<Vec<f64>>,
    epochs: usize,
}

impl History {
    /// Appends one epoch's logs.
    pub fn push(&mut self, logs: &Logs) {
        for (name, value) in logs.iter() {
            let k = match self.keys.iter().position(|k| k == name) {
                Some(k) => k,
                None => {
                    self.keys.push(name.into());
                    self.values.push(Vec::new());
                    self.keys.len() - 1
                }
            };
            self.values[k].push(value);
        }
        self.epochs += 1;
    }

    /// The values of `name`, one per epoch: `history.get("val_accuracy")`.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        let k = self.keys.iter().position(|k| k == name)?;
        Some(&self.values[k])
    }

    /// The names logged, in order of first appearance.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(String::as_str)
    }

    /// How many epochs ran.
    pub fn epochs(&self) -> usize {
        self.epochs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn logs_print_like_keras_and_history_collects_them() {
        let mut logs = Logs::default();
        logs.insert("loss", 0.5);
        logs.insert("accuracy", 0.75);
        logs.insert("loss", 0.25);
        assert_eq!(logs.to_string(), "loss: 0.2500 - accuracy: 0.7500");
        let mut history = History::default();
        history.push(&logs);
        logs.insert("val_loss", 1.0);
        history.push(&logs);
        assert_eq!(history.get("loss"), Some(&[0.25, 0.25][..]));
        assert_eq!(history.get("val_loss"), Some(&[1.0][..]));
        assert_eq!(history.get("mae"), None);
        assert_eq!(history.epochs(), 2);
        let keys: Vec<&str> = history.keys().collect();
        assert_eq!(keys, ["loss", "accuracy", "val_loss"]);
    }
}
