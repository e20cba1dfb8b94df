//! The Bully election, as scenarios a student can watch.
//!
//! Every scenario uses six nodes in three regions; the highest id, n5, should lead:
//!
//! ```text
//! dc 0 us-east-1: n0 n1    dc 1 eu-west-1: n2 n3    dc 2 ap-southeast-1: n4 n5
//! ```
//!
//! Defaults: Alive every 100 ms, a leader silent for 500 ms is presumed dead, 400 ms to wait for an
//! Answer, 1 s to wait for a Coordinator.

use caucus_protocols::at;
use caucus_protocols::bully::{Bully, Msg, Role, Timer};
use caucus_sim::sim::What;
use caucus_sim::swarm::{swarm, swarm_scenario, FaultProfile};
use caucus_sim::{DynRun, Input, Micros, NodeId, Protocol, Run, Scenario, SimError, MS, SEC};
use serde_json::json;

mod support;
use support::*;

// ---- helpers --------------------------------------------------------------------------------

fn run_to(scenario: Scenario, until: Micros) -> Run<Bully> {
    let mut run = Run::<Bully>::new(scenario).expect("valid scenario");
    run.run_until(until).expect("run stays within limits");
    run
}

/// Each node's role and whom it follows, `None` for a crashed node: `(Leader, 5)`, `(Follower, 5)`.
fn roles(run: &Run<Bully>) -> Vec<Option<(Role, Option<NodeId>)>> {
    (0..6).map(|i| run.sim().state(i).map(|s| (s.role, s.leader))).collect()
}

/// Every running node follows `leader`, which leads.
fn all_follow(run: &Run<Bully>, leader: NodeId) -> bool {
    (0..6).filter(|&i| run.sim().state(i).is_some()).all(|i| {
        let want = if i == leader { Role::Leader } else { Role::Follower };
        run.sim().state(i).map(|s| (s.role, s.leader)) == Some((want, Some(leader)))
    })
}

fn leaders(run: &Run<Bully>) -> Vec<NodeId> {
    (0..6).filter(|&i| run.sim().state(i).is_some_and(|s| s.role == Role::Leader)).collect()
}

// ---- the built-in scenarios -----------------------------------------------------------------

// Every built-in scenario replays byte for byte: `tests/core.rs` checks them all.

#[test]
fn the_highest_id_wins_the_first_election() {
    let run = run_to(scenario("bully"), 10 * SEC);
    assert!(all_follow(&run, 5), "{:?}", roles(&run));
    // Elections only ever go up the ids; everyone has heard of n5 within the longest one-way trip.
    for m in &run.trace().msgs {
        if m.msg == Msg::Election {
            assert!(m.target > m.source, "n{} sent Election to lower n{}", m.source, m.target);
        }
    }
    assert_eq!(noted(&run, 5, "no node has a higher id, so it leads"), [0]);
    let early = run_to(scenario("bully"), 200 * MS);
    assert!(all_follow(&early, 5), "{:?}", roles(&early));
    // The leader beats Alive to its five followers every 100 ms: about 500 in ten seconds.
    let alive = run.trace().msgs.iter().filter(|m| m.msg == Msg::Alive).count();
    assert!((490..=500).contains(&alive), "{alive} Alive messages");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(run.check_liveness().is_empty());
}

#[test]
fn the_next_highest_takes_over_when_the_leader_crashes() {
    let run = run_to(scenario("bully-leader-crash"), 5 * SEC);
    assert!(all_follow(&run, 4), "{:?}", roles(&run));
    assert_eq!(run.sim().state(5), None);
    // n4 noticed the silence after 500 ms, asked n5, and took over when no Answer came in 400 ms.
    let silent = noted(&run, 4, "heard nothing from n5");
    assert!(silent.len() == 1 && (2_400 * MS..2_600 * MS).contains(&silent[0]), "{silent:?}");
    assert_eq!(noted(&run, 4, "hears no answer from a higher node: it leads"), [silent[0] + 400 * MS]);
    assert!(run.violations().is_empty(), "the takeover itself never has two leaders");
}

