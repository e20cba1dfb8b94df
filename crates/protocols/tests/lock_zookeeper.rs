//! ZooKeeper's lock recipe in the lock family: sessions kept alive by pings, ephemeral sequential
//! nodes under /lock, each waiter watching its predecessor only, czxid as a fencing token.
//!
//! Same nine nodes as the single-service Redis scenarios: the ZooKeeper service n0 (us-east-1),
//! the storage n3 (eu-west-1), clients n1 n2 n4 n5 n6 n7 n8.

use caucus_protocols::lock::{summarize, Lock, Msg, Phase, Retry, Server, Storage, Variant, Verdict};
use caucus_sim::swarm::{run_one, swarm, swarm_scenario, FaultProfile};
use caucus_sim::{DynRun, Input, Micros, NodeId, Protocol, Run, Scenario, MS, SEC};
use serde_json::json;

mod support;
use support::*;

const CLIENTS: [NodeId; 7] = [1, 2, 4, 5, 6, 7, 8];

fn run_to(scenario: Scenario, until: Micros) -> Run<Lock> {
    support::run_to(scenario, until)
}

fn run_whole(name: &str) -> Run<Lock> {
    support::run_whole(name)
}

fn service(run: &Run<Lock>) -> &Server {
    match run.sim().state(0) {
        Some(Lock::Server(s)) => s,
        other => panic!("n0 is not the service: {other:?}"),
    }
}

fn storage(run: &Run<Lock>) -> &Storage {
    match run.sim().state(3) {
        Some(Lock::Storage(s)) => s,
        other => panic!("n3 is not the storage: {other:?}"),
    }
}

fn client(run: &Run<Lock>, node: NodeId) -> &caucus_protocols::lock::Client {
    match run.sim().state(node) {
        Some(Lock::Client(c)) => c,
        other => panic!("n{node} is not a client: {other:?}"),
    }
}

#[test]
fn the_lock_passes_in_sequence_order_and_each_release_wakes_one_waiter() {
    let run = run_whole("lock-zookeeper");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    assert!(run.check_liveness().is_empty(), "{:?}", run.check_liveness());
    let st = storage(&run);
    assert!(st.accepted >= 10, "only {} writes", st.accepted);
    assert_eq!((st.rejected, st.stale_accepted), (0, 0));
    // Writes carry czxids, which grow with the sequence numbers: the lock passed in order.
    let tokens: Vec<u64> = st.log.iter().map(|e| e.token.0[0].1).collect();
    assert!(tokens.windows(2).all(|w| w[0] < w[1]), "{tokens:?}");
    // Contention is real (clients waited in the queue), yet no watch woke more than one client
    // and no request was wasted: every wake-up was the woken client's turn.
    let s = service(&run);
    assert_eq!(s.zk.max_fires, 1);
    assert!(s.wakeups >= 5 && s.wakeups <= s.releases, "{} wake-ups for {} releases", s.wakeups, s.releases);
    assert_eq!(s.zk.sessions_expired, 0);
    assert_eq!(s.zk.sessions.len(), CLIENTS.len(), "one live session per client");
    for c in CLIENTS {
        let c = client(&run, c);
        assert_eq!(c.stats.failed_attempts, 0, "{:?}", c.stats);
        assert!(c.stats.acquisitions >= 1);
    }
    let labels: Vec<String> = run.trace().msgs.iter().map(|m| Lock::msg_label(&m.msg)).collect();
    for label in
        ["connect", "ping", "create -e -s /lock/lock-", "ls /lock", "exists lock-", "delete lock-", "deleted lock-"]
    {
        assert!(labels.iter().any(|l| l.starts_with(label)), "no message labelled {label}");
    }
    // No SET, no DEL, no refusal: nobody polls.
    assert!(!run.trace().msgs.iter().any(|m| matches!(m.msg, Msg::Set { .. } | Msg::Refused { .. })));
}

