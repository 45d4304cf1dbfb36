//! `AveragePooling2D<pool>`: `AveragePooling2D<2>` (2×2), `AveragePooling2D<3x2>`, with the
//! keywords `strides` (the pool size unless given, as in Keras) and `padding` (`Valid` unless
//! given). It keeps no training tape.

use super::window::{Pool, Pooling};
use super::{Context, Kind, Resolved};

pub struct AveragePooling2D;

/// What the macro knows of the layer beside the arguments every pooling layer reads.
static POOL: Pool = Pool {
    name: "AveragePooling2D",
    field: "average_pooling2d",
    tape_per_output: false,
    int8: false,
};

impl Kind for AveragePooling2D {
    fn name(&self) -> &'static str {
        POOL.name
    }

    fn resolve(&self, ctx: &Context<'_>) -> syn::Result<Option<Box<dyn Resolved>>> {
        Pooling::resolve(&POOL, ctx)
    }
}
