//! The web glue the App owns: the wall clock, the frame loop (`Frames`:
//! `requestAnimationFrame`, a timer while the tab is hidden), the document-wide keyboard
//! listener (the shortcuts, and `g` + a letter to move the focus to a part of the page)
//! and the colour theme on `<html>`.
//!
//! Invariants:
//! - This is the only place the UI reads a clock; the core's `Session` is given wall
//!   durations, never a clock.
//! - Every DOM step is fallible and skipped on failure (no panics); the key listener is
//!   removed when it is dropped (no `forget()`), and so is the frame loop.

use crate::ui::pairs::Pairs;
use crate::ui::state::{Action, Theme, PANEL_KEYS};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
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
                let in_field = matches!(tag.as_str(), "INPUT" | "TEXTAREA" | "SELECT");
                // Escape in a field (Operate's key, a setting) dismisses what the learner
                // was typing, not the lesson they are following.
                if in_field && (key != "Escape" || lesson_open()) {
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
                // While a lesson is open, ← / → move between its steps unless the focus
                // is in the timeline bar (where they move the run one event).
                if !e.shift_key()
                    && matches!(key.as_str(), "ArrowLeft" | "ArrowRight")
                    && lesson_open()
                {
                    let in_timeline = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|el| el.closest(".timeline-bar").ok().flatten())
                        .is_some();
                    if !in_timeline {
                        e.prevent_default();
                        to.emit(Action::LessonKey(key == "ArrowRight"));
                        return;
                    }
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

/// Whether the lesson narration panel is on the page.
fn lesson_open() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("[data-testid=lesson-step]").ok().flatten())
        .is_some()
}

/// The class that marks what a lesson step points at.
pub const FOCUS_CLASS: &str = "lesson-focus";

/// Marks exactly the elements matching `selectors` with `FOCUS_CLASS` (and unmarks the
/// rest). Called after every render: a component that re-renders its element's class
/// drops the mark, and the next call puts it back.
pub fn highlight(selectors: &[String]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let want: Vec<web_sys::Element> = selectors
        .iter()
        .filter_map(|s| doc.query_selector_all(s).ok())
        .flat_map(|list| {
            (0..list.length())
                .filter_map(move |i| list.item(i))
                .filter_map(|n| n.dyn_into::<web_sys::Element>().ok())
        })
        .collect();
    if let Ok(old) = doc.query_selector_all(&format!(".{FOCUS_CLASS}")) {
        for i in 0..old.length() {
            if let Some(el) = old
                .item(i)
                .and_then(|n| n.dyn_into::<web_sys::Element>().ok())
            {
                if !want.iter().any(|w| w == &el) {
                    let _ = el.class_list().remove_1(FOCUS_CLASS);
                }
            }
        }
    }
    for el in want {
        if !el.class_list().contains(FOCUS_CLASS) {
            let _ = el.class_list().add_1(FOCUS_CLASS);
        }
    }
}

/// The localStorage key of the lessons' progress: a JSON object, lesson id → step
/// (0-based) last shown.
const PROGRESS_KEY: &str = "tablestore.lessons.progress";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The stored progress, `{"<lesson id>": <step>, …}`, in key order; empty if storage is
/// off or the entry is not such an object. Read with the browser's `JSON` rather than
/// serde_json into a `BTreeMap`: that map type and its (de)serializers were in the page's
/// wasm for this alone (issue 8).
fn stored_progress(s: &web_sys::Storage) -> Pairs<String, usize> {
    let mut out = Pairs::default();
    let Some(text) = s.get_item(PROGRESS_KEY).ok().flatten() else {
        return out;
    };
    let Ok(v) = js_sys::JSON::parse(&text) else {
        return out;
    };
    if !v.is_object() || js_sys::Array::is_array(&v) {
        return out;
    }
    for e in js_sys::Object::entries(v.unchecked_ref()).iter() {
        let pair: js_sys::Array = e.unchecked_into();
        let (Some(k), Some(n)) = (pair.get(0).as_string(), pair.get(1).as_f64()) else {
            return Pairs::default();
        };
        // One broken value makes the whole entry broken, as the typed parse it replaces.
        if !(n >= 0.0 && n.fract() == 0.0 && n <= f64::from(u32::MAX)) {
            return Pairs::default();
        }
        out.insert(k, n as usize);
    }
    out
}