/// At every step each waiting client watches the node just before its own, and that node
/// exists or its deletion is on its way: the watch chain.
#[test]
fn every_waiter_watches_its_immediate_predecessor() {
    let s = scenario("lock-zookeeper");
    let until = s.until_us;
    let mut run = Run::<Lock>::new(s).unwrap();
    let mut longest_chain = 0;
    while run.sim().now() < until && run.apply(Input::Step).unwrap() {
        let Some(Lock::Server(srv)) = run.sim().state(0) else { continue };
        let nodes: Vec<u64> = srv.zk.nodes.iter().map(|n| n.seq).collect();
        let mut chain = 0;
        for c in CLIENTS {
            let Some(Lock::Client(c)) = run.sim().state(c) else { continue };
            if c.phase != Phase::Waiting {
                continue;
            }
            let (mine, _) = c.zk.node.expect("a waiter has a node");
            let watched = c.zk.watching.expect("a waiter watches");
            assert!(watched < mine);
            assert!(!nodes.iter().any(|&q| watched < q && q < mine), "a node between {watched} and {mine}: {nodes:?}");
            chain += 1;
        }
        longest_chain = longest_chain.max(chain);
    }
    assert!(longest_chain >= 2, "at most {longest_chain} waiter(s) at once");
}

#[test]
fn a_pause_past_the_session_timeout_lets_a_stale_holder_write() {
    let run = run_whole("lock-zookeeper-gc-pause");
    let v = &run.violations()[0];
    assert_eq!(v.property, "No write from a stale lock");
    assert_eq!(v.failure.nodes[0], 7, "{}", v.failure.explanation);
    assert_eq!(noted(&run, 0, "n7's session s7 expired").len(), 1);
    let stale: Vec<_> = storage(&run).log.iter().filter(|e| e.verdict == Verdict::AcceptedStale).collect();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].client, 7);
    // The service expired n7's session while it was paused, and n7 heard of it only afterwards.
    let learned = noted(&run, 7, "learns its session s7 expired");
    assert_eq!(learned.len(), 1);
    assert!(learned[0] > noted(&run, 7, "wakes from its pause")[0]);
    // The same run without the pause is clean.
    let mut calm = scenario("lock-zookeeper-gc-pause");
    calm.script.clear();
    assert!(run_to(calm, 10 * SEC).violations().is_empty());
}

#[test]
fn czxid_fencing_rejects_the_stale_write() {
    let run = run_whole("lock-zookeeper-fenced-gc-pause");
    assert!(run.violations().is_empty(), "{:?}", run.violations());
    let rejected: Vec<_> = storage(&run).log.iter().filter(|e| e.verdict == Verdict::Rejected).collect();
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].client, 7);
    assert_eq!(client(&run, 7).stats.writes_rejected, 1);
    // Both believed they held the lock at once: n7 paused in its critical section, n8 in its own.
    let mut overlap = Run::<Lock>::new(scenario("lock-zookeeper-fenced-gc-pause")).unwrap();
    overlap.run_until(5700 * MS).unwrap();
    assert_eq!(client(&overlap, 7).phase, Phase::Working);
    assert!(client(&overlap, 8).phase.holds(), "{:?}", client(&overlap, 8).phase);
}

#[test]
fn bad_session_parameters_are_refused_naming_the_field() {
    let e = params_error("lock-zookeeper", json!({"variant": "zookeeper", "ping_interval_us": 1_000_000}));
    assert!(e.contains("ping_interval_us") && e.contains("session_timeout_us"), "{e}");
    let e = params_error("lock-zookeeper", json!({"variant": "zookeeper", "session_timeout_us": 0}));
    assert!(e.contains("session_timeout_us must be above zero"), "{e}");
}

