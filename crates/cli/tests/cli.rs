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

/// A usage error: exit status 2, `error: …` naming every flag in `flags`, nothing on stdout.
fn assert_refused(args: &[&str], flags: &[&str]) {
    let o = caucus(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "caucus {args:?}: {err}");
    assert!(err.starts_with("error: "), "caucus {args:?}: {err}");
    for flag in flags {
        assert!(err.contains(flag), "caucus {args:?} should name {flag}: {err}");
    }
    assert!(!err.contains("panicked"), "caucus {args:?}: {err}");
    assert_eq!(stdout(&o), "", "caucus {args:?} ran anyway");
}

#[test]
fn seed_ranges_that_overflow_are_refused() {
    // Regression: wrapped to an empty range, ran 0 seeds and exited 0 (a panic in debug builds).
    assert_refused(&["swarm", "raft", "--from", "18446744073709551615", "--seeds", "100"], &["--from", "--seeds"]);
    assert_refused(&["swarm", "raft", "--from", "18446744073709551615", "--seeds", "1"], &["--from", "--seeds"]);
    assert_refused(
        &["experiment", "crash-leader", "--seed", "18446744073709551615", "--trials", "2"],
        &["--seed", "--trials"],
    );
    assert_refused(&["lesson", "check", "--from", "18446744073709551615", "--seeds", "5"], &["--from", "--seeds"]);
}

#[test]
fn zero_counts_are_refused() {
    // Regression: `--trials 0` printed an empty distribution and exited 0; `swarm --seeds 0`
    // reported "no violation found" having run nothing.
    assert_refused(&["experiment", "crash-leader", "--trials", "0"], &["--trials"]);
    assert_refused(&["swarm", "raft", "--seeds", "0"], &["--seeds"]);
    assert_refused(&["lesson", "check", "--seeds", "0"], &["--seeds"]);
    assert_refused(&["experiment", "crash-leader", "--limit", "0s"], &["--limit"]);
}

#[test]
fn the_largest_seed_range_that_fits_is_accepted() {
    let o = caucus(&["swarm", "commit-2pc", "--from", "18446744073709551614", "--seeds", "1"]);
    assert!(!stderr(&o).contains("error"), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("swarm: 1 runs"), "{}", stdout(&o));
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

#[test]
fn check_counts_the_two_phase_states_as_tlc_and_stateright_do() {
    let o = caucus(&["check", "two-phase", "--rms", "3"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}{}", stderr(&o));
    assert!(out.lines().any(|l| l == "unique states: 288"), "{out}");
    assert!(out.contains("property “Consistent”: holds in every state within the bounds"), "{out}");
}

#[test]
fn check_prints_a_shortest_counterexample_and_exits_1() {
    let o = caucus(&["check", "commit-3pc", "--nodes", "3"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    assert!(out.contains("property “Atomicity” fails after 9 events"), "{out}");
    assert!(out.contains("   6. n1's decide timer fires"), "{out}");
    assert!(out.contains("        n1: heard no PreCommit for T1"), "{out}");
}

#[test]
fn check_refuses_bad_bounds_naming_the_flag() {
    assert_refused(&["check", "commit-2pc", "--nodes", "0"], &["--nodes"]);
    assert_refused(&["check", "commit-2pc", "--network", "lossy"], &["--network"]);
    assert_refused(&["check", "commit-2pc", "--max-states", "0"], &["--max-states"]);
    assert_refused(&["check", "commit-2pc", "--rms", "3"], &["--rms"]);
    // The ring decides by reading the clock: refused (the lock service is checkable now).
    let o = caucus(&["check", "ring"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("protocol.name"), "{}", stderr(&o));
}
