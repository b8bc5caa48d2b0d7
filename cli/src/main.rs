//! `tablestore-sim`: the playground's core without the page — print a seed's fault
//! schedule as a scenario file, run a scenario to a JSON report, sweep many seeds.
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
use tablestore_sim::schedule::{
    command_infos, play, schedule, settle, Modes, ScheduleOptions, FAULT_SPAN_MS,
};
use tablestore_sim::{parse_scenario, scenario_json, FindingKind, Sim};

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

fn run(file: &str, do_settle: bool) -> ExitCode {
    let mut text = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|t| text = t)
    };
    if let Err(e) = read {
        return fail(&format!("cannot read {file}: {e}"));
    }
    let sc = match parse_scenario(&text) {
        Ok(sc) => sc,
        Err(e) => return fail(&e.0),
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
