//! Two-phase commit: the transaction list and a sequence (Lamport) diagram of one
//! transaction — lifelines for the coordinator and participants, an arrow per message
//! over simulated time, phase bands, state marks, and participant badges with locks.
//!
//! Invariants: everything drawn is the `TxnTrace` of the snapshot, its states as the core
//! gives them (`TxnTrace::status` — one state per transaction, never "committed" and "in
//! doubt" together —, `part_state`, `coord_state`); long idle gaps are
//! compressed on the time axis (and marked ≈) so a transaction blocked in doubt for a
//! minute still shows its first milliseconds legibly; the axis stays monotonic. Layout:
//! distinct instants are at least `STEP` apart, each phase at least as high as its band
//! label, lanes never closer than their widest head; every label (heads, ticks, ≈, state
//! marks, message labels) takes a spot no earlier label covers (`Placer`), so no two
//! overlap. A message a DC sends to itself (coordinator that is also a participant) is a
//! loop on its lifeline, several at one instant one below the other. The panel has a
//! fixed height (CSS): the list and the diagram scroll inside it.
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
use crate::ui::pairs::Pairs;
use crate::ui::state::Topo;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

#[derive(Properties)]
pub struct Props {
    pub txns: Rc<Vec<Arc<TxnTrace>>>,
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
            .map(|t| &**t)
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

/// Left margin: band labels (rotated, x ≈ 11) and the time column (ticks, ≈ marks).
const LEFT: f64 = 80.0;
/// First lifeline's distance from the time column, and the room kept right of the last.
const LANE0: f64 = 50.0;
const RIGHT: f64 = 130.0;
/// Narrowest diagram (viewBox units); more lanes widen it rather than squeeze them.
const W_MIN: f64 = 760.0;
/// Below the lane heads: the first instant's row.
const TOP: f64 = 80.0;
/// Least vertical distance between two distinct instants, and per millisecond beyond.
const STEP: f64 = 20.0;
const PX_PER_MS: f64 = 0.25;
/// A message to itself is a loop this wide and high.
const LOOP_W: f64 = 22.0;
const LOOP_H: f64 = 16.0;
/// Gaps longer than this (ms) are compressed on the time axis (marked ≈).
const GAP_MS: f64 = 400.0;
const PHASE1: &str = "phase 1: prepare & vote";
const PHASE2: &str = "phase 2: decision";
/// Font sizes (px = viewBox units) of styles/main.css, for the label boxes below.
const FS_ARROW: f64 = 10.5;
const FS_MARK: f64 = 10.0;
const FS_TICK: f64 = 10.0;
const FS_BAND: f64 = 10.5;
const FS_NAME: f64 = 12.0;
const FS_ROLE: f64 = 10.0;

/// A box in viewBox units: (x0, y0, x1, y1).
type Rect = (f64, f64, f64, f64);

/// A generous width for `text` at font size `fs` (bold or not): wide enough for the
/// widest sans or mono face the page may fall back to, so boxes that do not overlap here
/// do not overlap on screen.
fn text_w(text: &str, fs: f64, bold: bool) -> f64 {
    text.chars().count() as f64 * fs * if bold { 0.74 } else { 0.66 } + 2.0
}

/// The box of a one-line text whose baseline is at `y`, spanning `x0..x0 + w`.
fn text_box(x0: f64, y: f64, w: f64, fs: f64) -> Rect {
    (x0, y - fs * 1.0, x0 + w, y + fs * 0.35)
}

/// Which candidate spot a label took, and how far below it when none was free.
struct Spot {
    index: usize,
    dy: f64,
}

/// Every label's box, so each new one takes the first candidate spot that overlaps none.
/// Boxes are also filed by horizontal strips of `STRIP` units, so a check looks only at
/// its neighbours (a trace holds up to a few hundred messages).
#[derive(Default)]
struct Placer {
    taken: Vec<Rect>,
    strips: Pairs<i64, Vec<usize>>,
}

const STRIP: f64 = 32.0;

impl Placer {
    fn strips_of(r: Rect) -> std::ops::RangeInclusive<i64> {
        (r.1 / STRIP).floor() as i64..=(r.3 / STRIP).floor() as i64
    }

