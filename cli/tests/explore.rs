//! `tablestore-sim explore`: the bug list, a seeded bug's counterexample as a scenario
//! file, and that file replayed by `run --bug` to the same finding.

use std::process::Command;

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tablestore-sim")
}

#[test]
fn list_bugs_prints_one_name_a_line() {
    let o = Command::new(bin())
        .args(["explore", "--list-bugs"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout);
    let names: Vec<&str> = text.lines().collect();
    assert!(names.contains(&"ack-before-sync"), "{text}");
    assert!(names.len() >= 5);
}

#[test]
fn a_seeded_bug_is_found_and_its_scenario_replays_to_the_same_finding() {
    let o = Command::new(bin())
        .args(["explore", "--bug", "ack-before-sync", "--bug-config"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "a violation exits with 1");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("property durability (always): violated"),
        "{text}"
    );
    assert!(
        text.contains("counterexample (durability, 7 steps)"),
        "{text}"
    );
    let json = text
        .split_once("or import it in the page):\n")
        .map(|(_, j)| j)
        .expect("a scenario file");
    let file = std::env::temp_dir().join(format!("explore-ack-{}.json", std::process::id()));
    std::fs::write(&file, json).unwrap();
    let run = Command::new(bin())
        .args(["run", file.to_str().unwrap(), "--bug", "ack-before-sync"])
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file);
    assert!(run.status.success());
    let report: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"Durability"), "{kinds:?}");
}
