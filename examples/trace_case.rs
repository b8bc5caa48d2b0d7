//! Prints the trace hash of the fixed determinism scenario that tests/web.rs (wasm) and the
//! native determinism test both assert, so the constant can be read off natively.
use tablestore_playground::sim::{DcId, Sim, SimConfig, SimTime, UserCommand};

fn main() {
    let mut c = SimConfig::default();
    c.seed = 42;
    c.workload.ops_per_sec = 100;
    let Ok(mut s) = Sim::new(c) else {
        eprintln!("default config rejected");
        std::process::exit(1);
    };
    s.advance_to(SimTime(10_000));
    let _ = s.apply(UserCommand::Kill(DcId(1)));
    s.advance_to(SimTime(20_000));
    let _ = s.apply(UserCommand::Revive(DcId(1)));
    s.advance_to(SimTime(30_000));
    println!("trace_hash = {:#018x} ({})", s.trace_hash(), s.trace_hash());
}
