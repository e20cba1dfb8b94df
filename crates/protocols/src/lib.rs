//! # caucus-protocols
//!
//! The protocols Caucus runs, each a sans-IO state machine with its properties beside it, and the
//! registry that turns a scenario into a running simulation whatever its protocol.

pub mod balance;
pub mod bench;
pub mod bully;
#[cfg(feature = "explore")]
pub mod check;
pub mod commit;
pub mod heartbeat;
pub mod lock;
pub mod paxos;
pub mod raft;
pub mod ring;
pub mod share;
pub mod two_phase;
pub mod zab;

use caucus_sim::limits::MAX_FAULT_US;
use caucus_sim::swarm::{FaultProfile, SwarmReport};
#[allow(unused_imports)] // `Run` is used only when a protocol is compiled in.
use caucus_sim::{
    DynRun, Endpoint, Input, Micros, Run, Scenario, ScenarioError, ScriptEntry, TopologySpec, SCENARIO_VERSION, SEC,
};

/// A registered protocol: its name in scenarios, one line about it, and the browser bundle
/// ("pack") that can run it.
pub struct ProtocolInfo {
    pub name: &'static str,
    pub description: &'static str,
    pub pack: Pack,
}

/// The browser app ships as one bundle per family of protocols, each under the size budget: the
/// core pack (at the site's root) and one per family in a sub-folder. Natively every protocol is
/// compiled in. Scenarios are plain data, so every pack lists every scenario and opens another
/// pack's page for a protocol it does not carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pack {
    Core,
    Election,
    Paxos,
    Ring,
    Lock,
    Commit,
    Balance,
    Zab,
}

impl Pack {
    /// The pack's folder under the site root (`""` for the core pack).
    pub fn dir(self) -> &'static str {
        match self {
            Pack::Core => "",
            Pack::Election => "election/",
            Pack::Paxos => "paxos/",
            Pack::Ring => "ring/",
            Pack::Lock => "lock/",
            Pack::Commit => "commit/",
            Pack::Balance => "balance/",
            Pack::Zab => "zab/",
        }
    }
    /// Whether this build can run the pack's protocols.
    pub fn compiled_in(self) -> bool {
        match self {
            Pack::Core => cfg!(feature = "heartbeat"),
            Pack::Election => cfg!(feature = "raft") || cfg!(feature = "zab"),
            Pack::Paxos => cfg!(feature = "paxos"),
            Pack::Ring => cfg!(feature = "ring"),
            Pack::Lock => cfg!(feature = "lock"),
            Pack::Commit => cfg!(feature = "commit"),
            Pack::Balance => cfg!(feature = "balance"),
            Pack::Zab => cfg!(feature = "zab"),
        }
    }
}

/// Protocols by name.
pub const PROTOCOLS: &[ProtocolInfo] = &[
    ProtocolInfo {
        name: heartbeat::NAME,
        description: "heartbeat failure detector (the core's demo protocol)",
        pack: Pack::Core,
    },
    ProtocolInfo {
        name: raft::NAME,
        description: "Raft leader election and log replication, with optional pre-vote",
        pack: Pack::Election,
    },
    ProtocolInfo {
        name: zab::NAME,
        description: "Zab (ZooKeeper Atomic Broadcast): fast leader election, discovery, sync by DIFF, TRUNC or SNAP, broadcast",
        pack: Pack::Zab,
    },
    ProtocolInfo {
        name: paxos::NAME,
        description: "single-decree Paxos: proposers, acceptors, learners; duelling proposers",
        pack: Pack::Paxos,
    },
    ProtocolInfo {
        name: bully::NAME,
        description: "the Bully election (highest id wins), for contrast",
        pack: Pack::Paxos,
    },
    ProtocolInfo {
        name: "ring",
        description: "consistent hashing on a SHA-1 ring: virtual nodes, replicas across datacenters, quorums",
        pack: Pack::Ring,
    },
    ProtocolInfo {
        name: "lock",
        description: "Locks: Redis-style SETNX, leases, fencing tokens and Redlock, and ZooKeeper's recipe (sessions, sequential nodes, watches)",
        pack: Pack::Lock,
    },
    ProtocolInfo {
        name: "commit",
        description: "distributed transactions: two-phase commit, three-phase commit and sagas",
        pack: Pack::Commit,
    },
    ProtocolInfo {
        name: balance::NAME,
        description:
            "load balancing across datacenters: round robin, least connections, power of two, stale load, nearest",
        pack: Pack::Balance,
    },
];

/// The pack that runs a protocol, if it is registered.
pub fn pack_of(protocol: &str) -> Option<Pack> {
    PROTOCOLS.iter().find(|p| p.name == protocol).map(|p| p.pack)
}

