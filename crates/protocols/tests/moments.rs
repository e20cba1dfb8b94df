//! Key moments of a run (the timeline's "previous/next moment") and the caption of each step.

use caucus_protocols::{build, builtin};
use caucus_sim::{DynRun, Input, MomentKind};

/// The scenario `name` computed to its `until_us`.
fn whole(name: &str) -> Box<dyn DynRun> {
    let s = builtin(name).expect("built in");
    let mut run = build(&s).expect("valid");
    run.run_until(s.until_us).expect("runs");
    run
}

/// Moments up to and including the first violation: the "next moment" jumps from step 0.
fn jumps_to_violation(run: &dyn DynRun) -> usize {
    let v = run.violations().first().expect("a violation").step;
    run.moments().iter().filter(|m| m.step <= v).count()
}

fn show(run: &dyn DynRun) -> String {
    run.moments().iter().map(|m| format!("{:>6} {:?} {}\n", m.step, m.kind, m.label)).collect()
}

#[test]
fn the_violation_is_a_few_moments_from_the_start() {
    for name in ["lock-lease-gc-pause", "commit-3pc-partition", "bully-partition"] {
        let run = whole(name);
        let n = jumps_to_violation(&*run);
        println!("{name}: {n}\n{}", show(&*run));
        assert!(n <= 8, "{name}: {n} moments before the violation:\n{}", show(&*run));
        let v = &run.violations()[0];
        assert!(run.moments().iter().any(|m| m.kind == MomentKind::Violation && m.step == v.step));
    }
}

#[test]
fn moments_survive_seeking_back_and_forth_and_replays_add_none() {
    let mut run = whole("lock-lease-gc-pause");
    let all = run.moments().to_vec();
    let head = run.head();
    assert!(all.windows(2).all(|w| w[0].step <= w[1].step), "sorted by step");
    assert!(all.iter().all(|m| m.step >= 1 && m.step <= head));
    for step in [0, head / 2, head, 3, head - 1, 1000.min(head), 0] {
        run.seek(step);
        assert_eq!(run.moments(), &all[..], "after seek({step})");
    }
    // Stepping forward through recorded history replays it.
    run.seek(90);
    for _ in 0..20 {
        assert!(run.apply(Input::Step).unwrap());
    }
    assert_eq!(run.moments(), &all[..]);
}

#[test]
fn a_branch_forgets_the_moments_of_the_old_future() {
    let mut run = whole("lock-lease-gc-pause");
    let pause = run.moments().iter().find(|m| m.kind == MomentKind::Script).expect("the pause").step;
    let at = pause - 5;
    run.seek(at);
    let kept: Vec<_> = run.moments().iter().filter(|m| m.step <= at).cloned().collect();
    run.apply(Input::Crash { node: 5 }).expect("a valid input");
    let after = run.moments().to_vec();
    assert_eq!(&after[..kept.len()], &kept[..]);
    assert_eq!(after.len(), kept.len() + 1, "{after:?}");
    let crash = &after[kept.len()];
    assert_eq!((crash.step, crash.kind, crash.label.as_str()), (at + 1, MomentKind::ByHand, "n5 crashes (by hand)"));
    assert_eq!(crash.nodes, [5]);
    assert!(run.violations().is_empty());
    // Applying the recorded input again at its step follows the history: no duplicate.
    run.seek(at);
    run.apply(Input::Crash { node: 5 }).unwrap();
    assert_eq!(run.moments(), &after[..]);
    // Computing the new future records its own moments once.
    let until = run.scenario().until_us;
    run.run_until(until).unwrap();
    let future = run.moments().to_vec();
    assert!(future.len() > after.len());
    run.seek(at);
    run.seek(run.head());
    assert_eq!(run.moments(), &future[..]);
}

#[test]
fn captions_tell_what_each_step_did() {
    let run = whole("lock-lease-gc-pause");
    assert_eq!(run.caption(0), None);
    assert_eq!(run.caption(run.head() + 1), None);
    let moment = |text: &str| run.moments().iter().find(|m| m.label.contains(text)).expect(text).step;
    let pause = moment("pause (scripted)");
    assert_eq!(
        run.caption(pause).as_deref(),
        Some("n2 (the holder, before its write) stops for a 2.000 s pause (scripted)")
    );
    let wake = moment("wakes from its pause");
    assert_eq!(run.caption(wake).as_deref(), Some("n2 wakes from its pause and still believes it holds lock t7"));
    let stale = moment("stale write");
    let text = run.caption(stale).unwrap();
    assert!(text.starts_with("n3 accepts n2's stale write t7"), "{text}");
    // Steps without a note get a sentence from what they were.
    let plain: Vec<String> = (1..=run.head()).filter_map(|s| run.caption(s)).collect();
    assert!(plain.iter().any(|c| c.starts_with("n0 receives SET NX PX1000 from ")), "{plain:?}");
    assert!(plain.iter().any(|c| c.contains("'s work done timer fires")), "{plain:?}");
    assert!(plain.iter().all(|c| !c.is_empty()));
}

#[test]
fn heartbeat_suspicions_are_moments_and_beats_are_not() {
    let run = whole("heartbeat-crash");
    let labels: Vec<&str> = run.moments().iter().map(|m| m.label.as_str()).collect();
    assert!(labels.contains(&"n3 crashes (scripted)"), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("n0 suspects n3")), "{labels:?}");
    assert!(labels.iter().any(|l| l.starts_with("n0 trusts n3 again")), "{labels:?}");
    assert!(labels.len() < 30, "{labels:?}");
    assert!(run.caption(1).unwrap().ends_with("starts"));
}
