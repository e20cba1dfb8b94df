//! The simulator: one state, one mutation point.
//!
//! [`Sim::apply`] is the only way the simulation changes. `Input::Step` applies the next event in
//! `(time, sequence)` order; every other input is a fault or request from a person or a script.
//! Each apply is one step and yields a [`Record`] of what happened. Events that turn out to be
//! stale (a cancelled timer, a message dropped by hand) are skipped without counting as a step;
//! events for a paused node wait in its deferred list, also without counting.

use crate::limits::{MAX_DRIFT_PPM, MAX_FAULT_US, MAX_IN_FLIGHT, MAX_REQUEST_CHARS};
use crate::protocol::{random_below, Ctx, Effect, Failure, Property, PropertyKind, Protocol};
use crate::time::Micros;
use crate::topology::{check_link, DcId, Link, NodeId, Topology};
use rand_chacha::ChaCha8Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

pub type MsgId = u64;

/// Everything a person, a script or the swarm can do to a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
/// Externally tagged in JSON (`"step"`, `{"crash": {"node": 3}}`): compact in links, and cheaper
/// to decode in the browser than an internally tagged enum.
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// Apply the next event.
    Step,
    /// Stop the node: its volatile state is lost, its durable state kept; messages to it are lost.
    Crash { node: NodeId },
    /// Start a crashed node again from its durable state.
    Restart { node: NodeId },
    /// A stop-the-world pause (a GC pause): no messages handled, no timers fired; they wait.
    Pause { node: NodeId, duration_us: Micros },
    /// Jump the node's clock by `by_us` (negative: backwards). Its timers follow its clock.
    Skew { node: NodeId, by_us: i64 },
    /// Make the node's clock run fast (positive) or slow by `ppm` parts per million.
    Drift { node: NodeId, ppm: i32 },
    /// Cut the links from side `a` to side `b` (and back, unless `one_way`).
    Partition {
        a: Vec<Endpoint>,
        b: Vec<Endpoint>,
        #[serde(default)]
        one_way: bool,
    },
    /// Remove every partition.
    Heal,
    /// Heal partitions, restore links, resume paused nodes, restart crashed ones, reset clocks.
    HealAll,
    /// Change the link from datacenter `from` to `to` (and back, unless `one_way`).
    SetLink {
        from: DcId,
        to: DcId,
        latency_us: i64,
        #[serde(default)]
        jitter_us: i64,
        #[serde(default)]
        loss_ppm: u32,
        #[serde(default)]
        one_way: bool,
    },
    /// Allow messages on one link to overtake each other (by default links are FIFO, like TCP).
    Reorder { enabled: bool },
    /// Lose one in-flight message.
    Drop { msg: MsgId },
    /// Send a copy of one in-flight message.
    Duplicate { msg: MsgId },
    /// Deliver one in-flight message before anything else.
    DeliverNext { msg: MsgId },
    /// Fire one of the node's pending timers (the protocol's timer as JSON) before anything else:
    /// what the exhaustive checker's paths need, where a timer may fire at any moment.
    #[cfg(feature = "explore")]
    FireNext { node: NodeId, timer: serde_json::Value },
    /// A client request to a node, as the protocol's JSON request.
    Request { node: NodeId, request: serde_json::Value },
}

/// One side of a partition.
impl Input {
    /// The limits an input must keep whatever the run's state, as the simulator enforces them:
    /// `Err((field, why))`, the field under the input (`pause.duration_us`). A scenario's script
    /// is checked with this before it runs, so that a value typed into a file is refused as the
    /// same value typed by hand is, not skipped mid-run.
    pub fn check_bounds(&self) -> Result<(), (String, String)> {
        let out = |f: &str, why: String| Err((f.to_string(), why));
        match self {
            Input::Pause { duration_us, .. } if *duration_us == 0 || *duration_us > MAX_FAULT_US => {
                out("pause.duration_us", format!("a pause lasts between 1 µs and {MAX_FAULT_US} µs, not {duration_us}"))
            }
            Input::Skew { by_us, .. } if by_us.unsigned_abs() > MAX_FAULT_US => {
                out("skew.by_us", format!("a clock jump is at most {MAX_FAULT_US} µs either way, not {by_us}"))
            }
            Input::Drift { ppm, .. } if ppm.unsigned_abs() > MAX_DRIFT_PPM as u32 => {
                out("drift.ppm", format!("drift is at most ±{MAX_DRIFT_PPM} ppm, not {ppm}"))
            }
            Input::SetLink { latency_us, jitter_us, loss_ppm, .. } => {
                crate::topology::check_link("set_link", *latency_us, *jitter_us, *loss_ppm)
                    .map_err(|e| ("set_link".to_string(), e.0))
            }
            Input::Request { request, .. }
                if serde_json::to_string(request).map_or(0, |j| j.len()) > MAX_REQUEST_CHARS =>
            {
                out("request.request", format!("a request is at most {MAX_REQUEST_CHARS} characters of JSON"))
            }
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Endpoint {
    Dc(DcId),
    Node(NodeId),
}

/// Why an input was refused. The simulation is unchanged when this is returned.
#[derive(Clone, Debug, PartialEq)]
pub enum SimError {
    /// The input makes no sense now (crash a crashed node, an unknown message).
    Input(String),
    /// A named limit was exceeded; the run stops here.
    Limit(String),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Input(m) => write!(f, "{m}"),
            SimError::Limit(m) => write!(f, "limit reached: {m}"),
        }
    }
}
impl std::error::Error for SimError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    Partition,
    Loss,
    NodeDown,
    ByHand,
    /// Its sender crashed before it left (while writing to disk or handling the event).
    NeverSent,
}

impl DropReason {
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::Partition => "cut by a partition",
            DropReason::Loss => "lost on a lossy link",
            DropReason::NodeDown => "target was crashed",
            DropReason::ByHand => "dropped by hand",
            DropReason::NeverSent => "never sent: its sender crashed first",
        }
    }
}

/// What a step was.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What<P: Protocol> {
    Start {
        node: NodeId,
    },
    Deliver {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
    },
    Drop {
        msg: MsgId,
        from: NodeId,
        to: NodeId,
        reason: DropReason,
    },
    Timer {
        node: NodeId,
        timer: P::Timer,
    },
    Resume {
        node: NodeId,
    },
    /// A fault or request applied by a person (`scripted: false`) or the scenario's script.
    Input {
        input: Box<Input>,
        scripted: bool,
        /// For a script entry with `when`: who the input's node was (`the holder`), in words.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        role: Option<String>,
    },
    /// A script entry with `when` that did not happen: nobody had the role before its deadline,
    /// or the entry it refers to did not happen. `reason` is a sentence.
    ScriptSkipped {
        entry: u32,
        reason: String,
    },
    /// The next event would pass the run's end; nothing happened.
    Idle,
}

impl<P: Protocol> What<P> {
    /// The node the step happened at, if one.
    pub fn node(&self) -> Option<NodeId> {
        match self {
            What::Start { node } | What::Timer { node, .. } | What::Resume { node } => Some(*node),
            What::Deliver { to, .. } | What::Drop { to, .. } => Some(*to),
            What::Input { input, .. } => input.node(),
            What::Idle | What::ScriptSkipped { .. } => None,
        }
    }
}

impl Input {
    pub fn node(&self) -> Option<NodeId> {
        match self {
            Input::Crash { node }
            | Input::Restart { node }
            | Input::Pause { node, .. }
            | Input::Skew { node, .. }
            | Input::Drift { node, .. }
            | Input::Request { node, .. } => Some(*node),
            _ => None,
        }
    }

    /// The input aimed at `node` instead (a script entry's `when`): a node input gets `node`; a
    /// partition cuts `node`'s datacenter off from every other one. `None` for other inputs.
    pub fn aimed_at(&self, node: NodeId, topology: &Topology) -> Option<Input> {
        let mut input = self.clone();
        match &mut input {
            Input::Crash { node: n }
            | Input::Restart { node: n }
            | Input::Pause { node: n, .. }
            | Input::Skew { node: n, .. }
            | Input::Drift { node: n, .. }
            | Input::Request { node: n, .. } => *n = node,
            Input::Partition { a, b, .. } => {
                let dc = topology.dc_of(node);
                *a = vec![Endpoint::Dc(dc)];
                *b = (0..topology.datacenters.len() as DcId).filter(|&d| d != dc).map(Endpoint::Dc).collect();
            }
            _ => return None,
        }
        Some(input)
    }
}

