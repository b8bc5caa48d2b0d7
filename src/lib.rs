//! Table Store across datacenters: a deterministic simulation (`sim`) and the browser
//! playground that shows it (`ui`, wasm only).

pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod ui;
