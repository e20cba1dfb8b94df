//! Golden runs shared by the native suite (`crates/protocols/tests/digest.rs`) and the browser suite
//! (`tests/web.rs`): the same scenario, seed and inputs must give the same trace digest natively and
//! in WebAssembly. If a deliberate change to the simulator changes a digest, update it here (once):
//! both suites read these constants.
#![allow(dead_code)]

use caucus_protocols::share::Shared;
use caucus_protocols::{build, builtin, TraceExport};
use caucus_sim::SEC;

/// `heartbeat`, seed 1, run to 5 s of simulated time.
pub const HEARTBEAT_5S: &str = "2187b434d6092a78bc43848b34b2f9175c6c96e2";
/// `heartbeat-partition`, seed 7, run to 8 s (a scripted partition and heal).
pub const PARTITION_SEED7_8S: &str = "b0cf8dc3dee0f8272a538b3cf677d817e465f233";
/// The link `?v=1&s=heartbeat&seed=3&t=60&i=...` (n2 crashed at step 40), restored, then run to 4 s.
pub const LINK_CRASH_4S: &str = "def1c1f6794872cd7e61615a40ed4d3791d1ab78";

pub fn heartbeat_5s() -> String {
    let mut run = build(&builtin("heartbeat").expect("built in")).expect("valid");
    run.run_until(5 * SEC).expect("runs");
    run.digest()
}

pub fn partition_seed7_8s() -> String {
    let mut scenario = builtin("heartbeat-partition").expect("built in");
    scenario.seed = 7;
    let mut run = build(&scenario).expect("valid");
    run.run_until(8 * SEC).expect("runs");
    run.digest()
}

/// The inputs of [`LINK_CRASH_4S`] as a link's `i=` value: base64url of `[[40,{"crash":{"node":2}}]]`.
pub const CRASH_INPUTS: &str = "W1s0MCx7ImNyYXNoIjp7Im5vZGUiOjJ9fV1d";

pub fn link_crash_4s() -> String {
    let query = format!("?v=1&s=heartbeat&seed=3&t=60&i={CRASH_INPUTS}");
    let shared = Shared::from_query(&query).expect("a valid link").expect("names a run");
    assert_eq!((shared.scenario.seed, shared.step, shared.inputs.len()), (3, 60, 1));
    let mut run = shared.restore().expect("restores");
    assert_eq!(run.cursor(), 60);
    assert_eq!(run.inputs().len(), 1);
    let head = run.head();
    run.seek(head);
    run.run_until(4 * SEC).expect("runs");
    run.digest()
}

/// `raft-leader-crash` (seed 2) run to 12 s: an election, the leader's crash, a new leader, and the
/// old one back as a follower. Built from `raft::scenarios()` and a typed `Run` so that the core
/// pack's browser tests can run it without the election pack's registry.
pub const RAFT_LEADER_CRASH_12S: &str = "7f704ae8c9852347782501670d6dbcc6f817d191";

pub fn raft_scenario(name: &str) -> caucus_sim::Scenario {
    caucus_protocols::raft::scenarios().into_iter().find(|s| s.name == name).expect("a built-in Raft scenario")
}

pub fn raft_leader_crash_12s() -> String {
    let mut run =
        caucus_sim::Run::<caucus_protocols::raft::Raft>::new(raft_scenario("raft-leader-crash")).expect("valid");
    run.run_until(12 * SEC).expect("runs");
    run.digest()
}
