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
        bugs: None,
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

// ------------------------------------------------------------ scenario commands (issue 9, item 7)

fn one_command_scenario(cmd: UserCommand) -> String {
    scenario_json(&Scenario {
        config: SimConfig::default(),
        commands: vec![ScheduledCommand {
            at: SimTime(1_000),
            after_events: None,
            cmd,
        }],
        until: None,
        bugs: None,
    })
}

fn range(start: &str, end: &str) -> tablestore_sim::ClientOp {
    tablestore_sim::ClientOp::Range {
        table: TableId(0),
        start: vec![tablestore_sim::table::Value::Str(start.into())],
        end: vec![tablestore_sim::table::Value::Str(end.into())],
        limit: 10,
    }
}

/// Reproduction: a Range with start > end passed validation and panicked in
/// `BTreeMap::range` when served.
#[test]
fn a_reversed_range_is_refused_with_a_message_and_never_served() {
    let cfg = SimConfig::default();
    let e = validate_op(&cfg, &range("k9", "k1")).unwrap_err();
    assert!(e.contains("must not come after its end"), "{e}");
    assert!(validate_op(&cfg, &range("k1", "k9")).is_ok());
    assert!(validate_op(&cfg, &range("k1", "k1")).is_ok());
    let text = one_command_scenario(UserCommand::Issue {
        home: DcId(0),
        op: range("k9", "k1"),
    });
    let e = parse_scenario(&text).unwrap_err();
    assert!(e.0.contains("Command 1 (Issue)"), "{e}");
    // Applied directly it is refused and changes nothing; an empty range is served.
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    let before = sim.trace_hash();
    assert!(sim
        .apply(UserCommand::Issue {
            home: DcId(0),
            op: range("k9", "k1")
        })
        .is_err());
    assert_eq!(before, sim.trace_hash());
    let done = run_op(&mut sim, DcId(0), range("k1", "k1"), 3_000);
    assert!(matches!(done, Some((true, _))), "{done:?}");
}

/// Reproduction: mix percentages (u32::MAX, 1, 100) overflowed the sum (a panic with
/// overflow checks, silently 100 without).
#[test]
fn mix_percentages_that_would_overflow_are_refused() {
    let mut c = SimConfig::default();
    c.workload.read_pct = u32::MAX;
    c.workload.write_pct = 1;
    c.workload.txn_pct = 100;
    assert!(c.validate().is_err());
    let text = one_command_scenario(UserCommand::Configure(Box::new(c.clone())));
    let e = parse_scenario(&text).unwrap_err();
    assert!(e.0.contains("Command 1 (Configure)"), "{e}");
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    assert!(sim.apply(UserCommand::Configure(Box::new(c))).is_err());
    // Each within bounds but summing past 100 (no wrap either).
    let mut c = SimConfig::default();
    c.workload.read_pct = 100;
    c.workload.write_pct = 100;
    c.workload.txn_pct = 100;
    assert!(c
        .validate()
        .unwrap_err()
        .to_string()
        .contains("add up to 100"));
}

/// Reproduction: `after_events: 0` with a far `at` jumped the clock while earlier events
/// still ran. The rule now: every event before `at` runs first; the count only orders the
/// command among the events of its own instant.
#[test]
fn a_small_event_count_never_makes_the_clock_jump_past_pending_events() {
    let mut c = SimConfig::default();
    c.workload.ops_per_sec = 100;
    let sc = Scenario {
        config: c.clone(),
        commands: vec![ScheduledCommand {
            at: SimTime(5_000),
            after_events: Some(0),
            cmd: UserCommand::Kill(DcId(1)),
        }],
        until: Some(SimTime(6_000)),
        bugs: None,
    };
    let sc = parse_scenario(&scenario_json(&sc)).unwrap();
    // Through a session (the page) and through `schedule::play` (the runner) alike.
    let mut s = tablestore_sim::Session::new(c.clone(), false).unwrap();
    s.import(sc.clone()).unwrap();
    s.advance_to(SimTime(6_000));
    let mut sim = Sim::new(c.clone()).unwrap();
    tablestore_sim::schedule::play(&mut sim, &sc);
    // The same as a kill applied at 5 000 ms after every event before it.
    let mut plain = Sim::new(c).unwrap();
    plain.advance_to(SimTime(4_999));
    plain.apply(UserCommand::Kill(DcId(1))).unwrap();
    plain.advance_to(SimTime(5_000));
    plain.advance_to(SimTime(6_000));
    let kill_at = |sim: &Sim| {
        sim.events()
            .find(|e| e.kind == tablestore_sim::EventKind::Killed)
            .map(|e| e.at)
    };
    assert_eq!(kill_at(&sim), Some(SimTime(5_000)));
    assert_eq!(kill_at(s.sim()), Some(SimTime(5_000)));
    // Event instants never go backwards.
    let times: Vec<SimTime> = sim.events().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    assert_eq!(sim.trace_hash(), s.sim().trace_hash());
    assert!(sim.steps() > 100, "the events before 5 s ran");
}