/// Calls `$m!(args; "feature" => Type, ...)`: any extra arguments, then every protocol type with
/// the feature that compiles it into a browser pack. The one list that `build`, `swarm` and
/// `TraceExport` share.
macro_rules! registered {
    ($m:ident $(, $arg:tt)*) => {
        $m!(
            $($arg),*;
            "heartbeat" => heartbeat::Heartbeat,
            "raft" => raft::Raft,
            "zab" => zab::Zab,
            "paxos" => paxos::Paxos,
            "paxos" => bully::Bully,
            "ring" => ring::Ring,
            "commit" => commit::Commit,
            "lock" => lock::Lock,
            "balance" => balance::Balance
        )
    };
}

/// Exports of a recorded run that need its protocol's types. They are reached by downcasting so
/// that the browser, which never calls them, does not carry them.
pub trait TraceExport {
    /// The trace as JSON (format `caucus-trace` version 1, see `caucus_sim::trace`).
    fn trace_json(&self) -> String;
    /// Writes [`TraceExport::trace_json`] record by record, never holding it whole in memory.
    fn write_trace_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()>;
    /// SHA-1 of the recorded steps and messages: equal digests mean identical runs.
    fn digest(&self) -> String;
}

/// Returns `$run.$method $args` (`$args` a parenthesized argument list) from the typed run behind a `dyn DynRun` (used with `registered!`).
macro_rules! on_typed_run {
    ($run:ident, $method:ident, $args:tt; $($feature:literal => $p:ty),*) => {{
        $(#[cfg(feature = $feature)]
        if let Some(run) = $run.as_any().downcast_ref::<Run<$p>>() {
            return run.$method $args;
        })*
        unreachable!("every protocol built by `build` is listed here")
    }};
}

impl TraceExport for dyn DynRun + '_ {
    fn trace_json(&self) -> String {
        registered!(on_typed_run, self, trace_json, ())
    }
    #[allow(unused_variables)] // `w` is unused only when no protocol is compiled in.
    fn write_trace_json(&self, w: &mut dyn std::io::Write) -> std::io::Result<()> {
        registered!(on_typed_run, self, write_trace_json, (w))
    }
    fn digest(&self) -> String {
        registered!(on_typed_run, self, digest, ())
    }
}

/// Builds a run for any registered protocol.
pub fn build(scenario: &Scenario) -> Result<Box<dyn DynRun>, ScenarioError> {
    let name = scenario.protocol.name.as_str();
    macro_rules! each {
        (; $($feature:literal => $p:ty),*) => {
            $(#[cfg(feature = $feature)]
            if name == <$p as caucus_sim::Protocol>::NAME {
                return Ok(Box::new(Run::<$p>::new(scenario.clone())?));
            })*
        };
    }
    registered!(each);
    Err(unknown_protocol(name))
}

/// Swarm search for any registered protocol.
pub fn swarm(
    base: &Scenario,
    profile: &FaultProfile,
    seeds: std::ops::Range<u64>,
) -> Result<SwarmReport, ScenarioError> {
    let name = base.protocol.name.as_str();
    let _ = (&profile, &seeds); // Unused only when no protocol is compiled in.
    macro_rules! each {
        (; $($feature:literal => $p:ty),*) => {
            $(#[cfg(feature = $feature)]
            if name == <$p as caucus_sim::Protocol>::NAME {
                return caucus_sim::swarm::swarm::<$p>(base, profile, seeds.clone());
            })*
        };
    }
    registered!(each);
    Err(unknown_protocol(name))
}

/// Runs one swarm scenario (`caucus_sim::swarm::swarm_scenario`) of any compiled-in protocol:
/// its first violation and the steps taken. What the page's worker runs seed by seed.
pub fn run_one(scenario: &Scenario) -> Result<(Option<caucus_sim::Violation>, u64), ScenarioError> {
    let name = scenario.protocol.name.as_str();
    macro_rules! each {
        (; $($feature:literal => $p:ty),*) => {
            $(#[cfg(feature = $feature)]
            if name == <$p as caucus_sim::Protocol>::NAME {
                return caucus_sim::swarm::run_one::<$p>(scenario);
            })*
        };
    }
    registered!(each);
    Err(unknown_protocol(name))
}

fn unknown_protocol(name: &str) -> ScenarioError {
    if let Some(pack) = pack_of(name).filter(|p| !p.compiled_in()) {
        return ScenarioError::new(
            "protocol.name",
            format!("protocol `{name}` runs in the app's {:?} pack (page `{}`), not in this one", pack, pack.dir()),
        );
    }
    let known: Vec<_> = PROTOCOLS.iter().map(|p| p.name).collect();
    ScenarioError::new("protocol.name", format!("unknown protocol `{name}` (known: {})", known.join(", ")))
}

