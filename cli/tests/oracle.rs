//! An independent judge of `tablestore-sim run --settle` reports (Jepsen-style): it reads
//! only the JSON report — the client history and the settled end state — through
//! `serde_json::Value`, never the core's types or checker, and says which promises were
//! broken. Its rules (documented in docs/RUNNER.md):
//!
//! 1. **Acknowledged writes survive.** Every write acknowledged OK in a Sync, SemiSync or
//!    Quorum table with the copies its mode promises for (docs/REPLICATION.md: R for
//!    Sync, 2 for SemiSync, w for Quorum(w); the acknowledgement tells the client how
//!    many copies it had), and every such row of a committed transaction, is present
//!    at the shard's primary, or overwritten: the row shows the effect of another write
//!    to the same row that is not known to have completed before this one was invoked
//!    (A completed before B was invoked exactly when `A.completed_seq < B.invoked_seq`;
//!    anything else may overlap, and an overlap always excuses — conservative).
//! 2. **Failed writes leave no trace.** No value written by a failed write or an aborted
//!    transaction is stored on any DC or returned by any read.
//! 3. **Replicas converge.** After settling, the up replicas of a shard hold the same
//!    rows with the same values (contents, not log positions).
//! 4. **Owner / Quorum reads are fresh.** A read at `owner` or `quorum` consistency of a
//!    Sync/SemiSync/Quorum table returns a state produced by a write not known to precede
//!    the latest write acknowledged (with its promised copies) before the read was invoked.
//!
//! A write acknowledged with fewer copies than that (the primary saw its replicas dead)
//! was told to the client as degraded: the table promises it nothing the oracle can judge
//! from the outside, so rules 1 and 4 skip it (the core checker still grades it: a loss
//! while a replica was surely live is a violation there).
//!
//! An operation whose outcome is unknown (timeout, fenced, never answered) never
//! completes: it may take effect at any moment after its invocation (as Jepsen's `:info`).
//!
//! Values are unique per run (the workload writes a counter), so a stored value names the
//! write that produced it; a value written twice (a hand-made scenario) is ignored.
//!
//! The agreement test runs the binary (`schedule S | run - --settle`) per seed and
//! compares the verdict with the core checker's (`violations > 0` in the same report).

use serde_json::Value as J;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

/// One broken promise the oracle found.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Loss {
    kind: &'static str,
    text: String,
}

/// A write as the history tells it: one row of one request.
#[derive(Clone, Debug)]
struct W {
    req: u64,
    txn: bool,
    table: String,
    key: String,
    kind: String,
    set: Vec<(String, J)>,
    outcome: String,
    invoked: u64,
    completed: u64,
    /// The copies its acknowledgement reported (0: not acknowledged).
    copies: u64,
}

fn s(v: &J) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn n(v: &J) -> u64 {
    v.as_u64().unwrap_or(u64::MAX)
}

/// `a` is known to have completed before `b` was invoked.
fn before(a: &W, b_invoked: u64) -> bool {
    a.completed < b_invoked
}

/// A stored or read row: tombstone flag and cell values by column.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RowV {
    deleted: bool,
    cells: BTreeMap<String, String>,
}

fn row_of(r: &J) -> RowV {
    let mut cells = BTreeMap::new();
    for c in r["cells"].as_array().into_iter().flatten() {
        cells.insert(s(&c["column"]), c["value"].to_string());
    }
    RowV {
        deleted: r["deleted"].as_bool().unwrap_or(false),
        cells,
    }
}

