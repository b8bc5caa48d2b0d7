//! The tab bar over the panels, with badges: findings (red if any is a violation) and
//! 2PC participants prepared or in doubt.
//! Invariant: it only emits the chosen tab; the badges are the snapshot's. Keyboard: Tab
//! reaches every tab, the arrows (Home / End) move between them.

use crate::sim::FindingCounts;
use crate::ui::components::el::AttrText;
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

/// Moves the keyboard focus to the button of tab `t`.
fn focus_tab(t: Tab) {
    use wasm_bindgen::JsCast;
    let el = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(&format!("[data-testid=tab-{}]", t.key()))
                .ok()
                .flatten()
        })
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok());
    if let Some(el) = el {
        let _ = el.focus();
    }
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
                    data-violations={bad.attr()}>{ p.findings.total() }
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
        // The tab pattern's arrows: ← / → open the previous / next tab and move the focus
        // there (Home / End: the first / last).
        let on_arrow = {
            let on_tab = p.on_tab.clone();
            Callback::from(move |e: KeyboardEvent| {
                let n = Tab::ALL.len();
                let i = Tab::ALL.iter().position(|&x| x == t).unwrap_or(0);
                let j = match e.key().as_str() {
                    "ArrowRight" => (i + 1) % n,
                    "ArrowLeft" => (i + n - 1) % n,
                    "Home" => 0,
                    "End" => n - 1,
                    _ => return,
                };
                e.prevent_default();
                let next = Tab::ALL[j];
                on_tab.emit(next);
                focus_tab(next);
            })
        };
        html! {
            <button key={t.key()} role="tab" aria-selected={(t == p.current).to_string()}
                class={classes!("tab", (t == p.current).then_some("active"))}
                data-testid={format!("tab-{}", t.key())} onkeydown={on_arrow}
                onclick={Callback::from(move |_| on_tab.emit(t))}>
                { t.title() }{ badge }
            </button>
        }
    });
    html! { <nav class="tabs" role="tablist">{ for tabs }</nav> }
}
