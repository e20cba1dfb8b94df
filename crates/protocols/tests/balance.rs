//! The load-balancing family: its strategies, health checks, gray failures and retry storms.

use caucus_protocols::balance::{self, Strategy, Summary};
use caucus_protocols::builtin;

fn summary(name: &str, seed: u64, strategy: Strategy) -> Summary {
    balance::summarize(&builtin(name).unwrap(), seed, strategy).unwrap()
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
                    "{name} seed {seed} {:?}: p50 {} p99 {} maxq {} rej {} failed {} amp {} late {} served {:?} {:?}",
                    s,
                    x.p50_us / 1000,
                    x.p99_us / 1000,
                    x.max_queue,
                    x.rejected,
                    x.failed,
                    x.amplification_percent,
                    x.late,
                    x.served,
                    x.violation
                );
            }
        }
    }
}
