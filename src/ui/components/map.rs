//! The world map: an equirectangular backdrop, links (one lane per direction), messages in
//! flight as dots on their lane, and the DCs.
//!
//! Invariants: map coordinates are the DC positions (x 0..1000, y 0..500) unchanged; a
//! message's position is (now − send_at)/(deliver_at − send_at) along its lane, so what
//! moves on screen is exactly the in-flight set of the tick (`Flight`). The backdrop renders
//! once; links re-render only when the topology changes; messages every drawing frame, DCs with each
//! snapshot, on their own overlay layer.
//!
//! Lanes only draw (neighbouring lanes lie on top of each other, so a click on a lane
//! could reach another direction). Each direction's one click target is its handle, on a
//! third, topmost layer: placed by `place_handles` so no two handles overlap and none
//! covers a DC circle, and independent of cut state (cutting never moves a handle).

use crate::sim::sort;
use crate::sim::MsgKind;
use crate::sim::Snapshot;
use crate::sim::{DcId, TxnId};
use crate::ui::fmt;
use crate::ui::state::{Flight, Topo};
use js_sys::Math;
use std::fmt::Write as _;
use std::rc::Rc;
use yew::prelude::*;

/// Distance between the two lanes of a link, in map units.
const LANE: f64 = 2.6;
const DC_R: f64 = 13.0;

/// The lane of the directed link `s → d`: its endpoints, offset to the right of travel.
pub fn lane(topo: &Topo, s: DcId, d: DcId) -> Option<((f64, f64), (f64, f64))> {
    let (x1, y1) = topo.pos(s)?;
    let (x2, y2) = topo.pos(d)?;
    let (dx, dy) = (x2 - x1, y2 - y1);
    let len = (dx * dx + dy * dy).sqrt().max(1e-6);
    let (ox, oy) = (dy / len * LANE, -dx / len * LANE);
    Some(((x1 + ox, y1 + oy), (x2 + ox, y2 + oy)))
}

// ------------------------------------------------------------------ backdrop

/// Rough coastlines (longitude, latitude in degrees): enough to recognise the world.
const LAND: &[&[(i16, i16)]] = &[
    // North America
    &[
        (-168, 66),
        (-162, 70),
        (-140, 70),
        (-125, 70),
        (-95, 72),
        (-80, 73),
        (-62, 66),
        (-55, 52),
        (-66, 45),
        (-70, 42),
        (-76, 35),
        (-81, 31),
        (-80, 25),
        (-83, 29),
        (-90, 29),
        (-97, 26),
        (-97, 21),
        (-92, 18),
        (-87, 21),
        (-84, 15),
        (-83, 10),
        (-79, 8),
        (-85, 11),
        (-92, 15),
        (-105, 20),
        (-110, 24),
        (-115, 30),
        (-118, 34),
        (-124, 40),
        (-124, 48),
        (-132, 55),
        (-142, 60),
        (-152, 58),
        (-165, 60),
    ],
    // Greenland
    &[
        (-73, 78),
        (-60, 82),
        (-30, 83),
        (-20, 75),
        (-22, 70),
        (-42, 60),
        (-50, 64),
        (-56, 70),
    ],
    // South America
    &[
        (-79, 8),
        (-72, 12),
        (-62, 11),
        (-51, 4),
        (-44, -2),
        (-35, -6),
        (-39, -15),
        (-41, -22),
        (-48, -26),
        (-53, -34),
        (-58, -38),
        (-65, -41),
        (-66, -47),
        (-69, -52),
        (-74, -52),
        (-73, -40),
        (-71, -30),
        (-70, -18),
        (-76, -14),
        (-81, -5),
        (-80, 1),
        (-77, 7),
    ],
    // Eurasia
    &[
        (-9, 43),
        (-2, 44),
        (-1, 47),
        (-5, 48),
        (2, 51),
        (5, 53),
        (8, 54),
        (10, 57),
        (6, 58),
        (5, 62),
        (12, 66),
        (18, 70),
        (28, 71),
        (40, 68),
        (44, 66),
        (60, 69),
        (70, 73),
        (80, 73),
        (100, 77),
        (113, 74),
        (130, 71),
        (140, 72),
        (160, 70),
        (180, 69),
        (180, 65),
        (178, 62),
        (163, 60),
        (156, 51),
        (143, 59),
        (137, 54),
        (141, 48),
        (135, 43),
        (130, 42),
        (127, 38),
        (126, 35),
        (122, 40),
        (121, 37),
        (122, 31),
        (120, 26),
        (114, 22),
        (108, 21),
        (106, 17),
        (109, 12),
        (105, 9),
        (100, 13),
        (100, 7),
        (103, 2),
        (101, 3),
        (98, 8),
        (98, 16),
        (94, 16),
        (92, 22),
        (88, 22),
        (80, 15),
        (77, 8),
        (73, 17),
        (72, 21),
        (67, 25),
        (57, 25),
        (56, 27),
        (50, 30),
        (48, 30),
        (51, 25),
        (56, 24),
        (59, 22),
        (55, 17),
        (43, 12),
        (39, 21),
        (35, 28),
        (34, 31),
        (36, 36),
        (30, 36),
        (27, 37),
        (26, 40),
        (23, 38),
        (21, 40),
        (19, 42),
        (13, 45),
        (16, 38),
        (12, 44),
        (8, 44),
        (3, 43),
        (0, 39),
        (-2, 37),
        (-6, 36),
        (-9, 38),
    ],
    // Africa
    &[
        (-17, 21),
        (-16, 12),
        (-13, 8),
        (-8, 4),
        (-2, 5),
        (5, 6),
        (9, 4),
        (10, 0),
        (12, -5),
        (13, -12),
        (12, -18),
        (15, -27),
        (18, -34),
        (22, -34),
        (27, -33),
        (33, -26),
        (35, -20),
        (40, -15),
        (40, -6),
        (42, -1),
        (51, 11),
        (43, 12),
        (38, 18),
        (33, 28),
        (32, 31),
        (25, 32),
        (20, 31),
        (11, 33),
        (10, 37),
        (3, 37),
        (-6, 36),
        (-10, 30),
    ],
    // Australia
    &[
        (114, -22),
        (114, -34),
        (118, -35),
        (124, -34),
        (132, -32),
        (138, -35),
        (141, -38),
        (147, -38),
        (150, -37),
        (153, -30),
        (153, -25),
        (146, -19),
        (142, -11),
        (141, -16),
        (136, -12),
        (130, -12),
        (126, -14),
        (122, -18),
    ],
    // Sumatra, Borneo, Java
    &[(95, 5), (98, 4), (104, -2), (106, -6), (102, -4)],
    &[(109, 2), (117, 7), (119, 1), (116, -4), (110, -3)],
    &[(106, -6), (114, -7), (114, -9), (106, -7)],
    // Japan
    &[
        (130, 31),
        (134, 34),
        (140, 36),
        (142, 40),
        (141, 45),
        (144, 44),
        (141, 41),
        (140, 35),
        (135, 33),
    ],
    // Great Britain, Ireland
    &[
        (-5, 50),
        (1, 51),
        (0, 53),
        (-2, 56),
        (-5, 58),
        (-6, 56),
        (-3, 54),
    ],
    &[(-10, 52), (-6, 52), (-6, 55), (-10, 54)],
    // Madagascar, New Zealand
    &[(44, -25), (47, -25), (50, -15), (49, -12), (44, -17)],
    &[
        (172, -34),
        (178, -38),
        (174, -41),
        (171, -44),
        (167, -46),
        (172, -41),
    ],
    // Antarctica
    &[
        (-180, -72),
        (-120, -73),
        (-60, -64),
        (0, -70),
        (60, -67),
        (120, -66),
        (180, -72),
        (180, -90),
        (-180, -90),
    ],
];

