//! The web glue the App owns: the wall clock, the document-wide keyboard listener (the
//! shortcuts, and `g` + a letter to move the focus to a part of the page) and the colour
//! theme on `<html>`.
//!
//! Invariants:
//! - This is the only place the UI reads a clock; the core's `Session` is given wall
//!   durations, never a clock.
//! - Every DOM step is fallible and skipped on failure (no panics); the key listener is
//!   removed when it is dropped (no `forget()`).

use crate::ui::state::{Action, Theme, PANEL_KEYS};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::Callback;

/// Wall-clock milliseconds (`performance.now()`, else `Date.now()`).
pub fn wall_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// The wall time between ticks.
pub struct WallClock {
    last: f64,
}

impl WallClock {
    pub fn new() -> WallClock {
        WallClock { last: wall_ms() }
    }

    /// Wall ms since the previous call (or `reset`); the clock moves on to now.
    pub fn lap(&mut self) -> f64 {
        let now = wall_ms();
        let dt = now - self.last;
        self.last = now;
        dt
    }

    /// Counts from now (Play: the time spent paused is not owed).
    pub fn reset(&mut self) {
        self.last = wall_ms();
    }
}

impl Default for WallClock {
    fn default() -> Self {
        WallClock::new()
    }
}

/// The keyboard shortcuts (`Action::of_key`), listened for on the whole document.
pub struct KeyListener {
    closure: Closure<dyn FnMut(web_sys::KeyboardEvent)>,
}

impl KeyListener {
    /// Listens for shortcuts and sends their actions to `to`; `None` if the page has no
    /// document to listen on.
    pub fn install(to: Callback<Action>) -> Option<KeyListener> {
        // `g` was pressed: the next key names a panel to jump to (`PANEL_KEYS`).
        let mut pending_g = false;
        let closure =
            Closure::<dyn FnMut(web_sys::KeyboardEvent)>::new(move |e: web_sys::KeyboardEvent| {
                // A control already acted on this key (Enter / Space on a DC, a link
                // handle or a ring key): it is not also a shortcut.
                if e.default_prevented() || e.ctrl_key() || e.meta_key() || e.alt_key() {
                    pending_g = false;
                    return;
                }
                // Typing in a field is not a shortcut; nor are Space and Enter on a
                // focused button (they press it). Escape still closes the help dialog
                // from its focused Close button.
                let tag = e
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .map(|el| el.tag_name())
                    .unwrap_or_default();
                let key = e.key();
                if matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT") && key != "Escape" {
                    pending_g = false;
                    return;
                }
                if std::mem::take(&mut pending_g) {
                    if let Some((_, sel, _)) = PANEL_KEYS.iter().find(|(k, _, _)| *k == key) {
                        e.prevent_default();
                        focus_panel(sel);
                        return;
                    }
                }
                if key == "g" {
                    pending_g = true;
                    return;
                }
                if tag == "BUTTON" && matches!(key.as_str(), " " | "Enter") {
                    return;
                }
                if let Some(a) = Action::of_key_with_shift(&key, e.shift_key()) {
                    e.prevent_default();
                    to.emit(a);
                }
            });
        let doc = web_sys::window().and_then(|w| w.document())?;
        doc.add_event_listener_with_callback("keydown", closure.as_ref().unchecked_ref())
            .ok()?;
        Some(KeyListener { closure })
    }
}

impl Drop for KeyListener {
    fn drop(&mut self) {
        if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
            let _ = doc.remove_event_listener_with_callback(
                "keydown",
                self.closure.as_ref().unchecked_ref(),
            );
        }
    }
}

fn focus_panel(selector: &str) {
    let Some(el) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten())
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    else {
        return;
    };
    if !el.has_attribute("tabindex") {
        let _ = el.set_attribute("tabindex", "-1");
    }
    let _ = el.focus();
}

/// Sets `data-theme` on `<html>` (none: follow the system).
pub fn apply_theme(theme: Theme) {
    let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    else {
        return;
    };
    let _ = match theme {
        Theme::Auto => root.remove_attribute("data-theme"),
        Theme::Light => root.set_attribute("data-theme", "light"),
        Theme::Dark => root.set_attribute("data-theme", "dark"),
    };
}

/// The page's URL without its fragment (what a share link is appended to).
pub fn page_url() -> String {
    let Some(loc) = web_sys::window().map(|w| w.location()) else {
        return String::new();
    };
    let href = loc.href().unwrap_or_default();
    match href.split_once('#') {
        Some((base, _)) => base.to_string(),
        None => href,
    }
}
