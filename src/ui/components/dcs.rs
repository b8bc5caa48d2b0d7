//! The datacenter table: state, data held, 2PC load, and the kill / revive buttons.
//! Invariant: the buttons only emit intents; the state shown is the snapshot's: the
//! primaries, in-doubt and lock figures are `Sim::dc_loads` as given (a down DC leads
//! nothing, so its figures are 0, and the primaries column sums to the shard count once
//! every shard has a live primary).

use crate::sim::DcId;
use crate::sim::Snapshot;
use crate::ui::components::el::AttrText;
use crate::ui::fmt;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties)]
pub struct Props {
    pub snap: Rc<Snapshot>,
    pub selected_dc: Option<DcId>,
    /// Kill or revive.
    pub on_toggle: Callback<DcId>,
    pub on_select: Callback<Option<DcId>>,
}

impl PartialEq for Props {
    fn eq(&self, o: &Self) -> bool {
        self.selected_dc == o.selected_dc
            && self.on_toggle == o.on_toggle
            && self.on_select == o.on_select
            && (Rc::ptr_eq(&self.snap, &o.snap)
                || (self.snap.dcs == o.snap.dcs && self.snap.counters == o.snap.counters))
    }
}

pub struct DcTable;

impl Component for DcTable {
    type Message = ();
    type Properties = Props;

    fn create(_: &Context<Self>) -> Self {
        DcTable
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let rows = p.snap.dcs.iter().map(|d| {
            let id = d.id;
            let toggle = p.on_toggle.clone();
            let select = p.on_select.clone();
            html! {
                <tr key={id.0} class={classes!((!d.up).then_some("down"), (p.selected_dc == Some(id)).then_some("sel"))}
                    data-testid={format!("dc-row-{}", id.0)} data-state={if d.up { "up" } else { "down" }}
                    data-primaries={d.primaries.attr()} data-in-doubt={d.in_doubt.attr()}
                    data-prepared={d.prepared.attr()} data-locks={d.locks.attr()}>
                    <th scope="row" class="name">
                        <button class="dc-pick" aria-pressed={(p.selected_dc == Some(id)).to_string()} title="Focus this DC on the map"
                            onclick={Callback::from(move |_: MouseEvent| select.emit(Some(id)))}>
                            <span class={classes!("swatch", fmt::dc_bg(id))} />{ d.name.clone() }<span class="muted">{ format!(" {id}") }</span>
                        </button>
                    </th>
                    <td><span class={classes!("state", if d.up { "up" } else { "down" })}>{ if d.up { "up" } else { "down" } }</span></td>
                    <td class="num" title="live rows stored here (all copies)">{ d.rows }</td>
                    <td class="num" title="shards this DC is the live primary of">{ d.primaries }</td>
                    <td class={classes!("num", (d.in_doubt > 0).then_some("warn"))}
                        title={format!("2PC participants in doubt (decision overdue); {} more prepared and waiting", d.prepared)}>{ d.in_doubt }</td>
                    <td class={classes!("num", (d.locks > 0).then_some("warn"))} title="row locks held for 2PC in the shards it leads">{ d.locks }</td>
                    <td>
                        <button class={classes!("small", if d.up { "danger" } else { "ok" })} data-testid={format!("toggle-{}", id.0)}
                            aria-label={format!("{} {}", if d.up { "Kill" } else { "Revive" }, d.name)}
                            onclick={Callback::from(move |_: MouseEvent| toggle.emit(id))}>
                            { if d.up { "Kill" } else { "Revive" } }
                        </button>
                    </td>
                </tr>
            }
        });
        let c = &p.snap.counters;
        html! {
            <div class="dc-table-wrap">
                <h2>{ "Datacenters" }</h2>
                <table class="dc-table" data-testid="datacenters">
                    <thead><tr>
                        <th scope="col">{ "DC" }</th><th scope="col">{ "state" }</th><th scope="col">{ "rows" }</th>
                        <th scope="col" title="live primary of N shards (a down DC: 0)">{ "prim." }</th><th scope="col" title="2PC participants in doubt">{ "doubt" }</th>
                        <th scope="col">{ "locks" }</th><th scope="col"><span class="sr-only">{ "action" }</span></th>
                    </tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <dl class="counters" data-testid="counters">
                    <div title="client operations ok / failed"><dt>{ "ops ok/fail" }</dt><dd>{ format!("{}/{}", c.ops_ok, c.ops_failed) }</dd></div>
                    <div><dt>{ "reads/writes" }</dt><dd>{ format!("{}/{}", c.reads, c.writes) }</dd></div>
                    <div title="transactions committed / aborted"><dt>{ "txn commit/abort" }</dt><dd>{ format!("{}/{}", c.txns_committed, c.txns_aborted) }</dd></div>
                    <div><dt>{ "stale reads" }</dt><dd class={classes!((c.stale_reads > 0).then_some("warn"))}>{ c.stale_reads }</dd></div>
                    <div title="messages sent / dropped"><dt>{ "msgs sent/drop" }</dt><dd>{ format!("{}/{}", c.msgs_sent, c.msgs_dropped) }</dd></div>
                    <div><dt>{ "failovers" }</dt><dd>{ c.failovers }</dd></div>
                </dl>
            </div>
        }
    }
}