#[test]
fn a_recovering_higher_node_bullies_its_way_back_and_both_lead_for_a_moment() {
    let run = run_to(scenario("bully-leader-crash"), 10 * SEC);
    assert!(all_follow(&run, 5), "{:?}", roles(&run));
    assert!(run.check_liveness().is_empty());
    // The honest part: n5 announces itself the moment it restarts, and until its Coordinator
    // reaches n4 (0.4 ms away, in the same datacenter) both lead.
    let v = run.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, "At most one leader");
    assert_eq!(v[0].time, 6 * SEC);
    assert_eq!(v[0].failure.nodes, vec![5, 4]);
    assert!(v[0].failure.explanation.starts_with("n5 and n4 both lead: n5 has announced itself"), "{v:?}");
    let stepped_down = noted(&run, 4, "steps down and follows n5");
    assert!(stepped_down.len() == 1 && stepped_down[0] - 6 * SEC < MS, "{stepped_down:?}");
    let mut at_6s = run_to(scenario("bully-leader-crash"), 6 * SEC + MS);
    assert_eq!(leaders(&at_6s), [5]);
    at_6s.seek(v[0].step);
    assert_eq!(leaders(&at_6s), [4, 5], "seeking to the violation shows both leaders");
}

#[test]
fn a_partition_elects_a_second_leader_and_the_property_catches_it() {
    let mut run = run_to(scenario("bully-partition"), 5 * SEC);
    assert_eq!(leaders(&run), [3, 5]);
    assert_eq!(roles(&run)[4], Some((Role::Follower, Some(5))), "n4 stays with n5 on its side");
    for i in 0..3 {
        assert_eq!(roles(&run)[i], Some((Role::Follower, Some(3))), "n{i}");
    }
    let v = run.violations().to_vec();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, "At most one leader");
    assert_eq!(
        v[0].failure.explanation,
        "n5 and n3 both lead: each side of the partition elected its own. Bully has no majority rule, so a cut-off side keeps or picks a leader of its own (the lesson of this protocol, not a bug in Caucus)."
    );
    assert_eq!(v[0].failure.nodes, vec![5, 3]);
    // Found at step 245, 2.824 s: the step that made it true is n3's answer timeout, 400 ms after
    // it suspected n5 (silent since the cut at 2 s) and asked n4 and n5, which the cut kept silent.
    assert_eq!((v[0].step, v[0].time), (245, 2_824_062));
    let step = &run.trace().steps[v[0].step as usize - 1];
    assert!(matches!(step.what, What::Timer { node: 3, timer: Timer::AnswerTimeout }), "{:?}", step.what);
    run.seek(v[0].step - 1);
    assert_eq!(leaders(&run), [5]);
    run.seek(v[0].step);
    assert_eq!(leaders(&run), [3, 5]);
}

#[test]
fn after_the_heal_one_leader_remains_the_highest() {
    let run = run_to(scenario("bully-partition"), 10 * SEC);
    assert!(all_follow(&run, 5), "{:?}", roles(&run));
    assert!(run.check_liveness().is_empty(), "{:?}", run.check_liveness());
    // n3 steps down when n5's first Alive crosses after the heal at 6 s.
    let down = noted(&run, 3, "steps down and follows n5");
    assert!(down.len() == 1 && down[0] > 6 * SEC && down[0] < 6 * SEC + 150 * MS, "{down:?}");
    // During the partition the safety property fails every step, but only the first is recorded.
    assert_eq!(run.violations().len(), 1);
}

#[test]
fn a_paused_leader_still_believes_it_leads() {
    let mut s = scenario("bully");
    s.script = vec![at(2.0, Input::Pause { node: 5, duration_us: 1_500_000 })];
    let run = run_to(s, 10 * SEC);
    let v = run.violations();
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(v[0].failure.explanation.contains("one of them is paused and still believes it leads"), "{v:?}");
    assert!(all_follow(&run, 5), "n5 takes over again after its pause: {:?}", roles(&run));
}

// ---- many seeds -----------------------------------------------------------------------------

#[test]
fn without_faults_there_is_only_ever_one_leader() {
    let report = swarm::<Bully>(&scenario("bully"), &FaultProfile::named("calm").unwrap(), 0..20).unwrap();
    assert!(report.finding.is_none(), "{:?}", report.finding);
    assert_eq!(report.runs, 20);
}

