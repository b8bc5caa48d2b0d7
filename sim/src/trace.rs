//! The reference run: one fixed scenario whose trace hash is a golden value, checked
//! natively (`tests/determinism.rs`) and in the browser (`tests/web.rs`).
//!
//! Invariant: the scenario never changes without the golden value
//! (`sim/tests/reference_trace.txt`) changing in the same commit.

use crate::commands::UserCommand;
use crate::config::SimConfig;
use crate::ids::DcId;
use crate::sim::Sim;
use crate::time::SimTime;

/// The reference run both the native and the browser determinism tests replay: 5 DCs,
/// seed 42, 100 ops/s; DC1 killed at 10 s and revived at 20 s; stopped at 30 s.
pub fn reference_trace() -> u64 {
    let mut c = SimConfig {
        seed: 42,
        ..SimConfig::default()
    };
    c.workload.ops_per_sec = 100;
    let Ok(mut s) = Sim::new(c) else { return 0 };
    s.advance_to(SimTime(10_000));
    let _ = s.apply(UserCommand::Kill(DcId(1)));
    s.advance_to(SimTime(20_000));
    let _ = s.apply(UserCommand::Revive(DcId(1)));
    s.advance_to(SimTime(30_000));
    s.trace_hash()
}
