//! Named limits. Exceeding one is a clear error, never an out-of-memory tab.

/// Nodes in one simulation (the hash ring wants 64).
pub const MAX_NODES: usize = 64;
/// Datacenters in one topology.
pub const MAX_DATACENTERS: usize = 16;
/// Messages in flight at once; a protocol that floods the network stops the run with an error.
pub const MAX_IN_FLIGHT: usize = 100_000;
/// Steps kept in a recorded trace (and thus reachable by time travel).
pub const MAX_TRACE_STEPS: u64 = 2_000_000;
/// One-way latency plus jitter of any link: 10 s.
pub const MAX_LATENCY_US: u64 = 10_000_000;
/// Inputs in a scenario's script.
pub const MAX_SCRIPT: usize = 10_000;
/// Clock drift, in parts per million (50% fast or slow).
pub const MAX_DRIFT_PPM: i32 = 500_000;
/// A single pause or clock jump: one hour.
pub const MAX_FAULT_US: u64 = 3_600_000_000;
