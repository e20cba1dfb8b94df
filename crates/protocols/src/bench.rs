//! The workloads `scripts/bench.sh` runs natively and in WebAssembly, so that both sides run the
//! same code on the same input and only the caller's clock differs (this crate reads none).
//!
//! Raft on the built-in `raft` scenario (5 nodes over three regions, an election and three
//! commands, then heartbeats), the bench binary's row (f): `events` steps either on the bare
//! simulator (tracing off: what the swarm and the experiments run) or through [`Run::apply`]
//! (full tracing, checkpoints and safety checks after every step: what the page runs).

use crate::raft::Raft;
use caucus_sim::{Input, Run, Scenario, Sim};

/// The two ways a workload runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `Sim::apply(Input::Step)`: no trace.
    Untraced,
    /// `Run::apply(Input::Step)`: the trace, checkpoints and safety checks.
    Traced,
}

impl Mode {
    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "untraced" => Some(Mode::Untraced),
            "traced" => Some(Mode::Traced),
            _ => None,
        }
    }
}

/// The scenario every run of the workload starts from.
pub fn raft_scenario() -> Scenario {
    crate::builtin("raft").expect("the built-in raft scenario")
}

/// A workload ready to run: built outside the timed part.
pub enum Workload {
    Untraced(Box<Sim<Raft>>),
    Traced(Box<Run<Raft>>),
}

impl Workload {
    pub fn raft(mode: Mode) -> Workload {
        let scenario = raft_scenario();
        match mode {
            Mode::Untraced => {
                let topology = scenario.topology.build().expect("valid topology");
                let params = caucus_sim::run::params_of::<Raft>(&scenario, &topology).expect("valid parameters");
                Workload::Untraced(Box::new(Sim::new(topology, params, scenario.seed, scenario.script.clone())))
            }
            Mode::Traced => Workload::Traced(Box::new(Run::new(scenario).expect("valid scenario"))),
        }
    }

    /// Applies `events` steps (the timed part). Returns the simulated time reached, so that the
    /// work cannot be optimized away and both sides can check they ran the same run.
    pub fn run(&mut self, events: u32) -> u64 {
        match self {
            Workload::Untraced(sim) => {
                for _ in 0..events {
                    sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
                }
                sim.now()
            }
            Workload::Traced(run) => {
                for _ in 0..events {
                    assert_eq!(run.apply(Input::Step), Ok(true), "a calm Raft run never ends");
                }
                run.sim().now()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_modes_reach_the_same_time() {
        let a = Workload::raft(Mode::Untraced).run(20_000);
        let b = Workload::raft(Mode::Traced).run(20_000);
        assert_eq!(a, b);
        assert!(a > 0);
    }
}
