//! Helpers shared by the native integration tests.
#![allow(dead_code)]

pub mod schedule;

use tablestore_sim::config::{ReplicationMode, SimConfig};
use tablestore_sim::table::{Pk, Value, WriteKind, WriteOp};
use tablestore_sim::{
    Breakpoint, ClientOp, DcId, EventKind, Sim, SimTime, TableId, TxnId, UserCommand,
};

/// `n` DCs, no background workload, short timers so tests run quickly.
pub fn quiet_config(n: usize) -> SimConfig {
    let mut c = SimConfig::with_dcs(n);
    c.workload.ops_per_sec = 0;
    c.heartbeat_interval_ms = 100;
    c.suspect_after_ms = 300;
    c.dead_after_ms = 800;
    c.replication_interval_ms = 200;
    c.txn_timeout_ms = 500;
    c.request_timeout_ms = 2_000;
    c.jitter_ms = 0;
    c
}

pub fn with_mode(mut c: SimConfig, mode: ReplicationMode) -> SimConfig {
    for t in &mut c.tables {
        t.mode = mode;
    }
    c
}

pub fn pk(k: &str) -> Pk {
    vec![Value::Str(k.into())]
}

pub fn put(k: &str, v: i64) -> ClientOp {
    ClientOp::Write(WriteOp {
        table: TableId(0),
        pk: pk(k),
        kind: WriteKind::Put(vec![("balance".into(), Value::Int(v))]),
    })
}

pub fn get(k: &str) -> ClientOp {
    ClientOp::Get {
        table: TableId(0),
        pk: pk(k),
    }
}

/// A key of table 0 whose primary is `owner`.
pub fn key_owned_by(sim: &Sim, owner: DcId) -> String {
    (0..10_000)
        .map(|i| format!("k{i}"))
        .find(|k| sim.primary_for(TableId(0), &pk(k)).0 == owner)
        .expect("some key maps to every DC")
}

/// Issues `op` at `home` and returns the request's outcome event once it completes.
pub fn run_op(sim: &mut Sim, home: DcId, op: ClientOp, budget_ms: u64) -> Option<(bool, String)> {
    let req = sim.next_req();
    sim.apply(UserCommand::Issue { home, op })
        .expect("valid op");
    let deadline = sim.now().plus(budget_ms);
    while sim.now() < deadline {
        if let Some(r) = op_outcome(sim, req.0) {
            return Some(r);
        }
        sim.advance_by(5);
    }
    op_outcome(sim, req.0)
}

pub fn op_outcome(sim: &Sim, req: u64) -> Option<(bool, String)> {
    sim.events().find_map(|e| match &e.kind {
        EventKind::Op {
            req: r, ok, detail, ..
        } if r.0 == req => Some((*ok, detail.clone())),
        _ => None,
    })
}

pub fn t(ms: u64) -> SimTime {
    SimTime(ms)
}

/// A transaction writing `balance = 1` to each key of table 0.
pub fn txn_over(keys: &[String]) -> ClientOp {
    ClientOp::Txn(
        keys.iter()
            .map(|k| WriteOp {
                table: TableId(0),
                pk: pk(k),
                kind: WriteKind::Put(vec![("balance".into(), Value::Int(1))]),
            })
            .collect(),
    )
}

/// Keys owned by three different DCs, none of them `coordinator`.
pub fn spread_keys(sim: &Sim, coordinator: DcId) -> Vec<String> {
    sim.dc_ids()
        .into_iter()
        .filter(|&d| d != coordinator)
        .take(3)
        .map(|d| key_owned_by(sim, d))
        .collect()
}

/// Issues a transaction over keys of three other DCs at `coord` and runs until its
/// coordinator has decided (the decision not yet sent); the breakpoint is cleared again.
pub fn txn_to_its_decision(sim: &mut Sim, coord: DcId) -> TxnId {
    let keys = spread_keys(sim, coord);
    let txn = TxnId(sim.next_req().0);
    sim.set_breakpoint(Some(Breakpoint::TxnDecision));
    sim.apply(UserCommand::Issue {
        home: coord,
        op: txn_over(&keys),
    })
    .unwrap();
    assert!(run_to_breakpoint(sim, 5_000), "the coordinator decided");
    sim.set_breakpoint(None);
    txn
}

/// Runs until the breakpoint set on `sim` hits, for at most `budget_ms` of simulated time.
pub fn run_to_breakpoint(sim: &mut Sim, budget_ms: u64) -> bool {
    let end = sim.now().plus(budget_ms);
    while sim.now() < end {
        if sim.advance_by(50) {
            return true;
        }
    }
    false
}