/// What one step did. The simulator reuses one record; copy what you keep.
#[derive(Clone, Debug)]
pub struct Record<P: Protocol> {
    pub step: u64,
    pub time: Micros,
    pub what: What<P>,
    /// Messages sent by this step: their ids are `sent.0..sent.1`.
    pub sent: (MsgId, MsgId),
    /// Messages lost as a consequence (a crash loses what waited for a paused node).
    pub dropped: Vec<(MsgId, DropReason)>,
    pub notes: Vec<(NodeId, String)>,
    /// Indices into `notes` of the notes that are key moments ([`Ctx::moment`]).
    pub moments: Vec<usize>,
    /// The durable writes of this step that took time, in order (none when storage is free).
    pub writes: Vec<Write>,
}

/// A durable write that took time: what the node wrote and when it started and ended. The node's
/// messages after it leave at `end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Write {
    pub node: NodeId,
    pub what: &'static str,
    pub start: Micros,
    pub end: Micros,
}

/// A message on its way.
#[derive(Clone, Debug, Serialize)]
pub struct InFlight<M> {
    pub id: MsgId,
    pub source: NodeId,
    pub target: NodeId,
    pub sent_at: Micros,
    pub deliver_at: Micros,
    pub sent_step: u64,
    /// Decided at send time from the link's loss rate; shown at delivery time.
    pub lost: bool,
    pub msg: M,
    #[serde(skip)]
    token: u64,
}

/// Receives what a traced run needs beyond the record (see `trace.rs`). `()` traces nothing and
/// compiles to nothing.
pub trait Observer<P: Protocol> {
    fn sent(&mut self, _msg: &InFlight<P::Msg>) {}
    fn finished(&mut self, _msg: MsgId, _step: u64, _time: Micros, _dropped: Option<DropReason>) {}
    fn stepped(&mut self, _record: &Record<P>) {}
}
impl<P: Protocol> Observer<P> for () {}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Clock {
    /// Local minus simulated time at `anchor`.
    pub offset_us: i64,
    pub drift_ppm: i32,
    anchor: Micros,
}

impl Clock {
    pub fn local(&self, now: Micros) -> Micros {
        if self.drift_ppm == 0 {
            return (now as i64).saturating_add(self.offset_us).max(0) as Micros;
        }
        let elapsed = now.saturating_sub(self.anchor) as i128;
        let local = now as i128 + self.offset_us as i128 + elapsed * self.drift_ppm as i128 / 1_000_000;
        local.max(0) as Micros
    }
    /// The first simulated time at which this clock reads at least `local` (never before `now`).
    fn real(&self, local: Micros, now: Micros) -> Micros {
        if self.drift_ppm == 0 {
            return (local as i128 - self.offset_us as i128).clamp(now as i128, Micros::MAX as i128) as Micros;
        }
        let base = self.anchor as i128 + self.offset_us as i128;
        let rate = 1_000_000 + self.drift_ppm as i128;
        let span = local as i128 - base;
        // Round up, then settle on the exact first instant: `local()` truncates its division.
        let mut t = (self.anchor as i128 + (span * 1_000_000 + rate - 1).div_euclid(rate))
            .clamp(now as i128, Micros::MAX as i128) as Micros;
        while t > now && self.local(t - 1) >= local {
            t -= 1;
        }
        while self.local(t) < local && t < Micros::MAX {
            t += 1;
        }
        t
    }
    fn set_drift(&mut self, now: Micros, ppm: i32) {
        self.offset_us = self.local(now) as i64 - now as i64;
        self.anchor = now;
        self.drift_ppm = ppm;
    }
}

#[derive(Clone, Debug)]
enum NodeState<P: Protocol> {
    Booting,
    Up(P),
    Down(P::Durable),
}

/// A timer drawn as a countdown (an election timeout, a lease).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Countdown {
    pub label: &'static str,
    /// Simulated time at which it fires.
    pub fires_at: Micros,
    /// How long it was set for (local time).
    pub duration_us: Micros,
}

#[derive(Clone, Debug)]
struct ActiveTimer<T> {
    id: u64,
    timer: T,
    local_deadline: Micros,
    /// How long it was set for, in local time (the UI draws the countdown as a fraction of it).
    after_us: Micros,
}

/// Clock changes remembered per node for [`Sim::real_time_of`].
const CLOCK_HISTORY: usize = 64;

#[derive(Clone, Debug)]
struct Node<P: Protocol> {
    state: NodeState<P>,
    paused_until: Option<Micros>,
    /// The token of the Resume event that ends the current pause; older ones are stale.
    pause_token: u64,
    deferred: Vec<Scheduled>,
    clock: Clock,
    /// When `clock` took effect, and the clocks before it with theirs (oldest first, at most
    /// [`CLOCK_HISTORY`]): properties turn a local reading back into simulated time with the
    /// clock that was in effect when it was taken, not the one in effect now.
    clock_since: Micros,
    past_clocks: Vec<(Micros, Clock)>,
    rng: ChaCha8Rng,
    timers: Vec<ActiveTimer<P::Timer>>,
    /// Until when the node is busy handling events and writing: its next outputs leave no earlier.
    busy_until: Micros,
    /// Its hardware clock's own drift (see [`Topology::drift_ppm`]); healing returns to it.
    base_drift: i32,
    /// Its latest durable write that took time (the inspector shows one in progress).
    last_write: Option<Write>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    Start(NodeId),
    Deliver { slot: u32, token: u64 },
    Timer { node: NodeId, id: u64 },
    Resume { node: NodeId, token: u64 },
    Script(u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Scheduled {
    time: Micros,
    seq: u64,
    event: Event,
}

impl Scheduled {
    /// Events run in `(time, seq)` order, and `seq` is unique among queued events, so the event
    /// itself never decides.
    #[inline(always)]
    fn key(&self) -> (Micros, u64) {
        (self.time, self.seq)
    }
}

/// The pending events: a binary min-heap on [`Scheduled::key`], in place of
/// `BinaryHeap<Reverse<_>>`, whose sift loops and comparisons stay calls in the browser's
/// size-optimized build (popping was a fifth of the untraced simulator's time there). Keys are
/// unique, so any correct heap pops the same order: runs are unchanged.
#[derive(Clone, Default)]
struct EventQueue(Vec<Scheduled>);

impl EventQueue {
    #[inline]
    fn peek(&self) -> Option<&Scheduled> {
        self.0.first()
    }

    #[inline]
    fn push(&mut self, s: Scheduled) {
        let v = &mut self.0;
        let mut i = v.len();
        v.push(s);
        let key = s.key();
        while i > 0 {
            let parent = (i - 1) / 2;
            let p = v[parent];
            if p.key() <= key {
                break;
            }
            v[i] = p;
            i = parent;
        }
        v[i] = s;
    }

    #[inline]
    fn pop(&mut self) -> Option<Scheduled> {
        let last = self.0.pop()?;
        let v = self.0.as_mut_slice();
        let Some(&top) = v.first() else {
            return Some(last);
        };
        // As the standard heap does: walk the hole the top leaves down to a leaf along the
        // smaller children (one comparison a level), then sift the last event up from there.
        let n = v.len();
        let mut hole = 0;
        let mut child = 1;
        while child + 1 < n {
            if v[child + 1].key() < v[child].key() {
                child += 1;
            }
            v[hole] = v[child];
            hole = child;
            child = 2 * hole + 1;
        }
        if child + 1 == n {
            v[hole] = v[child];
            hole = child;
        }
        let key = last.key();
        while hole > 0 {
            let parent = (hole - 1) / 2;
            if v[parent].key() <= key {
                break;
            }
            v[hole] = v[parent];
            hole = parent;
        }
        v[hole] = last;
        Some(top)
    }
}

/// How a node is doing, for views and properties.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Booting,
    Up,
    Paused,
    Crashed,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Booting => "starting",
            Status::Up => "up",
            Status::Paused => "paused",
            Status::Crashed => "crashed",
        }
    }
}

/// A timed input from a scenario's script.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScriptEntry {
    pub at_us: Micros,
    /// Aim the input at a node by its role, or at the node of an earlier entry, resolved while
    /// the run plays (see [`When`]); `None`: the input's own node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when: Option<When>,
    pub input: Input,
}

