//! Placement: the consistent-hash ring (virtual nodes and keys), the Modulo ↔ Ring switch,
//! membership changes, and the keys the last change moved (and each strategy would move
//! for its member change), over the stored keys (`MoveReport`). The key lookup beside it
//! is `lookup`.
//!
//! Invariants: positions come from `RingPoint::ppm` / `RingKey::ppm` (millionths of a turn,
//! clockwise from the top); a key's owner and replicas are `RingKey::replicas` under the
//! active placement, never recomputed here.

use crate::sim::sort;
use crate::sim::{region_dc, PlacementKind, SimConfig, MAX_DCS, MIN_DCS};
use crate::sim::{DcId, UserCommand};
use crate::ui::components::note_view;
use crate::ui::fmt;
use crate::ui::state::{Note, RingView, Topo};
use js_sys::Math;
use std::rc::Rc;
use yew::prelude::*;

const SIZE: f64 = 440.0;
const C: f64 = SIZE / 2.0;
const R: f64 = 170.0;

fn at(ppm: u32, r: f64) -> (f64, f64) {
    let a = ppm as f64 / 1_000_000.0 * std::f64::consts::TAU;
    // The browser's Math, not Rust's libm: its sin / cos and their argument reduction
    // are several KB of the page's wasm (issue 8) and the core never uses them.
    (C + r * Math::sin(a), C - r * Math::cos(a))
}

/// SVG arc path along the ring from `a` to `b` (clockwise, ppm).
fn arc(a: u32, b: u32, r: f64) -> String {
    let (x1, y1) = at(a, r);
    let (x2, y2) = at(b, r);
    let span = (b as i64 - a as i64).rem_euclid(1_000_000);
    let large = if span > 500_000 { 1 } else { 0 };
    format!("M{x1:.1},{y1:.1}A{r},{r} 0 {large} 1 {x2:.1},{y2:.1}")
}

