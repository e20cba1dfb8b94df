//! The exhaustive checker ([`caucus_sim::explore`]) for any protocol whose state can be checked,
//! with a report that does not name the protocol's types: what `caucus check` prints and, later,
//! what the browser's worker posts.

use crate::{commit, two_phase};
use caucus_sim::explore::{Bounds, Explorer, Network, Progress};
use caucus_sim::{NodeId, PropertyKind, Protocol, Scenario, ScenarioError, SCENARIO_VERSION};
use serde::Serialize;
use std::hash::Hash;

/// The protocols the checker can explore: their states, messages and timers hash and compare,
/// and their decisions depend on timers, not on reading the clock.
pub const CHECKABLE: &[&str] = &[two_phase::NAME, commit::NAME];

/// A check's outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub scenario: String,
    pub nodes: usize,
    /// The bounds in words.
    pub bounds: String,
    pub progress: Progress,
    /// Every state within the bounds was seen.
    pub complete: bool,
    /// The properties checked: safety in every state, liveness as "can still reach a good state".
    pub properties: Vec<(String, PropertyKind)>,
    pub found: Option<Finding>,
}

/// A property that fails, with a shortest path to a state that shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub property: String,
    pub kind: PropertyKind,
    pub explanation: String,
    pub nodes: Vec<NodeId>,
    pub path: Vec<PathStep>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PathStep {
    /// The event in words (`n1 receives Prepare from n0`).
    pub event: String,
    /// What the handlers noted, `n1: votes yes`.
    pub notes: Vec<String>,
}

/// The scenario of Gray and Lamport's TwoPhase with `rms` resource managers.
pub fn two_phase_scenario(rms: u16) -> Scenario {
    let mut s = crate::scenario(
        two_phase::NAME,
        "Gray and Lamport's TwoPhase specification: a transaction manager (n0) and resource managers, with the spec's set of messages.",
        two_phase::NAME,
        caucus_sim::TopologySpec::placed("one-datacenter", &[rms.saturating_add(1)]),
        vec![],
    );
    s.version = SCENARIO_VERSION;
    s
}

/// The network a protocol is checked on unless told otherwise: the TwoPhase spec's set of
/// messages for its model, a multiset (each message delivered at most once) for the rest.
pub fn default_network(protocol: &str) -> Network {
    if protocol == two_phase::NAME {
        Network::Duplicating
    } else {
        Network::Unordered
    }
}

/// Checks `scenario` within `bounds`, calling `progress` between slices of work. The scenario's
/// script is not played: the checker tries every fault the bounds allow.
pub fn check(scenario: &Scenario, bounds: Bounds, progress: impl FnMut(Progress)) -> Result<Report, ScenarioError> {
    match scenario.protocol.name.as_str() {
        two_phase::NAME => run::<two_phase::TwoPhase>(scenario, bounds, progress),
        commit::NAME => run::<commit::Commit>(scenario, bounds, progress),
        other => Err(ScenarioError::new(
            "protocol.name",
            format!(
                "protocol `{other}` cannot be checked exhaustively yet (checkable: {}); try `caucus swarm` for random faults over many seeds",
                CHECKABLE.join(", ")
            ),
        )),
    }
}

fn run<P: Protocol + Hash + Eq>(
    scenario: &Scenario,
    bounds: Bounds,
    mut progress: impl FnMut(Progress),
) -> Result<Report, ScenarioError>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    let topology = scenario.validate()?;
    let params = caucus_sim::run::params_of::<P>(scenario, &topology)?;
    let nodes = topology.nodes.len();
    let mut explorer =
        Explorer::<P>::new(topology, params, scenario.seed, bounds).map_err(|e| ScenarioError::new("bounds", e))?;
    while !explorer.run(8192) {
        progress(explorer.progress());
    }
    progress(explorer.progress());
    let found = explorer.found().map(|f| Finding {
        property: f.property.to_string(),
        kind: f.kind,
        explanation: f.failure.explanation,
        nodes: f.failure.nodes,
        path: f
            .path
            .into_iter()
            .map(|s| PathStep {
                event: s.text,
                notes: s
                    .notes
                    .into_iter()
                    .map(|(n, t)| format!("{}: {t}", explorer.topology().nodes[n as usize].name))
                    .collect(),
            })
            .collect(),
    });
    Ok(Report {
        scenario: scenario.name.clone(),
        nodes,
        bounds: explorer.bounds().describe(),
        progress: explorer.progress(),
        complete: explorer.complete(),
        properties: P::properties().iter().map(|p| (p.name.to_string(), p.kind)).collect(),
        found,
    })
}