/// Judges one settled report; returns what it found (empty: every promise kept).
fn judge(report: &J) -> Vec<Loss> {
    let mut found = Vec::new();
    let modes: BTreeMap<String, String> = report["tables"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| (s(&t["name"]), s(&t["mode"])))
        .collect();
    let strong = |table: &str| modes.get(table).is_some_and(|m| m != "async");
    // The copies an acknowledgement needs for the mode's full promise (REPLICATION.md).
    let rf = report["replication_factor"]
        .as_u64()
        .unwrap_or(1)
        .min(report["dcs"].as_u64().unwrap_or(u64::MAX));
    let full = |table: &str| -> u64 {
        match modes.get(table).map(String::as_str) {
            Some("sync") => rf,
            Some("semisync") => 2.min(rf),
            Some(m) => m
                .strip_prefix("quorum")
                .and_then(|w| w.parse().ok())
                .unwrap_or(u64::MAX),
            None => u64::MAX,
        }
    };
    let promised = |w: &W| w.outcome == "Ok" && strong(&w.table) && w.copies >= full(&w.table);
    let history = report["history"].as_array().cloned().unwrap_or_default();
    // Every row write, and which write each value came from.
    let mut writes: Vec<W> = Vec::new();
    for e in &history {
        for r in e["writes"].as_array().into_iter().flatten() {
            writes.push(W {
                req: n(&e["req"]),
                txn: s(&e["kind"]) == "txn",
                table: s(&r["table"]),
                key: s(&r["key"]),
                kind: s(&r["kind"]),
                set: r["set"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| (s(&p[0]), p[1].clone()))
                    .collect(),
                outcome: s(&e["outcome"]),
                invoked: n(&e["invoked_seq"]),
                // An operation with an unknown outcome (timed out, fenced, never answered)
                // may still take effect at any later moment: it never completes.
                completed: if s(&e["outcome"]) == "Unknown" {
                    u64::MAX
                } else {
                    n(&e["completed_seq"])
                },
                copies: r["copies"].as_u64().unwrap_or(0),
            });
        }
    }
    let mut by_value: BTreeMap<String, usize> = BTreeMap::new();
    let mut twice: BTreeSet<String> = BTreeSet::new();
    for (i, w) in writes.iter().enumerate() {
        for (_, v) in &w.set {
            if by_value.insert(v.to_string(), i).is_some() {
                twice.insert(v.to_string());
            }
        }
    }
    for v in &twice {
        by_value.remove(v);
    }
    let mut by_row: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, w) in writes.iter().enumerate() {
        by_row
            .entry((w.table.clone(), w.key.clone()))
            .or_default()
            .push(i);
    }
    // The end state: copies by (table, shard).
    let mut copies: BTreeMap<(String, u64), Vec<&J>> = BTreeMap::new();
    for c in report["final_state"].as_array().into_iter().flatten() {
        copies
            .entry((s(&c["table"]), n(&c["shard"])))
            .or_default()
            .push(c);
    }
    let shard_of = |key: &str| report["key_shards"][key].as_u64();
    let primary_row = |table: &str, key: &str| -> Result<Option<RowV>, String> {
        let shard = shard_of(key).ok_or_else(|| format!("no shard for {key}"))?;
        let cs = copies
            .get(&(table.to_string(), shard))
            .ok_or_else(|| format!("no copy of {table} s{shard}"))?;
        let prim: Vec<&&J> = cs
            .iter()
            .filter(|c| c["primary"] == J::Bool(true))
            .collect();
        if prim.len() != 1 {
            return Err(format!("{} primaries of {table} s{shard}", prim.len()));
        }
        Ok(prim[0]["rows"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|r| s(&r["key"]) == key)
            .map(|r| row_of(&r["row"])))
    };
    // Which writes to the row could have produced `row` (by value; any delete for a
    // tombstone, as a tombstone carries no value).
    let producers = |table: &str, key: &str, row: &RowV| -> Vec<usize> {
        let mut p: BTreeSet<usize> = row
            .cells
            .values()
            .filter_map(|v| by_value.get(v).copied())
            .collect();
        if row.deleted {
            for &i in by_row
                .get(&(table.to_string(), key.to_string()))
                .into_iter()
                .flatten()
            {
                if writes[i].kind == "delete" {
                    p.insert(i);
                }
            }
        }
        p.into_iter()
            .filter(|&i| writes[i].outcome != "Fail")
            .collect()
    };
    let present = |w: &W, row: &Option<RowV>| -> bool {
        match (w.kind.as_str(), row) {
            ("delete", Some(r)) => r.deleted,
            (_, Some(r)) if !r.deleted => w
                .set
                .iter()
                .all(|(c, v)| r.cells.get(c) == Some(&v.to_string())),
            _ => false,
        }
    };
    // Rule 1: acknowledged writes and committed transaction rows survive.
    for w in &writes {
        if !promised(w) {
            continue;
        }
        let row = match primary_row(&w.table, &w.key) {
            Ok(r) => r,
            Err(e) => {
                found.push(Loss {
                    kind: "no-primary",
                    text: e,
                });
                continue;
            }
        };
        if present(w, &row) {
            continue;
        }
        let excused = row.as_ref().is_some_and(|r| {
            producers(&w.table, &w.key, r)
                .into_iter()
                .any(|i| writes[i].req != w.req && !before(&writes[i], w.invoked))
        });
        if !excused {
            let what = if w.txn { "txn-row-lost" } else { "write-lost" };
            let now = match &row {
                None => "no row".to_string(),
                Some(r) if r.deleted => "a tombstone".to_string(),
                Some(r) => {
                    let by: Vec<String> = producers(&w.table, &w.key, r)
                        .into_iter()
                        .map(|i| {
                            format!(
                                "#{} (completed at event {})",
                                writes[i].req, writes[i].completed
                            )
                        })
                        .collect();
                    format!("{:?} written by {}", r.cells, by.join(", "))
                }
            };
            found.push(Loss {
                kind: what,
                text: format!(
                    "{} {} of {}/{} by request #{} ({}, acknowledged at event {}) is gone from the primary, which holds {now}",
                    modes.get(&w.table).cloned().unwrap_or_default(),
                    w.kind,
                    w.table,
                    w.key,
                    w.req,
                    if w.txn { "transaction row" } else { "plain write" },
                    w.completed
                ),
            });
        }
    }
    // Rule 2: no trace of failed writes, on any DC or in any read.
    let failed: BTreeMap<String, &W> = writes
        .iter()
        .filter(|w| w.outcome == "Fail")
        .flat_map(|w| w.set.iter().map(move |(_, v)| (v.to_string(), w)))
        .filter(|(v, _)| !twice.contains(v))
        .collect();
    let mut ghost_seen = BTreeSet::new();
    for c in report["final_state"].as_array().into_iter().flatten() {
        for r in c["rows"].as_array().into_iter().flatten() {
            for v in row_of(&r["row"]).cells.values() {
                if let Some(w) = failed.get(v) {
                    if ghost_seen.insert((w.req, n(&c["dc"]))) {
                        found.push(Loss {
                            kind: "failed-write-stored",
                            text: format!(
                                "value {v} of failed {} #{} is stored at DC{} ({}/{})",
                                if w.txn { "transaction" } else { "write" },
                                w.req,
                                n(&c["dc"]),
                                w.table,
                                w.key
                            ),
                        });
                    }
                }
            }
        }
    }
    for e in &history {
        for r in e["reads"].as_array().into_iter().flatten() {
            if r["row"].is_null() {
                continue;
            }
            for v in row_of(&r["row"]).cells.values() {
                if let Some(w) = failed.get(v) {
                    found.push(Loss {
                        kind: "failed-write-read",
                        text: format!(
                            "read #{} returned value {v} of failed request #{}",
                            n(&e["req"]),
                            w.req
                        ),
                    });
                }
            }
        }
    }
    // Rule 3: up replicas of a shard hold the same contents.
    for ((table, shard), cs) in &copies {
        let reps: Vec<&&J> = cs
            .iter()
            .filter(|c| c["replica"] == J::Bool(true) && c["up"] == J::Bool(true))
            .collect();
        let contents = |c: &J| -> BTreeMap<String, RowV> {
            c["rows"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| (s(&r["key"]), row_of(&r["row"])))
                .collect()
        };
        if let Some(first) = reps.first() {
            let a = contents(first);
            for other in &reps[1..] {
                let b = contents(other);
                if a != b {
                    let diff: Vec<&String> = a
                        .keys()
                        .chain(b.keys())
                        .filter(|k| a.get(*k) != b.get(*k))
                        .take(3)
                        .collect();
                    found.push(Loss {
                        kind: "replicas-differ",
                        text: format!(
                            "{table} s{shard}: DC{} and DC{} differ after settling (e.g. {diff:?})",
                            n(&first["dc"]),
                            n(&other["dc"])
                        ),
                    });
                }
            }
        }
    }
    // Rule 4: Owner / Quorum reads are not older than the last acknowledged write.
    let consistency = s(&report["read_consistency"]);
    if consistency == "owner" || consistency == "quorum" {
        for e in &history {
            if s(&e["kind"]) != "get" || s(&e["outcome"]) != "Ok" {
                continue;
            }
            let Some(r) = e["reads"].as_array().and_then(|a| a.first()) else {
                continue;
            };
            let (table, key) = (s(&r["table"]), s(&r["key"]));
            if !strong(&table) {
                continue;
            }
            let invoked = n(&e["invoked_seq"]);
            let got = (!r["row"].is_null()).then(|| row_of(&r["row"]));
            let prods: Vec<usize> = got
                .as_ref()
                .map(|g| producers(&table, &key, g))
                .unwrap_or_default();
            // An acknowledged write that completed before the read began and that every
            // possible producer of what was read is known to precede.
            let newer = by_row
                .get(&(table.clone(), key.clone()))
                .into_iter()
                .flatten()
                .map(|&i| &writes[i])
                .filter(|w| promised(w) && before(w, invoked))
                .filter(|w| !prods.iter().any(|&p| writes[p].req == w.req))
                .find(|w| prods.iter().all(|&p| before(&writes[p], w.invoked)));
            if let Some(w) = newer {
                if got.as_ref().is_some_and(|g| !g.deleted && prods.is_empty()) {
                    continue; // a value no history entry explains: not judged here
                }
                found.push(Loss {
                    kind: "stale-read",
                    text: format!(
                        "read #{} of {table}/{key} at {consistency} (invoked after event {invoked}) returned {} but request #{} ({}) completed at event {}",
                        n(&e["req"]),
                        match &got {
                            None => "nothing".to_string(),
                            Some(g) if g.deleted => "a tombstone".to_string(),
                            Some(g) => format!("{:?}", g.cells),
                        },
                        w.req,
                        w.kind,
                        w.completed
                    ),
                });
            }
        }
    }
    found.sort();
    found
}

