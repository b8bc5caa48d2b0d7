//! The WAN: latency (editable), loss, one-way cuts, partitions; drops are events.

use crate::common::*;
use tablestore_sim::net::DropReason;
use tablestore_sim::{DcId, EventKind, MsgKind, Sim, UserCommand};

#[test]
fn messages_take_the_configured_latency() {
    let c = quiet_config(3);
    let lat = c.latency_ms[0][1];
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(1_000));
    for m in sim.in_flight() {
        let want = u64::from(sim.network().latency(m.src, m.dst));
        assert_eq!(
            m.deliver_at.since(m.send_at),
            want,
            "jitter is 0 in this config"
        );
    }
    sim.apply(UserCommand::SetLatency {
        from: DcId(0),
        to: DcId(1),
        ms: lat + 500,
    })
    .unwrap();
    sim.advance_by(300);
    let slow = sim
        .in_flight()
        .find(|m| m.src == DcId(0) && m.dst == DcId(1))
        .expect("a message 0→1");
    assert_eq!(slow.deliver_at.since(slow.send_at), u64::from(lat + 500));
    assert!(sim
        .apply(UserCommand::SetLatency {
            from: DcId(0),
            to: DcId(1),
            ms: 0
        })
        .is_err());
}

#[test]
fn a_cut_drops_messages_and_says_so_and_healing_restores_delivery() {
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    sim.advance_to(t(500));
    sim.apply(UserCommand::CutLink {
        from: DcId(0),
        to: DcId(2),
    })
    .unwrap();
    sim.advance_by(1_000);
    let drops = sim
        .events()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Dropped {
                    src: DcId(0),
                    dst: DcId(2),
                    reason: DropReason::LinkCut,
                    ..
                }
            )
        })
        .count();
    assert!(drops >= 5, "heartbeats 0→2 dropped: {drops}");
    assert!(
        !sim.events().any(|e| matches!(
            e.kind,
            EventKind::Dropped {
                src: DcId(2),
                dst: DcId(0),
                ..
            }
        )),
        "the other direction still works"
    );
    sim.apply(UserCommand::HealLink {
        from: DcId(0),
        to: DcId(2),
    })
    .unwrap();
    let at = sim.now();
    sim.advance_by(1_000);
    assert!(!sim
        .events()
        .any(|e| e.at > at && matches!(e.kind, EventKind::Dropped { .. })));
}

#[test]
fn loss_drops_about_the_configured_share() {
    let mut c = quiet_config(3);
    c.loss_permille = 100;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(t(60_000));
    let sent = sim.counters().msgs_sent as f64;
    let lost = sim
        .events()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Dropped {
                    reason: DropReason::Loss,
                    kind: MsgKind::Heartbeat,
                    ..
                }
            )
        })
        .count();
    let dropped = sim.counters().msgs_dropped as f64;
    // 10% ± 2% of every message (all heartbeats here).
    assert!((dropped / sent - 0.10).abs() < 0.02, "{dropped} of {sent}");
    assert!(lost > 0);
}

#[test]
fn messages_to_a_dead_dc_are_dropped_on_arrival() {
    let mut sim = Sim::new(quiet_config(3)).unwrap();
    sim.advance_to(t(500));
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    sim.advance_by(500);
    assert!(sim.events().any(|e| matches!(
        e.kind,
        EventKind::Dropped {
            dst: DcId(1),
            reason: DropReason::DestinationDown,
            ..
        }
    )));
    assert!(
        !sim.in_flight()
            .any(|m| m.src == DcId(1) && m.send_at > t(500)),
        "a dead DC sends nothing"
    );
}
