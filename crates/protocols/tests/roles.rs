//! Script entries aimed at a role (`when`): resolution while the run plays, waiting, timeouts,
//! refusals that name the field, determinism.

use caucus_protocols::{build, builtin, TraceExport};
use caucus_sim::{Input, MomentKind, Scenario, SEC};

fn with_script(name: &str, script: serde_json::Value) -> Result<Scenario, caucus_sim::ScenarioError> {
    let mut v: serde_json::Value = serde_json::from_str(&builtin(name).unwrap().to_json()).unwrap();
    v["script"] = script;
    Scenario::from_json(&v.to_string())
}

fn script_moments(s: &Scenario) -> Vec<String> {
    let mut run = build(s).unwrap();
    run.run_until(s.until_us).unwrap();
    run.moments().iter().filter(|m| m.kind == MomentKind::Script).map(|m| m.label.clone()).collect()
}

#[test]
fn a_role_that_changes_hands_is_resolved_when_each_entry_is_due() {
    // Crash the leader at 4 s, then crash whoever leads at 8 s: two different nodes.
    let s = with_script(
        "raft-leader-crash",
        serde_json::json!([
            { "at_us": 4_000_000, "when": { "role": "leader" }, "input": "crash" },
            { "at_us": 8_000_000, "when": { "role": "leader" }, "input": "crash" },
        ]),
    )
    .unwrap();
    for seed in 0..10 {
        let mut s = s.clone();
        s.seed = seed;
        let mut run = build(&s).unwrap();
        run.run_until(s.until_us).unwrap();
        let crashes: Vec<_> = run.moments().iter().filter(|m| m.kind == MomentKind::Script).collect();
        assert_eq!(crashes.len(), 2, "seed {seed}: {crashes:?}");
        assert!(crashes[0].label.ends_with("(the leader) crashes (scripted)"), "{}", crashes[0].label);
        assert_ne!(crashes[0].nodes, crashes[1].nodes, "seed {seed}: the second crash hits the new leader");
        // The trace records the concrete input.
        let step = &run.trace_step(crashes[1].step as usize - 1);
        assert_eq!(step.node, Some(crashes[1].nodes[0]));
        assert!(step.label.starts_with(&format!("crash n{} (the leader)", crashes[1].nodes[0])), "{}", step.label);
    }
}

#[test]
fn newly_waits_for_the_next_holder_and_same_as_follows_the_node() {
    let s = with_script(
        "lock-setnx",
        serde_json::json!([
            { "at_us": 3_000_000, "when": { "role": "working", "newly": true }, "input": { "pause": { "duration_us": 100_000 } } },
            { "at_us": 9_000_000, "when": { "same_as": 0 }, "input": "crash" },
        ]),
    )
    .unwrap();
    let mut run = build(&s).unwrap();
    run.run_until(s.until_us).unwrap();
    let m: Vec<_> = run.moments().iter().filter(|m| m.kind == MomentKind::Script).collect();
    assert_eq!(m.len(), 2, "{m:?}");
    assert!(m[0].time > 3 * SEC, "waits for the next grant, not the holder at 3 s");
    assert_eq!(m[0].nodes, m[1].nodes);
    assert!(m[1].label.contains("(the holder, before its write at "), "{}", m[1].label);
}

#[test]
fn a_role_nobody_takes_times_out_with_a_step_that_says_so() {
    // No client works on the lock between 0.1 s and 0.2 s (the first round starts later).
    let mut s = with_script(
        "lock-redlock",
        serde_json::json!([
            { "at_us": 100_000, "when": { "role": "working", "within_us": 100_000 }, "input": "crash" },
            { "at_us": 500_000, "when": { "same_as": 0 }, "input": "restart" },
        ]),
    )
    .unwrap();
    s.until_us = 2 * SEC;
    let labels = script_moments(&s);
    assert_eq!(
        labels,
        [
            "script[0] (crash the holder, before its write) is skipped: from 100.00 ms to 200.00 ms, no node was the holder, before its write",
            "script[1] (restart) is skipped: script[0], whose node it names, did not happen",
        ],
    );
    let mut run = build(&s).unwrap();
    run.run_until(s.until_us).unwrap();
    let skipped = run.moments()[0].step;
    assert_eq!(run.trace_step(skipped as usize - 1).time, 200_000);
    assert!(run.caption(skipped).unwrap().contains("is skipped"));
}