#[test]
fn scenario_commands_out_of_order_or_naming_unknown_dcs_are_refused() {
    let cmd = |at: u64, after: Option<u64>, cmd: UserCommand| ScheduledCommand {
        at: SimTime(at),
        after_events: after,
        cmd,
    };
    let text = |commands| {
        scenario_json(&Scenario {
            config: SimConfig::default(),
            commands,
            until: None,
            bugs: None,
        })
    };
    let e = parse_scenario(&text(vec![
        cmd(1_000, Some(50), UserCommand::HealAll),
        cmd(2_000, None, UserCommand::HealAll),
        cmd(3_000, Some(40), UserCommand::HealAll),
    ]))
    .unwrap_err();
    assert!(e.0.contains("event order"), "{e}");
    let e = parse_scenario(&text(vec![
        cmd(2_000, None, UserCommand::HealAll),
        cmd(1_000, None, UserCommand::HealAll),
    ]))
    .unwrap_err();
    assert!(e.0.contains("time order"), "{e}");
    let e = parse_scenario(&text(vec![cmd(1_000, None, UserCommand::Kill(DcId(9)))])).unwrap_err();
    assert!(e.0.contains("no datacenter DC9"), "{e}");
    // An added DC's id may be named after the AddDc.
    assert!(parse_scenario(&text(vec![
        cmd(
            1_000,
            None,
            UserCommand::AddDc(tablestore_sim::config::region_dc(5))
        ),
        cmd(2_000, None, UserCommand::Kill(DcId(5))),
    ]))
    .is_ok());
    let e = parse_scenario(&text(vec![cmd(
        1_000,
        None,
        UserCommand::SetLatency {
            from: DcId(0),
            to: DcId(1),
            ms: 0,
        },
    )]))
    .unwrap_err();
    assert!(e.0.contains("latency 0 ms"), "{e}");
}

/// Every generated schedule (the runner's and the test's) is a scenario the page accepts.
#[test]
fn generated_schedules_pass_the_scenario_validation() {
    use tablestore_sim::schedule::{schedule, Modes, ScheduleOptions};
    for seed in 1..200 {
        for modes in [Modes::Mixed, Modes::AllQuorum] {
            for admin in [false, true] {
                let sc = schedule(seed, ScheduleOptions { modes, admin });
                let back = parse_scenario(&scenario_json(&sc));
                assert_eq!(back.as_ref().ok(), Some(&sc), "seed {seed}: {back:?}");
            }
        }
    }
}

fn arb_dc() -> impl Strategy<Value = DcId> {
    (0u16..5).prop_map(DcId)
}

fn arb_pk() -> impl Strategy<Value = tablestore_sim::table::Pk> {
    prop_oneof![
        (0u32..50).prop_map(|k| vec![tablestore_sim::table::Value::Str(format!("k{k}").into())]),
        ".{0,6}".prop_map(|s| vec![tablestore_sim::table::Value::Str(s.into())]),
        (any::<i64>(), any::<i64>()).prop_map(|(a, b)| vec![
            tablestore_sim::table::Value::Int(a),
            tablestore_sim::table::Value::Int(b)
        ]),
    ]
}

