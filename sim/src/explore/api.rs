//! The explorer as a caller outside the core drives it (the page's Explore panel, in a Web
//! Worker or between frames): a small configuration checked with clear messages
//! (`ExploreConfig`), a run advanced in slices (`ExploreRun::step`), and plain,
//! serializable reports (`ExploreReport`, `Counterexample`) that cross a `postMessage`.
//!
//! Invariants:
//! - Built only on the explorer's public API (`Explorer::new`, `explore_some`, `results`,
//!   `path_to`) and the real-node model (`Real`, `seeded_bugs`, `Real::scenario`): the
//!   search itself is `explore`'s, unchanged.
//! - Bad input never panics: `ExploreConfig::spec` returns the first problem as a sentence
//!   naming the field.
//! - A report depends only on the configuration and how far the search got, never on the
//!   slice sizes (the explorer's own invariant); the counterexample is the explorer's
//!   shortest path to the first violated property, rebuilt once.

use super::real::{seeded_bug, seeded_bugs, Real, Spec, State, Step};
use super::{Expectation, Explorer, Model, Options, Order, Verdict};
use crate::ids::DcId;
use crate::link::{self, Moment, RunLink};
use crate::vocab::PeerState;
use serde::{Deserialize, Serialize};

/// The preset key of the real code's small configuration.
pub const REAL_SMALL: &str = "real-small";
/// The preset key of the issue's configuration (`Spec::default()`).
pub const REAL_ISSUE: &str = "real-issue";
/// The preset key prefix of a seeded bug's own configuration (`bug:<name>`).
pub const BUG_PREFIX: &str = "bug:";
/// The most states a depth-first run (the real code's presets) may find: it keeps 24 bytes
/// a state plus the current path, so a million fit easily in a wasm instance.
pub const MAX_STATES: u64 = 1_000_000;
/// The most states a breadth-first run (a seeded bug's preset, for its shortest
/// counterexample) may find: every queued state holds a whole `Sim` (about 14 KB each,
/// measured: 150 000 states took 2.1 GB of a wasm instance's 4 GB).
pub const MAX_STATES_BREADTH: u64 = 150_000;

/// What the page asks to explore: a preset (the real code, or a seeded bug with its own
/// configuration) and the fields a person may change over it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreConfig {
    /// `real-small`, or `bug:<name>` (a `seeded_bugs` name): the base spec.
    pub preset: String,
    /// Datacenters (2 to 5).
    pub dcs: u32,
    /// Rows the operations touch (1 to 4).
    pub keys: u32,
    /// Cross-DC transactions (0 to 2).
    pub txns: u32,
    /// Single-row writes (0 to 3).
    pub writes: u32,
    /// At most this many DC crashes (0 to 2).
    pub crashes: u32,
    /// At most this many link directions cut (0 to 2).
    pub cuts: u32,
    /// Stop (not exhaustive) after this many states (1 to `MAX_STATES`).
    pub max_states: u64,
}

/// A preset of the panel: its key, what it shows, and its fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preset {
    /// `real-small` or `bug:<name>`.
    pub key: String,
    /// The choice's label.
    pub title: String,
    /// One sentence: what it explores (for a bug: what is broken).
    pub about: String,
    /// Its fields.
    pub config: ExploreConfig,
}

/// The real code's small configuration: 3 DCs, 2 keys, 1 cross-DC transaction, ≤ 1 crash,
/// faults every 50 ms over a 400 ms horizon — every sometimes-property reached (natively
/// in a fraction of a second).
fn real_small_spec() -> Spec {
    Spec {
        dcs: 3,
        keys: 2,
        txns: 1,
        writes: 0,
        crashes: 1,
        cuts: 0,
        horizon_ms: 400,
        quantum_ms: 50,
        long_ms: 150,
        ..Spec::default()
    }
}

/// The order a preset is searched in: seeded bugs breadth-first (the first violation found
/// is a shortest counterexample), the real code depth-first to the end (memory for the
/// states visited only; the same states and, at the end, the same shortest paths).
fn order_of(preset: &str) -> Order {
    if preset.starts_with(BUG_PREFIX) {
        Order::Breadth
    } else {
        Order::Depth
    }
}

