//! `link` and `open` through the binary: a scenario's link opens at its position with the
//! trace hash `run` reports for the same scenario; a damaged or future-version link is
//! refused with exit code 2 and a message naming the problem.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use tablestore_sim::link::{base64url, unbase64url};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tablestore-sim")
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input)
        .expect("written");
    child.wait_with_output().expect("finishes")
}

fn json(o: &Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn a_scenarios_link_opens_where_run_ends_with_the_same_trace_hash() {
    let sched = Command::new(bin())
        .args(["schedule", "12"])
        .output()
        .expect("runs");
    assert!(sched.status.success());
    let report = json(&with_stdin(&["run", "-"], &sched.stdout));
    let link = with_stdin(&["link", "-"], &sched.stdout);
    assert!(link.status.success());
    let text = String::from_utf8(link.stdout).expect("ascii");
    let text = text.trim();
    let opened = json(
        &Command::new(bin())
            .args(["open", &format!("index.html#run={text}")])
            .output()
            .expect("runs"),
    );
    assert_eq!(opened["trace_hash"], report["trace_hash"]);
    assert_eq!(opened["at_ms"], report["end"]);
    assert_eq!(opened["events"], report["events"]);
    assert_eq!(opened["format"], 1);
    // And back to the scenario file.
    let sc = Command::new(bin())
        .args(["open", "--scenario", text])
        .output()
        .expect("runs");
    assert!(sc.status.success());
    let again = json(&with_stdin(&["run", "-"], &sc.stdout));
    assert_eq!(again["trace_hash"], report["trace_hash"]);
}

#[test]
fn damaged_and_future_links_are_refused_by_name() {
    let sched = Command::new(bin())
        .args(["schedule", "3"])
        .output()
        .expect("runs");
    let link = with_stdin(&["link", "-", "--at", "4000"], &sched.stdout);
    let text = String::from_utf8(link.stdout).expect("ascii");
    let text = text.trim();
    let opened = json(
        &Command::new(bin())
            .args(["open", text])
            .output()
            .expect("runs"),
    );
    assert_eq!(opened["at_ms"], 4000);
    let refused = |l: &str, says: &str| {
        let o = Command::new(bin())
            .args(["open", l])
            .output()
            .expect("runs");
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(says), "{err}");
    };
    refused(&text[..text.len() / 2], "damaged or cut short");
    refused(&format!("{}*", &text[..10]), "character");
    let mut bytes = unbase64url(text).expect("own link");
    bytes[0] = 9;
    refused(&base64url(&bytes), "newer version");
    refused(&base64url(&bytes), "format 9");
}