fn project(lon: i16, lat: i16) -> (f64, f64) {
    (
        (lon as f64 + 180.0) / 360.0 * 1000.0,
        (90.0 - lat as f64) / 180.0 * 500.0,
    )
}

fn land_path() -> String {
    let mut d = String::new();
    for poly in LAND {
        for (i, &(lon, lat)) in poly.iter().enumerate() {
            let (x, y) = project(lon, lat);
            let _ = write!(d, "{}{:.1},{:.1}", if i == 0 { "M" } else { "L" }, x, y);
        }
        d.push('Z');
    }
    d
}

/// Static: no props, so it renders once.
#[function_component(Backdrop)]
fn backdrop() -> Html {
    let land = use_memo((), |_| land_path());
    let mut grid = String::new();
    for i in 1..12 {
        let x = i as f64 * 1000.0 / 12.0;
        let _ = write!(grid, "M{x:.1},0V500");
    }
    for j in 1..6 {
        if j != 3 {
            let y = j as f64 * 500.0 / 6.0;
            let _ = write!(grid, "M0,{y:.1}H1000");
        }
    }
    html! {
        <g class="backdrop" aria-hidden="true">
            <rect class="ocean" x="0" y="0" width="1000" height="500" />
            <path class="graticule" d={grid} />
            <path class="equator" d="M0,250H1000" />
            <path class="land" d={(*land).clone()} />
        </g>
    }
}

// ------------------------------------------------------------------ links

/// Radius of a direction's handle (its one click target), in map units.
const HANDLE_R: f64 = 7.0;
/// Clearance kept between a handle and a DC circle or another handle.
const CLEAR: f64 = 1.5;
/// Above this many DCs only the selected DC's directions get handles (all would crowd the map).
const ALL_HANDLES_UP_TO: usize = 8;

/// The click target of one link direction: a disc with an arrowhead pointing from `from`
/// towards `to`, near `from`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Handle {
    pub from: DcId,
    pub to: DcId,
    pub x: f64,
    pub y: f64,
    /// Direction of travel, degrees (SVG rotation: clockwise from +x).
    pub angle: f64,
}

/// The label boxes of the DCs, as `WorldMap` places them (same order as `dcs`).
fn label_rects(dcs: &[(f64, f64, usize)]) -> Vec<Rect> {
    label_sides(dcs, 1.0)
        .into_iter()
        .zip(dcs)
        .map(|(side, &(x, y, chars))| label_rect(x, y, chars as f64 * 7.0 + 6.0, side, 1.0))
        .collect()
}

