//! Atomic commitment (2PC, 3PC, sagas), as scenarios a student can watch.
//!
//! Every built-in scenario uses six nodes in three regions; n0 coordinates, n1..n5 participate
//! (saga step k runs at nk):
//!
//! ```text
//! dc 0 us-east-1: n0 n1    dc 1 eu-west-1: n2 n3    dc 2 ap-southeast-1: n4 n5
//! ```
//!
//! One-way latency from n0: n1 0.4 ms, n2 and n3 about 40 ms, n4 and n5 about 108 ms. Defaults:
//! T1 begins at 0.1 s, a participant takes 5 ms to prepare, the coordinator waits 600 ms for
//! votes, a participant that voted yes waits 1 s before it asks again (2PC) or decides alone (3PC).

use caucus_protocols::commit::{latency_by_distance, Commit, Entry, Msg, Phase, State, Timer, Variant};
use caucus_protocols::{at, build, swarm};
use caucus_sim::sim::What;
use caucus_sim::swarm::FaultProfile;
use caucus_sim::{DynRun, Input, Micros, Protocol, Run, Scenario, SimError, MS, SEC};
use serde_json::json;

mod support;
use support::*;

// ---- helpers --------------------------------------------------------------------------------

fn run_to(scenario: Scenario, until: Micros) -> Run<Commit> {
    let mut run = Run::<Commit>::new(scenario).expect("valid scenario");
    run.run_until(until).expect("run stays within limits");
    run
}

/// Each participant's state in transaction `txn` (`None`: does not know it, or is down).
fn states(run: &Run<Commit>, txn: u32) -> Vec<Option<State>> {
    (1..6).map(|i| run.sim().state(i).and_then(|s| s.parts.get(&txn)).map(|p| p.state)).collect()
}

fn all(state: State) -> Vec<Option<State>> {
    vec![Some(state); 5]
}

fn coordinator_run(run: &Run<Commit>, txn: u32) -> caucus_protocols::commit::TxnRun {
    run.sim().state(0).expect("n0 up").runs[&txn].clone()
}

fn labels(run: &Run<Commit>) -> Vec<String> {
    run.trace().msgs.iter().map(|m| Commit::msg_label(&m.msg)).collect()
}

// ---- two-phase commit -----------------------------------------------------------------------

// Every built-in scenario replays byte for byte: `tests/core.rs` checks them all.

#[test]
fn all_vote_yes_and_everyone_commits_after_one_round_trip_to_singapore() {
    let run = run_to(scenario("commit-2pc"), 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Committed));
    let labels = labels(&run);
    assert_eq!(labels.iter().filter(|l| *l == "Prepare T1").count(), 5);
    assert_eq!(labels.iter().filter(|l| *l == "Vote yes T1").count(), 5);
    assert_eq!(labels.iter().filter(|l| *l == "Commit T1").count(), 5);
    assert_eq!(labels.iter().filter(|l| *l == "Ack T1").count(), 5);
    // The decision waits for Singapore's vote: a round trip of about 217 ms plus 5 ms of work.
    let r = coordinator_run(&run, 1);
    let decided = r.decided_us.unwrap() - r.begun_us;
    assert!((220 * MS..240 * MS).contains(&decided), "{decided}");
    assert!(r.ended_us.unwrap() - r.decided_us.unwrap() > 210 * MS, "the acknowledgements take another round trip");
    let wal: Vec<Entry> = run.sim().state(0).unwrap().wal.iter().map(|r| r.entry).collect();
    assert_eq!(wal, [Entry::Begin, Entry::Commit, Entry::End]);
    let wal: Vec<Entry> = run.sim().state(4).unwrap().wal.iter().map(|r| r.entry).collect();
    assert_eq!(wal, [Entry::Prepared, Entry::Commit]);
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(run.check_liveness().is_empty());
}

