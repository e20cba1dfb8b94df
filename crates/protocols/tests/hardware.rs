//! Hardware as the simulator models it (issue 15, parts 1 and 2): storage latency, where a
//! handler's messages wait for the durable writes before them; a processing time per event; and
//! each node's clock drifting by its own small amount. Free storage, no processing time and no
//! drift (the defaults) change nothing, so every older scenario runs as before.

use caucus_protocols::commit::{Commit, Msg as CommitMsg};
use caucus_protocols::raft::{Msg, Raft};
use caucus_protocols::{at, builtin};
use caucus_sim::trace::Outcome;
use caucus_sim::{Delay, DropReason, Input, Link, Micros, Protocol, Run, Scenario, TopologySpec, MS, SEC};

/// A built-in scenario on one datacenter with fixed 1 ms links and the given storage.
fn on_disk(name: &str, storage: Option<String>) -> Scenario {
    let mut s = builtin(name).expect("built-in");
    let nodes = s.topology.build().expect("valid").nodes.len() as u16;
    s.topology = TopologySpec::preset("one-datacenter", nodes);
    s.topology.intra = Some(Link { latency_us: MS, jitter_us: 0, loss_ppm: 0 });
    s.topology.storage = storage;
    s
}

fn fixed(us: Micros) -> Option<String> {
    Some(format!("{us}us"))
}

/// When the step that sent each message happened, and when the message left.
fn departures<P: Protocol>(run: &Run<P>, pick: impl Fn(&P::Msg) -> bool) -> Vec<(Micros, Micros)> {
    let t = run.trace();
    t.msgs.iter().filter(|m| pick(&m.msg)).map(|m| (t.steps[m.sent_step as usize].time, m.sent_at)).collect()
}

#[test]
fn a_raft_vote_leaves_only_after_the_vote_is_on_disk() {
    let mut run = Run::<Raft>::new(on_disk("raft", fixed(5 * MS))).unwrap();
    run.run_until(3 * SEC).unwrap();
    let asks = departures(&run, |m| matches!(m, Msg::RequestVote { .. }));
    let votes = departures(&run, |m| matches!(m, Msg::Vote { granted: true, .. }));
    assert!(!asks.is_empty() && !votes.is_empty(), "an election happened");
    // A voter writes its vote before it answers; nothing else keeps it busy, so each vote waits
    // exactly 5 ms. The candidate asks at once and writes its own vote meanwhile.
    for (handled, left) in &votes {
        assert_eq!(left - handled, 5 * MS, "left at {left} µs, handled at {handled} µs");
    }
    assert!(asks.iter().all(|(handled, left)| handled == left));
    // Elected when the votes are back (1 + 5 + 1 ms), the leader's first AppendEntries leaves
    // then: its own write (5 ms) is done by then, and it writes the no-op it appends meanwhile.
    let first_append = departures(&run, |m| matches!(m, Msg::AppendEntries { .. }))[0].1;
    assert_eq!(first_append, asks[0].0 + 7 * MS);
    let writes: Vec<_> =
        run.trace().steps.iter().filter_map(|s| s.extra.as_ref()).flat_map(|e| e.writes.clone()).collect();
    assert!(writes.iter().any(|w| w.what == "term and vote" && w.end - w.start == 5 * MS), "{writes:?}");
    // The caption of a voter's step says what it wrote and for how long, as the log does.
    let voted = run.trace().steps.iter().position(|s| s.extra.as_ref().is_some_and(|e| !e.writes.is_empty())).unwrap();
    let caption = caucus_sim::DynRun::caption(&run, voted as u64 + 1).unwrap();
    assert!(caption.ends_with(", writes its term and vote to disk (5.00 ms)"), "{caption}");
    assert!(caucus_sim::DynRun::trace_step(&run, voted).label.ends_with("to disk (5.00 ms)"));
    // Free storage: the same run answers at once and records no write.
    let mut free = Run::<Raft>::new(on_disk("raft", None)).unwrap();
    free.run_until(3 * SEC).unwrap();
    assert!(departures(&free, |_| true).iter().all(|(h, l)| h == l));
    assert!(free.trace().steps.iter().filter_map(|s| s.extra.as_ref()).all(|e| e.writes.is_empty()));
}

