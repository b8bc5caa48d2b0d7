//! The page's own URL parameters — how the page shows the run, not what the run is:
//! `embed`, `tab`, `speed`, `pause_at`, `play` and `lesson`. The run's settings (`seed`, `dcs`, …) are the
//! core's (`fields::FIELDS`, read by `settings_from_query_with`, which skips the names in
//! `PAGE_PARAMS` and lists them among the known ones).
//!
//! Invariants:
//! - Lenient as the settings are: every valid parameter is kept and every refused one is
//!   named in one sentence (`URL parameter <name>=<value> …`), so a typo never loses the
//!   rest of a shared link; a refused one leaves its default.
//! - Pure: no DOM, no clock; the App applies the result.
//! - `PAGE_PARAMS` is the one list of names, values and defaults: docs/URL.md documents
//!   each (tests/web.rs checks that it does).

use super::{bp_parse, Embed, Tab, BREAKPOINTS};
use crate::sim::{pos_of_speed, speed_of, Breakpoint, SPEED_MAX};
use crate::ui::fmt;

/// URL parameters longer than this are refused by the core as a whole (and named there).
const MAX_QUERY: usize = 2048;

/// One page parameter: its name and its default as docs/URL.md writes it.
pub struct PageParam {
    pub name: &'static str,
    pub default: &'static str,
}

/// The page's parameters, in the order docs/URL.md lists them. Their values: `Embed::ALL`,
/// `Tab::ALL`, a speed factor within the slider's range, `BREAKPOINTS`, on / off.
pub const PAGE_PARAMS: [PageParam; 6] = [
    PageParam {
        name: "embed",
        default: "none (the whole page)",
    },
    PageParam {
        name: "tab",
        default: "`txn`",
    },
    PageParam {
        name: "speed",
        default: "`1`",
    },
    PageParam {
        name: "pause_at",
        default: "`none`",
    },
    PageParam {
        name: "play",
        default: "`1`",
    },
    PageParam {
        name: "lesson",
        default: "none (no lesson open)",
    },
];

/// The names of `PAGE_PARAMS`, for `settings_from_query_with`.
pub fn page_param_names() -> [&'static str; 6] {
    PAGE_PARAMS.map(|p| p.name)
}

/// What the page's own parameters ask for; `None`: not given (or refused).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PageParams {
    pub embed: Option<Embed>,
    pub tab: Option<Tab>,
    /// Speed slider position (`0..=SPEED_MAX`).
    pub speed_pos: Option<u32>,
    /// `Some(None)`: `pause_at=none`.
    pub pause_at: Option<Option<Breakpoint>>,
    /// Start running (`play=1`) or paused (`play=0`).
    pub play: Option<bool>,
    /// The lesson to open (`lesson=<id>`); the App checks that it exists and says so in
    /// the lessons list if not (the id is cut to 40 characters).
    pub lesson: Option<String>,
}

/// The `key=value` pairs of a query, in order (no percent-decoding, as the settings).
fn pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .trim_start_matches('?')
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|part| part.split_once('=').unwrap_or((part, "")))
}

/// "a, b, c or d".
fn or_list(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_string(),
        None => String::new(),
    }
}

fn parse_embed(v: &str) -> Result<Embed, String> {
    Embed::ALL
        .into_iter()
        .find(|e| e.key() == v)
        .ok_or_else(|| {
            let keys: Vec<&str> = Embed::ALL.iter().map(|e| e.key()).collect();
            format!(
                "URL parameter embed={v:.40} is not a view that can be embedded: {}.",
                or_list(&keys)
            )
        })
}

fn parse_tab(v: &str) -> Result<Tab, String> {
    Tab::ALL.into_iter().find(|t| t.key() == v).ok_or_else(|| {
        let keys: Vec<&str> = Tab::ALL.iter().map(|t| t.key()).collect();
        format!(
            "URL parameter tab={v:.40} is not a tab: {}.",
            or_list(&keys)
        )
    })
}

