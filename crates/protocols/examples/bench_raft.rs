//! The native side of `scripts/bench.sh`: the same Raft workloads the WebAssembly build runs
//! (`caucus_protocols::bench`), best of `--repeats` runs of `--events` steps, printed as
//! `native <mode>: <events per second>`.
//!
//!   cargo run --profile bench -p caucus-protocols --example bench_raft -- [EVENTS] [REPEATS]

use caucus_protocols::bench::{Mode, Workload};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let events: u32 = args.next().map_or(300_000, |a| a.parse().expect("EVENTS: a whole number"));
    let repeats: u32 = args.next().map_or(5, |a| a.parse().expect("REPEATS: a whole number"));
    for (name, mode) in [("untraced", Mode::Untraced), ("traced", Mode::Traced)] {
        let mut best = f64::MAX;
        let mut reached = 0;
        for _ in 0..repeats {
            let mut work = Workload::raft(mode);
            let t = Instant::now();
            reached = work.run(events);
            best = best.min(t.elapsed().as_secs_f64());
        }
        println!(
            "native {name}: {:.0} events/s ({events} events, best of {repeats}, simulated time {reached} µs)",
            events as f64 / best
        );
    }
}
