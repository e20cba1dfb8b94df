//! The exhaustive checker against the anchors: Gray and Lamport's TwoPhase has the reachable
//! states TLC and Stateright count.

mod support;

use caucus_protocols::two_phase::{self, TwoPhase};
use caucus_sim::explore::{Bounds, Explorer, Network};

fn two_phase(rms: u16) -> Explorer<TwoPhase> {
    let bounds = Bounds { network: Network::Duplicating, ..Bounds::default() };
    Explorer::new(two_phase::topology(rms).unwrap(), Default::default(), 1, bounds).unwrap()
}

#[test]
fn two_phase_with_3_rms_has_288_states_as_in_tlc() {
    let mut check = two_phase(3);
    let progress = check.run_to_end();
    assert!(check.found().is_none(), "{:?}", check.found().map(|f| f.failure));
    assert!(check.complete());
    assert_eq!(progress.unique, 288);
}

#[test]
fn two_phase_with_5_rms_has_8832_states_as_in_tlc() {
    let mut check = two_phase(5);
    assert_eq!(check.run_to_end().unique, 8_832);
    assert!(check.complete());
}

// ---- the real protocols, in small configurations --------------------------------------------

use caucus_protocols::{builtin, check};

/// Checks the built-in `scenario` on `nodes` nodes within `bounds` (the protocol's default network).
fn check_on(scenario: &str, nodes: u16, bounds: Bounds) -> check::Report {
    let s = check::on_nodes(&builtin(scenario).unwrap(), nodes);
    let bounds = Bounds { network: check::default_network(&s.protocol.name), ..bounds };
    check::check(&s, bounds, |_| {}).unwrap()
}

fn events(finding: &check::Finding) -> Vec<&str> {
    finding.path.iter().map(|s| s.event.as_str()).collect()
}

#[test]
fn three_phase_commit_breaks_atomicity_when_a_timeout_beats_precommit() {
    let report = check_on("commit-3pc", 3, Bounds::default());
    let f = report.found.expect("3PC is not atomic in an asynchronous network");
    assert_eq!(f.property, "Atomicity");
    // Breadth first: no shorter path exists. n1 votes and aborts on its timeout before any
    // PreCommit reaches it; n0 gets every yes, sends PreCommit and commits on its own timeout.
    assert_eq!(f.path.len(), 9, "{:#?}", events(&f));
    assert!(events(&f).contains(&"n1's decide timer fires"), "{:#?}", events(&f));
    assert!(f.path.last().unwrap().notes.iter().any(|n| n.starts_with("n0: commits T1")), "{:#?}", f.path);
}

#[test]
fn two_phase_commit_blocks_while_its_coordinator_is_down() {
    let report = check_on("commit-2pc", 3, Bounds { crashes: 1, liveness: true, ..Bounds::default() });
    let f = report.found.expect("2PC blocks");
    assert_eq!(f.property, "Non-blocking");
    assert_eq!(events(&f), ["n0's begin timer fires", "n1 receives Prepare T1 from n0", "n0 crashes"]);
    assert_eq!(f.nodes, [1]);
    assert!(report.notes.iter().any(|n| n.starts_with("Termination is not checked")));
}

#[test]
fn two_phase_commit_is_safe_and_terminates_when_the_coordinator_restarts() {
    let report = check_on("commit-2pc", 3, Bounds { crashes: 1, restarts: true, liveness: true, ..Bounds::default() });
    assert!(report.found.is_none(), "{:?}", report.found);
    assert!(report.complete);
    assert_eq!(report.progress.unique, 8_739);
    assert!(report.properties.iter().any(|(name, _)| name == "Termination"));
}

#[test]
fn two_phase_commit_without_faults_is_safe_in_every_state() {
    let report = check_on("commit-2pc", 3, Bounds::default());
    assert!(report.found.is_none() && report.complete);
    assert_eq!(report.progress.unique, 773);
}

