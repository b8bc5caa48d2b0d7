//! Keyboard shortcuts overlay: the shortcuts (`Action::of_key`), the panel jumps
//! (`PANEL_KEYS`) and how the map and the ring work from the keyboard.

use crate::ui::state::PANEL_KEYS;
use yew::prelude::*;

/// One shortcut: its keys (joined by " / "), words after the keys, what it does.
type Row = (&'static [&'static str], &'static str, &'static str);

/// The shortcuts, in the order shown; the panel jumps go after the first
/// `ROWS_BEFORE_JUMPS`.
const ROWS: &[Row] = &[
    (&["space"], "", "play / pause"),
    (&["s"], "", "step: run exactly one event (pauses)"),
    (&["+", "-"], "", "faster / slower (×2 per press)"),
    (&["←", "→"], "", "one event back / forward (pauses)"),
    (&["Shift+←", "Shift+→"], "", "one simulated second back / forward"),
    (&["←", "→"], " in a lesson", "previous / next step while a lesson is open (in the timeline bar they still move the run); Esc leaves the lesson"),
    (&["Home", "End"], "", "start of the run / end of the branch"),
    (&["?"], "", "show / hide this list"),
    (&["Esc"], "", "close this list"),
    (&["Tab", "⇧ Tab"], "", "next / previous control: on the map, each DC, then each link direction's handle"),
    (&["Enter", "space"], "", "on a DC: focus it; on a link handle: cut / heal that direction; on a ring key: show its replicas"),
    (&["←", "→"], "", "on the ring: previous / next key; on a tab: previous / next tab"),
];
const ROWS_BEFORE_JUMPS: usize = 9;

fn row(r: &Row) -> Html {
    keys_row(r.0, " / ", r.1, r.2.into())
}

/// `<tr><th><kbd>k1</kbd>sep<kbd>k2</kbd>after</th><td>what</td></tr>`.
fn keys_row(
    keys: &[&'static str],
    sep: &'static str,
    after: &'static str,
    what: AttrValue,
) -> Html {
    let keys = keys.iter().enumerate().map(|(i, k)| {
        html! { <>if i > 0 { { sep } }<kbd>{ *k }</kbd></> }
    });
    html! {
        <tr><th>{ for keys }if !after.is_empty() { { after } }</th><td>{ what }</td></tr>
    }
}

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
    let jumps = PANEL_KEYS
        .iter()
        .map(|(k, _, what)| keys_row(&["g", k], " ", "", format!("jump to the {what}").into()));
    html! {
        <div class="overlay" data-testid="help" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts">
            <div class="dialog">
                <h2>{ "Keyboard shortcuts" }</h2>
                <table class="keys">
                    { for ROWS[..ROWS_BEFORE_JUMPS].iter().map(row) }
                    { for jumps }
                    { for ROWS[ROWS_BEFORE_JUMPS..].iter().map(row) }
                </table>
                <p class="caption">{ "Shortcuts are off while typing in a field. A screen reader hears DCs going down or up, failovers, transactions in doubt and checker violations (at most one message every 2 s)." }</p>
                <button class="primary" ref={close_ref} onclick={close}>{ "Close" }</button>
            </div>
        </div>
    }
}