#[test]
fn a_yes_vote_in_two_phase_commit_waits_for_its_prepared_record_and_the_decision_for_its_own() {
    let mut run = Run::<Commit>::new(on_disk("commit-2pc", fixed(3 * MS))).unwrap();
    run.run_until(5 * SEC).unwrap();
    let yes = departures(&run, |m| matches!(m, CommitMsg::Vote { yes: true, .. }));
    let decisions = departures(&run, |m| matches!(m, CommitMsg::Commit { .. }));
    assert_eq!(yes.len(), 5, "five participants vote yes");
    assert!(yes.iter().all(|(h, l)| l - h == 3 * MS), "{yes:?}");
    // The coordinator forces its commit record once, then sends Commit to all five.
    assert_eq!(decisions.len(), 5);
    assert!(decisions.iter().all(|(h, l)| l - h == 3 * MS), "{decisions:?}");
    // The forced writes add up on the critical path. Prepare 1 ms, the participant's work 5 ms
    // (`prepare_us`), its prepared record 3 ms, Vote 1 ms: the coordinator decides 10 ms after
    // Begin (7 ms on free storage), and its Commit leaves once the commit record is on disk, 13 ms.
    let rows = |run: &Run<Commit>| {
        let r = run.sim().state(0).unwrap().runs.get(&1).unwrap().clone();
        let first = departures(run, |m| matches!(m, CommitMsg::Commit { .. })).iter().map(|d| d.1).min().unwrap();
        (r.decided_us.unwrap() - r.begun_us, first - r.begun_us)
    };
    let mut free = Run::<Commit>::new(on_disk("commit-2pc", None)).unwrap();
    free.run_until(5 * SEC).unwrap();
    assert_eq!((rows(&free), rows(&run)), ((7 * MS, 7 * MS), (10 * MS, 13 * MS)));
}

#[test]
fn a_node_that_crashes_while_writing_never_sends_what_waited_for_the_write() {
    // T1 begins at 100 ms; n1 gets Prepare at 101 ms, works 5 ms and writes its prepared record
    // from 106 ms to 156 ms; it crashes at 120 ms.
    let mut s = on_disk("commit-2pc", fixed(50 * MS));
    s.script = vec![at(0.12, Input::Crash { node: 1 })];
    let mut run = Run::<Commit>::new(s).unwrap();
    run.run_until(2 * SEC).unwrap();
    let never: Vec<_> = run
        .trace()
        .msgs
        .iter()
        .filter(|m| matches!(m.outcome, Outcome::Dropped { reason: DropReason::NeverSent, .. }))
        .collect();
    assert_eq!(never.len(), 1, "n1's vote never leaves");
    assert!(matches!(never[0].msg, CommitMsg::Vote { .. }) && never[0].source == 1);
    // The others' votes did leave and arrive.
    let arrived = run.trace().msgs.iter().filter(|m| matches!(m.msg, CommitMsg::Vote { .. }));
    assert_eq!(arrived.filter(|m| matches!(m.outcome, Outcome::Delivered { .. })).count(), 4);
}

#[test]
fn processing_time_delays_outputs_and_queues_events_on_a_busy_node() {
    let mut s = on_disk("raft", None);
    s.topology.processing = Some("300us".into());
    let mut run = Run::<Raft>::new(s).unwrap();
    run.run_until(2 * SEC).unwrap();
    let all = departures(&run, |_| true);
    assert!(!all.is_empty());
    assert!(all.iter().all(|(h, l)| l - h >= 300), "every output waits for its event to be handled");
    // A leader's heartbeat fan-out is one event: all its AppendEntries leave together.
    let beats = departures(&run, |m| matches!(m, Msg::AppendEntries { .. }));
    assert!(beats.iter().any(|(h, l)| l - h == 300));
}

