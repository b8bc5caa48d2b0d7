//! The data view: per table, each row key across its replica DCs (version, epoch,
//! staleness), and the shard list with replica lag.
//!
//! Invariants: cells show `Sim::data_view` and `Snapshot::shards` as given: a copy's word
//! is its `CopySnap::state` ("up to date", "N behind" — the core's count of newer versions
//! in the primary's log — or "down" for a copy at a down DC, never "up to date"); a
//! replica with no copy is "missing"; DCs that are not replicas of the key stay blank.
//! The ★ and the owner column are the live primary (`Sim::live_primary`): a down DC is
//! primary of nothing. Names are `fmt`'s (versions `#<index> e<term>`, shards
//! `<table> s<n>`).

use crate::sim::{CopyState, DcId};
use crate::sim::{Snapshot, TableSnap};
use crate::ui::components::el::AttrText;
use crate::ui::components::input_value;
use crate::ui::fmt;
use crate::ui::state::Topo;
use std::rc::Rc;
use yew::prelude::*;

/// Shards listed at most (ring placement can have hundreds).
const MAX_SHARDS: usize = 80;

#[derive(Properties)]
pub struct Props {
    pub data: Rc<Vec<TableSnap>>,
    pub snap: Rc<Snapshot>,
    pub topo: Rc<Topo>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.data, &o.data)
            && Rc::ptr_eq(&self.topo, &o.topo)
            && (Rc::ptr_eq(&self.snap, &o.snap) || self.snap.shards == o.snap.shards)
    }
}