impl ScriptEntry {
    pub fn new(at_us: Micros, input: Input) -> ScriptEntry {
        ScriptEntry { at_us, when: None, input }
    }
}

/// How long an entry with a role waits for someone to have it, unless `within_us` says.
pub const DEFAULT_WITHIN_US: Micros = 10_000_000;

/// Who a script entry's input is for, decided when it is due (the format is in
/// [`crate::scenario`]). Exactly one of `role` and `same_as`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// A role of the protocol (`holder`, `leader`, `owner:k3`): the input goes to the first
    /// node the protocol names for it (lowest id by default). From `at_us` the entry waits,
    /// checked after every step, until some node has the role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Only a node that takes the role after `at_us` counts, at the step it takes it ("just
    /// after it was granted the lock"), not one that had it already.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub newly: bool,
    /// Give up this long after `at_us` (default [`DEFAULT_WITHIN_US`]): the run records a step
    /// that says the entry was skipped and why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_us: Option<Micros>,
    /// The node an earlier entry (by index) went to: restart the leader that was crashed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<u32>,
}

impl When {
    /// The role's name and argument: `owner:k3` is `("owner", "k3")`.
    pub fn role_parts(&self) -> Option<(&str, &str)> {
        let role = self.role.as_deref()?;
        Some(role.split_once(':').unwrap_or((role, "")))
    }
}

/// Where a script entry with `when` stands.
#[derive(Clone, Debug, PartialEq)]
enum Due {
    /// Not due yet.
    Pending,
    /// Due, waiting for a node with the role. `had`: who had it at the last check (`newly`);
    /// `chosen`: the node found, whose input is queued to apply next.
    Waiting {
        deadline: Micros,
        had: Vec<bool>,
        chosen: Option<NodeId>,
    },
    Done {
        node: NodeId,
        at: Micros,
        phrase: Option<String>,
    },
    Skipped,
}

/// The whole simulated world at one step. `Clone` is a checkpoint.
#[derive(Clone)]
pub struct Sim<P: Protocol> {
    topology: Arc<Topology>,
    params: Arc<P::Params>,
    properties: Arc<Vec<Property<P>>>,
    script: Arc<Vec<ScriptEntry>>,
    links: Vec<Link>,
    now: Micros,
    step: u64,
    seq: u64,
    queue: EventQueue,
    urgent: VecDeque<Scheduled>,
    nodes: Vec<Node<P>>,
    msgs: Vec<Option<InFlight<P::Msg>>>,
    free: Vec<u32>,
    in_flight: usize,
    next_msg: MsgId,
    next_timer: u64,
    /// `cut[from * n + to]`: messages on this directed pair are dropped on arrival.
    cut: Vec<bool>,
    /// Per directed node pair, the latest delivery time scheduled (FIFO links).
    last_delivery: Vec<Micros>,
    reorder: bool,
    net_rng: ChaCha8Rng,
    /// Draws for the nodes' hardware (drift, processing and write times), a stream of its own so
    /// that turning them on does not change what the network draws.
    hw_rng: ChaCha8Rng,
    /// Whether nodes spend time on writes or processing ([`Topology::has_hardware_delays`]).
    hw: bool,
    /// When each node last crashed or restarted.
    failed_at: Vec<Micros>,
    /// When a partition or a link's loss last changed.
    network_failed_at: Micros,
    record: Record<P>,
    effects: Vec<Effect<P>>,
    /// Per script entry with `when` (else `Pending` for good), where it stands.
    due: Vec<Due>,
    /// Entries in `Due::Waiting`.
    waiting: usize,
}

/// Whether this build models the nodes' hardware (storage latency, drift, processing time): the
/// `hardware` feature. Pages whose protocols never persist leave it out.
pub const HARDWARE: bool = cfg!(feature = "hardware");

/// The stream of the nodes' hardware draws (drift, processing, writes).
pub const HARDWARE_STREAM: u64 = u64::MAX - 2;

/// RNG streams: stream 0 is the network, node `i` is stream `i + 1`, so adding a node does not
/// change the others' draws; [`HARDWARE_STREAM`] is the nodes' hardware. ChaCha8 from `rand_chacha`, whose output is documented as portable.
pub fn rng_stream(seed: u64, stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream);
    rng
}

impl<P: Protocol> Sim<P> {
    /// A new simulation at time 0 with every node about to start.
    pub fn new(topology: Topology, params: P::Params, seed: u64, script: Vec<ScriptEntry>) -> Sim<P> {
        let n = topology.nodes.len();
        let mut hw_rng = rng_stream(seed, HARDWARE_STREAM);
        let hw = HARDWARE && topology.has_hardware_delays();
        let drift = topology.drift_ppm as u64;
        let mut nodes: Vec<Node<P>> = (0..n)
            .map(|i| Node {
                state: NodeState::Booting,
                paused_until: None,
                pause_token: 0,
                deferred: Vec::new(),
                clock: Clock::default(),
                clock_since: 0,
                past_clocks: Vec::new(),
                rng: rng_stream(seed, i as u64 + 1),
                timers: Vec::new(),
                busy_until: 0,
                base_drift: 0,
                last_write: None,
            })
            .collect();
        if HARDWARE && drift > 0 {
            for node in nodes.iter_mut() {
                node.base_drift = random_below(&mut hw_rng, 2 * drift + 1) as i32 - drift as i32;
                node.clock.drift_ppm = node.base_drift;
            }
        }
        let mut sim = Sim {
            links: topology.links.clone(),
            topology: Arc::new(topology),
            params: Arc::new(params),
            properties: Arc::new(P::properties()),
            script: Arc::new(script),
            now: 0,
            step: 0,
            seq: 0,
            queue: EventQueue::default(),
            urgent: VecDeque::new(),
            nodes,
            msgs: Vec::new(),
            free: Vec::new(),
            in_flight: 0,
            next_msg: 0,
            next_timer: 0,
            cut: vec![false; n * n],
            last_delivery: vec![0; n * n],
            reorder: false,
            net_rng: rng_stream(seed, 0),
            hw_rng,
            hw,
            failed_at: vec![0; n],
            network_failed_at: 0,
            record: Record {
                step: 0,
                time: 0,
                what: What::Idle,
                sent: (0, 0),
                dropped: Vec::new(),
                notes: Vec::new(),
                moments: Vec::new(),
                writes: Vec::new(),
            },
            effects: Vec::new(),
            due: Vec::new(),
            waiting: 0,
        };
        sim.due = vec![Due::Pending; sim.script.len()];
        for i in 0..n {
            sim.schedule(0, Event::Start(i as NodeId));
        }
        for i in 0..sim.script.len() {
            let at = sim.script[i].at_us;
            sim.schedule(at, Event::Script(i as u32));
        }
        sim
    }

    // ---- reading -------------------------------------------------------------------------

