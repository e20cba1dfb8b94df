//! Gray and Lamport's TwoPhase specification as a Caucus protocol: the conformance model of the
//! exhaustive checker.
//!
//! "Consensus on Transaction Commit" (Gray and Lamport, 2004) specifies two-phase commit in TLA+
//! with resource managers (RMs), each working, prepared, committed or aborted, a transaction
//! manager (TM) that is in `init`, `committed` or `aborted` and remembers which RMs said they
//! were prepared, and a *set* of messages that only grows: `Prepared(rm)`, `Commit`, `Abort`.
//! TLC and Stateright count its reachable states: 288 for 3 RMs, 8,832 for 5, 296,448 for 7,
//! 1,745,408 for 8. This module writes the same specification as a protocol whose nodes are the
//! TM (node 0) and the RMs (nodes 1 to N): its spontaneous actions (an RM prepares or chooses to
//! abort, the TM commits or aborts) are timers, which the checker may fire at any moment, and
//! the spec's message set is the checker's duplicating network ([`Network::Duplicating`]). The
//! timers a node has pending follow from its state, so the states the checker counts are the
//! specification's states, one for one.
//!
//! With symmetry reduction (`caucus check two-phase --symmetry`) the RMs are interchangeable
//! and states that differ only by their names count once: 80, 314, 920 and 1,461 states for 3,
//! 5, 7 and 8 RMs, the number of the spec's states up to renaming the RMs (an RM is its state,
//! its bit in `tmPrepared` and its Prepared message; the rest is the TM's).
//!
//! It is a specification, not an implementation: the real two-phase commit, with logs, timeouts
//! and recovery, is [`crate::commit`].
//!
//! [`Network::Duplicating`]: caucus_sim::explore::Network

use caucus_sim::protocol::Symmetry;
use caucus_sim::{Ctx, Failure, NodeId, Property, PropertyKind, Protocol, Topology, View, MS};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "two-phase";

/// A resource manager's state (`rmState` in the spec).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rm {
    Working,
    Prepared,
    Committed,
    Aborted,
}

