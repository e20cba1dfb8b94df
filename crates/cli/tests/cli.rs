//! The `caucus` binary as a person runs it: its exit status, what it prints, and what it refuses.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

fn caucus(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_caucus")).args(args).output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn a_run_until_forever_prints_a_sane_until() {
    // Regression: `until_us` = 2^64 - 1 printed `until 0.000 s` (the rounding overflowed). The
    // 2PC scenario goes quiet after its transaction, so the run ends long before the step limit.
    let mut scenario = caucus_protocols::builtin("commit-2pc").unwrap();
    scenario.until_us = u64::MAX;
    let path = std::env::temp_dir().join(format!("caucus-forever-{}.json", std::process::id()));
    std::fs::write(&path, scenario.to_json()).unwrap();
    let o = caucus(&["run", path.to_str().unwrap()]);
    std::fs::remove_file(&path).unwrap();
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.lines().next().unwrap().ends_with("until 18446744073709.552 s"), "{out}");
}

#[test]
fn a_long_run_finishes_with_its_digest() {
    // Regression: the digest was computed from the whole trace built as one JSON string (3.2 GB
    // for this run, past 11 GB at the step limit). It is now hashed record by record.
    let o = caucus(&["run", "heartbeat", "--until", "1000s"]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.starts_with("scenario heartbeat (heartbeat), seed 1, until 1000.000 s\n"), "{out}");
    // The digest of this run before the change (computed by the old, whole-string code).
    assert!(out.contains("\ndigest 45c4de183040e2281798f867a0240056dfd3f43e\n"), "{out}");
}

/// Starts `caucus args` with stdout piped, reads one line, closes the pipe and waits.
fn read_one_line_then_close(args: &[&str]) -> (String, Output) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_caucus"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    // The reader (and with it the pipe's only read end) is dropped here, as `head -1` exits.
    let o = child.wait_with_output().unwrap();
    (line, o)
}

#[test]
fn a_closed_stdout_ends_the_command_quietly() {
    // Regression: `caucus run heartbeat --until 100s | head -1` panicked ("failed printing to
    // stdout: Broken pipe"), exit status 101.
    for args in
        [&["run", "heartbeat", "--until", "100s"][..], &["experiment", "crash-leader", "--trials", "40", "--csv"][..]]
    {
        let (line, o) = read_one_line_then_close(args);
        assert!(!line.is_empty(), "caucus {args:?} printed nothing");
        let err = stderr(&o);
        assert!(!err.contains("panicked") && err.is_empty(), "caucus {args:?}: {err}");
        assert!(o.status.success() || o.status.code() == Some(141), "caucus {args:?}: {:?}", o.status);
    }
}

#[test]
fn output_errors_other_than_a_closed_pipe_are_reported() {
    if !std::path::Path::new("/dev/full").exists() {
        return;
    }
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_caucus")).arg("list").stdout(full).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).starts_with("error: cannot write the output"), "{}", stderr(&o));
}
