//! Component tests of each view (wasm-bindgen-test in headless Chromium): a real `Sim` runs
//! in wasm to a fault-laden state, one component is mounted on its own with props cut from
//! `sim.snapshot()` (as the App cuts them), and the DOM must show exactly what the snapshot
//! holds. Every expected value is derived from the snapshot, never copied from a run.
#![cfg(target_arch = "wasm32")]

// The helpers shared with the core's native tests.
#[path = "../sim/tests/common/mod.rs"]
mod common;

use common::{
    key_owned_by, pk, put, quiet_config, run_op, run_to_breakpoint, spread_keys, txn_over,
    with_mode,
};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use tablestore_playground::sim::config::{region_dc, PlacementKind, ReplicationMode};
use tablestore_playground::sim::Snapshot;
use tablestore_playground::sim::{
    Breakpoint, DcId, EventKind, FindingKind, MsgKind, PeerState, Sim, SimConfig, SimTime, TableId,
    TxnId, TxnMsg, TxnTrace, UserCommand,
};
use tablestore_playground::sim::{CoordState, CopyState, PartState, TxnStatus};
use tablestore_playground::ui::components::{
    controls::{Controls, Props as ControlsProps},
    data::{DataPanel, Props as DataProps},
    dcs::{DcTable, Props as DcProps},
    findings::{FindingsPanel, Props as FindingsProps},
    log::{LogPanel, Props as LogProps},
    lookup::{KeyLookupPanel, Props as LookupProps},
    map::{Props as MapProps, WorldMap},
    matrix::{DetectorMatrix, Props as MatrixProps},
    metrics::{MetricsPanel, Props as MetricsProps},
    ring::{Props as RingProps, RingPanel},
    txn::{Props as TxnProps, TxnPanel},
};
use tablestore_playground::ui::state::{
    lookup_view, Flight, Pieces, RingView, Theme, Topo, ViewRow,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

// ------------------------------------------------------------------ DOM helpers

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh, empty mount point.
fn fresh_root() -> Element {
    let doc = document();
    let div = doc.create_element("div").unwrap();
    doc.body().unwrap().append_child(&div).unwrap();
    div
}

async fn tick() {
    // Yew 0.23's scheduler yields to the browser every ~16 ms, so on a loaded machine a
    // render's `rendered` hooks (the map's message dots) may run a task later: wait until
    // its queues are empty, then a little longer for timers.
    yew::scheduler::flush().await;
    yew::platform::time::sleep(Duration::from_millis(50)).await;
}

fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|n| n.dyn_into::<Element>().ok())
        .collect()
}

fn count(root: &Element, sel: &str) -> usize {
    all(root, sel).len()
}

fn one(root: &Element, sel: &str) -> Element {
    let found = all(root, sel);
    assert_eq!(found.len(), 1, "exactly one `{sel}`");
    found.into_iter().next().unwrap()
}

fn by_testid(root: &Element, id: &str) -> Element {
    one(root, &format!("[data-testid=\"{id}\"]"))
}

fn attr_of(e: &Element, name: &str) -> String {
    e.get_attribute(name)
        .unwrap_or_else(|| panic!("{} has no {name}", e.outer_html()))
}

fn testid_attr(root: &Element, id: &str, name: &str) -> String {
    attr_of(&by_testid(root, id), name)
}

fn text(e: &Element) -> String {
    e.text_content().unwrap_or_default()
}

fn has_class(e: &Element, c: &str) -> bool {
    e.get_attribute("class")
        .is_some_and(|v| v.split_whitespace().any(|x| x == c))
}

fn click(e: &Element) {
    e.clone()
        .dyn_into::<web_sys::HtmlElement>()
        .unwrap()
        .click();
}

/// Mounts component `C` alone in a fresh div and lets it render.
async fn mount<C>(props: C::Properties) -> Element
where
    C: yew::BaseComponent,
{
    let root = fresh_root();
    yew::Renderer::<C>::with_root_and_props(root.clone(), props).render();
    tick().await;
    root
}

// ------------------------------------------------------------------ props from a snapshot

/// The snapshot cut into pieces exactly as the App cuts it.
fn pieces(s: &Snapshot) -> Pieces {
    Pieces::new(s.clone())
}

fn topo(s: &Snapshot) -> Rc<Topo> {
    pieces(s).topo
}

fn views(s: &Snapshot) -> Rc<Vec<ViewRow>> {
    pieces(s).views
}

fn ring_view(s: &Snapshot) -> Rc<RingView> {
    pieces(s).ring
}

// ------------------------------------------------------------------ expected labels
// Written out here (not through ui::fmt) so a wrong formatter fails the test too.

fn view_label(v: Option<PeerState>) -> &'static str {
    match v {
        Some(PeerState::Alive) => "alive",
        Some(PeerState::Suspect) => "suspect",
        Some(PeerState::Dead) => "dead",
        None => "unknown",
    }
}

fn part_label(p: Option<PartState>) -> &'static str {
    match p {
        Some(PartState::Prepared) => "prepared",
        Some(PartState::InDoubt) => "indoubt",
        Some(PartState::Committed) => "committed",
        Some(PartState::Aborted) => "aborted",
        None => "none",
    }
}

fn coord_label(c: CoordState) -> &'static str {
    match c {
        CoordState::Working => "working",
        CoordState::Committed => "committed",
        CoordState::Aborted => "aborted",
        CoordState::Ended => "ended",
    }
}

fn finding_key(k: FindingKind) -> &'static str {
    match k {
        FindingKind::Atomicity => "atomicity",
        FindingKind::Durability => "durability",
        FindingKind::AsyncWriteLost => "async-write-lost",
        FindingKind::DegradedWriteLost => "degraded-write-lost",
        FindingKind::StaleRead => "stale-read",
        FindingKind::StaleReadExplained => "stale-read-explained",
        FindingKind::Divergence => "divergence",
        FindingKind::StuckInDoubt => "stuck-in-doubt",
    }
}

fn msg_key(k: MsgKind) -> &'static str {
    match k {
        MsgKind::Heartbeat => "heartbeat",
        MsgKind::Replicate => "replicate",
        MsgKind::ReplicateAck => "repack",
        MsgKind::Request => "request",
        MsgKind::Response => "response",
        MsgKind::Prepare => "prepare",
        MsgKind::Vote => "vote",
        MsgKind::Decision => "decision",
        MsgKind::DecisionAck => "ack",
        MsgKind::QueryDecision => "query",
        MsgKind::NewEpoch => "epoch",
        MsgKind::InstallSnapshot => "snapshot",
    }
}

fn last_part(t: &TxnTrace, d: DcId) -> Option<PartState> {
    t.part_states.get(&d).and_then(|v| v.last()).map(|x| x.1)
}

// ------------------------------------------------------------------ scenarios

/// Five DCs under the default workload; DC 2 killed, links 0→1 and 3→4 cut.
fn faulty_busy_sim() -> Sim {
    let mut c = SimConfig::with_dcs(5);
    c.seed = 7;
    c.workload.ops_per_sec = 60;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(3_000));
    sim.apply(UserCommand::Kill(DcId(2))).unwrap();
    sim.apply(UserCommand::CutLink {
        from: DcId(0),
        to: DcId(1),
    })
    .unwrap();
    sim.apply(UserCommand::CutLink {
        from: DcId(3),
        to: DcId(4),
    })
    .unwrap();
    sim.advance_to(SimTime(7_000));
    sim
}

/// One transaction committed at its coordinator whose coordinator then dies between the
/// phases (participants in doubt), then one more transaction from another DC. Returns
/// the sim and the in-doubt transaction's id.
fn in_doubt_sim() -> (Sim, TxnId) {
    let mut c = quiet_config(5);
    c.seed = 11;
    c.txn_timeout_ms = 400;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(500));
    let coord = DcId(0);
    let mut keys = spread_keys(&sim, coord);
    // A second row at the first participant: it holds more locks than in-doubt records.
    let first = sim.primary_for(TableId(0), &pk(&keys[0])).0;
    let second = (0..10_000)
        .map(|i| format!("k{i}"))
        .find(|k| *k != keys[0] && sim.primary_for(TableId(0), &pk(k)).0 == first)
        .unwrap();
    keys.push(second);
    let txn = TxnId(sim.next_req().0);
    sim.set_breakpoint(Some(Breakpoint::TxnDecision));
    sim.apply(UserCommand::Issue {
        home: coord,
        op: txn_over(&keys),
    })
    .unwrap();
    assert!(
        run_to_breakpoint(&mut sim, 5_000),
        "the coordinator decided"
    );
    sim.set_breakpoint(None);
    sim.apply(UserCommand::Kill(coord)).unwrap();
    sim.advance_by(3_000);
    // Another transaction, coordinated elsewhere, over other keys.
    let other: Vec<String> = (0..3).map(|i| format!("z{i}")).collect();
    sim.apply(UserCommand::Issue {
        home: DcId(4),
        op: txn_over(&other),
    })
    .unwrap();
    sim.advance_by(2_000);
    (sim, txn)
}