    fn free(&self, r: Rect) -> bool {
        Self::strips_of(r).all(|k| {
            self.strips.get(&k).is_none_or(|v| {
                v.iter().all(|&i| {
                    let t = self.taken[i];
                    r.2 <= t.0 || t.2 <= r.0 || r.3 <= t.1 || t.3 <= r.1
                })
            })
        })
    }

    fn fix(&mut self, r: Rect) {
        let i = self.taken.len();
        self.taken.push(r);
        for k in Self::strips_of(r) {
            self.strips.slot(k, Vec::new).push(i);
        }
    }

    /// The first free candidate; if none is free, the last candidate moved down until it
    /// is (always ends: finitely many boxes above it), so no two labels ever overlap.
    fn place(&mut self, cands: &[Rect]) -> Spot {
        for (i, c) in cands.iter().enumerate() {
            if self.free(*c) {
                self.fix(*c);
                return Spot { index: i, dy: 0.0 };
            }
        }
        let last = cands.len() - 1;
        let mut r = cands[last];
        let mut dy = 0.0;
        while !self.free(r) {
            r.1 += 3.0;
            r.3 += 3.0;
            dy += 3.0;
        }
        self.fix(r);
        Spot { index: last, dy }
    }

    fn bottom(&self) -> f64 {
        self.taken.iter().map(|r| r.3).fold(0.0, f64::max)
    }

    fn right(&self) -> f64 {
        self.taken.iter().map(|r| r.2).fold(0.0, f64::max)
    }
}

/// The time axis: each distinct instant gets a row at least `STEP` below the previous one
/// (more when self-message loops hang below it), plus `PX_PER_MS` per millisecond of the
/// gap (long gaps compressed); then each phase is stretched to hold its band label.
struct Axis {
    /// (instant ms, y), increasing in both.
    pts: Vec<(u64, f64)>,
    /// y of compressed gaps.
    breaks: Vec<f64>,
}

impl Axis {
    fn new(times: &Pairs<u64, usize>, phases: &[(u64, Option<u64>, f64)]) -> Axis {
        let mut pts: Vec<(u64, f64)> = Vec::with_capacity(times.len());
        let mut breaks = Vec::new();
        let mut prev: Option<(u64, f64, usize)> = None;
        for (&t, &loops) in times.iter() {
            let y = match prev {
                None => TOP,
                Some((t0, y0, loops0)) => {
                    let gap = (t - t0) as f64;
                    let ms = if gap > GAP_MS {
                        GAP_MS + (gap - GAP_MS).ln()
                    } else {
                        gap
                    };
                    let y = y0 + STEP + loops0 as f64 * LOOP_H + ms * PX_PER_MS;
                    if gap > GAP_MS {
                        breaks.push((y0 + y) / 2.0);
                    }
                    y
                }
            };
            pts.push((t, y));
            prev = Some((t, y, loops));
        }
        let mut axis = Axis { pts, breaks };
        // A phase [from, to) (to None: the last instant) at least `min` high: stretch it
        // evenly and move everything after it down.
        for &(from, to, min) in phases {
            let y0 = axis.y(from);
            let end = to.unwrap_or_else(|| axis.pts.last().map_or(from, |p| p.0));
            let y1 = axis.y(end);
            let deficit = min - (y1 - y0);
            if deficit <= 0.0 {
                continue;
            }
            let span = (y1 - y0).max(1.0);
            let stretch = |y: f64| {
                if y <= y0 {
                    y
                } else if y <= y1 && y1 > y0 {
                    y0 + (y - y0) * (span + deficit) / span
                } else {
                    y + deficit
                }
            };
            for p in &mut axis.pts {
                p.1 = stretch(p.1);
            }
            for b in &mut axis.breaks {
                *b = stretch(*b);
            }
            if to.is_none() || y1 <= y0 {
                // The phase runs to the bottom: the extra room is after its last instant.
                axis.pts.push((u64::MAX, y1 + deficit));
            }
        }
        axis
    }

