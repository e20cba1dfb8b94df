//! Redis-style locks, as scenarios a student can watch.
//!
//! The single-service scenarios use nine nodes, three per region; Redlock uses twelve:
//!
//! ```text
//! single:  lock service n0 (us-east-1), storage n3 (eu-west-1),
//!          clients n1 n2 (us-east-1), n4 n5 (eu-west-1), n6 n7 n8 (ap-southeast-1)
//! redlock: instances n0 n4 n8 n1 n5, storage n9 (ap-southeast-1),
//!          clients n2 n3 (us-east-1), n6 n7 (eu-west-1), n10 n11 (ap-southeast-1)
//! ```
//!
//! Defaults: a 1 s lease, 200 ms of work before the write, 1.25 to 2.5 s idle between rounds,
//! retries after a fixed 1 s sleep.

use caucus_protocols::build;
use caucus_protocols::lock::{summarize, Layout, Lock, Msg, Params, Phase, Retry, Storage, Variant, Verdict, COMPARED};
use caucus_sim::swarm::{run_one, swarm, swarm_scenario, FaultProfile};
use caucus_sim::{DynRun, Input, Micros, NodeId, Protocol, Run, Scenario, Status, TopologySpec, MS, SEC};
use serde_json::json;

mod support;
use support::*;

// ---- helpers --------------------------------------------------------------------------------

fn run_to(scenario: Scenario, until: Micros) -> Run<Lock> {
    support::run_to(scenario, until)
}

fn run_whole(name: &str) -> Run<Lock> {
    support::run_whole(name)
}

fn storage(run: &Run<Lock>, node: NodeId) -> &Storage {
    match run.sim().state(node) {
        Some(Lock::Storage(s)) => s,
        other => panic!("n{node} is not the storage: {other:?}"),
    }
}

/// `(client, token label, verdict)` of every write the storage logged.
fn writes(run: &Run<Lock>, node: NodeId, instances: usize) -> Vec<(NodeId, String, Verdict)> {
    storage(run, node).log.iter().map(|e| (e.client, e.token.label(instances), e.verdict)).collect()
}

fn client_phase(run: &Run<Lock>, node: NodeId) -> Option<Phase> {
    match run.sim().state(node) {
        Some(Lock::Client(c)) => Some(c.phase),
        _ => None,
    }
}

fn acquisitions(run: &Run<Lock>, clients: &[NodeId]) -> Vec<u64> {
    clients
        .iter()
        .map(|&c| match run.sim().state(c) {
            Some(Lock::Client(c)) => c.stats.acquisitions,
            _ => 0,
        })
        .collect()
}

const CLIENTS: [NodeId; 7] = [1, 2, 4, 5, 6, 7, 8];

/// A good run: no violation, no starving client, every write accepted in token order, every
/// client got the lock at least once, and at no step did two clients hold it by the service.
fn assert_good(run: &Run<Lock>, storage_node: NodeId, clients: &[NodeId]) {
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(run.check_liveness().is_empty(), "{:?}", run.check_liveness());
    let s = storage(run, storage_node);
    assert!(s.accepted >= 10, "only {} writes", s.accepted);
    assert_eq!((s.rejected, s.stale_accepted), (0, 0));
    assert!(s.log.iter().all(|e| e.verdict == Verdict::Accepted));
    let acq = acquisitions(run, clients);
    assert!(acq.iter().all(|&a| a >= 1), "a client never got the lock: {acq:?}");
}

// ---- layout and parameters ------------------------------------------------------------------

#[test]
fn roles_come_from_the_topology_round_robin_over_datacenters() {
    let t = caucus_protocols::lock::single_topology().build().unwrap();
    let single = Layout::of(&t, &Params::default()).unwrap();
    assert_eq!(single, Layout { servers: vec![0], storage: 3, clients: CLIENTS.to_vec() });
    let t = caucus_protocols::lock::redlock_topology().build().unwrap();
    let redlock = Params { variant: Variant::Redlock, ..Params::default() };
    let five = Layout::of(&t, &redlock).unwrap();
    assert_eq!(five, Layout { servers: vec![0, 4, 8, 1, 5], storage: 9, clients: vec![2, 3, 6, 7, 10, 11] });
    // The five instances span all three datacenters.
    let mut dcs: Vec<_> = five.servers.iter().map(|&n| t.dc_of(n)).collect();
    dcs.sort();
    dcs.dedup();
    assert_eq!(dcs.len(), 3);
}