// ------------------------------------------------------------------ map

/// The snapshot's clock and messages in flight, as the page takes them every tick.
fn flight(snap: &Snapshot) -> Rc<Flight> {
    Rc::new(Flight {
        now: snap.now,
        msgs: snap.in_flight.clone(),
    })
}

#[wasm_bindgen_test]
async fn map_draws_the_snapshots_dcs_links_and_messages() {
    let sim = faulty_busy_sim();
    let snap = Rc::new(sim.snapshot());
    // Hide the kind of the first message in flight (as the legend toggle would).
    let hidden = snap.in_flight.first().expect("messages in flight").kind;
    let hidden_kinds = 1u32 << (hidden as u32);
    let root = mount::<WorldMap>(MapProps {
        snap: snap.clone(),
        flight: flight(&snap),
        topo: topo(&snap),
        selected_txn: None,
        selected_dc: None,
        hidden_kinds,
        on_select: Callback::noop(),
        on_toggle_link: Callback::noop(),
        on_toggle_kind: Callback::noop(),
    })
    .await;

    // DCs: one per snapshot DC, state as in the snapshot.
    assert_eq!(count(&root, "[data-testid^=\"dc-\"]"), snap.dcs.len());
    assert!(snap.dcs.iter().any(|d| !d.up), "scenario has a down DC");
    for d in &snap.dcs {
        let want = if d.up { "up" } else { "down" };
        assert_eq!(
            testid_attr(&root, &format!("dc-{}", d.id.0), "data-state"),
            want
        );
        let g = by_testid(&root, &format!("dc-{}", d.id.0));
        assert_eq!(
            count(&g, "path.cross"),
            usize::from(!d.up),
            "cross iff down"
        );
        // The labels are drawn beside the DC's button (its parent group holds both).
        let drawn = g.parent_element().unwrap();
        assert!(text(&drawn).contains(&format!("{} rows", d.rows)));
        // Keyboard and screen reader: a focusable button named from the snapshot.
        assert_eq!(attr_of(&g, "role"), "button");
        assert_eq!(attr_of(&g, "tabindex"), "0");
        let plural = |n: usize, w: &str| format!("{n} {w}{}", if n == 1 { "" } else { "s" });
        let name = format!(
            "{}, {want}, {}, primary of {}",
            d.name,
            plural(d.rows, "row"),
            plural(d.primaries, "shard")
        );
        assert!(
            attr_of(&g, "aria-label").starts_with(&name),
            "{} starts with {name}",
            attr_of(&g, "aria-label")
        );
    }

    // Links: one element per direction; data-cut exactly for the snapshot's cut links.
    assert_eq!(count(&root, "[data-testid^=\"link-\"]"), snap.links.len());
    assert!(snap.links.iter().any(|l| l.cut), "scenario has cut links");
    for l in &snap.links {
        assert_eq!(
            testid_attr(&root, &format!("link-{}-{}", l.from.0, l.to.0), "data-cut"),
            l.cut.to_string(),
            "link {}→{}",
            l.from,
            l.to
        );
    }
    assert_eq!(
        count(&root, "[data-cut=\"true\"]"),
        snap.links.iter().filter(|l| l.cut).count()
    );
    // Handles: one per direction (up to 8 DCs), marked cut exactly for the cut links.
    assert!(snap.dcs.len() <= 8);
    assert_eq!(
        count(&root, "[data-testid^=\"lane-hit-\"]"),
        snap.links.len()
    );
    for l in &snap.links {
        let h = by_testid(&root, &format!("lane-hit-{}-{}", l.from.0, l.to.0));
        assert_eq!(has_class(&h, "cut"), l.cut, "handle {}→{}", l.from, l.to);
        let name = |d: DcId| snap.dcs.iter().find(|x| x.id == d).unwrap().name.clone();
        assert_eq!(
            attr_of(&h, "aria-label"),
            format!(
                "link {} → {}, {} ms, {}",
                name(l.from),
                name(l.to),
                l.latency_ms,
                if l.cut { "cut" } else { "up" }
            )
        );
        assert_eq!(attr_of(&h, "tabindex"), "0");
        assert_eq!(attr_of(&h, "aria-pressed"), l.cut.to_string());
    }

    // Messages: one dot per in-flight message whose kind is not hidden.
    let drawn: Vec<_> = snap
        .in_flight
        .iter()
        .filter(|m| hidden_kinds & (1 << (m.kind as u32)) == 0)
        .collect();
    assert!(!drawn.is_empty(), "messages in flight to draw");
    assert!(
        drawn.len() < snap.in_flight.len(),
        "some messages in flight are hidden"
    );
    let dots = all(&root, "circle.msg");
    assert_eq!(dots.len(), drawn.len());
    let mut want_kinds: Vec<String> = drawn.iter().map(|m| msg_key(m.kind).to_string()).collect();
    let mut got_kinds: Vec<String> = dots.iter().map(|d| attr_of(d, "data-kind")).collect();
    want_kinds.sort();
    got_kinds.sort();
    assert_eq!(got_kinds, want_kinds, "dot kinds");
}

#[wasm_bindgen_test]
async fn a_selected_dc_rings_the_others_by_its_own_view() {
    let sim = faulty_busy_sim();
    let snap = Rc::new(sim.snapshot());
    // An up observer whose view has a non-alive entry (the busy run kills one DC and cuts
    // links, so some live DC sees another as suspect or dead).
    let observer = snap
        .dcs
        .iter()
        .filter(|d| d.up)
        .find(|d| {
            d.views
                .iter()
                .any(|(_, v)| matches!(v, Some(s) if *s != PeerState::Alive))
        })
        .expect("a live DC that sees another as not alive");
    let root = mount::<WorldMap>(MapProps {
        snap: snap.clone(),
        flight: flight(&snap),
        topo: topo(&snap),
        selected_txn: None,
        selected_dc: Some(observer.id),
        hidden_kinds: 0,
        on_select: Callback::noop(),
        on_toggle_link: Callback::noop(),
        on_toggle_kind: Callback::noop(),
    })
    .await;
    for (target, view) in &observer.views {
        let want = view.map(|v| v.label().to_string()).unwrap_or_default();
        let got = by_testid(&root, &format!("dc-{}", target.0))
            .get_attribute("data-seen")
            .unwrap_or_default();
        assert_eq!(got, want, "{} as seen by {}", target, observer.id);
    }
    let own = by_testid(&root, &format!("dc-{}", observer.id.0));
    assert_eq!(
        own.get_attribute("data-seen"),
        None,
        "the observer has no ring"
    );
    assert_eq!(
        count(&root, "circle.seen"),
        observer.views.iter().filter(|(_, v)| v.is_some()).count()
    );
}

// ------------------------------------------------------------------ detector matrix

#[wasm_bindgen_test]
async fn detector_matrix_shows_each_observers_own_view() {
    let sim = faulty_busy_sim();
    let snap = sim.snapshot();
    let root = mount::<DetectorMatrix>(MatrixProps {
        views: views(&snap),
        selected_dc: None,
    })
    .await;
    let n = snap.dcs.len();
    assert_eq!(count(&root, "[data-testid^=\"view-\"]"), n * (n - 1));
    let mut labels = std::collections::BTreeSet::new();
    for o in &snap.dcs {
        assert_eq!(
            count(&root, &format!("[data-testid=\"view-{0}-{0}\"]", o.id.0)),
            0,
            "no cell on the diagonal"
        );
        for t in snap.dcs.iter().filter(|t| t.id != o.id) {
            let want = if o.up {
                view_label(o.views.iter().find(|(d, _)| *d == t.id).and_then(|x| x.1))
            } else {
                "unknown"
            };
            labels.insert(want);
            assert_eq!(
                testid_attr(&root, &format!("view-{}-{}", o.id.0, t.id.0), "data-view"),
                want,
                "{} sees {}",
                o.id,
                t.id
            );
            // The state in words too (not only a colour and a glyph).
            let cell = by_testid(&root, &format!("view-{}-{}", o.id.0, t.id.0));
            assert!(
                text(&one(&cell, ".sr-only")).starts_with(want),
                "{} sees {}: {}",
                o.id,
                t.id,
                text(&cell)
            );
        }
    }
    // Views are per observer: with 0→1 cut, some pair of live DCs disagrees about each
    // other, so a transposed matrix would show.
    let view = |o: DcId, t: DcId| {
        let d = snap.dcs.iter().find(|d| d.id == o).unwrap();
        d.views.iter().find(|(x, _)| *x == t).and_then(|x| x.1)
    };
    let up: Vec<DcId> = snap.dcs.iter().filter(|d| d.up).map(|d| d.id).collect();
    assert!(
        up.iter()
            .any(|&a| up.iter().any(|&b| a != b && view(a, b) != view(b, a))),
        "two live DCs disagree"
    );
    // The scenario must exercise more than one state (alive, and dead/suspect/unknown).
    assert!(
        labels.contains("alive") && labels.contains("unknown"),
        "{labels:?}"
    );
    assert!(
        labels.contains("dead") || labels.contains("suspect"),
        "{labels:?}"
    );
}