/// Places one handle per direction in `dirs` so that no two handles overlap and none
/// overlaps a DC circle (when there is room anywhere nearby; else the least overlap).
///
/// Each handle prefers its own lane in the source's half of the link, as near the source
/// as is free, so the two directions of a link sit at opposite ends and on opposite sides;
/// failing that, beside its lane; failing that, on rings around the source, turned away
/// from the destination step by step (links between neighbouring DCs, whose lanes lie
/// under the DC circles). DC labels are avoided when a free spot exists.
/// Deterministic: short links first (they have the fewest spots), then by id.
pub fn place_handles(
    pos: &[(DcId, f64, f64)],
    labels: &[Rect],
    dirs: &[(DcId, DcId)],
) -> Vec<Handle> {
    let at = |d: DcId| pos.iter().find(|p| p.0 == d).map(|p| (p.1, p.2));
    // (length, from, to, from's position, to's position)
    type Dir = (f64, DcId, DcId, (f64, f64), (f64, f64));
    let mut order: Vec<Dir> = dirs
        .iter()
        .filter_map(|&(s, d)| {
            let (a, b) = (at(s)?, at(d)?);
            let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
            (len > 1e-6).then_some((len, s, d, a, b))
        })
        .collect();
    sort::sort_by(&mut order, |x, y| {
        x.0.total_cmp(&y.0).then((x.1, x.2).cmp(&(y.1, y.2)))
    });
    let mut placed: Vec<Handle> = Vec::with_capacity(order.len());
    for (len, s, d, (sx, sy), (dx, dy)) in order {
        let (ux, uy) = ((dx - sx) / len, (dy - sy) / len);
        // The side `lane` offsets this direction to.
        let (ox, oy) = (uy, -ux);
        let mut cands: Vec<(f64, f64)> = Vec::new();
        let t0 = DC_R + HANDLE_R + CLEAR;
        let t_max = len / 2.0 - HANDLE_R - CLEAR;
        for side in [LANE, LANE + 2.0 * HANDLE_R + CLEAR] {
            let mut t = t0;
            while t <= t_max {
                cands.push((sx + ux * t + ox * side, sy + uy * t + oy * side));
                t += 2.0;
            }
        }
        for ring in 0..4 {
            let r = t0 + ring as f64 * (2.0 * HANDLE_R + CLEAR);
            for k in 0..=8 {
                // Turning by a negative angle moves towards the lane's side first.
                for sign in [-1.0, 1.0] {
                    let a = sign * k as f64 * 11.25_f64.to_radians();
                    // The browser's Math (as the ring's `at`): no libm sin / cos in the wasm.
                    let (c, sn) = (Math::cos(a), Math::sin(a));
                    cands.push((sx + (ux * c - uy * sn) * r, sy + (ux * sn + uy * c) * r));
                    if k == 0 {
                        break;
                    }
                }
            }
        }
        let cost = |(x, y): (f64, f64)| {
            let mut hard = 0.0;
            for &(_, px, py) in pos {
                let dist = ((x - px).powi(2) + (y - py).powi(2)).sqrt();
                hard += (DC_R + HANDLE_R + CLEAR - dist).max(0.0);
            }
            for h in &placed {
                let dist = ((x - h.x).powi(2) + (y - h.y).powi(2)).sqrt();
                hard += (2.0 * HANDLE_R + CLEAR - dist).max(0.0);
            }
            hard += (HANDLE_R - x).max(0.0)
                + (x + HANDLE_R - 1000.0).max(0.0)
                + (HANDLE_R - y).max(0.0)
                + (y + HANDLE_R - 500.0).max(0.0);
            let b = (x - HANDLE_R, y - HANDLE_R, x + HANDLE_R, y + HANDLE_R);
            let soft: f64 = labels.iter().map(|l| overlap(b, *l)).sum();
            hard * 1e6 + soft
        };
        let mut best = (f64::MAX, (sx + ux * t0, sy + uy * t0));
        for c in cands {
            let v = cost(c);
            if v < best.0 {
                best = (v, c);
                if v == 0.0 {
                    break;
                }
            }
        }
        placed.push(Handle {
            from: s,
            to: d,
            x: best.1 .0,
            y: best.1 .1,
            angle: Math::atan2(uy, ux).to_degrees(),
        });
    }
    sort::sort_by_key(&mut placed, |h| (h.from, h.to));
    placed
}

#[derive(Properties, PartialEq)]
struct LinksProps {
    topo: Rc<Topo>,
    selected_dc: Option<DcId>,
    /// The direction whose handle is under the pointer: its lane is highlighted.
    hover: Option<(DcId, DcId)>,
    on_toggle: Callback<(DcId, DcId)>,
}