fn max_states_of(preset: &str) -> u64 {
    match order_of(preset) {
        Order::Breadth => MAX_STATES_BREADTH,
        Order::Depth => MAX_STATES,
    }
}

fn fields_of(preset: &str, s: &Spec) -> ExploreConfig {
    ExploreConfig {
        preset: preset.to_string(),
        dcs: s.dcs as u32,
        keys: s.keys,
        txns: s.txns,
        writes: s.writes,
        crashes: u32::from(s.crashes),
        cuts: u32::from(s.cuts),
        max_states: max_states_of(preset),
    }
}

/// The panel's presets: the real code's small configuration first, then each seeded bug
/// with its own configuration, in `seeded_bugs` order.
pub fn presets() -> Vec<Preset> {
    let mut out = vec![Preset {
        key: REAL_SMALL.to_string(),
        title: "the real code, small".to_string(),
        about: "The Table Store nodes unchanged: every ordering of a small configuration."
            .to_string(),
        config: fields_of(REAL_SMALL, &real_small_spec()),
    }, Preset {
        key: REAL_ISSUE.to_string(),
        title: "the real code, the issue's configuration".to_string(),
        about: "3 DCs, 2 keys, a cross-DC transaction and a quorum write, ≤ 1 crash and ≤ 1 cut, faults every 100 ms up to 400 ms: every ordering (about 290 000 states)."
            .to_string(),
        config: fields_of(REAL_ISSUE, &Spec::default()),
    }];
    for b in seeded_bugs() {
        let key = format!("{BUG_PREFIX}{}", b.name);
        out.push(Preset {
            title: format!("seeded bug: {}", b.name),
            about: format!("{} (caught by `{}`).", capitalized(b.about), b.property),
            config: fields_of(&key, &(b.spec)()),
            key,
        });
    }
    out
}

/// The node flags of seeded bug `name` (its counterexample replays with them), if any.
pub fn bugs_named(name: &str) -> Option<crate::Bugs> {
    seeded_bug(name).map(|b| {
        let mut bugs = crate::Bugs::default();
        (b.set)(&mut bugs);
        bugs
    })
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn in_range(name: &str, v: u64, lo: u64, hi: u64) -> Result<(), String> {
    if v < lo || v > hi {
        Err(format!("{name} must be between {lo} and {hi} (got {v})."))
    } else {
        Ok(())
    }
}

impl ExploreConfig {
    /// The seeded bug the preset names, if any.
    pub fn bug(&self) -> Option<&str> {
        self.preset.strip_prefix(BUG_PREFIX)
    }

    /// The spec to explore, or the first problem as a sentence naming its field.
    pub fn spec(&self) -> Result<Spec, String> {
        let mut spec = if self.preset == REAL_SMALL {
            real_small_spec()
        } else if self.preset == REAL_ISSUE {
            Spec::default()
        } else if let Some(name) = self.bug() {
            seeded_bug(name)
                .ok_or_else(|| format!("There is no seeded bug {name:?}."))?
                .seeded_spec()
        } else {
            return Err(format!(
                "Unknown configuration {:?}: choose one of the presets.",
                self.preset
            ));
        };
        in_range("DCs", u64::from(self.dcs), 2, 5)?;
        in_range("Keys", u64::from(self.keys), 1, 4)?;
        in_range("Transactions", u64::from(self.txns), 0, 2)?;
        in_range("Writes", u64::from(self.writes), 0, 3)?;
        if self.txns + self.writes == 0 {
            return Err(
                "Transactions and writes are both 0: give the client something to do.".into(),
            );
        }
        in_range("Crashes", u64::from(self.crashes), 0, 3)?;
        in_range("Cuts", u64::from(self.cuts), 0, 2)?;
        in_range(
            "Max states",
            self.max_states,
            1,
            max_states_of(&self.preset),
        )?;
        spec.dcs = self.dcs as usize;
        spec.keys = self.keys;
        spec.txns = self.txns;
        spec.writes = self.writes;
        spec.crashes = self.crashes as u8;
        spec.cuts = self.cuts as u8;
        Ok(spec)
    }
}

/// One property's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PropertyResult {
    /// Its name (`explore-property-<name>` in the page).
    pub name: String,
    /// `always` or `sometimes`.
    pub kind: String,
    /// `holds`, `violated`, `reached` or `unreached`.
    pub result: String,
}

