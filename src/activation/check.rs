//! Finite-difference check of an activation's backward pass (f64).

use super::Activation;

/// Compares `A::backward` with central differences of `L = Σ wᵢ·yᵢ` for fixed random-looking
/// weights, at points chosen away from the kinks of ReLU-like functions.
pub(crate) fn derivative<A: Activation>() {
    const N: usize = 4;
    let z = [-2.3, -0.7, 0.4, 1.9, 0.05, -0.15, 3.1, -4.2];
    let w = [0.3, -1.1, 0.8, 0.5, -0.2, 0.9, -0.6, 1.4];
    let loss = |z: [f64; 8]| {
        let mut y = z;
        A::apply(&mut y, N);
        y.iter().zip(&w).map(|(y, w)| y * w).sum::<f64>()
    };
    let mut y = z;
    A::apply(&mut y, N);
    let mut d = w;
    A::backward(&z, &y, &mut d, N);
    let h = 1e-6;
    for i in 0..z.len() {
        let (mut hi, mut lo) = (z, z);
        hi[i] += h;
        lo[i] -= h;
        let numeric = (loss(hi) - loss(lo)) / (2.0 * h);
        approx::assert_relative_eq!(d[i], numeric, epsilon = 1e-8, max_relative = 1e-6);
    }
}