/// The up nodes with `role`; for `leader` (a leader role) the one of the highest `rank` (term,
/// epoch) first: during a partition an old leader may still believe it leads, and "the leader"
/// is the one the majority follows. Raft's and Zab's `Protocol::with_role`.
#[allow(dead_code)] // Unused only when neither is compiled in.
pub(crate) fn ranked_with_role<P: caucus_sim::Protocol>(
    view: &caucus_sim::View<'_, P>,
    role: &str,
    arg: &str,
    leader: &str,
    rank: impl Fn(&P) -> u64,
) -> Vec<caucus_sim::NodeId> {
    let mut nodes: Vec<_> = view.up().filter(|(_, p)| p.has_role(role, arg)).map(|(i, p)| (i, rank(p))).collect();
    if role == leader {
        nodes.sort_by_key(|&(i, r)| (std::cmp::Reverse(r), i));
    }
    nodes.into_iter().map(|(i, _)| i).collect()
}

/// Checks durations from a protocol's parameters, `(field, µs)`: each must be above zero and at
/// most an hour ([`MAX_FAULT_US`]). The message names the field.
pub(crate) fn check_durations(fields: &[(&str, Micros)]) -> Result<(), String> {
    if let Some((field, _)) = fields.iter().find(|(_, us)| *us == 0) {
        return Err(format!("{field} must be above zero"));
    }
    check_at_most_an_hour(fields)
}

/// Checks durations that may be zero: each at most an hour ([`MAX_FAULT_US`]).
pub(crate) fn check_at_most_an_hour(fields: &[(&str, Micros)]) -> Result<(), String> {
    match fields.iter().find(|(_, us)| *us > MAX_FAULT_US) {
        Some((field, _)) => Err(format!("{field} is at most {MAX_FAULT_US} µs (one hour)")),
        None => Ok(()),
    }
}

/// A built-in scenario with seed 1 and ten simulated seconds; protocols' modules use it too.
pub fn scenario(
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

/// A script entry at `seconds` of simulated time.
pub fn at(seconds: f64, input: Input) -> ScriptEntry {
    ScriptEntry::new((seconds * 1e6) as u64, input)
}

/// A script entry at `seconds` aimed at the first node with `role` (waiting for one, at most
/// ten seconds); the input's own node is replaced, write 0.
pub fn at_role(seconds: f64, role: &str, input: Input) -> ScriptEntry {
    let when = caucus_sim::When { role: Some(role.into()), ..Default::default() };
    ScriptEntry { when: Some(when), ..at(seconds, input) }
}

/// A script entry aimed at the first node that takes `role` after `seconds`, at the step it
/// takes it.
pub fn at_new_role(seconds: f64, role: &str, input: Input) -> ScriptEntry {
    let when = caucus_sim::When { role: Some(role.into()), newly: true, ..Default::default() };
    ScriptEntry { when: Some(when), ..at(seconds, input) }
}

/// A script entry at `seconds` aimed at the node entry `entry` of the same script went to.
pub fn at_same(seconds: f64, entry: u32, input: Input) -> ScriptEntry {
    let when = caucus_sim::When { same_as: Some(entry), ..Default::default() };
    ScriptEntry { when: Some(when), ..at(seconds, input) }
}

/// The built-in scenarios, the default first.
///
/// Only the scenarios of the packs compiled in (natively: all): a browser pack lists other
/// families as a whole and sends the user to their page, which keeps their scenario data out of
/// its bundle. [`pack_of_scenario`] still routes a link naming any of them.
pub fn builtin_scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    if cfg!(feature = "heartbeat") {
        all.extend(heartbeat_scenarios());
    }
    if cfg!(feature = "raft") {
        all.extend(raft::scenarios());
    }
    if cfg!(feature = "zab") {
        all.extend(zab::scenarios());
    }
    if cfg!(feature = "paxos") {
        all.extend(paxos::scenarios());
        all.extend(bully::scenarios());
    }
    if cfg!(feature = "ring") {
        all.extend(ring::scenarios());
    }
    if cfg!(feature = "commit") {
        all.extend(commit::scenarios());
    }
    if cfg!(feature = "lock") {
        all.extend(lock::scenarios());
    }
    if cfg!(feature = "balance") {
        all.extend(balance::scenarios());
    }
    all
}

/// The pack of a built-in scenario, from its name: every built-in scenario's name starts with its
/// protocol's name (`raft-leader-crash`), which a test checks.
pub fn pack_of_scenario(name: &str) -> Option<Pack> {
    pack_of(name.split('-').next().unwrap_or(name))
}

fn heartbeat_scenarios() -> Vec<Scenario> {
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
