//! The core's integration tests in one binary, one module per mechanism (as raft-rs's
//! harness does): one link instead of one per file. `common` holds the shared helpers
//! (the browser tests include it too). Run one topic with a filter, e.g.
//! `cargo test --release -p tablestore-sim --test core fault_schedules`.
#![cfg(not(target_arch = "wasm32"))]

mod common;

mod balancer;
mod compaction;
mod detector;
mod determinism;
mod explore;
mod failover;
mod fault_schedules;
mod fields;
mod hostile_input;
mod lessons;
mod membership;
mod memory;
mod network;
mod placement;
mod replication;
mod session;
mod tables;
mod timeline;
mod truth;
mod txn;
mod workload;
