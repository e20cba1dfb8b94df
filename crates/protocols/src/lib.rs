//! # caucus-protocols
//!
//! The protocols Caucus runs, each a sans-IO state machine with its properties beside it, and the
//! registry that turns a scenario into a running simulation whatever its protocol.

pub mod heartbeat;
pub mod share;

use caucus_sim::swarm::{FaultProfile, SwarmReport};
use caucus_sim::{
    DynRun, Endpoint, Input, Run, Scenario, ScenarioError, ScriptEntry, TopologySpec, SCENARIO_VERSION, SEC,
};

/// Protocols by name, with a one-line description.
pub const PROTOCOLS: &[(&str, &str)] = &[(heartbeat::NAME, "heartbeat failure detector (the core's demo protocol)")];

/// Exports of a recorded run that need its protocol's types. They are reached by downcasting so
/// that the browser, which never calls them, does not carry them.
pub trait TraceExport {
    /// The trace as JSON (format `caucus-trace` version 1, see `caucus_sim::trace`).
    fn trace_json(&self) -> String;
    /// SHA-1 of the recorded steps and messages: equal digests mean identical runs.
    fn digest(&self) -> String;
}

impl TraceExport for dyn DynRun + '_ {
    fn trace_json(&self) -> String {
        let any = self.as_any();
        if let Some(run) = any.downcast_ref::<Run<heartbeat::Heartbeat>>() {
            return run.trace_json();
        }
        unreachable!("every protocol built by `build` is listed here")
    }
    fn digest(&self) -> String {
        let any = self.as_any();
        if let Some(run) = any.downcast_ref::<Run<heartbeat::Heartbeat>>() {
            return run.digest();
        }
        unreachable!("every protocol built by `build` is listed here")
    }
}

/// Builds a run for any registered protocol.
pub fn build(scenario: &Scenario) -> Result<Box<dyn DynRun>, ScenarioError> {
    match scenario.protocol.name.as_str() {
        heartbeat::NAME => Ok(Box::new(Run::<heartbeat::Heartbeat>::new(scenario.clone())?)),
        other => Err(unknown_protocol(other)),
    }
}

/// Swarm search for any registered protocol.
pub fn swarm(
    base: &Scenario,
    profile: &FaultProfile,
    seeds: std::ops::Range<u64>,
) -> Result<SwarmReport, ScenarioError> {
    match base.protocol.name.as_str() {
        heartbeat::NAME => caucus_sim::swarm::swarm::<heartbeat::Heartbeat>(base, profile, seeds),
        other => Err(unknown_protocol(other)),
    }
}

fn unknown_protocol(name: &str) -> ScenarioError {
    let known: Vec<_> = PROTOCOLS.iter().map(|p| p.0).collect();
    ScenarioError::new("protocol.name", format!("unknown protocol `{name}` (known: {})", known.join(", ")))
}

fn scenario(
    name: &str,
    description: &str,
    protocol: &str,
    topology: TopologySpec,
    script: Vec<ScriptEntry>,
) -> Scenario {
    Scenario {
        version: SCENARIO_VERSION,
        name: name.into(),
        description: description.into(),
        protocol: caucus_sim::scenario::ProtocolSpec { name: protocol.into(), params: serde_json::Value::Null },
        topology,
        seed: 1,
        until_us: 10 * SEC,
        script,
    }
}

fn at(seconds: f64, input: Input) -> ScriptEntry {
    ScriptEntry { at_us: (seconds * 1e6) as u64, input }
}

/// The built-in scenarios, the default first.
pub fn builtin_scenarios() -> Vec<Scenario> {
    let three = || TopologySpec::preset("three-regions", 2);
    vec![
        scenario(
            "heartbeat",
            "Six nodes in three regions beat every 100 ms and suspect a peer silent for 500 ms.",
            heartbeat::NAME,
            three(),
            vec![],
        ),
        scenario(
            "heartbeat-crash",
            "n3 crashes at 2 s and restarts at 6 s: every other node suspects it, then trusts it again.",
            heartbeat::NAME,
            three(),
            vec![at(2.0, Input::Crash { node: 3 }), at(6.0, Input::Restart { node: 3 })],
        ),
        scenario(
            "heartbeat-gc-pause",
            "n1 stops for a 1.5 s GC pause at 2 s: it is suspected although it never failed (strong accuracy is violated).",
            heartbeat::NAME,
            three(),
            vec![at(2.0, Input::Pause { node: 1, duration_us: 1_500_000 })],
        ),
        scenario(
            "heartbeat-partition",
            "eu-west-1 is cut off from 2 s to 6 s: both sides suspect each other, rightly, and recover after the heal.",
            heartbeat::NAME,
            three(),
            vec![
                at(2.0, Input::Partition { a: vec![Endpoint::Dc(1)], b: vec![Endpoint::Dc(0), Endpoint::Dc(2)], one_way: false }),
                at(6.0, Input::Heal),
            ],
        ),
        scenario(
            "heartbeat-clock-jump",
            "n0's clock jumps 2 s ahead at 3 s: its timeouts expire at once and it suspects everyone.",
            heartbeat::NAME,
            three(),
            vec![at(3.0, Input::Skew { node: 0, by_us: 2_000_000 })],
        ),
    ]
}

pub fn builtin(name: &str) -> Option<Scenario> {
    builtin_scenarios().into_iter().find(|s| s.name == name)
}
