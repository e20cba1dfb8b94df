//! Helpers the protocol test files share (`mod support;` in each). Not every file uses every one.
#![allow(dead_code)]

use caucus_protocols::{build, builtin, swarm};
use caucus_sim::swarm::FaultProfile;
use caucus_sim::{Micros, NodeId, Protocol, Run, Scenario};

/// A built-in scenario by name.
pub fn scenario(name: &str) -> Scenario {
    builtin(name).expect("built-in")
}

/// `scenario` run to `until` (traced), which must stay within the simulator's limits.
pub fn run_to<P: Protocol>(scenario: Scenario, until: Micros) -> Run<P> {
    let mut run = Run::<P>::new(scenario).expect("valid scenario");
    run.run_until(until).expect("run stays within limits");
    run
}

/// A built-in scenario run to its end.
pub fn run_whole<P: Protocol>(name: &str) -> Run<P> {
    let s = scenario(name);
    let until = s.until_us;
    run_to(s, until)
}

/// Times at which `node` noted something containing `text`.
pub fn noted<P: Protocol>(run: &Run<P>, node: NodeId, text: &str) -> Vec<Micros> {
    run.trace()
        .steps
        .iter()
        .filter(|s| s.extra.as_ref().is_some_and(|e| e.notes.iter().any(|(n, t)| *n == node && t.contains(text))))
        .map(|s| s.time)
        .collect()
}

/// The built-in scenario `name` with other parameters must be refused: `field: message`.
pub fn params_error(name: &str, params: serde_json::Value) -> String {
    let mut s = scenario(name);
    s.protocol.params = params;
    let err = build(&s).err().expect("refused");
    assert!(err.field.starts_with("protocol.params"), "{err}");
    format!("{}: {}", err.field, err.message)
}

/// A swarm over `seeds` with `profile` finds nothing; a finding fails, labelled `what`, with the
/// scenario that replays it.
pub fn assert_swarm_clean(base: &Scenario, profile: &FaultProfile, seeds: std::ops::Range<u64>, what: &str) {
    let report = swarm(base, profile, seeds.clone()).unwrap();
    if let Some(f) = report.finding {
        panic!(
            "{what}: seed {} broke {} at {} µs: {}\nreplay: {}",
            f.seed,
            f.violation.property,
            f.violation.time,
            f.violation.failure.explanation,
            serde_json::to_string(&f.scenario).unwrap()
        );
    }
    assert_eq!(report.runs, seeds.end - seeds.start, "{what}");
}

/// [`assert_swarm_clean`] with the named fault profile.
pub fn assert_no_finding(base: &Scenario, profile: &str, seeds: std::ops::Range<u64>) {
    assert_swarm_clean(base, &FaultProfile::named(profile).unwrap(), seeds, &format!("profile {profile}"));
}

/// Checks `scenario` within `bounds` to the end and opens the shortest path it found as the
/// timeline a page opens (the checker's link, restored on the timed simulator).
pub fn replayed(scenario: &Scenario, bounds: caucus_sim::explore::Bounds) -> Box<dyn caucus_sim::DynRun> {
    let mut job = caucus_protocols::check::Job::start(scenario, bounds).expect("checkable");
    while !job.run(1024) {}
    let query = job.timeline().expect("a violation was found").expect("it replays");
    caucus_protocols::share::Shared::from_query(&query).unwrap().expect("a run").restore().unwrap()
}