#[test]
fn bully_elects_two_leaders_when_an_answer_is_late() {
    let report = check_on("bully", 3, Bounds { depth: 10, ..Bounds::default() });
    let f = report.found.expect("Bully needs a synchronous network");
    assert_eq!(f.property, "At most one leader");
    assert_eq!(events(&f), ["n0's answer timeout fires"]);
}

#[test]
fn paxos_chooses_one_value_in_every_interleaving_within_two_rounds() {
    let report = check_on("paxos", 3, Bounds { depth: 10, terms: 2, ..Bounds::default() });
    assert!(report.found.is_none(), "{:?}", report.found);
    assert_eq!(report.progress.unique, 495_245);
    assert!(report.progress.bounded > 0, "the bounds cut the space: it is not complete");
    assert!(report.bounds.contains("ballot rounds ≤ 2"), "{}", report.bounds);
}

#[test]
fn raft_is_safe_in_every_interleaving_within_two_terms() {
    let report = check_on("raft", 3, Bounds { depth: 8, terms: 2, ..Bounds::default() });
    assert!(report.found.is_none(), "{:?}", report.found);
    assert_eq!(report.progress.unique, 58_479);
}

#[test]
fn a_protocol_that_reads_the_clock_is_refused_naming_the_field() {
    let ring = builtin("ring").unwrap();
    assert_eq!(ring.protocol.name, "ring");
    let e = check::check(&ring, Bounds::default(), |_| {}).unwrap_err();
    assert_eq!(e.field, "protocol.name");
    assert!(e.to_string().contains("caucus swarm"), "{e}");
}

#[test]
fn bounds_that_contradict_are_refused_naming_the_field() {
    let s = check::on_nodes(&builtin("commit-2pc").unwrap(), 3);
    let bounds = Bounds { network: Network::Duplicating, drops: 1, ..Bounds::default() };
    let e = check::check(&s, bounds, |_| {}).unwrap_err();
    assert_eq!(e.field, "bounds");
}

// ---- swarm search, as the page's worker runs it ---------------------------------------------

#[test]
fn the_worker_swarm_finds_3pc_split_by_a_partition_and_its_scenario_replays_it() {
    use check::{SwarmRequest, Swarming};
    let request =
        SwarmRequest { scenario: builtin("commit-3pc").unwrap(), profile: "partitions".into(), from: 1, seeds: 500 };
    let mut swarm = Swarming::start(&request).unwrap();
    while !swarm.run(7).unwrap() {}
    let outcome = swarm.outcome();
    let found = outcome.found.expect("partitions split 3PC on some seed");
    assert_eq!(found.property, "Atomicity");
    assert_eq!(outcome.progress.runs, found.seed, "it stops at the first seed that fails");
    // The scenario it hands back (what the page loads into the timeline) fails the same way.
    let (violation, _) = caucus_protocols::run_one(&found.scenario).unwrap();
    let violation = violation.unwrap();
    assert_eq!((violation.property.as_str(), violation.step), ("Atomicity", found.step));
}

#[test]
fn a_swarm_request_out_of_range_is_refused_naming_the_field() {
    use check::{SwarmRequest, Swarming};
    let request = |profile: &str, from: u64, seeds: u64| SwarmRequest {
        scenario: builtin("commit-2pc").unwrap(),
        profile: profile.into(),
        from,
        seeds,
    };
    let field = |r: SwarmRequest| Swarming::start(&r).err().map(|e| e.field);
    assert_eq!(field(request("stormy", 1, 10)).as_deref(), Some("profile"));
    assert_eq!(field(request("default", 1, 0)).as_deref(), Some("seeds"));
    assert_eq!(field(request("default", 1, check::MAX_SWARM_SEEDS + 1)).as_deref(), Some("seeds"));
    assert_eq!(field(request("default", u64::MAX, 10)).as_deref(), Some("from"));
    let mut calm = Swarming::start(&request("calm", 1, 20)).unwrap();
    while !calm.run(5).unwrap() {}
    assert!(calm.outcome().found.is_none() && calm.progress().runs == 20, "{:?}", calm.progress());
}