// ------------------------------------------------------------------ ring

#[wasm_bindgen_test]
async fn ring_draws_every_vnode_and_key_of_the_snapshot() {
    let mut c = SimConfig::with_dcs(4);
    c.seed = 5;
    c.placement = PlacementKind::Ring;
    c.vnodes = 8;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(2_000));
    sim.apply(UserCommand::AddDc(region_dc(4))).unwrap();
    // The change waits for the workload's open transactions (a drain), then runs.
    sim.advance_to(SimTime(3_000));
    while sim.draining().is_some() && sim.now() < SimTime(10_000) {
        sim.advance_by(100);
    }
    let snap = sim.snapshot();
    let rv = ring_view(&snap);
    let root = mount::<RingPanel>(RingProps {
        ring: rv.clone(),
        topo: topo(&snap),
        config: Rc::new(snap.config.clone()),
        on_command: Callback::noop(),
        note: None,
        selected_dc: None,
    })
    .await;

    assert_eq!(
        testid_attr(&root, "placement-toggle", "data-placement"),
        "ring"
    );
    // One vnode tick per ring point, at the point's angle (clockwise from the top).
    let ticks = all(&root, "line.vnode");
    assert!(!snap.ring.is_empty());
    assert_eq!(ticks.len(), snap.ring.len());
    let angle = |x: f64, y: f64| {
        // The ring is centred at (220, 220); 0 ppm is straight up.
        let a = (x - 220.0).atan2(220.0 - y);
        (a.rem_euclid(std::f64::consts::TAU)) / std::f64::consts::TAU * 1_000_000.0
    };
    let close = |a: f64, ppm: u32| {
        let d = (a - ppm as f64).abs();
        d.min(1_000_000.0 - d) < 2_000.0
    };
    let num = |e: &Element, n: &str| attr_of(e, n).parse::<f64>().unwrap();
    for (el, pt) in ticks.iter().zip(&snap.ring) {
        let mx = (num(el, "x1") + num(el, "x2")) / 2.0;
        let my = (num(el, "y1") + num(el, "y2")) / 2.0;
        assert!(
            close(angle(mx, my), pt.ppm),
            "vnode at {} ppm drawn at {}",
            pt.ppm,
            angle(mx, my)
        );
    }
    // Per DC, as many ticks in its colour as the snapshot has points for it.
    for d in &snap.dcs {
        let want = snap.ring.iter().filter(|p| p.dc == d.id).count();
        let cls = tablestore_playground::ui::fmt::dc_stroke(d.id);
        assert_eq!(
            ticks.iter().filter(|t| has_class(t, cls)).count(),
            want,
            "vnodes of {}",
            d.id
        );
    }
    // Keys: one ring-key-<key> per snapshot key, at its angle.
    assert!(!snap.ring_keys.is_empty());
    assert_eq!(count(&root, "circle.ring-key"), snap.ring_keys.len());
    for k in &snap.ring_keys {
        let el = by_testid(&root, &format!("ring-key-{}", k.key));
        assert!(
            close(angle(num(&el, "cx"), num(&el, "cy")), k.ppm),
            "{}",
            k.key
        );
    }
    // Membership list and the last move report.
    for d in &snap.dcs {
        assert_eq!(
            count(&root, &format!("[data-testid=\"remove-dc-{}\"]", d.id.0)),
            1
        );
    }
    let m = snap.last_moves.as_ref().expect("AddDc reports moves");
    assert_eq!(
        testid_attr(&root, "moved-rows", "data-modulo"),
        m.modulo_moved.to_string()
    );
    assert_eq!(
        testid_attr(&root, "moved-rows", "data-ring"),
        m.ring_moved.to_string()
    );
    assert_eq!(
        testid_attr(&root, "moved-rows", "data-keys"),
        m.keys.to_string()
    );
}

#[wasm_bindgen_test]
async fn key_lookup_shows_the_cores_answer_for_the_typed_key() {
    let mut c = quiet_config(4);
    c.placement = PlacementKind::Ring;
    c.vnodes = 8;
    let mut sim = Sim::new(c).unwrap();
    sim.advance_to(SimTime(500));
    let key = key_owned_by(&sim, DcId(1));
    assert_eq!(
        run_op(&mut sim, DcId(0), put(&key, 7), 3_000).map(|r| r.0),
        Some(true)
    );
    // Kill the owner: after the failover the primary is another replica.
    sim.apply(UserCommand::Kill(DcId(1))).unwrap();
    sim.advance_by(5_000);
    let snap = sim.snapshot();
    let want = sim.lookup(TableId(0), &key).unwrap();
    assert_ne!(want.primary, DcId(1), "failed over: {want:?}");
    let root = mount::<KeyLookupPanel>(LookupProps {
        lookup: Rc::new(lookup_view(&sim, TableId(0), &key)),
        topo: topo(&snap),
        config: Rc::new(snap.config.clone()),
        on_lookup: Callback::noop(),
    })
    .await;
    let input = one(&root, "[data-testid=key-lookup]")
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    assert_eq!(input.value(), key);
    assert_eq!(
        testid_attr(&root, "key-lookup-result", "data-sha1"),
        want.sha1_hex
    );
    assert_eq!(testid_attr(&root, "key-lookup-result", "data-owner"), "1");
    let reps: Vec<String> = want.replicas.iter().map(|d| d.0.to_string()).collect();
    assert_eq!(
        testid_attr(&root, "key-lookup-result", "data-replicas"),
        reps.join(" ")
    );
    assert_eq!(
        testid_attr(&root, "key-lookup-result", "data-primary"),
        want.primary.0.to_string()
    );
    assert_eq!(
        testid_attr(&root, "key-lookup-result", "data-placement"),
        "ring"
    );
    let result = text(&by_testid(&root, "key-lookup-result"));
    assert!(result.contains(&want.sha1_hex), "{result}");
    let m = &want.modulo;
    assert!(
        result.contains(&format!("mod {} = {}", m.n, m.bucket)),
        "{result}"
    );
    let vnode = want.ring.as_ref().unwrap().vnode;
    assert!(
        result.contains(&format!("vnode #{vnode} of 32")),
        "{result}"
    );
    // Each replica's row version, as the core reports it (the dead owner's copy too).
    for c in &want.copies {
        let v = c.version.as_ref().expect("written before the kill");
        let row = sim.row_at(c.dc, TableId(0), &pk(&key)).unwrap();
        assert_eq!(
            (v.term, v.index),
            (row.version.pos.epoch.term, row.version.pos.index)
        );
        let id = format!("key-lookup-copy-{}", c.dc.0);
        assert_eq!(
            testid_attr(&root, &id, "data-version"),
            format!("{}.{}", v.term, v.index)
        );
        assert_eq!(testid_attr(&root, &id, "data-up"), c.up.to_string());
    }

    // An empty key: the core's message, no result.
    let root = mount::<KeyLookupPanel>(LookupProps {
        lookup: Rc::new(lookup_view(&sim, TableId(0), "")),
        topo: topo(&snap),
        config: Rc::new(snap.config.clone()),
        on_lookup: Callback::noop(),
    })
    .await;
    assert_eq!(count(&root, "[data-testid=key-lookup-result]"), 0);
    let msg = text(&by_testid(&root, "key-lookup-error"));
    assert!(msg.contains("partition key"), "{msg}");
}

