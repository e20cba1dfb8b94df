//! Every built-in scenario shows what its description claims on every seed, not only its own:
//! faults aimed at a role (`when` in the script) hit whoever plays it on that seed. The expected
//! outcome of each scenario is written below as data, next to its name.
//!
//! `SWEEP_SEEDS=n` sweeps `n` seeds instead of [`SEEDS`]; `SWEEP_ONLY=prefix` limits the sweep.

use caucus_protocols::{build, builtin_scenarios};
use caucus_sim::Scenario;

/// Seeds each scenario is run with (0..SEEDS, its own seed among them or not).
const SEEDS: u64 = 100;

/// What a scenario's description claims, checked on every seed.
struct Claim {
    scenario: &'static str,
    /// Safety properties that fail by `until_us` on every seed; every other safety property holds
    /// on every seed. A name ending in ` (liveness)` is a liveness property that fails at `until_us`
    /// on every seed (other liveness properties are not checked: a run may end unsettled).
    fails: &'static [&'static str],
    /// Safety properties the description claims nothing about, which may go either way.
    unclaimed: &'static [&'static str],
    /// Texts that key moments contain, in this order, on every seed (the story's turns).
    story: &'static [&'static str],
    /// Texts that no moment contains on any seed (what the description says does not happen).
    never: &'static [&'static str],
}

