//! Two-phase commit: the transaction list and a sequence (Lamport) diagram of one
//! transaction — lifelines for the coordinator and participants, an arrow per message
//! over simulated time, phase bands, state marks, and participant badges with locks.
//!
//! Invariants: everything drawn is the `TxnTrace` of the snapshot, its states as the core
//! gives them (`TxnTrace::status` — one state per transaction, never "committed" and "in
//! doubt" together —, `part_state`, `coord_state`); long idle gaps are
//! compressed on the time axis (and marked ≈) so a transaction blocked in doubt for a
//! minute still shows its first milliseconds legibly; the axis stays monotonic.
//!
//! The list selects by transaction id (`selected`), never by row. It shows the newest
//! first, but while the pointer is over it its order is held: rows present when the
//! pointer came in keep their places (new ones are counted, not inserted), so a click
//! lands on the row that was under the pointer. The App keeps the selected transaction
//! in the snapshot (`Sim::snapshot_pinning`), so new transactions never push it out.

use crate::sim::MsgKind;
use crate::sim::{CoordState, PartState, TxnStatus};
use crate::sim::{DcId, SimTime, TxnId, TxnMsg, TxnTrace};
use crate::ui::fmt;
use crate::ui::state::Topo;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

const W: f64 = 760.0;
const TOP: f64 = 58.0;
/// Diagram height bounds (px of the viewBox): grows with the number of messages.
const H_MIN: f64 = 200.0;
const H_MAX: f64 = 440.0;
const LEFT: f64 = 80.0;
/// Gaps longer than this (ms) are compressed on the time axis.
const GAP_MS: f64 = 400.0;

#[derive(Properties)]
pub struct Props {
    pub txns: Rc<Vec<TxnTrace>>,
    pub topo: Rc<Topo>,
    pub now: SimTime,
    pub selected: Option<TxnId>,
    pub on_select: Callback<Option<TxnId>>,
}

impl Props {
    fn shown(&self) -> Option<&TxnTrace> {
        self.selected
            .and_then(|id| self.txns.iter().find(|t| t.id == id))
            .or_else(|| self.txns.last())
    }
}

impl PartialEq for Props {
    /// `now` only matters while the shown transaction is still moving (messages in flight
    /// or not ended); otherwise the panel skips the per-frame re-render.
    fn eq(&self, o: &Self) -> bool {
        let same = Rc::ptr_eq(&self.txns, &o.txns)
            && Rc::ptr_eq(&self.topo, &o.topo)
            && self.selected == o.selected
            && self.on_select == o.on_select;
        if !same {
            return false;
        }
        if self.now == o.now {
            return true;
        }
        let live = |t: &TxnTrace| {
            coord_state(t) != CoordState::Ended || t.msgs.iter().any(|m| m.delivered.is_none())
        };
        !self.shown().is_some_and(live)
    }
}

fn last_part(t: &TxnTrace, d: DcId) -> Option<PartState> {
    t.part_state(d)
}

fn coord_state(t: &TxnTrace) -> CoordState {
    t.coord_state()
}

/// The class of a transaction's one state.
fn status_class(s: TxnStatus) -> &'static str {
    match s {
        TxnStatus::Pending => "pending",
        TxnStatus::InDoubt => "indoubt",
        TxnStatus::Committed => "committed",
        TxnStatus::Aborted => "aborted",
    }
}

fn msg_label(m: &TxnMsg) -> String {
    match m.kind {
        MsgKind::Prepare => "PREPARE".into(),
        MsgKind::Vote => match m.yes {
            Some(true) => "VOTE yes".into(),
            Some(false) => "VOTE no".into(),
            None => "VOTE".into(),
        },
        MsgKind::Decision => match m.commit {
            Some(true) => "COMMIT".into(),
            Some(false) => "ABORT".into(),
            None => "DECISION".into(),
        },
        MsgKind::DecisionAck => "ACK".into(),
        MsgKind::QueryDecision => "QUERY decision?".into(),
        k => k.label().into(),
    }
}

/// Piecewise-linear time axis over the instants that matter, long gaps compressed.
struct Axis {
    /// (instant ms, y) breakpoints, increasing.
    pts: Vec<(f64, f64)>,
    /// y positions of compressed gaps.
    breaks: Vec<f64>,
}

