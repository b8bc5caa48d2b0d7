//! Keyboard shortcuts overlay: the shortcuts (`Action::of_key`), the panel jumps
//! (`PANEL_KEYS`) and how the map and the ring work from the keyboard.

use crate::ui::state::PANEL_KEYS;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub on_close: Callback<()>,
}

#[function_component(Help)]
pub fn help(p: &Props) -> Html {
    let close = {
        let cb = p.on_close.clone();
        Callback::from(move |_: MouseEvent| cb.emit(()))
    };
    // The dialog takes the focus when it opens, so a keyboard user is in it.
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            if let Some(b) = close_ref.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
        });
    }
    let jumps = PANEL_KEYS.iter().map(|(k, _, what)| {
        html! { <tr key={*k}><th><kbd>{ "g" }</kbd>{ " " }<kbd>{ *k }</kbd></th><td>{ format!("jump to the {what}") }</td></tr> }
    });
    html! {
        <div class="overlay" data-testid="help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
            <div class="dialog">
                <h2>{ "Keyboard shortcuts" }</h2>
                <table class="keys">
                    <tr><th><kbd>{ "space" }</kbd></th><td>{ "play / pause" }</td></tr>
                    <tr><th><kbd>{ "s" }</kbd></th><td>{ "step: run exactly one event (pauses)" }</td></tr>
                    <tr><th><kbd>{ "+" }</kbd>{ " / " }<kbd>{ "-" }</kbd></th><td>{ "faster / slower (×2 per press)" }</td></tr>
                    <tr><th><kbd>{ "←" }</kbd>{ " / " }<kbd>{ "→" }</kbd></th><td>{ "one event back / forward (pauses)" }</td></tr>
                    <tr><th><kbd>{ "Shift+←" }</kbd>{ " / " }<kbd>{ "Shift+→" }</kbd></th><td>{ "one simulated second back / forward" }</td></tr>
                    <tr><th><kbd>{ "←" }</kbd>{ " / " }<kbd>{ "→" }</kbd>{ " in a lesson" }</th><td>{ "previous / next step while a lesson is open (in the timeline bar they still move the run); Esc leaves the lesson" }</td></tr>
                    <tr><th><kbd>{ "Home" }</kbd>{ " / " }<kbd>{ "End" }</kbd></th><td>{ "start of the run / end of the branch" }</td></tr>
                    <tr><th><kbd>{ "?" }</kbd></th><td>{ "show / hide this list" }</td></tr>
                    <tr><th><kbd>{ "Esc" }</kbd></th><td>{ "close this list" }</td></tr>
                    { for jumps }
                    <tr><th><kbd>{ "Tab" }</kbd>{ " / " }<kbd>{ "⇧ Tab" }</kbd></th><td>{ "next / previous control: on the map, each DC, then each link direction's handle" }</td></tr>
                    <tr><th><kbd>{ "Enter" }</kbd>{ " / " }<kbd>{ "space" }</kbd></th><td>{ "on a DC: focus it; on a link handle: cut / heal that direction; on a ring key: show its replicas" }</td></tr>
                    <tr><th><kbd>{ "←" }</kbd>{ " / " }<kbd>{ "→" }</kbd></th><td>{ "on the ring: previous / next key; on a tab: previous / next tab" }</td></tr>
                </table>
                <p class="caption">{ "Shortcuts are off while typing in a field. A screen reader hears DCs going down or up, failovers, transactions in doubt and checker violations (at most one message every 2 s)." }</p>
                <button class="primary" ref={close_ref} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