    pub fn now(&self) -> Micros {
        self.now
    }
    /// Steps applied so far.
    pub fn step_count(&self) -> u64 {
        self.step
    }
    pub fn topology(&self) -> &Topology {
        &self.topology
    }
    pub fn params(&self) -> &P::Params {
        &self.params
    }
    pub fn links(&self) -> &[Link] {
        &self.links
    }
    pub fn link(&self, from: DcId, to: DcId) -> Link {
        self.links[from as usize * self.topology.datacenters.len() + to as usize]
    }
    pub fn properties(&self) -> &[Property<P>] {
        &self.properties
    }
    pub fn next_msg_id(&self) -> MsgId {
        self.next_msg
    }
    pub fn reorder(&self) -> bool {
        self.reorder
    }
    pub fn status(&self, node: NodeId) -> Status {
        let n = &self.nodes[node as usize];
        match n.state {
            NodeState::Booting => Status::Booting,
            NodeState::Down(_) => Status::Crashed,
            NodeState::Up(_) if n.paused_until.is_some() => Status::Paused,
            NodeState::Up(_) => Status::Up,
        }
    }
    pub fn paused_until(&self, node: NodeId) -> Option<Micros> {
        self.nodes[node as usize].paused_until
    }
    /// The node's state when it is up (or paused).
    pub fn state(&self, node: NodeId) -> Option<&P> {
        match &self.nodes[node as usize].state {
            NodeState::Up(p) => Some(p),
            _ => None,
        }
    }
    /// What a crashed node kept.
    pub fn durable(&self, node: NodeId) -> Option<P::Durable> {
        match &self.nodes[node as usize].state {
            NodeState::Up(p) => Some(p.durable()),
            NodeState::Down(d) => Some(d.clone()),
            NodeState::Booting => None,
        }
    }
    /// The durable write `node` is doing now, if any (storage that is not free).
    pub fn writing(&self, node: NodeId) -> Option<Write> {
        self.nodes[node as usize].last_write.filter(|w| w.end > self.now)
    }
    pub fn clock(&self, node: NodeId) -> Clock {
        self.nodes[node as usize].clock
    }
    pub fn local_time(&self, node: NodeId) -> Micros {
        self.nodes[node as usize].clock.local(self.now)
    }
    /// The simulated time, up to now, at which `node`'s clock read `local`, through the clock
    /// changes it went through (jumps, drift, a final heal). A backward jump can make a clock
    /// read the same twice: `latest` picks the later instant, else the earlier. `None` when the
    /// clock never read it (or read it before the changes remembered).
    pub fn real_time_of(&self, node: NodeId, local: Micros, latest: bool) -> Option<Micros> {
        let n = &self.nodes[node as usize];
        let past = n.past_clocks.len();
        // Span k: clock k from its start until the next one's (the current clock until now).
        let hit = |k: usize| {
            let (since, clock) = n.past_clocks.get(k).copied().unwrap_or((n.clock_since, n.clock));
            let until = n.past_clocks.get(k + 1).map_or(n.clock_since, |next| next.0);
            let until = if k == past { self.now.saturating_add(1) } else { until };
            let t = clock.real(local, since);
            (t < until && clock.local(t) == local).then_some(t)
        };
        if latest {
            (0..=past).rev().find_map(hit)
        } else {
            (0..=past).find_map(hit)
        }
    }
    /// Active timers of a node: (timer, local deadline, simulated deadline).
    pub fn timers(&self, node: NodeId) -> Vec<(P::Timer, Micros, Micros)> {
        let n = &self.nodes[node as usize];
        n.timers.iter().map(|t| (t.timer.clone(), t.local_deadline, n.clock.real(t.local_deadline, self.now))).collect()
    }
    /// The node's active timer that its protocol shows as a countdown ([`Protocol::countdown`]).
    pub fn countdown(&self, node: NodeId) -> Option<Countdown> {
        let n = &self.nodes[node as usize];
        n.timers.iter().find_map(|t| {
            P::countdown(&t.timer).map(|label| Countdown {
                label,
                fires_at: n.clock.real(t.local_deadline, self.now),
                duration_us: t.after_us,
            })
        })
    }
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        self.cut[from as usize * self.nodes.len() + to as usize]
    }
    /// Messages in flight (including those waiting for a paused node), by id.
    pub fn in_flight(&self) -> Vec<&InFlight<P::Msg>> {
        self.in_flight_first(usize::MAX)
    }
    /// The `limit` oldest messages in flight, by id: what a view can draw of a flooded network
    /// without touching every message.
    pub fn in_flight_first(&self, limit: usize) -> Vec<&InFlight<P::Msg>> {
        // Ordered as (id, slot) pairs: one sort for every protocol instead of one per message type.
        let mut order: Vec<(MsgId, u32)> =
            self.msgs.iter().enumerate().filter_map(|(slot, m)| Some((m.as_ref()?.id, slot as u32))).collect();
        if order.len() > limit {
            order.select_nth_unstable(limit);
            order.truncate(limit);
        }
        order.sort_unstable();
        order.into_iter().filter_map(|(_, slot)| self.msgs[slot as usize].as_ref()).collect()
    }
    pub fn in_flight_count(&self) -> usize {
        self.in_flight
    }
    pub fn message(&self, id: MsgId) -> Option<&InFlight<P::Msg>> {
        self.msgs.iter().flatten().find(|m| m.id == id)
    }
    /// The time of the next pending event, if any.
    pub fn next_event_time(&self) -> Option<Micros> {
        if !self.urgent.is_empty() {
            return Some(self.now);
        }
        self.queue.peek().map(|s| s.time)
    }
    /// The last time a real failure touched `a`, `b` or the network: a crash or restart of
    /// either, a partition or heal, a change of loss. Pauses, clock faults and latency changes
    /// are deliberately not failures: they are what makes a live node look dead.
    pub fn last_failure(&self, a: NodeId, b: NodeId) -> Micros {
        self.network_failed_at.max(self.failed_at[a as usize]).max(self.failed_at[b as usize])
    }

    /// What the last applied step did (its notes, which of them are key moments).
    pub fn last_record(&self) -> &Record<P> {
        &self.record
    }

    /// Checks the properties of one kind; returns the failures, in declaration order.
    pub fn check(&self, kind: PropertyKind) -> Vec<(usize, Failure)> {
        let view = View::of(self);
        self.properties
            .iter()
            .enumerate()
            .filter(|(_, p)| p.kind == kind)
            .filter_map(|(i, p)| (p.check)(&view).err().map(|f| (i, f)))
            .collect()
    }

    // ---- the mutation point --------------------------------------------------------------

    /// Applies one input. `Ok(None)` means `Step` found nothing left to do.
    pub fn apply<O: Observer<P>>(&mut self, input: Input, obs: &mut O) -> Result<Option<&Record<P>>, SimError> {
        self.apply_until(input, Micros::MAX, obs)
    }

    /// Applies the next event only if it happens no later than `until`: `Ok(None)` when there is
    /// none. Stale entries (cancelled timers, lost messages) do not count: the first live event
    /// decides, so a run stepped to `until` never ends past it.
    pub fn step_until<O: Observer<P>>(&mut self, until: Micros, obs: &mut O) -> Result<Option<&Record<P>>, SimError> {
        self.apply_until(Input::Step, until, obs)
    }

    /// [`Sim::apply`], where a `Step` leaves every event later than `limit` in the queue.
    pub(crate) fn apply_until<O: Observer<P>>(
        &mut self,
        input: Input,
        limit: Micros,
        obs: &mut O,
    ) -> Result<Option<&Record<P>>, SimError> {
        self.record.dropped.clear();
        self.record.notes.clear();
        self.record.moments.clear();
        self.record.writes.clear();
        self.record.sent = (self.next_msg, self.next_msg);
        let done = match input {
            Input::Step => self.step_event(limit, obs)?,
            other => {
                self.begin(self.now);
                self.apply_fault(&other, obs)?;
                self.record.what = What::Input { input: Box::new(other), scripted: false, role: None };
                true
            }
        };
        if !done {
            return Ok(None);
        }
        self.record.sent.1 = self.next_msg;
        self.step += 1;
        obs.stepped(&self.record);
        if self.waiting > 0 {
            self.check_waiting();
        }
        Ok(Some(&self.record))
    }

    fn begin(&mut self, time: Micros) {
        self.now = self.now.max(time);
        self.record.step = self.step;
        self.record.time = self.now;
    }

    fn schedule(&mut self, time: Micros, event: Event) -> u64 {
        self.seq += 1;
        self.queue.push(Scheduled { time, seq: self.seq, event });
        self.seq
    }

    fn pop(&mut self) -> Option<Scheduled> {
        if let Some(s) = self.urgent.pop_front() {
            return Some(s);
        }
        self.queue.pop()
    }

    /// Pops events until one is live, then applies it. Returns false when the queue is empty or
    /// its next event is later than `limit` (that event stays queued, in its place).
    fn step_event<O: Observer<P>>(&mut self, limit: Micros, obs: &mut O) -> Result<bool, SimError> {
        while self.next_event_time().is_some_and(|t| t <= limit) {
            let s = self.pop().expect("an event was peeked");
            match s.event {
                Event::Start(node) => {
                    self.begin(s.time);
                    self.record.what = What::Start { node };
                    self.boot(node, None, obs)?;
                    return Ok(true);
                }
                Event::Deliver { slot, token } => {
                    let live = matches!(&self.msgs[slot as usize], Some(m) if m.token == token);
                    if !live {
                        continue;
                    }
                    let target = self.msgs[slot as usize].as_ref().expect("live").target;
                    if self.nodes[target as usize].paused_until.is_some() {
                        self.nodes[target as usize].deferred.push(s);
                        continue;
                    }
                    self.begin(s.time);
                    self.deliver(slot, obs)?;
                    return Ok(true);
                }
                Event::Timer { node, id } => {
                    let n = &mut self.nodes[node as usize];
                    let Some(i) = n.timers.iter().position(|t| t.id == id) else {
                        continue;
                    };
                    if n.paused_until.is_some() {
                        n.deferred.push(s);
                        continue;
                    }
                    let timer = n.timers.swap_remove(i).timer;
                    self.begin(s.time);
                    self.record.what = What::Timer { node, timer: timer.clone() };
                    self.handle(node, obs, |p, ctx| p.on_timer(ctx, timer))?;
                    return Ok(true);
                }
                Event::Resume { node, token } => {
                    let n = &self.nodes[node as usize];
                    if n.paused_until.is_none() || token != n.pause_token {
                        continue;
                    }
                    self.begin(s.time);
                    self.record.what = What::Resume { node };
                    self.resume(node);
                    self.handle(node, obs, |p, ctx| p.on_resume(ctx))?;
                    return Ok(true);
                }
                Event::Script(i) if self.script[i as usize].when.is_some() => {
                    if self.script_when(i, s.time, obs)? {
                        return Ok(true);
                    }
                }
                Event::Script(i) => {
                    self.begin(s.time);
                    let input = self.script[i as usize].input.clone();
                    if let Err(e) = self.apply_fault(&input, obs) {
                        // A script may ask for something the run has made moot (restart a node
                        // that is up): say so and go on.
                        let node = input.node().unwrap_or(0);
                        self.record.notes.push((node, format!("script input skipped: {e}")));
                    }
                    self.record.what = What::Input { input: Box::new(input), scripted: true, role: None };
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// A due script entry with `when` (its event popped at `time`). Returns whether it made a
    /// step: it applied its input, or gave up. Waiting makes no step.
    fn script_when<O: Observer<P>>(&mut self, i: u32, time: Micros, obs: &mut O) -> Result<bool, SimError> {
        let entry = &self.script[i as usize];
        let when = entry.when.clone().expect("an entry with `when`");
        let at_us = entry.at_us;
        let skip = |sim: &mut Self, reason: String| {
            if matches!(sim.due[i as usize], Due::Waiting { .. }) {
                sim.waiting -= 1;
            }
            sim.due[i as usize] = Due::Skipped;
            sim.begin(time);
            sim.record.what = What::ScriptSkipped { entry: i, reason };
            true
        };
        if let Some(j) = when.same_as {
            return Ok(match self.due.get(j as usize).cloned() {
                Some(Due::Done { node, at, phrase }) => {
                    let phrase = phrase.map(|p| format!("{p} at {}", crate::time::format_micros(at)));
                    self.fire(i, node, time, phrase, obs)?;
                    true
                }
                _ if self.script.get(j as usize).is_some_and(|e| e.when.is_none()) => {
                    let node = self.script[j as usize].input.node().expect("validated: names a node");
                    self.fire(i, node, time, None, obs)?;
                    true
                }
                _ => skip(self, format!("script[{j}], whose node it names, did not happen")),
            });
        }
        let (role, arg) = when.role_parts().expect("validated: a role or same_as");
        let role_info = P::roles().iter().find(|r| r.name == role).copied();
        let phrase = role_info.map_or_else(|| role.to_string(), |r| r.phrase_of(arg));
        match self.due[i as usize].clone() {
            Due::Done { .. } | Due::Skipped => Ok(false),
            Due::Pending => {
                let holders = P::with_role(&View::of(self), role, arg);
                if !when.newly {
                    if let Some(&node) = holders.first() {
                        self.fire(i, node, time, Some(phrase), obs)?;
                        return Ok(true);
                    }
                }
                let mut had = vec![false; self.nodes.len()];
                for n in holders {
                    had[n as usize] = true;
                }
                let deadline = at_us.saturating_add(when.within_us.unwrap_or(DEFAULT_WITHIN_US));
                self.due[i as usize] = Due::Waiting { deadline, had, chosen: None };
                self.waiting += 1;
                self.schedule(deadline, Event::Script(i));
                Ok(false)
            }
            Due::Waiting { chosen: Some(node), .. } => {
                self.waiting -= 1;
                self.fire(i, node, time, Some(phrase), obs)?;
                Ok(true)
            }
            Due::Waiting { deadline, chosen: None, .. } if time >= deadline => {
                let from = crate::time::format_micros(at_us);
                let to = crate::time::format_micros(deadline);
                let who = if when.newly { format!("became {phrase}") } else { format!("was {phrase}") };
                Ok(skip(self, format!("from {from} to {to}, no node {who}")))
            }
            Due::Waiting { .. } => Ok(false),
        }
    }

    /// Applies entry `i`'s input aimed at `node` as this step.
    fn fire<O: Observer<P>>(
        &mut self,
        i: u32,
        node: NodeId,
        time: Micros,
        phrase: Option<String>,
        obs: &mut O,
    ) -> Result<(), SimError> {
        self.begin(time);
        let input =
            self.script[i as usize].input.aimed_at(node, &self.topology).expect("validated: an input with a target");
        // A partition names no node: say whose datacenter it cuts off.
        let phrase = match (&phrase, input.node()) {
            (Some(p), None) => Some(format!("{} ({p})", self.name(node))),
            _ => phrase,
        };
        if let Err(e) = self.apply_fault(&input, obs) {
            if let SimError::Limit(_) = e {
                return Err(e);
            }
            self.record.notes.push((node, format!("script input skipped: {e}")));
        }
        self.due[i as usize] = Due::Done { node, at: self.now, phrase: phrase.clone() };
        self.record.what = What::Input { input: Box::new(input), scripted: true, role: phrase };
        Ok(())
    }

    /// After a step: does a waiting entry's role now have a node? Then its input comes next.
    fn check_waiting(&mut self) {
        for i in 0..self.due.len() {
            let Due::Waiting { chosen: None, .. } = &self.due[i] else { continue };
            let when = self.script[i].when.as_ref().expect("waiting entries have `when`");
            let (role, arg) = when.role_parts().expect("waiting entries have a role");
            let newly = when.newly;
            let holders = P::with_role(&View::of(self), role, arg);
            let Due::Waiting { had, chosen, .. } = &mut self.due[i] else { unreachable!() };
            let found = if newly {
                let found = holders.iter().copied().find(|&n| !had[n as usize]);
                had.iter_mut().for_each(|h| *h = false);
                for &n in &holders {
                    had[n as usize] = true;
                }
                found
            } else {
                holders.first().copied()
            };
            if let Some(node) = found {
                *chosen = Some(node);
                let now = self.now;
                self.seq += 1;
                self.urgent.push_back(Scheduled { time: now, seq: self.seq, event: Event::Script(i as u32) });
            }
        }
    }

    fn deliver<O: Observer<P>>(&mut self, slot: u32, obs: &mut O) -> Result<(), SimError> {
        let m = self.msgs[slot as usize].take().expect("live message");
        self.free.push(slot);
        self.in_flight -= 1;
        let (from, to) = (m.source, m.target);
        let reason = if !matches!(self.nodes[to as usize].state, NodeState::Up(_)) {
            Some(DropReason::NodeDown)
        } else if self.is_cut(from, to) {
            Some(DropReason::Partition)
        } else if m.lost {
            Some(DropReason::Loss)
        } else {
            None
        };
        obs.finished(m.id, self.step, self.now, reason);
        match reason {
            Some(reason) => {
                self.record.what = What::Drop { msg: m.id, from, to, reason };
                Ok(())
            }
            None => {
                self.record.what = What::Deliver { msg: m.id, from, to };
                self.handle(to, obs, |p, ctx| p.on_message(ctx, from, m.msg))
            }
        }
    }

    fn boot<O: Observer<P>>(&mut self, node: NodeId, durable: Option<P::Durable>, obs: &mut O) -> Result<(), SimError> {
        let now = self.now;
        let slot = &mut self.nodes[node as usize];
        let mut ctx = Ctx {
            id: node,
            now: slot.clock.local(now),
            topology: &self.topology,
            params: &*self.params,
            rng: &mut slot.rng,
            effects: &mut self.effects,
        };
        let state = P::init(&mut ctx, durable);
        slot.state = NodeState::Up(state);
        self.carry_out(node, obs)
    }

    /// Runs a handler on an up node and carries out its effects.
    fn handle<O: Observer<P>>(
        &mut self,
        node: NodeId,
        obs: &mut O,
        f: impl FnOnce(&mut P, &mut Ctx<'_, P>),
    ) -> Result<(), SimError> {
        let now = self.now;
        let slot = &mut self.nodes[node as usize];
        let NodeState::Up(state) = &mut slot.state else {
            return Ok(());
        };
        let mut ctx = Ctx {
            id: node,
            now: slot.clock.local(now),
            topology: &self.topology,
            params: &*self.params,
            rng: &mut slot.rng,
            effects: &mut self.effects,
        };
        f(state, &mut ctx);
        self.carry_out(node, obs)
    }

    /// Carries out the effects of `node`'s handler in order. On hardware with costs, the node
    /// first handles the event (after what it was still busy with), then each durable write
    /// holds back the effects after it: a message leaves once the writes before it are on disk,
    /// as real implementations sync before they reply.
    fn carry_out<O: Observer<P>>(&mut self, node: NodeId, obs: &mut O) -> Result<(), SimError> {
        let mut effects = std::mem::take(&mut self.effects);
        let mut result = Ok(());
        let mut at = self.now;
        if self.hw {
            let p = self.topology.processing;
            at = at.max(self.nodes[node as usize].busy_until) + p.us + self.hw_draw(p.jitter_us);
        }
        let handled = at;
        // Writes asked for before the same send are one write (named by the last), as an
        // implementation syncs once before it replies.
        let mut unwritten = None;
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } => {
                    if let Some(what) = unwritten.take() {
                        at = self.write(node, what, at);
                    }
                    if let Err(e) = self.send(node, to, msg, at, obs) {
                        result = Err(e);
                        break;
                    }
                }
                Effect::Persist(what) => unwritten = HARDWARE.then_some(what),
                Effect::SetTimer { timer, after_us } => self.set_timer(node, timer, after_us, handled),
                Effect::CancelTimer { timer } => self.nodes[node as usize].timers.retain(|t| t.timer != timer),
                Effect::Note(text) => self.record.notes.push((node, text)),
                Effect::Moment(text) => {
                    self.record.moments.push(self.record.notes.len());
                    self.record.notes.push((node, text));
                }
            }
        }
        effects.clear();
        self.effects = effects;
        if let Some(what) = unwritten {
            at = self.write(node, what, at);
        }
        if self.hw {
            self.nodes[node as usize].busy_until = at;
        }
        result
    }

    /// `node` writes `what` to its disk from `start`; returns when the write is done.
    fn write(&mut self, node: NodeId, what: &'static str, start: Micros) -> Micros {
        let d = self.topology.storage_of(self.topology.dc_of(node));
        if !HARDWARE || d.is_zero() {
            return start;
        }
        let end = start + d.us + self.hw_draw(d.jitter_us);
        let w = Write { node, what, start, end };
        self.record.writes.push(w);
        self.nodes[node as usize].last_write = Some(w);
        end
    }

    /// A uniform draw in `0..=jitter` for the hardware (none for 0).
    fn hw_draw(&mut self, jitter: Micros) -> Micros {
        if jitter == 0 {
            0
        } else {
            random_below(&mut self.hw_rng, jitter + 1)
        }
    }

    /// Sends `msg`, leaving `from` at `departs` (now, or later on a busy node).
    fn send<O: Observer<P>>(
        &mut self,
        from: NodeId,
        to: NodeId,
        msg: P::Msg,
        departs: Micros,
        obs: &mut O,
    ) -> Result<(), SimError> {
        assert!((to as usize) < self.nodes.len(), "node {from} sent to unknown node {to}");
        if self.in_flight >= MAX_IN_FLIGHT {
            return Err(SimError::Limit(format!("more than {MAX_IN_FLIGHT} messages in flight")));
        }
        let n = self.topology.datacenters.len();
        let link = self.links[self.topology.dc_of(from) as usize * n + self.topology.dc_of(to) as usize];
        let mut latency = link.latency_us;
        if link.jitter_us > 0 {
            latency += random_below(&mut self.net_rng, link.jitter_us + 1);
        }
        let lost = link.loss_ppm > 0 && random_below(&mut self.net_rng, 1_000_000) < link.loss_ppm as u64;
        let mut deliver_at = departs.saturating_add(latency);
        let pair = from as usize * self.nodes.len() + to as usize;
        if !self.reorder {
            deliver_at = deliver_at.max(self.last_delivery[pair]);
            self.last_delivery[pair] = deliver_at;
        }
        let id = self.next_msg;
        self.next_msg += 1;
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                self.msgs.push(None);
                (self.msgs.len() - 1) as u32
            }
        };
        // The delivery's token is its own sequence number; dropping or re-timing the message
        // changes the token and makes this event stale.
        let token = self.seq + 1;
        self.schedule(deliver_at, Event::Deliver { slot, token });
        let m = InFlight {
            id,
            source: from,
            target: to,
            sent_at: departs,
            deliver_at,
            sent_step: self.step,
            lost,
            msg,
            token,
        };
        obs.sent(&m);
        self.msgs[slot as usize] = Some(m);
        self.in_flight += 1;
        Ok(())
    }

    /// Sets `timer` to fire `after_us` of the node's local time after `from` (now, or when a busy
    /// node has handled the event).
    fn set_timer(&mut self, node: NodeId, timer: P::Timer, after_us: Micros, from: Micros) {
        let now = self.now;
        let id = self.next_timer;
        self.next_timer += 1;
        let n = &mut self.nodes[node as usize];
        n.timers.retain(|t| t.timer != timer);
        let local_deadline = n.clock.local(from).saturating_add(after_us);
        let real = n.clock.real(local_deadline, now);
        n.timers.push(ActiveTimer { id, timer, local_deadline, after_us });
        self.schedule(real, Event::Timer { node, id });
    }

    /// After a clock change, every active timer of the node gets a new simulated deadline.
    fn reschedule_timers(&mut self, node: NodeId) {
        let now = self.now;
        let mut timers = std::mem::take(&mut self.nodes[node as usize].timers);
        for t in timers.iter_mut() {
            t.id = self.next_timer;
            self.next_timer += 1;
            let real = self.nodes[node as usize].clock.real(t.local_deadline, now);
            self.schedule(real, Event::Timer { node, id: t.id });
        }
        self.nodes[node as usize].timers = timers;
    }

    /// Gives `node` a new clock from now on, remembering the old one; its timers follow.
    fn set_clock(&mut self, node: NodeId, clock: Clock) {
        let now = self.now;
        let n = &mut self.nodes[node as usize];
        if n.past_clocks.len() == CLOCK_HISTORY {
            n.past_clocks.remove(0);
        }
        n.past_clocks.push((n.clock_since, n.clock));
        n.clock = clock;
        n.clock_since = now;
        self.reschedule_timers(node);
    }

    fn resume(&mut self, node: NodeId) {
        let n = &mut self.nodes[node as usize];
        n.paused_until = None;
        let mut deferred = std::mem::take(&mut n.deferred);
        deferred.sort();
        for s in deferred {
            self.seq += 1;
            self.queue.push(Scheduled { time: self.now.max(s.time), seq: self.seq, event: s.event });
        }
    }

    fn check_node(&self, node: NodeId) -> Result<(), SimError> {
        if (node as usize) < self.nodes.len() {
            Ok(())
        } else {
            Err(SimError::Input(format!("there is no node {node} (the run has {} nodes)", self.nodes.len())))
        }
    }

    fn name(&self, node: NodeId) -> &str {
        &self.topology.nodes[node as usize].name
    }

    fn slot_of(&self, msg: MsgId) -> Result<u32, SimError> {
        self.msgs
            .iter()
            .position(|m| matches!(m, Some(m) if m.id == msg))
            .map(|s| s as u32)
            .ok_or_else(|| SimError::Input(format!("message #{msg} is not in flight")))
    }

    fn endpoints(&self, side: &[Endpoint], name: &str) -> Result<Vec<NodeId>, SimError> {
        let mut nodes = Vec::new();
        for e in side {
            match *e {
                Endpoint::Node(n) => {
                    self.check_node(n)?;
                    nodes.push(n);
                }
                Endpoint::Dc(d) => {
                    if d as usize >= self.topology.datacenters.len() {
                        return Err(SimError::Input(format!("partition side {name}: there is no datacenter {d}")));
                    }
                    nodes.extend(self.topology.nodes_in(d));
                }
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        if nodes.is_empty() {
            return Err(SimError::Input(format!("partition side {name} has no nodes")));
        }
        Ok(nodes)
    }

    fn crash<O: Observer<P>>(&mut self, node: NodeId, obs: &mut O) {
        let n = &mut self.nodes[node as usize];
        let NodeState::Up(state) = &n.state else {
            return;
        };
        n.state = NodeState::Down(state.durable());
        n.timers.clear();
        n.paused_until = None;
        let deferred = std::mem::take(&mut n.deferred);
        let busy = std::mem::replace(&mut n.busy_until, 0) > self.now;
        n.last_write = None;
        self.failed_at[node as usize] = self.now;
        if HARDWARE && busy {
            // What it had not sent yet never leaves (its writes are on disk: the durable state
            // keeps them, as a write that reached the disk just before the crash).
            let now = self.now;
            for slot in 0..self.msgs.len() {
                if self.msgs[slot].as_ref().is_some_and(|m| m.source == node && m.sent_at > now) {
                    let m = self.msgs[slot].take().expect("checked");
                    self.free.push(slot as u32);
                    self.in_flight -= 1;
                    obs.finished(m.id, self.step, now, Some(DropReason::NeverSent));
                    self.record.dropped.push((m.id, DropReason::NeverSent));
                }
            }
        }
        for s in deferred {
            if let Event::Deliver { slot, .. } = s.event {
                if let Some(m) = self.msgs[slot as usize].take() {
                    self.free.push(slot);
                    self.in_flight -= 1;
                    obs.finished(m.id, self.step, self.now, Some(DropReason::NodeDown));
                    self.record.dropped.push((m.id, DropReason::NodeDown));
                }
            }
        }
    }

    fn apply_fault<O: Observer<P>>(&mut self, input: &Input, obs: &mut O) -> Result<(), SimError> {
        let bad = |m: String| Err(SimError::Input(m));
        if let Some(node) = input.node() {
            self.check_node(node)?;
        }
        match input {
            Input::Step => unreachable!("Step is not a fault"),
            Input::Crash { node } => match self.status(*node) {
                Status::Crashed => return bad(format!("{} is already crashed", self.name(*node))),
                Status::Booting => return bad(format!("{} has not started yet", self.name(*node))),
                _ => self.crash(*node, obs),
            },
            Input::Restart { node } => {
                let NodeState::Down(durable) = &self.nodes[*node as usize].state else {
                    return bad(format!("{} is not crashed", self.name(*node)));
                };
                let durable = durable.clone();
                self.failed_at[*node as usize] = self.now;
                self.boot(*node, Some(durable), obs)?;
            }
            Input::Pause { node, duration_us } => {
                if self.status(*node) != Status::Up && self.status(*node) != Status::Paused {
                    return bad(format!("{} is not running", self.name(*node)));
                }
                if *duration_us == 0 || *duration_us > MAX_FAULT_US {
                    return bad(format!("a pause must last between 1 µs and {MAX_FAULT_US} µs"));
                }
                let until = self.now + duration_us;
                // A new pause replaces the old one: only the latest Resume counts.
                let token = self.seq + 1;
                let n = &mut self.nodes[*node as usize];
                n.paused_until = Some(until);
                n.pause_token = token;
                self.schedule(until, Event::Resume { node: *node, token });
            }
            Input::Skew { node, by_us } => {
                if by_us.unsigned_abs() > MAX_FAULT_US {
                    return bad(format!("a clock jump is at most {MAX_FAULT_US} µs"));
                }
                let mut clock = self.nodes[*node as usize].clock;
                clock.offset_us += by_us;
                self.set_clock(*node, clock);
            }
            Input::Drift { node, ppm } => {
                if ppm.unsigned_abs() > MAX_DRIFT_PPM as u32 {
                    return bad(format!("drift is at most ±{MAX_DRIFT_PPM} ppm"));
                }
                let mut clock = self.nodes[*node as usize].clock;
                clock.set_drift(self.now, *ppm);
                self.set_clock(*node, clock);
            }
            Input::Partition { a, b, one_way } => {
                let a = self.endpoints(a, "a")?;
                let b = self.endpoints(b, "b")?;
                if let Some(x) = a.iter().find(|x| b.contains(x)) {
                    return bad(format!("{} is on both sides of the partition", self.name(*x)));
                }
                let n = self.nodes.len();
                for &x in &a {
                    for &y in &b {
                        self.cut[x as usize * n + y as usize] = true;
                        if !one_way {
                            self.cut[y as usize * n + x as usize] = true;
                        }
                    }
                }
                self.network_failed_at = self.now;
            }
            Input::Heal => {
                self.cut.iter_mut().for_each(|c| *c = false);
                self.network_failed_at = self.now;
            }
            Input::HealAll => {
                self.cut.iter_mut().for_each(|c| *c = false);
                self.links = self.topology.links.clone();
                self.network_failed_at = self.now;
                for node in 0..self.nodes.len() as NodeId {
                    match self.status(node) {
                        Status::Paused => {
                            self.resume(node);
                            self.handle(node, obs, |p, ctx| p.on_resume(ctx))?;
                        }
                        Status::Crashed => {
                            self.apply_fault(&Input::Restart { node }, obs)?;
                        }
                        _ => {}
                    }
                    let n = &self.nodes[node as usize];
                    let hardware = Clock { drift_ppm: n.base_drift, ..Clock::default() };
                    if n.clock != hardware {
                        self.set_clock(node, Clock { offset_us: 0, drift_ppm: n.base_drift, anchor: self.now });
                    }
                }
            }
            Input::SetLink { from, to, latency_us, jitter_us, loss_ppm, one_way } => {
                let dcs = self.topology.datacenters.len();
                if *from as usize >= dcs || *to as usize >= dcs {
                    return bad(format!("there is no datacenter {} (the run has {dcs})", (*from).max(*to)));
                }
                check_link("link", *latency_us, *jitter_us, *loss_ppm).map_err(|e| SimError::Input(e.0))?;
                let link =
                    Link { latency_us: *latency_us as Micros, jitter_us: *jitter_us as Micros, loss_ppm: *loss_ppm };
                let old = self.links[*from as usize * dcs + *to as usize];
                if old.loss_ppm != link.loss_ppm {
                    self.network_failed_at = self.now;
                }
                self.links[*from as usize * dcs + *to as usize] = link;
                if !one_way {
                    self.links[*to as usize * dcs + *from as usize] = link;
                }
            }
            Input::Reorder { enabled } => {
                self.reorder = *enabled;
            }
            Input::Drop { msg } => {
                let slot = self.slot_of(*msg)?;
                self.msgs[slot as usize] = None;
                self.free.push(slot);
                self.in_flight -= 1;
                obs.finished(*msg, self.step, self.now, Some(DropReason::ByHand));
                self.record.dropped.push((*msg, DropReason::ByHand));
            }
            Input::Duplicate { msg } => {
                let slot = self.slot_of(*msg)?;
                let m = self.msgs[slot as usize].as_ref().expect("slot_of found it");
                let (from, to, payload) = (m.source, m.target, m.msg.clone());
                self.send(from, to, payload, self.now, obs)?;
            }
            Input::DeliverNext { msg } => {
                let slot = self.slot_of(*msg)?;
                self.seq += 1;
                let token = self.seq;
                let now = self.now;
                let m = self.msgs[slot as usize].as_mut().expect("slot_of found it");
                m.token = token;
                m.deliver_at = now;
                self.urgent.push_back(Scheduled { time: now, seq: token, event: Event::Deliver { slot, token } });
            }
            #[cfg(feature = "explore")]
            Input::FireNext { node, timer } => {
                self.check_node(*node)?;
                let id = self.next_timer;
                let name = self.name(*node).to_string();
                let n = &mut self.nodes[*node as usize];
                let Some(t) = n.timers.iter_mut().find(|t| serde_json::to_value(&t.timer).ok().as_ref() == Some(timer))
                else {
                    return bad(format!("{name} has no pending timer {timer}"));
                };
                // The queued event keeps the old id and is skipped when it comes.
                t.id = id;
                self.next_timer += 1;
                self.seq += 1;
                let now = self.now;
                self.urgent.push_back(Scheduled { time: now, seq: self.seq, event: Event::Timer { node: *node, id } });
            }
            Input::Request { node, request } => {
                let request: P::Request = serde_json::from_value(request.clone())
                    .map_err(|e| SimError::Input(format!("not a {} request: {e}", P::NAME)))?;
                if !matches!(self.nodes[*node as usize].state, NodeState::Up(_)) {
                    return bad(format!("{} is not running", self.name(*node)));
                }
                // A paused process handles nothing, requests included (its deliveries wait too).
                if self.nodes[*node as usize].paused_until.is_some() {
                    return bad(format!("{} is paused: it handles no request until it resumes", self.name(*node)));
                }
                self.handle(*node, obs, |p, ctx| p.on_request(ctx, request))?;
            }
        }
        Ok(())
    }
}

/// A message in flight as properties see it.
#[derive(Clone, Copy, Debug)]
pub struct Envelope<'a, M> {
    pub source: NodeId,
    pub target: NodeId,
    pub msg: &'a M,
}

