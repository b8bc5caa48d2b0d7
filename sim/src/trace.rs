//! The run's fingerprint. Invariant: the hash depends only on what happened (events and
//! deliveries, in order) and is computed identically on 32- and 64-bit targets (every
//! length and discriminant is widened to 64 bits before hashing).

use super::ids::DcId;
use super::net::Envelope;
use super::time::SimTime;
use super::EventKind;
use std::hash::{Hash, Hasher};

/// FNV-1a, 64-bit, with platform-independent integer widths.
#[derive(Clone, Debug)]
pub struct TraceHasher {
    h: u64,
}

const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const PRIME: u64 = 0x0000_0100_0000_01b3;

impl Default for TraceHasher {
    fn default() -> Self {
        TraceHasher { h: OFFSET }
    }
}

impl TraceHasher {
    pub fn new() -> TraceHasher {
        TraceHasher::default()
    }

    pub fn value(&self) -> u64 {
        self.h
    }

    pub fn event(&mut self, at: SimTime, dc: Option<DcId>, kind: &EventKind) {
        self.write_u64(1);
        at.hash(self);
        dc.hash(self);
        kind.hash(self);
    }

    pub fn delivery(&mut self, env: &Envelope) {
        self.write_u64(2);
        self.write_u64(env.seq);
        self.write_u64(env.deliver_at.0);
        self.write_u64(u64::from(env.src.0));
        self.write_u64(u64::from(env.dst.0));
        env.msg.kind().hash(self);
    }
}

impl Hasher for TraceHasher {
    fn finish(&self) -> u64 {
        self.h
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.h ^= u64::from(b);
            self.h = self.h.wrapping_mul(PRIME);
        }
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }

    fn write_isize(&mut self, i: isize) {
        self.write_i64(i as i64);
    }

    fn write_u64(&mut self, i: u64) {
        self.write(&i.to_le_bytes());
    }
}

/// The reference run both the native and the browser determinism tests replay: 5 DCs,
/// seed 42, 100 ops/s; DC1 killed at 10 s and revived at 20 s; stopped at 30 s.
pub fn reference_trace() -> u64 {
    use super::{DcId, Sim, SimConfig, UserCommand};
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
