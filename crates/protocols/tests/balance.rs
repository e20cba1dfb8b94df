//! The load-balancing family: its strategies, health checks, gray failures and retry storms.

mod support;

use caucus_protocols::balance::{self, Balance, Layout, Strategy, Summary};
use caucus_protocols::{build, builtin};
use caucus_sim::{DynRun, Input, Run, SEC};
use serde_json::json;
use support::{assert_no_finding, params_error, scenario};

fn summary(name: &str, seed: u64, strategy: Strategy) -> Summary {
    balance::summarize(&builtin(name).unwrap(), seed, strategy).unwrap()
}

fn total(v: &[u64]) -> u64 {
    v.iter().sum()
}

#[test]
fn round_robin_gives_every_backend_its_share_and_answers_everything() {
    for seed in 1..=8 {
        let s = summary("balance", seed, Strategy::RoundRobin);
        assert_eq!(s.violation, None, "seed {seed}");
        assert_eq!(s.failed, 0, "seed {seed}");
        assert_eq!(s.amplification_percent, 100, "seed {seed}: no retries without faults");
        let all = total(&s.served);
        assert!(all > 400, "seed {seed}: {all} served in 15 s at 36 requests a second");
        for (i, &n) in s.served.iter().enumerate() {
            // Three balancers each rotate over six backends: each gets a sixth, to a request or two.
            assert!(n.abs_diff(all / 6) <= 4, "seed {seed}: backend {i} served {n} of {all}");
        }
    }
}

#[test]
fn nearest_keeps_requests_in_their_region_and_halves_the_median() {
    for seed in 1..=5 {
        let rr = summary("balance-nearest", seed, Strategy::RoundRobin);
        let near = summary("balance-nearest", seed, Strategy::Nearest);
        assert!(near.p50_us * 2 < rr.p50_us, "seed {seed}: nearest p50 {} vs round robin {}", near.p50_us, rr.p50_us);
        assert!(near.p99_us < rr.p99_us, "seed {seed}");
        assert_eq!(near.violation, None, "seed {seed}");
    }
}

#[test]
fn every_balancer_marks_a_crashed_backend_down_within_its_detection_window() {
    let s = scenario("balance-backend-crash");
    let topology = s.topology.build().unwrap();
    let window = balance::detection_window(&balance::Params::default(), &topology);
    for seed in 1..=10 {
        let mut s = s.clone();
        s.seed = seed;
        let mut run = Run::<Balance>::new(s.clone()).unwrap();
        run.run_until(s.until_us).unwrap();
        let downs: Vec<_> = run.moments().iter().filter(|m| m.label.contains("marks n6 down")).collect();
        assert_eq!(downs.len(), 3, "seed {seed}: each of the three balancers, once");
        for m in downs {
            assert!(m.time > 3 * SEC && m.time <= 3 * SEC + window, "seed {seed}: {} at {}", m.label, m.time);
        }
        let ups = run.moments().iter().filter(|m| m.label.contains("marks n6 up again")).count();
        assert_eq!(ups, 3, "seed {seed}");
        assert!(run.violations().is_empty(), "seed {seed}: {:?}", run.violations());
    }
}

#[test]
fn without_health_checks_a_crashed_backend_keeps_getting_requests_and_is_caught() {
    for seed in 1..=10 {
        let s = summary("balance-no-health-checks", seed, Strategy::RoundRobin);
        assert_eq!(s.violation.as_deref(), Some("No request to a dead backend"), "seed {seed}");
        assert!(s.failed > 0, "seed {seed}: requests sent to n6 fail after their retry");
    }
    // With health checks the same crash costs only what was in flight.
    let crash = summary("balance-backend-crash", 1, Strategy::RoundRobin);
    let none = summary("balance-no-health-checks", 1, Strategy::RoundRobin);
    assert!(crash.failed < none.failed, "{} vs {}", crash.failed, none.failed);
}

#[test]
fn least_connections_sends_a_gray_failure_far_less_than_round_robin() {
    let n3 = 1; // backends are n2 n3 n6 n7 n10 n11
    for seed in 1..=5 {
        let rr = summary("balance-gray-failure", seed, Strategy::RoundRobin);
        let lc = summary("balance-gray-failure", seed, Strategy::LeastConnections);
        assert!(
            lc.sent[n3] * 2 < rr.sent[n3],
            "seed {seed}: n3 got {} under LC, {} under RR",
            lc.sent[n3],
            rr.sent[n3]
        );
        assert!(rr.max_queue >= 30 && rr.rejected > 0, "seed {seed}: round robin fills n3's queue");
        assert!(lc.max_queue < 10, "seed {seed}: {}", lc.max_queue);
        assert!(lc.p99_us < rr.p99_us, "seed {seed}");
    }
}