// ------------------------------------------------------------------ 2PC

#[wasm_bindgen_test]
async fn txn_panel_lists_the_snapshots_transactions_and_participant_states() {
    let (sim, doubt) = in_doubt_sim();
    let snap = sim.snapshot();
    let txns = Rc::new(snap.txns.clone());
    assert!(txns.len() >= 2);
    let t_doubt = txns.iter().find(|t| t.id == doubt).expect("traced");
    assert!(
        t_doubt
            .participants
            .iter()
            .any(|&d| last_part(t_doubt, d) == Some(PartState::InDoubt)),
        "scenario leaves a participant in doubt"
    );

    for selected in [None, Some(doubt)] {
        let root = mount::<TxnPanel>(TxnProps {
            txns: txns.clone(),
            topo: topo(&snap),
            now: snap.now,
            selected,
            on_select: Callback::noop(),
        })
        .await;
        // The list: every transaction, newest first, with its coordinator state.
        let items = all(&root, "button.txn-item");
        assert_eq!(items.len(), txns.len());
        for (el, t) in items.iter().zip(txns.iter().rev()) {
            assert_eq!(attr_of(el, "data-testid"), format!("txn-{}", t.id.0));
            let cs = t
                .coord_states
                .last()
                .map(|x| x.1)
                .unwrap_or(CoordState::Working);
            assert_eq!(attr_of(el, "data-state"), coord_label(cs), "{}", t.id);
            assert_eq!(attr_of(el, "data-coordinator"), t.coordinator.0.to_string());
            // One state per transaction, the core's (`TxnTrace::status`).
            let status = t.status();
            let doubt_badge = status == TxnStatus::InDoubt;
            assert_eq!(count(el, ".badge.warn"), usize::from(doubt_badge));
            assert_eq!(count(el, ".outcome"), 1, "{}: one state", t.id);
            assert_eq!(
                text(&one(el, ".outcome")),
                match status {
                    TxnStatus::Pending => "pending",
                    TxnStatus::InDoubt => "in doubt",
                    TxnStatus::Committed => "committed",
                    TxnStatus::Aborted => "aborted",
                }
            );
            assert_eq!(text(&one(el, ".txn-id")), format!("T{}", t.id.0));
        }
        // The detail: the selected (or latest) transaction's participants.
        let shown = match selected {
            Some(id) => txns.iter().find(|t| t.id == id).unwrap(),
            None => txns.last().unwrap(),
        };
        assert_eq!(
            testid_attr(&root, "txn-diagram", "data-txn"),
            shown.id.0.to_string()
        );
        assert_eq!(count(&root, "li.part-badge"), shown.participants.len());
        for &d in &shown.participants {
            assert_eq!(
                testid_attr(
                    &root,
                    &format!("txn-part-{}-{}", shown.id.0, d.0),
                    "data-state"
                ),
                part_label(last_part(shown, d)),
                "{} at {d}",
                shown.id
            );
        }
    }
}

/// Issues `n` transactions from DC 4 over other keys, one every 100 ms.
fn more_txns(sim: &mut Sim, n: usize) {
    for i in 0..n {
        let keys: Vec<String> = (0..2).map(|j| format!("y{i}-{j}")).collect();
        sim.apply(UserCommand::Issue {
            home: DcId(4),
            op: txn_over(&keys),
        })
        .unwrap();
        sim.advance_by(100);
    }
}

fn txn_rows(root: &Element) -> Vec<String> {
    all(root, "button.txn-item")
        .iter()
        .map(|e| attr_of(e, "data-testid"))
        .collect()
}

fn pointer(root: &Element, kind: &str) {
    let ev = web_sys::MouseEvent::new(kind).unwrap();
    by_testid(root, "txn-list").dispatch_event(&ev).unwrap();
}

/// The list selects by id: a click names the transaction of the row, and the selection
/// (with the App's pinned snapshot) stays on it however many newer transactions arrive;
/// while the pointer is over the list its rows hold still.
#[wasm_bindgen_test]
async fn txn_panel_keeps_its_selection_by_id_as_new_transactions_arrive() {
    let (mut sim, doubt) = in_doubt_sim();
    let picked = Rc::new(std::cell::Cell::new(None::<TxnId>));
    let on_select = {
        let picked = picked.clone();
        Callback::from(move |t: Option<TxnId>| picked.set(t))
    };
    let props = |sim: &Sim, selected: Option<TxnId>| {
        let snap = sim.snapshot_pinning(selected);
        TxnProps {
            txns: Rc::new(snap.txns.clone()),
            topo: topo(&snap),
            now: snap.now,
            selected,
            on_select: on_select.clone(),
        }
    };
    let root = fresh_root();
    let mut handle =
        yew::Renderer::<TxnPanel>::with_root_and_props(root.clone(), props(&sim, None)).render();
    tick().await;
    click(&by_testid(&root, &format!("txn-{}", doubt.0)));
    assert_eq!(picked.get(), Some(doubt), "a click selects the row's id");

    // Many newer transactions than a snapshot lists: the selected one stays shown.
    more_txns(&mut sim, 70);
    assert!(
        !sim.snapshot().txns.iter().any(|t| t.id == doubt),
        "the plain snapshot has dropped it"
    );
    handle.update(props(&sim, Some(doubt)));
    tick().await;
    assert_eq!(
        testid_attr(&root, "txn-diagram", "data-txn"),
        doubt.0.to_string(),
        "new transactions do not steal the diagram"
    );
    assert_eq!(
        testid_attr(&root, &format!("txn-{}", doubt.0), "aria-pressed"),
        "true"
    );
    let newest = sim.txns().last().unwrap().id;
    assert_eq!(
        txn_rows(&root).first().cloned(),
        Some(format!("txn-{}", newest.0)),
        "newest first"
    );

    // The pointer over the list holds its rows where they are.
    pointer(&root, "mouseenter");
    tick().await;
    assert_eq!(testid_attr(&root, "txn-list", "data-held"), "true");
    let before = txn_rows(&root);
    more_txns(&mut sim, 3);
    handle.update(props(&sim, Some(doubt)));
    tick().await;
    let held = txn_rows(&root);
    // No new row comes in; the newest rows keep their places (only the oldest may drop
    // out of the snapshot, at the bottom).
    assert!(
        held.iter().all(|r| before.contains(r)),
        "no new row while held"
    );
    assert!(held.len() > 50);
    assert_eq!(
        held[..50],
        before[..50],
        "rows do not move under the pointer"
    );
    let arrived: usize = testid_attr(&root, "txn-list-new", "data-count")
        .parse()
        .unwrap();
    assert!(arrived >= 3, "{arrived} new");
    // A click on the third row picks the transaction that was drawn there.
    let third = &all(&root, "button.txn-item")[2];
    click(third);
    assert_eq!(
        picked.get().map(|t| format!("txn-{}", t.0)),
        Some(before[2].clone())
    );
    assert_eq!(
        testid_attr(&root, "txn-diagram", "data-txn"),
        doubt.0.to_string(),
        "the selection is the App's: it changes when the props do"
    );

    // The pointer leaves: the new ones show, newest first.
    pointer(&root, "mouseleave");
    tick().await;
    assert_eq!(testid_attr(&root, "txn-list", "data-held"), "false");
    assert_eq!(count(&root, "[data-testid=txn-list-new]"), 0);
    let newest = sim.txns().last().unwrap().id;
    assert_eq!(txn_rows(&root)[0], format!("txn-{}", newest.0));
    assert!(txn_rows(&root).contains(&format!("txn-{}", doubt.0)));
    handle.destroy();
}

// ------------------------------------------------------------------ data view

