//! The bar of an embedded view (`?embed=<view>`): play / pause, step, sim time, speed, the
//! breakpoint's note, and a link to the full playground with the same parameters.
//! Invariant: it only emits intents; the clock it shows is the snapshot's. The test hooks
//! are the full page's (`play`, `pause`, `step`, `sim-time`, `speed`, `speed-label`,
//! `breakpoint-hit`) plus `embed-open-full`.

use crate::sim::SimTime;
use crate::ui::components::el::AttrText;
use crate::ui::components::input_value;
use crate::ui::fmt;
use crate::ui::state::{bp_key, Action, BreakpointHit, Embed, SPEED_MAX};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub view: Embed,
    pub running: bool,
    pub speed_pos: u32,
    pub speed: f64,
    /// The speed actually reached, when the simulation cannot keep up with `speed`.
    pub achieved: Option<f64>,
    pub now: SimTime,
    /// Where the run last stopped at the breakpoint (cleared by Play / Step).
    pub hit: Option<BreakpointHit>,
    /// The full playground's URL (relative: `?…`), opened in a new tab.
    pub full_href: AttrValue,
    /// Play, pause, step and speed.
    pub on_action: Callback<Action>,
}

#[function_component(EmbedBar)]
pub fn embed_bar(p: &Props) -> Html {
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
    let speed_text = match p.achieved {
        Some(a) => format!("{} (at {})", fmt::speed(p.speed), fmt::speed(a)),
        None => fmt::speed(p.speed),
    };
    let hit = p.hit.as_ref().map(|h| {
        html! {
            <p class="note warn-note embed-hit" role="status" data-testid="breakpoint-hit" data-kind={bp_key(Some(h.kind))}
                data-seq={h.seq.attr()} data-ms={h.at.0.attr()}
                data-txn={h.txn.map(|t| t.0.to_string())} data-dc={h.dc.map(|d| d.0.to_string())} title={h.text.clone()}>
                <span class="clamp">{ h.text.clone() }</span>
            </p>
        }
    });
    html! {
        <>
            <header class="embed-bar" role="group" aria-label={format!("{} — run controls", p.view.title())}>
                if p.running {
                    <button class="primary" data-testid="pause" onclick={emit(Action::Pause)} title="Pause (space)">{ "❚❚ Pause" }</button>
                } else {
                    <button class="primary" data-testid="play" onclick={emit(Action::Play)} title="Play (space)">{ "▶ Play" }</button>
                }
                <button data-testid="step" onclick={emit(Action::Step)} title="Run exactly one event (s)">{ "Step" }</button>
                <span class="embed-time" data-testid="sim-time" data-ms={p.now.0.attr()} title="Simulated time since the start of the run">
                    { fmt::time(p.now) }
                </span>
                <label class="speed embed-speed" title="Simulated seconds per wall second (log scale)">
                    <input type="range" min="0" max={SPEED_MAX.to_string()} step="1" value={p.speed_pos.attr()}
                        data-testid="speed" aria-label="Speed" oninput={on_speed} />
                    <span class="speed-value" data-testid="speed-label" data-speed={format!("{:.4}", p.speed)}
                        data-achieved={p.achieved.map(|a| format!("{a:.4}"))}>{ speed_text }</span>
                </label>
                <a class="embed-full" data-testid="embed-open-full" href={p.full_href.clone()} target="_blank" rel="noopener"
                    title="Open the full playground — the same run and settings — in a new tab">
                    <span class="long">{ "Full playground " }</span>{ "↗" }
                </a>
            </header>
            { for hit }
        </>
    }
}
