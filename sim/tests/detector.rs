//! Heartbeats and per-DC failure detection.

use crate::common::*;
use tablestore_sim::{DcId, PeerState, Sim, UserCommand};

#[test]
fn a_killed_dc_turns_suspect_then_dead_after_the_configured_silences() {
    let c = quiet_config(4);
    let (hb, suspect, dead) = (c.heartbeat_interval_ms, c.suspect_after_ms, c.dead_after_ms);
    // A heartbeat already on the wire when DC1 dies still arrives, up to one latency later.
    let lat = u64::from(c.latency_ms.iter().flatten().copied().max().unwrap());
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(2_000));
    for o in [0, 2, 3] {
        assert_eq!(sim.view(DcId(o), DcId(1)), Some(PeerState::Alive));
    }
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    let killed = sim.now().ms();
    assert_eq!(sim.view(DcId(1), DcId(0)), None, "a dead DC has no view");
    // Its last heartbeat left at most one interval before the kill (plus latency in
    // flight), so nobody can suspect it before `suspect - hb` of silence.
    sim.advance_to(t(killed + suspect - hb - 1));
    assert!(
        killed + lat + suspect + hb < killed + dead,
        "the test needs a suspect window"
    );
    for o in [0, 2, 3] {
        assert_eq!(
            sim.view(DcId(o), DcId(1)),
            Some(PeerState::Alive),
            "observer {o} too early"
        );
    }
    sim.advance_to(t(killed + lat + suspect + hb));
    for o in [0, 2, 3] {
        assert_eq!(
            sim.view(DcId(o), DcId(1)),
            Some(PeerState::Suspect),
            "observer {o}"
        );
    }
    sim.advance_to(t(killed + lat + dead + hb));
    for o in [0, 2, 3] {
        assert_eq!(
            sim.view(DcId(o), DcId(1)),
            Some(PeerState::Dead),
            "observer {o}"
        );
    }
    // Everyone else stays alive in everyone's view.
    assert_eq!(sim.view(DcId(0), DcId(2)), Some(PeerState::Alive));
    sim.apply(UserCommand::Revive(DcId(1))).unwrap();
    sim.advance_by(hb * 3 + 500);
    for o in [0, 2, 3] {
        assert_eq!(
            sim.view(DcId(o), DcId(1)),
            Some(PeerState::Alive),
            "observer {o} after revive"
        );
        assert_eq!(sim.view(DcId(1), DcId(o)), Some(PeerState::Alive));
    }
}

#[test]
fn a_partitioned_dc_sees_the_world_differently_from_the_majority() {
    let mut sim = Sim::new(quiet_config(5)).unwrap();
    sim.advance_to(t(1_000));
    sim.apply(UserCommand::Partition(vec![DcId(4)])).unwrap();
    sim.advance_by(2_000);
    for o in 0..4 {
        assert_eq!(
            sim.view(DcId(4), DcId(o)),
            Some(PeerState::Dead),
            "DC4 sees {o} dead"
        );
        assert_eq!(
            sim.view(DcId(o), DcId(4)),
            Some(PeerState::Dead),
            "{o} sees DC4 dead"
        );
        for p in 0..4 {
            if p != o {
                assert_eq!(sim.view(DcId(o), DcId(p)), Some(PeerState::Alive));
            }
        }
    }
    sim.apply(UserCommand::HealAll).unwrap();
    sim.advance_by(1_000);
    assert_eq!(sim.view(DcId(4), DcId(0)), Some(PeerState::Alive));
    assert_eq!(sim.view(DcId(0), DcId(4)), Some(PeerState::Alive));
}

#[test]
fn a_one_way_cut_only_silences_one_direction() {
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    sim.advance_to(t(1_000));
    sim.apply(UserCommand::CutLink {
        from: DcId(0),
        to: DcId(1),
    })
    .unwrap();
    sim.advance_by(2_000);
    assert_eq!(
        sim.view(DcId(1), DcId(0)),
        Some(PeerState::Dead),
        "DC1 no longer hears DC0"
    );
    assert_eq!(
        sim.view(DcId(0), DcId(1)),
        Some(PeerState::Alive),
        "DC0 still hears DC1"
    );
}
