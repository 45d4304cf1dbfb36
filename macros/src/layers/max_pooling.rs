//! `MaxPooling2D<pool>`: `MaxPooling2D<2>` (2×2), `MaxPooling2D<3x2>`, with the keywords
//! `strides` (the pool size unless given, as in Keras) and `padding` (`Valid` unless given).
//! Its training tape keeps where each maximum is, one scalar per output.

use super::window::{Pool, Pooling};
use super::{Context, Kind, Resolved};

pub struct MaxPooling2D;

/// What the macro knows of the layer beside the arguments every pooling layer reads.
static POOL: Pool = Pool {
    name: "MaxPooling2D",
    field: "max_pooling2d",
    tape_per_output: true,
    int8: true,
};

impl Kind for MaxPooling2D {
    fn name(&self) -> &'static str {
        POOL.name
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        Pooling::resolve(&POOL, ctx)
    }
}