/// A speed factor (`2`, `0.5`, `10x`) as the slider position nearest to it.
fn parse_speed(v: &str) -> Result<u32, String> {
    let (lo, hi) = (speed_of(0), speed_of(SPEED_MAX));
    let t = v.trim().trim_end_matches(['x', 'X']);
    let s: f64 = fmt::parse_decimal(t)
        .filter(|s: &f64| s.is_finite())
        .ok_or_else(|| {
            format!("URL parameter speed={v:.40} is not a number (a factor such as 0.5, 1 or 10).")
        })?;
    // The bounds are computed in floating point; a hair's tolerance keeps 0.05 and 50 in.
    if s < lo * (1.0 - 1e-9) || s > hi * (1.0 + 1e-9) {
        return Err(format!(
            "URL parameter speed={v:.40} must be between {lo} and {hi}."
        ));
    }
    Ok(pos_of_speed(s))
}

fn parse_pause_at(v: &str) -> Result<Option<Breakpoint>, String> {
    bp_parse(v).ok_or_else(|| {
        let keys: Vec<&str> = BREAKPOINTS.iter().map(|(_, k)| *k).collect();
        format!("URL parameter pause_at={v:.40} is not {}.", or_list(&keys))
    })
}

/// `1` / `true` / `on` or `0` / `false` / `off`.
fn parse_play(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(format!(
            "URL parameter play={v:.40} is not 1 (start running) or 0 (start paused)."
        )),
    }
}

impl PageParams {
    /// Reads the page's parameters from `query`, skipping the settings; returns them and
    /// one message per refused value, in URL order. A later repeat of a parameter wins.
    pub fn from_query(query: &str) -> (PageParams, Vec<String>) {
        let mut p = PageParams::default();
        let mut problems = Vec::new();
        if query.len() > MAX_QUERY {
            // The core refuses the whole query and says so.
            return (p, problems);
        }
        for (k, v) in pairs(query) {
            let res = match k {
                "embed" => parse_embed(v).map(|e| p.embed = Some(e)),
                "tab" => parse_tab(v).map(|t| p.tab = Some(t)),
                "speed" => parse_speed(v).map(|s| p.speed_pos = Some(s)),
                "pause_at" => parse_pause_at(v).map(|b| p.pause_at = Some(b)),
                "play" => parse_play(v).map(|b| p.play = Some(b)),
                "lesson" => {
                    p.lesson = Some(v.chars().take(40).collect());
                    Ok(())
                }
                _ => Ok(()),
            };
            if let Err(e) = res {
                problems.push(e);
            }
        }
        (p, problems)
    }
}

/// The query of the full playground for an embedded view: the same parameters without
/// `embed`, plus `tab=<view>` when the view is a tab and no tab was given — so "open the
/// full playground" shows the same run, open on the same view. Starts with `?`.
pub fn full_page_query(query: &str, embed: Embed) -> String {
    let mut kept: Vec<String> = pairs(query)
        .filter(|(k, _)| *k != "embed")
        .map(|(k, v)| {
            if v.is_empty() {
                k.to_string()
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    if let Some(t) = embed.tab() {
        if !pairs(query).any(|(k, _)| k == "tab") {
            kept.push(format!("tab={}", t.key()));
        }
    }
    format!("?{}", kept.join("&"))
}

/// The link text of a `#run=<link>` fragment (after `run=`, possibly empty); `None` if
/// the fragment names no shared run. Other `&`-separated fragment parts are ignored.
pub fn run_fragment(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("run="))
}

/// The seeded bug a `#run=<link>&bug=<name>` fragment names (an explorer's counterexample
/// replays with it), if any.
pub fn bug_fragment(hash: &str) -> Option<&str> {
    hash.trim_start_matches('#')
        .split('&')
        .find_map(|part| part.strip_prefix("bug="))
}
