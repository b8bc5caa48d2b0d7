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
use tablestore_sim::link::{self, RunLink};
use tablestore_sim::schedule::{
    command_infos, play, schedule, settle, Modes, ScheduleOptions, FAULT_SPAN_MS,
};
use tablestore_sim::{parse_scenario, scenario_json, FindingKind, Moment, Sim, SimTime, Timeline};

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
    },
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
        Cmd::Run { file, settle } => run(&file, settle),
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
        "format": link::LINK_VERSION,
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

fn run(file: &str, do_settle: bool) -> ExitCode {
    let sc = match read_scenario(file) {
        Ok(sc) => sc,
        Err(e) => return fail(&e),
    };
    let mut sim = match Sim::new(sc.config.clone()) {
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
    for f in sim.findings() {
        *findings.entry(f.kind).or_insert(0) += 1;
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