/// The lanes (drawing only: a lane takes no clicks, the handles do) and latency labels.
#[function_component(Links)]
fn links(p: &LinksProps) -> Html {
    let topo = &p.topo;
    let few = topo.pos.len() <= 4;
    let mut lines = Vec::with_capacity(topo.links.len());
    let mut labels = Vec::new();
    for l in &topo.links {
        let Some(((x1, y1), (x2, y2))) = lane(topo, l.from, l.to) else {
            continue;
        };
        let (a, b) = (l.from, l.to);
        // Not reachable by the pointer (CSS); kept so scripts can still dispatch a click.
        let cb = p.on_toggle.clone();
        let onclick = Callback::from(move |_: MouseEvent| cb.emit((a, b)));
        let touches = p.selected_dc.is_some_and(|d| d == a || d == b);
        let hover = p.hover == Some((a, b));
        lines.push(html! {
            <g key={format!("{}-{}", a.0, b.0)} class={classes!("link", l.cut.then_some("cut"), touches.then_some("touch"), hover.then_some("hover"))}
                data-testid={format!("link-{}-{}", a.0, b.0)} data-cut={l.cut.to_string()} onclick={onclick}>
                <line class="wire" x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
            </g>
        });
        // One label per pair, on the lower-id → higher-id pass.
        if a < b && (few || touches) {
            let back = topo
                .links
                .iter()
                .find(|m| m.from == b && m.to == a)
                .map(|m| m.latency_ms);
            let text = match back {
                Some(ms) if ms != l.latency_ms => format!("{} / {ms} ms", l.latency_ms),
                _ => format!("{} ms", l.latency_ms),
            };
            let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
            labels.push(html! {
                <text key={format!("l{}-{}", a.0, b.0)} class="latency" x={format!("{mx:.1}")} y={format!("{:.1}", my - 4.0)}>{ text }</text>
            });
        }
    }
    html! {
        <g class="links">
            { for lines }
            <g class="latency-labels">{ for labels }</g>
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct HandlesProps {
    topo: Rc<Topo>,
    selected_dc: Option<DcId>,
    on_toggle: Callback<(DcId, DcId)>,
    on_hover: Callback<Option<(DcId, DcId)>>,
}

/// One handle per link direction, on the topmost layer: the only place a pointer cuts or
/// heals a direction, so every direction has a spot no other element covers.
#[function_component(Handles)]
fn handles(p: &HandlesProps) -> Html {
    let topo = &p.topo;
    let all = topo.pos.len() <= ALL_HANDLES_UP_TO;
    let dirs: Vec<(DcId, DcId)> = topo
        .links
        .iter()
        .map(|l| (l.from, l.to))
        .filter(|&(a, b)| all || p.selected_dc.is_some_and(|d| d == a || d == b))
        .collect();
    // Placement depends on positions, names (labels) and the directions only, so cutting
    // a link never moves a handle.
    let key = (topo.pos.clone(), topo.names.clone(), dirs);
    let placed = use_memo(key, |(pos, names, dirs)| {
        let dcs: Vec<(f64, f64, usize)> = pos
            .iter()
            .map(|&(id, x, y)| {
                let chars = names
                    .iter()
                    .find(|n| n.0 == id)
                    .map_or(0, |n| n.1.chars().count());
                (x as f64, y as f64, chars)
            })
            .collect();
        let at: Vec<(DcId, f64, f64)> = pos
            .iter()
            .map(|&(id, x, y)| (id, x as f64, y as f64))
            .collect();
        place_handles(&at, &label_rects(&dcs), dirs)
    });
    let items = placed.iter().filter_map(|h| {
        let l = topo.links.iter().find(|l| l.from == h.from && l.to == h.to)?;
        let (a, b) = (h.from, h.to);
        let name = |d| fmt::dc_name(&topo.names, d);
        // The accessible name says what it is and its state; the tooltip adds what a
        // press does.
        let label = format!(
            "link {} → {}, {} ms, {}",
            name(a),
            name(b),
            l.latency_ms,
            if l.cut { "cut" } else { "up" }
        );
        let tip = format!(
            "{label} — click, Enter or Space to {}",
            if l.cut { "heal" } else { "cut" }
        );
        let toggle = p.on_toggle.clone();
        let onclick = Callback::from(move |_: MouseEvent| toggle.emit((a, b)));
        let toggle = p.on_toggle.clone();
        let onkeydown = Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                toggle.emit((a, b));
            }
        });
        let hover = p.on_hover.clone();
        let onmouseenter = Callback::from(move |_: MouseEvent| hover.emit(Some((a, b))));
        let hover = p.on_hover.clone();
        let onmouseleave = Callback::from(move |_: MouseEvent| hover.emit(None));
        // Keyboard focus highlights the lane as hovering does.
        let hover = p.on_hover.clone();
        let onfocus = Callback::from(move |_: FocusEvent| hover.emit(Some((a, b))));
        let hover = p.on_hover.clone();
        let onblur = Callback::from(move |_: FocusEvent| hover.emit(None));
        Some(html! {
            <g key={format!("{}-{}", a.0, b.0)} class={classes!("lane-hit", l.cut.then_some("cut"))}
                data-testid={format!("lane-hit-{}-{}", a.0, b.0)} role="button" tabindex="0" aria-label={label}
                aria-pressed={l.cut.to_string()}
                transform={format!("translate({:.1},{:.1}) rotate({:.0})", h.x, h.y, h.angle)}
                {onclick} {onkeydown} {onmouseenter} {onmouseleave} onfocus={onfocus} onblur={onblur}>
                <title>{ tip }</title>
                <circle class="pad" r={HANDLE_R.to_string()} />
                <path class={classes!("head", fmt::dc_fill(b))} d="M4.6,0L-3,-3.9L-3,3.9Z" />
            </g>
        })
    });
    html! { <g class="lane-hits">{ for items }</g> }
}

// ------------------------------------------------------------------ messages

#[derive(Properties)]
struct MsgsProps {
    flight: Rc<Flight>,
    topo: Rc<Topo>,
    selected_txn: Option<TxnId>,
    hidden_kinds: u32,
}

impl PartialEq for MsgsProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.flight, &o.flight)
            && Rc::ptr_eq(&self.topo, &o.topo)
            && self.selected_txn == o.selected_txn
            && self.hidden_kinds == o.hidden_kinds
    }
}

/// The dots, drawn by hand rather than through the virtual DOM: a busy map has a few
/// hundred messages in flight, most of them gone a frame or two later, and a virtual
/// DOM diff either recreates them (keyed) or rewrites their class and kind (unkeyed)
/// every frame — style work for the browser over the whole layer. Here each dot keeps
/// its kind for life (one pool per kind; a dot no longer needed waits detached for the
/// next message of its kind), so a frame only moves dots (`cx`, `cy`, and only those
/// that moved), adds or drops the tail of a kind, and rarely changes a highlight.
///
/// Invariant: after every render, the `<g class="messages">` holds exactly one
/// `circle.msg` per shown message (kind not hidden, lane known), with that message's
/// kind as class and `data-kind`, at its position now.
struct Messages {
    g: NodeRef,
    pool: DotPool,
}

/// One drawn dot: its element and what it shows (position in tenths of a map unit, so
/// an unchanged position costs no DOM write).
struct Dot {
    el: web_sys::Element,
    x: i32,
    y: i32,
    hl: bool,
    r: &'static str,
}

