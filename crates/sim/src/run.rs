//! A run with a timeline: the current state, the recorded history, and time travel.
//!
//! The history of a run is its scenario (protocol, topology, seed, script) plus the inputs a person
//! applied, each tagged with the step at which it was applied; every other step is `Step`. Going
//! back restores the nearest checkpoint at or before the target (one every
//! [`CHECKPOINT_EVERY`] steps) and replays forward, which is deterministic. Stepping forward
//! from the past follows the recorded history; applying a different input there starts a new
//! branch and forgets the old future.

use crate::limits::MAX_TRACE_STEPS;
use crate::protocol::{Failure, PropertyKind, Protocol};
use crate::scenario::{from_json_value, Scenario, ScenarioError};
use crate::sim::{DropReason, Input, MsgId, Sim, SimError, Status, What};
use crate::time::{format_micros, Micros};
use crate::topology::{DcId, Link, NodeId, Topology};
use crate::trace::{Outcome, Trace};
use serde::Serialize;
use sha1::{Digest, Sha1};
use std::io::{self, Write};

/// Steps between checkpoints. Replaying this many steps takes well under a millisecond.
pub const CHECKPOINT_EVERY: u64 = 512;

/// A property that failed: when, and why.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    pub property: String,
    pub kind: PropertyKind,
    /// The number of steps applied when it was found: `seek(step)` shows the failing state.
    pub step: u64,
    pub time: Micros,
    #[serde(flatten)]
    pub failure: Failure,
}

/// Where a key moment of a run comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MomentKind {
    /// An input of the scenario's script.
    Script,
    /// An input a person applied.
    ByHand,
    /// The first failure of a safety property.
    Violation,
    /// A turn of the story a protocol marked with [`crate::Ctx::moment`] (a leader elected, a
    /// lock granted, a decision logged).
    Role,
}

/// A key moment of the recorded history: what the timeline's "previous/next moment" jump to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Moment {
    /// `seek(step)` shows the state right after the moment happened (as [`Violation::step`]).
    pub step: u64,
    pub time: Micros,
    pub kind: MomentKind,
    /// One plain sentence for a tooltip: `n2 crashes (scripted)`, `n1 elected leader of term 3`.
    pub label: String,
    pub nodes: Vec<NodeId>,
}

pub struct Run<P: Protocol> {
    scenario: Scenario,
    sim: Sim<P>,
    checkpoints: Vec<Sim<P>>,
    /// Inputs applied by hand, with the step index they were applied at, in order.
    inputs: Vec<(u64, Input)>,
    trace: Trace<P>,
    head: u64,
    /// The first violation of each safety property, in the order found.
    violations: Vec<Violation>,
    /// Key moments of the whole recorded history, by step; kept as steps are recorded (never on
    /// replay) and cut when a branch forgets the future.
    moments: Vec<Moment>,
    halted: Option<String>,
}

impl<P: Protocol> Run<P> {
    /// Builds a run from a scenario whose `protocol.name` is `P::NAME`.
    pub fn new(scenario: Scenario) -> Result<Run<P>, ScenarioError> {
        let topology = scenario.validate()?;
        let params = params_of::<P>(&scenario, &topology)?;
        let sim = Sim::new(topology, params, scenario.seed, scenario.script.clone());
        Ok(Run {
            checkpoints: vec![sim.clone()],
            sim,
            scenario,
            inputs: Vec::new(),
            trace: Trace::default(),
            head: 0,
            violations: Vec::new(),
            moments: Vec::new(),
            halted: None,
        })
    }

    pub fn sim(&self) -> &Sim<P> {
        &self.sim
    }
    pub fn trace(&self) -> &Trace<P> {
        &self.trace
    }
    pub fn cursor(&self) -> u64 {
        self.sim.step_count()
    }
    /// Key moments of the recorded history (`0..=head`), by step.
    pub fn moments(&self) -> &[Moment] {
        &self.moments
    }

    fn recorded_input(&self, step: u64) -> Option<&Input> {
        let i = self.inputs.partition_point(|(s, _)| *s < step);
        self.inputs.get(i).filter(|(s, _)| *s == step).map(|(_, input)| input)
    }

    /// Applies an input at the cursor. Returns false when `Step` found nothing to do.
    pub fn apply(&mut self, input: Input) -> Result<bool, SimError> {
        self.apply_until(input, Micros::MAX)
    }

    /// Applies the next event if it happens no later than `until` (see [`Sim::step_until`]).
    pub fn step_until(&mut self, until: Micros) -> Result<bool, SimError> {
        self.apply_until(Input::Step, until)
    }