const fn claim(scenario: &'static str, fails: &'static [&'static str], story: &'static [&'static str]) -> Claim {
    Claim { scenario, fails, unclaimed: &[], story, never: &[] }
}

const STALE: &str = "No write from a stale lock";
/// A balance backend's queue grew to ten: what a herd or a slow backend does, and nothing else.
const QUEUED: &str = "requests queued";

/// A balance scenario where no backend's queue ever grows long.
const fn quiet(scenario: &'static str) -> Claim {
    Claim { never: &[QUEUED], ..claim(scenario, &[], &[]) }
}
const ONE_LEADER: &str = "At most one leader";

const CLAIMS: &[Claim] = &[
    claim("heartbeat", &[], &[]),
    claim("heartbeat-crash", &[], &["n3 crashes", "suspects n3", "n3 restarts", "trusts n3 again"]),
    claim("heartbeat-gc-pause", &["Strong accuracy"], &["n1 stops for"]),
    claim("heartbeat-partition", &[], &["network is cut", "suspects", "partitions heal"]),
    claim("heartbeat-clock-jump", &["Strong accuracy"], &["n0's clock jumps"]),
    claim("raft", &[], &["elected leader of term"]),
    claim(
        "raft-leader-crash",
        &[],
        &["(the leader) crashes", "elected leader of term", "(the leader at 4.000 s) restarts"],
    ),
    claim("raft-split-vote", &[], &["elected leader of term"]),
    claim(
        "raft-partition-leader-dc",
        &[],
        &["elected leader of term", "datacenter of n", "partitions heal", "steps down from leader of term"],
    ),
    // n0 leads term 1; n4's return deposes it, and n4 (its log behind) never wins.
    Claim {
        scenario: "raft-rejoin-no-prevote",
        fails: &[],
        unclaimed: &[],
        story: &[
            "n0 elected leader of term 1",
            "network is cut",
            "partitions heal",
            "n0 steps down from leader of term 1",
            "elected leader of term",
        ],
        never: &["n4 elected"],
    },
    // With pre-vote the leader is never deposed.
    Claim {
        scenario: "raft-rejoin-prevote",
        fails: &[],
        unclaimed: &[],
        story: &["n0 elected leader of term 1", "network is cut", "partitions heal"],
        never: &["steps down from leader", "n4 elected"],
    },
    claim("raft-log-repair", &[], &["(a follower) crashes", "(a follower at 3.000 s) restarts"]),
    claim("raft-nine-nodes", &[], &["elected leader of term"]),
    claim("raft-figure-16", &[], &["elected leader of term"]),
    // Empty histories: the highest id wins the first election.
    Claim {
        scenario: "zab",
        fails: &[],
        unclaimed: &[],
        story: &["n4 is elected leader for epoch 1"],
        never: &["steps down", "truncates"],
    },
    claim(
        "zab-leader-crash",
        &[],
        &[
            "is elected leader for epoch 1",
            "(the leader at 4.000 s) crashes",
            "is elected leader for epoch 2",
            "(the leader at 4.000 s) restarts",
            "syncs by",
        ],
    ),
    claim(
        "zab-partition",
        &[],
        &[
            "is elected leader for epoch 1",
            "is cut off",
            "steps down from epoch 1",
            "is elected leader for epoch 2",
            "partitions heal",
            "truncates 1 uncommitted proposal",
        ],
    ),
    claim(
        "zab-follower-rejoin",
        &[],
        &["(a follower) crashes", "(a follower at 3.000 s) restarts", "syncs by DIFF (3 transactions)"],
    ),
    claim("paxos", &[], &[]),
    claim("paxos-duel", &["A value is eventually learned (liveness)"], &[]),
    claim("paxos-duel-backoff", &[], &[]),
    claim("paxos-acceptor-crash", &[], &["n3 crashes", "n2 crashes", "n2 restarts"]),
    claim("bully", &[], &[]),
    claim("bully-leader-crash", &[ONE_LEADER], &["n5 crashes", "n5 restarts"]),
    claim("bully-partition", &[ONE_LEADER], &["network is cut", "partitions heal"]),
    claim("ring", &[], &[]),
    claim("ring-join", &[], &[]),
    claim("ring-leave", &[], &[]),
    claim("ring-sloppy", &["Reads see the last acknowledged write"], &["network is cut", "partitions heal"]),
    claim("ring-five-regions", &[], &[]),
    // The description claims the movement; a stale read during the hand-over happens on some seeds.
    Claim {
        scenario: "ring-mod-n",
        fails: &["Minimal movement"],
        unclaimed: &["Reads see the last acknowledged write"],
        story: &[],
        never: &[],
    },
    claim("commit-2pc", &[], &["n0 commits T1"]),
    claim("commit-2pc-no-vote", &[], &["n0 aborts T1"]),
    claim("commit-2pc-coordinator-crash", &[], &["n0 crashes", "n0 restarts"]),
    claim("commit-2pc-crash-after-decision", &[], &["n0 commits T1", "n0 crashes", "n0 restarts"]),
    claim("commit-2pc-cooperative", &[], &["n0 commits T1", "n0 crashes"]),
    claim("commit-2pc-work-timeout", &[], &["n0 crashes"]),
    claim("commit-2pc-participant-crash", &[], &["n4 crashes", "n0 commits T1", "n4 restarts", "n4 recovers in doubt"]),
    claim("commit-2pc-concurrent", &[], &[]),
    claim("commit-3pc", &[], &[]),
    claim("commit-3pc-coordinator-crash", &[], &["n0 crashes", "n0 restarts"]),
    claim("commit-3pc-partition", &["Atomicity"], &["network is cut"]),
    claim("commit-saga", &[], &[]),
    claim("commit-saga-compensate", &[], &[]),
    claim("lock-lease", &[], &[]),
    claim(
        "lock-lease-gc-pause",
        &[STALE],
        &["(the holder, before its write) stops for", "expired", "wakes from its pause"],
    ),
    claim("lock-lease-clock-skew", &[STALE], &["(the holder, before its write)'s clock jumps"]),
    claim("lock-fencing", &[], &[]),
    claim(
        "lock-fencing-gc-pause",
        &[],
        &["(the holder, before its write) stops for", "expired", "wakes from its pause", "rejects"],
    ),
    claim("lock-setnx", &[], &[]),
    claim("lock-setnx-crash", &["Every waiting client eventually acquires (liveness)"], &["(the holder) crashes"]),
    claim("lock-backoff", &[], &[]),
    claim("lock-notify", &[], &[]),
    claim("lock-redlock", &[], &[]),
    claim("lock-redlock-gc-pause", &[STALE], &["(the holder, before its write) stops for", "wakes from its pause"]),
    claim(
        "lock-redlock-instance-clock-jump",
        &[],
        &["(instance 1 of the holder's lock)'s clock jumps", "(instance 3 of the holder's lock)'s clock jumps"],
    ),
    claim("lock-redlock-clock-jump", &[STALE], &["(the holder, before its write)'s clock jumps"]),
    Claim {
        scenario: "lock-zookeeper",
        fails: &[],
        unclaimed: &[],
        story: &["holds the lock", "watch fires"],
        never: &["session", "gives up", "although the last holder never released it"],
    },
    claim(
        "lock-zookeeper-gc-pause",
        &[STALE],
        &[
            "(the holder, before its write) stops for",
            "session",
            "expired",
            "although the last holder never released it",
            "wakes from its pause",
            "stale write",
        ],
    ),
    claim(
        "lock-zookeeper-fenced-gc-pause",
        &[],
        &[
            "(the holder, before its write) stops for",
            "expired",
            "although the last holder never released it",
            "wakes from its pause",
            "rejects",
        ],
    ),
    quiet("balance"),
    quiet("balance-nearest"),
    Claim {
        never: &[QUEUED],
        ..claim("balance-backend-crash", &[], &["n6 crashes", "marks n6 down", "n6 restarts", "marks n6 up again"])
    },
    claim("balance-no-health-checks", &["No request to a dead backend"], &["n6 crashes"]),
    claim("balance-gray-failure", &[], &["n3 turns slow", "n3 has 10 requests queued", "n3 turns requests away"]),
    Claim { never: &[QUEUED], ..claim("balance-gray-failure-least-connections", &[], &["n3 turns slow"]) },
    claim("balance-stale-load", &["p99 under target once healthy (liveness)"], &[QUEUED]),
    quiet("balance-power-of-two"),
    claim("balance-retry-storm", &["Bounded queues"], &["n3 turns slow", "n3 has 10 requests queued"]),
];

/// What went against the claim on one seed, or nothing.
fn check(claim: &Claim, scenario: &Scenario, seed: u64) -> Vec<String> {
    let mut s = scenario.clone();
    s.seed = seed;
    let mut run = build(&s).expect("a built-in scenario is valid");
    let mut wrong = Vec::new();
    if let Err(e) = run.run_until(s.until_us) {
        wrong.push(format!("the run stopped: {e}"));
    }
    let mut failed: Vec<String> = run.violations().iter().map(|v| v.property.clone()).collect();
    failed.extend(run.check_liveness().iter().map(|v| format!("{} (liveness)", v.property)));
    for &p in claim.fails {
        if !failed.iter().any(|f| f == p) {
            wrong.push(format!("`{p}` should fail but holds"));
        }
    }
    for v in run.violations() {
        let p = v.property.as_str();
        if !claim.fails.contains(&p) && !claim.unclaimed.contains(&p) {
            wrong.push(format!("`{p}` should hold but fails at {} µs: {}", v.time, v.failure.explanation));
        }
    }
    for &text in claim.never {
        if let Some(m) = run.moments().iter().find(|m| m.label.contains(text)) {
            wrong.push(format!("moment `{}` at {} µs, which the description rules out", m.label, m.time));
        }
    }
    let mut labels = run.moments().iter().map(|m| m.label.as_str());
    for &text in claim.story {
        if !labels.any(|l| l.contains(text)) {
            wrong.push(format!("no moment `{text}` (in order)"));
            break;
        }
    }
    wrong
}

#[test]
fn every_builtin_scenario_shows_its_claim_on_every_seed() {
    let started = std::time::Instant::now();
    let seeds: u64 = std::env::var("SWEEP_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(SEEDS);
    let only = std::env::var("SWEEP_ONLY").unwrap_or_default();
    let scenarios: Vec<Scenario> = builtin_scenarios().into_iter().filter(|s| s.name.starts_with(&only)).collect();
    for s in &scenarios {
        assert!(CLAIMS.iter().any(|c| c.scenario == s.name), "no claim written for `{}`", s.name);
    }
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(8) as u64;
    let problems: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let scenarios = &scenarios;
                scope.spawn(move || {
                    let mut problems = Vec::new();
                    for s in scenarios {
                        let claim = CLAIMS.iter().find(|c| c.scenario == s.name).expect("checked above");
                        for seed in (t..seeds).step_by(threads as usize) {
                            for w in check(claim, s, seed) {
                                problems.push(format!("{} seed {seed}: {w}", s.name));
                            }
                        }
                    }
                    problems
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a sweep thread")).collect()
    });
    eprintln!(
        "swept {} scenarios × {seeds} seeds on {threads} threads in {} ms",
        scenarios.len(),
        started.elapsed().as_millis()
    );
    let mut problems = problems;
    problems.sort();
    assert!(problems.is_empty(), "{} claims broken:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn every_claim_names_a_builtin_scenario() {
    let names: Vec<String> = builtin_scenarios().into_iter().map(|s| s.name).collect();
    for c in CLAIMS {
        assert!(names.iter().any(|n| n == c.scenario), "claim for unknown scenario `{}`", c.scenario);
    }
}

#[test]
fn a_broken_claim_is_caught() {
    let s = caucus_protocols::builtin("lock-lease").unwrap();
    let wrong = check(&claim("lock-lease", &[STALE], &["no such moment"]), &s, 1);
    assert_eq!(wrong.len(), 2, "{wrong:?}");
    let s = caucus_protocols::builtin("lock-lease-gc-pause").unwrap();
    assert_eq!(check(&claim("lock-lease-gc-pause", &[], &[]), &s, 1).len(), 1);
}