/// The dots of one `<g>`, by kind: `live[k]` are attached, in use this frame; `spare[k]`
/// are detached, ready for reuse with their class already set.
#[derive(Default)]
struct DotPool {
    /// The `<g>` the dots belong to (a new one, after a remount, starts a new pool).
    owner: Option<web_sys::Element>,
    live: Vec<Vec<Dot>>,
    spare: Vec<Vec<Dot>>,
}

const SVG_NS: &str = "http://www.w3.org/2000/svg";

/// `v` tenths as a decimal ("123.4"), the precision the map draws at.
fn tenths(buf: &mut String, v: i32) {
    buf.clear();
    let _ = write!(buf, "{}.{}", v / 10, (v % 10).abs());
    if v < 0 && v > -10 {
        buf.insert(0, '-');
    }
}

impl DotPool {
    fn reset(&mut self, owner: web_sys::Element) {
        let kinds = MsgKind::ALL.len();
        self.owner = Some(owner);
        self.live = (0..kinds).map(|_| Vec::new()).collect();
        self.spare = (0..kinds).map(|_| Vec::new()).collect();
    }

    fn new_dot(g: &web_sys::Element, kind: MsgKind) -> Option<Dot> {
        let el = g
            .owner_document()?
            .create_element_ns(Some(SVG_NS), "circle")
            .ok()?;
        el.set_attribute("class", &format!("msg {}", fmt::msg_class(kind)))
            .ok()?;
        el.set_attribute("data-kind", fmt::msg_key(kind)).ok()?;
        Some(Dot {
            el,
            x: i32::MIN,
            y: i32::MIN,
            hl: false,
            r: "",
        })
    }

    /// Draws `msgs` (kind, position in tenths, highlighted) into `g`.
    fn draw(
        &mut self,
        g: &web_sys::Element,
        msgs: impl Iterator<Item = (MsgKind, i32, i32, bool)>,
    ) {
        if self.owner.as_ref() != Some(g) {
            self.reset(g.clone());
        }
        let mut used = vec![0usize; self.live.len()];
        let mut buf = String::new();
        for (kind, x, y, hl) in msgs {
            let k = kind as usize;
            let Some(n) = used.get_mut(k) else { continue };
            if *n == self.live[k].len() {
                let Some(dot) = self.spare[k].pop().or_else(|| Self::new_dot(g, kind)) else {
                    continue;
                };
                if g.append_child(&dot.el).is_err() {
                    continue;
                }
                self.live[k].push(dot);
            }
            let dot = &mut self.live[k][*n];
            *n += 1;
            if dot.x != x {
                tenths(&mut buf, x);
                let _ = dot.el.set_attribute("cx", &buf);
                dot.x = x;
            }
            if dot.y != y {
                tenths(&mut buf, y);
                let _ = dot.el.set_attribute("cy", &buf);
                dot.y = y;
            }
            let r = if hl {
                "6"
            } else if kind == MsgKind::Heartbeat {
                "2.6"
            } else {
                "3.6"
            };
            if dot.r != r {
                let _ = dot.el.set_attribute("r", r);
                dot.r = r;
            }
            if dot.hl != hl {
                let list = dot.el.class_list();
                let _ = if hl {
                    list.add_1("hl")
                } else {
                    list.remove_1("hl")
                };
                dot.hl = hl;
            }
        }
        for (k, &n) in used.iter().enumerate() {
            while self.live[k].len() > n {
                if let Some(dot) = self.live[k].pop() {
                    let _ = g.remove_child(&dot.el);
                    self.spare[k].push(dot);
                }
            }
        }
    }
}

impl Component for Messages {
    type Message = ();
    type Properties = MsgsProps;

    fn create(_: &Context<Self>) -> Self {
        Messages {
            g: NodeRef::default(),
            pool: DotPool::default(),
        }
    }

    fn view(&self, _: &Context<Self>) -> Html {
        // No children in the virtual DOM: `rendered` draws the dots.
        html! { <g class="messages" aria-hidden="true" ref={self.g.clone()} /> }
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first_render: bool) {
        let Some(g) = self.g.cast::<web_sys::Element>() else {
            return;
        };
        let p = ctx.props();
        let now = p.flight.now.0 as f64;
        let msgs = p
            .flight
            .msgs
            .iter()
            .filter(|m| p.hidden_kinds & (1 << (m.kind as u32)) == 0)
            .filter_map(|m| {
                let ((x1, y1), (x2, y2)) = lane(&p.topo, m.src, m.dst)?;
                let span = m.deliver_at.0.saturating_sub(m.send_at.0) as f64;
                let f = if span <= 0.0 {
                    1.0
                } else {
                    ((now - m.send_at.0 as f64) / span).clamp(0.0, 1.0)
                };
                let (x, y) = (x1 + (x2 - x1) * f, y1 + (y2 - y1) * f);
                let hl = p.selected_txn.is_some() && m.txn == p.selected_txn;
                Some((
                    m.kind,
                    (x * 10.0).round() as i32,
                    (y * 10.0).round() as i32,
                    hl,
                ))
            });
        self.pool.draw(&g, msgs);
    }
}

// ------------------------------------------------------------------ the DCs

#[derive(Properties)]
struct DcsProps {
    snap: Rc<Snapshot>,
    selected_dc: Option<DcId>,
    /// The labels' scale the stylesheet sets now (`--map-label`).
    label_scale: f64,
    on_select: Callback<Option<DcId>>,
}