#[test]
fn a_check_request_with_too_many_nodes_is_refused_naming_the_field() {
    use check::{Model, Request};
    let r = Request { model: Model::TwoPhase { rms: 0 }, bounds: Bounds::default() };
    assert_eq!(r.resolve().unwrap_err().field, "model.two_phase.rms");
    let r = Request {
        model: Model::Scenario { scenario: builtin("commit-2pc").unwrap(), nodes: check::MAX_NODES + 1 },
        bounds: Bounds::default(),
    };
    assert_eq!(r.resolve().unwrap_err().field, "model.scenario.nodes");
}

// ---- a counterexample on the timeline ---------------------------------------------------------

#[test]
fn the_3pc_counterexample_replays_on_the_timed_simulator_as_a_link() {
    let s = check::on_nodes(&builtin("commit-3pc").unwrap(), 3);
    let bounds = Bounds { network: check::default_network(&s.protocol.name), ..Bounds::default() };
    let run = support::replayed(&s, bounds);
    let atomicity = run.properties().into_iter().find(|p| p.name == "Atomicity").unwrap();
    assert!(atomicity.now.is_err(), "the link opens at the violation");
    // Events the clock would have ordered the same way keep their times; the forced ones are
    // inputs, so the run is not all at time zero.
    assert!(run.now() > 0, "{}", run.now());
    let forced = run.inputs().iter().filter(|(_, i)| matches!(i, caucus_sim::Input::FireNext { .. })).count();
    assert!(forced >= 1, "n1's decide timer must be forced before PreCommit arrives");
}

#[test]
fn the_2pc_blocking_path_replays_too() {
    let s = check::on_nodes(&builtin("commit-2pc").unwrap(), 3);
    let bounds =
        Bounds { network: check::default_network(&s.protocol.name), crashes: 1, liveness: true, ..Bounds::default() };
    let run = support::replayed(&s, bounds);
    assert!(run.inputs().iter().any(|(_, i)| matches!(i, caucus_sim::Input::Crash { node: 0 })));
}

#[test]
fn a_shrunk_scenario_and_its_replayed_path_say_what_they_are() {
    // Bully's own description promises six nodes; the checker's configuration has three.
    let s = check::on_nodes(&builtin("bully").unwrap(), 3);
    assert!(!s.description.contains("Six nodes"), "{}", s.description);
    assert!(s.description.starts_with("bully on 3 nodes in one datacenter"), "{}", s.description);
    let run = support::replayed(&s, Bounds { depth: 10, ..Bounds::default() });
    let text = &run.scenario().description;
    assert!(
        text.starts_with("The exhaustive checker's shortest path to a violation of “At most one leader”: 1 event on 3 nodes of bully, within depth ≤ 10"),
        "{text}"
    );
}

// ---- the lock family: a lease ends when the service's timer fires ---------------------------

/// A lock scenario on four nodes (the lock service n0, the storage n1, clients n2 and n3), at most
/// two fencing tokens handed out and `depth` events.
fn lock_bounds(depth: u32) -> Bounds {
    Bounds { depth, terms: 2, ..Bounds::default() }
}