#[function_component(DataPanel)]
pub fn data_panel(p: &Props) -> Html {
    let table_pick = use_state(|| 0usize);
    let names = &p.topo.names;
    // The live primary, or who the current epoch names while it is down.
    let owner = |live: Option<DcId>, named: DcId| match live {
        Some(d) => {
            html! { <><span class={classes!("swatch", fmt::dc_bg(d))} />{ fmt::dc_name(names, d) }</> }
        }
        None => {
            html! { <span class="muted" title="the DC the current epoch names is down; a failover will name a live one">{ format!("none ({} down)", fmt::dc_name(names, named)) }</span> }
        }
    };
    let dcs: Vec<DcId> = names.iter().map(|n| n.0).collect();
    let t_idx = (*table_pick).min(p.data.len().saturating_sub(1));
    let on_table = {
        let pick = table_pick.clone();
        Callback::from(move |e: Event| pick.set(input_value(&e).parse().unwrap_or(0)))
    };
    let picker = p.data.iter().enumerate().map(|(i, t)| {
        html! { <option key={i} value={i.attr()} selected={i == t_idx}>{ format!("{} ({} rows)", t.name, t.total_rows) }</option> }
    });
    let table = p.data.get(t_idx).map(|t| {
        let head = dcs.iter().map(|&d| html! { <th key={d.0} scope="col"><span class={classes!("swatch", fmt::dc_bg(d))} />{ fmt::dc_name(names, d) }</th> });
        let rows = t.keys.iter().map(|k| {
            let cells = dcs.iter().map(|&d| {
                let copy = k.copies.iter().find(|c| c.0 == d);
                let primary = Some(d) == k.live_primary;
                match copy {
                    None => html! { <td key={d.0} class="cell none" /> },
                    Some((_, None)) => html! {
                        <td key={d.0} class={classes!("cell", "missing", primary.then_some("primary"))} data-stale="missing"
                            data-dc={d.0.attr()} data-version="none" title="replica without a copy">
                            { if primary { "★ missing" } else { "missing" } }
                        </td>
                    },
                    Some((_, Some(c))) => {
                        let state = c.state();
                        let cls = match state { CopyState::UpToDate => "fresh", CopyState::Behind(_) => "stale", CopyState::Down => "down" };
                        let tag = fmt::copy_tag(state, c.deleted);
                        let stale_attr = if state == CopyState::Down { "down".to_string() } else { c.behind.to_string() };
                        html! {
                            <td key={d.0} class={classes!("cell", cls, primary.then_some("primary"), c.deleted.then_some("deleted"))}
                                data-stale={stale_attr} data-dc={d.0.attr()} data-version={format!("{}.{}", c.term, c.index)} title={format!("{}{}", if c.deleted { "deleted" } else { c.value.as_str() }, if primary { " — primary" } else { "" })}>
                                <span class="ver">{ format!("{}{}", if primary { "★ " } else { "" }, fmt::version(c.index, c.term)) }</span>
                                <span class="tag">{ tag }</span>
                            </td>
                        }
                    }
                }
            });
            html! {
                <tr key={k.pk.clone()} data-testid={format!("data-key-{}-{}", t.table.0, k.pk)}
                    data-primary={k.primary.0.attr()} data-epoch={k.epoch.term.attr()}
                    data-live-primary={k.live_primary.map_or_else(|| "none".to_string(), |d| d.0.to_string())}>
                    <th scope="row" class="mono">{ k.pk.clone() }</th>
                    <td class="mono muted">{ fmt::shard(&p.topo.tables, t.table, k.shard) }</td>
                    <td>{ owner(k.live_primary, k.primary) }</td>
                    <td class="mono">{ fmt::epoch(k.epoch.term) }</td>
                    { for cells }
                </tr>
            }
        });
        html! {
            <div class="scroll-x">
                <table class="data-table" data-testid={format!("data-table-{}", t.table.0)}>
                    <thead><tr><th scope="col">{ "key" }</th><th scope="col">{ "shard" }</th><th scope="col">{ "owner" }</th><th scope="col">{ "epoch" }</th>{ for head }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                if t.keys.len() < t.total_rows {
                    <p class="caption">{ format!("Showing the first {} of {} keys.", t.keys.len(), t.total_rows) }</p>
                }
                if t.keys.is_empty() {
                    <p class="muted">{ "No rows yet." }</p>
                }
            </div>
        }
    });
    let t_id = p.data.get(t_idx).map(|t| t.table);
    let shards: Vec<_> = p
        .snap
        .shards
        .iter()
        .filter(|s| Some(s.table) == t_id && (s.rows > 0 || !s.lag.is_empty()))
        .collect();
    let more = shards.len().saturating_sub(MAX_SHARDS);
    let shard_rows = shards.iter().take(MAX_SHARDS).map(|s| {
        let lag = s.lag.iter().map(|(d, n, ms)| {
            let cls = if *n == 0 { "fresh" } else { "stale" };
            html! {
                <span key={d.0} class={classes!("lag", cls)} title={format!("{} is {n} entries / {ms} ms behind", fmt::dc_name(names, *d))}>
                    <span class={classes!("swatch", fmt::dc_bg(*d))} />{ format!("{n} · {ms} ms") }
                </span>
            }
        });
        html! {
            <tr key={s.shard.0}>
                <td class="mono">{ fmt::shard(&p.topo.tables, s.table, s.shard) }</td>
                <td>{ for s.replicas.iter().map(|d| html! { <span key={d.0} class={classes!("swatch", fmt::dc_bg(*d))} title={fmt::dc_name(names, *d)} /> }) }</td>
                <td>{ owner(s.live_primary, s.primary) }</td>
                <td class="mono">{ fmt::epoch(s.epoch.term) }</td>
                <td class="num">{ s.rows }</td>
                <td class="lags">
                    if s.lag.is_empty() { <span class="muted">{ "—" }</span> } else { { for lag } }
                </td>
            </tr>
        }
    });
    html! {
        <div class="data-panel">
            <div class="row">
                <h2>{ "Data" }</h2>
                <label>{ "table " }<select data-testid="data-table-pick" onchange={on_table}>{ for picker }</select></label>
            </div>
            <p class="caption">{ "Each row's copies at its replica DCs: ★ marks the live primary under the current epoch; a version #i eN is the log position and epoch of the row's last write; \"N behind\" counts newer versions in the primary's log the copy has not applied yet; a copy at a down DC shows \"down\"." }</p>
            { for table }
            <h3>{ "Shards" }</h3>
            <p class="caption">{ "Replica lag as the primary sees it: entries not yet acknowledged, and for how long (ms). Async tables lag by up to the replication interval." }</p>
            <div class="scroll-x">
                <table class="shard-table" data-testid="shards">
                    <thead><tr><th>{ "shard" }</th><th>{ "replicas" }</th><th>{ "primary" }</th><th>{ "epoch" }</th><th class="num">{ "rows" }</th><th>{ "replica lag (entries · ms)" }</th></tr></thead>
                    <tbody>{ for shard_rows }</tbody>
                </table>
            </div>
            if more > 0 { <p class="caption">{ format!("…and {more} more shards.") }</p> }
        </div>
    }
}
