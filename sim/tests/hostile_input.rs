//! Everything a person can type or paste goes through a parser or validator that never
//! panics, and a refused command leaves the running simulation exactly as it was.

use crate::common::*;
use proptest::prelude::*;
use tablestore_sim::config::{ReplicationMode, SimConfig};
use tablestore_sim::scenario::{
    config_from_query, parse_columns, parse_consistency, parse_dc, parse_form, parse_mode,
    parse_pk, parse_placement, parse_policy, parse_scenario, scenario_json, FormOp, Scenario,
    ScheduledCommand,
};
use tablestore_sim::{validate_op, DcId, Sim, SimTime, TableId, UserCommand};

fn valid_scenario_text() -> String {
    let sc = Scenario {
        config: SimConfig::default(),
        commands: vec![
            ScheduledCommand {
                at: SimTime(1_000),
                after_events: Some(40),
                cmd: UserCommand::Kill(DcId(1)),
            },
            ScheduledCommand {
                at: SimTime(5_000),
                after_events: None,
                cmd: UserCommand::Revive(DcId(1)),
            },
        ],
        until: None,
    };
    scenario_json(&sc)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn url_parameters_never_panic(q in ".{0,200}") {
        if let Ok(cfg) = config_from_query(&q) {
            prop_assert!(cfg.validate().is_ok());
        }
    }

    #[test]
    fn url_parameters_with_known_keys_never_panic(
        key in prop::sample::select(vec!["seed", "dcs", "placement", "r", "vnodes", "mode", "rate", "keys", "zipf", "policy", "read", "loss", "failover"]),
        v in "[-0-9a-zA-Z()]{0,24}",
    ) {
        if let Ok(cfg) = config_from_query(&format!("?{key}={v}")) {
            prop_assert!(cfg.validate().is_ok());
        }
    }

    #[test]
    fn pasted_scenarios_never_panic(text in ".{0,400}") {
        let _ = parse_scenario(&text);
    }

    #[test]
    fn corrupted_scenarios_never_panic(flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut bytes = valid_scenario_text().into_bytes();
        for (i, b) in flips {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        let text = String::from_utf8_lossy(&bytes);
        if let Ok(sc) = parse_scenario(&text) {
            prop_assert!(sc.config.validate().is_ok());
        }
    }

    #[test]
    fn form_fields_never_panic(op in 0u8..4, table in 0u16..4, key in ".{0,60}", cols in ".{0,80}") {
        let cfg = SimConfig::default();
        let op = [FormOp::Get, FormOp::Put, FormOp::Delete, FormOp::Txn][op as usize];
        let _ = parse_pk(&cfg, TableId(table), &key);
        let _ = parse_columns(&cfg, TableId(table), &cols);
        if let Ok(parsed) = parse_form(&cfg, op, TableId(table), &key, &cols) {
            prop_assert!(validate_op(&cfg, &parsed).is_ok(), "{parsed:?}");
        }
    }

    #[test]
    fn enum_fields_never_panic(s in ".{0,30}") {
        let _ = parse_mode(&s);
        let _ = parse_policy(&s);
        let _ = parse_consistency(&s);
        let _ = parse_placement(&s);
        let _ = parse_dc(&[(DcId(0), "cn-hangzhou".into())], &s);
    }

    #[test]
    fn settings_are_validated_before_anything_runs(
        n in 0usize..20, r in 0u8..20, hb in 0u64..20_000, suspect in 0u64..20_000, dead in 0u64..20_000,
        rate in 0u32..10_000, keys in 0u32..200_000, read in 0u32..120, write in 0u32..120, loss in 0u32..1200,
        vnodes in 0u32..400, quorum in 0u8..8, batch in 0u32..20_000,
    ) {
        let mut c = SimConfig::with_dcs(n.clamp(1, 16));
        if n == 0 || n > 16 {
            c.dcs.truncate(n.min(c.dcs.len()));
        }
        c.replication_factor = r;
        c.heartbeat_interval_ms = hb;
        c.suspect_after_ms = suspect;
        c.dead_after_ms = dead;
        c.workload.ops_per_sec = rate;
        c.workload.keys = keys;
        c.workload.read_pct = read;
        c.workload.write_pct = write;
        c.workload.txn_pct = 100u32.saturating_sub(read + write);
        c.loss_permille = loss;
        c.vnodes = vnodes;
        c.replication_batch = batch;
        c.tables[1].mode = ReplicationMode::Quorum(quorum);
        match c.validate() {
            Ok(()) => {
                // A config that validates runs.
                let mut s = Sim::new(c).expect("validated");
                s.advance_to(SimTime(1_500));
            }
            Err(e) => {
                prop_assert!(!e.to_string().is_empty());
                prop_assert!(Sim::new(c).is_err());
            }
        }
    }

    #[test]
    fn refused_commands_change_nothing(which in 0u8..8, a in 0u16..40, b in 0u16..40, ms in 0u32..20_000) {
        let mut sim = Sim::new(quiet_config(3)).unwrap();
        sim.advance_to(SimTime(300));
        let before = (sim.trace_hash(), sim.snapshot().dcs.clone(), sim.config().clone());
        let cmd = match which {
            0 => UserCommand::Kill(DcId(a)),
            1 => UserCommand::Revive(DcId(a)),
            2 => UserCommand::CutLink { from: DcId(a), to: DcId(b) },
            3 => UserCommand::SetLatency { from: DcId(a), to: DcId(b), ms },
            4 => UserCommand::RemoveDc(DcId(a)),
            5 => {
                let mut c = sim.config().clone();
                c.heartbeat_interval_ms = u64::from(ms);
                c.workload.read_pct = u32::from(a);
                UserCommand::Configure(Box::new(c))
            }
            6 => UserCommand::Partition(vec![DcId(a), DcId(b)]),
            _ => UserCommand::Issue { home: DcId(a), op: get("k1") },
        };
        if sim.apply(cmd).is_err() {
            prop_assert_eq!(before.0, sim.trace_hash());
            prop_assert_eq!(&before.1, &sim.snapshot().dcs);
            prop_assert_eq!(&before.2, sim.config());
        }
    }
}

#[test]
fn oversized_input_is_refused_with_a_message() {
    let big = "x".repeat(300 * 1024);
    let e = parse_scenario(&big).unwrap_err();
    assert!(e.0.contains("limit"), "{e}");
    let e = config_from_query(&format!("?seed={}", "9".repeat(3000))).unwrap_err();
    assert!(e.0.contains("too long"), "{e}");
    let cfg = SimConfig::default();
    assert!(parse_pk(&cfg, TableId(0), &"k".repeat(1000)).is_err());
}

#[test]
fn a_valid_scenario_round_trips() {
    let text = valid_scenario_text();
    let sc = parse_scenario(&text).unwrap();
    assert_eq!(sc.commands.len(), 2);
    assert_eq!(scenario_json(&sc), text);
}

#[test]
fn messages_say_what_to_fix() {
    let e = config_from_query("?dcs=40").unwrap_err();
    assert!(e.0.contains("between 2 and 16"), "{e}");
    let e = config_from_query("?colour=red").unwrap_err();
    assert!(e.0.contains("Unknown URL parameter colour"), "{e}");
    let mut c = SimConfig::default();
    c.suspect_after_ms = c.heartbeat_interval_ms;
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("suspect-after"));
    let cfg = SimConfig::default();
    let e = parse_form(&cfg, FormOp::Put, TableId(0), "k1", "colour=red").unwrap_err();
    assert!(e.0.contains("no column colour"), "{e}");
}
