//! The browser playground for the Table Store simulation: the Yew app (`ui`, wasm only)
//! over the deterministic core, which lives in its own crate (`tablestore-sim`, in `sim/`)
//! and is re-exported here as `sim`.

pub use tablestore_sim as sim;

#[cfg(target_arch = "wasm32")]
pub mod ui;