/// The messages in flight of a [`View`].
pub enum Messages<'a, M> {
    Sim(std::iter::Flatten<std::slice::Iter<'a, Option<InFlight<M>>>>),
    #[cfg(feature = "explore")]
    World(std::slice::Iter<'a, crate::explore::Env<M>>),
}

impl<'a, M> Iterator for Messages<'a, M> {
    type Item = Envelope<'a, M>;
    fn next(&mut self) -> Option<Envelope<'a, M>> {
        match self {
            Messages::Sim(it) => it.next().map(|m| Envelope { source: m.source, target: m.target, msg: &m.msg }),
            #[cfg(feature = "explore")]
            Messages::World(it) => it.next().map(|m| Envelope { source: m.source, target: m.target, msg: &m.msg }),
        }
    }
}

/// What properties see: the whole simulated world, read-only. Usually a [`Sim`]; with the
/// `explore` feature also a state of the exhaustive checker ([`crate::explore`]), which has no
/// time, clocks or partitions: there `now` is 0, clocks are exact and no link is cut.
pub struct View<'a, P: Protocol> {
    of: Of<'a, P>,
}

enum Of<'a, P: Protocol> {
    Sim(&'a Sim<P>),
    #[cfg(feature = "explore")]
    World(&'a crate::explore::World<P>, &'a crate::explore::Setup<P>),
}

