//! The top bar: title, clock, run controls, speed, seed and presentation toggles.
//! Invariants: it only emits intents; the clock it shows is the snapshot's. The
//! breakpoint select always shows the breakpoint armed now (`none` once a hit disarmed
//! it): its DOM value is set from the props after every render, not left to the
//! `selected` attributes, which a browser ignores once a person picked an option.

use crate::sim::{Breakpoint, SimTime};
use crate::ui::components::el::AttrText;
use crate::ui::components::{input_checked, input_value};
use crate::ui::fmt;
use crate::ui::state::{bp_parse, Action, BreakpointHit, Theme, SPEED_MAX};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub running: bool,
    pub speed_pos: u32,
    pub speed: f64,
    /// The speed actually reached, when the simulation cannot keep up with `speed`.
    pub achieved: Option<f64>,
    pub now: SimTime,
    pub seed: u64,
    pub theme: Theme,
    pub large: bool,
    pub pending: usize,
    /// The breakpoint armed now (`None` once a hit disarmed it).
    pub breakpoint: Option<Breakpoint>,
    /// Keep the breakpoint armed after each hit.
    pub keep_breakpoint: bool,
    /// Where the run last stopped at the breakpoint (cleared by Play / Step).
    pub hit: Option<BreakpointHit>,
    /// The seeded bugs this run carries (flag names; empty for the real protocol).
    #[prop_or_default]
    pub bugs: Vec<String>,
    /// The lessons list or a lesson is open (the Learn button shows it pressed).
    #[prop_or_default]
    pub learning: bool,
    /// Play, pause, step, breakpoint, speed and the presentation toggles.
    pub on_action: Callback<Action>,
}

pub use crate::ui::state::bp_key;

/// The breakpoint a `<select>` value names; anything unknown means no breakpoint.
pub fn bp_from_key(k: &str) -> Option<Breakpoint> {
    bp_parse(k).flatten()
}

const BP_CHOICES: [(Option<Breakpoint>, &str); 6] = [
    (None, "never"),
    (Some(Breakpoint::TxnDecision), "next 2PC decision"),
    (Some(Breakpoint::PrepareSent), "next PREPARE sent"),
    (Some(Breakpoint::WriteAcked), "next write acknowledged"),
    (Some(Breakpoint::Failover), "next failover"),
    (Some(Breakpoint::Finding), "next finding"),
];