#[test]
fn bad_parameters_are_refused_with_a_reason() {
    let refused = |params: serde_json::Value, topology: TopologySpec| {
        let mut s = scenario("lock-lease");
        s.protocol.params = params;
        s.topology = topology;
        match build(&s) {
            Ok(_) => panic!("accepted {:?}", s.protocol.params),
            Err(e) => e.to_string(),
        }
    };
    let three = || caucus_protocols::lock::single_topology();
    assert!(refused(json!({"ttl_us": 0}), three()).contains("ttl_us must be above zero"));
    assert!(refused(json!({"variant": "redlock", "instances": 4}), TopologySpec::preset("three-regions", 4))
        .contains("instances must be 3, 5 or 7"));
    assert!(refused(json!({"request_timeout_us": 100_000}), three()).contains("longest round trip"));
    assert!(refused(json!({"variant": "redlock"}), TopologySpec::preset("three-regions", 2))
        .contains("needs 5 lock service(s)"));
    assert!(refused(json!({"backoff_base_us": 3_000_000}), three()).contains("backoff_cap_us"));
    assert!(refused(json!({"variant": "mutex"}), three()).contains("variant"));
    assert!(refused(json!({"drift_ppm": 600_000}), three()).contains("drift_ppm"));
}

// ---- the built-in scenarios -----------------------------------------------------------------

// Every built-in scenario replays byte for byte: `tests/core.rs` checks them all.

#[test]
fn every_builtin_scenario_is_named_for_the_protocol() {
    let all = caucus_protocols::lock::scenarios();
    assert!(all.len() >= 11);
    for s in &all {
        assert!(s.name.starts_with("lock-"), "{}", s.name);
        assert!(build(s).is_ok(), "{}", s.name);
    }
    for name in COMPARED {
        assert!(all.iter().any(|s| s.name == *name), "{name}");
    }
}

#[test]
fn a_lease_without_faults_serializes_every_write() {
    let run = run_whole("lock-lease");
    assert_good(&run, 3, &CLIENTS);
    // Tokens grow by one with each grant and the writes arrive in that order.
    let tokens: Vec<String> = writes(&run, 3, 1).into_iter().map(|(_, t, _)| t).collect();
    let expected: Vec<String> = (1..=tokens.len()).map(|t| format!("t{t}")).collect();
    assert_eq!(tokens, expected);
    // Contention is real: clients are turned away and retry.
    let failed: u64 = CLIENTS
        .iter()
        .map(|&c| match run.sim().state(c) {
            Some(Lock::Client(c)) => c.stats.failed_attempts,
            _ => 0,
        })
        .sum();
    assert!(failed >= 10, "{failed} failed attempts");
    // Messages carry the commands and tokens a student reads on the map.
    let labels: Vec<String> = run.trace().msgs.iter().map(|m| Lock::msg_label(&m.msg)).collect();
    for label in ["SET NX PX1000", "ok t1", "WRITE t1", "write ok", "DEL if mine", "nil (n"] {
        assert!(labels.iter().any(|l| l.starts_with(label)), "no message labelled {label}");
    }
}

#[test]
fn a_gc_pause_past_the_lease_lets_a_stale_holder_write() {
    let run = run_whole("lock-lease-gc-pause");
    let v = &run.violations()[0];
    assert_eq!(v.property, "No write from a stale lock");
    assert_eq!(&v.failure.nodes[..2], &[2, 1], "{}", v.failure.explanation);
    assert!(v.failure.explanation.contains("n2's write t7"), "{}", v.failure.explanation);
    let log = writes(&run, 3, 1);
    let stale = log.iter().position(|w| *w == (2, "t7".to_string(), Verdict::AcceptedStale)).expect("n2's t7 write");
    assert_eq!(log[stale - 2..stale], [(8, "t8".into(), Verdict::Accepted), (1, "t9".into(), Verdict::Accepted)]);
    // The service expired n2's lease while n2 was paused, and n2 wrote after the pause.
    let expired = noted(&run, 0, "lease t7 of n2 expired");
    assert_eq!(expired.len(), 1);
    assert!((4 * SEC + 400 * MS..5 * SEC + 500 * MS).contains(&expired[0]));
    assert!(v.time > 6400 * MS, "stale write at {}", v.time);
    // The same run without the pause is clean.
    let mut calm = scenario("lock-lease-gc-pause");
    calm.script.clear();
    assert!(run_to(calm, 10 * SEC).violations().is_empty());
}