#[test]
fn random_partitions_give_two_leaders_and_the_swarm_says_why() {
    let report = swarm::<Bully>(&scenario("bully"), &FaultProfile::named("partitions").unwrap(), 0..20).unwrap();
    let finding = report.finding.expect("partitions split the leadership");
    assert_eq!(finding.violation.property, "At most one leader");
    assert!(finding.violation.failure.explanation.contains("each side of the partition"), "{finding:?}");
}

#[test]
fn after_random_faults_heal_the_highest_live_node_leads() {
    let base = scenario("bully");
    for profile in ["chaos", "crashes", "partitions", "pauses"] {
        let profile_of = FaultProfile::named(profile).unwrap();
        for seed in 0..5 {
            let s = swarm_scenario(&base, &profile_of, seed).unwrap();
            let until = s.until_us;
            let run = run_to(s, until);
            assert!(run.check_liveness().is_empty(), "{profile} seed {seed}: {:?}", run.check_liveness());
        }
    }
}

// ---- requests, parameters and what the UI shows ---------------------------------------------

#[test]
fn an_elect_request_holds_an_election_that_the_highest_still_wins() {
    let mut s = scenario("bully");
    s.script = vec![at(2.0, Input::Request { node: 2, request: json!("elect") })];
    let run = run_to(s, 4 * SEC);
    assert_eq!(noted(&run, 2, "asked to hold an election").len(), 1);
    let after: Vec<_> = run.trace().msgs.iter().filter(|m| m.sent_at >= 2 * SEC && m.msg == Msg::Election).collect();
    assert!(after.iter().any(|m| m.source == 2 && m.target == 5));
    assert!(all_follow(&run, 5), "{:?}", roles(&run));
    assert!(run.violations().is_empty());
    let mut run = run;
    let cursor = run.cursor();
    for bad in [json!("propose"), json!({ "elect": 1 }), json!({ "elect": { "now": true } })] {
        let err = run.apply(Input::Request { node: 0, request: bad.clone() }).unwrap_err();
        assert!(matches!(&err, SimError::Input(m) if m.starts_with("not a bully request")), "{bad}: {err}");
    }
    assert_eq!(run.cursor(), cursor);
}

#[test]
fn bad_parameters_are_explained() {
    let cases = [
        (json!({ "heartbeat_us": 0 }), "heartbeat_us must be above zero"),
        (json!({ "failure_timeout_us": 100_000 }), "failure_timeout_us (100000 µs) must be longer than heartbeat_us"),
        (json!({ "answer_timeout_us": 200_000 }), "must be longer than the longest round trip (250950 µs)"),
        (
            json!({ "coordinator_timeout_us": 400_000 }),
            "coordinator_timeout_us (400000 µs) must be longer than answer_timeout_us",
        ),
        (json!({ "heartbeat_us": 7_200_000_000u64 }), "heartbeat_us is at most"),
        (json!({ "timeout_us": 5 }), "unknown field `timeout_us`"),
    ];
    for (params, says) in cases {
        let message = params_error("bully", params.clone());
        assert!(message.contains(says), "{params}: `{message}` does not say `{says}`");
    }
}

#[test]
fn labels_roles_badges_and_the_countdown() {
    let labels: Vec<String> =
        [Msg::Election, Msg::Answer, Msg::Coordinator { leader: 4 }, Msg::Alive].iter().map(Bully::msg_label).collect();
    assert_eq!(labels, ["Election", "Answer", "Coordinator n4", "Alive"]);
    let mut run = Run::<Bully>::new(scenario("bully-leader-crash")).unwrap();
    run.run_until(SEC).unwrap();
    let nodes = run.nodes();
    assert_eq!((nodes[5].role.as_str(), nodes[5].badge.as_str()), ("leader", "leader n5"));
    assert_eq!((nodes[0].role.as_str(), nodes[0].badge.as_str()), ("follower", "leader n5"));
    assert_eq!(nodes[0].countdown.map(|c| (c.label, c.duration_us)), Some(("leader timeout", 500 * MS)));
    assert_eq!(nodes[5].countdown, None);
    // Mid-election after the crash: n3 asked n4 and n5 and waits for an Answer.
    run.run_until(2_530 * MS).unwrap();
    let nodes = run.nodes();
    assert_eq!((nodes[3].role.as_str(), nodes[3].badge.as_str()), ("electing", "no leader"));
    assert!(nodes[3].countdown.is_some_and(|c| c.label == "waiting for answers"), "{:?}", nodes[3]);
}