/// The step last shown of lesson `id`, if storage holds one.
pub fn load_step(id: &str) -> Option<usize> {
    storage().and_then(|s| stored_progress(&s).get(id).copied())
}

/// Remembers that lesson `id` is at `step` (0-based); silently skipped without storage.
/// Written in key order, as `{"a":1,"b":0}` (what serde_json wrote for the same map).
pub fn save_progress(id: &str, step: usize) {
    let Some(s) = storage() else {
        return;
    };
    let mut all = stored_progress(&s);
    all.insert(id.to_string(), step);
    let obj = js_sys::Object::new();
    for (k, v) in all.iter() {
        let _ = js_sys::Reflect::set(&obj, &k.into(), &(*v as f64).into());
    }
    if let Some(text) = js_sys::JSON::stringify(&obj)
        .ok()
        .and_then(|t| t.as_string())
    {
        let _ = s.set_item(PROGRESS_KEY, &text);
    }
}

/// Without an animation frame for this long (a background tab, where browsers stop
/// `requestAnimationFrame`), a plain timer ticks instead (throttled there to about 1 Hz;
/// the core's pacing caps one tick's wall Δt, so the run resumes gently).
const FALLBACK_MS: u32 = 250;

/// Calls `on_frame` once per animation frame (`requestAnimationFrame`), so a tick's work
/// (simulate, snapshot, render) starts as a frame starts and lands in that frame, and
/// falls back to a timer while no frames come; both stop when this is dropped.
pub struct Frames {
    inner: Rc<FramesInner>,
    _fallback: gloo_timers::callback::Interval,
}

struct FramesInner {
    /// The pending request, to cancel on drop.
    id: Cell<Option<i32>>,
    /// When `on_frame` last ran (wall ms).
    last: Cell<f64>,
    closure: RefCell<Option<Closure<dyn FnMut(f64)>>>,
}

impl FramesInner {
    fn request(&self) {
        let id = match (web_sys::window(), self.closure.borrow().as_ref()) {
            (Some(w), Some(c)) => w.request_animation_frame(c.as_ref().unchecked_ref()).ok(),
            _ => None,
        };
        self.id.set(id);
    }
}

impl Frames {
    /// Starts calling `on_frame` every frame.
    pub fn start(on_frame: impl Fn() + 'static) -> Frames {
        let on_frame = Rc::new(on_frame);
        let inner = Rc::new(FramesInner {
            id: Cell::new(None),
            last: Cell::new(wall_ms()),
            closure: RefCell::new(None),
        });
        // The closures hold the state weakly: dropping `Frames` ends both loops.
        let weak = Rc::downgrade(&inner);
        let f = on_frame.clone();
        let closure = Closure::<dyn FnMut(f64)>::new(move |_: f64| {
            if let Some(inner) = weak.upgrade() {
                inner.last.set(wall_ms());
                f();
                inner.request();
            }
        });
        *inner.closure.borrow_mut() = Some(closure);
        inner.request();
        let weak = Rc::downgrade(&inner);
        let fallback = gloo_timers::callback::Interval::new(FALLBACK_MS, move || {
            if let Some(inner) = weak.upgrade() {
                let now = wall_ms();
                if now - inner.last.get() >= FALLBACK_MS as f64 {
                    inner.last.set(now);
                    on_frame();
                }
            }
        });
        Frames {
            inner,
            _fallback: fallback,
        }
    }
}

impl Drop for Frames {
    fn drop(&mut self) {
        if let (Some(w), Some(id)) = (web_sys::window(), self.inner.id.take()) {
            let _ = w.cancel_animation_frame(id);
        }
        self.inner.closure.borrow_mut().take();
    }
}