    fn apply_until(&mut self, input: Input, limit: Micros) -> Result<bool, SimError> {
        let cursor = self.cursor();
        if cursor < self.head {
            let recorded = self.recorded_input(cursor).cloned().unwrap_or(Input::Step);
            let later = |run: &Self| run.trace.steps.get(cursor as usize).is_some_and(|s| s.time > limit);
            if input == Input::Step && recorded == Input::Step && later(self) {
                return Ok(false);
            }
            if input == Input::Step || input == recorded {
                self.replay_one(recorded);
                return Ok(true);
            }
            // Only a valid input may start a new branch: a refused one must not cost the future.
            let mut scratch = Trace { muted: true, ..Trace::default() };
            self.sim.clone().apply(input.clone(), &mut scratch)?;
            self.branch();
        }
        if let Some(reason) = &self.halted {
            return Err(SimError::Limit(reason.clone()));
        }
        if self.head >= MAX_TRACE_STEPS {
            return Err(SimError::Limit(format!("a recorded run holds at most {MAX_TRACE_STEPS} steps")));
        }
        let by_hand = input != Input::Step;
        // A copy to roll back to when an input by hand is refused half-way (a request the
        // protocol rejects after partial effects). Steps are never refused, so they skip it.
        let before = by_hand.then(|| self.sim.clone());
        match self.sim.apply_until(input.clone(), limit, &mut self.trace) {
            Ok(None) => Ok(false),
            Ok(Some(_)) => {
                if by_hand {
                    self.inputs.push((cursor, input));
                }
                self.head += 1;
                self.record_moments();
                if self.head.is_multiple_of(CHECKPOINT_EVERY) {
                    self.checkpoints.push(self.sim.clone());
                }
                self.check_safety();
                Ok(true)
            }
            Err(e) => {
                // Keep the last good state: drop what the failed step half-recorded.
                self.trace.truncate(self.head);
                match (e.clone(), before) {
                    (SimError::Input(_), Some(before)) => self.sim = before,
                    _ => {
                        self.halted = Some(e.to_string());
                        self.restore(self.head);
                    }
                }
                Err(e)
            }
        }
    }

    fn branch(&mut self) {
        let cursor = self.cursor();
        self.inputs.retain(|(s, _)| *s < cursor);
        self.trace.truncate(cursor);
        self.checkpoints.truncate((cursor / CHECKPOINT_EVERY) as usize + 1);
        self.violations.retain(|v| v.step <= cursor);
        self.moments.truncate(self.moments.partition_point(|m| m.step <= cursor));
        self.head = cursor;
        self.halted = None;
    }

    /// The moments of the step just recorded: its input, the notes its protocol marked.
    fn record_moments(&mut self) {
        let r = self.sim.last_record();
        let t = self.sim.topology();
        let step = self.head;
        match &r.what {
            What::Input { input, scripted, role } => self.moments.push(Moment {
                step,
                time: r.time,
                kind: if *scripted { MomentKind::Script } else { MomentKind::ByHand },
                label: input_sentence_as(input, t, *scripted, role.as_deref()),
                nodes: input.node().into_iter().collect(),
            }),
            What::ScriptSkipped { entry, reason } => self.moments.push(Moment {
                step,
                time: r.time,
                kind: MomentKind::Script,
                label: skipped_sentence::<P>(&self.scenario, *entry, reason),
                nodes: Vec::new(),
            }),
            _ => {}
        }
        for &i in &r.moments {
            let (node, text) = &r.notes[i];
            self.moments.push(Moment {
                step,
                time: r.time,
                kind: MomentKind::Role,
                label: said_by(t, *node, text),
                nodes: vec![*node],
            });
        }
    }

    fn check_safety(&mut self) {
        for (i, failure) in self.sim.check(PropertyKind::Safety) {
            let name = self.sim.properties()[i].name;
            if self.violations.iter().all(|v| v.property != name) {
                self.moments.push(Moment {
                    step: self.cursor(),
                    time: self.sim.now(),
                    kind: MomentKind::Violation,
                    label: format!("Property `{name}` fails: {}", failure.explanation),
                    nodes: failure.nodes.clone(),
                });
                self.violations.push(Violation {
                    property: name.to_string(),
                    kind: PropertyKind::Safety,
                    step: self.cursor(),
                    time: self.sim.now(),
                    failure,
                });
            }
        }
    }

    /// Moves the cursor to `step` (clamped to the recorded history).
    pub fn seek(&mut self, step: u64) {
        let step = step.min(self.head);
        let cursor = self.cursor();
        if step < cursor || step - cursor > CHECKPOINT_EVERY {
            self.restore(step);
        } else {
            self.replay_to(step);
        }
    }

    /// Rebuilds the state at `step` from the nearest checkpoint, whatever the current state.
    fn restore(&mut self, step: u64) {
        let k = ((step / CHECKPOINT_EVERY) as usize).min(self.checkpoints.len() - 1);
        self.sim.clone_from(&self.checkpoints[k]);
        self.replay_to(step);
    }

    fn replay_one(&mut self, input: Input) {
        self.trace.muted = true;
        self.sim.apply(input, &mut self.trace).expect("recorded history replays");
        self.trace.muted = false;
    }

    fn replay_to(&mut self, step: u64) {
        while self.cursor() < step {
            let recorded = self.recorded_input(self.cursor()).cloned().unwrap_or(Input::Step);
            self.replay_one(recorded);
        }
    }

