use tablestore_sim::schedule::{play, schedule, settle, Modes, ScheduleOptions};
use tablestore_sim::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let from: u64 = args[1].parse().unwrap();
    let n: u64 = args[2].parse().unwrap();
    let bug = args.get(3).is_some_and(|a| a == "bug");
    let admin = args.get(4).is_some_and(|a| a == "admin");
    let bugs = Bugs {
        snapshot_without_intents: bug,
        ..Bugs::default()
    };
    let (mut with_install, mut caught, mut installs) = (0, 0, 0);
    for seed in from..from + n {
        let sc = schedule(
            seed,
            ScheduleOptions {
                modes: Modes::Mixed,
                admin,
            },
        );
        let mut sim = Sim::with_bugs(sc.config.clone(), bugs).unwrap();
        play(&mut sim, &sc);
        settle(&mut sim);
        let k = sim
            .events()
            .filter(|e| matches!(e.kind, EventKind::SnapshotInstalled { .. }))
            .count();
        installs += k;
        if k > 0 {
            with_install += 1;
        }
        let v = sim.checker().violations();
        if v > 0 {
            caught += 1;
            println!(
                "seed {seed}: {:?}",
                sim.findings()
                    .iter()
                    .filter(|f| f.kind.is_violation())
                    .map(|f| f.kind)
                    .collect::<Vec<_>>()
            );
        }
    }
    println!("{n} schedules: {with_install} with a snapshot install ({installs} installs), {caught} with violations");
}