/// Moves the keyboard focus to the ring key `key` (the arrows on the ring).
fn focus_ring_key(key: &str) {
    use wasm_bindgen::JsCast;
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Ok(all) = doc.query_selector_all("[data-testid^=\"ring-key-\"]") else {
        return;
    };
    let want = format!("ring-key-{key}");
    for i in 0..all.length() {
        let Some(el) = all
            .item(i)
            .and_then(|n| n.dyn_into::<web_sys::SvgElement>().ok())
        else {
            continue;
        };
        if el.get_attribute("data-testid").as_deref() == Some(want.as_str()) {
            let _ = el.focus();
            return;
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub ring: Rc<RingView>,
    pub topo: Rc<Topo>,
    pub config: Rc<SimConfig>,
    pub note: Note,
    pub selected_dc: Option<DcId>,
    /// Placement and membership commands (refusals show in `note`).
    pub on_command: Callback<UserCommand>,
}

#[function_component(RingPanel)]
pub fn ring_panel(p: &Props) -> Html {
    let picked = use_state(|| None::<String>);
    let cursor = use_state(|| None::<String>);
    let hover = use_state(|| None::<String>);
    let rv = &p.ring;
    let names = &p.topo.names;
    let n = names.len();
    let ring_mode = rv.placement == PlacementKind::Ring;
    let focus_key = (*hover).clone().or_else(|| (*picked).clone());
    let focus = focus_key
        .as_ref()
        .and_then(|k| rv.keys.iter().find(|x| &x.key == k));

    // Placement switch.
    let toggle = {
        let cmd = p.on_command.clone();
        let cfg = p.config.clone();
        Callback::from(move |_: MouseEvent| {
            let mut c = (*cfg).clone();
            c.placement = match c.placement {
                PlacementKind::Modulo => PlacementKind::Ring,
                PlacementKind::Ring => PlacementKind::Modulo,
            };
            cmd.emit(UserCommand::Configure(Box::new(c)));
        })
    };

    // Membership.
    let next_region = (0..64)
        .map(region_dc)
        .find(|spec| !names.iter().any(|(_, nm)| *nm == spec.name));
    let add = {
        let cmd = p.on_command.clone();
        let spec = next_region.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = spec.clone() {
                cmd.emit(UserCommand::AddDc(s));
            }
        })
    };
    let members = names.iter().map(|(id, name)| {
        let id = *id;
        let cmd = p.on_command.clone();
        html! {
            <li key={id.0}>
                <span class={classes!("swatch", fmt::dc_bg(id))} />{ name.clone() }
                <button class="small danger" data-testid={format!("remove-dc-{}", id.0)} disabled={n <= MIN_DCS}
                    title="Remove this DC from the cluster (its rows move to the others)"
                    onclick={Callback::from(move |_: MouseEvent| cmd.emit(UserCommand::RemoveDc(id)))}>{ "remove" }</button>
            </li>
        }
    });

    // The ring: one tick per virtual node, coloured by DC.
    let vnodes = rv.ring.iter().enumerate().map(|(i, pt)| {
        let (x1, y1) = at(pt.ppm, R - 9.0);
        let (x2, y2) = at(pt.ppm, R + 9.0);
        let dim = focus.is_some_and(|k| !k.replicas.contains(&pt.dc));
        html! {
            <line key={i} class={classes!("vnode", fmt::dc_stroke(pt.dc), dim.then_some("dim"))}
                x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} />
        }
    });
    // Keys closer than ~0.8% of a turn stack inwards so each stays clickable.
    let mut order: Vec<usize> = (0..rv.keys.len()).collect();
    sort::sort_by_key(&mut order, |&i| rv.keys[i].ppm);
    let mut level = vec![0u32; rv.keys.len()];
    for w in order.windows(2) {
        if rv.keys[w[1]].ppm - rv.keys[w[0]].ppm < 8_000 {
            level[w[1]] = (level[w[0]] + 1) % 4;
        }
    }
    let radius = |i: usize| R - 26.0 - level[i] as f64 * 11.0;
    // Keyboard: one key is in the tab order (the one last focused or picked, else the
    // first clockwise); the arrows move along the ring, Enter / Space pick.
    let tab_key = (*cursor)
        .clone()
        .or_else(|| (*picked).clone())
        .filter(|k| rv.keys.iter().any(|x| &x.key == k))
        .or_else(|| order.first().map(|&i| rv.keys[i].key.clone()));
    let keys_clockwise: Rc<Vec<String>> =
        Rc::new(order.iter().map(|&i| rv.keys[i].key.clone()).collect());
    let keys = rv.keys.iter().enumerate().map(|(i, k)| {
        let (x, y) = at(k.ppm, radius(i));
        let owner = k.replicas.first().copied().unwrap_or(DcId(0));
        let is_focus = focus.is_some_and(|f| f.key == k.key);
        let enter = {
            let hover = hover.clone();
            let key = k.key.clone();
            Callback::from(move |_: MouseEvent| hover.set(Some(key.clone())))
        };
        let leave = {
            let hover = hover.clone();
            Callback::from(move |_: MouseEvent| hover.set(None))
        };
        let click = {
            let picked = picked.clone();
            let key = k.key.clone();
            Callback::from(move |_: MouseEvent| {
                let same = picked.as_deref() == Some(key.as_str());
                picked.set(if same { None } else { Some(key.clone()) })
            })
        };
        let onfocus = {
            let (hover, cursor, key) = (hover.clone(), cursor.clone(), k.key.clone());
            Callback::from(move |_: FocusEvent| {
                hover.set(Some(key.clone()));
                cursor.set(Some(key.clone()));
            })
        };
        let onblur = {
            let hover = hover.clone();
            Callback::from(move |_: FocusEvent| hover.set(None))
        };
        let onkeydown = {
            let (picked, key, all) = (picked.clone(), k.key.clone(), keys_clockwise.clone());
            Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
                "Enter" | " " => {
                    e.prevent_default();
                    let same = picked.as_deref() == Some(key.as_str());
                    picked.set(if same { None } else { Some(key.clone()) })
                }
                dir @ ("ArrowRight" | "ArrowDown" | "ArrowLeft" | "ArrowUp") => {
                    e.prevent_default();
                    let n = all.len();
                    if let Some(i) = all.iter().position(|x| *x == key) {
                        let step = if matches!(dir, "ArrowRight" | "ArrowDown") { 1 } else { n - 1 };
                        focus_ring_key(&all[(i + step) % n]);
                    }
                }
                _ => {}
            })
        };
        let replicas: Vec<String> = k.replicas.iter().map(|d| fmt::dc_name(names, *d)).collect();
        let label = format!(
            "key {} at {:.1}% of the ring: owner {}{}",
            k.key,
            k.ppm as f64 / 10_000.0,
            replicas.first().cloned().unwrap_or_default(),
            if replicas.len() > 1 { format!(", replicas {}", replicas[1..].join(", ")) } else { String::new() }
        );
        let tabbable = tab_key.as_deref() == Some(k.key.as_str());
        let is_picked = picked.as_deref() == Some(k.key.as_str());
        html! {
            <circle key={k.key.clone()} class={classes!("ring-key", fmt::dc_fill(owner), is_focus.then_some("focus"))}
                data-testid={format!("ring-key-{}", k.key)} cx={format!("{x:.1}")} cy={format!("{y:.1}")}
                r={if is_focus { "7" } else { "4" }} onmouseenter={enter} onmouseleave={leave} onclick={click}
                role="button" tabindex={if tabbable { "0" } else { "-1" }} aria-label={label} aria-pressed={is_picked.to_string()}
                {onfocus} {onblur} {onkeydown}>
                <title>{ k.key.clone() }</title>
            </circle>
        }
    });
    // For the focused key under Ring: the arc to the vnode that owns it.
    let focus_arc = focus.filter(|_| ring_mode).and_then(|k| {
        let r = rv.keys.iter().position(|x| x.key == k.key).map(radius).unwrap_or(R - 26.0);
        let next = rv.ring.iter().find(|pt| pt.ppm >= k.ppm).or(rv.ring.first())?;
        Some(html! { <path class={classes!("owner-arc", fmt::dc_stroke(next.dc))} d={arc(k.ppm, next.ppm, r)} /> })
    });
    let focus_text = focus.map(|k| {
        let list = k.replicas.iter().enumerate().map(|(i, d)| {
            html! {
                <li key={d.0}><span class={classes!("swatch", fmt::dc_bg(*d))} />{ fmt::dc_name(names, *d) }
                    <span class="muted">{ if i == 0 { " — owner (primary)" } else { " — replica" } }</span></li>
            }
        });
        let how = if ring_mode {
            "the first virtual node clockwise from the key's SHA-1 owns it; the next distinct DCs clockwise hold the replicas"
        } else {
            "int(SHA-1(key)) mod N picks the owner; the next DCs in id order hold the replicas — the ring position is irrelevant"
        };
        html! {
            <div class="key-focus" data-testid="ring-focus">
                <h3><code>{ k.key.clone() }</code>{ format!(" at {:.1}% of the ring", k.ppm as f64 / 10_000.0) }</h3>
                <ol class="plain">{ for list }</ol>
                <p class="caption">{ how }</p>
            </div>
        }
    });

    // Share of the key space per DC: arcs under Ring, 1/N under Modulo; and sampled keys.
    let share = names.iter().map(|(id, name)| {
        let id = *id;
        let ppm: u64 = if ring_mode {
            let pts = &rv.ring;
            pts.iter()
                .enumerate()
                .filter(|(_, pt)| pt.dc == id)
                .map(|(i, pt)| {
                    let prev = if i == 0 { pts.last().map(|l| l.ppm).unwrap_or(0) } else { pts[i - 1].ppm };
                    (pt.ppm as i64 - prev as i64).rem_euclid(1_000_000) as u64
                })
                .sum()
        } else {
            1_000_000 / n.max(1) as u64
        };
        let owned = rv.keys.iter().filter(|k| k.replicas.first() == Some(&id)).count();
        let pct = ppm as f64 / 10_000.0;
        html! {
            <tr key={id.0}>
                <td><span class={classes!("swatch", fmt::dc_bg(id))} />{ name.clone() }</td>
                <td class="bar-cell"><span class={classes!("bar", fmt::dc_bg(id))} style={format!("width:{:.1}%", pct.min(100.0))} /></td>
                <td class="num">{ format!("{pct:.1}%") }</td>
                <td class="num">{ owned }</td>
            </tr>
        }
    });

    let moves = rv.last_moves.as_ref().map(|m| {
        let pct = |x: u64| if m.keys == 0 { 0.0 } else { x as f64 * 100.0 / m.keys as f64 };
        let kind = |k: PlacementKind| if k == PlacementKind::Ring { "ring" } else { "modulo" };
        let switched = m.from_kind != m.to_kind;
        let same_members = m.from_members == m.to_members;
        let heading = match (switched, same_members) {
            (true, true) => format!("Last reconfiguration: {} → {}, still {} DCs", kind(m.from_kind), kind(m.to_kind), m.to_members),
            (true, false) => format!("Last reconfiguration: {} → {}, {} → {} DCs", kind(m.from_kind), kind(m.to_kind), m.from_members, m.to_members),
            (false, true) => format!("Last reconfiguration: still {} DCs ({})", m.to_members, kind(m.to_kind)),
            (false, false) => format!("Last membership change: {} → {} DCs ({})", m.from_members, m.to_members, kind(m.to_kind)),
        };
        let n = m.to_members.max(m.from_members) as f64;
        let caption = if same_members {
            "With the same DCs, neither scheme alone moves a key: what moved is the switch between them. Add or remove a DC to compare modulo and the ring.".to_string()
        } else {
            format!("Changing N moves ≈ (N−1)/N of the keys under modulo ({:.0}% expected) but only ≈ 1/N on the ring ({:.0}%).",
                (n - 1.0) / n * 100.0, 100.0 / n)
        };
        html! {
            <div class="moves" data-testid="moved-rows" data-modulo={m.modulo_moved.to_string()} data-ring={m.ring_moved.to_string()}
                data-keys={m.keys.to_string()} data-moved={m.moved.to_string()} data-from={kind(m.from_kind)} data-to={kind(m.to_kind)}>
                <h3>{ heading }</h3>
                <p>{ format!("{} of the {} stored keys changed owner ({:.0}%).", m.moved, m.keys, pct(m.moved)) }</p>
                if !same_members {
                    <div class="move-bars">
                        <div class={classes!("move", (!ring_mode).then_some("active"))}>
                            <span class="label">{ "modulo" }</span>
                            <span class="bar-track"><span class="bar modulo" style={format!("width:{:.1}%", pct(m.modulo_moved))} /></span>
                            <span class="num">{ format!("{} of {} keys ({:.0}%)", m.modulo_moved, m.keys, pct(m.modulo_moved)) }</span>
                        </div>
                        <div class={classes!("move", ring_mode.then_some("active"))}>
                            <span class="label">{ "ring" }</span>
                            <span class="bar-track"><span class="bar ring" style={format!("width:{:.1}%", pct(m.ring_moved))} /></span>
                            <span class="num">{ format!("{} of {} keys ({:.0}%)", m.ring_moved, m.keys, pct(m.ring_moved)) }</span>
                        </div>
                    </div>
                }
                <p class="caption">{ caption }</p>
            </div>
        }
    });

    let label = if ring_mode { "ring" } else { "modulo" };
    html! {
        <div class="ring-panel">
            <div class="ring-left">
                <div class="row">
                    <h2>{ "Placement" }</h2>
                    // Named by its content (the visible words first, then the state in words),
                    // so a voice command naming what is seen finds it.
                    <button class="seg" data-testid="placement-toggle" data-placement={label} onclick={toggle}
                        title="Switch placement strategy (rows are re-placed)">
                        <span class={classes!("seg-opt", (!ring_mode).then_some("on"))}>{ "Modulo" }</span>
                        <span class="sr-only">{ " " }</span>
                        <span class={classes!("seg-opt", ring_mode.then_some("on"))}>{ "Ring" }</span>
                        <span class="sr-only">{ format!(" placement: {label} now, press to switch") }</span>
                    </button>
                </div>
                <p class="caption">{ if ring_mode {
                    format!("Consistent hashing: {} virtual nodes per DC; a key belongs to the first virtual node clockwise from SHA-1(key). R = {}.", rv.vnodes, rv.r)
                } else {
                    format!("Modulo: owner = int(SHA-1(key)) mod {n}; the seed's scheme. R = {}. The ring below is drawn for comparison.", rv.r)
                } }</p>
                <svg class={classes!("ring", (!ring_mode).then_some("inactive"))} viewBox={format!("0 0 {SIZE} {SIZE}")} role="group"
                    aria-label="Hash ring with virtual nodes and keys (Tab to a key, arrows to the next, Enter to pick)">
                    <circle class="ring-circle" cx={C.to_string()} cy={C.to_string()} r={R.to_string()} />
                    <text class="ring-zero" x={C.to_string()} y={(C - R - 14.0).to_string()}>{ "0" }</text>
                    <g aria-hidden="true">{ for vnodes }</g>
                    { for focus_arc }
                    <g>{ for keys }</g>
                    <text class="ring-center" x={C.to_string()} y={C.to_string()}>{ format!("{} keys", rv.keys.len()) }</text>
                    <text class="ring-center small" x={C.to_string()} y={(C + 18.0).to_string()}>{ "hover, click or Tab to a key" }</text>
                </svg>
                { for focus_text }
            </div>
            <div class="ring-right">
                <h3>{ "Share of the key space" }</h3>
                <table class="share">
                    <thead><tr><th>{ "DC" }</th><th>{ "arc" }</th><th class="num">{ "share" }</th><th class="num" title="sampled keys k0… owned">{ "keys" }</th></tr></thead>
                    <tbody>{ for share }</tbody>
                </table>
                <h3>{ "Membership" }</h3>
                <ul class="members plain">{ for members }</ul>
                <button data-testid="add-dc" disabled={n >= MAX_DCS || next_region.is_none()} onclick={add}>
                    { match &next_region { Some(s) => format!("Add DC ({})", s.name), None => "Add DC".to_string() } }
                </button>
                { note_view(&p.note, "ring-error") }
                if let Some(w) = &rv.draining {
                    <p class="note waiting" role="status" data-testid="admin-waiting">{ w.clone() }</p>
                }
                { for moves }
                if rv.last_moves.is_none() {
                    <p class="caption">{ "Add or remove a DC to compare how many rows move under modulo and under the ring." }</p>
                }
            </div>
        </div>
    }
}