    /// Runs forward until simulated time `until` or quiescence. Returns steps applied.
    pub fn run_until(&mut self, until: Micros) -> Result<u64, SimError> {
        let start = self.cursor();
        while self.step_until(until)? {}
        Ok(self.cursor() - start)
    }

    /// Liveness properties evaluated now (meaningful once faults are healed and time has passed).
    pub fn check_liveness(&self) -> Vec<Violation> {
        self.sim
            .check(PropertyKind::Liveness)
            .into_iter()
            .map(|(i, failure)| Violation {
                property: self.sim.properties()[i].name.to_string(),
                kind: PropertyKind::Liveness,
                step: self.cursor(),
                time: self.sim.now(),
                failure,
            })
            .collect()
    }

    /// SHA-1 of the recorded steps and messages: equal digests mean identical runs.
    ///
    /// The bytes hashed are the compact JSON `{"messages":[...],"steps":[...]}` (the `messages`
    /// and `steps` of [`Run::trace_json`]); they are fed to the hasher record by record, so a run
    /// of millions of steps is never held as one string.
    pub fn digest(&self) -> String {
        let mut hasher = HashWriter(Sha1::new());
        self.write_digested(&mut hasher).expect("hashing does not fail");
        hex(&hasher.0.finalize())
    }

    /// The trace as JSON (format `caucus-trace` version 1, see [`crate::trace`]).
    pub fn trace_json(&self) -> String {
        let mut out = Vec::new();
        self.write_trace_json(&mut out).expect("writing to memory does not fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Writes [`Run::trace_json`] record by record: memory stays bounded whatever the run's length.
    pub fn write_trace_json(&self, mut w: impl Write) -> io::Result<()> {
        // The same bytes as the `serde_json::Value` of the whole trace would print: an object's
        // keys in sorted order (serde_json's `Map` is a `BTreeMap`), and every record passed
        // through a `Value` so that its own keys are sorted the same way.
        let w = &mut w;
        w.write_all(b"{\"digest\":")?;
        put(w, &self.digest())?;
        w.write_all(b",\"format\":\"caucus-trace\",\"inputs\":[")?;
        for (k, (step, input)) in self.inputs.iter().enumerate() {
            if k > 0 {
                w.write_all(b",")?;
            }
            put(w, &serde_json::json!({ "step": step, "input": input }))?;
        }
        w.write_all(b"],\"messages\":")?;
        self.write_messages(w)?;
        w.write_all(b",\"scenario\":")?;
        put(w, &self.scenario)?;
        w.write_all(b",\"steps\":")?;
        self.write_steps(w)?;
        w.write_all(b",\"version\":1,\"violations\":")?;
        put(w, &self.violations)?;
        w.write_all(b"}")
    }

    /// Writes what [`Run::digest`] hashes, `{"messages":[...],"steps":[...]}`, record by record.
    pub fn write_digested(&self, mut w: impl Write) -> io::Result<()> {
        let w = &mut w;
        w.write_all(b"{\"messages\":")?;
        self.write_messages(w)?;
        w.write_all(b",\"steps\":")?;
        self.write_steps(w)?;
        w.write_all(b"}")
    }

    fn write_steps(&self, w: &mut impl Write) -> io::Result<()> {
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
            #[serde(skip_serializing_if = "<[_]>::is_empty")]
            writes: &'a [crate::sim::Write],
        }
        w.write_all(b"[")?;
        for (i, s) in self.trace.steps.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            let r = self.trace.sent_by(i);
            put(
                w,
                &StepOut::<P> {
                    step: i,
                    time_us: s.time,
                    what: &s.what,
                    sent: (r.start, r.end),
                    notes: s.extra.as_ref().map_or(&[][..], |e| &e.notes),
                    dropped: s.extra.as_ref().map_or(&[][..], |e| &e.dropped),
                    writes: s.extra.as_ref().map_or(&[][..], |e| &e.writes),
                },
            )?;
        }
        w.write_all(b"]")
    }

    fn write_messages(&self, w: &mut impl Write) -> io::Result<()> {
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
        w.write_all(b"[")?;
        for (i, m) in self.trace.msgs.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            put(
                w,
                &MsgOut {
                    id: m.id,
                    source: m.source,
                    target: m.target,
                    sent_us: m.sent_at,
                    sent_step: m.sent_step,
                    deliver_us: m.deliver_at,
                    outcome: m.outcome,
                    label: P::msg_label(&m.msg),
                    payload: &m.msg,
                },
            )?;
        }
        w.write_all(b"]")
    }
}

/// Writes one record as compact JSON through a `serde_json::Value`, so that its object keys come
/// out sorted, as they do when a whole trace is built as one `Value` (the digests of recorded
/// runs were computed that way and must not change).
fn put(w: &mut impl Write, record: &impl Serialize) -> io::Result<()> {
    let value = serde_json::to_value(record).map_err(io::Error::other)?;
    serde_json::to_writer(w, &value).map_err(io::Error::other)
}

