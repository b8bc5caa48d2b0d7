//! The browser playground: Yew components that draw simulation snapshots and send intents.
//!
//! Module tree (imports run one way: `app` → `components` → `state` → `fmt` → the core;
//! `web` is used by `app` only):
//! - `app`: the one component that owns the run (the core's `Session`) and reduces
//!   `state::Action`s; it also owns the web glue from `web` (frame loop, clock, keys).
//! - `state`: what components share — `Action`, `Tab`, `Embed`, `Origin`, `Note`, `Theme`,
//!   `BreakpointHit`, the snapshot pieces (`Topo`, `RingView`, …), `ViewState`, and the
//!   page's own URL parameters (`state::url`: `embed`, `tab`, `speed`, `pause_at`, `play`).
//! - `components`: one view per file; props are snapshot pieces and narrow callbacks.
//! - `pairs`: a few-entry map as a sorted `Vec` (instead of a `BTreeMap` per key type).
//! - `fmt`: text and colour helpers; `web`: wall clock, key listener, theme attribute,
//!   the page URL.
//! - `js_api`: `window.tablestore` (docs/JS_API.md), plain-object views of the core's
//!   snapshot and key lookup for scripts; used by `app` only, reads `state` and `fmt`.
//!
//! Invariants:
//! - Only `app::App` owns the `Session` (and through it the `Sim`); `js_api`'s closures,
//!   which the App owns too, only read it. Every other component
//!   receives read-only snapshot pieces (`Rc`, compared with `Rc::ptr_eq`) and sends
//!   `Action`s or calls narrow callbacks; none imports `app` or reaches into the core.
//! - The page ticks every animation frame, simulating in one and drawing in the next; it
//!   takes at most one snapshot and renders at most once per drawing frame; slow-changing pieces (events, txns, metrics, findings, ring)
//!   keep the same `Rc` while their content is unchanged, so their components skip
//!   rendering; while the run plays, the side table and the tab panels take new pieces at
//!   most every 250 ms (stretched to a second while they make frames late: `PanelPace`),
//!   the map and the controls every drawing frame.
//! - Bad input never changes the running simulation: it is parsed and validated with the
//!   core's parsers first (`fields::FIELDS` for settings), and the message is shown next
//!   to the input.
//!
//! DOM contract (`data-testid` hooks used by tests/web.rs and e2e/run.mjs):
//!
//! | testid                    | what                                                         |
//! |---------------------------|--------------------------------------------------------------|
//! | `app`                     | root element; `data-embed` = the embedded view (`?embed=<view>`), absent on the whole page |
//! | `embed-<view>`            | the view's box of an embed (map, ring, txn, data, metrics): the one view shown, with no header, tabs or side panel; it scrolls or scales inside itself |
//! | `embed-open-full`         | an embed's link to the full playground: the same URL parameters without `embed` (plus `tab=<view>`), `target=_blank` |
//! | `error`                   | global error banner (URL errors, refused commands, panics); present only on errors |
//! | `error-dismiss`           | closes the banner (not for panics)                           |
//! | `sim-time`                | sim time; `data-ms` = integer ms                             |
//! | `seed`                    | the run's seed (text)                                        |
//! | `bugs-badge`              | only when the run carries seeded bugs (a scenario / link with `bugs`, an explorer counterexample, a lesson): "seeded bug: " + the flag names, comma-separated |
//! | `play` / `pause` / `step` | controls; `step` runs exactly one event (`Sim::step`); an embed has them too (and `sim-time`, `speed`, `speed-label`, `breakpoint-hit`) |
//! | `speed`                   | range input 0..=1000; speed = 0.05 × 1000^(value/1000) (500 ≈ 1.58×, 434 ≈ 1×) |
//! | `speed-label`             | the speed as text, `data-speed` = the factor                 |
//! | `timeline`                | the scrubber: range over the current branch's simulated ms, value = now, `data-max` = the branch's end (ms), `data-ms` = now, `data-events` = events run by now; input seeks (and pauses) |
//! | `timeline-marker-<i>`     | a marker on the scrubber, in time order (at most `markers::MARKERS_PER_KIND` per kind); `data-kind` = command \| fault \| failover \| decision \| finding, `data-ms`; click seeks there |
//! | `branch`                  | the current branch's name (`main`, `fork 1`, …)              |
//! | `branch-select`           | picks the current branch (an option per branch, value = its name); present only with several branches |
//! | `fork-note`               | after acting in the past: which branch started and which one keeps the old future (until the next seek) |
//! | `trace-hash`              | the run's trace hash up to now, 16 hex digits                |
//! | `share-link`              | button: puts a share link to the run at now into `share-url` |
//! | `share-url`               | readonly input: the page URL + `#run=<link>` (docs/LINKS.md); empty until `share-link` |
//! | `finding-link-<i>`        | in finding `<i>`: puts a share link to the run at the finding's instant into `share-url` |
//! | `dc-<id>`                 | a DC on the map (`<g>`); `data-state` = up \| down; with a DC selected, `data-seen` = alive \| suspect \| dead (the selected DC's own view); `role=button`, `tabindex=0`, `aria-label` "us-east, up, 13 rows, primary of 2 shards[, …]", `aria-pressed` = selected; Enter / Space select it like a click |
//! | `toggle-<id>`             | kill / revive DC `<id>`                                      |
//! | `view-<obs>-<target>`     | detector matrix cell; `data-view` = alive \| suspect \| dead \| unknown (observer down) |
//! | `link-<from>-<to>`        | a link direction's lane on the map; `data-cut` = true \| false; a (dispatched) click toggles; the pointer goes through it (lanes overlap), to `lane-hit-<from>-<to>` |
//! | `lane-hit-<from>-<to>`    | the direction's handle, its click target (an arrow near `<from>` pointing to `<to>`): click, Enter or Space cuts / heals it; `role=button`, `tabindex=0`, `aria-label` "link us-east → eu-central, 91 ms, up \| cut", `aria-pressed` = cut; placed so that no two overlap and none lies under a DC (tested on the 5- and 8-DC maps); class `cut` when cut; all directions with up to 8 DCs, beyond that the selected DC's |
//! | `circle.msg` (no testid)   | a message in flight on the map; its kind is a CSS class (`fmt::msg_class`) |
//! | `tab-<name>`              | panel tabs: ring, txn, data, metrics, log, findings, settings, operate, explore |
//! | `explore`                 | the Explore panel (docs/EXPLORE.md); mounted always, hidden on other tabs, so a run goes on |
//! | `explore-preset`          | select: `real-small`, `real-issue` (the configuration) or `bug:<name>` (each seeded bug, its own configuration) |
//! | `explore-field-<f>`       | the fields over the preset: dcs, keys, txns, writes, crashes, cuts, max_states |
//! | `explore-error`           | why the fields were refused (a sentence naming the field); present only then |
//! | `explore-about`           | the preset in one sentence                                   |
//! | `explore-run`             | Run, or Cancel while exploring; `data-running` = true \| false |
//! | `explore-states`          | progress: `data-states`, `data-done` = true \| false, `data-truncated` = true \| false (stopped at the state limit: not exhaustive), `data-depth`, `data-seconds`, `data-cancelled`, `data-wasm-bytes` (the exploring wasm instance's memory), `data-preset`; present once a run started |
//! | `explore-mode`            | where it runs: `data-mode` = worker \| page (no worker could start: slices between frames) |
//! | `explore-property-<name>` | a property's result: `data-result` = holds \| violated \| reached \| unreached |
//! | `explore-counterexample`  | the first violation's shortest path: `data-property`, `data-steps`, `data-loaded` = it was opened in the timeline |
//! | `explore-diagram`, `explore-step-<i>` | its per-DC sequence diagram; a step row has `data-ms` (its instant) |
//! | `explore-load`, `explore-replay-link` | open it in the timeline again; the page URL + `#run=<link>&bug=<name>` |
//! | `explore-no-scenario`     | why a counterexample cannot be replayed (untimed delivery order or a chosen loss) |
//! | `placement-toggle`        | switch Modulo ↔ Ring; `data-placement` = modulo \| ring      |
//! | `add-dc` / `remove-dc-<id>` | membership changes                                         |
//! | `moved-rows`              | last move report over the stored keys: `data-keys` keys, `data-moved` changed owner in that change; `data-modulo` / `data-ring` would change owner under modulo / the ring for its member change alone (0 for a strategy switch); `data-from` / `data-to` = modulo \| ring |
//! | `admin-waiting`           | a layout change waiting for open transactions (present only while it waits) |
//! | `ring-key-<key>`          | a key on the ring (click, Enter or Space to select); `role=button`, `aria-pressed` = picked; one key has `tabindex=0` (the others -1), the arrows move the focus along the ring |
//! | `announcer`               | the polite live region (`role=status`, visually hidden): DC down / up, failovers with the new primary, transactions in doubt, checker violations; at most one message per 2 s, coalesced; `data-count` = messages said |
//! | `key-lookup`              | the placement tab's key lookup: a text input (the partition key); `key-lookup-table` selects the table |
//! | `key-lookup-result`       | where the typed key lives now (`Sim::lookup`): `data-sha1` (40 hex digits), `data-owner`, `data-replicas` (space-separated DC ids, owner first), `data-primary` (current primary), `data-shard`, `data-placement` = modulo \| ring; absent when the key is refused |
//! | `key-lookup-copy-<dc>`    | a replica's row in the lookup; `data-version` = `<term>.<index>` of its newest row of the key, or `none`; `data-up` = true \| false |
//! | `key-lookup-error`        | why there is no result (empty or overlong key, unknown table), in place of `key-lookup-result` |
//! | `txn-<id>`                | a transaction in the 2PC list; `data-state` = coordinator state, `data-status` = its one outcome (`TxnTrace::status`: pending \| indoubt \| committed \| aborted), `data-coordinator` |
//! | `txn-list`                | the 2PC list, newest first; `data-held` = "true" while its order is held (pointer over it) |
//! | `txn-list-new`            | how many transactions arrived while the list's order was held (shown then only) |
//! | `txn-part-<txn>-<dc>`     | participant badge; `data-state` = prepared \| indoubt \| committed \| aborted \| none |
//! | `txn-diagram`             | the sequence diagram of the selected transaction; no two of its labels overlap |
//! | `txn-loop-<i>`            | in the diagram, message `<i>` of the transaction's trace sent by a DC to itself, drawn as a loop (class `loop`) |
//! | `txn-panel`               | the 2PC tab's panel: a fixed height whatever the transactions (the list and the diagram scroll inside) |
//! | `data-table-<table>`      | data view table (table index)                                |
//! | `data-key-<table>-<pk>`   | a data view row; `data-primary` = the DC the current epoch names (may be down), `data-live-primary` = that DC if it is up, else `none` (the ★ and the owner column), `data-epoch` = the shard's epoch term; its copy cells (`td.cell`) have `data-dc`, `data-version` = `<term>.<index>` or `none` (no copy), `data-stale` = entries behind \| `down` \| `missing` |
//! | `dc-row-<id>`             | a row of the DC table; `data-state` = up \| down, `data-primaries` (live primary of N shards, 0 while down), `data-in-doubt`, `data-prepared`, `data-locks` (`Sim::dc_loads`) |
//! | `breakpoint`              | select "pause at": `none` \| `txn-decision` \| `failover` \| `finding` \| `write-acked` \| `prepare-sent` (the values of `?pause_at=`); its value and `data-armed` are the breakpoint armed now: a hit disarms it (back to `none`) unless kept armed |
//! | `breakpoint-keep`         | checkbox "keep armed": the breakpoint stays armed after each hit |
//! | `breakpoint-hit`          | why the run paused at the breakpoint; `data-kind` (as above), `data-seq`, `data-ms`, `data-txn`, `data-dc` |
//! | `metrics`                 | the metrics panel                                            |
//! | `log`, `log-entry-<seq>`  | event log and its entries; `log-dc`, `log-cat-<category>`, `log-heartbeats` filters |
//! | `findings`, `finding-<i>` | invariant checker findings; `data-kind` = FindingKind label  |
//! | `settings-apply`, `settings-error`, `field-<key>`, `field-error-<key>` | settings form |
//! | `latency-<from>-<to>`, `latency-error` | latency matrix inputs                           |
//! | `partition`, `heal-all`   | network fault buttons                                        |
//! | `new-seed`, `new-dcs`, `new-run`, `new-run-error` | start a new run                     |
//! | `scenario-text`, `scenario-export`, `scenario-import`, `scenario-error` | scenarios   |
//! | `op-kind`, `op-table`, `op-key`, `op-columns`, `op-home`, `op-issue`, `op-error`, `op-result` | manual op form |
//! | `theme-toggle`, `large-toggle`, `help-toggle`, `help` | presentation                   |
//! | `findings-count`          | badge on the Checker tab; `data-violations` = true \| false  |
//! | `<x>-error-ok`            | the success note in place of error `<x>` (e.g. `settings-error-ok`) |
//! | `legend-<kind>`           | map legend entry; click hides / shows that message kind     |
//! | `datacenters`, `counters`, `detector-matrix` | the side panel's tables                  |
//! | `learn`                   | header button "Learn": shows / hides the lessons list (`aria-pressed` = a list or a lesson is open); on every first load |
//! | `lessons`                 | the lessons list (in the page's flow under the timeline bar, never over the map) |
//! | `lesson-<id>`             | a lesson's entry in the list (title, summary, step count); click opens it (as `?lesson=<id>`) |
//! | `lesson-error`            | in the list: why `?lesson=<id>` opened nothing (an unknown id, named); the URL's run goes on |
//! | `lesson`                  | the open lesson's narration panel; `data-lesson` = its id    |
//! | `lesson-step`             | the step's text; `data-step` = 1-based index, `data-of` = the lesson's step count |
//! | `lesson-task`             | what the step asks (only on a step with a task); `data-done` = true \| false (`lesson::task_done`, checked every tick; once true it stays) |
//! | `lesson-hint`             | the step's hint, shown `hint_after_ms` of wall time (default 15 s) after the step began while its task is not done |
//! | `lesson-prev` / `lesson-next` | previous / next step (← / → while a lesson is open and the focus is not in the timeline bar); next is disabled on a task step until its task is done, and on the last step |
//! | `lesson-reset`            | replays the lesson from its start: the same settings and commands, paused at step 1 (the same trace hash at the same events) |
//! | `lesson-close`            | leaves lessons mode (also Esc); the run goes on as a plain run |
//! | `lesson-resume`           | on step 1, when localStorage holds a later step of this lesson: jumps the narration there (`data-step`, 1-based); the run starts over |
//! | `lesson-recap`            | on the last step: what the checker saw in this run (snapshot totals): `data-findings`, `data-violations`, `data-commits`, `data-aborts`, `data-failovers` |
//! | `.lesson-focus` (class)   | what the step's `look_at` points at: a DC (map and DC table), a link direction, a data row and the Data tab, the newest transaction and the 2PC diagram, a tab |
//! | `ring-focus`, `data-table-pick`, `shards`, `plot-<name>`, `cut-<from>-<to>`, `partition-dc-<id>`, `field-failover`, `settings-reset` | further hooks |