#[function_component(Controls)]
pub fn controls(p: &Props) -> Html {
    let act = &p.on_action;
    let on_speed = {
        let act = act.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(v) = input_value(&e).parse::<u32>() {
                act.emit(Action::Speed(v));
            }
        })
    };
    let emit = |a: Action| act.reform(move |_: MouseEvent| a.clone());
    let on_bp = act.reform(|e: Event| Action::Breakpoint(bp_from_key(&input_value(&e))));
    let on_keep = act.reform(|e: Event| Action::KeepBreakpoint(input_checked(&e)));
    // The select shows what is armed, also after a hit disarmed it.
    let bp_select = use_node_ref();
    {
        let select = bp_select.clone();
        let armed = bp_key(p.breakpoint);
        use_effect(move || {
            if let Some(s) = select.cast::<web_sys::HtmlSelectElement>() {
                if s.value() != armed {
                    s.set_value(armed);
                }
            }
        });
    }
    let bp_options = BP_CHOICES.iter().map(|&(bp, text)| {
        html! { <option key={bp_key(bp)} value={bp_key(bp)} selected={bp == p.breakpoint}>{ text }</option> }
    });
    let hit = p.hit.as_ref().map(|h| {
        html! {
            <p class="note warn-note bp-hit" role="status" data-testid="breakpoint-hit" data-kind={bp_key(Some(h.kind))}
                data-seq={h.seq.attr()} data-ms={h.at.0.attr()}
                data-txn={h.txn.map(|t| t.0.to_string())} data-dc={h.dc.map(|d| d.0.to_string())}>
                { h.text.clone() }
            </p>
        }
    });
    let theme = match p.theme {
        Theme::Auto => "◐ auto",
        Theme::Light => "☀ light",
        Theme::Dark => "☾ dark",
    };
    html! {
        <header class="topbar">
            <div class="brand">
                <h1>{ "Table Store across datacenters" }</h1>
                <p class="subtitle">{ "A deterministic simulation: placement, replication, 2PC, failure detection and failover" }</p>
            </div>
            <div class="clock" title="Simulated time since the start of the run">
                <span class="label">{ "sim time" }</span>
                <span class="time" data-testid="sim-time" data-ms={p.now.0.attr()}>{ fmt::time(p.now) }</span>
                <span class="label">{ "seed" }</span>
                <span class="seed" data-testid="seed">{ p.seed }</span>
                if !p.bugs.is_empty() {
                    <span class="bugs-badge" data-testid="bugs-badge" role="status"
                        title="This run uses a deliberately broken protocol variant, so the checker can show what it breaks. It is not the real protocol.">
                        { format!("⚠ seeded bug: {}", p.bugs.join(", ")) }
                    </span>
                }
                if p.pending > 0 {
                    <span class="label" title="Commands of the imported scenario still to come">{ format!("{} scheduled", p.pending) }</span>
                }
            </div>
            <div class="run-controls" role="group" aria-label="Run controls">
                if p.running {
                    <button class="primary" data-testid="pause" onclick={emit(Action::Pause)} title="Pause (space)">{ "❚❚ Pause" }</button>
                } else {
                    <button class="primary" data-testid="play" onclick={emit(Action::Play)} title="Play (space)">{ "▶ Play" }</button>
                }
                <button data-testid="step" onclick={emit(Action::Step)} title="Run exactly one event (s)">{ "Step" }</button>
                <label class="speed">
                    <span>{ "speed" }</span>
                    <input type="range" min="0" max={SPEED_MAX.to_string()} step="1" value={p.speed_pos.attr()}
                        data-testid="speed" aria-label="Simulated seconds per wall second (log scale)" oninput={on_speed} />
                    <span class="speed-value" data-testid="speed-label" data-speed={format!("{:.4}", p.speed)}
                        data-achieved={p.achieved.map(|a| format!("{a:.4}"))}
                        title={p.achieved.map(|_| "The simulation cannot keep up with the requested speed on this machine; this is the speed it reaches.".to_string())}>
                        { fmt::speed(p.speed) }
                        if let Some(a) = p.achieved {
                            <span class="achieved">{ format!(" (running at {})", fmt::speed(a)) }</span>
                        }
                    </span>
                </label>
                <label class="speed bp" title="Breakpoint: pause the run right after the next event of the chosen kind; it then returns to never, unless kept armed">
                    <span>{ "pause at" }</span>
                    <select ref={bp_select} data-testid="breakpoint" data-armed={bp_key(p.breakpoint)} aria-label="Breakpoint: pause at" onchange={on_bp}>{ for bp_options }</select>
                </label>
                <label class="speed bp-keep" title="Keep the breakpoint armed after each hit (otherwise it fires once)">
                    <input type="checkbox" data-testid="breakpoint-keep" checked={p.keep_breakpoint} onchange={on_keep} />
                    <span>{ "keep armed" }</span>
                </label>
            </div>
            <div class="view-controls">
                <button class={classes!("learn", p.learning.then_some("on"))} data-testid="learn" aria-pressed={p.learning.attr()}
                    onclick={emit(Action::ToggleLessons)} title="Guided lessons: learn each mechanism by breaking it">{ "Learn" }</button>
                <button class="ghost" data-testid="theme-toggle" title="Colour theme: auto follows the system" onclick={emit(Action::CycleTheme)}>{ theme }</button>
                <button class={classes!("ghost", p.large.then_some("on"))} data-testid="large-toggle" aria-pressed={p.large.attr()}
                    onclick={emit(Action::ToggleLarge)} title="Larger type for projectors">{ "A+" }</button>
                <button class="ghost" data-testid="help-toggle" onclick={emit(Action::ToggleHelp)} title="Keyboard shortcuts (?)">{ "?" }</button>
            </div>
            if p.breakpoint.is_some() || p.hit.is_some() {
                <div class="bp-row">
                    // A lesson's narration says why the run pauses: no caption (the
                    // narration stays near the top on a projector).
                    if !p.learning {
                    <p class="caption">{ "Breakpoint: the run pauses right after the next event of the chosen kind, with the clock on that instant, so you can act then (kill a DC, cut a link) before anything else happens; Play or Step goes on. It fires once and returns to never, unless \"keep armed\" is on." }</p>
                    }
                    { for hit }
                </div>
            }
        </header>
    }
}