/// Feeds everything written to it into a SHA-1 hasher.
struct HashWriter(Sha1);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The protocol's parameters from a scenario, checked against the topology; the script's roles
/// checked against the protocol's.
pub fn params_of<P: Protocol>(scenario: &Scenario, topology: &Topology) -> Result<P::Params, ScenarioError> {
    if scenario.protocol.name != P::NAME {
        return Err(ScenarioError::new("protocol.name", format!("expected `{}`", P::NAME)));
    }
    let params: P::Params = if scenario.protocol.params.is_null() {
        P::Params::default()
    } else {
        from_json_value(scenario.protocol.params.clone(), "protocol.params")?
    };
    P::validate(&params, topology).map_err(|m| ScenarioError::new("protocol.params", m))?;
    crate::scenario::check_roles(&scenario.script, P::NAME, P::roles())?;
    Ok(params)
}

pub fn sha1_hex(bytes: &[u8]) -> String {
    hex(&Sha1::digest(bytes))
}

// ---- the protocol-independent face of a run, for the UI and the CLI --------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NodeView {
    pub id: NodeId,
    pub name: String,
    pub dc: DcId,
    pub status: Status,
    pub role: String,
    /// A short extra line from the protocol ([`crate::Protocol::badge`]).
    pub badge: String,
    pub countdown: Option<crate::sim::Countdown>,
    pub paused_until: Option<Micros>,
    pub clock_offset_us: i64,
    pub drift_ppm: i32,
    pub local_time: Micros,
    /// The durable write it is doing now (its messages wait for it).
    pub writing: Option<crate::sim::Write>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MsgView {
    pub id: MsgId,
    pub source: NodeId,
    pub target: NodeId,
    pub sent_at: Micros,
    pub deliver_at: Micros,
    pub lost: bool,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Start,
    Deliver,
    Drop,
    Timer,
    Resume,
    Input,
    Idle,
}