/// What changed on one DC at a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaneChange {
    /// The DC's lane (index into `Counterexample::dcs`).
    pub lane: usize,
    /// What changed, in words ("down", "primary of 0 → 1 shards", …).
    pub text: String,
}

/// One step of a counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CxStep {
    /// Simulated ms after the step.
    pub at_ms: u64,
    /// The step in words (the CLI's wording).
    pub text: String,
    /// The lanes the step acts on (the crashed DC, a cut link's ends, the client's home);
    /// empty for time passing.
    pub actors: Vec<usize>,
    /// What changed on each DC.
    pub changes: Vec<LaneChange>,
    /// Checker findings that appeared at this step.
    pub findings: Vec<String>,
}

/// A violated property's shortest path, ready to show and replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counterexample {
    /// The property violated.
    pub property: String,
    /// The seeded bug explored, if any (a replay needs it).
    pub bug: Option<String>,
    /// The lanes: the DCs' names, in id order.
    pub dcs: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<CxStep>,
    /// The path as a scenario file (the page's format); `None` if the timed world cannot
    /// replay it (`why_no_scenario` says why).
    pub scenario: Option<String>,
    /// The scenario as a share link (the text after `#run=`), at its end.
    pub link: Option<String>,
    /// Why there is no scenario.
    pub why_no_scenario: Option<String>,
}

/// How far a run got: the explorer's progress, the properties, and the counterexample.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExploreReport {
    /// Distinct states found.
    pub states: u64,
    /// States expanded.
    pub expanded: u64,
    /// The greatest depth reached.
    pub depth: u32,
    /// The search is over (exhausted, a limit, or the first violation).
    pub done: bool,
    /// It stopped at `max_states` with states still queued.
    pub truncated: bool,
    /// Each property, in the model's order.
    pub properties: Vec<PropertyResult>,
    /// For the first violated property, once the search is done.
    pub counterexample: Option<Counterexample>,
}

/// A search in progress.
pub struct ExploreRun {
    explorer: Explorer<Real>,
    bug: Option<String>,
    cx: Option<Counterexample>,
}

impl ExploreRun {
    /// A search of `cfg` (a seeded bug's stops at its first violation, the real code's
    /// goes to the end); `Err`: a sentence why not.
    pub fn new(cfg: &ExploreConfig) -> Result<ExploreRun, String> {
        let spec = cfg.spec()?;
        let model = Real::new(spec).map_err(|e| e.to_string())?;
        Ok(ExploreRun {
            explorer: Explorer::new(
                model,
                Options {
                    order: order_of(&cfg.preset),
                    max_states: cfg.max_states,
                    stop_on_violation: order_of(&cfg.preset) == Order::Breadth,
                },
            ),
            bug: cfg.bug().map(str::to_string),
            cx: None,
        })
    }

    /// Expands at most `budget` states; the report so far.
    pub fn step(&mut self, budget: u64) -> ExploreReport {
        let p = self.explorer.explore_some(budget);
        let results = self.explorer.results();
        if p.done && self.cx.is_none() {
            let first = results.iter().find_map(|(name, _, v)| match v {
                Verdict::Violated(fp) => Some((*name, *fp)),
                _ => None,
            });
            if let Some((name, fp)) = first {
                self.cx = self.counterexample(name, fp);
            }
        }
        ExploreReport {
            states: p.states,
            expanded: p.expanded,
            depth: p.depth,
            done: p.done,
            truncated: p.truncated,
            properties: results
                .iter()
                .map(|(name, exp, v)| PropertyResult {
                    name: name.to_string(),
                    kind: match exp {
                        Expectation::Always => "always",
                        Expectation::Sometimes => "sometimes",
                    }
                    .to_string(),
                    result: v.label().to_string(),
                })
                .collect(),
            counterexample: self.cx.clone(),
        }
    }

