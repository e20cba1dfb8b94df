//! # caucus-sim
//!
//! A deterministic simulator of nodes spread over datacenters, for sans-IO protocols.
//!
//! One seed plus the list of inputs reproduces a run exactly, natively and in WebAssembly: time is
//! integer microseconds, events are ordered by `(time, sequence number)`, every node draws from its
//! own ChaCha8 stream derived from the seed, and nothing iterates a hash map or reads a clock. The
//! network has per-link latency, jitter and loss between datacenters, FIFO links by default; nodes
//! may have storage latency (a handler's messages wait for its durable writes), a processing time
//! per event and clock drift, as hardware has them; and
//! faults as inputs: crashes, restarts, pauses, clock skew and drift, partitions (one-way too),
//! link changes, and dropping, duplicating or delivering a chosen message.
//!
//! - [`sim::Sim`]: the state and its one mutation point, [`sim::Sim::apply`].
//! - [`run::Run`]: a timeline over a `Sim` with a trace and time travel; [`run::DynRun`] is its
//!   protocol-independent face.
//! - [`protocol::Protocol`]: what a protocol implements; properties live beside it.
//! - [`scenario::Scenario`]: the versioned JSON description of a run.
//! - [`swarm`]: many seeds with random faults, safety then liveness.

#[cfg(feature = "explore")]
pub mod explore;
pub mod limits;
pub mod protocol;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod swarm;
pub mod time;
pub mod topology;
pub mod trace;

pub use protocol::{Ctx, Failure, Property, PropertyKind, Protocol, Role};
pub use run::{DynRun, Moment, MomentKind, Run, Violation};
pub use scenario::{Scenario, ScenarioError, SCENARIO_VERSION};
pub use sim::{
    Countdown, DropReason, Endpoint, Input, MsgId, Record, ScriptEntry, Sim, SimError, Status, View, When, Write,
};
pub use time::{decimal, format_micros, parse_duration, Micros, MS, SEC};
pub use topology::{parse_delay, DcId, Delay, Link, NodeId, Topology, TopologySpec, STORAGE};