#[test]
fn a_clock_jumping_back_makes_the_holder_write_too_late() {
    let run = run_whole("lock-lease-clock-skew");
    let v = &run.violations()[0];
    assert_eq!(v.failure.nodes[0], 2);
    assert!(writes(&run, 3, 1).contains(&(2, "t7".into(), Verdict::AcceptedStale)));
    // By its own clock n2 never overstayed: its write left inside what it believed was its lease.
    assert!(noted(&run, 2, "its lease ran out").is_empty() || v.time > 6 * SEC);
    assert_eq!(run.sim().clock(2).offset_us, -2_000_000);
}

#[test]
fn fencing_rejects_the_stale_write_of_a_paused_holder() {
    let run = run_whole("lock-fencing-gc-pause");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let log = writes(&run, 3, 1);
    assert_eq!(
        log.iter().filter(|w| w.2 == Verdict::Rejected).collect::<Vec<_>>(),
        [&(2, "t7".into(), Verdict::Rejected)]
    );
    assert!(!noted(&run, 2, "the storage rejected its write").is_empty());
    match run.sim().state(2) {
        Some(Lock::Client(c)) => assert_eq!(c.stats.writes_rejected, 1),
        other => panic!("{other:?}"),
    }
    // The critical sections did overlap: n8 held t8 while paused n2 still believed it held t7.
    let mut overlap = Run::<Lock>::new(scenario("lock-fencing-gc-pause")).unwrap();
    overlap.run_until(5700 * MS).unwrap();
    assert_eq!(overlap.sim().status(2), Status::Paused);
    assert_eq!(client_phase(&overlap, 2), Some(Phase::Working));
    assert!(matches!(client_phase(&overlap, 8), Some(Phase::Working | Phase::Writing)));
    assert!(run_whole("lock-fencing").violations().is_empty());
    assert_good(&run_whole("lock-fencing"), 3, &CLIENTS);
}

#[test]
fn setnx_without_expiry_works_until_a_holder_crashes() {
    let run = run_whole("lock-setnx");
    assert_good(&run, 3, &CLIENTS);
    assert!(noted(&run, 0, "expired").is_empty(), "setnx never expires");
    let msgs: Vec<String> = run.trace().msgs.iter().map(|m| Lock::msg_label(&m.msg)).collect();
    assert!(msgs.iter().any(|l| l == "SET NX") && !msgs.iter().any(|l| l.starts_with("SET NX PX")));
    // Turned-away clients sleep a second, so a wait is about a second or a little more.
    let waits = summarize(&scenario("lock-setnx"), 1, 10 * SEC).unwrap().mean_wait_us;
    assert!((800 * MS..2 * SEC).contains(&waits), "mean wait {waits} µs");
    assert!(!noted(&run, 1, "the lock is held: retries in 1.000 s").is_empty());

    let crashed = run_whole("lock-setnx-crash");
    assert!(crashed.violations().is_empty());
    let live = crashed.check_liveness();
    assert_eq!(live.len(), 1, "{live:?}");
    assert!(live[0].failure.explanation.contains("deadlock"), "{}", live[0].failure.explanation);
    assert!(live[0].failure.nodes.contains(&2));
    // Nobody got the lock after the crash: the last grant is n2's.
    let grants = noted(&crashed, 0, "grants the lock");
    assert!(grants.iter().all(|&t| t < 4500 * MS), "{grants:?}");
    match crashed.sim().state(0) {
        Some(Lock::Server(s)) => assert_eq!(s.held.as_ref().map(|g| g.client), Some(2)),
        other => panic!("{other:?}"),
    }
    // Before the crash the liveness check is content; once n2 is gone with the key, the
    // deadlock is certain and reported at once, not after some time of waiting.
    let before = run_to(scenario("lock-setnx-crash"), 4490 * MS);
    assert!(before.check_liveness().is_empty(), "{:?}", before.check_liveness());
    let after = run_to(scenario("lock-setnx-crash"), 6 * SEC);
    assert!(after.check_liveness()[0].failure.explanation.contains("crashed"));
}