impl Axis {
    fn new(mut times: Vec<u64>, h: f64) -> Axis {
        times.sort_unstable();
        times.dedup();
        if times.len() < 2 {
            let t = times.first().copied().unwrap_or(0) as f64;
            return Axis {
                pts: vec![(t, TOP), (t + 1.0, TOP + h)],
                breaks: vec![],
            };
        }
        let mut acc = 0.0;
        let mut raw = vec![(times[0] as f64, 0.0)];
        let mut gaps = Vec::new();
        for w in times.windows(2) {
            let gap = (w[1] - w[0]) as f64;
            let len = if gap > GAP_MS {
                gaps.push(acc + GAP_MS * 0.5);
                GAP_MS + (gap - GAP_MS).ln()
            } else {
                gap
            };
            acc += len;
            raw.push((w[1] as f64, acc));
        }
        let scale = if acc > 0.0 { h / acc } else { 1.0 };
        Axis {
            pts: raw.into_iter().map(|(t, y)| (t, TOP + y * scale)).collect(),
            breaks: gaps.into_iter().map(|g| TOP + g * scale).collect(),
        }
    }

    fn y(&self, t: u64) -> f64 {
        let t = t as f64;
        let first = self.pts[0];
        if t <= first.0 {
            return first.1;
        }
        for w in self.pts.windows(2) {
            let ((t0, y0), (t1, y1)) = (w[0], w[1]);
            if t <= t1 {
                return if t1 > t0 {
                    y0 + (y1 - y0) * (t - t0) / (t1 - t0)
                } else {
                    y1
                };
            }
        }
        self.pts[self.pts.len() - 1].1
    }
}