#[test]
fn the_checker_finds_the_stale_write_of_a_lease_by_itself() {
    let report = check_on("lock-lease-gc-pause", 4, lock_bounds(12));
    let f = report.found.expect("a lease alone lets a holder write after its lease passed on");
    assert_eq!((f.property.as_str(), f.kind), ("No write from a stale lock", caucus_sim::PropertyKind::Safety));
    // n2 takes t1; the service's lease timer fires while n2 works; n3 takes t2 and writes; then
    // n2's write with t1 arrives. Eleven events: two grants (think, SET, ok each), the expiry and
    // two writes (work done, delivery each); the next test shows no shorter path exists.
    assert_eq!(f.path.len(), 11, "{:#?}", events(&f));
    assert!(events(&f).contains(&"n0's expire timer fires"), "{:#?}", events(&f));
    assert_eq!(events(&f).last(), Some(&"n1 receives WRITE t1 from n2"));
    assert_eq!(f.nodes, [2, 3, 1]);
    let last = &f.path.last().unwrap().notes;
    assert!(last.iter().any(|n| n.starts_with("n1: accepts n2's stale write t1")), "{last:?}");
    assert!(report.bounds.contains("tokens ≤ 2") && !report.bounds.contains("terms"), "{}", report.bounds);
}

#[test]
fn no_stale_write_of_a_lease_is_shorter_than_eleven_events() {
    let report = check_on("lock-lease-gc-pause", 4, lock_bounds(10));
    assert!(report.found.is_none(), "{:?}", report.found);
    assert!(report.complete);
}

#[test]
fn fencing_is_safe_in_every_interleaving_within_fourteen_events_and_two_tokens() {
    let report = check_on("lock-fencing", 4, lock_bounds(14));
    assert!(report.found.is_none(), "{:?}", report.found);
    assert!(report.complete);
    // Exact: the count is deterministic, and it would grow if the panel's counts (how many
    // attempts failed, writes accepted, ...) or the storage's log made states distinct.
    assert_eq!(report.progress.unique, 51_733);
    assert!(report.progress.bounded > 0, "the bounds cut the space");
    let names: Vec<&str> = report.properties.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["No write from a stale lock", "Every waiting client can still acquire"]);
}

#[test]
fn setnx_writes_stale_when_a_write_outlives_its_timeout() {
    // Without fencing nothing orders writes: a write slower than request_timeout_us lands after
    // the same client's next one.
    let report = check_on("lock-setnx", 4, lock_bounds(12));
    let f = report.found.expect("a late write is accepted after a newer one");
    assert_eq!(f.property, "No write from a stale lock");
    assert_eq!(f.path.len(), 12, "{:#?}", events(&f));
    assert!(events(&f).contains(&"n2's write timeout fires"), "{:#?}", events(&f));
}

#[test]
fn with_liveness_the_lock_checks_the_untimed_form_and_says_why() {
    let report = check_on("lock-lease", 4, Bounds { liveness: true, ..lock_bounds(6) });
    assert!(report.found.is_none(), "{:?}", report.found);
    assert!(report.properties.iter().all(|(n, _)| n != "Every waiting client eventually acquires"));
    assert!(report.notes.iter().any(|n| n.contains("max_wait_us")), "{:?}", report.notes);
    // Honest about what a depth bound leaves of it.
    assert!(report.notes.iter().any(|n| n.starts_with("Within a depth bound it finds no client stuck")));
}

#[test]
fn the_lease_counterexample_replays_as_a_timeline_at_the_stale_write() {
    let s = check::on_nodes(&builtin("lock-lease-gc-pause").unwrap(), 4);
    let run = support::replayed(&s, lock_bounds(12));
    let stale = run.properties().into_iter().find(|p| p.name == "No write from a stale lock").unwrap();
    assert!(stale.now.is_err(), "the link opens at the stale write");
    assert!(run.now() > 0);
    // The lease's end at the service is forced (its timer fires long before its second is up)
    // and ends the lease: the timer firing is the lease ending.
    let expire = run
        .inputs()
        .iter()
        .any(|(_, i)| matches!(i, caucus_sim::Input::FireNext { node: 0, timer } if timer.get("expire").is_some()));
    assert!(expire, "{:?}", run.inputs());
    let text = &run.scenario().description;
    assert!(text.contains("shortest path to a violation of “No write from a stale lock”: 11 events on 4 nodes of lock-lease-gc-pause, within depth ≤ 12"), "{text}");
    assert!(text.contains("tokens ≤ 2"), "{text}");
}