    fn counterexample(&self, property: &str, fp: u64) -> Option<Counterexample> {
        let model = self.explorer.model();
        let path = self.explorer.path_to(fp)?;
        let init = model.init();
        let ids: Vec<DcId> = init.sim.world.nodes.keys().copied().collect();
        let lane = |d: DcId| ids.iter().position(|&x| x == d);
        let mut steps = Vec::with_capacity(path.len());
        let mut before = summaries(&init, &ids);
        let mut seen_findings = init.sim.findings().len();
        for (step, after) in &path {
            let now = summaries(after, &ids);
            let mut changes = Vec::new();
            for (i, (a, b)) in before.iter().zip(&now).enumerate() {
                for text in a.diff(b) {
                    changes.push(LaneChange { lane: i, text });
                }
            }
            let actors: Vec<usize> = match step {
                Step::Crash(d) | Step::Recover(d) | Step::Isolate(d) => {
                    lane(*d).into_iter().collect()
                }
                Step::Cut(a, b) | Step::Heal(a, b) => {
                    [lane(*a), lane(*b)].into_iter().flatten().collect()
                }
                Step::Issue(i) => model
                    .ops
                    .get(*i)
                    .and_then(|(home, _)| lane(*home))
                    .into_iter()
                    .collect(),
                _ => Vec::new(),
            };
            let all = after.sim.findings();
            let findings = all
                .get(seen_findings.min(all.len())..)
                .unwrap_or(&[])
                .iter()
                .map(|f| format!("{}: {}", f.kind.label(), f.text))
                .collect();
            seen_findings = all.len();
            let text = match step {
                Step::Issue(i) => match model.ops.get(*i) {
                    Some((home, op)) => format!("client at {home}: {}", op_text(op)),
                    None => step.to_string(),
                },
                _ => step.to_string(),
            };
            steps.push(CxStep {
                at_ms: after.sim.now().0,
                text,
                actors,
                changes,
                findings,
            });
            before = now;
        }
        let scenario = model.scenario(&path);
        let why_no_scenario = scenario.is_none().then(|| {
            "This path delivers messages out of their timed order or loses a chosen message, \
             which a scenario cannot express: the steps above are the counterexample."
                .to_string()
        });
        let link = scenario.as_ref().map(|sc| {
            let end = sc.until.unwrap_or_default();
            link::encode(&RunLink {
                scenario: sc.clone(),
                at: Moment::at(end),
            })
        });
        let snap = init.sim.snapshot();
        Some(Counterexample {
            property: property.to_string(),
            bug: self.bug.clone(),
            dcs: ids
                .iter()
                .map(|&d| match snap.dcs.iter().find(|x| x.id == d) {
                    Some(x) => format!("{d} {}", x.name),
                    None => d.to_string(),
                })
                .collect(),
            steps,
            scenario: scenario.as_ref().map(crate::scenario::scenario_json),
            link,
            why_no_scenario,
        })
    }
}

