//! Invariant checker findings: kind, time, text and the fault that explains it.
//! Invariant: violations (the protocol broke a promise) and expected findings (the
//! documented price of a setting) are told apart, never hidden.

use crate::sim::{DcId, SimTime, TxnId};
use crate::sim::{Finding, FindingCounts};
use crate::ui::fmt;
use std::rc::Rc;
use std::sync::Arc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// The newest findings (the snapshot's window), oldest first.
    pub findings: Rc<Vec<Arc<Finding>>>,
    /// Every finding of the run, counted: what the page says in numbers.
    pub counts: FindingCounts,
    pub selected_txn: Option<TxnId>,
    /// Jump to the finding's transaction.
    pub on_focus: Callback<(Option<TxnId>, Option<DcId>)>,
    /// Make a share link to the run at a finding's instant (none: no link buttons).
    #[prop_or_default]
    pub on_link: Option<Callback<SimTime>>,
}

#[function_component(FindingsPanel)]
pub fn findings_panel(p: &Props) -> Html {
    let (total, violations) = (p.counts.total(), p.counts.violations());
    // Numbered in the run (as the log's "checker finding #i"), not in the window.
    let first = total.saturating_sub(p.findings.len() as u64);
    let items = p.findings.iter().enumerate().rev().map(|(i, f)| {
        let i = first + i as u64;
        let txn = f.txn;
        let focus = p.on_focus.clone();
        let viol = f.kind.is_violation();
        html! {
            <li key={i} class={classes!("finding", if viol { "violation" } else { "expected" }, (txn.is_some() && txn == p.selected_txn).then_some("hl"))}
                data-testid={format!("finding-{i}")} data-kind={fmt::finding_key(f.kind)}
                onclick={Callback::from(move |_: MouseEvent| focus.emit((txn, None)))}>
                <div class="finding-head">
                    <span class={classes!("kind", if viol { "violation" } else { "expected" })}>{ f.kind.label() }</span>
                    <span class="muted">{ if viol { "violation" } else { "expected for this setting" } }</span>
                    <span class="mono muted">{ fmt::time(f.at) }</span>
                    if let Some(t) = f.txn { <span class="mono">{ t.to_string() }</span> }
                </div>
                <p class="finding-text">{ f.text.clone() }</p>
                if !f.cause.is_empty() { <p class="finding-cause"><strong>{ "Cause: " }</strong>{ f.cause.clone() }</p> }
                if !f.keys.is_empty() { <p class="caption mono">{ f.keys.join(", ") }</p> }
                if let Some(on_link) = &p.on_link {
                    <button class="ghost small" data-testid={format!("finding-link-{i}")} title="Put a share link to this run at this finding's instant into the share box"
                        onclick={{ let on_link = on_link.clone(); let at = f.at; Callback::from(move |e: MouseEvent| { e.stop_propagation(); on_link.emit(at) }) }}>
                        { "link to this moment" }
                    </button>
                }
            </li>
        }
    });
    html! {
        <div class="findings-panel" data-testid="findings">
            <h2>{ "Invariant checker" }</h2>
            <p class="caption">{ "Checked live: 2PC atomicity, durability of acknowledged writes, convergence after heal, nothing stuck in doubt, no stale reads where promised. Each finding names the fault that explains it." }</p>
            if total == 0 {
                <p class="ok-line">{ "No findings: every invariant holds so far." }</p>
            } else {
                <p>{ format!("{} finding(s), {} violation(s).", total, violations) }</p>
                if first > 0 {
                    <p class="caption">{ format!("The newest {} are listed.", p.findings.len()) }</p>
                }
            }
            // It scrolls: focusable, so the arrows and Page Up / Down scroll it from the keyboard.
            <ol class="findings plain" tabindex="0" aria-label="Findings">{ for items }</ol>
        </div>
    }
}