impl PartialEq for DcsProps {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.snap, &o.snap)
            && self.selected_dc == o.selected_dc
            && self.label_scale == o.label_scale
            && self.on_select == o.on_select
    }
}

/// The DCs with their labels and badges: redrawn with the snapshot (a few times a
/// second), not with every frame's messages.
#[function_component(DcNodes)]
fn dc_nodes(p: &DcsProps) -> Html {
    let pos: Vec<(f64, f64, usize)> = p
        .snap
        .dcs
        .iter()
        .map(|d| (d.x as f64, d.y as f64, d.name.chars().count()))
        .collect();
    let sides = label_sides(&pos, p.label_scale);
    // With a DC selected, every other DC is ringed by the selected DC's own view of it.
    let observer = p
        .selected_dc
        .and_then(|o| p.snap.dcs.iter().find(|d| d.id == o && d.up));
    let nodes = p.snap.dcs.iter().zip(sides).map(|(d, side)| {
            let seen = observer
                .filter(|o| o.id != d.id)
                .and_then(|o| o.views.iter().find(|(t, _)| *t == d.id).and_then(|(_, v)| *v))
                .map(|v| v.label());
            let (x, y) = (d.x as f64, d.y as f64);
            let id = d.id;
            let select = p.on_select.clone();
            let onclick = Callback::from(move |_: MouseEvent| select.emit(Some(id)));
            let select = p.on_select.clone();
            let onkeydown = Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    // Not also a shortcut (space = play / pause).
                    e.prevent_default();
                    select.emit(Some(id));
                }
            });
            let selected = p.selected_dc == Some(id);
            // The labels' anchor beside the circle, and the two baselines relative to it:
            // large type scales the labels about the anchor (CSS `--map-label`), so they
            // grow away from the circle.
            let (ax, ay, ty1, ty2, anchor) = match side {
                Side::Below => (0.0, DC_R + 2.0, 11.0, 23.0, "middle"),
                Side::Above => (0.0, -DC_R - 2.0, -14.0, -2.0, "middle"),
                Side::Right => (DC_R + 4.0, 5.0, -6.0, 6.0, "start"),
                Side::Left => (-DC_R - 4.0, 5.0, -6.0, 6.0, "end"),
            };
            let state = if d.up { "up" } else { "down" };
            let observer_name = observer.map(|o| o.name.as_str()).unwrap_or_default();
            let label = dc_label(d, seen.map(|v| (observer_name, v)), selected);
            html! {
                // The outer group draws the DC and takes the pointer's clicks (labels
                // included); the inner one, the DC's circle, is the keyboard's button and
                // the test hook. It holds no text, so its name is all a screen reader says
                // (axe: a name must contain the visible text inside its element).
                <g key={id.0} class={classes!("dc", state, selected.then_some("selected"), seen.map(|v| format!("seen-{v}")))}
                    transform={format!("translate({x:.0},{y:.0})")} onclick={onclick}>
                    <g class="dc-hit" data-testid={format!("dc-{}", id.0)} data-state={state} data-seen={seen}
                        tabindex="0" role="button" aria-label={label} aria-pressed={selected.to_string()} {onkeydown}>
                        <title>{ format!("{} ({}) — {}; {} rows, primary of {} shards{} — click, Enter or Space to focus it", d.name, id, state, d.rows, d.primaries,
                            if d.in_doubt > 0 { format!(", {} txn(s) in doubt", d.in_doubt) } else { String::new() }) }</title>
                        if selected {
                            <circle class="halo" r={format!("{}", DC_R + 6.0)} />
                        }
                        if seen.is_some() {
                            <circle class="seen" r={format!("{}", DC_R + 5.0)} />
                        }
                        <circle class={classes!("body", fmt::dc_fill(id))} r={DC_R.to_string()} />
                        if !d.up {
                            <path class="cross" d="M-7,-7L7,7M7,-7L-7,7" />
                        }
                    </g>
                    <text class="dc-id" y="4" aria-hidden="true">{ id.0 }</text>
                    <g transform={format!("translate({ax},{ay})")} aria-hidden="true">
                        <g class="dc-label">
                            <text class="dc-name" y={ty1.to_string()} text-anchor={anchor}>{ d.name.clone() }</text>
                            <text class="dc-rows" y={ty2.to_string()} text-anchor={anchor}>{ format!("{} rows", d.rows) }</text>
                        </g>
                    </g>
                    if d.in_doubt > 0 {
                        <g class="badge-doubt" aria-hidden="true" transform={format!("translate({},{})", DC_R - 2.0, -DC_R + 2.0)}>
                            <circle r="7" />
                            <text y="3.5">{ d.in_doubt }</text>
                        </g>
                    }
                    if d.locks > 0 {
                        <g class="badge-locks" aria-hidden="true" transform={format!("translate({},{})", -DC_R + 2.0, -DC_R + 2.0)}>
                            <title>{ format!("{} row lock(s) held for 2PC", d.locks) }</title>
                            <rect x="-7" y="-6" width="14" height="12" rx="2" />
                            <text y="3.5">{ d.locks }</text>
                        </g>
                    }
                </g>
            }
        });
    html! { <g class="dcs">{ for nodes }</g> }
}

// ------------------------------------------------------------------ the map