#[test]
fn each_nodes_clock_drifts_by_its_own_amount_within_the_bound_and_the_same_seed_draws_the_same() {
    let mut s = builtin("raft-figure-16").unwrap();
    s.topology.drift_ppm = Some(50);
    let drifts = |s: &Scenario| {
        let run = Run::<Raft>::new(s.clone()).unwrap();
        (0..5).map(|n| run.sim().clock(n).drift_ppm).collect::<Vec<_>>()
    };
    let a = drifts(&s);
    assert!(a.iter().all(|d| d.abs() <= 50), "{a:?}");
    assert!(a.windows(2).any(|w| w[0] != w[1]), "the nodes differ: {a:?}");
    assert_eq!(a, drifts(&s), "same seed, same drifts");
    s.seed += 1;
    assert_ne!(a, drifts(&s), "another seed, other drifts");
    // Healing every fault returns a node to its own hardware drift, not to a perfect clock.
    let mut run = Run::<Raft>::new(s.clone()).unwrap();
    run.apply(Input::Drift { node: 2, ppm: 5_000 }).unwrap();
    run.apply(Input::HealAll).unwrap();
    assert_eq!(run.sim().clock(2).drift_ppm, drifts(&s)[2]);
}

#[test]
fn storage_is_a_preset_or_a_time_per_datacenter_and_a_bad_one_is_named() {
    let mut spec = TopologySpec::preset("three-regions", 1);
    spec.storage = Some("ssd".into());
    let t = spec.build().unwrap();
    assert_eq!(t.storage_of(2), Delay { us: 100, jitter_us: 1_900 });
    assert!(t.has_hardware_delays());
    let json = r#"{"datacenters": [{"name": "a", "storage": "network-disk"}, {"name": "b", "storage": "700us"}],
                   "processing": "20us..120us"}"#;
    let custom: TopologySpec = serde_json::from_str(json).unwrap();
    let t = custom.build().unwrap();
    assert_eq!((t.storage_of(0).us, t.storage_of(1)), (2_000, Delay { us: 700, jitter_us: 0 }));
    assert_eq!(t.processing, Delay { us: 20, jitter_us: 100 });
    spec.storage = Some("tape".into());
    let e = spec.build().unwrap_err().0;
    assert!(e.starts_with("storage: `tape` is not one of memory, nvme, ssd, network-disk, hdd, or a time"), "{e}");
    spec.storage = Some("6ms..2ms".into());
    assert!(spec.build().unwrap_err().0.starts_with("storage: `6ms..2ms` is not"));
    spec.storage = Some("20s".into());
    assert!(spec.build().unwrap_err().0.starts_with("storage: latency plus jitter"));
    spec.storage = None;
    spec.processing = Some("fast".into());
    assert!(spec.build().unwrap_err().0.starts_with("processing: `fast` is not a time such as 5ms"));
    spec.processing = None;
    spec.drift_ppm = Some(600_000);
    assert!(spec.build().unwrap_err().0.starts_with("drift_ppm:"));
    // Free storage, no drift and no processing: nothing new in the topology or its JSON.
    let plain = TopologySpec::preset("three-regions", 1).build().unwrap();
    assert!(!plain.has_hardware_delays());
    let text = serde_json::to_string(&plain).unwrap();
    assert!(!text.contains("storage") && !text.contains("drift") && !text.contains("processing"), "{text}");
}

/// The commit panel's distance table with its log forces: in one datacenter the disk is most of
/// a commit, across five regions the network is.
#[test]
fn the_latency_table_counts_the_log_forces() {
    let rows = caucus_protocols::commit::latency_by_distance(caucus_protocols::commit::Variant::TwoPhase);
    let (near, far) = (&rows[0], &rows[2]);
    assert_eq!((near.preset, far.preset), ("one-datacenter", "five-regions"));
    // Two forced writes (prepared, then the decision) of 2 to 6 ms on the critical path.
    assert!(near.decided_on_disk_us >= near.decided_us + 4 * MS, "{near:?}");
    assert!(near.decided_on_disk_us > 2 * near.decided_us, "{near:?}");
    assert!(far.decided_on_disk_us < far.decided_us + far.decided_us / 10, "{far:?}");
    assert!(rows.iter().all(|r| r.ended_on_disk_us > r.ended_us));
}
