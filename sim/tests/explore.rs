//! The exhaustive explorer: its calibration against TLA+'s TwoPhase (the state counts TLC
//! and stateright give), and its runs over the real nodes.

use tablestore_sim::explore::twophase::TwoPhase;
use tablestore_sim::explore::{Explorer, Model, Options, Order, Verdict};

fn twophase(rms: usize) -> (u64, Vec<(&'static str, Verdict)>, Explorer<TwoPhase>) {
    let mut e = Explorer::new(TwoPhase { rms }, Options::default());
    let p = e.run();
    assert!(p.done && !p.truncated);
    let r = e.results().into_iter().map(|(n, _, v)| (n, v)).collect();
    (p.states, r, e)
}

#[test]
fn twophase_calibration_3_and_5_rms() {
    let (n3, r3, _) = twophase(3);
    assert_eq!(n3, 288);
    let (n5, r5, _) = twophase(5);
    assert_eq!(n5, 8_832);
    for r in [r3, r5] {
        assert_eq!(r[0], ("consistent", Verdict::Holds));
        assert!(matches!(r[1], ("commit", Verdict::Reached(_))));
        assert!(matches!(r[2], ("abort", Verdict::Reached(_))));
    }
}

#[test]
fn twophase_witness_paths_are_shortest_and_replay() {
    let (_, r, e) = twophase(3);
    let Verdict::Reached(fp) = r[1].1 else {
        panic!("commit not reached")
    };
    let path = e.path_to(fp).expect("path replays");
    // 3 prepares, 3 receipts, the commit, 3 commit receipts.
    assert_eq!(path.len(), 10);
    // The same exploration done in small budgets finds the same number of states.
    let mut e2 = Explorer::new(TwoPhase { rms: 3 }, Options::default());
    let mut p = e2.explore_some(1);
    while !p.done {
        p = e2.explore_some(7);
    }
    assert_eq!(p.states, 288);
    assert_eq!(p.depth, e.progress().depth);
}

use tablestore_sim::explore::real::{seeded_bug, seeded_bugs, Real, Spec};
use tablestore_sim::schedule::play;
use tablestore_sim::{FindingKind, Sim};

/// The small world `make test` explores exhaustively: 3 DCs, one cross-DC transaction
/// over 2 keys (Quorum(2)), at most one crash, faults every 50 ms up to 300 ms.
fn small_world() -> Spec {
    Spec {
        txns: 1,
        writes: 0,
        crashes: 1,
        cuts: 0,
        quantum_ms: 50,
        horizon_ms: 300,
        ..Spec::default()
    }
}

#[test]
fn the_real_nodes_in_a_small_world_break_no_invariant_and_reach_every_sometimes_property() {
    let mut e = Explorer::new(Real::new(small_world()).unwrap(), Options::default());
    let p = e.run();
    assert!(p.done && !p.truncated, "{p:?}");
    assert!(p.states > 1_000, "{p:?}");
    for (name, _, v) in e.results() {
        assert!(
            matches!(v, Verdict::Holds | Verdict::Reached(_)),
            "{name}: {v:?}"
        );
    }
    // The same search in small budgets (as a Web Worker would run it) finds exactly the
    // same states: the count is a function of the model alone.
    let mut e2 = Explorer::new(Real::new(small_world()).unwrap(), Options::default());
    let mut p2 = e2.explore_some(3);
    while !p2.done {
        p2 = e2.explore_some(97);
    }
    assert_eq!(
        (p2.states, p2.depth, p2.transitions),
        (p.states, p.depth, p.transitions)
    );
}

/// A longer time step (`long_ms`, a multiple of the quantum) is a shortcut: it reaches no
/// state that quanta do not (the world runs on its own clock between the explorer's
/// choices), so `Spec::default()` leaves it out. The verdicts are the same; only paths
/// may be shorter with it.
#[test]
fn a_longer_time_step_reaches_no_new_state() {
    let run = |long_ms| {
        let mut e = Explorer::new(
            Real::new(Spec {
                long_ms,
                ..small_world()
            })
            .unwrap(),
            Options::default(),
        );
        let p = e.run();
        assert!(p.done && !p.truncated, "{p:?}");
        let kinds: Vec<(&str, bool)> = e
            .results()
            .into_iter()
            .map(|(n, _, v)| (n, v.witness().is_some()))
            .collect();
        (p.states, kinds, p.transitions)
    };
    let (states, kinds, transitions) = run(50);
    for long_ms in [100, 150] {
        let (s, k, t) = run(long_ms);
        assert_eq!((s, &k), (states, &kinds), "long step {long_ms} ms");
        assert!(t > transitions, "the shortcut only adds transitions");
    }
}

/// Every visited state's depth and verdicts of an exploration run to its end.
fn exhaust<M: Model>(model: M, order: Order) -> (u64, u32, Vec<(&'static str, Option<usize>)>) {
    let mut e = Explorer::new(
        model,
        Options {
            order,
            ..Options::default()
        },
    );
    let mut p = e.explore_some(1);
    while !p.done {
        p = e.explore_some(61);
    }
    assert!(!p.truncated);
    // Each verdict with the length of the path to its witness.
    let r = e
        .results()
        .into_iter()
        .map(|(n, _, v)| {
            (
                n,
                v.witness().map(|fp| e.path_to(fp).expect("replays").len()),
            )
        })
        .collect();
    (p.states, p.depth, r)
}

#[test]
fn depth_first_finds_the_same_states_and_paths_as_short_as_breadth_first() {
    for rms in [3, 5] {
        assert_eq!(
            exhaust(TwoPhase { rms }, Order::Depth),
            exhaust(TwoPhase { rms }, Order::Breadth),
            "{rms} RMs"
        );
    }
    let (n, depth, results) = exhaust(Real::new(small_world()).unwrap(), Order::Depth);
    assert_eq!(
        (n, depth, results),
        exhaust(Real::new(small_world()).unwrap(), Order::Breadth)
    );
    // And a seeded bug's violation, searched to the end: the same shortest counterexample.
    let b = seeded_bug("two-primaries-after-cut").unwrap();
    let (_, _, deep) = exhaust(Real::new(b.seeded_spec()).unwrap(), Order::Depth);
    let (_, _, wide) = exhaust(Real::new(b.seeded_spec()).unwrap(), Order::Breadth);
    let durability =
        |r: &[(&str, Option<usize>)]| r.iter().find(|x| x.0 == "durability").and_then(|x| x.1);
    assert!(durability(&deep).is_some());
    assert_eq!(durability(&deep), durability(&wide));
}

/// Issue 16's configuration (3 DCs, 2 keys, a cross-DC transaction and a quorum write,
/// ≤ 1 crash, ≤ 1 cut; faults every 100 ms to 400 ms): every ordering, depth-first to the
/// end. (The page's Explore panel runs the same search; its e2e story compares the count.)
#[test]
fn the_issue_configuration_is_explored_to_the_end_with_no_violation() {
    let mut e = Explorer::new(
        Real::new(Spec::default()).unwrap(),
        Options {
            order: Order::Depth,
            ..Options::default()
        },
    );
    let p = e.run();
    assert!(p.done && !p.truncated, "{p:?}");
    assert!(p.states > 100_000, "{p:?}");
    for (name, _, v) in e.results() {
        assert!(
            matches!(v, Verdict::Holds | Verdict::Reached(_)),
            "{name}: {v:?}"
        );
    }
}

#[test]
fn untimed_messages_every_delivery_order_of_a_tiny_world_is_explored_and_safe() {
    // 2 DCs, one Quorum(2) write, no faults: every order of every message and timer in
    // the first 100 ms, messages at most 20 ms late.
    let spec = Spec {
        dcs: 2,
        keys: 1,
        txns: 0,
        writes: 1,
        crashes: 0,
        cuts: 0,
        quantum_ms: 0,
        horizon_ms: 100,
        ..Spec::default()
    };
    let mut e = Explorer::new(Real::new(spec.clone()).unwrap(), Options::default());
    let p = e.run();
    assert!(p.done && !p.truncated, "{p:?}");
    assert!(p.states > 1_000 && p.depth > 10, "{p:?}");
    for (name, exp, v) in e.results() {
        if exp == tablestore_sim::explore::Expectation::Always {
            assert_eq!(v, Verdict::Holds, "{name}");
        }
    }
    let mut e2 = Explorer::new(Real::new(spec).unwrap(), Options::default());
    let mut p2 = e2.explore_some(1);
    while !p2.done {
        p2 = e2.explore_some(50);
    }
    assert_eq!(p2.states, p.states);
}

#[test]
fn every_seeded_bug_is_found_with_a_short_counterexample() {
    let bugs = seeded_bugs();
    assert!(bugs.len() >= 5);
    for b in bugs {
        let (e, p) = search_bug(&b);
        let found = e.results().into_iter().find_map(|(name, _, v)| match v {
            Verdict::Violated(fp) => Some((name, fp)),
            _ => None,
        });
        let Some((name, fp)) = found else {
            panic!("{}: not found in {} states", b.name, p.states)
        };
        assert_eq!(name, b.property, "{}", b.name);
        let path = e.path_to(fp).expect("the counterexample replays");
        assert!(path.len() <= 20, "{}: {} steps", b.name, path.len());
        // Breadth-first: nothing shorter reaches a violation.
        assert_eq!(path.len() as u32, p.depth, "{}", b.name);
    }
}

/// A seeded bug's own configuration searched breadth-first, stopping at its first
/// violation (so a shortest counterexample).
fn search_bug(
    b: &tablestore_sim::explore::real::SeededBug,
) -> (Explorer<Real>, tablestore_sim::explore::Progress) {
    let mut e = Explorer::new(
        Real::new(b.seeded_spec()).unwrap(),
        Options {
            max_states: 200_000,
            stop_on_violation: true,
            ..Options::default()
        },
    );
    let p = e.run();
    (e, p)
}

/// The checker's finding kind of an always-property.
fn kind_of(property: &str) -> FindingKind {
    match property {
        "atomicity" => FindingKind::Atomicity,
        "durability" => FindingKind::Durability,
        "stale-read" => FindingKind::StaleRead,
        "divergence" => FindingKind::Divergence,
        "stuck-in-doubt" => FindingKind::StuckInDoubt,
        p => panic!("no finding kind for {p}"),
    }
}

/// A seeded bug's shortest counterexample, breadth-first (the search's model and path).
fn counterexample(
    b: &tablestore_sim::explore::real::SeededBug,
) -> (
    Explorer<Real>,
    Vec<(
        tablestore_sim::explore::real::Step,
        tablestore_sim::explore::real::State,
    )>,
) {
    let (e, _) = search_bug(b);
    let fp = e
        .results()
        .into_iter()
        .find_map(|(_, _, v)| match v {
            Verdict::Violated(fp) => Some(fp),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{}: found", b.name));
    let path = e.path_to(fp).expect("the counterexample replays");
    (e, path)
}

#[test]
fn a_timed_counterexample_is_a_scenario_that_replays_to_the_same_finding() {
    // Every seeded bug whose counterexample is timed and loses no chosen message; the
    // others (untimed, or a lost message) are listed.
    let mut without = Vec::new();
    for b in seeded_bugs() {
        let (e, path) = counterexample(&b);
        let Some(sc) = e.model().scenario(&path) else {
            without.push(b.name);
            continue;
        };
        let mut bugs = tablestore_sim::Bugs::default();
        (b.set)(&mut bugs);
        let mut sim = Sim::with_bugs(sc.config.clone(), bugs).unwrap();
        play(&mut sim, &sc);
        assert!(
            sim.findings().iter().any(|f| f.kind == kind_of(b.property)),
            "{}: {:?}",
            b.name,
            sim.findings()
        );
        // Without the bug the same scenario is clean.
        let mut sim = Sim::new(sc.config.clone()).unwrap();
        play(&mut sim, &sc);
        assert_eq!(sim.checker().violations(), 0, "{}", b.name);
    }
    // Only the untimed one: a crash between a COMMIT leaving and being logged falls
    // inside one instant, which a scenario's commands cannot split.
    assert_eq!(without, ["decision-sent-before-persisted"]);
}

/// The correct code on each seeded bug's own configuration: no violation in any path as
/// long as the bug's counterexample (every state up to its depth, breadth-first). Most of
/// these configurations are too large to explore to the end (horizons of seconds, 5 DCs).
#[test]
fn without_its_flag_a_seeded_bug_s_configuration_breaks_nothing_as_deep_as_its_counterexample() {
    for b in seeded_bugs() {
        let (_, path) = counterexample(&b);
        let depth = path.len() as u32;
        let mut e = Explorer::new(Real::new((b.spec)()).unwrap(), Options::default());
        let mut p = e.explore_some(1);
        while !p.done && p.depth <= depth {
            p = e.explore_some(1_000);
        }
        for (name, _, v) in e.results() {
            assert!(
                !matches!(v, Verdict::Violated(_)),
                "{}: {name} violated without the bug ({} states)",
                b.name,
                p.states
            );
        }
        eprintln!("{}: clean to depth {depth}, {} states", b.name, p.states);
    }
}

#[test]
#[ignore]
fn real_probe() {
    let only = std::env::var("BUG").unwrap_or_default();
    let max: u64 = std::env::var("MAX")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(200_000);
    for b in seeded_bugs() {
        if !only.is_empty() && !b.name.contains(&only) {
            continue;
        }
        let spec = if std::env::var("NOBUG").is_ok() {
            (b.spec)()
        } else {
            b.seeded_spec()
        };
        let t = std::time::Instant::now();
        let mut e = Explorer::new(
            Real::new(spec).unwrap(),
            Options {
                max_states: max,
                stop_on_violation: true,
                ..Options::default()
            },
        );
        let p = e.run();
        eprintln!(
            "{}: {} states depth {} {:?} truncated {}",
            b.name,
            p.states,
            p.depth,
            t.elapsed(),
            p.truncated
        );
        for r in e.results() {
            if r.2.label() == "violated" || r.2.label() == "unreached" {
                eprintln!("  {} {}", r.0, r.2.label());
            }
            if r.2.label() == "violated" && std::env::var("SHOW").is_ok() {
                let path = e.path_to(r.2.witness().unwrap()).unwrap();
                for (a, st) in &path {
                    eprintln!("    {a}   [now {:?}]", st.sim.now());
                }
                if let Some((_, st)) = path.last() {
                    for f in st.sim.findings() {
                        eprintln!("    finding {:?}: {} / {}", f.kind, f.text, f.cause);
                    }
                }
            }
        }
    }
}

/// The successor of `s` by its action printed as `name`.
fn step_by_name(
    m: &Real,
    s: &tablestore_sim::explore::real::State,
    name: &str,
) -> tablestore_sim::explore::real::State {
    let mut acts = Vec::new();
    m.actions(s, &mut acts);
    let a = acts
        .into_iter()
        .find(|a| a.to_string() == name)
        .expect("enabled");
    m.next(s, &a).expect("a successor")
}

/// The fingerprint keeps everything that decides a state's future: any two paths that
/// reach one fingerprint have the same successors (else which path the search took first
/// would change what it finds, and depth-first and breadth-first would disagree).
fn successors_depend_on_the_fingerprint_alone(spec: Spec, limit: usize) {
    use std::collections::HashMap;
    use tablestore_sim::explore::real::State;
    let m = Real::new(spec).unwrap();
    let succ = |s: &State| -> Vec<(String, u64)> {
        let mut acts = Vec::new();
        m.actions(s, &mut acts);
        acts.iter()
            .filter_map(|a| Some((a.to_string(), m.fingerprint(&m.next(s, a)?))))
            .collect()
    };
    let mut reps: HashMap<u64, (Vec<(String, u64)>, Vec<String>, State)> = HashMap::new();
    let mut stack = vec![(m.init(), Vec::<String>::new())];
    while let Some((s, path)) = stack.pop() {
        let fp = m.fingerprint(&s);
        let next = succ(&s);
        if let Some((rnext, rpath, rstate)) = reps.get(&fp) {
            if rnext != &next {
                // Name the pieces of the successors that differ.
                for ((a, x), (_, y)) in rnext.iter().zip(&next) {
                    if x != y {
                        let (na, nb) = (step_by_name(&m, rstate, a), step_by_name(&m, &s, a));
                        for (p, q) in na.fingerprint_parts().iter().zip(nb.fingerprint_parts()) {
                            if p.1 != q.1 {
                                eprintln!("after {a}: {} differs", p.0);
                            }
                        }
                    }
                }
                panic!("same fingerprint, different futures:\n  {rpath:?}\n  {path:?}");
            }
            continue;
        }
        if reps.len() >= limit {
            continue;
        }
        let mut acts = Vec::new();
        m.actions(&s, &mut acts);
        for a in acts {
            if let Some(n) = m.next(&s, &a) {
                let mut p = path.clone();
                p.push(a.to_string());
                stack.push((n, p));
            }
        }
        reps.insert(fp, (next, path, s));
    }
}

#[test]
fn a_state_s_future_depends_on_its_fingerprint_alone() {
    successors_depend_on_the_fingerprint_alone(small_world(), 3_000);
    // A write and a quorum read around a cut, timed.
    successors_depend_on_the_fingerprint_alone(
        Spec {
            txns: 0,
            writes: 1,
            reads: 1,
            consistency: tablestore_sim::ReadConsistency::Quorum,
            crashes: 0,
            cuts: 1,
            quantum_ms: 50,
            horizon_ms: 300,
            ..Spec::default()
        },
        3_000,
    );
    // An isolated DC, a DC added, an owner read at another DC than the write.
    successors_depend_on_the_fingerprint_alone(
        Spec {
            keys: 1,
            txns: 0,
            writes: 1,
            reads: 1,
            read_home: Some(1),
            consistency: tablestore_sim::ReadConsistency::Owner,
            crashes: 0,
            cuts: 0,
            isolations: 1,
            reconfigs: 1,
            quantum_ms: 50,
            horizon_ms: 300,
            ..Spec::default()
        },
        3_000,
    );
    // Untimed: every delivery order.
    successors_depend_on_the_fingerprint_alone(
        Spec {
            dcs: 2,
            keys: 1,
            txns: 0,
            writes: 1,
            crashes: 1,
            cuts: 0,
            quantum_ms: 0,
            horizon_ms: 100,
            ..Spec::default()
        },
        3_000,
    );
}