#[derive(Properties)]
pub struct Props {
    /// The DCs (a snapshot a few times a second while the run plays).
    pub snap: Rc<Snapshot>,
    /// The clock and the messages in flight (every drawing frame).
    pub flight: Rc<Flight>,
    pub topo: Rc<Topo>,
    pub selected_txn: Option<TxnId>,
    pub selected_dc: Option<DcId>,
    pub hidden_kinds: u32,
    pub on_select: Callback<Option<DcId>>,
    /// Cut or heal one link direction.
    pub on_toggle_link: Callback<(DcId, DcId)>,
    /// Hide or show a message kind.
    pub on_toggle_kind: Callback<MsgKind>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.snap, &o.snap)
            && Rc::ptr_eq(&self.flight, &o.flight)
            && Rc::ptr_eq(&self.topo, &o.topo)
            && self.selected_txn == o.selected_txn
            && self.selected_dc == o.selected_dc
            && self.hidden_kinds == o.hidden_kinds
            && self.on_select == o.on_select
            && self.on_toggle_link == o.on_toggle_link
            && self.on_toggle_kind == o.on_toggle_kind
    }
}

/// Where a DC's two label lines go relative to its circle.
#[derive(Copy, Clone, PartialEq)]
enum Side {
    Below,
    Above,
    Right,
    Left,
}

type Rect = (f64, f64, f64, f64);

/// The box of a DC's two label lines of width `w` (already scaled), drawn at `scale`
/// (CSS `--map-label`: the labels grow about their anchor beside the circle).
fn label_rect(x: f64, y: f64, w: f64, side: Side, scale: f64) -> Rect {
    let h = 26.0 * scale;
    match side {
        Side::Below => (x - w / 2.0, y + DC_R + 2.0, x + w / 2.0, y + DC_R + 2.0 + h),
        Side::Above => (x - w / 2.0, y - DC_R - 2.0 - h, x + w / 2.0, y - DC_R - 2.0),
        Side::Right => (
            x + DC_R + 3.0,
            y + 5.0 - 18.0 * scale,
            x + DC_R + 3.0 + w,
            y + 5.0 + 8.0 * scale,
        ),
        Side::Left => (
            x - DC_R - 3.0 - w,
            y + 5.0 - 18.0 * scale,
            x - DC_R - 3.0,
            y + 5.0 + 8.0 * scale,
        ),
    }
}

fn overlap(a: Rect, b: Rect) -> f64 {
    let w = (a.2.min(b.2) - a.0.max(b.0)).max(0.0);
    let h = (a.3.min(b.3) - a.1.max(b.1)).max(0.0);
    w * h
}

/// Greedy label placement: each DC (in id order) takes the first side whose label box
/// overlaps no DC circle, earlier label or map edge; otherwise the least-overlapping one.
/// Keeps clustered regions (cn-*, eu-*) legible. `scale`: the labels' size (large type, a
/// phone), so that larger labels are placed apart too.
fn label_sides(pos: &[(f64, f64, usize)], scale: f64) -> Vec<Side> {
    let circles: Vec<Rect> = pos
        .iter()
        .map(|&(x, y, _)| (x - DC_R, y - DC_R, x + DC_R, y + DC_R))
        .collect();
    let mut placed: Vec<Rect> = Vec::with_capacity(pos.len());
    let mut out = Vec::with_capacity(pos.len());
    for (i, &(x, y, chars)) in pos.iter().enumerate() {
        let w = (chars as f64 * 7.0 + 6.0) * scale;
        let cost = |side: Side| {
            let r = label_rect(x, y, w, side, scale);
            let mut c: f64 = circles
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| overlap(r, *o))
                .sum();
            c += placed.iter().map(|o| overlap(r, *o)).sum::<f64>();
            let outside = (0.0 - r.0).max(0.0)
                + (r.2 - 1000.0).max(0.0)
                + (0.0 - r.1).max(0.0)
                + (r.3 - 500.0).max(0.0);
            c + outside * 30.0
        };
        let sides = [Side::Below, Side::Above, Side::Right, Side::Left];
        let best = sides
            .iter()
            .copied()
            .find(|s| cost(*s) == 0.0)
            .unwrap_or_else(|| {
                sides
                    .iter()
                    .copied()
                    .fold((Side::Below, f64::MAX), |b, s| {
                        if cost(s) < b.1 {
                            (s, cost(s))
                        } else {
                            b
                        }
                    })
                    .0
            });
        placed.push(label_rect(x, y, w, best, scale));
        out.push(best);
    }
    out
}

/// A DC's accessible name, from the snapshot: "us-east, up, 13 rows, primary of 2 shards",
/// then what else the map draws of it (2PC load, the selected DC's view of it).
fn dc_label(d: &crate::sim::DcSnap, seen: Option<(&str, &str)>, selected: bool) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let mut s = format!(
        "{}, {}, {}, primary of {}",
        d.name,
        if d.up { "up" } else { "down" },
        plural(d.rows, "row", "rows"),
        plural(d.primaries, "shard", "shards")
    );
    if d.in_doubt > 0 {
        let _ = write!(
            s,
            ", {} in doubt",
            plural(d.in_doubt, "transaction", "transactions")
        );
    }
    if d.locks > 0 {
        let _ = write!(s, ", {} held", plural(d.locks, "row lock", "row locks"));
    }
    if let Some((by, v)) = seen {
        let _ = write!(s, ", seen {v} by {by}");
    }
    if selected {
        s.push_str(", selected");
    }
    s
}

pub struct WorldMap {
    /// The direction whose handle is under the pointer.
    hover: Option<(DcId, DcId)>,
    /// Made once, so the handles' props stay equal from frame to frame.
    on_hover: Callback<Option<(DcId, DcId)>>,
    /// The labels' scale the stylesheet sets now (`--map-label`), for their placement.
    label_scale: f64,
    wrap: NodeRef,
    renders: u32,
}

