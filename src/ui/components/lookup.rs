//! The key lookup of the placement tab: type a partition key, see where it lives now —
//! its SHA-1, the seed's `int(SHA-1) mod N`, its ring position and vnode, its owner and
//! replicas under the placement in force, the shard's current primary, and each replica's
//! version of the key's rows.
//!
//! Invariants: every number shown is a field of the core's `KeyLookup` (`Sim::lookup`,
//! through `state::LookupView`), never recomputed here; the typed key and table go to the
//! App as `Action::Lookup` through `on_lookup`, so the answer follows the run (a
//! placement or membership change, a failover, a write); a key the core refuses (empty,
//! too long) shows the core's message instead of a result, never a panic.

use crate::sim::{DcId, KeyLookup, PlacementKind, SimConfig, TableId};
use crate::ui::components::el::AttrText;
use crate::ui::components::input_value;
use crate::ui::fmt;
use crate::ui::state::{LookupView, Topo};
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub lookup: Rc<LookupView>,
    pub topo: Rc<Topo>,
    /// For the table names.
    pub config: Rc<SimConfig>,
    /// The table and key typed.
    pub on_lookup: Callback<(TableId, String)>,
}

fn ids(ds: &[DcId]) -> String {
    ds.iter()
        .map(|d| d.0.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn dc_list(names: &fmt::Names, ds: &[DcId]) -> Html {
    html! {
        <span class="dc-list">
            { for ds.iter().enumerate().map(|(i, d)| html! {
                <span key={d.0} class="dc-chip">
                    <span class={classes!("swatch", fmt::dc_bg(*d))} />
                    { format!("{} ({})", fmt::dc_name(names, *d), d.0) }
                    { if i + 1 < ds.len() { ", " } else { "" } }
                </span>
            }) }
        </span>
    }
}

fn result_view(l: &KeyLookup, names: &fmt::Names) -> Html {
    let name = |d: DcId| format!("{} ({})", fmt::dc_name(names, d), d.0);
    let owner = l.owner();
    let modulo_on = l.placement == PlacementKind::Modulo;
    let short = format!("{}…{}", &l.sha1_hex[..8], &l.sha1_hex[32..]);
    let m = &l.modulo;
    let member = l.members.get(m.bucket as usize).copied();
    let modulo_line = html! {
        <li class={classes!((modulo_on).then_some("active"))}>
            <b>{ "Modulo" }</b>{ if modulo_on { " (in force): " } else { " (for comparison): " } }
            <code>{ format!("int(0x{short}) mod {} = {}", m.n, m.bucket) }</code>
            { format!(" → member #{} in id order = {}", m.bucket, member.map(name).unwrap_or_else(|| "—".into())) }
            { "; replicas " }{ dc_list(names, &m.replicas) }
        </li>
    };
    let ring_line = match &l.ring {
        Some(r) => html! {
            <li class={classes!((!modulo_on).then_some("active"))}>
                <b>{ "Ring" }</b>{ if modulo_on { " (for comparison): " } else { " (in force): " } }
                <code>{ format!("token 0x{:016x}", r.token) }</code>
                { format!(" at {:.2}% of the ring → vnode #{} of {} at {:.2}% (owned by {}); replicas ",
                    r.ppm as f64 / 10_000.0, r.vnode, r.vnodes, r.vnode_ppm as f64 / 10_000.0,
                    r.replicas.first().copied().map(name).unwrap_or_else(|| "—".into())) }
                { dc_list(names, &r.replicas) }
            </li>
        },
        None => html! { <li>{ "Ring: no virtual nodes." }</li> },
    };
    let primary_note = if Some(l.primary) == owner {
        "the owner leads its shard".to_string()
    } else {
        format!(
            "not the owner {}: a failover moved the primary",
            owner.map(name).unwrap_or_default()
        )
    };
    // A down DC is primary of nothing (see `Sim::live_primary`).
    let primary_up = l.copies.iter().any(|c| c.dc == l.primary && c.up);
    let copies = l.copies.iter().map(|c| {
        let (version, text) = match &c.version {
            Some(v) => (
                format!("{}.{}", v.term, v.index),
                format!(
                    "{}{}{}",
                    fmt::version(v.index, v.term),
                    if v.deleted { ", deleted" } else { "" },
                    if v.rows > 1 { format!(" ({} rows)", v.rows) } else { String::new() }
                ),
            ),
            None => ("none".to_string(), "no copy".to_string()),
        };
        let role = if Some(c.dc) == owner { "owner" } else { "replica" };
        html! {
            <tr key={c.dc.0} data-testid={format!("key-lookup-copy-{}", c.dc.0)} data-version={version}
                data-up={c.up.attr()}>
                <td><span class={classes!("swatch", fmt::dc_bg(c.dc))} />{ name(c.dc) }</td>
                <td>{ role }{ if c.dc == l.primary && c.up { " ★ primary" } else { "" } }</td>
                <td>{ if c.up { "up" } else { "down" } }</td>
                <td class="num">{ text }</td>
            </tr>
        }
    });
    html! {
        <div class="lookup-result" data-testid="key-lookup-result" data-sha1={l.sha1_hex.clone()}
            data-owner={owner.map(|d| d.0.to_string()).unwrap_or_default()} data-replicas={ids(&l.replicas)}
            data-primary={l.primary.0.attr()} data-shard={l.shard.0.attr()}
            data-placement={if modulo_on { "modulo" } else { "ring" }}>
            <p>{ "SHA-1(" }<code>{ format!("{:?}", l.key) }</code>{ ") = " }<code class="digest">{ l.sha1_hex.clone() }</code></p>
            <ul class="plain lookup-places">
                { modulo_line }
                { ring_line }
            </ul>
            <p>
                <b>{ "Owner: " }</b>{ owner.map(name).unwrap_or_else(|| "—".into()) }
                <b>{ " · replicas: " }</b>{ dc_list(names, &l.replicas) }
                { format!(" (shard {})", l.shard.0) }
            </p>
            <p>
                <b>{ "Current primary: " }</b>
                if primary_up {
                    { name(l.primary) }{ format!(" in epoch {} — {primary_note}", fmt::epoch(l.term)) }
                } else {
                    { format!("none — {}, named by epoch {}, is down (waiting for a failover)", name(l.primary), fmt::epoch(l.term)) }
                }
            </p>
            <table class="lookup-copies">
                <thead><tr><th>{ "DC" }</th><th>{ "role" }</th><th>{ "state" }</th><th class="num">{ "version of the row" }</th></tr></thead>
                <tbody>{ for copies }</tbody>
            </table>
        </div>
    }
}

#[function_component(KeyLookupPanel)]
pub fn key_lookup_panel(p: &Props) -> Html {
    let lv = &p.lookup;
    let on_key = {
        let cb = p.on_lookup.clone();
        let table = lv.table;
        Callback::from(move |e: InputEvent| cb.emit((table, input_value(&e))))
    };
    let on_table = {
        let cb = p.on_lookup.clone();
        let key = lv.key.clone();
        Callback::from(move |e: Event| {
            let t = input_value(&e).parse().unwrap_or(0);
            cb.emit((TableId(t), key.clone()))
        })
    };
    let tables = p.config.tables.iter().enumerate().map(|(i, t)| {
        html! { <option key={i} value={i.attr()} selected={i == lv.table.0 as usize}>{ t.name.clone() }</option> }
    });
    let body = match &lv.result {
        Ok(l) => result_view(l, &p.topo.names),
        Err(msg) => {
            let class = if lv.key.is_empty() {
                "caption"
            } else {
                "note err"
            };
            html! { <p class={class} role="status" data-testid="key-lookup-error">{ msg.clone() }</p> }
        }
    };
    html! {
        <div class="key-lookup">
            <h3>{ "Where does a key live?" }</h3>
            <div class="row">
                <label>{ "table " }<select data-testid="key-lookup-table" onchange={on_table}>{ for tables }</select></label>
                <label>{ "partition key " }
                    <input type="text" data-testid="key-lookup" value={lv.key.clone()} oninput={on_key}
                        placeholder="e.g. k7" aria-label="Partition key to look up" spellcheck="false" autocomplete="off" />
                </label>
            </div>
            { body }
        </div>
    }
}