#[test]
fn the_comparison_counts_a_herd_for_notifications_and_none_for_zookeeper() {
    let notify = summarize(&scenario("lock-notify"), 1, 30 * SEC).unwrap();
    let zk = summarize(&scenario("lock-zookeeper"), 1, 30 * SEC).unwrap();
    let fixed = summarize(&scenario("lock-lease"), 1, 30 * SEC).unwrap();
    assert_eq!((zk.variant, notify.retry), (Variant::Zookeeper, Retry::Notify));
    assert!(notify.wakeups_per_release_tenths().unwrap() > 10, "{notify:?}");
    assert!(zk.wakeups_per_release_tenths().unwrap() <= 10, "{zk:?}");
    assert_eq!(fixed.wakeups_per_release_tenths(), None, "a fixed sleep polls");
    // The herd's losers send wasted requests; ZooKeeper's queue wastes none.
    assert_eq!(zk.failed_attempts, 0);
    assert!(notify.failed_attempts > 10, "{notify:?}");
    let broken = summarize(&scenario("lock-zookeeper-gc-pause"), 1, 30 * SEC).unwrap();
    let fenced = summarize(&scenario("lock-zookeeper-fenced-gc-pause"), 1, 30 * SEC).unwrap();
    assert_eq!((broken.stale_accepted, fenced.stale_accepted, fenced.writes_rejected), (1, 0, 1));
    assert!(fenced.zxid_fencing && !broken.zxid_fencing);
}

fn stop_the_world() -> FaultProfile {
    FaultProfile {
        pauses_per_min: 90,
        skews_per_min: 30,
        max_pause_us: 3 * SEC,
        max_skew_us: 2 * SEC,
        ..FaultProfile::named("pauses").unwrap()
    }
}

#[test]
fn fenced_zookeeper_survives_random_faults() {
    let fenced = scenario("lock-zookeeper-fenced-gc-pause");
    for profile in ["default", "crashes", "partitions", "chaos"] {
        assert_no_finding(&fenced, profile, 0..30);
        // And whatever crashed, was cut off or expired, no deletion woke two waiters.
        let p = FaultProfile::named(profile).unwrap();
        for seed in 0..30 {
            let s = swarm_scenario(&fenced, &p, seed).unwrap();
            let until = s.until_us;
            let run = run_to(s, until);
            if let Some(Lock::Server(srv)) = run.sim().state(0) {
                assert!(srv.zk.max_fires <= 1, "{profile} seed {seed}: {} watches fired at once", srv.zk.max_fires);
            }
        }
    }
    let report = swarm::<Lock>(&fenced, &stop_the_world(), 0..30).unwrap();
    assert!(report.finding.is_none(), "{:?}", report.finding.map(|f| (f.seed, f.violation)));
}

#[test]
fn unfenced_zookeeper_is_caught_by_random_pauses() {
    let mut base = scenario("lock-zookeeper-gc-pause");
    base.script.clear();
    let report = swarm::<Lock>(&base, &stop_the_world(), 0..40).unwrap();
    let f = report.finding.expect("40 seeds of pauses and nothing caught");
    assert_eq!(f.violation.property, "No write from a stale lock", "{:?}", f.violation);
    let (again, _) = run_one::<Lock>(&f.scenario).unwrap();
    assert_eq!(again.as_ref(), Some(&f.violation));
    assert_eq!(swarm_scenario(&base, &stop_the_world(), f.seed).unwrap(), f.scenario);
}

#[test]
fn the_zookeeper_state_is_part_of_a_states_hash() {
    use std::hash::{Hash, Hasher};
    let hash = |s: &Lock| {
        let mut h = std::hash::DefaultHasher::new();
        s.hash(&mut h);
        h.finish()
    };
    let run = run_to(scenario("lock-zookeeper"), 3 * SEC);
    let server = run.sim().state(0).cloned().unwrap();
    let Lock::Server(s) = server.clone() else { panic!() };
    let mut timed = s.clone();
    timed.zk.sessions.iter_mut().for_each(|x| x.last_ping += 1);
    timed.zk.sessions_expired += 1;
    assert_eq!(hash(&server), hash(&Lock::Server(timed)), "times and counts are left out");
    let mut other = s.clone();
    other.zk.next_seq += 1;
    assert_ne!(hash(&server), hash(&Lock::Server(other)));
    let mut other = s;
    other.zk.watches.clear();
    other.zk.max_fires += 1;
    assert_ne!(hash(&server), hash(&Lock::Server(other)));
}