// ------------------------------------------------------------------ running the binary

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tablestore-sim")
}

/// The settled report of `seed`'s schedule, through the binary (schedule | run).
fn settled_report(seed: u64, modes: &str) -> J {
    let sched = Command::new(bin())
        .args(["schedule", &seed.to_string(), "--modes", modes])
        .output()
        .expect("schedule runs");
    assert!(sched.status.success(), "schedule {seed} failed");
    let mut run = Command::new(bin())
        .args(["run", "-", "--settle"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run starts");
    run.stdin
        .take()
        .expect("stdin")
        .write_all(&sched.stdout)
        .expect("scenario written");
    let out = run.wait_with_output().expect("run ends");
    assert!(out.status.success(), "run {seed} failed");
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

/// Seed, the oracle's findings, the core checker's violations.
fn verdicts(from: u64, count: u64, modes: &str) -> Vec<(u64, Vec<Loss>, u64)> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let mut all: Vec<(u64, Vec<Loss>, u64)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..jobs)
            .map(|t| {
                sc.spawn(move || {
                    (from..from + count)
                        .filter(|s| s % jobs == t)
                        .map(|seed| {
                            let r = settled_report(seed, modes);
                            (seed, judge(&r), r["violations"].as_u64().unwrap_or(0))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        hs.into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    all.sort_by_key(|v| v.0);
    all
}

// ------------------------------------------------------------------ tests

/// A minimal report: one Sync table `t`, one shard on two DCs, the given history and
/// rows at the primary (DC0) and the replica (DC1).
fn synthetic(history: J, primary_rows: J, replica_rows: J) -> J {
    serde_json::json!({
        "tables": [{"name": "t", "mode": "sync"}],
        "read_consistency": "owner",
        "replication_factor": 2,
        "dcs": 2,
        "history": history,
        "key_shards": {"k1": 0, "k2": 0},
        "final_state": [
            {"table": "t", "shard": 0, "dc": 0, "primary": true, "replica": true, "up": true, "rows": primary_rows},
            {"table": "t", "shard": 0, "dc": 1, "primary": false, "replica": true, "up": true, "rows": replica_rows}
        ],
        "violations": 0
    })
}

fn put(req: u64, key: &str, v: i64, outcome: &str, inv: u64, done: u64) -> J {
    let copies = if outcome == "Ok" { 2 } else { 0 };
    put_with(req, key, v, outcome, inv, done, copies)
}

fn put_with(req: u64, key: &str, v: i64, outcome: &str, inv: u64, done: u64, copies: u8) -> J {
    serde_json::json!({
        "req": req, "kind": "put", "outcome": outcome, "invoked_seq": inv, "completed_seq": done,
        "writes": [{"table": "t", "key": key, "kind": "put", "set": [["balance", {"Int": v}]], "unset": [], "copies": copies}],
        "reads": []
    })
}

fn row(key: &str, v: i64) -> J {
    serde_json::json!({"key": key, "row": {"deleted": false, "cells": [{"column": "balance", "value": {"Int": v}}]}})
}

#[test]
fn the_oracle_is_not_blind() {
    // Kept: nothing to say.
    let ok = synthetic(
        serde_json::json!([put(1, "k1", 10, "Ok", 1, 5)]),
        serde_json::json!([row("k1", 10)]),
        serde_json::json!([row("k1", 10)]),
    );
    assert_eq!(judge(&ok), vec![]);
    // Overwritten by a write that overlapped it: excused.
    let overlap = synthetic(
        serde_json::json!([put(1, "k1", 10, "Ok", 1, 5), put(2, "k1", 11, "Ok", 4, 8)]),
        serde_json::json!([row("k1", 11)]),
        serde_json::json!([row("k1", 11)]),
    );
    assert_eq!(judge(&overlap), vec![]);
    // Overwritten only by a write that completed before it began: lost.
    let older = synthetic(
        serde_json::json!([put(1, "k1", 10, "Ok", 1, 5), put(2, "k1", 11, "Ok", 6, 9)]),
        serde_json::json!([row("k1", 10)]),
        serde_json::json!([row("k1", 10)]),
    );
    let f = judge(&older);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(f[0].kind, "write-lost");
    // The same loss of a write acknowledged with 1 copy of R = 2 under Sync: degraded,
    // told to the client as such, not judged here.
    let degraded = synthetic(
        serde_json::json!([
            put(1, "k1", 10, "Ok", 1, 5),
            put_with(2, "k1", 11, "Ok", 6, 9, 1)
        ]),
        serde_json::json!([row("k1", 10)]),
        serde_json::json!([row("k1", 10)]),
    );
    assert_eq!(judge(&degraded), vec![]);
    // Missing altogether, a failed write's value stored, replicas differing.
    let bad = synthetic(
        serde_json::json!([put(1, "k1", 10, "Ok", 1, 5), put(2, "k2", 20, "Fail", 6, 9)]),
        serde_json::json!([row("k2", 20)]),
        serde_json::json!([]),
    );
    let kinds: Vec<&str> = judge(&bad).iter().map(|l| l.kind).collect();
    assert_eq!(
        kinds,
        vec!["failed-write-stored", "replicas-differ", "write-lost"]
    );
    // A stale owner read: returns 10 after the put of 11 completed.
    let mut h = vec![put(1, "k1", 10, "Ok", 1, 5), put(2, "k1", 11, "Ok", 6, 9)];
    h.push(serde_json::json!({
        "req": 3, "kind": "get", "outcome": "Ok", "invoked_seq": 12, "completed_seq": 14,
        "writes": [], "reads": [{"table": "t", "key": "k1", "row": {"deleted": false, "cells": [{"column": "balance", "value": {"Int": 10}}]}}]
    }));
    let stale = synthetic(
        J::Array(h),
        serde_json::json!([row("k1", 11)]),
        serde_json::json!([row("k1", 11)]),
    );
    let kinds: Vec<&str> = judge(&stale).iter().map(|l| l.kind).collect();
    assert_eq!(kinds, vec!["stale-read"]);
}

#[test]
fn the_oracle_reads_real_reports() {
    // A few seeds through the real binary: the reports parse and carry what the oracle
    // needs; whatever it finds is printed (agreement is the test below).
    for (seed, found, core) in verdicts(1, 4, "mixed") {
        println!(
            "seed {seed}: oracle {} finding(s), core {core} violation(s)",
            found.len()
        );
        for l in found.iter().take(3) {
            println!("  {}: {}", l.kind, l.text);
        }
    }
    let r = settled_report(3, "sync");
    assert!(r["history"].as_array().is_some_and(|h| !h.is_empty()));
    assert!(r["final_state"].as_array().is_some_and(|f| !f.is_empty()));
    assert_eq!(r["settled"], J::Bool(true));
}

/// The oracle's verdict against the core checker's on `ORACLE_SEEDS` seeds (default
/// 1000, from `ORACLE_FROM`, default 1) of `--modes mixed`; prints the oracle's findings
/// by kind and a table of disagreements. Before issue 9's fixes they disagreed on 24 of
/// 200 seeds (losses graded "degraded", stale reads from deposed primaries); do not weaken
/// the oracle to make this pass.
#[test]
fn the_oracle_and_the_core_checker_agree() {
    let count: u64 = std::env::var("ORACLE_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let from: u64 = std::env::var("ORACLE_FROM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let all = verdicts(from, count, "mixed");
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut disagree = Vec::new();
    for (seed, found, core) in &all {
        for l in found {
            *by_kind.entry(l.kind).or_insert(0) += 1;
        }
        if found.is_empty() != (*core == 0) {
            disagree.push((*seed, found, *core));
        }
    }
    println!(
        "oracle vs core checker over seeds {from}..{}: {} disagreement(s); oracle findings by kind {by_kind:?}",
        from + count,
        disagree.len()
    );
    println!(
        "{:>6}  {:>5}  {:>6}  first oracle finding",
        "seed", "core", "oracle"
    );
    for (seed, found, core) in &disagree {
        let kinds: BTreeSet<&str> = found.iter().map(|l| l.kind).collect();
        println!(
            "{seed:>6}  {core:>5}  {:>6}  {:?} {}",
            found.len(),
            kinds,
            found.first().map(|l| l.text.as_str()).unwrap_or("-")
        );
    }
    assert!(disagree.is_empty(), "{} seeds disagree", disagree.len());
}