impl StepKind {
    pub fn word(self) -> &'static str {
        match self {
            StepKind::Start => "start",
            StepKind::Deliver => "deliver",
            StepKind::Drop => "drop",
            StepKind::Timer => "timer",
            StepKind::Resume => "resume",
            StepKind::Input => "input",
            StepKind::Idle => "idle",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StepView {
    pub index: usize,
    pub time: Micros,
    pub kind: StepKind,
    pub node: Option<NodeId>,
    pub msg: Option<MsgId>,
    pub label: String,
    pub notes: Vec<(NodeId, String)>,
    pub sent: std::ops::Range<MsgId>,
    /// The step's durable writes that took time.
    pub writes: Vec<crate::sim::Write>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MsgTraceView {
    pub id: MsgId,
    pub source: NodeId,
    pub target: NodeId,
    pub sent_at: Micros,
    pub sent_step: u64,
    pub deliver_at: Micros,
    pub outcome: Outcome,
    pub label: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PropertyView {
    pub name: String,
    pub kind: PropertyKind,
    pub description: String,
    /// Whether it holds in the current state.
    pub now: Result<(), Failure>,
    /// The first recorded violation (safety properties), anywhere in the recorded history.
    pub first_violation: Option<Violation>,
}

/// What the UI and the CLI need from a run, whatever its protocol.
pub trait DynRun {
    fn protocol_name(&self) -> &'static str;
    fn scenario(&self) -> &Scenario;
    fn topology(&self) -> &Topology;
    fn now(&self) -> Micros;
    /// Steps applied to reach the current state.
    fn cursor(&self) -> u64;
    /// Steps recorded (the cursor can move anywhere in `0..=head`).
    fn head(&self) -> u64;
    fn next_event_time(&self) -> Option<Micros>;
    fn apply(&mut self, input: Input) -> Result<bool, SimError>;
    fn seek(&mut self, step: u64);
    fn run_until(&mut self, until: Micros) -> Result<u64, SimError>;
    /// Inputs applied by hand, with their step.
    fn inputs(&self) -> &[(u64, Input)];
    fn nodes(&self) -> Vec<NodeView>;
    fn node_state_json(&self, node: NodeId) -> String;
    fn in_flight(&self) -> Vec<MsgView> {
        self.in_flight_first(usize::MAX)
    }
    /// The `limit` oldest messages in flight, by id (see `in_flight_count` for how many in all).
    fn in_flight_first(&self, limit: usize) -> Vec<MsgView>;
    fn in_flight_count(&self) -> usize;
    /// Every pending timer: node, the timer as JSON (what [`Input::FireNext`] names), when due.
    #[cfg(feature = "explore")]
    fn pending_timers(&self) -> Vec<(NodeId, serde_json::Value, Micros)>;
    /// An in-flight message as JSON (computed on demand: it is not cheap for every frame).
    fn msg_detail(&self, id: MsgId) -> Option<String>;
    fn link(&self, from: DcId, to: DcId) -> Link;
    fn is_cut(&self, from: NodeId, to: NodeId) -> bool;
    fn reorder(&self) -> bool;
    fn properties(&self) -> Vec<PropertyView>;
    fn violations(&self) -> &[Violation];
    /// Key moments of the whole recorded history (`0..=head`), sorted by step.
    fn moments(&self) -> &[Moment];
    /// One plain sentence on what step `step - 1` did (the step that led to cursor `step`), from
    /// its notes or else from what the step was; `None` for step 0 or past the recorded history.
    fn caption(&self, step: u64) -> Option<String>;
    fn check_liveness(&self) -> Vec<Violation>;
    fn trace_len(&self) -> usize;
    fn trace_step(&self, index: usize) -> StepView;
    fn trace_msg_count(&self) -> usize;
    fn trace_msg(&self, id: MsgId) -> MsgTraceView;
    /// The first recorded step at or after simulated time `t`.
    fn step_at_time(&self, t: Micros) -> usize;
    /// The run itself, for the registry to reach protocol-specific exports (trace JSON) that
    /// the browser bundle should not carry through this trait's vtable.
    fn as_any(&self) -> &dyn std::any::Any;
    fn trace_bytes(&self) -> usize;
    /// The protocol's roles ([`Protocol::roles`]), for what names them (lessons, scripts).
    fn roles(&self) -> &'static [crate::protocol::Role];
    /// The nodes that have `role` (`holder`, `owner:k3`) in the current state, preferred first.
    fn with_role(&self, role: &str) -> Vec<NodeId>;
}

impl<P: Protocol> DynRun for Run<P> {
    fn protocol_name(&self) -> &'static str {
        P::NAME
    }
    fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    fn topology(&self) -> &Topology {
        self.sim.topology()
    }
    fn now(&self) -> Micros {
        self.sim.now()
    }
    fn cursor(&self) -> u64 {
        Run::cursor(self)
    }
    fn head(&self) -> u64 {
        self.head
    }
    fn next_event_time(&self) -> Option<Micros> {
        self.sim.next_event_time()
    }
    fn apply(&mut self, input: Input) -> Result<bool, SimError> {
        Run::apply(self, input)
    }
    fn seek(&mut self, step: u64) {
        Run::seek(self, step)
    }
    fn run_until(&mut self, until: Micros) -> Result<u64, SimError> {
        Run::run_until(self, until)
    }
    fn inputs(&self) -> &[(u64, Input)] {
        &self.inputs
    }
    fn nodes(&self) -> Vec<NodeView> {
        let t = self.sim.topology();
        t.nodes
            .iter()
            .map(|n| {
                let clock = self.sim.clock(n.id);
                NodeView {
                    id: n.id,
                    name: n.name.clone(),
                    dc: n.dc,
                    status: self.sim.status(n.id),
                    role: self.sim.state(n.id).map(|s| s.role()).unwrap_or_default(),
                    badge: self.sim.state(n.id).map(|s| s.badge()).unwrap_or_default(),
                    countdown: self.sim.state(n.id).and_then(|_| self.sim.countdown(n.id)),
                    paused_until: self.sim.paused_until(n.id),
                    clock_offset_us: self.sim.local_time(n.id) as i64 - self.sim.now() as i64,
                    drift_ppm: clock.drift_ppm,
                    local_time: self.sim.local_time(n.id),
                    writing: self.sim.writing(n.id),
                }
            })
            .collect()
    }
    fn node_state_json(&self, node: NodeId) -> String {
        #[derive(Serialize)]
        struct TimerOut<T> {
            timer: T,
            local_deadline_us: Micros,
            fires_at_us: Micros,
        }
        #[derive(Serialize)]
        struct Up<'a, P, T> {
            state: &'a P,
            timers: Vec<TimerOut<T>>,
        }
        #[derive(Serialize)]
        struct Down<D> {
            status: Status,
            durable: Option<D>,
        }
        match self.sim.state(node) {
            Some(state) => {
                let timers = self.sim.timers(node);
                let timers = timers
                    .into_iter()
                    .map(|(timer, local_deadline_us, fires_at_us)| TimerOut { timer, local_deadline_us, fires_at_us })
                    .collect();
                crate::scenario::pretty(&Up { state, timers })
            }
            None => crate::scenario::pretty(&Down { status: self.sim.status(node), durable: self.sim.durable(node) }),
        }
    }
    fn in_flight_count(&self) -> usize {
        self.sim.in_flight_count()
    }
    #[cfg(feature = "explore")]
    fn pending_timers(&self) -> Vec<(NodeId, serde_json::Value, Micros)> {
        let mut out = Vec::new();
        for n in 0..self.sim.topology().nodes.len() as NodeId {
            for (timer, _, due) in self.sim.timers(n) {
                out.push((n, serde_json::to_value(&timer).unwrap_or_default(), due));
            }
        }
        out
    }
    fn in_flight_first(&self, limit: usize) -> Vec<MsgView> {
        self.sim
            .in_flight_first(limit)
            .into_iter()
            .map(|m| MsgView {
                id: m.id,
                source: m.source,
                target: m.target,
                sent_at: m.sent_at,
                deliver_at: m.deliver_at,
                lost: m.lost,
                label: P::msg_label(&m.msg),
            })
            .collect()
    }
    fn msg_detail(&self, id: MsgId) -> Option<String> {
        self.sim.message(id).map(|m| crate::scenario::pretty(&m.msg))
    }
    fn link(&self, from: DcId, to: DcId) -> Link {
        self.sim.link(from, to)
    }
    fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.sim.is_cut(from, to)
    }
    fn reorder(&self) -> bool {
        self.sim.reorder()
    }
    fn roles(&self) -> &'static [crate::protocol::Role] {
        P::roles()
    }
    fn with_role(&self, role: &str) -> Vec<NodeId> {
        let (name, arg) = role.split_once(':').unwrap_or((role, ""));
        P::with_role(&crate::sim::View::of(&self.sim), name, arg)
    }
    fn properties(&self) -> Vec<PropertyView> {
        let view = crate::sim::View::of(&self.sim);
        self.sim
            .properties()
            .iter()
            .map(|p| PropertyView {
                name: p.name.to_string(),
                kind: p.kind,
                description: p.description.to_string(),
                now: (p.check)(&view),
                first_violation: self.violations.iter().find(|v| v.property == p.name).cloned(),
            })
            .collect()
    }
    fn violations(&self) -> &[Violation] {
        &self.violations
    }
    fn moments(&self) -> &[Moment] {
        &self.moments
    }
    fn caption(&self, step: u64) -> Option<String> {
        let s = self.trace.steps.get(step.checked_sub(1)? as usize)?;
        let t = self.sim.topology();
        let notes = s.extra.as_ref().map_or(&[][..], |e| &e.notes[..]);
        let mut said = String::new();
        let mut last = None;
        for (node, text) in notes {
            if !said.is_empty() {
                said.push_str("; ");
            }
            if last == Some(*node) {
                said.push_str(text);
            } else {
                said.push_str(&said_by(t, *node, text));
            }
            last = Some(*node);
        }
        let name = |n: NodeId| node_name(t, n);
        let label_of = |id: MsgId| P::msg_label(&self.trace.msgs[id as usize].msg);
        let base = match &s.what {
            What::ScriptSkipped { entry, reason } => {
                return Some(skipped_sentence::<P>(&self.scenario, *entry, reason))
            }
            What::Input { input, scripted, role } => {
                let base = input_sentence_as(input, t, *scripted, role.as_deref());
                if said.is_empty() {
                    base
                } else {
                    format!("{base}: {said}")
                }
            }
            _ if !said.is_empty() => said,
            What::Start { node } => format!("{} starts", name(*node)),
            What::Deliver { msg, from, to } => {
                format!("{} receives {} from {}", name(*to), label_of(*msg), name(*from))
            }
            What::Drop { msg, from, to, reason } => {
                let what = format!("{} from {} to {}", label_of(*msg), name(*from), name(*to));
                match reason {
                    DropReason::Partition => format!("{what} is cut off by a partition"),
                    DropReason::Loss => format!("{what} is lost on a lossy link"),
                    DropReason::NodeDown => format!("{what} is lost: {} is down", name(*to)),
                    DropReason::ByHand => format!("{what} is dropped by hand"),
                    DropReason::NeverSent => format!("{what} never leaves: {} crashed", name(*from)),
                }
            }
            What::Timer { node, timer } => format!("{}'s {} fires", name(*node), P::timer_label(timer)),
            What::Resume { node } => format!("{} wakes from its pause", name(*node)),
            What::Idle => "nothing happens".into(),
        };
        Some(with_writes(base, s.extra.as_deref()))
    }
    fn check_liveness(&self) -> Vec<Violation> {
        Run::check_liveness(self)
    }
    fn trace_len(&self) -> usize {
        self.trace.steps.len()
    }
    fn trace_step(&self, index: usize) -> StepView {
        let s = &self.trace.steps[index];
        let t = self.sim.topology();
        let name = |n: NodeId| t.nodes[n as usize].name.as_str();
        let label_of = |id: MsgId| P::msg_label(&self.trace.msgs[id as usize].msg);
        let (kind, msg, label) = match &s.what {
            What::Start { node } => (StepKind::Start, None, format!("{} starts", name(*node))),
            What::Deliver { msg, from, to } => {
                (StepKind::Deliver, Some(*msg), format!("{} ← {} from {}", name(*to), label_of(*msg), name(*from)))
            }
            What::Drop { msg, from, to, reason } => (
                StepKind::Drop,
                Some(*msg),
                format!("{} from {} to {} {}", label_of(*msg), name(*from), name(*to), reason.describe()),
            ),
            What::Timer { node, timer } => {
                let words = timer_words(&serde_json::to_value(timer).unwrap_or_default());
                (StepKind::Timer, None, format!("{} timer {words}", name(*node)))
            }
            What::Resume { node } => (StepKind::Resume, None, format!("{} resumes after its pause", name(*node))),
            What::Input { input, scripted, role } => {
                let who = if *scripted { "script" } else { "by hand" };
                let text = describe_input_as(input, t, role.as_deref());
                (StepKind::Input, None, format!("{text} ({who})"))
            }
            What::ScriptSkipped { entry, reason } => {
                (StepKind::Input, None, skipped_sentence::<P>(&self.scenario, *entry, reason))
            }
            What::Idle => (StepKind::Idle, None, "nothing".into()),
        };
        let writes = s.extra.as_ref().map(|e| e.writes.clone()).unwrap_or_default();
        let label = with_writes(label, s.extra.as_deref());
        StepView {
            index,
            time: s.time,
            kind,
            node: s.what.node(),
            msg,
            label,
            notes: s.extra.as_ref().map(|e| e.notes.clone()).unwrap_or_default(),
            sent: self.trace.sent_by(index),
            writes,
        }
    }
    fn trace_msg_count(&self) -> usize {
        self.trace.msgs.len()
    }
    fn trace_msg(&self, id: MsgId) -> MsgTraceView {
        let m = &self.trace.msgs[id as usize];
        MsgTraceView {
            id: m.id,
            source: m.source,
            target: m.target,
            sent_at: m.sent_at,
            sent_step: m.sent_step,
            deliver_at: m.deliver_at,
            outcome: m.outcome,
            label: P::msg_label(&m.msg),
        }
    }
    fn step_at_time(&self, t: Micros) -> usize {
        self.trace.step_at_time(t)
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
    fn trace_bytes(&self) -> usize {
        self.trace.approx_bytes()
    }
}

/// A note with its node as the subject: `n2 grants the lock to n4`. A note that does not start
/// with a verb (`n3 voted no: ...`, `S1: T2 done`) gets a colon: `n0: S1: T2 done`.
fn said_by(t: &Topology, node: NodeId, text: &str) -> String {
    let first = text.split([' ', ',', ':', ';']).next().unwrap_or("");
    let verb = first.starts_with(|c: char| c.is_ascii_lowercase()) && !t.nodes.iter().any(|n| n.name == first);
    format!("{}{} {text}", node_name(t, node), if verb { "" } else { ":" })
}

fn node_name(t: &Topology, n: NodeId) -> String {
    t.nodes.get(n as usize).map_or(format!("node {n}"), |x| x.name.clone())
}

/// `text`, then what the step wrote to disk where that took time ("…, writes its term and vote
/// to disk (6.20 ms)"): the caption and the log say the same.
fn with_writes(mut text: String, extra: Option<&crate::trace::Extra>) -> String {
    for w in extra.map_or(&[][..], |e| &e.writes[..]).iter().filter(|_| crate::sim::HARDWARE) {
        text += &format!(", writes its {} to disk ({})", w.what, crate::time::format_micros(w.end - w.start));
    }
    text
}

/// A sentence for a script entry that did not happen: `script[1] (pause for 2 s) is skipped: no
/// node was the holder between 4 s and 14 s`.
fn skipped_sentence<P: Protocol>(scenario: &Scenario, entry: u32, reason: &str) -> String {
    let what = scenario.script.get(entry as usize).map_or(String::new(), |e| {
        let text = serde_json::to_string(&e.input).unwrap_or_default();
        let word = text.trim_start_matches(['{', '"']).split('"').next().unwrap_or("").to_string();
        match e.when.as_ref().and_then(|w| w.role_parts()) {
            Some((name, arg)) => {
                let role = P::roles().iter().find(|r| r.name == name);
                format!(" ({word} {})", role.map_or(name.to_string(), |r| r.phrase_of(arg)))
            }
            None => format!(" ({word})"),
        }
    });
    format!("script[{entry}]{what} is skipped: {reason}")
}

/// A plain sentence for an input applied by the script or by hand: `n0 crashes (scripted)`.
pub fn input_sentence(input: &Input, t: &Topology, scripted: bool) -> String {
    input_sentence_as(input, t, scripted, None)
}

/// [`input_sentence`] naming the node's role, from a script entry's `when`: `n2 (the holder)
/// stops for a 2 s pause (scripted)`.
pub fn input_sentence_as(input: &Input, t: &Topology, scripted: bool, role: Option<&str>) -> String {
    let named = |n: NodeId| node_name(t, n);
    let name = |n: NodeId| match role {
        Some(r) if input.node() == Some(n) => format!("{} ({r})", named(n)),
        _ => named(n),
    };
    let text = match input {
        Input::Crash { node } => format!("{} crashes", name(*node)),
        Input::Restart { node } => format!("{} restarts", name(*node)),
        Input::Pause { node, duration_us } => {
            format!("{} stops for a {} pause", name(*node), format_micros(*duration_us))
        }
        Input::Skew { node, by_us } => {
            let way = if *by_us < 0 { "back" } else { "ahead" };
            format!("{}'s clock jumps {} {way}", name(*node), format_micros(by_us.unsigned_abs()))
        }
        Input::Drift { node, ppm } => format!("{}'s clock starts to drift {ppm:+} ppm", name(*node)),
        Input::Partition { .. } => {
            let text = describe_input(input, t);
            let text = text.trim_start_matches("partition ");
            match role {
                Some(r) => format!("the datacenter of {r} is cut off: {text}"),
                None => format!("the network is cut: {text}"),
            }
        }
        Input::Heal => "the partitions heal".into(),
        Input::HealAll => "every fault heals".into(),
        Input::Reorder { enabled: true } => "messages may now overtake each other".into(),
        Input::Reorder { enabled: false } => "links are FIFO again".into(),
        Input::Drop { msg } => format!("message #{msg} is dropped"),
        Input::Duplicate { msg } => format!("message #{msg} is duplicated"),
        Input::DeliverNext { msg } => format!("message #{msg} is delivered next"),
        #[cfg(feature = "explore")]
        Input::FireNext { node, timer } => format!("{}'s timer “{}” fires next", name(*node), timer_words(timer)),
        Input::Request { node, request } => format!("{} is asked: {request}", name(*node)),
        Input::Step | Input::SetLink { .. } => describe_input(input, t),
    };
    format!("{text} ({})", if scripted { "scripted" } else { "by hand" })
}

/// A timer, as its protocol serializes it, in words: `{"type":"vote_timeout","txn":1}` reads
/// "vote timeout (txn 1)", `{"expire":3}` "expire 3", `"retry"` "retry".
pub fn timer_words(timer: &serde_json::Value) -> String {
    use serde_json::Value;
    let words = |s: &str| s.replace('_', " ");
    let value = |v: &Value| match v {
        Value::String(s) => words(s),
        other => other.to_string(),
    };
    match timer {
        Value::Object(map) => {
            let kind = map.get("type").map(value);
            let rest: Vec<String> =
                map.iter().filter(|(k, _)| *k != "type").map(|(k, v)| format!("{} {}", words(k), value(v))).collect();
            match (kind, rest.is_empty()) {
                (Some(kind), true) => kind,
                (Some(kind), false) => format!("{kind} ({})", rest.join(", ")),
                (None, _) => rest.join(", "),
            }
        }
        other => value(other),
    }
}

/// A sentence for an input: `crash n3`, `partition us-east-1 | eu-west-1`.
pub fn describe_input(input: &Input, t: &Topology) -> String {
    describe_input_as(input, t, None)
}

/// [`describe_input`] naming the node's role: `pause n2 (the holder) for 2 s`.
pub fn describe_input_as(input: &Input, t: &Topology, role: Option<&str>) -> String {
    use crate::sim::Endpoint;
    let named = |n: NodeId| t.nodes.get(n as usize).map_or(format!("node {n}"), |x| x.name.clone());
    let name = |n: NodeId| match role {
        Some(r) if input.node() == Some(n) => format!("{} ({r})", named(n)),
        _ => named(n),
    };
    let dc = |d: DcId| t.datacenters.get(d as usize).map_or(format!("dc {d}"), |x| x.name.clone());
    let side = |s: &[Endpoint]| {
        s.iter()
            .map(|e| match *e {
                Endpoint::Dc(d) => dc(d),
                Endpoint::Node(n) => name(n),
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    match input {
        Input::Step => "step".into(),
        Input::Crash { node } => format!("crash {}", name(*node)),
        Input::Restart { node } => format!("restart {}", name(*node)),
        Input::Pause { node, duration_us } => {
            format!("pause {} for {}", name(*node), format_micros(*duration_us))
        }
        Input::Skew { node, by_us } => {
            let sign = if *by_us < 0 { "-" } else { "+" };
            format!("jump {}'s clock {sign}{}", name(*node), format_micros(by_us.unsigned_abs()))
        }
        Input::Drift { node, ppm } => format!("{}'s clock drifts {ppm:+} ppm", name(*node)),
        Input::Partition { a, b, one_way } => {
            let arrow = if *one_way { "→" } else { "|" };
            format!("partition {} {arrow} {}", side(a), side(b))
        }
        Input::Heal => "heal partitions".into(),
        Input::HealAll => "heal everything".into(),
        Input::SetLink { from, to, latency_us, loss_ppm, .. } => format!(
            "link {} ↔ {}: {} one-way, {}% loss",
            dc(*from),
            dc(*to),
            format_micros((*latency_us).max(0) as Micros),
            crate::time::decimal(*loss_ppm as f64 / 10_000.0, 1)
        ),
        Input::Reorder { enabled } => format!("reordering {}", if *enabled { "on" } else { "off" }),
        Input::Drop { msg } => format!("drop message #{msg}"),
        Input::Duplicate { msg } => format!("duplicate message #{msg}"),
        Input::DeliverNext { msg } => format!("deliver message #{msg} next"),
        #[cfg(feature = "explore")]
        Input::FireNext { node, timer } => format!("fire {}'s timer “{}” next", name(*node), timer_words(timer)),
        Input::Request { node, request } => format!("request to {}: {}", name(*node), request),
    }
}
