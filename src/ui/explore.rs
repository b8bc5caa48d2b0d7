//! The explorer off the page's thread: the `#[wasm_bindgen]` entries a Web Worker calls
//! (`explore_worker_start`, `explore_worker_step`) and the page's side of it (`Driver`): a
//! plain (classic) worker made from a Blob that loads the SAME wasm-bindgen output as the page
//! (the glue trunk emits, found through its `modulepreload` link; in the one-file page the
//! glue text and wasm bytes `scripts/single.mjs` leaves in `window.__tablestoreSources`),
//! runs `explore_some` in slices of ~50 ms and posts each report. Cancel terminates it.
//! Where no worker can start, the same run goes in slices between frames on the page's
//! thread (`Driver::Local`), and the panel says so.
//!
//! Invariants:
//! - The worker's instance of the wasm never mounts the app (`ui::start` returns without a
//!   window) and holds at most one run; the page holds at most one worker.
//! - Reports cross `postMessage` as plain objects (serde-wasm-bindgen), the core's
//!   `ExploreReport` on both sides.

use crate::sim::explore::api::{ExploreConfig, ExploreReport, ExploreRun};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    /// The worker's run (a worker's wasm instance has its own).
    static RUN: RefCell<Option<ExploreRun>> = const { RefCell::new(None) };
}

/// What the worker posts after each slice (and the local driver produces).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Slice {
    /// The report so far.
    pub report: ExploreReport,
    /// The wasm instance's linear memory now (it only grows: its peak), bytes.
    pub wasm_bytes: f64,
}

fn wasm_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}

/// Worker entry: starts a run of `config` (an `ExploreConfig` object); `Some(message)` if
/// it is refused.
#[wasm_bindgen]
pub fn explore_worker_start(config: JsValue) -> Option<String> {
    let cfg: ExploreConfig = match serde_wasm_bindgen::from_value(config) {
        Ok(c) => c,
        Err(e) => return Some(format!("Bad explore configuration: {e}")),
    };
    match ExploreRun::new(&cfg) {
        Ok(run) => {
            RUN.with(|r| *r.borrow_mut() = Some(run));
            None
        }
        Err(e) => Some(e),
    }
}

/// Runs the current run for about `slice_ms` of wall time (at least one small budget);
/// returns a `Slice` object, or `null` with no run.
fn step_for(run: &mut ExploreRun, slice_ms: f64) -> ExploreReport {
    let t0 = js_sys::Date::now();
    loop {
        let r = run.step(64);
        if r.done || js_sys::Date::now() - t0 >= slice_ms {
            return r;
        }
    }
}

/// Worker entry: one slice of the run (see `step_for`), as a `Slice` object.
#[wasm_bindgen]
pub fn explore_worker_step(slice_ms: f64) -> JsValue {
    let report = RUN.with(|r| r.borrow_mut().as_mut().map(|run| step_for(run, slice_ms)));
    match report {
        Some(report) => to_js(&Slice {
            report,
            wasm_bytes: wasm_bytes(),
        }),
        None => JsValue::NULL,
    }
}

fn to_js<T: serde::Serialize>(v: &T) -> JsValue {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

/// The worker's script: loads the page's wasm-bindgen output, then runs slices until
/// the run is done, posting each.
const WORKER_JS: &str = r#"
self.onmessage = async (e) => {
  const m = e.data;
  try {
    let b;
    if (m.glueText) {
      b = new Function(m.glueText)();
      await b.init({ module_or_path: m.wasm });
    } else {
      b = await import(m.glueUrl);
      await b.default({ module_or_path: m.wasmUrl });
    }
    const err = b.explore_worker_start(m.config);
    if (err) { postMessage({ type: "refused", message: err }); return; }
    const loop = () => {
      const s = b.explore_worker_step(50);
      postMessage({ type: "slice", slice: s });
      if (s && !s.report.done) setTimeout(loop, 0);
    };
    loop();
  } catch (err) {
    postMessage({ type: "failed", message: String((err && err.stack) || err) });
  }
};
"#;

/// What the driver tells the panel.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    Slice(Box<Slice>),
    /// The configuration was refused (a sentence).
    Refused(String),
    /// The worker could not load the wasm: the panel falls back to the page's thread.
    WorkerFailed(String),
}

/// A running exploration: in a worker, or in slices on this thread.
pub enum Driver {
    Worker {
        worker: web_sys::Worker,
        _onmessage: Closure<dyn FnMut(web_sys::MessageEvent)>,
        _onerror: Closure<dyn FnMut(web_sys::Event)>,
    },
    Local {
        stop: Rc<RefCell<bool>>,
    },
}

impl Drop for Driver {
    fn drop(&mut self) {
        match self {
            Driver::Worker { worker, .. } => worker.terminate(),
            Driver::Local { stop } => *stop.borrow_mut() = true,
        }
    }
}

