//! The recorded trace of a run: one entry per step and one per message, enough to draw the event
//! log and the space-time diagram (each message knows the step that sent it and the step that
//! delivered or dropped it: that is the causal link).
//!
//! Trace JSON (`caucus run --trace FILE`, the UI's export), format `caucus-trace` version 1:
//!
//! ```text
//! { "format": "caucus-trace", "version": 1,
//!   "scenario": { ...the scenario... },
//!   "inputs":   [ { "step": 12, "input": { "crash": { "node": 3 } } } ],   // by hand
//!   "steps":    [ { "step": 0, "time_us": 0, "what": { "kind": "start", "node": 0 },
//!                   "sent": [0, 2], "notes": [[0, "text"]], "dropped": [[5, "partition"]],
//!                   "writes": [ { "node": 0, "what": "term and vote", "start": 10, "end": 2010 } ] } ],
//!   "messages": [ { "id": 0, "source": 0, "target": 1, "sent_us": 0, "sent_step": 0,
//!                   "deliver_us": 40210, "outcome": { "delivered": { "step": 7, "time": 40210 } },
//!                   "label": "Heartbeat", "payload": { ... } } ],
//!   "violations": [ { "property": "...", "step": 42, ... } ],
//!   "digest": "sha1 of the steps and messages" }
//! ```
//! `sent: [a, b]` means message ids `a..b` were sent by that step.

use crate::protocol::Protocol;
use crate::sim::{DropReason, InFlight, MsgId, Observer, Record, What, Write};
use crate::time::Micros;
use crate::topology::NodeId;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct TraceStep<P: Protocol> {
    pub time: Micros,
    pub what: What<P>,
    /// Messages sent by this step are the ids from the previous step's `sent_end` to this one.
    pub sent_end: MsgId,
    /// Notes and drops; most steps have none, so they cost one pointer.
    pub extra: Option<Box<Extra>>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct Extra {
    pub notes: Vec<(NodeId, String)>,
    pub dropped: Vec<(MsgId, DropReason)>,
    /// Durable writes that took time (storage that is not free).
    pub writes: Vec<Write>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    InFlight,
    Delivered { step: u64, time: Micros },
    Dropped { step: u64, time: Micros, reason: DropReason },
}

impl Outcome {
    pub fn step(&self) -> Option<u64> {
        match *self {
            Outcome::InFlight => None,
            Outcome::Delivered { step, .. } | Outcome::Dropped { step, .. } => Some(step),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct TraceMsg<M> {
    pub id: MsgId,
    pub source: NodeId,
    pub target: NodeId,
    pub sent_at: Micros,
    pub sent_step: u64,
    pub deliver_at: Micros,
    pub outcome: Outcome,
    pub msg: M,
}

/// Steps and messages of a run; an [`Observer`] the simulator feeds as it goes.
#[derive(Clone, Debug)]
pub struct Trace<P: Protocol> {
    pub steps: Vec<TraceStep<P>>,
    pub msgs: Vec<TraceMsg<P::Msg>>,
    /// While set, the trace ignores what it is told: replays of recorded history use a muted
    /// trace rather than `()`, so the browser bundle holds one copy of the simulator loop.
    pub muted: bool,
}

impl<P: Protocol> Default for Trace<P> {
    fn default() -> Self {
        Trace { steps: Vec::new(), msgs: Vec::new(), muted: false }
    }
}

impl<P: Protocol> Trace<P> {
    /// Ids of the messages sent by step `i`.
    pub fn sent_by(&self, i: usize) -> std::ops::Range<MsgId> {
        let start = if i == 0 { 0 } else { self.steps[i - 1].sent_end };
        start..self.steps[i].sent_end
    }

    /// Forgets everything from step `step` on (a new branch of history starts there).
    pub fn truncate(&mut self, step: u64) {
        self.steps.truncate(step as usize);
        let next_msg = self.steps.last().map_or(0, |s| s.sent_end);
        self.msgs.truncate(next_msg as usize);
        for m in self.msgs.iter_mut() {
            if m.outcome.step().is_some_and(|s| s >= step) {
                m.outcome = Outcome::InFlight;
            }
        }
    }

    /// The first step at or after simulated time `t` (steps are in time order).
    pub fn step_at_time(&self, t: Micros) -> usize {
        self.steps.partition_point(|s| s.time < t)
    }

    /// Bytes held, roughly: for the memory benchmark.
    pub fn approx_bytes(&self) -> usize {
        let extras: usize = self
            .steps
            .iter()
            .filter_map(|s| s.extra.as_ref())
            .map(|e| {
                std::mem::size_of::<Extra>()
                    + e.notes.iter().map(|n| n.1.capacity() + 32).sum::<usize>()
                    + e.dropped.capacity() * 16
            })
            .sum();
        self.steps.capacity() * std::mem::size_of::<TraceStep<P>>()
            + self.msgs.capacity() * std::mem::size_of::<TraceMsg<P::Msg>>()
            + extras
    }
}

impl<P: Protocol> Observer<P> for Trace<P> {
    fn sent(&mut self, m: &InFlight<P::Msg>) {
        if self.muted {
            return;
        }
        debug_assert_eq!(m.id as usize, self.msgs.len(), "message ids are dense");
        self.msgs.push(TraceMsg {
            id: m.id,
            source: m.source,
            target: m.target,
            sent_at: m.sent_at,
            sent_step: m.sent_step,
            deliver_at: m.deliver_at,
            outcome: Outcome::InFlight,
            msg: m.msg.clone(),
        });
    }

    fn finished(&mut self, msg: MsgId, step: u64, time: Micros, dropped: Option<DropReason>) {
        if self.muted {
            return;
        }
        let m = &mut self.msgs[msg as usize];
        m.outcome = match dropped {
            None => Outcome::Delivered { step, time },
            Some(reason) => Outcome::Dropped { step, time, reason },
        };
    }

    fn stepped(&mut self, r: &Record<P>) {
        if self.muted {
            return;
        }
        let extra = if r.notes.is_empty() && r.dropped.is_empty() && r.writes.is_empty() {
            None
        } else {
            Some(Box::new(Extra { notes: r.notes.clone(), dropped: r.dropped.clone(), writes: r.writes.clone() }))
        };
        self.steps.push(TraceStep { time: r.time, what: r.what.clone(), sent_end: r.sent.1, extra });
    }
}