#[test]
fn one_no_vote_aborts_everyone_and_the_no_voter_aborts_first() {
    let run = run_to(scenario("commit-2pc-no-vote"), 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Aborted));
    let aborted_alone = noted(&run, 3, "votes no on T1 (told to) and aborts at once");
    let decided = noted(&run, 0, "aborts T1: n3 voted no");
    assert_eq!(aborted_alone.len(), 1);
    assert!(decided.len() == 1 && aborted_alone[0] < decided[0], "{aborted_alone:?} {decided:?}");
    // n3 never wrote Prepared; the others did and then aborted.
    let n3: Vec<Entry> = run.sim().state(3).unwrap().wal.iter().map(|r| r.entry).collect();
    assert_eq!(n3, [Entry::Abort]);
    assert!(labels(&run).contains(&"Vote no T1".to_string()));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_crashed_coordinator_leaves_every_participant_blocked_in_doubt_until_it_returns() {
    let mut run = run_to(scenario("commit-2pc-coordinator-crash"), 3900 * MS);
    assert_eq!(states(&run, 1), all(State::Ready));
    let nodes = run.nodes();
    assert_eq!((nodes[4].role.as_str(), nodes[4].badge.as_str()), ("in doubt", "T1"));
    assert_eq!(nodes[4].countdown.map(|c| c.label), Some("in doubt: asks again"));
    // n4 has been blocked since it voted at about 0.21 s, asking the dead n0 every second.
    assert_eq!(noted(&run, 4, "blocked: asks n0").len(), 3);
    let since = run.sim().state(4).unwrap().parts[&1].since_us;
    assert!(3900 * MS - since > 3600 * MS, "{since}");
    let liveness = run.check_liveness();
    assert_eq!(liveness.len(), 1);
    assert_eq!(
        liveness[0].failure.explanation,
        "T1 has no decision at n1, n2, n3, n4, n5: in doubt and blocked, or never told."
    );
    // n0's log survives the crash: Begin and nothing else, so it presumes abort on restart.
    assert_eq!(run.sim().durable(0).unwrap().iter().map(|r| r.entry).collect::<Vec<_>>(), [Entry::Begin]);
    run.run_until(10 * SEC).unwrap();
    assert_eq!(noted(&run, 0, "presumed abort"), [4 * SEC]);
    assert_eq!(states(&run, 1), all(State::Aborted));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_decision_in_the_coordinators_log_survives_its_crash_and_reaches_the_cut_off_side() {
    let mut run = run_to(scenario("commit-2pc-crash-after-decision"), 3900 * MS);
    let s = states(&run, 1);
    assert_eq!(s[..3], [Some(State::Committed); 3]);
    assert_eq!(s[3..], [Some(State::Ready); 2], "n4 and n5 never got the Commit");
    assert_eq!(
        run.sim().durable(0).unwrap().iter().map(|r| r.entry).collect::<Vec<_>>(),
        [Entry::Begin, Entry::Commit]
    );
    run.run_until(10 * SEC).unwrap();
    assert_eq!(noted(&run, 0, "its log has the commit of T1, which it sends again"), [4 * SEC]);
    assert_eq!(states(&run, 1), all(State::Committed));
    let n4 = noted(&run, 4, "commits T1");
    assert!(n4.len() == 1 && n4[0] > 4 * SEC, "{n4:?}");
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn cooperative_termination_lets_the_in_doubt_ask_a_peer_that_knows() {
    let run = run_to(scenario("commit-2pc-cooperative"), 3900 * MS);
    assert_eq!(states(&run, 1), all(State::Committed), "n4 and n5 commit while n0 is still down");
    for n in [4, 5] {
        let t = noted(&run, n, "commits T1 (from peer n1)");
        assert!(t.len() == 1 && (1200 * MS..1500 * MS).contains(&t[0]), "n{n}: {t:?}");
    }
    assert!(labels(&run).contains(&"Decision? T1".to_string()));
    assert!(run.violations().is_empty());
    let run = run_to(scenario("commit-2pc-cooperative"), 10 * SEC);
    assert!(run.check_liveness().is_empty(), "n0 logs End once it is back");
}

#[test]
fn cooperative_termination_cannot_help_when_every_peer_is_in_doubt_too() {
    let mut s = scenario("commit-2pc-coordinator-crash");
    s.protocol.params = json!({ "cooperative": true });
    let run = run_to(s, 3900 * MS);
    assert_eq!(states(&run, 1), all(State::Ready));
    assert!(run.check_liveness().len() == 1);
}

#[test]
fn before_voting_a_participant_may_abort_alone_so_a_crash_in_the_work_phase_blocks_nobody() {
    let run = run_to(scenario("commit-2pc-work-timeout"), 1500 * MS);
    assert_eq!(states(&run, 1), all(State::Aborted), "decided alone, long before n0 returns at 4 s");
    for n in 1..6 {
        let t = noted(&run, n, "no Prepare for T1 within 1000 ms of its work: aborts alone");
        assert!(t.len() == 1 && (1100 * MS..1250 * MS).contains(&t[0]), "n{n}: {t:?}");
    }
    assert!(labels(&run).iter().all(|l| l == "Work T1"), "no Prepare was ever sent: {:?}", labels(&run));
    let mut early = run_to(scenario("commit-2pc-work-timeout"), 300 * MS);
    assert_eq!(early.nodes()[1].countdown.map(|c| c.label), Some("waiting for Prepare"));
    assert_eq!((early.nodes()[1].role.as_str(), early.nodes()[1].badge.as_str()), ("init", "T1"));
    early.run_until(10 * SEC).unwrap();
    assert_eq!(noted(&early, 0, "presumed abort"), [4 * SEC]);
    assert!(early.violations().is_empty() && early.check_liveness().is_empty());
}

#[test]
fn with_a_work_phase_all_yes_still_commits_one_work_time_later() {
    let mut s = scenario("commit-2pc");
    s.protocol.params = json!({ "work_us": 300_000 });
    let run = run_to(s, 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Committed));
    let r = coordinator_run(&run, 1);
    let decided = r.decided_us.unwrap() - r.begun_us;
    assert!((520 * MS..540 * MS).contains(&decided), "300 ms of work plus the round trip: {decided}");
    // A participant that lost its work in a crash votes no when Prepare comes.
    let mut s = scenario("commit-2pc");
    s.protocol.params = json!({ "work_us": 300_000 });
    s.script = vec![at(0.25, Input::Crash { node: 2 }), at(0.3, Input::Restart { node: 2 })];
    let run = run_to(s, 10 * SEC);
    assert_eq!(noted(&run, 2, "has no work for T1 (lost in a crash, or it never came): votes no").len(), 1);
    assert_eq!(states(&run, 1), all(State::Aborted));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_participant_that_crashes_in_doubt_recovers_in_doubt_from_its_log() {
    let mut run = run_to(scenario("commit-2pc-participant-crash"), SEC);
    assert_eq!(run.sim().state(4), None);
    assert_eq!(run.sim().durable(4).unwrap().iter().map(|r| r.entry).collect::<Vec<_>>(), [Entry::Prepared]);
    assert_eq!(coordinator_run(&run, 1).outcome, Some(true), "n0 commits without n4's acknowledgement");
    assert_eq!(coordinator_run(&run, 1).phase, Phase::Deciding);
    run.run_until(10 * SEC).unwrap();
    assert_eq!(noted(&run, 4, "recovers in doubt on T1: its log says Prepared"), [2 * SEC]);
    assert_eq!(noted(&run, 0, "resends the decision on T1 to n4").len(), 2);
    assert_eq!(states(&run, 1), all(State::Committed));
    assert_eq!(coordinator_run(&run, 1).phase, Phase::Ended);
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn concurrent_transactions_decide_independently() {
    let run = run_to(scenario("commit-2pc-concurrent"), 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Committed));
    assert_eq!(states(&run, 2), all(State::Aborted));
    assert_eq!(states(&run, 3), all(State::Committed));
    let r = run.sim().state(0).unwrap();
    assert!(r.runs.values().all(|t| t.begun_us == 100 * MS && t.phase == Phase::Ended));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn sequential_transactions_begin_one_gap_after_the_previous_ended() {
    let mut s = scenario("commit-2pc");
    s.protocol.params = json!({ "transactions": 3 });
    let run = run_to(s, 10 * SEC);
    let r = &run.sim().state(0).unwrap().runs;
    assert_eq!(r.len(), 3);
    for t in 2..=3 {
        assert_eq!(r[&t].begun_us, r[&(t - 1)].ended_us.unwrap() + 500 * MS);
    }
    assert!(run.check_liveness().is_empty());
}

// ---- three-phase commit ---------------------------------------------------------------------

#[test]
fn three_phase_commit_takes_one_more_round_trip() {
    let run = run_to(scenario("commit-3pc"), 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Committed));
    let labels = labels(&run);
    for l in ["CanCommit T1", "Vote yes T1", "PreCommit T1", "Ack PreCommit T1", "DoCommit T1", "Ack T1"] {
        assert_eq!(labels.iter().filter(|x| *x == l).count(), 5, "{l}");
    }
    let three = coordinator_run(&run, 1);
    let two = coordinator_run(&run_to(scenario("commit-2pc"), 10 * SEC), 1);
    let extra = (three.decided_us.unwrap() - three.begun_us) - (two.decided_us.unwrap() - two.begun_us);
    assert!((210 * MS..240 * MS).contains(&extra), "{extra}");
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn three_phase_commit_does_not_block_on_a_crashed_coordinator() {
    let run = run_to(scenario("commit-3pc-coordinator-crash"), 1300 * MS);
    assert_eq!(states(&run, 1), all(State::Aborted), "decided alone, long before n0 returns at 5 s");
    let n4 = noted(&run, 4, "heard no PreCommit for T1: aborts on its own");
    assert!(n4.len() == 1 && n4[0] < 1250 * MS, "{n4:?}");
    let run = run_to(scenario("commit-3pc-coordinator-crash"), 10 * SEC);
    assert_eq!(noted(&run, 0, "presumed abort"), [5 * SEC]);
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_crash_after_pre_commit_lets_the_participants_commit_alone() {
    let mut s = scenario("commit-3pc");
    // PreCommit leaves n0 at about 0.33 s and reaches Singapore at 0.44 s.
    s.script = vec![at(0.5, Input::Crash { node: 0 }), at(5.0, Input::Restart { node: 0 })];
    let run = run_to(s, 10 * SEC);
    assert_eq!(states(&run, 1), all(State::Committed));
    assert_eq!(noted(&run, 4, "pre-committed and heard nothing more: commits T1 on its own").len(), 1);
    assert_eq!(noted(&run, 0, "recovers with PreCommit in its log").len(), 1);
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_partition_splits_three_phase_commit_and_atomicity_catches_it() {
    let mut run = run_to(scenario("commit-3pc-partition"), 10 * SEC);
    let s = states(&run, 1);
    assert_eq!(s[..3], [Some(State::Committed); 3]);
    assert_eq!(s[3..], [Some(State::Aborted); 2]);
    let v = run.violations().to_vec();
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].property, "Atomicity");
    assert_eq!(
        v[0].failure.explanation,
        "n1 committed T1 while n4 aborted it: a partition split 3PC: n4, cut off before PreCommit reached it, aborted on its timeout while n1's side had PreCommit and committed. 3PC takes silence for a crash, which a partition is not (the lesson, not a bug in Caucus)."
    );
    assert_eq!(v[0].failure.nodes, vec![1, 4]);
    // The step that broke it: n4's own decision timer, 1 s after its yes vote.
    let step = &run.trace().steps[v[0].step as usize - 1];
    assert!(matches!(step.what, What::Timer { node: 4, timer: Timer::Decide { txn: 1 } }), "{:?}", step.what);
    run.seek(v[0].step - 1);
    assert_eq!(states(&run, 1)[3], Some(State::Ready));
    // Termination still holds: every node decided (differently), and n0 logged End after the heal.
    let run = run_to(scenario("commit-3pc-partition"), 10 * SEC);
    assert!(run.check_liveness().is_empty(), "{:?}", run.check_liveness());
}

// ---- sagas ----------------------------------------------------------------------------------

#[test]
fn a_saga_runs_its_steps_one_after_another_and_shows_them_half_done() {
    let mut run = run_to(scenario("commit-saga"), 300 * MS);
    // Half done and visible: T1 and T2 committed locally, T4 and T5 not run yet.
    let s = states(&run, 1);
    assert_eq!(s[..2], [Some(State::Committed); 2]);
    assert_eq!(s[3..], [None, None]);
    assert_eq!(run.nodes()[1].role, "done");
    run.run_until(10 * SEC).unwrap();
    assert_eq!(states(&run, 1), all(State::Committed));
    let labels = labels(&run);
    assert_eq!(labels[..2], ["S1 T1", "S1 T1 done"]);
    assert_eq!(labels.len(), 10);
    assert_eq!(coordinator_run(&run, 1).outcome, Some(true));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_failed_saga_step_is_compensated_in_reverse() {
    let run = run_to(scenario("commit-saga-compensate"), 10 * SEC);
    assert_eq!(
        states(&run, 1),
        [Some(State::Compensated), Some(State::Compensated), Some(State::Compensated), Some(State::Aborted), None]
    );
    let c3 = noted(&run, 3, "C3 undoes T3");
    let c2 = noted(&run, 2, "C2 undoes T2");
    let c1 = noted(&run, 1, "C1 undoes T1");
    assert!(c3[0] < c2[0] && c2[0] < c1[0], "{c3:?} {c2:?} {c1:?}");
    let wal: Vec<Entry> = run.sim().state(0).unwrap().wal.iter().map(|r| r.entry).collect();
    assert_eq!(
        wal,
        [
            Entry::Begin,
            Entry::StepDone { step: 1 },
            Entry::StepDone { step: 2 },
            Entry::StepDone { step: 3 },
            Entry::StepFailed { step: 4 },
            Entry::Compensated { step: 3 },
            Entry::Compensated { step: 2 },
            Entry::Compensated { step: 1 },
            Entry::Abort,
            Entry::End
        ]
    );
    assert_eq!(run.nodes()[4].role, "failed");
    assert_eq!((run.nodes()[1].badge.as_str(), run.nodes()[0].badge.as_str()), ("S1", "S1 undone"));
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_saga_orchestrator_that_crashes_carries_on_from_its_log() {
    let mut s = scenario("commit-saga-compensate");
    // n0 crashes while T4 runs in Singapore, and comes back at 2 s.
    s.script.extend([at(0.35, Input::Crash { node: 0 }), at(2.0, Input::Restart { node: 0 })]);
    let run = run_to(s, 10 * SEC);
    assert_eq!(noted(&run, 0, "recovers saga S1 from its log and carries on"), [2 * SEC]);
    assert_eq!(states(&run, 1)[..3], [Some(State::Compensated); 3]);
    assert!(run.violations().is_empty() && run.check_liveness().is_empty());
}

#[test]
fn a_half_done_saga_fails_termination_until_it_finishes() {
    let mut s = scenario("commit-saga-compensate");
    s.script.push(at(0.2, Input::Crash { node: 0 }));
    let run = run_to(s, 5 * SEC);
    let l = run.check_liveness();
    assert_eq!(l.len(), 1);
    assert_eq!(
        l[0].failure.explanation,
        "S1 is half done: steps at n1, n2, n3 stand, others did not run or were undone."
    );
}

// ---- many seeds, random faults --------------------------------------------------------------

/// Twenty transactions one after another, each participant voting no one time in ten, so that
/// faults land in every phase.
fn swarm_base(params: serde_json::Value) -> Scenario {
    let mut base = scenario("commit-2pc");
    let mut p = json!({ "transactions": 20, "no_vote_ppm": 20_000, "gap_us": 300_000 });
    for (k, v) in params.as_object().unwrap() {
        p[k] = v.clone();
    }
    base.protocol.params = p;
    base
}

#[test]
fn two_phase_commit_never_breaks_atomicity_and_always_terminates_after_the_heal() {
    for profile in ["chaos", "crashes", "partitions", "pauses"] {
        assert_no_finding(&swarm_base(json!({})), profile, 0..250);
    }
}

#[test]
fn a_work_phase_with_participants_aborting_alone_stays_safe_under_chaos() {
    assert_no_finding(&swarm_base(json!({ "work_us": 200_000 })), "chaos", 4000..4200);
    assert_no_finding(&swarm_base(json!({ "work_us": 200_000, "cooperative": true })), "chaos", 4200..4300);
}

#[test]
fn cooperative_termination_stays_safe_under_chaos() {
    assert_no_finding(&swarm_base(json!({ "cooperative": true })), "chaos", 1000..1200);
}

#[test]
fn concurrent_two_phase_commits_stay_safe_under_chaos() {
    let base = swarm_base(json!({ "concurrent": true, "start_us": 2_000_000 }));
    assert_no_finding(&base, "chaos", 2000..2200);
}

#[test]
fn sagas_end_all_done_or_all_compensated_under_chaos() {
    assert_no_finding(&swarm_base(json!({ "variant": "saga", "no_vote_ppm": 100_000 })), "chaos", 3000..3200);
}

#[test]
fn random_partitions_split_three_phase_commit_and_the_finding_replays() {
    let base = swarm_base(json!({ "variant": "three_phase" }));
    let report = swarm(&base, &FaultProfile::named("partitions").unwrap(), 0..50).unwrap();
    let f = report.finding.expect("partitions split 3PC");
    assert_eq!(f.violation.property, "Atomicity");
    assert!(f.violation.failure.explanation.contains("while"), "{:?}", f.violation);
    let mut run = Run::<Commit>::new(f.scenario.clone()).unwrap();
    run.run_until(f.violation.time).unwrap();
    assert_eq!(run.violations().first(), Some(&f.violation), "the seed replays the same violation");
}

#[test]
fn three_phase_commit_without_faults_never_disagrees() {
    assert_no_finding(&swarm_base(json!({ "variant": "three_phase" })), "calm", 0..20);
}

// ---- latency and distance -------------------------------------------------------------------

#[test]
fn latency_grows_with_distance_and_with_each_phase() {
    let two = latency_by_distance(Variant::TwoPhase);
    let three = latency_by_distance(Variant::ThreePhase);
    let saga = latency_by_distance(Variant::Saga);
    let presets: Vec<&str> = two.iter().map(|l| l.preset).collect();
    assert_eq!(presets, ["one-datacenter", "three-regions", "five-regions"]);
    for l in [&two, &three, &saga] {
        assert!(l[0].decided_us < 40 * MS, "one datacenter: milliseconds ({:?})", l[0]);
        assert!(l[0].decided_us < l[1].decided_us && l[1].decided_us <= l[2].decided_us, "{l:?}");
    }
    for i in 0..3 {
        // 2PC decides after one round trip to the farthest participant plus its 5 ms of work.
        let rtt = two[i].max_rtt_us;
        assert!(
            two[i].decided_us >= rtt + 5 * MS && two[i].decided_us < rtt + 5 * MS + rtt / 10 + 2 * MS,
            "{:?}",
            two[i]
        );
        assert!(three[i].decided_us >= two[i].decided_us + rtt, "3PC adds a round trip: {:?}", three[i]);
        assert_eq!(two[i].voting_us, two[i].decided_us);
    }
}

// ---- requests, parameters and what the UI shows ---------------------------------------------

#[test]
fn requests_begin_transactions_and_force_no_votes() {
    let mut s = scenario("commit-2pc");
    s.script = vec![
        at(1.0, Input::Request { node: 0, request: json!("begin") }),
        at(1.0, Input::Request { node: 2, request: json!({ "vote_no": { "txn": 2 } }) }),
        at(1.0, Input::Request { node: 3, request: json!("begin") }),
        at(1.0, Input::Request { node: 0, request: json!({ "vote_no": { "txn": 2 } }) }),
        at(1.0, Input::Request { node: 1, request: json!({ "vote_no": { "txn": 1 } }) }),
    ];
    let mut run = run_to(s, 3 * SEC);
    assert_eq!(states(&run, 2), all(State::Aborted));
    assert_eq!(noted(&run, 3, "only the coordinator, n0, begins transactions").len(), 1);
    assert_eq!(noted(&run, 0, "the coordinator does not vote").len(), 1);
    assert_eq!(noted(&run, 1, "has already voted on T1").len(), 1);
    let cursor = run.cursor();
    for bad in [json!("commit"), json!({ "vote_no": 1 }), json!({ "vote_no": { "txn": -1 } }), json!({ "begin": 1 })] {
        let err = run.apply(Input::Request { node: 1, request: bad.clone() }).unwrap_err();
        assert!(matches!(&err, SimError::Input(m) if m.starts_with("not a commit request")), "{bad}: {err}");
    }
    assert_eq!(run.cursor(), cursor);
}

#[test]
fn a_transaction_begun_by_hand_counts_towards_the_scheduled_ones() {
    let mut s = scenario("commit-2pc");
    s.protocol.params = json!({ "transactions": 2 });
    s.script = vec![at(0.7, Input::Request { node: 0, request: json!("begin") })];
    let run = run_to(s, 10 * SEC);
    let runs = &run.sim().state(0).unwrap().runs;
    assert_eq!(runs.len(), 2, "T2 was begun by hand at 0.7 s, while the schedule waited to begin it at 1.05 s: no T3");
    assert_eq!(runs[&2].begun_us, 700 * MS);
    assert!(run.check_liveness().is_empty());
}

#[test]
fn bad_parameters_are_explained() {
    let cases = [
        (json!({ "variant": "four_phase" }), "unknown variant `four_phase`"),
        (json!({ "coordinator": 6 }), "coordinator is node 6, but the run has 6 nodes"),
        (json!({ "transactions": 0 }), "transactions must be between 1 and 100"),
        (json!({ "transactions": 101 }), "transactions must be between 1 and 100"),
        (json!({ "no_vote_ppm": 2_000_000 }), "at most 1000000"),
        (json!({ "prepare_us": 0 }), "prepare_us must be above zero"),
        (json!({ "gap_us": 7_200_000_000u64 }), "gap_us is at most"),
        (json!({ "vote_timeout_us": 200_000 }), "must be longer than the longest round trip plus prepare_us"),
        (
            json!({ "decision_timeout_us": 500_000 }),
            "decision_timeout_us (500000 µs) must be longer than vote_timeout_us",
        ),
        (json!({ "variant": "saga", "cooperative": true }), "cooperative termination is a two-phase commit option"),
        (json!({ "variant": "saga", "work_us": 1000 }), "work_us is the work before a vote"),
        (json!({ "work_us": 7_200_000_000u64 }), "work_us is at most"),
        (json!({ "timeout_us": 5 }), "unknown field `timeout_us`"),
    ];
    for (params, says) in cases {
        let message = params_error("commit-2pc", params.clone());
        assert!(message.contains(says), "{params}: `{message}` does not say `{says}`");
    }
}

#[test]
fn labels_roles_badges_and_countdowns() {
    let msgs = [
        Msg::Vote { txn: 1, yes: true },
        Msg::Vote { txn: 2, yes: false },
        Msg::PreCommit { txn: 1 },
        Msg::Query { txn: 3 },
        Msg::Undo { txn: 1, step: 2 },
        Msg::Done { txn: 1, step: 4, ok: false },
    ];
    let labels: Vec<String> = msgs.iter().map(Commit::msg_label).collect();
    assert_eq!(labels, ["Vote yes T1", "Vote no T2", "PreCommit T1", "Decision? T3", "S1 C2", "S1 T4 failed"]);
    let mut run = Run::<Commit>::new(scenario("commit-3pc")).unwrap();
    run.run_until(200 * MS).unwrap();
    let nodes = run.nodes();
    assert_eq!((nodes[0].role.as_str(), nodes[0].badge.as_str()), ("coordinator", "T1 voting"));
    assert_eq!(nodes[0].countdown.map(|c| (c.label, c.duration_us)), Some(("waiting for votes", 600 * MS)));
    assert_eq!((nodes[1].role.as_str(), nodes[1].badge.as_str()), ("ready", "T1"));
    assert_eq!(nodes[1].countdown.map(|c| c.label), Some("decides alone"));
    assert_eq!((nodes[4].role.as_str(), nodes[4].badge.as_str()), ("idle", ""));
    run.run_until(400 * MS).unwrap();
    let nodes = run.nodes();
    assert_eq!((nodes[0].badge.as_str(), nodes[1].role.as_str()), ("T1 pre-commit", "pre-committed"));
    run.run_until(10 * SEC).unwrap();
    assert_eq!(run.nodes()[0].badge, "T1 committed");
}

#[test]
fn every_scenario_is_named_for_the_protocol_and_validates() {
    let all: Vec<Scenario> =
        caucus_protocols::builtin_scenarios().into_iter().filter(|s| s.protocol.name == "commit").collect();
    assert!(all.len() >= 10);
    for s in all {
        assert!(s.name.starts_with("commit-"), "{}", s.name);
        assert!(build(&s).is_ok(), "{}", s.name);
    }
}
