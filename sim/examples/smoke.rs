//! Prints what a default run does in 30 s: counters and why operations failed.
use std::collections::BTreeMap;
use tablestore_sim::*;
fn main() {
    let mut cfg = SimConfig::default();
    cfg.workload.ops_per_sec = 200;
    let mut s = Sim::new(cfg).unwrap();
    s.advance_to(SimTime(30_000));
    println!("{:?}", s.counters());
    let mut why: BTreeMap<String, u32> = BTreeMap::new();
    for e in s.events() {
        if let EventKind::Op {
            ok: false,
            detail,
            label,
            ..
        } = &e.kind
        {
            let d = detail
                .split(" by")
                .next()
                .unwrap_or("")
                .split('(')
                .next()
                .unwrap_or("")
                .to_string();
            *why.entry(format!("{label}: {d}")).or_insert(0) += 1;
        }
    }
    for (k, v) in why {
        println!("{v:5} {k}");
    }
}