/// Where the worker finds the wasm-bindgen output: `(glue URL, wasm URL)` from trunk's
/// preload links, or the one-file page's `window.__tablestoreSources` `{ glue, wasm }`.
fn sources(msg: &js_sys::Object) -> Result<(), String> {
    let win = web_sys::window().ok_or("no window")?;
    let doc = win.document().ok_or("no document")?;
    let set = |k: &str, v: &JsValue| {
        let _ = js_sys::Reflect::set(msg, &k.into(), v);
    };
    let href = |sel: &str| -> Option<String> {
        doc.query_selector(sel)
            .ok()
            .flatten()
            .and_then(|el| el.dyn_into::<web_sys::HtmlLinkElement>().ok())
            .map(|l| l.href())
    };
    if let (Some(glue), Some(wasm)) = (
        href("link[rel=modulepreload][href*=tablestore-playground]"),
        href("link[rel=preload][href$='.wasm']"),
    ) {
        set("glueUrl", &glue.into());
        set("wasmUrl", &wasm.into());
        return Ok(());
    }
    let src = js_sys::Reflect::get(&win, &"__tablestoreSources".into()).unwrap_or_default();
    if src.is_object() {
        let glue = js_sys::Reflect::get(&src, &"glue".into()).unwrap_or_default();
        let wasm = js_sys::Reflect::get(&src, &"wasm".into()).unwrap_or_default();
        if glue.is_string() && !wasm.is_undefined() {
            set("glueText", &glue);
            set("wasm", &wasm);
            return Ok(());
        }
    }
    Err("the page's wasm files are not found (no trunk preload links)".into())
}

impl Driver {
    /// Starts `cfg` in a Web Worker; `Err` (a sentence) if no worker can be made here.
    pub fn worker(cfg: &ExploreConfig, on: yew::Callback<Event>) -> Result<Driver, String> {
        let msg = js_sys::Object::new();
        sources(&msg)?;
        let _ = js_sys::Reflect::set(&msg, &"config".into(), &to_js(cfg));
        let parts = js_sys::Array::of1(&JsValue::from_str(WORKER_JS));
        let opts = web_sys::BlobPropertyBag::new();
        opts.set_type("text/javascript");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &opts)
            .map_err(|e| format!("{e:?}"))?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(|e| format!("{e:?}"))?;
        // A classic worker (it still has dynamic `import()`): a module worker from a blob:
        // URL does not load in a page opened from disk (its origin is opaque).
        let worker = web_sys::Worker::new(&url).map_err(|e| format!("{e:?}"))?;
        let _ = web_sys::Url::revoke_object_url(&url);
        let on_error = on.clone();
        let onmessage =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                let data = e.data();
                let get = |k: &str| js_sys::Reflect::get(&data, &k.into()).unwrap_or_default();
                let text = |k: &str| get(k).as_string().unwrap_or_default();
                match text("type").as_str() {
                    "slice" => match serde_wasm_bindgen::from_value::<Slice>(get("slice")) {
                        Ok(s) => on.emit(Event::Slice(Box::new(s))),
                        Err(err) => on.emit(Event::WorkerFailed(err.to_string())),
                    },
                    "refused" => on.emit(Event::Refused(text("message"))),
                    _ => on.emit(Event::WorkerFailed(text("message"))),
                }
            });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        // A worker that cannot load its script says so only by an error event.
        let onerror = Closure::<dyn FnMut(web_sys::Event)>::new(move |e: web_sys::Event| {
            e.prevent_default();
            let text = js_sys::Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "the worker could not start".to_string());
            on_error.emit(Event::WorkerFailed(text));
        });
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        worker.post_message(&msg).map_err(|e| format!("{e:?}"))?;
        Ok(Driver::Worker {
            worker,
            _onmessage: onmessage,
            _onerror: onerror,
        })
    }

    /// Runs `cfg` on this thread, one ~8 ms slice per animation frame.
    pub fn local(cfg: &ExploreConfig, on: yew::Callback<Event>) -> Driver {
        let stop = Rc::new(RefCell::new(false));
        match ExploreRun::new(cfg) {
            Ok(run) => {
                let run = Rc::new(RefCell::new(run));
                schedule_local(run, stop.clone(), on);
            }
            Err(e) => on.emit(Event::Refused(e)),
        }
        Driver::Local { stop }
    }
}

fn schedule_local(run: Rc<RefCell<ExploreRun>>, stop: Rc<RefCell<bool>>, on: yew::Callback<Event>) {
    let Some(win) = web_sys::window() else {
        return;
    };
    let cb = Closure::once_into_js(move || {
        if *stop.borrow() {
            return;
        }
        let report = step_for(&mut run.borrow_mut(), 8.0);
        let done = report.done;
        on.emit(Event::Slice(Box::new(Slice {
            report,
            wasm_bytes: wasm_bytes(),
        })));
        if !done {
            schedule_local(run, stop, on);
        }
    });
    let _ = win.request_animation_frame(cb.unchecked_ref());
}