#[wasm_bindgen_test]
async fn data_view_shows_each_keys_copies_missing_and_behind() {
    let mut sim = Sim::new(with_mode(quiet_config(4), ReplicationMode::Async)).unwrap();
    sim.advance_to(SimTime(500));
    let owner = DcId(1);
    let keys: Vec<String> = (0..5_000)
        .map(|i| format!("k{i}"))
        .filter(|k| sim.primary_for(TableId(0), &pk(k)).0 == owner)
        .take(4)
        .collect();
    for (i, k) in keys.iter().take(3).enumerate() {
        assert!(run_op(&mut sim, owner, put(k, i as i64), 200).unwrap().0);
    }
    sim.advance_by(600); // shipped to the replicas
                         // The owner can no longer ship: one key gets a newer version, one is new.
    for d in sim.dc_ids() {
        if d != owner {
            sim.apply(UserCommand::CutLink { from: owner, to: d })
                .unwrap();
        }
    }
    assert!(run_op(&mut sim, owner, put(&keys[0], 100), 200).unwrap().0);
    assert!(run_op(&mut sim, owner, put(&keys[3], 101), 200).unwrap().0);
    sim.advance_by(100);
    let snap = Rc::new(sim.snapshot());
    let data = Rc::new(sim.data_view(3));
    let t0 = &data[0];
    let stale = t0
        .keys
        .iter()
        .flat_map(|k| &k.copies)
        .filter(|c| c.1.as_ref().is_none_or(|c| c.behind > 0))
        .count();
    assert!(stale > 0, "scenario has a missing or behind copy");
    let root = mount::<DataPanel>(DataProps {
        data: data.clone(),
        snap: snap.clone(),
        topo: topo(&snap),
    })
    .await;

    // Table picker: one option per table, with its row count.
    let opts = all(&root, "[data-testid=\"data-table-pick\"] option");
    assert_eq!(opts.len(), data.len());
    for (o, t) in opts.iter().zip(data.iter()) {
        assert!(text(o).contains(&format!("{} ({} rows)", t.name, t.total_rows)));
    }
    // The first table: a row per key in order, one cell per DC.
    let table = by_testid(&root, &format!("data-table-{}", t0.table.0));
    let rows = all(&table, "tbody tr");
    assert_eq!(rows.len(), t0.keys.len());
    let dcs: Vec<DcId> = snap.dcs.iter().map(|d| d.id).collect();
    for (tr, k) in rows.iter().zip(&t0.keys) {
        assert_eq!(
            attr_of(tr, "data-testid"),
            format!("data-key-{}-{}", t0.table.0, k.pk)
        );
        assert_eq!(attr_of(tr, "data-primary"), k.primary.0.to_string());
        assert_eq!(attr_of(tr, "data-epoch"), k.epoch.term.to_string());
        let cells = all(tr, "td.cell");
        assert_eq!(cells.len(), dcs.len(), "one cell per DC for {}", k.pk);
        for (td, d) in cells.iter().zip(&dcs) {
            match k.copies.iter().find(|c| c.0 == *d) {
                None => {
                    assert!(has_class(td, "none"), "{} at {d}: not a replica", k.pk);
                    assert!(td.get_attribute("data-stale").is_none());
                }
                Some((_, None)) => {
                    assert_eq!(attr_of(td, "data-stale"), "missing", "{} at {d}", k.pk)
                }
                Some((_, Some(c))) => {
                    let want = if c.state() == CopyState::Down {
                        "down".to_string()
                    } else {
                        c.behind.to_string()
                    };
                    assert_eq!(attr_of(td, "data-stale"), want, "{} at {d}", k.pk);
                    // A version is `#<index> e<term>` (docs/GLOSSARY.md).
                    assert!(text(td).contains(&format!("#{} e{}", c.index, c.term)));
                    if c.state() == CopyState::Down {
                        assert!(!text(td).contains("up to date"), "{} at {d}", k.pk);
                    }
                }
            }
            assert_eq!(
                has_class(td, "primary"),
                Some(*d) == k.live_primary && k.copies.iter().any(|c| c.0 == *d)
            );
        }
    }
    let truncated = t0.keys.len() < t0.total_rows;
    assert_eq!(
        text(&root).contains(&format!(
            "Showing the first {} of {} keys.",
            t0.keys.len(),
            t0.total_rows
        )),
        truncated
    );
    // Shards of the first table that hold rows or report lag.
    let want_shards = snap
        .shards
        .iter()
        .filter(|s| s.table == t0.table && (s.rows > 0 || !s.lag.is_empty()))
        .count()
        .min(80);
    assert!(want_shards > 0);
    assert_eq!(
        count(&root, "[data-testid=\"shards\"] tbody tr"),
        want_shards
    );
}

// ------------------------------------------------------------------ metrics

#[wasm_bindgen_test]
async fn metrics_plot_one_point_per_metric_sample() {
    let sim = faulty_busy_sim();
    let snap = sim.snapshot();
    let m = Rc::new(snap.metrics.clone());
    assert!(m.len() >= 2);
    let root = mount::<MetricsPanel>(MetricsProps {
        metrics: m.clone(),
        topo: topo(&snap),
    })
    .await;
    assert!(text(&root).contains(&format!("the last {} s", m.len())));
    let plots = [
        "plot-throughput",
        "plot-latency",
        "plot-lag",
        "plot-stale",
        "plot-aborted",
        "plot-indoubt",
    ];
    for id in plots {
        let fig = by_testid(&root, id);
        let lines = all(&fig, "polyline.series");
        assert!(!lines.is_empty(), "{id} has series");
        for l in &lines {
            let pts = attr_of(l, "points").split_whitespace().count();
            assert_eq!(pts, m.len(), "{id}: one point per sample");
        }
        // The x axis spans the samples' times.
        let ft = text(&fig);
        assert!(
            ft.contains(&format!("{:.0} s", m[0].t.0 as f64 / 1000.0)),
            "{id}"
        );
        assert!(
            ft.contains(&format!("{:.0} s", m[m.len() - 1].t.0 as f64 / 1000.0)),
            "{id}"
        );
    }
    // Lag: one series per DC (the topology's and any DC in the samples).
    let mut lag_dcs: Vec<DcId> = snap.dcs.iter().map(|d| d.id).collect();
    for p in m.iter() {
        for (d, _) in &p.lag_ms {
            if !lag_dcs.contains(d) {
                lag_dcs.push(*d);
            }
        }
    }
    let lag = by_testid(&root, "plot-lag");
    assert_eq!(count(&lag, "polyline.series"), lag_dcs.len());
    // Legends carry the last sample's values.
    let last = m.last().unwrap();
    let tp = text(&by_testid(&root, "plot-throughput"));
    assert!(tp.contains(&format!("ok {}", last.ops_ok)), "{tp}");
    assert!(tp.contains(&format!("failed {}", last.ops_failed)), "{tp}");
    let lt = text(&by_testid(&root, "plot-latency"));
    assert!(lt.contains(&format!("p99 {}", last.p99_ms)), "{lt}");

    // No samples: no plots.
    let empty = mount::<MetricsPanel>(MetricsProps {
        metrics: Rc::new(vec![]),
        topo: topo(&snap),
    })
    .await;
    assert_eq!(count(&empty, "[data-testid^=\"plot-\"]"), 0);
}

// ------------------------------------------------------------------ event log

fn is_hb_drop(e: &tablestore_playground::sim::Event) -> bool {
    matches!(
        e.kind,
        EventKind::Dropped {
            kind: MsgKind::Heartbeat,
            ..
        }
    )
}

fn shown_seqs(root: &Element) -> Vec<String> {
    all(root, "li.log-entry")
        .iter()
        .map(|e| attr_of(e, "data-testid"))
        .collect()
}

#[wasm_bindgen_test]
async fn event_log_shows_the_snapshots_events_newest_first_and_filters() {
    let sim = faulty_busy_sim();
    let snap = sim.snapshot();
    let events = Rc::new(snap.events.clone());
    assert!(
        events.iter().any(|e| is_hb_drop(e)),
        "a cut link drops heartbeats"
    );
    let root = mount::<LogPanel>(LogProps {
        events: events.clone(),
        topo: topo(&snap),
        on_focus: Callback::noop(),
        selected_dc: None,
        selected_txn: None,
    })
    .await;
    let expect = |hb: bool, hidden_cat: Option<&str>| -> Vec<String> {
        events
            .iter()
            .rev()
            .filter(|e| hb || !is_hb_drop(e))
            .filter(|e| Some(e.kind.category()) != hidden_cat)
            .take(150)
            .map(|e| format!("log-entry-{}", e.seq))
            .collect()
    };
    // Default: heartbeat drops hidden.
    let want = expect(false, None);
    assert!(!want.is_empty());
    assert_eq!(shown_seqs(&root), want);
    for e in all(&root, "li.log-entry") {
        let seq: u64 = attr_of(&e, "data-testid")["log-entry-".len()..]
            .parse()
            .unwrap();
        let ev = events.iter().find(|x| x.seq == seq).unwrap();
        assert_eq!(attr_of(&e, "data-category"), ev.kind.category());
    }
    // Heartbeat drops on.
    click(&by_testid(&root, "log-heartbeats"));
    tick().await;
    let with_hb = expect(true, None);
    assert_ne!(with_hb, want, "the heartbeat filter changes what is shown");
    assert_eq!(shown_seqs(&root), with_hb);
    // Hide the category of the newest shown event.
    let newest = events.iter().next_back().unwrap().kind.category();
    click(&by_testid(&root, &format!("log-cat-{newest}")));
    tick().await;
    let filtered = expect(true, Some(newest));
    assert_eq!(shown_seqs(&root), filtered);
    assert!(all(&root, "li.log-entry")
        .iter()
        .all(|e| attr_of(e, "data-category") != newest));
}

