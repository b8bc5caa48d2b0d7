//! Keyboard shortcuts overlay.

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
                    <tr><th><kbd>{ "Home" }</kbd>{ " / " }<kbd>{ "End" }</kbd></th><td>{ "start of the run / end of the branch" }</td></tr>
                    <tr><th><kbd>{ "?" }</kbd></th><td>{ "show / hide this list" }</td></tr>
                    <tr><th><kbd>{ "Esc" }</kbd></th><td>{ "close this list" }</td></tr>
                </table>
                <p class="caption">{ "Shortcuts are off while typing in a field." }</p>
                <button class="primary" onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
