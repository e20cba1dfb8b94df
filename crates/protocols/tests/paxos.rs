//! Single-decree Paxos, as scenarios a student can watch.
//!
//! Layouts (ids are node numbers; every node is an acceptor and a learner):
//!
//! ```text
//! paxos, paxos-acceptor-crash   us-east-1: n0 n1   eu-west-1: n2 n3   ap-southeast-1: n4
//!                               proposers n0 (value A) and n4 (value B), majority 3 of 5
//! paxos-duel, -duel-backoff     us-east-1: n0 n1   eu-west-1: n2 n3
//!                               proposers n0 (A) and n3 (B), majority 3 of 4
//! ```

use caucus_protocols::paxos::{chosen, chosen_in, Acceptor, Ballot, Chosen, Msg, Paxos, Phase, Proposal};
use caucus_protocols::{at, build, builtin, swarm};
use caucus_sim::swarm::FaultProfile;
use caucus_sim::trace::TraceMsg;
use caucus_sim::{DynRun, Input, NodeId, Protocol, Run, Scenario, SimError, View, MS, SEC};
use serde_json::json;

mod support;
use support::*;

// ---- helpers --------------------------------------------------------------------------------

fn run_of(scenario: Scenario) -> Run<Paxos> {
    let mut run = Run::<Paxos>::new(scenario.clone()).expect("valid scenario");
    run.run_until(scenario.until_us).expect("run stays within limits");
    run
}

/// A built-in scenario run to its end.
fn finished(name: &str) -> Run<Paxos> {
    run_of(builtin(name).expect("built-in"))
}

fn with_seed(name: &str, seed: u64) -> Scenario {
    Scenario { seed, ..builtin(name).expect("built-in") }
}

fn chosen_now(run: &Run<Paxos>) -> Vec<Chosen> {
    chosen_in(&View::of(run.sim()))
}

/// The distinct values chosen so far.
fn chosen_values(run: &Run<Paxos>) -> Vec<String> {
    let mut values: Vec<String> = chosen_now(run).into_iter().map(|c| c.value).collect();
    values.dedup();
    values
}

/// What each node has learned (`None` for a crashed node or one that knows nothing yet).
fn learned(run: &Run<Paxos>) -> Vec<Option<String>> {
    let nodes = run.sim().topology().nodes.len() as NodeId;
    (0..nodes).map(|i| run.sim().state(i).and_then(|s| s.learned.as_ref()).map(|p| p.value.clone())).collect()
}

fn state(run: &Run<Paxos>, node: NodeId) -> &Paxos {
    run.sim().state(node).expect("node is up")
}

fn sent_by(run: &Run<Paxos>, node: NodeId) -> impl Iterator<Item = &TraceMsg<Msg>> {
    run.trace().msgs.iter().filter(move |m| m.source == node)
}

fn accepts_sent(run: &Run<Paxos>, node: NodeId) -> Vec<(Ballot, String)> {
    sent_by(run, node)
        .filter_map(|m| match &m.msg {
            Msg::Accept { ballot, value } => Some((*ballot, value.clone())),
            _ => None,
        })
        .collect()
}