#[test]
fn stale_load_reports_herd_and_two_random_choices_do_not() {
    for seed in 1..=5 {
        let herd = summary("balance-stale-load", seed, Strategy::LeastLoaded);
        let two = summary("balance-stale-load", seed, Strategy::PowerOfTwo);
        assert!(herd.max_queue >= 3 * two.max_queue.max(1), "seed {seed}: {} vs {}", herd.max_queue, two.max_queue);
        assert!(herd.p99_us > 2 * two.p99_us, "seed {seed}: {} vs {}", herd.p99_us, two.p99_us);
        assert_eq!(two.violation, None, "seed {seed}");
        // The herd leaves some backends idle while it floods others.
        let (least, most) = (herd.served.iter().min().unwrap(), herd.served.iter().max().unwrap());
        assert!(most > &(4 * least + 20), "seed {seed}: {:?}", herd.served);
    }
}

#[test]
fn retries_amplify_the_load_on_a_slow_backend_and_waste_work() {
    for seed in 1..=5 {
        let s = summary("balance-retry-storm", seed, Strategy::RoundRobin);
        assert_eq!(s.violation.as_deref(), Some("Bounded queues"), "seed {seed}");
        assert!(s.amplification_percent > 105, "seed {seed}: {}%", s.amplification_percent);
        assert!(s.late > 0, "seed {seed}: answers nobody waited for");
        let lc = summary("balance-retry-storm", seed, Strategy::LeastConnections);
        assert_eq!(lc.violation, None, "seed {seed}: least connections stops feeding n3");
    }
}

#[test]
fn safe_strategies_stay_safe_under_random_faults() {
    for name in ["balance", "balance-nearest", "balance-power-of-two", "balance-gray-failure-least-connections"] {
        for (profile, seeds) in
            [("crashes", 0..15), ("partitions", 100..115), ("pauses", 200..215), ("chaos", 300..315)]
        {
            assert_no_finding(&scenario(name), profile, seeds);
        }
    }
}

#[test]
fn random_crashes_without_health_checks_are_found() {
    let report = caucus_protocols::swarm(
        &scenario("balance-no-health-checks"),
        &caucus_sim::swarm::FaultProfile::named("crashes").unwrap(),
        0..40,
    )
    .unwrap();
    let f = report.finding.expect("a crash of a backend without health checks is found");
    assert_eq!(f.violation.property, "No request to a dead backend");
}

#[test]
fn bad_parameters_name_their_field() {
    let e = params_error("balance", json!({"rate_per_s": 0}));
    assert!(e.contains("rate_per_s"), "{e}");
    let e = params_error("balance", json!({"strategy": "fastest"}));
    assert!(e.contains("unknown variant `fastest`"), "{e}");
    let e = params_error("balance", json!({"workers": 0}));
    assert!(e.contains("workers"), "{e}");
    let e = params_error("balance", json!({"health_interval_us": 1000}));
    assert!(e.contains("health_interval_us"), "{e}");
    let e = params_error("balance", json!({"queue_bound": 0}));
    assert!(e.contains("queue_bound"), "{e}");
    let mut s = scenario("balance");
    s.topology = caucus_sim::TopologySpec::preset("three-regions", 2);
    let err = build(&s).err().expect("two nodes a datacenter are too few");
    assert!(err.to_string().contains("topology"), "{err}");
    assert!(err.to_string().contains("needs a client, a balancer and a backend"), "{err}");
}

#[test]
fn a_slow_factor_out_of_range_is_refused_by_the_backend_not_the_page() {
    let mut s = scenario("balance");
    s.script = vec![caucus_protocols::at(1.0, Input::Request { node: 3, request: json!({"slow": {"factor": 1000}}) })];
    let mut run = Run::<Balance>::new(s.clone()).unwrap();
    run.run_until(2 * SEC).unwrap();
    assert!(!support::noted(&run, 3, "ignores slow factor 1000").is_empty());
    assert!(matches!(run.sim().state(3), Some(Balance::Backend(b)) if b.slow == 1));
}

#[test]
fn layout_puts_a_client_and_a_balancer_in_every_region() {
    let t = caucus_sim::TopologySpec::preset("three-regions", 4).build().unwrap();
    let l = Layout::of(&t).unwrap();
    assert_eq!(l.clients, vec![0, 4, 8]);
    assert_eq!(l.balancers, vec![1, 5, 9]);
    assert_eq!(l.backends, vec![2, 3, 6, 7, 10, 11]);
}

#[test]
fn the_summary_is_deterministic_and_counts_every_request() {
    let a = summary("balance-retry-storm", 7, Strategy::Random);
    let b = summary("balance-retry-storm", 7, Strategy::Random);
    assert_eq!(a, b);
    assert!(a.answered + a.failed <= a.requests);
    assert!(a.requests - a.answered - a.failed < 40, "only the last seconds' requests are still waiting");
}

#[test]
#[ignore]
fn print_summaries() {
    for name in
        ["balance", "balance-gray-failure", "balance-stale-load", "balance-retry-storm", "balance-backend-crash"]
    {
        for seed in 1..=3 {
            for s in Strategy::ALL {
                let x = summary(name, seed, s);
                println!(
                    "{name} seed {seed} {:?}: p50 {} p99 {} maxq {} rej {} failed {} amp {} late {} served {:?} sent {:?} {:?}",
                    s,
                    x.p50_us / 1000,
                    x.p99_us / 1000,
                    x.max_queue,
                    x.rejected,
                    x.failed,
                    x.amplification_percent,
                    x.late,
                    x.served,
                    x.sent,
                    x.violation
                );
            }
        }
    }
}
