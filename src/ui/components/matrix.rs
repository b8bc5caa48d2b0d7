//! The failure-detector matrix: row = an observer's own view, column = the target.
//! Invariant: a cell shows exactly `DcSnap::views` of its observer; a down observer has no
//! view (`unknown`), the diagonal is the DC itself. Each state shows as a glyph of its own
//! shape (not only a colour) and, for screen readers, as a word.

use crate::sim::DcId;
use crate::sim::PeerState;
use crate::ui::fmt;
use crate::ui::state::ViewRow;
use std::rc::Rc;
use yew::prelude::*;

/// Views change only on detector transitions, so this re-renders rarely.
#[derive(Properties, PartialEq)]
pub struct Props {
    pub views: Rc<Vec<ViewRow>>,
    pub selected_dc: Option<DcId>,
}

pub struct DetectorMatrix;

impl Component for DetectorMatrix {
    type Message = ();
    type Properties = Props;

    fn create(_: &Context<Self>) -> Self {
        DetectorMatrix
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let p = ctx.props();
        let dcs = &p.views;
        let head = dcs.iter().map(|t| {
            html! {
                <th key={t.id.0} scope="col" title={t.name.clone()} class={classes!((p.selected_dc == Some(t.id)).then_some("sel"))}>
                    <span class={classes!("swatch", fmt::dc_bg(t.id))} aria-hidden="true" /><span aria-hidden="true">{ t.id.0 }</span>
                    <span class="sr-only">{ t.name.clone() }</span>
                </th>
            }
        });
        let rows = dcs.iter().map(|o| {
            let cells = dcs.iter().map(|t| {
                if t.id == o.id {
                    return html! { <td key={t.id.0} class="self" title="itself"><span aria-hidden="true">{ "·" }</span><span class="sr-only">{ "itself" }</span></td> };
                }
                let v: Option<PeerState> = if o.up { o.views.iter().find(|(d, _)| *d == t.id).and_then(|(_, v)| *v) } else { None };
                let label = fmt::view_label(v);
                let text = match v {
                    Some(_) => label,
                    None => "unknown: observer down",
                };
                let sym = match v {
                    Some(PeerState::Alive) => "●",
                    Some(PeerState::Suspect) => "◐",
                    Some(PeerState::Dead) => "✕",
                    None => "?",
                };
                html! {
                    <td key={t.id.0} class={classes!("view", label)} data-testid={format!("view-{}-{}", o.id.0, t.id.0)} data-view={label}
                        title={format!("{} sees {} as {}", o.name, t.name, label)}>
                        // The glyph's shape tells the state apart without colour; the
                        // hidden word is what a screen reader says.
                        <span aria-hidden="true">{ sym }</span><span class="sr-only">{ text }</span>
                    </td>
                }
            });
            html! {
                <tr key={o.id.0} class={classes!((!o.up).then_some("down"), (p.selected_dc == Some(o.id)).then_some("sel"))}>
                    <th scope="row" title={o.name.clone()}><span class={classes!("swatch", fmt::dc_bg(o.id))} />{ o.name.clone() }</th>
                    { for cells }
                </tr>
            }
        });
        html! {
            <div class="matrix-wrap">
                <h2>{ "Failure detectors" }</h2>
                <p class="caption">{ "Each DC has its own view — a partitioned DC may disagree. Row: the observer; column: the DC it judges." }</p>
                <table class={classes!("matrix", (dcs.len() > 8).then_some("dense"))} data-testid="detector-matrix">
                    <caption class="sr-only">{ "Failure detector views: each row is an observer, each column the DC it judges" }</caption>
                    <thead><tr><th scope="col" class="corner"><span aria-hidden="true">{ "observer ↓ / target →" }</span><span class="sr-only">{ "observer" }</span></th>{ for head }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                <p class="matrix-legend">
                    <span class="view alive">{ "● alive" }</span>
                    <span class="view suspect">{ "◐ suspect" }</span>
                    <span class="view dead">{ "✕ dead" }</span>
                    <span class="view unknown">{ "? observer down" }</span>
                </p>
            </div>
        }
    }
}