// ------------------------------------------------------------------ findings

#[wasm_bindgen_test]
async fn findings_panel_lists_each_finding_with_its_kind() {
    // An Async write acknowledged by its owner, which dies before shipping it.
    let mut sim = Sim::new(with_mode(quiet_config(5), ReplicationMode::Async)).unwrap();
    sim.advance_to(SimTime(500));
    for owner in [DcId(3), DcId(1)] {
        let k = key_owned_by(&sim, owner);
        assert!(run_op(&mut sim, owner, put(&k, 9), 100).unwrap().0);
        sim.apply(UserCommand::Kill(owner)).unwrap();
        sim.advance_by(3_000);
        sim.apply(UserCommand::Revive(owner)).unwrap();
        sim.advance_by(3_000);
    }
    let snap = sim.snapshot();
    let findings = Rc::new(snap.findings.clone());
    assert!(
        findings
            .iter()
            .any(|f| f.kind == FindingKind::AsyncWriteLost),
        "{findings:?}"
    );
    // Each finding offers a link to its moment: the callback gets its instant.
    let linked = Rc::new(std::cell::RefCell::new(Vec::new()));
    let on_link = {
        let linked = linked.clone();
        Callback::from(move |t: SimTime| linked.borrow_mut().push(t))
    };
    let root = mount::<FindingsPanel>(FindingsProps {
        findings: findings.clone(),
        counts: snap.finding_counts.clone(),
        on_focus: Callback::noop(),
        selected_txn: None,
        on_link: Some(on_link),
    })
    .await;
    assert_eq!(count(&root, "li.finding"), findings.len());
    click(&by_testid(&root, "finding-link-0"));
    assert_eq!(*linked.borrow(), vec![findings[0].at]);
    for (i, f) in findings.iter().enumerate() {
        let el = by_testid(&root, &format!("finding-{i}"));
        assert_eq!(attr_of(&el, "data-kind"), finding_key(f.kind));
        assert!(has_class(
            &el,
            if f.kind.is_violation() {
                "violation"
            } else {
                "expected"
            }
        ));
        assert!(text(&el).contains(&f.text), "finding {i} shows its text");
    }
    let violations = findings.iter().filter(|f| f.kind.is_violation()).count();
    assert!(text(&root).contains(&format!(
        "{} finding(s), {} violation(s).",
        findings.len(),
        violations
    )));
    // Newest first.
    let order: Vec<String> = all(&root, "li.finding")
        .iter()
        .map(|e| attr_of(e, "data-testid"))
        .collect();
    let want: Vec<String> = (0..findings.len())
        .rev()
        .map(|i| format!("finding-{i}"))
        .collect();
    assert_eq!(order, want);

    // A window of a longer run (the checker keeps the newest): numbered in the run, and
    // the counts are the run's totals, not the window's length.
    let mut more = snap.finding_counts.clone();
    more.by_kind[FindingKind::AsyncWriteLost.index()] += 5;
    let root = mount::<FindingsPanel>(FindingsProps {
        findings: findings.clone(),
        counts: more.clone(),
        on_focus: Callback::noop(),
        selected_txn: None,
        on_link: None,
    })
    .await;
    assert_eq!(count(&root, "li.finding"), findings.len());
    assert!(text(&root).contains(&format!(
        "{} finding(s), {} violation(s).",
        more.total(),
        more.violations()
    )));
    let order: Vec<String> = all(&root, "li.finding")
        .iter()
        .map(|e| attr_of(e, "data-testid"))
        .collect();
    let want: Vec<String> = (5..5 + findings.len())
        .rev()
        .map(|i| format!("finding-{i}"))
        .collect();
    assert_eq!(order, want);

    // No findings: the all-clear line, no entries.
    let empty = mount::<FindingsPanel>(FindingsProps {
        findings: Rc::new(vec![]),
        counts: Default::default(),
        on_focus: Callback::noop(),
        selected_txn: None,
        on_link: None,
    })
    .await;
    assert_eq!(count(&empty, "li.finding"), 0);
    assert_eq!(count(&empty, ".ok-line"), 1);
}

// ------------------------------------------------------------------ DC table

#[wasm_bindgen_test]
async fn dc_table_shows_each_dcs_state_and_load() {
    let (sim, _) = in_doubt_sim();
    let snap = Rc::new(sim.snapshot());
    assert!(snap.dcs.iter().any(|d| !d.up) && snap.dcs.iter().any(|d| d.in_doubt > 0));
    assert!(
        snap.dcs.iter().any(|d| d.in_doubt != d.locks),
        "columns are distinguishable"
    );
    let root = mount::<DcTable>(DcProps {
        snap: snap.clone(),
        selected_dc: None,
        on_toggle: Callback::noop(),
        on_select: Callback::noop(),
    })
    .await;
    let rows = all(&root, "[data-testid=\"datacenters\"] tbody tr");
    assert_eq!(rows.len(), snap.dcs.len());
    for (tr, d) in rows.iter().zip(&snap.dcs) {
        assert_eq!(has_class(tr, "down"), !d.up);
        let state = one(tr, "span.state");
        assert_eq!(text(&state), if d.up { "up" } else { "down" });
        let nums: Vec<String> = all(tr, "td.num").iter().map(text).collect();
        assert_eq!(
            nums,
            vec![
                d.rows.to_string(),
                d.primaries.to_string(),
                d.in_doubt.to_string(),
                d.locks.to_string()
            ],
            "{}",
            d.id
        );
        let toggle = by_testid(tr, &format!("toggle-{}", d.id.0));
        assert_eq!(text(&toggle), if d.up { "Kill" } else { "Revive" });
    }
    let c = &snap.counters;
    let counters = text(&by_testid(&root, "counters"));
    assert!(
        counters.contains(&format!("{}/{}", c.ops_ok, c.ops_failed)),
        "{counters}"
    );
    assert!(counters.contains(&format!("{}/{}", c.txns_committed, c.txns_aborted)));
    assert!(counters.contains(&format!("{}/{}", c.msgs_sent, c.msgs_dropped)));
}

/// Issue 15: a DC killed at 3 s and run to 10 s leads nothing in the DC table, and the
/// primaries column sums to the shard count.
#[wasm_bindgen_test]
async fn dc_table_shows_no_primaries_for_a_down_dc_and_sums_to_the_shard_count() {
    let mut sim = Sim::new(SimConfig::with_dcs(5)).unwrap();
    sim.advance_to(SimTime(3_000));
    let victim = DcId(1);
    assert!(
        sim.snapshot().dcs[1].primaries > 0,
        "the victim leads shards"
    );
    sim.apply(UserCommand::Kill(victim)).unwrap();
    sim.advance_to(SimTime(10_000));
    let snap = Rc::new(sim.snapshot());
    assert!(
        snap.shards.iter().all(|s| s.live_primary.is_some()),
        "every shard failed over to a live primary"
    );
    let root = mount::<DcTable>(DcProps {
        snap: snap.clone(),
        selected_dc: None,
        on_toggle: Callback::noop(),
        on_select: Callback::noop(),
    })
    .await;
    let rows = all(&root, "[data-testid=\"datacenters\"] tbody tr");
    assert_eq!(rows.len(), snap.dcs.len());
    let mut sum = 0;
    for (tr, d) in rows.iter().zip(&snap.dcs) {
        // The columns: rows, primaries, in doubt, locks.
        let nums: Vec<String> = all(tr, "td.num").iter().map(text).collect();
        let primaries: usize = nums[1].parse().unwrap();
        if d.id == victim {
            assert!(has_class(tr, "down"));
            assert_eq!(primaries, 0, "a down DC is primary of nothing");
            assert_eq!(nums[2], "0");
            assert_eq!(nums[3], "0");
        }
        sum += primaries;
    }
    assert_eq!(
        sum,
        snap.shards.len(),
        "the primaries sum to the shard count"
    );
}

// ------------------------------------------------------------------ controls