#[test]
fn retry_strategies_trade_waiting_for_wasted_requests() {
    let fixed = summarize(&scenario("lock-lease"), 1, 120 * SEC).unwrap();
    let backoff = summarize(&scenario("lock-backoff"), 1, 120 * SEC).unwrap();
    let notify = summarize(&scenario("lock-notify"), 1, 120 * SEC).unwrap();
    assert_eq!((backoff.retry, notify.retry), (Retry::Backoff, Retry::Notify));
    // Backoff waits less but wastes more requests than a fixed 1 s sleep.
    assert!(backoff.mean_wait_us < fixed.mean_wait_us, "{backoff:?} {fixed:?}");
    assert!(backoff.failed_attempts > fixed.failed_attempts, "{backoff:?} {fixed:?}");
    // Notification waits least and gets the most done.
    assert!(notify.mean_wait_us < backoff.mean_wait_us, "{notify:?} {backoff:?}");
    assert!(notify.acquisitions > fixed.acquisitions && notify.acquisitions > backoff.acquisitions);
    // ...but it is the least fair: every release wakes everyone and the nearest ask first.
    assert!(notify.fairness_percent() + 5 <= fixed.fairness_percent(), "{notify:?} {fixed:?}");
    assert!(notify.fairness_percent() + 5 <= backoff.fairness_percent(), "{notify:?} {backoff:?}");
    for s in [&fixed, &backoff, &notify] {
        assert_eq!(s.stale_accepted, 0);
        assert_eq!(s.per_client.len(), CLIENTS.len());
    }
    let one_winner = caucus_protocols::lock::Summary { per_client: vec![4, 0, 0, 0], ..fixed.clone() };
    assert_eq!(one_winner.fairness_percent(), 25);
    assert_good(&run_whole("lock-backoff"), 3, &CLIENTS);
    assert_good(&run_whole("lock-notify"), 3, &CLIENTS);
}

#[test]
fn with_notifications_the_clients_near_the_service_win_most() {
    let mut s = scenario("lock-notify");
    s.until_us = 60 * SEC;
    let run = run_to(s, 60 * SEC);
    let acq = acquisitions(&run, &CLIENTS);
    let near = (acq[0] + acq[1]) as f64 / 2.0; // n1 n2 in us-east-1, beside the service
    let far = (acq[4] + acq[5] + acq[6]) as f64 / 3.0; // n6 n7 n8 in ap-southeast-1
    assert!(near > 1.5 * far, "near {near} far {far}: {acq:?}");
    assert!(run.trace().msgs.iter().any(|m| m.msg == Msg::Released));
}

#[test]
fn redlock_takes_a_majority_and_still_breaks_under_a_pause_or_a_clock_jump() {
    let clients = [2, 3, 6, 7, 10, 11];
    let run = run_whole("lock-redlock");
    assert_good(&run, 9, &clients);
    // Every accepted write carries grants from at least three of the five instances.
    assert!(storage(&run, 9).log.iter().all(|e| e.token.0.len() >= 3));

    for name in ["lock-redlock-gc-pause", "lock-redlock-clock-jump"] {
        let run = run_whole(name);
        let v = run.violations().first().unwrap_or_else(|| panic!("{name}: no violation"));
        assert_eq!(v.failure.nodes[0], 7, "{name}: {}", v.failure.explanation);
        let stale: Vec<_> = writes(&run, 9, 5).into_iter().filter(|w| w.2 == Verdict::AcceptedStale).collect();
        assert_eq!(stale.len(), 1, "{name}: {stale:?}");
        assert_eq!(stale[0].0, 7);
        // n7 held a majority (its token names three instances or more) before the fault.
        assert!(stale[0].1.matches('·').count() == 4 && stale[0].1.matches('–').count() <= 2);
    }
}

