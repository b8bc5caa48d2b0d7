//! The exhaustive explorer: its calibration against TLA+'s TwoPhase (the state counts TLC
//! and stateright give), and its runs over the real nodes.

use tablestore_sim::explore::twophase::TwoPhase;
use tablestore_sim::explore::{Explorer, Options, Verdict};

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

use tablestore_sim::explore::real::{seeded_bugs, Real};

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