/// A client operation in a few words ("write k1", "transaction over k1, k4", "read k1").
fn op_text(op: &crate::ClientOp) -> String {
    use crate::table::Value;
    let key = |pk: &[Value]| {
        pk.iter()
            .map(|v| match v {
                Value::Str(s) => s.to_string(),
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    match op {
        crate::ClientOp::Write(w) => format!("write {}", key(&w.pk)),
        crate::ClientOp::Txn(ws) => format!(
            "transaction over {}",
            ws.iter().map(|w| key(&w.pk)).collect::<Vec<_>>().join(", ")
        ),
        crate::ClientOp::Get { pk, .. } => format!("read {}", key(pk)),
        crate::ClientOp::Range { .. } => "range read".to_string(),
    }
}

/// A DC's state as the sequence diagram compares it from step to step (from the page's
/// own snapshot: what the DC table and the detector matrix show).
#[derive(Clone, PartialEq, Eq)]
struct DcSummary {
    up: bool,
    rows: usize,
    primaries: usize,
    prepared: usize,
    in_doubt: usize,
    locks: usize,
    /// The DCs it does not see alive, with how it sees them.
    views: Vec<(DcId, &'static str)>,
}

impl DcSummary {
    fn diff(&self, b: &DcSummary) -> Vec<String> {
        let mut out = Vec::new();
        if self.up != b.up {
            out.push(if b.up { "recovered" } else { "crashed" }.to_string());
        }
        let mut num = |what: &str, x: usize, y: usize| {
            if x != y {
                out.push(format!("{what} {x} → {y}"));
            }
        };
        num("rows", self.rows, b.rows);
        num("primary of", self.primaries, b.primaries);
        num("prepared", self.prepared, b.prepared);
        num("in doubt", self.in_doubt, b.in_doubt);
        num("locks", self.locks, b.locks);
        for (d, v) in &b.views {
            if !self.views.contains(&(*d, v)) {
                out.push(format!("sees {d} {v}"));
            }
        }
        for (d, _) in &self.views {
            if !b.views.iter().any(|(x, _)| x == d) {
                out.push(format!("sees {d} alive"));
            }
        }
        out
    }
}

fn summaries(s: &State, ids: &[DcId]) -> Vec<DcSummary> {
    let snap = s.sim.snapshot();
    ids.iter()
        .map(|&d| match snap.dcs.iter().find(|x| x.id == d) {
            Some(x) => DcSummary {
                up: x.up,
                rows: x.rows,
                primaries: x.primaries,
                prepared: x.prepared,
                in_doubt: x.in_doubt,
                locks: x.locks,
                views: x
                    .views
                    .iter()
                    .filter_map(|(t, v)| match v {
                        Some(PeerState::Suspect) => Some((*t, "suspect")),
                        Some(PeerState::Dead) => Some((*t, "dead")),
                        _ => None,
                    })
                    .collect(),
            },
            None => DcSummary {
                up: false,
                rows: 0,
                primaries: 0,
                prepared: 0,
                in_doubt: 0,
                locks: 0,
                views: Vec::new(),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_validate_and_bad_fields_are_named() {
        for p in presets() {
            assert!(p.config.spec().is_ok(), "{}", p.key);
        }
        let mut c = presets()[0].config.clone();
        c.dcs = 9;
        assert_eq!(
            c.spec().unwrap_err(),
            "DCs must be between 2 and 5 (got 9)."
        );
        c.dcs = 3;
        c.txns = 0;
        c.writes = 0;
        assert!(c.spec().unwrap_err().contains("both 0"));
        c.preset = "bug:nope".into();
        assert!(c.spec().unwrap_err().contains("no seeded bug"));
    }

    #[test]
    fn a_seeded_bug_gives_a_replayable_counterexample() {
        let p = presets()
            .into_iter()
            .find(|p| p.key == "bug:two-primaries-after-cut")
            .expect("preset");
        let mut run = ExploreRun::new(&p.config).expect("valid");
        let mut r = run.step(1_000);
        while !r.done {
            r = run.step(1_000);
        }
        let cx = r.counterexample.expect("a counterexample");
        assert_eq!(cx.property, "durability");
        assert!(!cx.steps.is_empty() && cx.steps.len() <= 20);
        assert!(cx.scenario.is_some() && cx.link.is_some());
        assert!(r
            .properties
            .iter()
            .any(|p| p.name == "durability" && p.result == "violated"));
        // Replayed by the page's Session with the bug: the same finding, at the path's end;
        // without it: none.
        let text = cx.scenario.expect("scenario");
        let violations = |bugs: crate::Bugs| {
            let sc = crate::scenario::parse_scenario(&text).expect("its own scenario parses");
            let mut s = crate::Session::new(crate::SimConfig::default(), true).expect("session");
            s.open_with_bugs(sc, bugs).expect("opens");
            assert!(!s.pacing().running(), "opened paused");
            assert_eq!(s.sim().now().0, cx.steps.last().map_or(0, |st| st.at_ms));
            s.sim()
                .findings()
                .iter()
                .filter(|f| f.kind.is_violation())
                .count()
        };
        assert!(violations(bugs_named("two-primaries-after-cut").expect("bug")) > 0);
        assert_eq!(violations(crate::Bugs::default()), 0);
    }
}