impl<P: Protocol> Clone for Of<'_, P> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<P: Protocol> Copy for Of<'_, P> {}

impl<'a, P: Protocol> View<'a, P> {
    pub fn of(sim: &'a Sim<P>) -> View<'a, P> {
        View { of: Of::Sim(sim) }
    }
    #[cfg(feature = "explore")]
    pub(crate) fn of_world(world: &'a crate::explore::World<P>, setup: &'a crate::explore::Setup<P>) -> View<'a, P> {
        View { of: Of::World(world, setup) }
    }
    pub fn now(&self) -> Micros {
        match self.of {
            Of::Sim(sim) => sim.now,
            #[cfg(feature = "explore")]
            Of::World(..) => 0,
        }
    }
    pub fn node_ids(&self) -> std::ops::Range<NodeId> {
        0..self.topology().nodes.len() as NodeId
    }
    /// The state of every node that is up (or paused), with its id.
    pub fn up(&self) -> impl Iterator<Item = (NodeId, &'a P)> + 'a {
        let of = self.of;
        self.node_ids().filter_map(move |i| View { of }.state(i).map(|s| (i, s)))
    }
    pub fn state(&self, node: NodeId) -> Option<&'a P> {
        match self.of {
            Of::Sim(sim) => sim.state(node),
            #[cfg(feature = "explore")]
            Of::World(w, _) => w.state(node),
        }
    }
    /// What the node would keep if it crashed now (what it kept, if it is down).
    pub fn durable(&self, node: NodeId) -> Option<P::Durable> {
        match self.of {
            Of::Sim(sim) => sim.durable(node),
            #[cfg(feature = "explore")]
            Of::World(w, _) => w.durable(node),
        }
    }
    pub fn status(&self, node: NodeId) -> Status {
        match self.of {
            Of::Sim(sim) => sim.status(node),
            #[cfg(feature = "explore")]
            Of::World(w, _) => w.status(node),
        }
    }
    /// The messages in flight (including those waiting for a paused node).
    pub fn in_flight(&self) -> Messages<'a, P::Msg> {
        match self.of {
            Of::Sim(sim) => Messages::Sim(sim.msgs.iter().flatten()),
            #[cfg(feature = "explore")]
            Of::World(w, _) => Messages::World(w.net.iter()),
        }
    }
    pub fn params(&self) -> &'a P::Params {
        match self.of {
            Of::Sim(sim) => &sim.params,
            #[cfg(feature = "explore")]
            Of::World(_, setup) => &setup.params,
        }
    }
    pub fn topology(&self) -> &'a Topology {
        match self.of {
            Of::Sim(sim) => &sim.topology,
            #[cfg(feature = "explore")]
            Of::World(_, setup) => &setup.topology,
        }
    }
    pub fn last_failure(&self, a: NodeId, b: NodeId) -> Micros {
        match self.of {
            Of::Sim(sim) => sim.last_failure(a, b),
            #[cfg(feature = "explore")]
            Of::World(..) => 0,
        }
    }
    pub fn is_cut(&self, from: NodeId, to: NodeId) -> bool {
        match self.of {
            Of::Sim(sim) => sim.is_cut(from, to),
            #[cfg(feature = "explore")]
            Of::World(..) => false,
        }
    }
    /// The current link between the datacenters of two nodes.
    pub fn link_between(&self, from: NodeId, to: NodeId) -> Link {
        let t = self.topology();
        let (a, b) = (t.dc_of(from), t.dc_of(to));
        match self.of {
            Of::Sim(sim) => sim.link(a, b),
            #[cfg(feature = "explore")]
            Of::World(..) => t.link(a, b),
        }
    }
    pub fn clock(&self, node: NodeId) -> Clock {
        match self.of {
            Of::Sim(sim) => sim.clock(node),
            #[cfg(feature = "explore")]
            Of::World(..) => Clock::default(),
        }
    }
    /// See [`Sim::real_time_of`]: when `node`'s clock read `local`, in simulated time.
    pub fn real_time_of(&self, node: NodeId, local: Micros, latest: bool) -> Option<Micros> {
        match self.of {
            Of::Sim(sim) => sim.real_time_of(node, local, latest),
            #[cfg(feature = "explore")]
            Of::World(..) => Some(local),
        }
    }
    /// The node the last step happened at, if it happened at one node (a delivery, a timer, a
    /// fault on a node). A property about what a handler just did can look at this node alone.
    pub fn stepped_node(&self) -> Option<NodeId> {
        match self.of {
            Of::Sim(sim) => sim.record.what.node(),
            #[cfg(feature = "explore")]
            Of::World(w, _) => w.stepped,
        }
    }
    pub fn name(&self, node: NodeId) -> &'a str {
        &self.topology().nodes[node as usize].name
    }
}