/// Controls of a paused run at the middle speed, showing `snap`'s clock and seed.
fn paused_controls(
    snap: &tablestore_playground::sim::Snapshot,
    bugs: Vec<String>,
) -> ControlsProps {
    ControlsProps {
        running: false,
        speed_pos: 500,
        speed: tablestore_playground::sim::speed_of(500),
        achieved: None,
        now: snap.now,
        seed: snap.seed,
        theme: Theme::Auto,
        large: false,
        pending: 0,
        breakpoint: None,
        keep_breakpoint: false,
        hit: None,
        bugs,
        learning: false,
        on_action: Callback::noop(),
    }
}

#[wasm_bindgen_test]
async fn controls_show_the_snapshots_clock_and_seed() {
    let sim = faulty_busy_sim();
    let snap = sim.snapshot();
    let root = mount::<Controls>(paused_controls(&snap, Vec::new())).await;
    assert_eq!(
        testid_attr(&root, "sim-time", "data-ms"),
        snap.now.0.to_string()
    );
    assert_eq!(text(&by_testid(&root, "seed")), snap.seed.to_string());
    assert_eq!(count(&root, "[data-testid=\"play\"]"), 1);
    assert_eq!(count(&root, "[data-testid=\"pause\"]"), 0);
    assert_eq!(
        count(&root, "[data-testid=\"bugs-badge\"]"),
        0,
        "the real protocol"
    );
}

#[wasm_bindgen_test]
async fn controls_name_the_seeded_bugs_of_a_broken_run() {
    let snap = faulty_busy_sim().snapshot();
    let root = mount::<Controls>(paused_controls(
        &snap,
        vec!["ack_before_sync".into(), "replication_skips_dc0".into()],
    ))
    .await;
    let badge = text(&by_testid(&root, "bugs-badge"));
    assert!(
        badge.contains("seeded bug: ack_before_sync, replication_skips_dc0"),
        "{badge}"
    );
}

/// The page's stylesheet, once per test page, so sizes are the page's (fonts, fixed heights).
fn with_page_css() {
    let doc = document();
    if doc.get_element_by_id("page-css").is_none() {
        let style = doc.create_element("style").unwrap();
        style.set_id("page-css");
        style.set_text_content(Some(include_str!("../styles/main.css")));
        doc.head().unwrap().append_child(&style).unwrap();
    }
}