#[test]
fn instance_clocks_jumping_ahead_give_two_redlock_holders_at_once() {
    let mut run = Run::<Lock>::new(scenario("lock-redlock-instance-clock-jump")).unwrap();
    run.run_until(4450 * MS).unwrap();
    // Seed 1: n2 holds by its clock and is still writing; n5 holds a fresh majority.
    assert_eq!(client_phase(&run, 2), Some(Phase::Writing));
    assert!(matches!(client_phase(&run, 5), Some(Phase::Working | Phase::Writing)));
    let holders_at = |instance: NodeId| match run.sim().state(instance) {
        Some(Lock::Server(s)) => s.held.as_ref().map(|g| g.client),
        other => panic!("{other:?}"),
    };
    let for_n5 = [0, 3, 6, 1, 4].iter().filter(|&&i| holders_at(i) == Some(5)).count();
    assert!(for_n5 >= 3, "n5 holds {for_n5} instances");
    // The three instances that granted n2 dropped its lease at the jump, the step it took the lock.
    for instance in [0, 1, 6] {
        assert_eq!(noted(&run, instance, "lease t7 of n2 expired"), [4164554], "n{instance}");
    }
    // Writes happened to arrive in order: the property, as the storage sees it, holds.
    let whole = run_whole("lock-redlock-instance-clock-jump");
    assert!(whole.violations().is_empty(), "{:?}", whole.violations());
    let log = writes(&whole, 7, 5);
    let n2 = log.iter().position(|w| w.0 == 2 && w.1 == "t7·–·7·7·–").expect("n2's write");
    assert_eq!(log[n2 + 1].0, 5, "n5 wrote right after n2: {log:?}");
}

/// The description's promise on every seed: once the jumps are in, two clients believe they
/// hold the lock at the same step, and the storage accepts nothing stale.
#[test]
fn instance_clocks_jumping_ahead_overlap_on_every_seed() {
    let base = scenario("lock-redlock-instance-clock-jump");
    for seed in 0..100 {
        let mut s = base.clone();
        s.seed = seed;
        let until = s.until_us;
        let mut run = Run::<Lock>::new(s).unwrap();
        let mut overlap = false;
        while !overlap && run.sim().now() < until && run.apply(Input::Step).unwrap() {
            overlap = [2, 5].iter().all(|&c| client_phase(&run, c).is_some_and(|p| p.holds()));
        }
        assert!(overlap, "seed {seed}: n2 and n5 never held at once");
        assert_eq!(
            run.moments().iter().filter(|m| m.label.contains("clock jumps 1.000 s ahead")).count(),
            3,
            "seed {seed}"
        );
        run.run_until(until).unwrap();
        assert!(run.violations().is_empty(), "seed {seed}: {:?}", run.violations());
    }
}

// ---- requests -------------------------------------------------------------------------------

#[test]
fn a_client_can_be_asked_to_take_the_lock_now() {
    let mut run = Run::<Lock>::new(scenario("lock-lease")).unwrap();
    run.run_until(MS).unwrap();
    assert_eq!(client_phase(&run, 5), Some(Phase::Idle));
    run.apply(Input::Request { node: 5, request: json!("acquire") }).unwrap();
    assert_eq!(client_phase(&run, 5), Some(Phase::Acquiring));
    run.apply(Input::Request { node: 0, request: json!("acquire") }).unwrap();
    assert!(run.apply(Input::Request { node: 5, request: json!("release") }).is_err());
    run.run_until(400 * MS).unwrap();
    assert_eq!(noted(&run, 0, "grants the lock to n5").len(), 1);
}

// ---- the comparison table ---------------------------------------------------------------------