fn diagram(t: &TxnTrace, topo: &Topo, now: SimTime) -> Html {
    // Lifelines: coordinator first, then the other participants.
    let mut lanes = vec![t.coordinator];
    lanes.extend(
        t.participants
            .iter()
            .copied()
            .filter(|d| *d != t.coordinator),
    );
    // Lanes spread between the axis and a right margin wide enough for state marks.
    let gap = (W - LEFT - 130.0) / (lanes.len().max(2) - 1) as f64;
    let x_of = |d: DcId| {
        lanes
            .iter()
            .position(|x| *x == d)
            .map(|i| LEFT + 50.0 + i as f64 * gap)
    };
    let finished = matches!(coord_state(t), CoordState::Ended);
    let mut times: Vec<u64> = vec![t.started.0];
    for m in &t.msgs {
        times.push(m.send_at.0);
        times.push(if m.delivered.is_some() {
            m.deliver_at.0
        } else {
            now.0.min(m.deliver_at.0)
        });
    }
    times.extend(t.coord_states.iter().map(|x| x.0 .0));
    times.extend(t.part_states.values().flatten().map(|x| x.0 .0));
    if !finished {
        times.push(now.0);
    }
    let h = (60.0 + 30.0 * t.msgs.len() as f64).clamp(H_MIN, H_MAX);
    let axis = Axis::new(times, h);
    let bottom = TOP + h;

    // Phase bands.
    let decided_at = t
        .coord_states
        .iter()
        .find(|(_, s)| matches!(s, CoordState::Committed | CoordState::Aborted))
        .map(|x| x.0);
    let ended_at = t
        .coord_states
        .iter()
        .find(|(_, s)| *s == CoordState::Ended)
        .map(|x| x.0);
    let y_start = axis.y(t.started.0);
    let y_dec = decided_at.map(|d| axis.y(d.0)).unwrap_or(bottom);
    let y_end = ended_at.map(|d| axis.y(d.0)).unwrap_or(bottom);
    let band2 = decided_at.map(|_| {
        let cls = if t.decision() == Some(true) { "band commit" } else { "band abort" };
        html! {
            <g>
                <rect class={cls} x="0" y={format!("{y_dec:.1}")} width={W.to_string()} height={format!("{:.1}", (y_end - y_dec).max(2.0))} />
                <text class="band-label" text-anchor="end" transform={format!("translate(11,{:.1}) rotate(-90)", y_dec + 4.0)}>{ "phase 2: decision" }</text>
            </g>
        }
    });

    let heads = lanes.iter().map(|&d| {
        let x = x_of(d).unwrap_or(0.0);
        let role = if d == t.coordinator { "coordinator" } else { "participant" };
        html! {
            <g key={d.0}>
                <line class="lifeline" x1={format!("{x:.1}")} y1={(TOP - 6.0).to_string()} x2={format!("{x:.1}")} y2={format!("{bottom:.1}")} />
                <circle class={fmt::dc_fill(d)} cx={format!("{x:.1}")} cy="16" r="7" />
                <text class="lane-name" x={format!("{x:.1}")} y="38">{ fmt::dc_name(&topo.names, d) }</text>
                <text class="lane-role" x={format!("{x:.1}")} y="50">{ role }</text>
                if let Some(sh) = t.shards.get(&d) {
                    <text class="lane-role" x={format!("{x:.1}")} y="61">{ sh.join(", ") }</text>
                }
            </g>
        }
    });

    let arrows = t.msgs.iter().enumerate().map(|(i, m)| {
        let (Some(x1), Some(x2)) = (x_of(m.src), x_of(m.dst)) else { return html! {} };
        let y1 = axis.y(m.send_at.0);
        let cls = fmt::msg_class(m.kind);
        let label = msg_label(m);
        if m.src == m.dst {
            // A message to itself: a small loop on the lifeline.
            let y2 = axis.y(m.deliver_at.0).max(y1 + 8.0);
            return html! {
                <g key={i} class={classes!("arrow", cls)}>
                    <path class="shaft" d={format!("M{x1:.1},{y1:.1}c18,0 18,{:.1} 0,{:.1}", y2 - y1, y2 - y1)} fill="none" />
                    <text class="arrow-label" x={format!("{:.1}", x1 + 20.0)} y={format!("{:.1}", (y1 + y2) / 2.0 + 3.0)} text-anchor="start">{ label }</text>
                </g>
            };
        }
        let (frac, state) = match m.delivered {
            Some(true) => (1.0, "delivered"),
            Some(false) => (1.0, "dropped"),
            None => {
                let span = m.deliver_at.0.saturating_sub(m.send_at.0).max(1) as f64;
                let f = (now.0.saturating_sub(m.send_at.0) as f64 / span).clamp(0.02, 1.0);
                (f, "inflight")
            }
        };
        let y_full = axis.y(m.deliver_at.0.min(if m.delivered.is_none() { now.0 } else { u64::MAX }));
        let (xe, ye) = if m.delivered.is_none() { (x1 + (x2 - x1) * frac, y_full) } else { (x2, axis.y(m.deliver_at.0)) };
        let (mx, my) = ((x1 + xe) / 2.0, (y1 + ye) / 2.0);
        let dir = if x2 > x1 { 1.0 } else { -1.0 };
        let head = if state == "delivered" {
            html! { <path class="head" d={format!("M{xe:.1},{ye:.1}l{:.1},-4l0,8z", -8.0 * dir)} /> }
        } else if state == "dropped" {
            html! { <path class="drop-x" d={format!("M{:.1},{:.1}l10,10m0,-10l-10,10", xe - 5.0, ye - 5.0)} /> }
        } else {
            html! {}
        };
        html! {
            <g key={i} class={classes!("arrow", cls, state)}>
                <title>{ format!("{label}: {} → {}, sent {}, {}", fmt::dc_name(&topo.names, m.src), fmt::dc_name(&topo.names, m.dst), m.send_at,
                    match m.delivered { Some(true) => format!("delivered {}", m.deliver_at), Some(false) => format!("dropped at {}", m.deliver_at), None => "in flight".into() }) }</title>
                <line class="shaft" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{xe:.1}")} y2={format!("{ye:.1}")} />
                { head }
                <text class="arrow-label" x={format!("{mx:.1}")} y={format!("{:.1}", my - 4.0)}>{ label }</text>
            </g>
        }
    });

    let marks = t.part_states.iter().flat_map(|(d, states)| {
        let x = x_of(*d);
        states.iter().map(move |(at, s)| (x, *at, *s))
    });
    let marks = marks.enumerate().map(|(i, (x, at, s))| {
        let Some(x) = x else { return html! {} };
        let y = axis.y(at.0);
        let label = fmt::part_label(Some(s));
        html! {
            <g key={i} class={classes!("mark", label)} transform={format!("translate({:.1},{y:.1})", x)}>
                <rect x="4" y="-8" width={format!("{}", fmt::part_text(Some(s)).len() as f64 * 6.2 + 8.0)} height="15" rx="3" />
                <text x="8" y="3">{ fmt::part_text(Some(s)) }</text>
            </g>
        }
    });
    let coord_marks = t.coord_states.iter().enumerate().filter(|(_, (_, s))| *s != CoordState::Working).map(|(i, (at, s))| {
        let x = x_of(t.coordinator).unwrap_or(LEFT);
        let y = axis.y(at.0);
        let text = match s {
            CoordState::Committed => "logs COMMIT",
            CoordState::Aborted => "logs ABORT",
            CoordState::Ended => "logs END",
            CoordState::Working => "",
        };
        html! {
            <g key={format!("c{i}")} class={classes!("mark", "coord", fmt::coord_label(*s))} transform={format!("translate({x:.1},{y:.1})")}>
                <rect x="4" y="-8" width={format!("{}", text.len() as f64 * 6.2 + 8.0)} height="15" rx="3" />
                <text x="8" y="3">{ text }</text>
            </g>
        }
    });
    let breaks = axis.breaks.iter().enumerate().map(|(i, y)| {
        html! { <g key={i} class="gap"><path d={format!("M0,{:.1}l8,-4l8,8l8,-4", y)} /><text x="28" y={format!("{:.1}", y + 3.0)}>{ "≈" }</text></g> }
    });
    // Time ticks: start, decision, end (or now).
    let mut ticks = vec![(t.started, "start")];
    if let Some(d) = decided_at {
        ticks.push((d, "decided"));
    }
    match ended_at {
        Some(e) => ticks.push((e, "end")),
        None => ticks.push((now, "now")),
    }
    let ticks = ticks.into_iter().map(|(at, what)| {
        let y = axis.y(at.0);
        html! {
            <g key={what} class="tick">
                <line x1={(LEFT - 4.0).to_string()} x2={W.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                <text x={(LEFT - 8.0).to_string()} y={format!("{:.1}", y + 3.0)}>{ format!("+{} ms", at.0.saturating_sub(t.started.0)) }</text>
            </g>
        }
    });
    html! {
        <svg class="seq" data-testid="txn-diagram" data-txn={t.id.0.to_string()} data-coordinator={t.coordinator.0.to_string()} viewBox={format!("0 0 {W} {}", bottom + 12.0)} role="img"
            aria-label={format!("Sequence diagram of transaction {}", fmt::txn(t.id))}>
            <rect class="band vote" x="0" y={format!("{y_start:.1}")} width={W.to_string()} height={format!("{:.1}", (y_dec - y_start).max(2.0))} />
            <text class="band-label" text-anchor="end" transform={format!("translate(11,{:.1}) rotate(-90)", y_start + 4.0)}>{ "phase 1: prepare & vote" }</text>
            { for band2 }
            { for ticks }
            { for heads }
            { for breaks }
            { for arrows }
            { for marks }
            { for coord_marks }
        </svg>
    }
}

#[function_component(TxnPanel)]
pub fn txn_panel(p: &Props) -> Html {
    let names = &p.topo.names;
    let shown = p.shown();
    // The ids in the list's order (newest first) when the pointer came in; `None`: not
    // held, the list follows the snapshot.
    let held = use_state(|| None::<Rc<Vec<TxnId>>>);
    let (rows, arrived): (Vec<&TxnTrace>, usize) = match &*held {
        Some(order) => {
            let by_id: BTreeMap<TxnId, &TxnTrace> = p.txns.iter().map(|t| (t.id, t)).collect();
            let rows: Vec<&TxnTrace> = order
                .iter()
                .filter_map(|id| by_id.get(id).copied())
                .collect();
            let arrived = p.txns.len() - rows.len();
            (rows, arrived)
        }
        None => (p.txns.iter().rev().collect(), 0),
    };
    let on_enter = {
        let held = held.clone();
        let order: Rc<Vec<TxnId>> = Rc::new(rows.iter().map(|t| t.id).collect());
        Callback::from(move |_: MouseEvent| {
            if held.is_none() {
                held.set(Some(order.clone()));
            }
        })
    };
    let on_leave = {
        let held = held.clone();
        Callback::from(move |_: MouseEvent| held.set(None))
    };
    let items = rows.into_iter().map(|t| {
        let id = t.id;
        let sel = p.selected == Some(id);
        let status = t.status();
        let select = p.on_select.clone();
        let out = status_class(status);
        html! {
            <li key={id.0}>
                <button class={classes!("txn-item", sel.then_some("sel"), out)} data-testid={format!("txn-{}", id.0)}
                    data-state={fmt::coord_label(coord_state(t))} data-status={out} data-coordinator={t.coordinator.0.to_string()} aria-pressed={sel.to_string()}
                    onclick={Callback::from(move |_: MouseEvent| select.emit(if sel { None } else { Some(id) }))}>
                    <span class="txn-id">{ fmt::txn(id) }</span>
                    <span class={classes!("swatch", fmt::dc_bg(t.coordinator))} />
                    <span class="txn-coord">{ fmt::dc_name(names, t.coordinator) }</span>
                    <span class="muted">{ format!("{} part.", t.participants.len()) }</span>
                    <span class={classes!("outcome", out, (status == TxnStatus::InDoubt).then_some("badge warn"))}>{ fmt::txn_status(status) }</span>
                </button>
            </li>
        }
    });
    let detail = shown.map(|t| {
        let badges = t.participants.iter().map(|&d| {
            let s = last_part(t, d);
            let locks = t.locks.get(&d).copied().unwrap_or(0);
            html! {
                <li key={d.0} class={classes!("part-badge", fmt::part_label(s))} data-testid={format!("txn-part-{}-{}", t.id.0, d.0)}
                    data-state={fmt::part_label(s)}>
                    <span class={classes!("swatch", fmt::dc_bg(d))} />
                    <strong>{ fmt::dc_name(names, d) }</strong>{ " " }{ fmt::part_text(s) }
                    if let Some(sh) = t.shards.get(&d) { <span class="muted">{ format!(" for {}", sh.join(", ")) }</span> }
                    if locks > 0 { <span class="locks" title="row locks held">{ format!(" · holds {locks} lock{}", if locks == 1 { "" } else { "s" }) }</span> }
                </li>
            }
        });
        let in_doubt = t.participants.iter().any(|&d| last_part(t, d) == Some(PartState::InDoubt));
        html! {
            <div class="txn-detail">
                <h3>
                    { format!("{} — coordinator {}, started {}", fmt::txn(t.id), fmt::dc_name(names, t.coordinator), t.started) }
                    if p.selected.is_none() { <span class="muted">{ " (latest; click one to pin it and highlight its messages on the map)" }</span> }
                </h3>
                <ul class="part-badges plain">{ for badges }</ul>
                if in_doubt {
                    <p class="note warn-note">{ "In doubt: the participant voted YES, so it may not decide alone. It keeps its locks until it learns the decision from the coordinator — kill the coordinator between the phases to see it block." }</p>
                }
                { diagram(t, &p.topo, p.now) }
            </div>
        }
    });
    html! {
        <div class="txn-panel">
            <div class="txn-list-wrap">
                <h2>
                    { "Transactions" }
                    if arrived > 0 {
                        <span class="muted txn-new" data-testid="txn-list-new" data-count={arrived.to_string()}
                            title="The list holds still while the pointer is over it; move the pointer away to show the new ones">
                            { format!(" +{arrived} new") }
                        </span>
                    }
                </h2>
                <p class="caption">{ "Multi-row writes across partitions owned by several DCs run two-phase commit." }</p>
                if p.txns.is_empty() {
                    <p class="muted">{ "No transaction yet — the workload issues some, or use Operate → Transaction." }</p>
                }
                <ul class="txn-list plain" data-testid="txn-list" data-held={held.is_some().to_string()}
                    onmouseenter={on_enter} onmouseleave={on_leave}>{ for items }</ul>
            </div>
            { for detail }
        </div>
    }
}
