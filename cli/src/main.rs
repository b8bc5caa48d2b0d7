//! `tablestore-sim`: the playground's core without the page — print a seed's fault
//! schedule as a scenario file, run a scenario to a JSON report, sweep many seeds, turn a
//! scenario into a share link and open one (docs/LINKS.md).
//! The commands and the report format are documented in `docs/RUNNER.md`.
//!
//! Invariants: every result is a pure function of the arguments and the input file (the
//! core is deterministic; a sweep's threads only split the seeds, and its output is in
//! seed order whatever the thread count); untrusted input goes through
//! `parse_scenario`, never `unwrap`; output goes to stdout, problems to stderr with a
//! non-zero exit code (1: violations found, 2: bad input or arguments).

use clap::{Parser, Subcommand, ValueEnum};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tablestore_sim::explore::real::{seeded_bug, seeded_bugs, Real, Spec};
use tablestore_sim::explore::{Expectation, Explorer, Options, Order, Verdict as Found};
use tablestore_sim::link::{self, RunLink};
use tablestore_sim::schedule::{
    command_infos, play, schedule, settle, Modes, ScheduleOptions, FAULT_SPAN_MS,
};
use tablestore_sim::{
    parse_scenario, scenario_json, FindingKind, Moment, ReadConsistency, Sim, SimTime, Timeline,
};

#[derive(Parser)]
#[command(
    name = "tablestore-sim",
    version,
    about = "Deterministic Table Store simulation, headless: schedules, runs, sweeps"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
enum ModesArg {
    /// Each table draws Async, SemiSync, Sync or Quorum.
    Mixed,
    /// Every table Async.
    Async,
    /// Every table Sync.
    Sync,
    /// Every table Quorum(R/2+1).
    Quorum,
}

