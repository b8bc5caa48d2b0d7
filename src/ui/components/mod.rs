//! Views. Invariants: each receives snapshot pieces as props (`Rc`, compared by pointer)
//! and narrow callbacks the App made once (or one `Callback<Action>` for a panel that
//! issues many actions); none imports `app` or holds simulation state of its own, only
//! UI state (drafts of form fields, hover, filters).

pub mod announcer;
pub mod controls;
pub mod data;
pub mod dcs;
pub mod el;
pub mod embed;
pub mod explore;
pub mod findings;
pub mod help;
pub mod lessons;
pub mod log;
pub mod lookup;
pub mod map;
pub mod matrix;
pub mod metrics;
pub mod operate;
pub mod ring;
pub mod settings;
pub mod tabs;
pub mod timeline;
pub mod txn;

use yew::prelude::*;

/// The feedback line next to a control: nothing, a success, or an error.
pub fn note_view(note: &crate::ui::state::Note, testid: &'static str) -> Html {
    match note {
        None => html! {},
        Some(Ok(t)) => {
            html! { <p class="note ok" role="status" data-testid={format!("{testid}-ok")}>{ t.clone() }</p> }
        }
        Some(Err(t)) => {
            html! { <p class="note err" role="alert" data-testid={testid}>{ t.clone() }</p> }
        }
    }
}

/// Value of the input/select/textarea an event came from.
pub fn input_value(e: &Event) -> String {
    use wasm_bindgen::JsCast;
    let Some(t) = e.target() else {
        return String::new();
    };
    if let Some(i) = t.dyn_ref::<web_sys::HtmlInputElement>() {
        return i.value();
    }
    if let Some(s) = t.dyn_ref::<web_sys::HtmlSelectElement>() {
        return s.value();
    }
    if let Some(a) = t.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        return a.value();
    }
    String::new()
}

/// Checked state of the checkbox an event came from.
pub fn input_checked(e: &Event) -> bool {
    use wasm_bindgen::JsCast;
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}