fn arb_op() -> impl Strategy<Value = tablestore_sim::ClientOp> {
    use tablestore_sim::table::{Value, WriteKind, WriteOp};
    use tablestore_sim::ClientOp;
    let write = || {
        (0u16..3, arb_pk(), any::<i64>(), 0u8..3).prop_map(|(t, pk, v, k)| WriteOp {
            table: TableId(t),
            pk,
            kind: match k {
                0 => WriteKind::Put(vec![("balance".into(), Value::Int(v))]),
                1 => WriteKind::Update {
                    set: vec![("name".into(), Value::Int(v))],
                    delete: vec!["balance".into()],
                },
                _ => WriteKind::Delete,
            },
        })
    };
    prop_oneof![
        (0u16..3, arb_pk()).prop_map(|(t, pk)| ClientOp::Get {
            table: TableId(t),
            pk
        }),
        write().prop_map(ClientOp::Write),
        (0u16..3, arb_pk(), arb_pk(), 0u32..1_200).prop_map(|(t, start, end, limit)| {
            ClientOp::Range {
                table: TableId(t),
                start,
                end,
                limit,
            }
        }),
        prop::collection::vec(write(), 0..4).prop_map(ClientOp::Txn),
    ]
}

fn arb_command() -> impl Strategy<Value = UserCommand> {
    prop_oneof![
        arb_dc().prop_map(UserCommand::Kill),
        arb_dc().prop_map(UserCommand::Revive),
        (arb_dc(), arb_dc()).prop_map(|(from, to)| UserCommand::CutLink { from, to }),
        (arb_dc(), arb_dc()).prop_map(|(from, to)| UserCommand::HealLink { from, to }),
        prop::collection::vec(arb_dc(), 0..5).prop_map(UserCommand::Partition),
        Just(UserCommand::HealAll),
        (arb_dc(), arb_dc(), 0u32..12_000).prop_map(|(from, to, ms)| UserCommand::SetLatency {
            from,
            to,
            ms
        }),
        (0usize..20).prop_map(|i| UserCommand::AddDc(tablestore_sim::config::region_dc(i))),
        arb_dc().prop_map(UserCommand::RemoveDc),
        (
            prop::sample::select(vec![0u32, 1, 50, 100, 101, u32::MAX]),
            prop::sample::select(vec![0u32, 1, 50, 100, u32::MAX]),
            prop::sample::select(vec![0u32, 1, 50, 100, u32::MAX]),
            0u8..6,
            0u32..700,
            0u32..1_200,
            any::<bool>(),
        )
            .prop_map(|(read, write, txn, r, loss, jitter, ring)| {
                let mut c = SimConfig::default();
                c.workload.read_pct = read;
                c.workload.write_pct = write;
                c.workload.txn_pct = txn;
                c.replication_factor = r;
                c.loss_permille = loss;
                c.jitter_ms = jitter;
                if ring {
                    c.placement = tablestore_sim::config::PlacementKind::Ring;
                }
                UserCommand::Configure(Box::new(c))
            }),
        (arb_dc(), arb_op()).prop_map(|(home, op)| UserCommand::Issue { home, op }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Generated commands (not strings): serialized as a scenario, parsed, and — when
    /// accepted — replayed through a session and through `schedule::play` without a
    /// panic. Instants and counts are drawn unsorted, so the order checks get exercised.
    #[test]
    fn generated_scenarios_parse_and_replay_without_panic(
        cmds in prop::collection::vec((0u64..8_000, prop::option::of(0u64..5_000), arb_command()), 0..12),
        sorted in any::<bool>(),
    ) {
        let mut commands: Vec<ScheduledCommand> = cmds
            .into_iter()
            .map(|(at, after_events, cmd)| ScheduledCommand { at: SimTime(at), after_events, cmd })
            .collect();
        if sorted {
            commands.sort_by_key(|c| (c.at, c.after_events));
        }
        let mut config = quiet_config(4);
        config.workload.ops_per_sec = 40;
        let sc = Scenario { config, commands, until: Some(SimTime(9_000)), bugs: None };
        if let Ok(back) = parse_scenario(&scenario_json(&sc)) {
            prop_assert_eq!(&back, &sc);
            let mut s = tablestore_sim::Session::new(back.config.clone(), false).unwrap();
            s.import(back.clone()).unwrap();
            s.advance_to(SimTime(9_000));
            let mut sim = Sim::new(back.config.clone()).unwrap();
            tablestore_sim::schedule::play(&mut sim, &back);
            prop_assert_eq!(sim.trace_hash(), s.sim().trace_hash());
        }
    }
}