#[test]
fn unknown_roles_and_bad_entries_are_refused_naming_the_field() {
    let err = |script: serde_json::Value| {
        let e = match with_script("lock-lease", script) {
            Ok(s) => build(&s).err().expect("refused"),
            Err(e) => e,
        };
        (e.field.clone(), e.message.clone())
    };
    let heal = serde_json::json!({ "at_us": 1, "input": "heal" });
    let (field, message) =
        err(serde_json::json!([heal, heal, heal, { "at_us": 1, "when": { "role": "leader" }, "input": "crash" }]));
    assert_eq!(field, "script[3].when.role");
    assert!(message.contains("`leader` is not a role of lock") && message.contains("holder"), "{message}");
    let (field, _) = err(serde_json::json!([{ "at_us": 1, "when": { "role": "granter" }, "input": "crash" }]));
    assert_eq!(field, "script[0].when.role");
    let (field, _) = err(serde_json::json!([{ "at_us": 1, "when": { "same_as": 0 }, "input": "crash" }]));
    assert_eq!(field, "script[0].when.same_as");
    let (field, _) = err(serde_json::json!([{ "at_us": 1, "when": { "role": "holder" }, "input": "heal" }]));
    assert_eq!(field, "script[0].input");
    let (field, _) =
        err(serde_json::json!([{ "at_us": 1, "when": { "role": "holder", "within_us": 0 }, "input": "crash" }]));
    assert_eq!(field, "script[0].when.within_us");
    let (field, _) =
        err(serde_json::json!([{ "at_us": 1, "when": { "role": "holder", "colour": 1 }, "input": "crash" }]));
    assert_eq!(field, "script[0].when.colour");
    let (field, _) = err(serde_json::json!([{ "at_us": 1, "when": {}, "input": "crash" }]));
    assert_eq!(field, "script[0].when");
    // A protocol without roles says so.
    let e =
        with_script("heartbeat", serde_json::json!([{ "at_us": 1, "when": { "role": "leader" }, "input": "crash" }]))
            .map(|s| build(&s).err().unwrap())
            .unwrap();
    assert_eq!(e.field, "script[0].when.role");
    assert!(e.message.contains("it has none"), "{}", e.message);
}

#[test]
fn the_same_seed_twice_gives_the_same_digest_and_the_json_round_trips() {
    for name in
        ["lock-lease-gc-pause", "lock-redlock-instance-clock-jump", "raft-partition-leader-dc", "raft-log-repair"]
    {
        let s = builtin(name).unwrap();
        let again = Scenario::from_json(&s.to_json()).unwrap();
        assert_eq!(again, s, "{name}");
        let digest = |s: &Scenario| {
            let mut run = build(s).unwrap();
            run.run_until(s.until_us).unwrap();
            run.digest()
        };
        assert_eq!(digest(&s), digest(&again), "{name}");
    }
    // Time travel over an entry that waited replays the same choice.
    let s = builtin("lock-lease-gc-pause").unwrap();
    let mut run = build(&s).unwrap();
    run.run_until(s.until_us).unwrap();
    let moments = run.moments().to_vec();
    let digest = run.digest();
    run.seek(10);
    let head = run.head();
    run.seek(head);
    assert_eq!(run.moments(), &moments[..]);
    assert_eq!(run.digest(), digest);
    let _ = Input::Heal;
}

/// Regression: the swarm interleaved its random faults into a script by time, and an entry aimed
/// by `same_as: j` then named whichever entry had moved to place `j` ("script[1] is not aimed at
/// a node"), so no role-aimed scenario could be swarmed. Each `same_as` must still name the entry
/// it named in the built-in scenario.
#[test]
fn swarm_faults_keep_same_as_on_the_entry_it_named() {
    use caucus_sim::swarm::{swarm_scenario, FaultProfile};
    let mut checked = 0;
    for base in caucus_protocols::builtin_scenarios() {
        for profile in ["default", "chaos", "partitions"] {
            let profile = FaultProfile::named(profile).unwrap();
            for seed in 0..5 {
                let s =
                    swarm_scenario(&base, &profile, seed).unwrap_or_else(|e| panic!("{} seed {seed}: {e}", base.name));
                for entry in &s.script {
                    let Some(j) = entry.when.as_ref().and_then(|w| w.same_as) else { continue };
                    let named = &s.script[j as usize];
                    let original = base.script.iter().find(|e| {
                        e.at_us == entry.at_us
                            && e.input == entry.input
                            && e.when.as_ref().is_some_and(|w| w.same_as.is_some())
                    });
                    let original = original.expect("a same_as entry comes from the base script");
                    let was = &base.script[original.when.as_ref().unwrap().same_as.unwrap() as usize];
                    let role = |e: &caucus_sim::ScriptEntry| e.when.as_ref().and_then(|w| w.role.clone());
                    assert_eq!(
                        (named.at_us, &named.input, role(named)),
                        (was.at_us, &was.input, role(was)),
                        "{} seed {seed}",
                        base.name
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 0, "some built-in scenario uses same_as");
}
