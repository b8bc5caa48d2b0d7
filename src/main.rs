//! The playground's entry point: installs the panic hook and mounts the app (wasm only;
//! natively there is nothing to run — the simulation is exercised by tests and examples).

fn main() {
    #[cfg(target_arch = "wasm32")]
    tablestore_playground::ui::start();
}
