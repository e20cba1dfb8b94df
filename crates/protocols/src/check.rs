//! The exhaustive checker ([`caucus_sim::explore`]) for any protocol whose state can be checked,
//! with a report that does not name the protocol's types: what `caucus check` prints and, later,
//! what the browser's worker posts.

use crate::{bully, commit, paxos, raft, two_phase};
use caucus_sim::explore::{Bounds, Explorer, Network, Progress};
use caucus_sim::{NodeId, PropertyKind, Protocol, Scenario, ScenarioError, SCENARIO_VERSION};
use serde::Serialize;
use std::hash::Hash;

/// The protocols the checker can explore: their states, messages and timers hash and compare,
/// and their decisions depend on timers, not on reading the clock.
pub const CHECKABLE: &[&str] = &[two_phase::NAME, commit::NAME, bully::NAME, paxos::NAME, raft::NAME];

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
    /// What the checker changed about the protocol's properties for these bounds, and why.
    pub notes: Vec<String>,
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

/// `scenario` on `nodes` nodes in one datacenter: the small configuration a check explores
/// (distances do not matter to it, every interleaving is tried). Its script is dropped: the checker
/// does not play it.
pub fn on_nodes(scenario: &Scenario, nodes: u16) -> Scenario {
    Scenario {
        topology: caucus_sim::TopologySpec::placed("one-datacenter", &[nodes]),
        script: Vec::new(),
        ..scenario.clone()
    }
}

/// The network a protocol is checked on unless told otherwise: a set of messages for the TwoPhase
/// model (as the spec has it) and for commit, whose retries resend the very same messages (as a
/// multiset every retry would be a new state, and the space would never end); a multiset (each
/// message delivered at most once) for the rest.
pub fn default_network(protocol: &str) -> Network {
    if protocol == two_phase::NAME || protocol == commit::NAME {
        Network::Duplicating
    } else {
        Network::Unordered
    }
}

/// Checks `scenario` within `bounds`, calling `progress` between slices of work. The scenario's
/// script is not played: the checker tries every fault the bounds allow.
pub fn check(scenario: &Scenario, bounds: Bounds, progress: impl FnMut(Progress)) -> Result<Report, ScenarioError> {
    match scenario.protocol.name.as_str() {
        two_phase::NAME => run::<two_phase::TwoPhase>(scenario, bounds, progress, Vec::new(), Vec::new()),
        commit::NAME => {
            use caucus_sim::Protocol as _;
            let mut properties = commit::Commit::properties();
            let mut notes = Vec::new();
            if bounds.liveness && bounds.crashes > 0 && !bounds.restarts {
                properties.retain(|p| p.kind != PropertyKind::Liveness);
                properties.push(commit::NON_BLOCKING);
                notes.push(
                    "Termination is not checked: a node that crashes and never restarts never decides. Non-blocking is checked instead (every node that is up can still decide); add --restarts to check Termination."
                        .to_string(),
                );
            }
            run::<commit::Commit>(scenario, bounds, progress, properties, notes)
        }
        bully::NAME => run::<bully::Bully>(scenario, bounds, progress, Vec::new(), Vec::new()),
        raft::NAME => {
            let terms = u64::from(bounds.terms);
            run_limited::<raft::Raft>(scenario, bounds, progress, Vec::new(), Vec::new(), move |s| {
                terms == 0 || s.term <= terms
            })
        }
        paxos::NAME => {
            let rounds = u64::from(bounds.terms);
            run_limited::<paxos::Paxos>(scenario, bounds, progress, Vec::new(), Vec::new(), move |s| {
                rounds == 0 || s.max_round.max(s.ballot.round) <= rounds
            })
        }
        other => Err(ScenarioError::new(
            "protocol.name",
            format!(
                "protocol `{other}` cannot be checked exhaustively yet (checkable: {}); try `caucus swarm` for random faults over many seeds",
                CHECKABLE.join(", ")
            ),
        )),
    }
}

/// Checks `scenario` with `properties` (none: the protocol's own), reporting `notes` on what was
/// changed about them.
fn run<P: Protocol + Hash + Eq>(
    scenario: &Scenario,
    bounds: Bounds,
    progress: impl FnMut(Progress),
    properties: Vec<caucus_sim::Property<P>>,
    notes: Vec<String>,
) -> Result<Report, ScenarioError>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    run_limited(scenario, bounds, progress, properties, notes, |_| true)
}

/// [`run`], expanding only states whose every live node is `within` the protocol's own bound.
fn run_limited<P: Protocol + Hash + Eq>(
    scenario: &Scenario,
    bounds: Bounds,
    mut progress: impl FnMut(Progress),
    properties: Vec<caucus_sim::Property<P>>,
    notes: Vec<String>,
    within: impl Fn(&P) -> bool + 'static,
) -> Result<Report, ScenarioError>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    // The script is not played; its node ids need not fit a smaller topology.
    let scenario = &Scenario { script: Vec::new(), ..scenario.clone() };
    let topology = scenario.validate()?;
    let params = caucus_sim::run::params_of::<P>(scenario, &topology)?;
    let nodes = topology.nodes.len();
    let properties = if properties.is_empty() { P::properties() } else { properties };
    let listed = properties.iter().map(|p| (p.name.to_string(), p.kind)).collect();
    let mut explorer = Explorer::<P>::with_properties(topology, params, scenario.seed, bounds, properties)
        .map_err(|e| ScenarioError::new("bounds", e))?;
    explorer.limit(within);
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
        properties: listed,
        notes,
        found,
    })
}
