//! The timeline under the controls: a scrubber over the current branch's simulated ms,
//! its markers (commands, faults, failovers, 2PC decisions, findings; click one to go
//! there), the branch (and a picker when there are several), the run's trace hash up to
//! now, and the share link.
//!
//! Invariants: it only emits intents (`Seek`, `SwitchBranch`, `ShareLink`); every seek
//! pauses the run (the core's `Session::seek`). The scrubber's value is now and its
//! maximum the branch's end; its DOM value is set from the props after every render (a
//! browser keeps a dragged range's own value otherwise). Markers come from the core,
//! already bounded (`markers::MARKERS_PER_KIND` per kind).

use crate::sim::{BranchInfo, Marker, SimTime};
use crate::ui::components::input_value;
use crate::ui::fmt;
use crate::ui::state::Action;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    /// Where the run stands.
    pub now: SimTime,
    /// Events run by now (orders moments within an instant).
    pub events: u64,
    /// The current branch's end (the scrubber's maximum).
    pub end: SimTime,
    /// The current branch's markers, in time order.
    pub markers: Rc<Vec<Marker>>,
    /// Every branch, oldest first.
    pub branches: Rc<Vec<BranchInfo>>,
    /// The current branch's name.
    pub branch: AttrValue,
    /// The trace hash of the run up to now.
    pub trace_hash: u64,
    /// The last share link made (the whole URL), if any.
    pub share_url: Option<AttrValue>,
    /// Which branch the last action in the past started, if it just did.
    pub fork_note: Option<AttrValue>,
    pub on_action: Callback<Action>,
}

#[derive(Properties, PartialEq)]
struct MarkersProps {
    markers: Rc<Vec<Marker>>,
    on_action: Callback<Action>,
}

/// The markers, redrawn only when they change (the bar redraws every frame). Keyed by
/// what they mark, so a marker dropping off the front moves no other marker's text.
#[function_component(Markers)]
fn markers(p: &MarkersProps) -> Html {
    let mut seen: Vec<(SimTime, &str)> = Vec::with_capacity(p.markers.len());
    let items = p.markers.iter().enumerate().map(|(i, m)| {
        let at = m.at;
        // The same instant and kind may mark twice: the n-th of them keys n.
        let nth = seen.iter().filter(|&&(t, k)| t == at && k == m.kind.key()).count();
        seen.push((at, m.kind.key()));
        let go = p.on_action.reform(move |_: MouseEvent| Action::Seek(at));
        let title = format!("{} — {}", fmt::time(at), m.label);
        html! {
            <button key={format!("{}-{}-{nth}", at.0, m.kind.key())} class={classes!("tl-marker", m.kind.key())} tabindex="-1"
                style={format!("--at: {}", at.0)} title={title.clone()} aria-label={title}
                data-testid={format!("timeline-marker-{i}")} data-kind={m.kind.key()} data-ms={at.0.to_string()}
                onclick={go}></button>
        }
    });
    html! { <>{ for items.collect::<Vec<_>>() }</> }
}

#[function_component(TimelineBar)]
pub fn timeline_bar(p: &Props) -> Html {
    let act = &p.on_action;
    let end = p.end.0.max(p.now.0);
    let on_input = act.reform(|e: InputEvent| {
        let ms = input_value(&e).parse::<u64>().unwrap_or(0);
        Action::Seek(SimTime(ms))
    });
    // With the scrubber focused, its keys are the page's timeline keys (one event, one
    // second, start / end), not the range's own 1 ms steps.
    let on_key = {
        let act = act.clone();
        Callback::from(move |e: KeyboardEvent| {
            let key = e.key();
            if !matches!(key.as_str(), "ArrowLeft" | "ArrowRight" | "Home" | "End") {
                return;
            }
            if let Some(a) = Action::of_key_with_shift(&key, e.shift_key()) {
                e.prevent_default();
                act.emit(a);
            }
        })
    };
    // The range shows now, also after a drag (the browser keeps its own value otherwise).
    let range = use_node_ref();
    {
        let range = range.clone();
        let (now, max) = (p.now.0.to_string(), end.to_string());
        use_effect(move || {
            if let Some(r) = range.cast::<web_sys::HtmlInputElement>() {
                if r.max() != max {
                    r.set_max(&max);
                }
                if r.value() != now {
                    r.set_value(&now);
                }
            }
        });
    }
    let branch_picker = (p.branches.len() > 1).then(|| {
        let on_pick = act.reform(|e: Event| Action::SwitchBranch(input_value(&e)));
        let options = p.branches.iter().map(|b| {
            let from = b
                .parent
                .as_ref()
                .map(|(parent, at)| format!(" (from {parent} at {})", fmt::time(*at)))
                .unwrap_or_default();
            html! {
                <option key={b.name.clone()} value={b.name.clone()} selected={*b.name == *p.branch}>
                    { format!("{}{from}", b.name) }
                </option>
            }
        });
        html! {
            <select data-testid="branch-select" aria-label="Switch branch" onchange={on_pick}>{ for options }</select>
        }
    });
    let share = act.reform(|_: MouseEvent| Action::ShareLink);
    html! {
        <section class="timeline-bar" aria-label="Timeline">
            <div class="tl-track">
                <input ref={range} type="range" min="0" max={end.to_string()} step="1" value={p.now.0.to_string()}
                    data-testid="timeline" data-max={end.to_string()} data-ms={p.now.0.to_string()} data-events={p.events.to_string()}
                    aria-label="Timeline: simulated time of the current branch (←/→ one event, Shift one second, Home/End)"
                    aria-valuetext={fmt::time(p.now)} oninput={on_input} onkeydown={on_key} />
                // Each marker places itself at `--at` of `--end` (styles/main.css), so a
                // frame that moves only the end writes one property, not every marker.
                <div class="tl-markers" style={format!("--end: {}", end.max(1))}>
                    <Markers markers={p.markers.clone()} on_action={act.clone()} />
                </div>
            </div>
            <div class="tl-info">
                <span class="label">{ "branch" }</span>
                <span class="tl-branch" data-testid="branch">{ p.branch.clone() }</span>
                { for branch_picker }
                <span class="label" title="A fingerprint of everything that happened up to now: the same run at the same instant has the same hash">{ "trace" }</span>
                <code class="tl-hash" data-testid="trace-hash">{ format!("{:016x}", p.trace_hash) }</code>
                <span class="label">{ format!("end {}", fmt::time(SimTime(end))) }</span>
                <button data-testid="share-link" onclick={share} title="A link that reopens this run at this instant">{ "Share link" }</button>
                <input class="tl-share mono" type="text" readonly=true data-testid="share-url" aria-label="Share link"
                    value={p.share_url.clone().unwrap_or_default()} placeholder="press Share link" />
            </div>
            if let Some(note) = &p.fork_note {
                <p class="note ok tl-fork" role="status" data-testid="fork-note">{ note.clone() }</p>
            }
        </section>
    }
}