/// The transaction manager's state (`tmState`).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tm {
    Init,
    Committed,
    Aborted,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TwoPhase {
    /// Node 0. `prepared` is `tmPrepared`, one bit per RM (bit `i` for node `i + 1`).
    Tm {
        state: Tm,
        prepared: u64,
    },
    Rm {
        state: Rm,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Msg {
    Prepared,
    Commit,
    Abort,
}

/// The spec's spontaneous actions.
#[derive(Clone, Debug, Hash, PartialEq, Eq, Serialize)]
pub enum Timer {
    /// `RMPrepare`.
    Prepare,
    /// `RMChooseToAbort`.
    ChooseAbort,
    /// `TMCommit`, pending once every RM is prepared.
    Decide,
    /// `TMAbort`, pending while the TM is in `init`.
    GiveUp,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {}

const TM: NodeId = 0;

impl TwoPhase {
    fn all_prepared(ctx: &Ctx<'_, Self>) -> u64 {
        let rms = ctx.node_count() as u32 - 1;
        if rms == 64 {
            u64::MAX
        } else {
            (1u64 << rms) - 1
        }
    }
}

impl Protocol for TwoPhase {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = ();
    type Durable = ();
    const NAME: &'static str = NAME;

    fn validate(_: &Params, topology: &Topology) -> Result<(), String> {
        match topology.nodes.len() {
            2..=65 => Ok(()),
            n => Err(format!("two-phase needs a TM and 1 to 64 RMs: 2 to 65 nodes, not {n}")),
        }
    }

    fn init(ctx: &mut Ctx<'_, Self>, _: Option<()>) -> Self {
        if ctx.id == TM {
            ctx.set_timer(Timer::GiveUp, 1000 * MS);
            TwoPhase::Tm { state: Tm::Init, prepared: 0 }
        } else {
            let (prepare, abort) = (ctx.random_between(10 * MS, 100 * MS), ctx.random_between(500 * MS, 5000 * MS));
            ctx.set_timer(Timer::Prepare, prepare);
            ctx.set_timer(Timer::ChooseAbort, abort);
            TwoPhase::Rm { state: Rm::Working }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match (self, msg) {
            // TMRcvPrepared.
            (TwoPhase::Tm { state: Tm::Init, prepared }, Msg::Prepared) if from != TM => {
                *prepared |= 1 << (from - 1);
                if *prepared == TwoPhase::all_prepared(ctx) {
                    ctx.set_timer(Timer::Decide, 0);
                }
            }
            // RMRcvCommitMsg, RMRcvAbortMsg.
            (TwoPhase::Rm { state }, Msg::Commit) => *state = Rm::Committed,
            (TwoPhase::Rm { state }, Msg::Abort) => {
                *state = Rm::Aborted;
                ctx.cancel_timer(Timer::Prepare);
                ctx.cancel_timer(Timer::ChooseAbort);
            }
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match (self, timer) {
            (TwoPhase::Rm { state: state @ Rm::Working }, Timer::Prepare) => {
                *state = Rm::Prepared;
                ctx.cancel_timer(Timer::ChooseAbort);
                ctx.send(TM, Msg::Prepared);
            }
            (TwoPhase::Rm { state: state @ Rm::Working }, Timer::ChooseAbort) => {
                *state = Rm::Aborted;
                ctx.cancel_timer(Timer::Prepare);
            }
            (TwoPhase::Tm { state: state @ Tm::Init, .. }, Timer::Decide) => {
                *state = Tm::Committed;
                ctx.cancel_timer(Timer::GiveUp);
                ctx.moment("the TM commits");
                ctx.broadcast(Msg::Commit);
            }
            (TwoPhase::Tm { state: state @ Tm::Init, .. }, Timer::GiveUp) => {
                *state = Tm::Aborted;
                ctx.cancel_timer(Timer::Decide);
                ctx.moment("the TM aborts");
                ctx.broadcast(Msg::Abort);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, _: &mut Ctx<'_, Self>, _: ()) {}

    fn durable(&self) {}

    fn role(&self) -> String {
        let word = match self {
            TwoPhase::Tm { state: Tm::Init, .. } => "TM",
            TwoPhase::Tm { state: Tm::Committed, .. } | TwoPhase::Rm { state: Rm::Committed } => "committed",
            TwoPhase::Tm { state: Tm::Aborted, .. } | TwoPhase::Rm { state: Rm::Aborted } => "aborted",
            TwoPhase::Rm { state: Rm::Working } => "working",
            TwoPhase::Rm { state: Rm::Prepared } => "prepared",
        };
        word.into()
    }

    fn properties() -> Vec<Property<Self>> {
        vec![Property {
            name: "Consistent",
            kind: PropertyKind::Safety,
            description: "No resource manager commits while another aborts (TCConsistent).",
            check: consistent,
        }]
    }

    /// The RMs are interchangeable (the spec's `RM` is a symmetry set); the TM is not. Only the
    /// TM's `prepared` names RMs: renaming moves its bits, and they are what the TM holds about
    /// an RM (without them the checker could not tell apart two prepared RMs of which the TM
    /// counted one, and would keep both renamings). Nothing here draws randomness that matters:
    /// the timers' delays are not part of the state.
    fn symmetry(topology: &Topology, _: &Params) -> Option<Symmetry<Self>> {
        let rms = (1..topology.nodes.len() as NodeId).collect();
        Some(Symmetry { state: renamed, about, ..Symmetry::new(vec![rms]) })
    }
}

/// `state` with RM `i` renamed `to[i]`: the TM's bit for node `i` (bit `i - 1`) moves to
/// `to[i]`'s.
fn renamed(state: &TwoPhase, to: &[NodeId]) -> TwoPhase {
    match *state {
        TwoPhase::Tm { state, prepared } => {
            let mut moved = 0u64;
            for (i, &to) in to.iter().enumerate().skip(1) {
                if prepared & (1 << (i - 1)) != 0 {
                    moved |= 1 << (to - 1);
                }
            }
            TwoPhase::Tm { state, prepared: moved }
        }
        TwoPhase::Rm { state } => TwoPhase::Rm { state },
    }
}

/// Whether the TM counts `node` prepared (1) or not (0).
fn about(state: &TwoPhase, node: NodeId) -> u64 {
    match *state {
        TwoPhase::Tm { prepared, .. } if node != TM => (prepared >> (node - 1)) & 1,
        _ => 0,
    }
}

fn consistent(view: &View<'_, TwoPhase>) -> Result<(), Failure> {
    let with =
        |want: Rm| view.up().find(|(_, s)| matches!(s, TwoPhase::Rm { state } if *state == want)).map(|(i, _)| i);
    match (with(Rm::Committed), with(Rm::Aborted)) {
        (Some(c), Some(a)) => {
            Err(Failure::new(format!("{} committed while {} aborted", view.name(c), view.name(a))).nodes([c, a]))
        }
        _ => Ok(()),
    }
}

/// The topology of the model: the TM and `rms` resource managers in one datacenter.
pub fn topology(rms: u16) -> Result<Topology, String> {
    caucus_sim::TopologySpec::placed("one-datacenter", &[rms + 1]).build().map_err(|e| e.to_string())
}