pub enum Msg {
    /// The pointer entered (`Some`) or left (`None`) a direction's handle.
    Hover(Option<(DcId, DcId)>),
    /// The stylesheet's label scale changed (large type, a narrower screen).
    LabelScale(f64),
}

/// Renders between two reads of `--map-label` (a read forces a style recalculation).
const SCALE_EVERY: u32 = 30;

/// `--map-label` on `el` (1 when unset or unreadable).
fn css_label_scale(el: &web_sys::Element) -> f64 {
    web_sys::window()
        .and_then(|w| w.get_computed_style(el).ok().flatten())
        .and_then(|st| st.get_property_value("--map-label").ok())
        .and_then(|v| fmt::parse_decimal(v.trim()))
        .filter(|v| v.is_finite() && *v > 0.0)
        .unwrap_or(1.0)
}

impl Component for WorldMap {
    type Message = Msg;
    type Properties = Props;

    fn create(ctx: &Context<Self>) -> Self {
        WorldMap {
            hover: None,
            on_hover: ctx.link().callback(Msg::Hover),
            label_scale: 1.0,
            wrap: NodeRef::default(),
            renders: 0,
        }
    }

    fn update(&mut self, _: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Hover(hover) => {
                let changed = self.hover != hover;
                self.hover = hover;
                changed
            }
            Msg::LabelScale(s) => {
                let changed = (self.label_scale - s).abs() > 1e-3;
                self.label_scale = s;
                changed
            }
        }
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        // Read now and then, not every frame: the scale changes only with large type or
        // the screen's width.
        self.renders = self.renders.wrapping_add(1);
        if !first_render && self.renders % SCALE_EVERY != 0 {
            return;
        }
        if let Some(el) = self.wrap.cast::<web_sys::Element>() {
            let s = css_label_scale(&el);
            if (self.label_scale - s).abs() > 1e-3 {
                ctx.link().send_message(Msg::LabelScale(s));
            }
        }
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        html! {
            <div class="map-wrap" ref={self.wrap.clone()}>
                // Two stacked layers: the static base (land, links) and the moving overlay
                // (messages, DCs), so each frame repaints only the mostly transparent overlay.
                <div class="map-stage">
                    <svg class="map base" viewBox="0 0 1000 500" preserveAspectRatio="xMidYMid meet" role="img"
                        aria-label="World map of the datacenters, their links and the messages in flight">
                        <Backdrop />
                        <Links topo={p.topo.clone()} selected_dc={p.selected_dc} hover={self.hover} on_toggle={p.on_toggle_link.clone()} />
                    </svg>
                    // The messages move every frame: their own layer, so a frame repaints
                    // neither the DCs above nor the map below.
                    <svg class="map layer-msgs" viewBox="0 0 1000 500" preserveAspectRatio="xMidYMid meet" aria-hidden="true">
                        <Messages flight={p.flight.clone()} topo={p.topo.clone()} selected_txn={p.selected_txn} hidden_kinds={p.hidden_kinds} />
                    </svg>
                    <svg class="map layer-top" viewBox="0 0 1000 500" preserveAspectRatio="xMidYMid meet" role="group"
                        aria-label="Datacenters (Enter or Space focuses one)">
                        <DcNodes snap={p.snap.clone()} selected_dc={p.selected_dc} label_scale={self.label_scale} on_select={p.on_select.clone()} />
                    </svg>
                    // Topmost: the link handles, re-rendered only when the topology, the
                    // selected DC or a callback changes, never per frame.
                    <svg class="map layer-hit" viewBox="0 0 1000 500" preserveAspectRatio="xMidYMid meet" role="group"
                        aria-label="Link directions (Enter, Space or a click on a handle cuts or heals it)">
                        <Handles topo={p.topo.clone()} selected_dc={p.selected_dc} on_toggle={p.on_toggle_link.clone()}
                            on_hover={self.on_hover.clone()} />
                    </svg>
                </div>
                <Legend hidden_kinds={p.hidden_kinds} on_toggle={p.on_toggle_kind.clone()} />
                <p class="caption">{ "Dots are messages in flight, moving at the link's one-way latency. Click a DC to focus it: its latencies show, and the other DCs are ringed by its own detector view (solid green alive, dashed amber suspect, dotted red dead); each link has two lanes, one per direction, and each direction a handle: the arrow next to its sending DC, pointing along the lane and coloured like the receiving DC; click it to cut or heal that direction (dashed red = cut). With more than 8 DCs, the handles of the selected DC's links show." }</p>
            </div>
        }
    }
}

#[derive(Properties, PartialEq)]
struct LegendProps {
    hidden_kinds: u32,
    on_toggle: Callback<MsgKind>,
}

#[function_component(Legend)]
fn legend(p: &LegendProps) -> Html {
    let items = MsgKind::ALL.iter().map(|&k| {
        let hidden = p.hidden_kinds & (1 << (k as u32)) != 0;
        let cb = p.on_toggle.clone();
        html! {
            <li key={fmt::msg_key(k)}>
                <button class={classes!("legend-item", hidden.then_some("off"))} aria-pressed={(!hidden).to_string()}
                    data-testid={format!("legend-{}", fmt::msg_key(k))} title={if hidden { "show" } else { "hide" }}
                    onclick={Callback::from(move |_: MouseEvent| cb.emit(k))}>
                    <span class={classes!("swatch", "dot", fmt::msg_class(k))} />{ k.label() }
                </button>
            </li>
        }
    });
    html! {
        <ul class="legend" aria-label="Message kinds (click to hide or show)">
            { for items }
            <li class="legend-static"><span class="swatch line cut" />{ "cut direction" }</li>
        </ul>
    }
}
