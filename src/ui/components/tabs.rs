//! The tab bar over the panels, with badges: findings (red if any is a violation) and
//! 2PC participants prepared or in doubt.
//! Invariant: it only emits the chosen tab; the badges are the snapshot's.

use crate::sim::FindingCounts;
use crate::ui::state::Tab;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub current: Tab,
    /// Every finding of the run, counted (the badge is a total, not a list's length).
    pub findings: FindingCounts,
    /// 2PC records prepared or in doubt, over all DCs.
    pub in_doubt: usize,
    pub on_tab: Callback<Tab>,
}

#[function_component(TabBar)]
pub fn tab_bar(p: &Props) -> Html {
    let tabs = Tab::ALL.iter().map(|&t| {
        let badge = match t {
            Tab::Findings if p.findings.total() > 0 => {
                // Red only for violations; expected findings (a setting's price) are amber.
                let bad = p.findings.violations() > 0;
                // Not by colour alone: a violation also shows "!", and says so in words.
                html! { <span class={classes!("badge", (!bad).then_some("warn"))} data-testid="findings-count"
                    data-violations={bad.to_string()}>{ p.findings.total() }
                    if bad { <span aria-hidden="true">{ "!" }</span> }
                    <span class="sr-only">{ if bad { " findings, violations among them" } else { " findings, all expected" } }</span>
                </span> }
            }
            Tab::Txn if p.in_doubt > 0 => {
                html! { <span class="badge warn" title="participants prepared or in doubt">{ p.in_doubt }
                    <span class="sr-only">{ " participants prepared or in doubt" }</span></span> }
            }
            _ => html! {},
        };
        let on_tab = p.on_tab.clone();
        html! {
            <button key={t.key()} role="tab" aria-selected={(t == p.current).to_string()}
                class={classes!("tab", (t == p.current).then_some("active"))}
                data-testid={format!("tab-{}", t.key())}
                onclick={Callback::from(move |_| on_tab.emit(t))}>
                { t.title() }{ badge }
            </button>
        }
    });
    html! { <nav class="tabs" role="tablist">{ for tabs }</nav> }
}