impl ModesArg {
    fn modes(self) -> Modes {
        match self {
            ModesArg::Mixed => Modes::Mixed,
            ModesArg::Async => Modes::AllAsync,
            ModesArg::Sync => Modes::AllSync,
            ModesArg::Quorum => Modes::AllQuorum,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Print SEED's generated fault schedule as a scenario file (the page imports it).
    Schedule {
        /// The seed.
        seed: u64,
        /// The tables' replication modes.
        #[arg(long, value_enum, default_value = "mixed")]
        modes: ModesArg,
        /// Also add/remove DCs, switch placement, change R, latency, loss (≤ 50 %), jitter.
        #[arg(long)]
        admin: bool,
    },
    /// Run a scenario file (`-`: standard input) and print one JSON report.
    Run {
        /// The scenario file, or `-`.
        file: String,
        /// Then heal all, revive all, stop the workload and run to quiescence.
        #[arg(long)]
        settle: bool,
        /// Run with a seeded protocol bug (`explore --list-bugs`), e.g. to replay a
        /// counterexample the explorer found.
        #[arg(long)]
        bug: Option<String>,
    },
    /// Explore every behaviour of a small world over the real node code (breadth-first),
    /// checking the checker's invariants in every state; print the counts, each property's
    /// result and, for a violation, a shortest counterexample.
    Explore(ExploreArgs),
    /// Print the share link (docs/LINKS.md) of a scenario file (`-`: standard input).
    Link {
        /// The scenario file, or `-`.
        file: String,
        /// The position to open at, in simulated ms (default: the scenario's end).
        #[arg(long)]
        at: Option<u64>,
    },
    /// Open a share link (the text after `#run=`, or a whole address): run it to its
    /// position and print where it stands and its trace hash, as JSON.
    Open {
        /// The link.
        link: String,
        /// Print the link's run as a scenario file instead (for `run -`).
        #[arg(long)]
        scenario: bool,
    },
    /// Run COUNT schedules from seed FROM, settled, and summarize the checker's verdicts.
    Sweep {
        /// First seed.
        #[arg(long)]
        from: u64,
        /// How many seeds.
        #[arg(long)]
        count: u64,
        /// The tables' replication modes.
        #[arg(long, value_enum, default_value = "mixed")]
        modes: ModesArg,
        /// Admin changes in the schedules too (see `schedule --admin`).
        #[arg(long)]
        admin: bool,
        /// Threads (default: the available cores).
        #[arg(long)]
        jobs: Option<usize>,
    },
}

fn main() -> ExitCode {
    match Cli::parse().cmd {
        Cmd::Schedule { seed, modes, admin } => {
            let sc = schedule(
                seed,
                ScheduleOptions {
                    modes: modes.modes(),
                    admin,
                },
            );
            out(&scenario_json(&sc))
        }
        Cmd::Run { file, settle, bug } => run(&file, settle, bug.as_deref()),
        Cmd::Explore(args) => explore(args),
        Cmd::Link { file, at } => make_link(&file, at),
        Cmd::Open { link, scenario } => open(&link, scenario),
        Cmd::Sweep {
            from,
            count,
            modes,
            admin,
            jobs,
        } => sweep(from, count, modes, admin, jobs),
    }
}

/// Prints `text` and a newline; a closed pipe is not an error worth a panic.
fn out(text: &str) -> ExitCode {
    let mut o = std::io::stdout().lock();
    match writeln!(o, "{text}").and_then(|_| o.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::from(2),
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("tablestore-sim: {msg}");
    ExitCode::from(2)
}

/// Reads and checks a scenario file (`-`: standard input).
fn read_scenario(file: &str) -> Result<tablestore_sim::Scenario, String> {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    if let Err(e) = read {
        return Err(format!("cannot read {file}: {e}"));
    }
    parse_scenario(&text).map_err(|e| e.0)
}

fn make_link(file: &str, at: Option<u64>) -> ExitCode {
    let mut sc = match read_scenario(file) {
        Ok(sc) => sc,
        Err(e) => return fail(&e),
    };
    let end = sc
        .until
        .or_else(|| sc.commands.last().map(|c| c.at))
        .unwrap_or(SimTime::ZERO);
    let at = at.map_or(end, SimTime);
    // The link's run ends at its end or its position, whichever is later.
    sc.until = Some(end.max(at));
    out(&link::encode(&RunLink {
        scenario: sc,
        at: Moment::at(at),
    }))
}

fn open(text: &str, as_scenario: bool) -> ExitCode {
    // A whole address is fine: read what follows `#run=`.
    let text = text.split_once("#run=").map_or(text, |(_, l)| l);
    if as_scenario {
        return match link::decode(text) {
            Ok(l) => out(&scenario_json(&l.scenario)),
            Err(e) => fail(&e.to_string()),
        };
    }
    let tl = match Timeline::from_link(text) {
        Ok(tl) => tl,
        Err(e) => return fail(&e.to_string()),
    };
    let summary = serde_json::json!({
        "format": if tl.bugs_if_any().is_some() { link::LINK_VERSION } else { link::LINK_VERSION_PLAIN },
        "seed": tl.config().seed,
        "at_ms": tl.now().0,
        // As in a report: events recorded; `steps`: events processed (the link's count).
        "events": tl.sim().counters().events,
        "steps": tl.sim().steps(),
        "end_ms": tl.end().0,
        "commands": tl.commands().len(),
        "trace_hash": format!("{:016x}", tl.trace_hash()),
    });
    out(&summary.to_string())
}

fn run(file: &str, do_settle: bool, bug: Option<&str>) -> ExitCode {
    let sc = match read_scenario(file) {
        Ok(sc) => sc,
        Err(e) => return fail(&e),
    };
    // The file's own seeded bugs (`bugs`), plus the one named on the command line.
    let mut bugs = sc.bugs.unwrap_or_default();
    if let Some(name) = bug {
        match seeded_bug(name) {
            Some(b) => (b.set)(&mut bugs),
            None => return fail(&format!("no seeded bug {name:?} (see explore --list-bugs)")),
        }
    }
    let mut sim = match Sim::with_bugs(sc.config.clone(), bugs) {
        Ok(s) => s,
        Err(e) => return fail(&e.to_string()),
    };
    let applied = play(&mut sim, &sc);
    if do_settle {
        settle(&mut sim);
    }
    let report = sim.report(command_infos(&applied), do_settle);
    match serde_json::to_string_pretty(&report) {
        Ok(json) => out(&json),
        Err(e) => fail(&format!("cannot write the report: {e}")),
    }
}

/// One seed's verdict in a sweep.
struct Verdict {
    seed: u64,
    findings: BTreeMap<FindingKind, usize>,
    violations: usize,
}

fn judge(seed: u64, opts: ScheduleOptions) -> Verdict {
    let sc = schedule(seed, opts);
    let mut findings = BTreeMap::new();
    let Ok(mut sim) = Sim::new(sc.config.clone()) else {
        // Generated configs are valid; were one not, the sweep must say so loudly.
        findings.insert(FindingKind::Divergence, 0);
        return Verdict {
            seed,
            findings,
            violations: usize::MAX / 2,
        };
    };
    play(&mut sim, &sc);
    settle(&mut sim);
    // Counted over every finding (the checker keeps only the newest texts).
    let counts = sim.finding_counts();
    for k in FindingKind::ALL {
        let n = counts.of(k) as usize;
        if n > 0 {
            findings.insert(k, n);
        }
    }
    Verdict {
        seed,
        findings,
        violations: sim.checker().violations(),
    }
}

fn sweep(from: u64, count: u64, modes: ModesArg, admin: bool, jobs: Option<usize>) -> ExitCode {
    let Some(end) = from.checked_add(count) else {
        return fail("--from + --count overflows");
    };
    let jobs = jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, 256);
    let opts = ScheduleOptions {
        modes: modes.modes(),
        admin,
    };
    // Threads take the next seed from a shared counter; results are sorted by seed.
    let next = AtomicU64::new(from);
    let results = Mutex::new(Vec::with_capacity(count as usize));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| loop {
                let seed = next.fetch_add(1, Ordering::Relaxed);
                if seed >= end {
                    break;
                }
                let v = judge(seed, opts);
                if let Ok(mut r) = results.lock() {
                    r.push(v);
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|v| v.seed);
    let violations: usize = results.iter().map(|v| v.violations).sum();
    let mut by_kind: BTreeMap<FindingKind, usize> = BTreeMap::new();
    for v in &results {
        for (k, n) in &v.findings {
            *by_kind.entry(*k).or_insert(0) += n;
        }
    }
    let mut o = String::new();
    o.push_str(&format!(
        "fault schedules: {} checked, {violations} violations\n",
        results.len()
    ));
    let kinds: Vec<String> = FindingKind::ALL
        .iter()
        .map(|k| {
            format!(
                "{k:?} {}{}",
                by_kind.get(k).copied().unwrap_or(0),
                if k.is_violation() { " (violation)" } else { "" }
            )
        })
        .collect();
    o.push_str(&format!("findings by kind: {}\n", kinds.join(", ")));
    o.push_str(&format!(
        "schedules: seeds {from}..{end}, modes {}, admin {admin}, {} ms of faults each, then settled\n",
        modes.modes().word(),
        FAULT_SPAN_MS
    ));
    let admin_flag = if admin { " --admin" } else { "" };
    for v in results.iter().filter(|v| v.violations > 0) {
        let kinds: Vec<String> = v
            .findings
            .iter()
            .filter(|(k, _)| k.is_violation())
            .map(|(k, n)| format!("{k:?} {n}"))
            .collect();
        o.push_str(&format!(
            "violation: seed {} ({}); replay: tablestore-sim schedule {} --modes {}{admin_flag} | tablestore-sim run - --settle\n",
            v.seed,
            kinds.join(", "),
            v.seed,
            modes.modes().word()
        ));
    }
    let code = out(o.trim_end());
    if violations > 0 {
        ExitCode::from(1)
    } else {
        code
    }
}

#[derive(clap::Args)]
struct ExploreArgs {
    /// Print the seeded bugs' names, one a line, and exit.
    #[arg(long)]
    list_bugs: bool,
    /// Datacenters.
    #[arg(long, default_value_t = 3)]
    dcs: usize,
    /// Rows touched (a transaction writes all of them).
    #[arg(long, default_value_t = 2)]
    keys: u32,
    /// Cross-DC transactions issued at DC0.
    #[arg(long, default_value_t = 1)]
    txns: u32,
    /// Single-row writes issued at DC0.
    #[arg(long, default_value_t = 1)]
    writes: u32,
    /// Single-row reads issued at DC0 after the writes.
    #[arg(long, default_value_t = 0)]
    reads: u32,
    /// At most this many DC crashes.
    #[arg(long, default_value_t = 1)]
    crashes: u8,
    /// At most this many link directions cut.
    #[arg(long, default_value_t = 1)]
    cuts: u8,
    /// At most this many messages lost (heartbeats excepted).
    #[arg(long, default_value_t = 0)]
    drops: u8,
    /// The table's replication mode (async, semisync, sync, quorumN).
    #[arg(long, default_value = "quorum2")]
    mode: String,
    /// Read consistency (one, quorum, owner).
    #[arg(long, default_value = "one")]
    consistency: String,
    /// Seed this protocol bug (see --list-bugs).
    #[arg(long)]
    bug: Option<String>,
    /// With --bug: explore the bug's own small configuration instead of the options.
    #[arg(long)]
    bug_config: bool,
    /// Stop after this many states (the run is then not exhaustive).
    #[arg(long, default_value_t = 1_000_000)]
    max_states: u64,
    /// No timer fires after this instant (ms).
    #[arg(long)]
    horizon_ms: Option<u64>,
    /// Faults and operations at every multiple of this many ms, messages on time; 0:
    /// untimed messages (every delivery order).
    #[arg(long)]
    quantum_ms: Option<u64>,
    /// Also let this many ms pass in one step (timed messages; more than the quantum: no new
    /// state, shorter paths, more work).
    #[arg(long)]
    long_ms: Option<u64>,
    /// Untimed messages: delivered at most this many ms after sending.
    #[arg(long)]
    max_delay_ms: Option<u64>,
    /// Issue the reads at this DC (index) instead of DC0 (with --bug-config: instead of
    /// the bug's).
    #[arg(long)]
    read_home: Option<u32>,
    /// At most this many DCs cut off from every other in one step (with --bug-config:
    /// instead of the bug's).
    #[arg(long)]
    isolations: Option<u8>,
    /// At most this many membership changes, each adding a DC (with --bug-config:
    /// instead of the bug's).
    #[arg(long)]
    reconfigs: Option<u8>,
    /// Go on after the first violation (to settle every property).
    #[arg(long)]
    all: bool,
    /// Depth-first: memory for the states visited only (24 bytes each), not for a
    /// breadth-first queue of whole states; the same states, and with `--all` the same
    /// shortest counterexamples (stopped at a violation, a longer one).
    #[arg(long)]
    dfs: bool,
}

fn explore(a: ExploreArgs) -> ExitCode {
    if a.list_bugs {
        let names: Vec<&str> = seeded_bugs().iter().map(|b| b.name).collect();
        return out(&names.join("\n"));
    }
    let bug = match a.bug.as_deref() {
        None => None,
        Some(name) => match seeded_bug(name) {
            Some(b) => Some(b),
            None => return fail(&format!("no seeded bug {name:?} (see --list-bugs)")),
        },
    };
    let mut spec = match (&bug, a.bug_config) {
        (Some(b), true) => (b.spec)(),
        _ => {
            let mode = match tablestore_sim::scenario::parse_mode(&a.mode) {
                Ok(m) => m,
                Err(e) => return fail(&e.0),
            };
            let consistency = match a.consistency.to_ascii_lowercase().as_str() {
                "one" => ReadConsistency::One,
                "quorum" => ReadConsistency::Quorum,
                "owner" => ReadConsistency::Owner,
                o => return fail(&format!("--consistency is one, quorum or owner, not {o:?}")),
            };
            if a.dcs < 2 || a.dcs > 8 || a.keys > 8 || a.txns + a.writes + a.reads > 16 {
                return fail("explore: 2 to 8 DCs, at most 8 keys and 16 operations");
            }
            Spec {
                dcs: a.dcs,
                keys: a.keys,
                txns: a.txns,
                writes: a.writes,
                reads: a.reads,
                consistency,
                crashes: a.crashes,
                cuts: a.cuts,
                drops: a.drops,
                mode,
                ..Spec::default()
            }
        }
    };
    if let Some(b) = &bug {
        (b.set)(&mut spec.bugs);
    }
    if let Some(v) = a.horizon_ms {
        spec.horizon_ms = v;
    }
    if let Some(v) = a.quantum_ms {
        spec.quantum_ms = v;
    }
    if let Some(v) = a.long_ms {
        spec.long_ms = v;
    }
    if let Some(v) = a.max_delay_ms {
        spec.max_delay_ms = v;
    }
    if a.read_home.is_some() {
        spec.read_home = a.read_home;
    }
    if let Some(v) = a.isolations {
        spec.isolations = v;
    }
    if let Some(v) = a.reconfigs {
        spec.reconfigs = v;
    }
    let model = match Real::new(spec.clone()) {
        Ok(m) => m,
        Err(e) => return fail(&e.to_string()),
    };
    let opts = Options {
        order: if a.dfs { Order::Depth } else { Order::Breadth },
        max_states: a.max_states,
        stop_on_violation: !a.all,
    };
    let start = std::time::Instant::now();
    let mut e = Explorer::new(model, opts);
    let mut p = e.explore_some(10_000);
    while !p.done {
        p = e.explore_some(10_000);
        eprint!("\r{} states, depth {} …", p.states, p.depth);
    }
    eprintln!();
    let secs = start.elapsed().as_secs_f64();
    let mut o = String::new();
    o.push_str(&format!(
        "explored: {} DCs, {} keys, {} txns, {} writes, {} reads, ≤ {} crashes, ≤ {} cuts, ≤ {} drops, mode {}, {} messages{}, horizon {} ms{}\n",
        spec.dcs, spec.keys, spec.txns, spec.writes, spec.reads, spec.crashes, spec.cuts, spec.drops,
        spec.mode,
        if spec.quantum_ms > 0 { "timed" } else { "untimed" },
        if spec.quantum_ms > 0 { format!(" (faults every {} ms)", spec.quantum_ms) } else { format!(" (≤ {} ms late)", spec.max_delay_ms) },
        spec.horizon_ms,
        bug.as_ref().map(|b| format!(", bug {}", b.name)).unwrap_or_default(),
    ));
    o.push_str(&format!(
        "states: {}\ndepth: {}\ntransitions: {}\nseconds: {secs:.2}\nstates/s: {:.0}\nexhaustive: {}\n",
        p.states,
        p.depth,
        p.transitions,
        p.states as f64 / secs.max(1e-9),
        if p.truncated {
            "no (stopped at --max-states)"
        } else if !a.all && e.results().iter().any(|r| matches!(r.2, Found::Violated(_))) {
            "no (stopped at the first violation; --all goes on)"
        } else {
            "yes"
        }
    ));
    let mut violated = None;
    for (name, exp, v) in e.results() {
        let kind = match exp {
            Expectation::Always => "always",
            Expectation::Sometimes => "sometimes",
        };
        o.push_str(&format!("property {name} ({kind}): {}\n", v.label()));
        if let (Found::Violated(fp), None) = (&v, violated) {
            violated = Some((name, *fp));
        }
    }
    let code = if let Some((name, fp)) = violated {
        match e.path_to(fp) {
            Some(path) => {
                o.push_str(&format!("counterexample ({name}, {} steps):\n", path.len()));
                for (i, (step, st)) in path.iter().enumerate() {
                    o.push_str(&format!(
                        "  {:>2}. [{:>4} ms] {step}\n",
                        i + 1,
                        st.sim.now().0
                    ));
                }
                if let Some((_, last)) = path.last() {
                    for f in last.sim.findings().iter().filter(|f| f.kind.is_violation()) {
                        o.push_str(&format!(
                            "  finding: {}: {} ({})\n",
                            f.kind.label(),
                            f.text,
                            f.cause
                        ));
                    }
                }
                match e.model().scenario(&path) {
                    Some(sc) => {
                        let bug_flag = bug.as_ref().map(|b| format!(" --bug {}", b.name)).unwrap_or_default();
                        o.push_str(&format!(
                            "scenario (replay: tablestore-sim run FILE{bug_flag}; or import it in the page):\n{}\n",
                            scenario_json(&sc)
                        ));
                    }
                    None => o.push_str(
                        "no scenario file: this path delivers messages out of their timed order or loses a chosen message, which a scenario cannot express; the steps above are the counterexample\n",
                    ),
                }
            }
            None => {
                o.push_str("counterexample: could not be rebuilt (a nondeterministic replay)\n")
            }
        }
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    };
    let printed = out(o.trim_end());
    if code == ExitCode::SUCCESS {
        printed
    } else {
        code
    }
}
