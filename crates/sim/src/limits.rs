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
/// Characters in a scenario's name (it names run files and travels in links).
pub const MAX_NAME_CHARS: usize = 100;
/// Characters in a scenario's description (the longest built-in one has about 900).
pub const MAX_DESCRIPTION_CHARS: usize = 4_000;
/// Characters of a request's JSON (a client's command), in a script or by hand.
pub const MAX_REQUEST_CHARS: usize = 4_096;
/// Inputs applied by hand in one run: a link or a run file carries them all, and opening it
/// replays every one.
pub const MAX_INPUTS: usize = 10_000;
/// Inputs in a scenario's script.
pub const MAX_SCRIPT: usize = 10_000;
/// Clock drift, in parts per million (50% fast or slow).
pub const MAX_DRIFT_PPM: i32 = 500_000;
/// A single pause or clock jump: one hour.
pub const MAX_FAULT_US: u64 = 3_600_000_000;

/// Refuses a rate the in-flight limit cannot carry: a protocol that sends `per_period` messages
/// every `period_us` keeps about `per_period × longest one-way delay / period` of them in flight
/// (the longest delay, latency plus jitter, makes this an upper bound without faults). The error
/// names the field and the shortest period that fits.
pub fn check_rate(field: &str, period_us: u64, per_period: usize, topology: &crate::Topology) -> Result<(), String> {
    // At most 64 x 63 messages times a 10 s delay: far inside a u64 (and no u128 formatting in
    // the bundle).
    let delay = topology.max_one_way_us().max(1);
    let sent = per_period as u64 * delay;
    let in_flight = sent / period_us.max(1);
    if in_flight <= MAX_IN_FLIGHT as u64 {
        return Ok(());
    }
    let shortest = sent.div_ceil(MAX_IN_FLIGHT as u64);
    Err(format!(
        "{field} ({period_us} µs) floods the network: about {in_flight} messages in flight, over the limit of {MAX_IN_FLIGHT}; use at least {shortest} µs"
    ))
}