/// getBoundingClientRect as (left, top, right, bottom), through JS (no web-sys feature).
fn client_rect(e: &Element) -> (f64, f64, f64, f64) {
    let f: js_sys::Function = js_sys::Reflect::get(e, &"getBoundingClientRect".into())
        .unwrap()
        .into();
    let r = f.call0(e).unwrap();
    let n = |k: &str| {
        js_sys::Reflect::get(&r, &k.into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    (n("left"), n("top"), n("right"), n("bottom"))
}

/// Pairs of the diagram's labels (texts outside state marks, and the marks) whose boxes
/// overlap on screen, described.
fn overlapping_labels(root: &Element) -> Vec<String> {
    let svg = by_testid(root, "txn-diagram");
    let mut labels: Vec<Element> = all(&svg, "text")
        .into_iter()
        .filter(|e| e.closest(".mark").ok().flatten().is_none())
        .collect();
    labels.extend(all(&svg, ".mark"));
    let boxes: Vec<_> = labels
        .iter()
        .map(|e| (client_rect(e), text(e)))
        .filter(|((l, t, r, b), _)| r > l && b > t)
        .collect();
    assert!(boxes.len() >= labels.len() / 2, "labels are laid out");
    let mut out = Vec::new();
    for (i, (a, ta)) in boxes.iter().enumerate() {
        for (b, tb) in &boxes[i + 1..] {
            let w = a.2.min(b.2) - a.0.max(b.0);
            let h = a.3.min(b.3) - a.1.max(b.1);
            if w > 0.5 && h > 0.5 {
                out.push(format!("{ta:?} {a:?} and {tb:?} {b:?}"));
            }
        }
    }
    out
}

/// A crowded transaction: DC 0 coordinates and takes part (PREPARE, VOTE, COMMIT, ACK to
/// itself at one instant each), four more participants at near-equal latencies, one of
/// them in doubt for a while and asking for the decision, one vote arriving just at the
/// decision.
fn crowded_txn(id: u64) -> TxnTrace {
    use std::collections::BTreeMap;
    let d = |x: u64| DcId(x as u16);
    let at = SimTime;
    let msg = |kind, s: u64, dst: u64, t0: u64, t1: u64, commit, yes| TxnMsg {
        kind,
        src: d(s),
        dst: d(dst),
        send_at: at(t0),
        deliver_at: at(t1),
        commit,
        yes,
        delivered: Some(true),
    };
    let lat = [0, 40, 44, 47, 130];
    let mut msgs = Vec::new();
    let mut part_states: BTreeMap<DcId, Vec<(SimTime, PartState)>> = BTreeMap::new();
    let start = 1_000;
    let decided = 1_300;
    for p in 0..5u64 {
        let l = lat[p as usize];
        msgs.push(msg(MsgKind::Prepare, 0, p, start, start + l, None, None));
        msgs.push(msg(
            MsgKind::Vote,
            p,
            0,
            start + l,
            start + 2 * l,
            None,
            Some(true),
        ));
        part_states
            .entry(d(p))
            .or_default()
            .push((at(start + l), PartState::Prepared));
    }
    // DC 4 hears nothing for a while: in doubt, asks twice, then learns COMMIT.
    part_states
        .entry(d(4))
        .or_default()
        .push((at(decided + 900), PartState::InDoubt));
    msgs.push(TxnMsg {
        delivered: Some(false),
        ..msg(
            MsgKind::QueryDecision,
            4,
            0,
            decided + 900,
            decided + 1_030,
            None,
            None,
        )
    });
    msgs.push(msg(
        MsgKind::QueryDecision,
        4,
        0,
        decided + 2_400,
        decided + 2_530,
        None,
        None,
    ));
    for p in 0..5u64 {
        let l = lat[p as usize];
        let sent = if p == 4 { decided + 2_530 } else { decided };
        msgs.push(msg(
            MsgKind::Decision,
            0,
            p,
            sent,
            sent + l,
            Some(true),
            None,
        ));
        msgs.push(msg(
            MsgKind::DecisionAck,
            p,
            0,
            sent + l,
            sent + 2 * l,
            None,
            None,
        ));
        part_states
            .entry(d(p))
            .or_default()
            .push((at(sent + l), PartState::Committed));
    }
    let shards = (0..5u64)
        .map(|p| {
            (
                d(p),
                vec![format!("orders s{p}"), format!("users s{}", p + 5)],
            )
        })
        .collect();
    TxnTrace {
        id: TxnId(id),
        coordinator: d(0),
        started: at(start),
        participants: (0..5).map(d).collect(),
        coord_states: vec![
            (at(start), CoordState::Working),
            (at(decided), CoordState::Committed),
            (at(decided + 2_530 + 260), CoordState::Ended),
        ],
        part_states: part_states.into_iter().collect(),
        locks: Default::default(),
        shards,
        msgs,
    }
}

/// Issue 15, item 9: the diagram of a crowded transaction (five participants, the
/// coordinator among them, near-simultaneous messages, a long in-doubt wait) has no two
/// labels overlapping, draws each message a DC sends itself as a loop, and the panel keeps
/// one height with no, one and many transactions. Also every trace of a real run.
#[wasm_bindgen_test]
async fn txn_diagram_labels_never_overlap_self_messages_loop_and_the_panel_height_is_fixed() {
    with_page_css();
    let (sim, _) = in_doubt_sim();
    let snap = sim.snapshot();
    let crowded = crowded_txn(9_001);
    let selves: Vec<usize> = crowded
        .msgs
        .iter()
        .enumerate()
        .filter(|(_, m)| m.src == m.dst)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(selves.len(), 4, "PREPARE, VOTE, COMMIT, ACK to itself");
    let mount_with = |txns: Vec<Arc<TxnTrace>>, selected: Option<TxnId>| {
        mount::<TxnPanel>(TxnProps {
            txns: Rc::new(txns),
            topo: topo(&snap),
            now: SimTime(10_000),
            selected,
            on_select: Callback::noop(),
        })
    };

    let root = mount_with(vec![Arc::new(crowded.clone())], Some(crowded.id)).await;
    let bad = overlapping_labels(&root);
    assert!(bad.is_empty(), "overlapping labels: {bad:#?}");
    assert_eq!(count(&root, ".arrow.loop"), selves.len());
    for i in &selves {
        let l = by_testid(&root, &format!("txn-loop-{i}"));
        assert!(has_class(&l, "loop"));
        let (x0, y0, x1, y1) = client_rect(&one(&l, ".shaft"));
        assert!(
            x1 - x0 >= 5.0 && y1 - y0 >= 5.0,
            "loop {i} is {}×{}",
            x1 - x0,
            y1 - y0
        );
    }
    // Phase 1 keeps room for its label: its band is at least as high as the label is long.
    let band = client_rect(&one(&root, "rect.band.vote"));
    let label = all(&root, "text.band-label")
        .into_iter()
        .find(|e| text(e).starts_with("phase 1"))
        .expect("phase 1 label");
    let lb = client_rect(&label);
    assert!(
        lb.3 <= band.3 + 0.5,
        "phase 1 label {lb:?} runs out of its band {band:?}"
    );
    let panel_h = |root: &Element| {
        let (_, t, _, b) = client_rect(&by_testid(root, "txn-panel"));
        b - t
    };
    let one_h = panel_h(&root);

    // Every transaction of a real run with a participant in doubt, too.
    for t in snap.txns.iter() {
        let root = mount_with(snap.txns.clone(), Some(t.id)).await;
        let bad = overlapping_labels(&root);
        assert!(bad.is_empty(), "{}: overlapping labels: {bad:#?}", t.id);
    }

    // One height with none, one and many transactions.
    let none_h = panel_h(&mount_with(vec![], None).await);
    let many: Vec<Arc<TxnTrace>> = (0..40)
        .map(|i| Arc::new(crowded_txn(100 + i)))
        .chain(snap.txns.iter().cloned())
        .collect();
    let many_h = panel_h(&mount_with(many, None).await);
    assert!(one_h > 100.0, "panel height {one_h}");
    assert!(
        (none_h - one_h).abs() < 0.5 && (many_h - one_h).abs() < 0.5,
        "panel heights: none {none_h}, one {one_h}, many {many_h}"
    );
}

/// Rust debug text a log line must never show: struct braces, `Some(…)` / `None`, a
/// quoted string in parentheses, or an error variant's name.
fn looks_like_debug(s: &str) -> bool {
    s.contains('{')
        || s.contains('}')
        || s.contains("Some(")
        || s.contains("None")
        || s.contains("(\"")
        || [
            "NotPrimary",
            "Locked {",
            "Fenced",
            "Timeout",
            "Unavailable",
            "Aborted(",
            "RoundRobin",
            "LeastLoaded",
            "Quorum(",
            "SemiSync",
        ]
        .iter()
        .any(|v| s.contains(v))
}

/// Item 8 of issue 15: the event log speaks in plain words. A run with a kill (failed
/// requests, failovers, promotions, in-doubt transactions, checker findings), a link cut,
/// a revive (stepping down) and a settings change is formatted line by line, plus one
/// event of each kind a short run may not produce; no line shows debug text, and every
/// kind of event is covered.
#[wasm_bindgen_test]
fn every_log_line_is_plain_words() {
    use tablestore_playground::sim::config::ReadPolicy;
    use tablestore_playground::sim::net::DropReason;
    use tablestore_playground::sim::{Event, ShardId};
    use tablestore_playground::ui::fmt::event_text;
    let mut c = SimConfig {
        seed: 42,
        ..SimConfig::default()
    };
    c.workload.ops_per_sec = 100;
    let mut s = Sim::new(c.clone()).expect("sim");
    s.advance_to(SimTime(5_000));
    s.apply(UserCommand::Kill(DcId(1))).expect("kill");
    s.apply(UserCommand::CutLink {
        from: DcId(0),
        to: DcId(2),
    })
    .expect("cut");
    s.advance_to(SimTime(15_000));
    s.apply(UserCommand::Revive(DcId(1))).expect("revive");
    s.apply(UserCommand::HealLink {
        from: DcId(0),
        to: DcId(2),
    })
    .expect("heal");
    let mut c2 = c.clone();
    c2.read_policy = ReadPolicy::RoundRobin;
    c2.tables[0].mode = ReplicationMode::Quorum(2);
    s.apply(UserCommand::Configure(Box::new(c2)))
        .expect("configure");
    s.advance_to(SimTime(25_000));
    let snap = s.snapshot();
    let names: Vec<(DcId, String)> = snap.dcs.iter().map(|d| (d.id, d.name.clone())).collect();
    let tables: Vec<String> = snap.config.tables.iter().map(|t| t.name.clone()).collect();
    let (t, sh) = (TableId(0), ShardId(1));
    let by_hand = [
        EventKind::LatencySet {
            from: DcId(0),
            to: DcId(1),
            ms: 80,
        },
        EventKind::Dropped {
            src: DcId(0),
            dst: DcId(1),
            kind: MsgKind::Heartbeat,
            reason: DropReason::Loss,
        },
        EventKind::View {
            target: DcId(1),
            from: PeerState::Alive,
            to: PeerState::Suspect,
        },
        EventKind::FailoverIssued {
            table: t,
            shard: sh,
            term: 3,
            old: DcId(1),
            new: DcId(2),
        },
        EventKind::Promoted {
            table: t,
            shard: sh,
            term: 3,
            last_index: 9,
        },
        EventKind::SteppedDown {
            table: t,
            shard: sh,
            term: 3,
        },
        EventKind::Truncated {
            table: t,
            shard: sh,
            entries: 2,
        },
        EventKind::SnapshotInstalled {
            table: t,
            shard: sh,
            index: 40,
            term: 3,
            last_index: 44,
        },
        EventKind::Coord {
            txn: TxnId(4),
            state: CoordState::Committed,
        },
        EventKind::Part {
            txn: TxnId(4),
            state: PartState::InDoubt,
        },
        EventKind::Recovered {
            in_doubt: 1,
            redo: 2,
        },
        EventKind::Finding {
            index: 0,
            kind: FindingKind::AsyncWriteLost,
        },
        EventKind::AdminWaiting {
            text: "the switch waits for 2 open transactions".into(),
        },
        EventKind::Reconfigured {
            text: "modulo → ring".into(),
        },
        EventKind::Killed,
        EventKind::Revived,
        EventKind::LinkCut {
            from: DcId(0),
            to: DcId(1),
        },
        EventKind::LinkHealed {
            from: DcId(0),
            to: DcId(1),
        },
    ];
    let hand: Vec<Event> = by_hand
        .into_iter()
        .enumerate()
        .map(|(i, kind)| Event {
            seq: i as u64 + 1,
            at: SimTime(1),
            dc: Some(DcId(0)),
            kind,
        })
        .collect();
    // Which kinds were formatted (an exhaustive match: a new kind must be added here).
    let kind_of = |k: &EventKind| -> usize {
        match k {
            EventKind::Killed => 0,
            EventKind::Revived => 1,
            EventKind::LinkCut { .. } => 2,
            EventKind::LinkHealed { .. } => 3,
            EventKind::LatencySet { .. } => 4,
            EventKind::Dropped { .. } => 5,
            EventKind::View { .. } => 6,
            EventKind::FailoverIssued { .. } => 7,
            EventKind::Promoted { .. } => 8,
            EventKind::SteppedDown { .. } => 9,
            EventKind::Truncated { .. } => 10,
            EventKind::Op { .. } => 11,
            EventKind::Coord { .. } => 12,
            EventKind::Part { .. } => 13,
            EventKind::Recovered { .. } => 14,
            EventKind::Finding { .. } => 15,
            EventKind::AdminWaiting { .. } => 16,
            EventKind::Reconfigured { .. } => 17,
            EventKind::Setting { .. } => 18,
            EventKind::SnapshotInstalled { .. } => 19,
        }
    };
    let mut seen = [false; 20];
    let mut failed_ops = 0;
    for e in s.events().chain(hand.iter()) {
        seen[kind_of(&e.kind)] = true;
        if matches!(e.kind, EventKind::Op { ok: false, .. }) {
            failed_ops += 1;
        }
        let line = event_text(e, &names, &tables);
        assert!(!line.trim().is_empty(), "an empty line for {:?}", e.kind);
        assert!(
            !looks_like_debug(&line),
            "debug text in the log: {line:?} (from {:?})",
            e.kind
        );
    }
    assert!(failed_ops > 0, "the run has failed requests to format");
    let missing: Vec<usize> = (0..20).filter(|&i| !seen[i]).collect();
    assert!(missing.is_empty(), "event kinds not formatted: {missing:?}");
}