#[cfg(test)]
mod queue_tests {
    use super::*;
    use rand_chacha::rand_core::{RngCore, SeedableRng};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    /// The event queue pops in the order the standard heap would, over random pushes and pops
    /// (times drawn from a small range, so that many share a time and `seq` decides).
    #[test]
    fn the_event_queue_pops_in_time_then_sequence_order() {
        for seed in 0..50 {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let (mut ours, mut std_heap, mut seq) = (EventQueue::default(), BinaryHeap::new(), 0u64);
            for _ in 0..2_000 {
                if rng.next_u32() % 3 != 0 {
                    seq += 1;
                    let time = rng.next_u64() % 50;
                    ours.push(Scheduled { time, seq, event: Event::Script(seq as u32) });
                    std_heap.push(Reverse((time, seq)));
                } else {
                    assert_eq!(ours.pop().map(|s| s.key()), std_heap.pop().map(|Reverse(k)| k), "seed {seed}");
                }
                assert_eq!(ours.peek().map(|s| s.key()), std_heap.peek().map(|Reverse(k)| *k));
            }
            while let Some(Reverse(k)) = std_heap.pop() {
                assert_eq!(ours.pop().map(|s| s.key()), Some(k));
            }
            assert!(ours.pop().is_none());
        }
    }
}