fn some(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

fn propose(value: &str) -> serde_json::Value {
    json!({ "propose": { "value": value } })
}

// ---- the built-in scenarios -----------------------------------------------------------------

// Every built-in scenario replays byte for byte: `tests/core.rs` checks them all.

#[test]
fn two_proposers_choose_one_value_and_every_node_learns_it() {
    let run = finished("paxos");
    assert_eq!(chosen_values(&run), ["A"]);
    assert_eq!(learned(&run), some(&["A"; 5]));
    // n4 proposed B, but its majority of promises included one that had accepted 1.0=A: it had
    // to adopt A. It never sent an Accept for its own value.
    let n4 = accepts_sent(&run, 4);
    assert!(!n4.is_empty(), "n4 reached phase 2");
    assert!(n4.iter().all(|(_, v)| v == "A"), "n4 adopted A: {n4:?}");
    assert!(sent_by(&run, 1).any(|m| matches!(&m.msg, Msg::Promise { accepted: Some(p), .. } if p.value == "A")));
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(run.check_liveness().is_empty());
    // Once every node has learned, nothing is left to do: no proposer retries, nobody asks.
    assert_eq!(run.sim().next_event_time(), None);
    for i in 0..5 {
        assert_eq!(state(&run, i).phase, Phase::Idle, "n{i}");
    }
}

#[test]
fn duelling_proposers_with_a_fixed_retry_livelock_for_the_whole_run() {
    let run = finished("paxos-duel");
    assert!(chosen_values(&run).is_empty(), "something was chosen: {:?}", chosen_now(&run));
    assert_eq!(learned(&run), vec![None; 4]);
    // Each preempted the other about fifty times, and both are still at it.
    for proposer in [0, 3] {
        let s = state(&run, proposer);
        assert!(s.is_proposing(), "n{proposer} gave up");
        assert!(s.ballot.round > 90, "n{proposer} only reached ballot {}", s.ballot);
        assert!(accepts_sent(&run, proposer).len() > 40);
    }
    // Every acceptor accepted dozens of proposals, but never a majority with one ballot.
    for i in 0..4 {
        assert!(state(&run, i).acceptor.history.len() > 40);
    }
    assert!(run.violations().is_empty(), "the duel is not a safety problem");
    let liveness = run.check_liveness();
    assert_eq!(liveness.len(), 1);
    assert_eq!(liveness[0].property, "A value is eventually learned");
    assert!(liveness[0].failure.explanation.starts_with("No value was chosen"), "{liveness:?}");
}

#[test]
fn the_livelock_does_not_depend_on_the_seed() {
    for seed in 2..12 {
        let run = run_of(with_seed("paxos-duel", seed));
        assert!(chosen_values(&run).is_empty(), "seed {seed}: {:?}", chosen_now(&run));
    }
}

#[test]
fn randomized_backoff_resolves_the_duel() {
    let mut run = Run::<Paxos>::new(builtin("paxos-duel-backoff").unwrap()).unwrap();
    run.run_until(SEC).unwrap();
    assert_eq!(chosen_values(&run).len(), 1, "chosen within a second");
    run.run_until(10 * SEC).unwrap();
    let value = chosen_values(&run)[0].clone();
    assert_eq!(learned(&run), vec![Some(value); 4]);
    assert!(run.check_liveness().is_empty());
    for seed in 2..22 {
        let run = run_of(with_seed("paxos-duel-backoff", seed));
        assert_eq!(chosen_values(&run).len(), 1, "seed {seed}");
        assert!(run.check_liveness().is_empty(), "seed {seed}: {:?}", run.check_liveness());
    }
}

#[test]
fn a_minority_of_acceptors_can_crash() {
    let run = finished("paxos-acceptor-crash");
    assert_eq!(chosen_values(&run), ["A"]);
    assert_eq!(learned(&run), vec![Some("A".into()), Some("A".into()), Some("A".into()), None, Some("A".into())]);
    assert!(chosen_now(&run).iter().all(|c| !c.acceptors.contains(&3)), "n3 crashed before it could vote");
    // n2 came back at 5 s with what it accepted before its crash, and asked for the decision.
    assert_eq!(state(&run, 2).acceptor.accepted.as_ref().map(|p| p.value.as_str()), Some("A"));
    let asked = sent_by(&run, 2).any(|m| m.msg == Msg::Query && m.sent_at > 5 * SEC);
    assert!(asked, "n2 asked its peers after restarting");
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_majority_of_acceptors_down_blocks_until_they_return() {
    let mut scenario = builtin("paxos").unwrap();
    scenario.script = [2, 3, 4]
        .into_iter()
        .flat_map(|node| [at(0.01, Input::Crash { node }), at(3.0, Input::Restart { node })])
        .collect();
    let mut run = Run::<Paxos>::new(scenario).unwrap();
    run.run_until(3 * SEC - 1).unwrap();
    assert!(chosen_values(&run).is_empty(), "two acceptors cannot choose");
    assert!(state(&run, 0).is_proposing());
    run.run_until(10 * SEC).unwrap();
    assert_eq!(chosen_values(&run), ["A"]);
    assert_eq!(learned(&run), some(&["A"; 5]));
}

// ---- durable state --------------------------------------------------------------------------

#[test]
fn an_acceptors_promise_and_vote_survive_a_crash_but_what_it_learned_does_not() {
    let mut run = Run::<Paxos>::new(builtin("paxos").unwrap()).unwrap();
    run.run_until(2 * SEC).unwrap();
    let before = state(&run, 2).acceptor.clone();
    assert!(before.promised.round > 0 && before.accepted.is_some(), "{before:?}");
    run.apply(Input::Crash { node: 2 }).unwrap();
    assert_eq!(run.sim().durable(2), Some(before.clone()), "kept on disk while down");
    run.apply(Input::Restart { node: 2 }).unwrap();
    let after = state(&run, 2);
    assert_eq!(after.acceptor, before);
    assert_eq!(after.learned, None, "learning is volatile: it asks again");
    run.run_until(5 * SEC).unwrap();
    assert_eq!(learned(&run)[2].as_deref(), Some("A"), "it asked and learned again");
}

#[test]
fn a_restarted_proposer_starts_above_its_own_promise() {
    let mut run = Run::<Paxos>::new(builtin("paxos-duel").unwrap()).unwrap();
    run.run_until(2 * SEC).unwrap();
    run.apply(Input::Crash { node: 0 }).unwrap();
    let promised = run.sim().durable(0).unwrap().promised;
    let crashed_at = run.sim().now();
    run.apply(Input::Restart { node: 0 }).unwrap();
    run.run_until(3 * SEC).unwrap();
    let first = sent_by(&run, 0)
        .filter(|m| m.sent_at > crashed_at)
        .find_map(|m| match m.msg {
            Msg::Prepare { ballot } => Some(ballot),
            _ => None,
        })
        .expect("n0 proposes again after its restart");
    assert!(first > promised, "first ballot {first} after restart, promised {promised} before");
}

// ---- the safety check itself ----------------------------------------------------------------

#[test]
fn the_chosen_check_finds_two_majorities_with_different_values() {
    let b = |round, proposer| Ballot { round, proposer };
    let voted = |history: Vec<Proposal>| Acceptor { promised: b(9, 0), accepted: history.last().cloned(), history };
    let a = Proposal { ballot: b(1, 0), value: "A".into() };
    let bb = Proposal { ballot: b(2, 4), value: "B".into() };
    let acceptors = [
        voted(vec![a.clone()]),
        voted(vec![a.clone()]),
        voted(vec![a.clone(), bb.clone()]),
        voted(vec![bb.clone()]),
        voted(vec![bb]),
    ];
    let found = chosen(acceptors.iter().enumerate().map(|(i, x)| (i as NodeId, x)), 5);
    assert_eq!(found.len(), 2);
    assert_eq!((found[0].value.as_str(), found[0].acceptors.clone()), ("A", vec![0, 1, 2]));
    assert_eq!((found[1].value.as_str(), found[1].acceptors.clone()), ("B", vec![2, 3, 4]));
    // Two acceptors of five are not a majority; the same value with different ballots does not add up.
    let split = [voted(vec![a.clone()]), voted(vec![a]), voted(vec![Proposal { ballot: b(3, 1), value: "A".into() }])];
    assert!(chosen(split.iter().enumerate().map(|(i, x)| (i as NodeId, x)), 5).is_empty());
}

// ---- many seeds with random faults ----------------------------------------------------------

/// Faults packed into the first six seconds, while the proposers are at work.
fn storm() -> FaultProfile {
    FaultProfile {
        crashes_per_min: 120,
        partitions_per_min: 60,
        pauses_per_min: 60,
        skews_per_min: 24,
        lossy_links_per_min: 24,
        loss_ppm: 200_000,
        max_pause_us: SEC,
        max_skew_us: 500 * MS,
        max_outage_us: 2 * SEC,
        safety_us: 6 * SEC,
        liveness_us: 20 * SEC,
    }
}

/// Every node proposes its own value, one after another, with reordering links: each later
/// proposer must find the chosen value and not overwrite it.
fn contended() -> Scenario {
    let mut scenario = builtin("paxos").unwrap();
    scenario.name = "paxos-contended".into();
    scenario.protocol.params =
        json!({ "proposers": [0, 1, 2, 3, 4], "start_us": [0, 100_000, 300_000, 1_000_000, 2_500_000] });
    scenario.script.push(at(0.0, Input::Reorder { enabled: true }));
    scenario
}

#[test]
fn safety_and_liveness_hold_over_many_seeds_with_random_faults() {
    let paxos = builtin("paxos").unwrap();
    assert_swarm_clean(&paxos, &FaultProfile::named("chaos").unwrap(), 0..100, "paxos under chaos");
    for profile in ["default", "crashes", "partitions", "pauses"] {
        assert_swarm_clean(&paxos, &FaultProfile::named(profile).unwrap(), 0..40, profile);
    }
    assert_swarm_clean(&paxos, &storm(), 0..100, "paxos in a storm");
    assert_swarm_clean(&contended(), &storm(), 0..100, "five proposers in a storm");
    assert_swarm_clean(&contended(), &FaultProfile::named("chaos").unwrap(), 100..150, "five proposers under chaos");
    assert_swarm_clean(&builtin("paxos-duel-backoff").unwrap(), &storm(), 0..100, "the duel with backoff in a storm");
}

#[test]
fn without_backoff_the_swarm_reports_the_livelock_as_a_liveness_failure() {
    // Ten calm seconds, as long as the scenario: nothing to heal, and still nothing chosen.
    let calm = FaultProfile { safety_us: 2 * SEC, liveness_us: 8 * SEC, ..FaultProfile::named("calm").unwrap() };
    let report = swarm(&builtin("paxos-duel").unwrap(), &calm, 0..1).unwrap();
    let finding = report.finding.expect("the duel never ends");
    assert_eq!(finding.violation.property, "A value is eventually learned");
}

// ---- requests, parameters and what the UI shows ---------------------------------------------

#[test]
fn a_propose_request_starts_a_proposer_anywhere() {
    let mut scenario = builtin("paxos").unwrap();
    scenario.protocol.params = json!({ "proposers": [] });
    scenario.script = vec![at(0.5, Input::Request { node: 2, request: propose("C") })];
    let run = run_of(scenario);
    assert_eq!(chosen_values(&run), ["C"]);
    assert_eq!(learned(&run), some(&["C"; 5]));
    // Proposing after the decision finds the chosen value and chooses it again.
    let mut run = finished("paxos");
    run.apply(Input::Request { node: 3, request: propose("D") }).unwrap();
    run.run_until(12 * SEC).unwrap();
    assert_eq!(chosen_values(&run), ["A"]);
    assert!(accepts_sent(&run, 3).iter().all(|(_, v)| v == "A"));
}

#[test]
fn malformed_requests_are_refused_and_change_nothing() {
    let mut run = finished("paxos");
    let cursor = run.cursor();
    for bad in [json!({ "propose": { "value": "C", "extra": 1 } }), json!("propose"), json!({ "elect": null })] {
        let err = run.apply(Input::Request { node: 0, request: bad.clone() }).unwrap_err();
        assert!(matches!(&err, SimError::Input(m) if m.starts_with("not a paxos request")), "{bad}: {err}");
    }
    assert_eq!(run.cursor(), cursor);
}

#[test]
fn bad_parameters_are_explained() {
    let cases = [
        (json!({ "proposers": [0, 9] }), "proposers[1]: there is no node 9 (the run has 5 nodes)"),
        (json!({ "proposers": [1, 1] }), "proposers lists node 1 twice"),
        (json!({ "values": ["A"] }), "values has 1 entries but there are 2 proposers"),
        (json!({ "values": ["A", " "] }), "values[1] is empty"),
        (json!({ "values": ["A", "a-very-long-value-indeed"] }), "longer than 16 characters"),
        (json!({ "start_us": [0, 1, 2] }), "start_us has 3 entries"),
        (json!({ "retry_us": 0 }), "retry_us must be above zero"),
        (json!({ "backoff_max_us": 1000 }), "backoff_max_us (1000 µs) must be at least retry_us (20000 µs)"),
        (json!({ "phase_timeout_us": 100_000 }), "must be longer than the longest round trip"),
        (json!({ "learn_timeout_us": 7_200_000_000u64 }), "learn_timeout_us is at most"),
        (json!({ "retries": 3 }), "unknown field `retries`"),
        (json!({ "backoff": "yes" }), "protocol.params.backoff: invalid type"),
    ];
    for (params, says) in cases {
        let message = params_error("paxos", params.clone());
        assert!(message.contains(says), "{params}: `{message}` does not say `{says}`");
    }
    let mut ok = builtin("paxos").unwrap();
    ok.protocol.params =
        json!({ "proposers": [4, 2], "values": ["x", "y"], "start_us": [0, 250_000], "backoff": false });
    assert!(build(&ok).is_ok());
}

#[test]
fn labels_roles_and_badges_show_ballots_and_values() {
    let mut run = Run::<Paxos>::new(builtin("paxos").unwrap()).unwrap();
    run.run_until(SEC).unwrap();
    let labels: Vec<String> = run.trace().msgs.iter().map(|m| Paxos::msg_label(&m.msg)).collect();
    for expected in [
        "Prepare 1.0",
        "Prepare 1.4",
        "Promise 1.0",
        "Promise 1.4 (1.0=A)",
        "Accept 2.0=A",
        "Accepted 2.0",
        "Nack 1.4",
        "Decided A",
    ] {
        assert!(labels.iter().any(|l| l == expected), "no `{expected}` among {labels:?}");
    }
    assert_eq!(Paxos::msg_label(&Msg::Query), "Query");
    let nodes = run.nodes();
    assert!(nodes.iter().all(|n| n.role == "learned A"), "{nodes:?}");
    assert_eq!(nodes[1].badge, "accepted 2.0=A");
    // Mid-duel: proposers show their ballot, and the retry timer as a countdown.
    let mut duel = Run::<Paxos>::new(builtin("paxos-duel").unwrap()).unwrap();
    while duel.sim().state(0).is_none_or(|s| s.phase != Phase::Waiting || s.ballot.round == 0) {
        duel.apply(Input::Step).unwrap();
    }
    let n0 = &duel.nodes()[0];
    assert_eq!((n0.role.as_str(), n0.badge.as_str()), ("proposer", "ballot 1.0"));
    assert_eq!(n0.countdown.map(|c| c.label), Some("retry"));
    assert_eq!(duel.nodes()[1].role, "acceptor");
}

#[test]
fn failures_name_the_nodes_in_sentences() {
    let run = finished("paxos-duel");
    let failure = &run.check_liveness()[0].failure;
    assert_eq!(failure.nodes, vec![0, 1, 2, 3]);
    assert!(failure.explanation.contains("n0, n1, n2 and n3 have learned nothing"), "{}", failure.explanation);
}