#[test]
fn the_comparison_shows_which_variants_break() {
    let rows: Vec<_> = COMPARED.iter().map(|n| summarize(&scenario(n), 1, 25 * SEC).unwrap()).collect();
    let row = |name: &str| rows.iter().find(|r| r.scenario == name).unwrap();
    assert_eq!(row("lock-lease-gc-pause").stale_accepted, 1);
    assert_eq!(row("lock-redlock-gc-pause").stale_accepted, 1);
    assert_eq!((row("lock-fencing-gc-pause").stale_accepted, row("lock-fencing-gc-pause").writes_rejected), (0, 1));
    assert!(!row("lock-setnx-crash").starving.is_empty());
    for good in ["lock-setnx", "lock-lease", "lock-fencing", "lock-redlock"] {
        let r = row(good);
        assert_eq!((r.stale_accepted, r.writes_rejected), (0, 0), "{good}");
        assert!(r.starving.is_empty() && r.acquisitions > 20, "{r:?}");
    }
    // The untraced summary agrees with a recorded run.
    let run = run_whole("lock-lease-gc-pause");
    let s = summarize(&scenario("lock-lease-gc-pause"), 1, 10 * SEC).unwrap();
    assert_eq!(s.writes_accepted, storage(&run, 3).accepted);
}

// ---- swarms ---------------------------------------------------------------------------------

fn swarm_base(name: &str) -> Scenario {
    scenario(name)
}

/// GC pauses and clock jumps, often: a lease breaks only when a pause or jump hits a holder in
/// the 200 ms between taking the lock and writing, so the built-in `pauses` profile rarely does.
fn stop_the_world() -> FaultProfile {
    FaultProfile {
        pauses_per_min: 90,
        skews_per_min: 30,
        max_pause_us: 3 * SEC,
        max_skew_us: 2 * SEC,
        ..FaultProfile::named("pauses").unwrap()
    }
}

/// Runs every seed (not stopping at the first finding) and counts the stale writes accepted.
fn stale_writes_over_seeds(name: &str, profile: &FaultProfile, seeds: std::ops::Range<u64>) -> (u64, u64) {
    let (mut runs_caught, mut steps) = (0, 0);
    for seed in seeds {
        let s = swarm_scenario(&swarm_base(name), profile, seed).unwrap();
        let (found, n) = run_one::<Lock>(&s).unwrap();
        steps += n;
        if found.is_some_and(|v| v.property == "No write from a stale lock") {
            runs_caught += 1;
        }
    }
    (runs_caught, steps)
}

#[test]
fn fencing_never_accepts_a_stale_write_where_the_lease_alone_does() {
    for profile in [stop_the_world(), FaultProfile::named("default").unwrap(), FaultProfile::named("chaos").unwrap()] {
        let (fenced, steps) = stale_writes_over_seeds("lock-fencing", &profile, 0..40);
        assert_eq!(fenced, 0, "{profile:?}");
        assert!(steps > 40 * 500, "{steps} steps");
    }
    // The same seeds and faults without fencing: stale writes get through.
    let (unfenced, _) = stale_writes_over_seeds("lock-lease", &stop_the_world(), 0..40);
    assert!(unfenced >= 3, "only {unfenced} of 40 runs caught");
}

#[test]
fn without_fencing_random_pauses_and_clock_jumps_are_caught() {
    let p = stop_the_world();
    for name in ["lock-lease", "lock-redlock"] {
        let report = swarm::<Lock>(&swarm_base(name), &p, 0..40).unwrap();
        let f = report.finding.unwrap_or_else(|| panic!("{name}: 40 seeds and nothing caught"));
        assert_eq!(f.violation.property, "No write from a stale lock", "{name}: {:?}", f.violation);
        // The finding replays exactly, by its scenario alone.
        let (again, _) = run_one::<Lock>(&f.scenario).unwrap();
        assert_eq!(again.as_ref(), Some(&f.violation));
        let replay = swarm_scenario(&swarm_base(name), &p, f.seed).unwrap();
        assert_eq!(replay, f.scenario);
    }
}

#[test]
fn without_expiry_a_random_crash_of_a_holder_is_caught_as_a_deadlock() {
    let p = FaultProfile::named("crashes").unwrap();
    let report = swarm::<Lock>(&swarm_base("lock-setnx"), &p, 0..20).unwrap();
    let f = report.finding.expect("a crashed holder deadlocks setnx");
    assert_eq!(f.violation.property, "Every waiting client eventually acquires");
    assert!(f.violation.failure.explanation.contains("deadlock"), "{}", f.violation.failure.explanation);
    // With a lease the same crashes heal.
    let leased = swarm::<Lock>(&swarm_base("lock-lease"), &p, 0..20).unwrap();
    assert!(leased.finding.is_none(), "{:?}", leased.finding.map(|f| (f.seed, f.violation)));
}

