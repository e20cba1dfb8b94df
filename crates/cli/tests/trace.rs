//! A run's digest and trace are written record by record: a run at the step limit (two million
//! steps) must not be held as one JSON string, and the bytes must be those of the whole-`Value`
//! code they replace, so that every digest recorded so far stays valid.

use caucus_protocols::balance::Balance;
use caucus_protocols::bully::Bully;
use caucus_protocols::commit::Commit;
use caucus_protocols::heartbeat::Heartbeat;
use caucus_protocols::lock::Lock;
use caucus_protocols::paxos::Paxos;
use caucus_protocols::raft::Raft;
use caucus_protocols::ring::Ring;
use caucus_protocols::zab::Zab;
use caucus_protocols::{build, builtin, builtin_scenarios, TraceExport};
use caucus_sim::run::sha1_hex;
use caucus_sim::sim::What;
use caucus_sim::trace::Outcome;
use caucus_sim::{DropReason, DynRun, Input, Micros, MsgId, NodeId, Protocol, Run, Scenario, SEC};
use serde::Serialize;
use serde_json::{json, Value};
use std::io::{self, Write};

/// Keeps what is written and the largest single write.
#[derive(Default)]
struct Recorder {
    bytes: Vec<u8>,
    largest_write: usize,
}

impl Write for Recorder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.largest_write = self.largest_write.max(buf.len());
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn long_heartbeat() -> Run<Heartbeat> {
    let mut run = Run::<Heartbeat>::new(builtin("heartbeat").unwrap()).unwrap();
    run.run_until(100 * SEC).unwrap();
    run
}

#[test]
fn the_digest_is_hashed_record_by_record() {
    let run = long_heartbeat();
    let mut body = Recorder::default();
    run.write_digested(&mut body).unwrap();
    assert!(body.bytes.len() > 5_000_000, "a long run: {} bytes", body.bytes.len());
    // Never one buffer of the whole body: each write is a piece of one record.
    assert!(body.largest_write < 4_096, "largest write {} bytes", body.largest_write);
    assert_eq!(sha1_hex(&body.bytes), run.digest());

    let mut trace = Recorder::default();
    run.write_trace_json(&mut trace).unwrap();
    assert!(trace.largest_write < 4_096, "largest write {} bytes", trace.largest_write);
    assert_eq!(trace.bytes, run.trace_json().into_bytes());
}

/// The code `Run::trace_json` had before it was streamed: the whole trace as one `Value`.
fn whole_value_trace<P: Protocol>(run: &Run<P>) -> String {
    #[derive(Serialize)]
    struct StepOut<'a, P: Protocol> {
        step: usize,
        time_us: Micros,
        what: &'a What<P>,
        sent: (MsgId, MsgId),
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        notes: &'a [(NodeId, String)],
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        dropped: &'a [(MsgId, DropReason)],
        // Durable writes that took time (storage latency, issue 15): absent on free storage.
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        writes: &'a [caucus_sim::Write],
    }
    #[derive(Serialize)]
    struct MsgOut<'a, M> {
        id: MsgId,
        source: NodeId,
        target: NodeId,
        sent_us: Micros,
        sent_step: u64,
        deliver_us: Micros,
        outcome: Outcome,
        label: String,
        payload: &'a M,
    }
    let trace = run.trace();
    let steps: Vec<StepOut<P>> = (0..trace.steps.len())
        .map(|i| {
            let s = &trace.steps[i];
            let r = trace.sent_by(i);
            StepOut {
                step: i,
                time_us: s.time,
                what: &s.what,
                sent: (r.start, r.end),
                notes: s.extra.as_ref().map_or(&[][..], |e| &e.notes),
                dropped: s.extra.as_ref().map_or(&[][..], |e| &e.dropped),
                writes: s.extra.as_ref().map_or(&[][..], |e| &e.writes),
            }
        })
        .collect();
    let messages: Vec<MsgOut<P::Msg>> = trace
        .msgs
        .iter()
        .map(|m| MsgOut {
            id: m.id,
            source: m.source,
            target: m.target,
            sent_us: m.sent_at,
            sent_step: m.sent_step,
            deliver_us: m.deliver_at,
            outcome: m.outcome,
            label: P::msg_label(&m.msg),
            payload: &m.msg,
        })
        .collect();
    let body = json!({ "steps": steps, "messages": messages });
    let digest = sha1_hex(body.to_string().as_bytes());
    let inputs: Vec<_> = run.inputs().iter().map(|(s, i)| json!({ "step": s, "input": i })).collect();
    json!({
        "format": "caucus-trace",
        "version": 1,
        "scenario": run.scenario(),
        "inputs": inputs,
        "steps": body["steps"],
        "messages": body["messages"],
        "violations": run.violations(),
        "digest": digest,
    })
    .to_string()
}

fn same_as_whole_value<P: Protocol>(scenario: &Scenario) {
    let mut run = Run::<P>::new(scenario.clone()).unwrap();
    let _ = run.run_until(scenario.until_us.min(3 * SEC));
    // An input applied by hand, so that `inputs` is not empty.
    let _ = run.apply(Input::Crash { node: 0 });
    let _ = run.run_until(scenario.until_us.min(4 * SEC));
    let old = whole_value_trace(&run);
    assert_eq!(run.trace_json(), old, "{}", scenario.name);
    let digest: Value = serde_json::from_str::<Value>(&old).unwrap()["digest"].clone();
    assert_eq!(run.digest(), digest.as_str().unwrap(), "{}", scenario.name);
    let dynamic = build(scenario).unwrap();
    assert_eq!(dynamic.digest(), Run::<P>::new(scenario.clone()).unwrap().digest());
}

#[test]
fn digests_and_traces_are_those_of_the_whole_value() {
    for scenario in builtin_scenarios() {
        match scenario.protocol.name.as_str() {
            n if n == Heartbeat::NAME => same_as_whole_value::<Heartbeat>(&scenario),
            n if n == Raft::NAME => same_as_whole_value::<Raft>(&scenario),
            n if n == Zab::NAME => same_as_whole_value::<Zab>(&scenario),
            n if n == Paxos::NAME => same_as_whole_value::<Paxos>(&scenario),
            n if n == Bully::NAME => same_as_whole_value::<Bully>(&scenario),
            n if n == Ring::NAME => same_as_whole_value::<Ring>(&scenario),
            n if n == Commit::NAME => same_as_whole_value::<Commit>(&scenario),
            n if n == Lock::NAME => same_as_whole_value::<Lock>(&scenario),
            n if n == Balance::NAME => same_as_whole_value::<Balance>(&scenario),
            other => panic!("no type for protocol {other}"),
        }
    }
}