pub mod app;
pub mod components;
pub mod explore;
pub mod fmt;
pub mod js_api;
pub mod pairs;
pub mod state;
pub mod web;

pub use app::{App, AppProps};

use wasm_bindgen::JsCast;

/// Shows a fatal error in the page (`#boot-error` from index.html if present, and a
/// `[data-testid=error]` banner) and on the console. Used by the panic hook, so it must not
/// panic itself: every DOM step is fallible and skipped on failure.
pub fn show_fatal(text: &str) {
    web_sys::console::error_1(&text.into());
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(boot) = doc.get_element_by_id("boot-error") {
        boot.set_text_content(Some(&format!("The playground crashed:\n{text}")));
        let _ = boot.remove_attribute("hidden");
    }
    // A banner of our own too, so the crash is visible even without index.html (tests).
    if doc.get_element_by_id("panic-banner").is_none() {
        if let (Ok(el), Some(body)) = (doc.create_element("div"), doc.body()) {
            el.set_id("panic-banner");
            let _ = el.set_attribute("data-testid", "error");
            let _ = el.set_attribute("role", "alert");
            let _ = el.set_attribute("class", "error-banner fatal");
            el.set_text_content(Some(&format!(
                "Internal error — the simulation stopped. Reload the page to start again.\n{text}"
            )));
            let _ = body.prepend_with_node_1(&el);
        }
    }
}

/// Installs the panic hook. Through `yew::set_custom_panic_hook` because yew's renderer
/// replaces any hook installed with plain `std::panic::set_hook` unless told otherwise.
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        let msg = if let Some(s) = info.payload().downcast_ref::<&str>() {
            (*s).to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        show_fatal(&format!("{msg}{place}"));
    }));
}

/// Entry point of the bin: panic hook first, then mount the app on `<body>`.
pub fn start() {
    // In the Explore panel's Web Worker (the same wasm, loaded for its explorer entries)
    // there is no window and nothing to mount.
    if web_sys::window().is_none() {
        return;
    }
    install_panic_hook();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
        .and_then(|b| b.dyn_into::<web_sys::Element>().ok());
    match root {
        Some(root) => {
            yew::Renderer::<App>::with_root(root).render();
        }
        None => show_fatal("no document body to mount the app in"),
    }
}