    fn y(&self, t: u64) -> f64 {
        let Some(first) = self.pts.first() else {
            return TOP;
        };
        if t <= first.0 {
            return first.1;
        }
        for w in self.pts.windows(2) {
            let ((t0, y0), (t1, y1)) = (w[0], w[1]);
            if t <= t1 {
                return if t1 > t0 && t1 != u64::MAX {
                    y0 + (y1 - y0) * (t - t0) as f64 / (t1 - t0) as f64
                } else {
                    y0
                };
            }
        }
        self.pts[self.pts.len() - 1].1
    }

    /// The lowest row (the extra room of a stretched last phase included).
    fn bottom(&self) -> f64 {
        self.pts.last().map_or(TOP, |p| p.1)
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
    let head = |d: DcId| {
        let role = if d == t.coordinator {
            if t.participants.contains(&d) {
                "coordinator, participant"
            } else {
                "coordinator"
            }
        } else {
            "participant"
        };
        let shards = t.shards.get(&d).map(|s| s.join(", "));
        (fmt::dc_name(&topo.names, d), role, shards)
    };
    // Lanes far enough apart that no two heads touch, and never squeezed below W_MIN.
    let widest = lanes
        .iter()
        .map(|&d| {
            let (name, role, shards) = head(d);
            text_w(&name, FS_NAME, true)
                .max(text_w(role, FS_ROLE, false))
                .max(shards.map_or(0.0, |s| text_w(&s, FS_ROLE, false)))
        })
        .fold(0.0, f64::max);
    let n = lanes.len().max(2) - 1;
    let gap = ((W_MIN - LEFT - LANE0 - RIGHT) / n as f64).max(widest + 12.0);
    let w = LEFT + LANE0 + gap * n as f64 + RIGHT;
    let x_of = |d: DcId| {
        lanes
            .iter()
            .position(|x| *x == d)
            .map(|i| LEFT + LANE0 + i as f64 * gap)
    };
    let finished = matches!(coord_state(t), CoordState::Ended);
    let arrive = |m: &TxnMsg| {
        if m.delivered.is_some() {
            m.deliver_at.0
        } else {
            now.0.min(m.deliver_at.0).max(m.send_at.0)
        }
    };
    // Instants (ms → self-message loops hanging below that row, the most on one lane).
    let mut times: Pairs<u64, usize> = Pairs::default();
    times.insert(t.started.0, 0);
    let mut loops_at: Pairs<(u64, DcId), usize> = Pairs::default();
    for m in &t.msgs {
        times.slot(m.send_at.0, || 0);
        times.slot(arrive(m), || 0);
        if m.src == m.dst {
            let k = loops_at.slot((m.send_at.0, m.src), || 0);
            *k += 1;
            let most = times.slot(m.send_at.0, || 0);
            *most = (*most).max(*k);
        }
    }
    for x in &t.coord_states {
        times.slot(x.0 .0, || 0);
    }
    for x in t.part_states.values().flatten() {
        times.slot(x.0 .0, || 0);
    }
    if !finished {
        times.slot(now.0.max(t.started.0), || 0);
    }
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
    // Each phase at least as high as its band label (and a little more).
    let band_len = |s: &str| text_w(s, FS_BAND, false) + 14.0;
    let mut phases = vec![(t.started.0, decided_at.map(|d| d.0), band_len(PHASE1))];
    if let Some(d) = decided_at {
        phases.push((d.0, ended_at.map(|e| e.0), band_len(PHASE2)));
    }
    let axis = Axis::new(&times, &phases);
    let mut bottom = axis.bottom() + LOOP_H;

    let mut placer = Placer::default();
    // Lane heads.
    let heads: Vec<Html> = lanes
        .iter()
        .map(|&d| {
            let x = x_of(d).unwrap_or(0.0);
            let (name, role, shards) = head(d);
            let wn = text_w(&name, FS_NAME, true);
            placer.fix(text_box(x - wn / 2.0, 38.0, wn, FS_NAME));
            let wr = text_w(role, FS_ROLE, false);
            placer.fix(text_box(x - wr / 2.0, 51.0, wr, FS_ROLE));
            if let Some(s) = &shards {
                let ws = text_w(s, FS_ROLE, false);
                placer.fix(text_box(x - ws / 2.0, 63.0, ws, FS_ROLE));
            }
            (d, x, name, role, shards)
        })
        .map(|(d, x, name, role, shards)| {
            html! {
                <g key={d.0}>
                    <circle class={fmt::dc_fill(d)} cx={format!("{x:.1}")} cy="16" r="7" />
                    <text class="lane-name" x={format!("{x:.1}")} y="38">{ name }</text>
                    <text class="lane-role" x={format!("{x:.1}")} y="51">{ role }</text>
                    if let Some(s) = shards {
                        <text class="lane-role" x={format!("{x:.1}")} y="63">{ s }</text>
                    }
                </g>
            }
        })
        .collect();

    // Phase bands and their (rotated) labels, which run down from the band's top.
    let y_start = axis.y(t.started.0);
    let y_dec = decided_at.map(|d| axis.y(d.0));
    let y_end = ended_at.map(|e| axis.y(e.0));
    let band1_end = y_dec.unwrap_or(axis.bottom());
    let band_box = |y: f64, s: &str| {
        (
            11.0 - FS_BAND,
            y + 4.0,
            11.0 + FS_BAND * 0.4,
            y + 4.0 + text_w(s, FS_BAND, false),
        )
    };
    placer.fix(band_box(y_start, PHASE1));
    let band2 = y_dec.map(|yd| {
        let ye = y_end.unwrap_or(axis.bottom());
        placer.fix(band_box(yd, PHASE2));
        let cls = if t.decision() == Some(true) { "band commit" } else { "band abort" };
        html! {
            <g>
                <rect class={cls} x="0" y={format!("{yd:.1}")} width={w.to_string()} height={format!("{:.1}", (ye - yd).max(2.0))} />
                <text class="band-label" text-anchor="end" transform={format!("translate(11,{:.1}) rotate(-90)", yd + 4.0)}>{ PHASE2 }</text>
            </g>
        }
    });

    // The time column: ticks (start, decision, end or now), then the ≈ of compressed gaps.
    let mut ticks = vec![(t.started, "start")];
    if let Some(d) = decided_at {
        ticks.push((d, "decided"));
    }
    match ended_at {
        Some(e) => ticks.push((e, "end")),
        None => ticks.push((now.max(t.started), "now")),
    }
    // One tick per instant (paused at the decision, "now" is the decision).
    ticks.dedup_by_key(|x| x.0);
    let ticks: Vec<Html> = ticks
        .into_iter()
        .map(|(at, what)| {
            let y = axis.y(at.0);
            let label = format!("+{} ms", at.0.saturating_sub(t.started.0));
            let tw = text_w(&label, FS_TICK, false);
            let x1 = LEFT - 8.0;
            let spot = placer.place(&[text_box(x1 - tw, y + 3.0, tw, FS_TICK)]);
            html! {
                <g key={what} class="tick">
                    <line x1={(LEFT - 4.0).to_string()} x2={w.to_string()} y1={format!("{y:.1}")} y2={format!("{y:.1}")} />
                    <text x={x1.to_string()} y={format!("{:.1}", y + 3.0 + spot.dy)}>{ label }</text>
                </g>
            }
        })
        .collect();
    let breaks: Vec<Html> = axis
        .breaks
        .iter()
        .enumerate()
        .map(|(i, &y)| {
            let tw = text_w("≈", FS_TICK, false);
            let spot = placer.place(&[text_box(LEFT - 8.0 - tw, y + 3.0, tw, FS_TICK)]);
            html! {
                <g key={i} class="gap">
                    <path d={format!("M{:.1},{:.1}l4,-3l4,6l4,-3", LEFT - 6.0, y)} />
                    <text x={(LEFT - 8.0).to_string()} y={format!("{:.1}", y + 3.0 + spot.dy)} text-anchor="end">{ "≈" }</text>
                </g>
            }
        })
        .collect();

    // State marks: right of the lifeline at the instant, else left, else lower.
    let mut mark = |x: f64, y: f64, text: &str| {
        let mw = text_w(text, FS_MARK, false) + 6.0;
        let right = (x + 4.0, y - 8.0, x + 4.0 + mw, y + 7.0);
        let left = (x - 4.0 - mw, y - 8.0, x - 4.0, y + 7.0);
        let spot = placer.place(&[right, left]);
        let x0 = if spot.index == 0 {
            x + 4.0
        } else {
            x - 4.0 - mw
        };
        (x0, y + spot.dy, mw)
    };
    let mut marks: Vec<Html> = Vec::new();
    for (i, (at, s)) in t
        .coord_states
        .iter()
        .filter(|(_, s)| *s != CoordState::Working)
        .enumerate()
    {
        let x = x_of(t.coordinator).unwrap_or(LEFT);
        let text = match s {
            CoordState::Committed => "logs COMMIT",
            CoordState::Aborted => "logs ABORT",
            CoordState::Ended => "logs END",
            CoordState::Working => "",
        };
        let (x0, y, mw) = mark(x, axis.y(at.0), text);
        marks.push(html! {
            <g key={format!("c{i}")} class={classes!("mark", "coord", fmt::coord_label(*s))} transform={format!("translate({x0:.1},{y:.1})")}>
                <rect x="0" y="-8" width={format!("{mw:.1}")} height="15" rx="3" />
                <text x="4" y="3">{ text }</text>
            </g>
        });
    }
    for (d, states) in &t.part_states {
        let Some(x) = x_of(*d) else { continue };
        for (j, (at, s)) in states.iter().enumerate() {
            let text = fmt::part_text(Some(*s));
            let (x0, y, mw) = mark(x, axis.y(at.0), text);
            marks.push(html! {
                <g key={format!("p{}-{j}", d.0)} class={classes!("mark", fmt::part_label(Some(*s)))} transform={format!("translate({x0:.1},{y:.1})")}>
                    <rect x="0" y="-8" width={format!("{mw:.1}")} height="15" rx="3" />
                    <text x="4" y="3">{ text }</text>
                </g>
            });
        }
    }

    // Messages: an arrow between lifelines, or a loop on one; each label at the first
    // free spot along its arrow (above the shaft, then below).
    let mut loop_no: Pairs<(u64, DcId), usize> = Pairs::default();
    let arrows: Vec<Html> = t.msgs.iter().enumerate().map(|(i, m)| {
        let (Some(x1), Some(x2)) = (x_of(m.src), x_of(m.dst)) else { return html! {} };
        let y1 = axis.y(m.send_at.0);
        let cls = fmt::msg_class(m.kind);
        let label = msg_label(m);
        let lw = text_w(&label, FS_ARROW, true);
        let state = match m.delivered {
            Some(true) => "delivered",
            Some(false) => "dropped",
            None => "inflight",
        };
        let title = format!("{label}: {} → {}, sent {}, {}", fmt::dc_name(&topo.names, m.src), fmt::dc_name(&topo.names, m.dst), m.send_at,
            match m.delivered { Some(true) => format!("delivered {}", m.deliver_at), Some(false) => format!("dropped at {}", m.deliver_at), None => "in flight".into() });
        if m.src == m.dst {
            // A message to itself: a loop out of the lifeline and back, one below the
            // other when several leave at the same instant.
            let k = loop_no.slot((m.send_at.0, m.src), || 0);
            let top = y1 + *k as f64 * LOOP_H;
            *k += 1;
            let h = LOOP_H - 4.0;
            let ly = top + h / 2.0 + 3.5;
            let spot = placer.place(&[
                text_box(x1 + LOOP_W + 4.0, ly, lw, FS_ARROW),
                text_box(x1 - LOOP_W - 4.0 - lw, ly, lw, FS_ARROW),
            ]);
            let (lx, anchor) = if spot.index == 0 { (x1 + LOOP_W + 4.0, "start") } else { (x1 - LOOP_W - 4.0, "end") };
            let dir = if spot.index == 0 { 1.0 } else { -1.0 };
            let head = if state == "delivered" {
                html! { <path class="head" d={format!("M{x1:.1},{:.1}l{:.1},-3.5l0,7z", top + h, 7.0 * dir)} /> }
            } else {
                html! {}
            };
            return html! {
                <g key={i} class={classes!("arrow", "loop", cls, state)} data-testid={format!("txn-loop-{i}")}>
                    <title>{ title }</title>
                    <path class="shaft" d={format!("M{x1:.1},{top:.1}h{:.1}v{h:.1}h{:.1}", LOOP_W * dir, -LOOP_W * dir)} />
                    { head }
                    <text class={classes!("arrow-label", anchor)} x={format!("{lx:.1}")} y={format!("{:.1}", ly + spot.dy)}>{ label }</text>
                </g>
            };
        }
        let frac = match m.delivered {
            Some(_) => 1.0,
            None => {
                let span = m.deliver_at.0.saturating_sub(m.send_at.0).max(1) as f64;
                (now.0.saturating_sub(m.send_at.0) as f64 / span).clamp(0.02, 1.0)
            }
        };
        let ye = axis.y(arrive(m));
        let xe = x1 + (x2 - x1) * frac;
        let dir = if x2 > x1 { 1.0 } else { -1.0 };
        let head = if state == "delivered" {
            html! { <path class="head" d={format!("M{xe:.1},{ye:.1}l{:.1},-4l0,8z", -8.0 * dir)} /> }
        } else if state == "dropped" {
            html! { <path class="drop-x" d={format!("M{:.1},{:.1}l10,10m0,-10l-10,10", xe - 5.0, ye - 5.0)} /> }
        } else {
            html! {}
        };
        let at = |f: f64, below: bool| {
            let (cx, cy) = (x1 + (xe - x1) * f, y1 + (ye - y1) * f);
            let base = if below { cy + FS_ARROW + 2.0 } else { cy - 4.0 };
            text_box(cx - lw / 2.0, base, lw, FS_ARROW)
        };
        let mut cands = Vec::new();
        for below in [false, true] {
            for f in [0.5, 0.35, 0.65, 0.2, 0.8] {
                cands.push(at(f, below));
            }
        }
        let spot = placer.place(&cands);
        let c = cands[spot.index];
        html! {
            <g key={i} class={classes!("arrow", cls, state)}>
                <title>{ title }</title>
                <line class="shaft" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{xe:.1}")} y2={format!("{ye:.1}")} />
                { head }
                <text class="arrow-label" x={format!("{:.1}", (c.0 + c.2) / 2.0)} y={format!("{:.1}", c.3 - FS_ARROW * 0.35 + spot.dy)}>{ label }</text>
            </g>
        }
    }).collect();

    bottom = bottom.max(placer.bottom() + 6.0);
    let w = w.max(placer.right() + 6.0);
    let lifelines = lanes.iter().map(|&d| {
        let x = x_of(d).unwrap_or(0.0);
        html! { <line key={d.0} class="lifeline" x1={format!("{x:.1}")} y1={(TOP - 10.0).to_string()} x2={format!("{x:.1}")} y2={format!("{bottom:.1}")} /> }
    });
    html! {
        <svg class="seq" data-testid="txn-diagram" data-txn={t.id.0.to_string()} data-coordinator={t.coordinator.0.to_string()}
            viewBox={format!("0 0 {w:.0} {:.0}", bottom + 8.0)} role="img"
            aria-label={format!("Sequence diagram of transaction {}", fmt::txn(t.id))}>
            <rect class="band vote" x="0" y={format!("{y_start:.1}")} width={w.to_string()} height={format!("{:.1}", (band1_end - y_start).max(2.0))} />
            <text class="band-label" text-anchor="end" transform={format!("translate(11,{:.1}) rotate(-90)", y_start + 4.0)}>{ PHASE1 }</text>
            { for band2 }
            { for ticks }
            { for lifelines }
            { for heads }
            { for breaks }
            { for arrows }
            { for marks }
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
            let mut by_id: Pairs<TxnId, &TxnTrace> = Pairs::default();
            for t in p.txns.iter() {
                by_id.insert(t.id, &**t);
            }
            let rows: Vec<&TxnTrace> = order
                .iter()
                .filter_map(|id| by_id.get(id).copied())
                .collect();
            let arrived = p.txns.len() - rows.len();
            (rows, arrived)
        }
        None => (p.txns.iter().rev().map(|t| &**t).collect(), 0),
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
        let out = fmt::txn_status_key(status);
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
            // It scrolls (on a phone sideways too): focusable, so the keyboard scrolls it.
            <div class="txn-detail" tabindex="0" role="region" aria-label={format!("Transaction {}", fmt::txn(t.id))}>
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
        <div class="txn-panel" data-testid="txn-panel">
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