#[test]
fn a_calm_swarm_finds_nothing_in_any_variant() {
    let calm = FaultProfile::named("calm").unwrap();
    for name in ["lock-setnx", "lock-lease", "lock-fencing", "lock-redlock"] {
        let report = swarm::<Lock>(&swarm_base(name), &calm, 0..8).unwrap();
        assert!(report.finding.is_none(), "{name}: {:?}", report.finding.map(|f| (f.seed, f.violation)));
    }
}

#[test]
fn the_map_shows_roles_tokens_and_both_leases() {
    let mut run = build(&scenario("lock-lease")).unwrap();
    run.run_until(4440 * MS).unwrap();
    let nodes = run.nodes();
    let at = |n: usize| (nodes[n].role.as_str(), nodes[n].badge.as_str(), nodes[n].countdown.map(|c| c.label));
    assert_eq!(at(0), ("held", "t7 → n2", Some("lease at the lock service")));
    assert_eq!(at(2), ("holding", "t7", Some("lease by the holder's clock")));
    assert_eq!(at(3).0, "storage");
    assert!(at(3).1.ends_with("ok · 0 rej"), "{}", at(3).1);
    let json = run.node_state_json(0);
    assert!(json.contains("\"role\": \"server\""), "{json}");
}

// ---- the exhaustive checker's view of a state -------------------------------------------------

fn hash_of(state: &Lock) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    state.hash(&mut h);
    h.finish()
}

#[test]
fn a_state_hashes_without_the_panels_counts_but_with_what_decides() {
    let run = run_whole("lock-lease-gc-pause");
    let state = |n: NodeId| run.sim().state(n).cloned().unwrap();
    let (Lock::Server(server), Lock::Storage(store)) = (state(0), state(3)) else { panic!("the layout changed") };
    let Some((node, Lock::Client(client))) = CLIENTS
        .iter()
        .map(|&c| (c, state(c)))
        .find(|(_, s)| matches!(s, Lock::Client(c) if c.phase == Phase::Idle && c.stats.acquisitions > 0))
    else {
        panic!("no idle client that held the lock")
    };
    let same = |a: Lock, b: Lock| hash_of(&a) == hash_of(&b);
    // What only the panel shows: the counts, the lease by the client's clock, the last token.
    let mut c = client.clone();
    c.stats.acquisitions += 3;
    c.stats.total_wait_us += SEC;
    c.failures += 2;
    c.valid_until = Some(5 * SEC);
    c.token.0.push((0, 99));
    assert!(same(Lock::Client(client.clone()), Lock::Client(c)), "n{node}");
    let mut s = server.clone();
    s.refusals += 1;
    s.expiries += 1;
    s.expired_last = !s.expired_last;
    assert!(same(Lock::Server(server.clone()), Lock::Server(s)));
    let mut st = store.clone();
    st.accepted += 1;
    st.dropped += 1;
    st.log.iter_mut().for_each(|e| e.at_us += 1);
    assert!(same(Lock::Storage(store.clone()), Lock::Storage(st)));
    // What decides what happens next, or what a property says.
    let mut c = client.clone();
    c.phase = Phase::Sleeping;
    c.waiting_since = Some(0);
    assert!(!same(Lock::Client(client.clone()), Lock::Client(c)));
    let mut s = server.clone();
    s.counter += 1;
    assert!(!same(Lock::Server(server.clone()), Lock::Server(s)));
    // Who wrote the highest token: the safety property's explanation names them.
    let mut st = store.clone();
    let highest = st.highest[0];
    let writer =
        st.log.iter_mut().rev().find(|e| e.verdict != Verdict::Rejected && e.token.0 == [(0, highest)]).unwrap();
    writer.client = if writer.client == 1 { 2 } else { 1 };
    assert!(!same(Lock::Storage(store.clone()), Lock::Storage(st)));
    let mut st = store.clone();
    st.first_stale = None;
    assert!(!same(Lock::Storage(store), Lock::Storage(st)), "the stale write is in the state");
}
