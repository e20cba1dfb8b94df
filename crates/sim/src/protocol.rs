//! The sans-IO protocol interface.
//!
//! A protocol node is a plain state machine. It never performs I/O, reads a clock or draws OS
//! randomness: handlers receive a [`Ctx`] carrying the node's id, its *local* time (which may be
//! skewed or drifting), the topology, the protocol's parameters and the node's own RNG stream, and
//! they record effects (send, set or cancel a timer, a note for the UI). The simulator carries the
//! effects out. This is the shape of quinn-proto, Stateright's `Actor` and etcd raft's `Step`.

use crate::time::Micros;
use crate::topology::{NodeId, Topology};
use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fmt::Debug;

/// A protocol run by every node of a simulation.
pub trait Protocol: Clone + Debug + Serialize + Sized + 'static {
    /// Settings shared by all nodes (timeouts, sizes), read from the scenario.
    type Params: Clone + Debug + Default + Serialize + DeserializeOwned + 'static;
    type Msg: Clone + Debug + Serialize + 'static;
    /// Timers are values; setting a timer equal to an active one replaces it.
    type Timer: Clone + Debug + PartialEq + Serialize + 'static;
    /// What a client can ask a node, written as JSON in inputs and scripts.
    type Request: Clone + Debug + Serialize + DeserializeOwned + 'static;
    /// What survives a crash (a write-ahead log, a term and vote). Everything else is volatile.
    type Durable: Clone + Debug + Serialize + 'static;

    /// The name used in scenarios and links.
    const NAME: &'static str;

    /// Checks parameters against the topology before a run starts.
    fn validate(params: &Self::Params, topology: &Topology) -> Result<(), String> {
        let _ = (params, topology);
        Ok(())
    }

    /// Starts a node: fresh (`durable` is `None`) or recovering after a crash.
    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Self::Durable>) -> Self;
    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Self::Msg);
    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Self::Timer);
    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Self::Request);
    /// The node wakes from a pause (its deferred messages and timers come next). Most protocols
    /// do nothing here; a lock client notes what it still believes.
    fn on_resume(&mut self, ctx: &mut Ctx<'_, Self>) {
        let _ = ctx;
    }
    /// The part of the state that a crash keeps.
    fn durable(&self) -> Self::Durable;

    /// A one-word role for the map (`follower`, `leader`, `holder`); empty when roles do not apply.
    fn role(&self) -> String {
        String::new()
    }
    /// The roles a script entry may target (`when.role`, see [`crate::scenario`]): "the holder",
    /// "the leader". A role is a predicate on the world, so it may also be a condition ("the
    /// holder, before its write"). Empty (the default): the protocol has no targetable roles.
    fn roles() -> &'static [Role] {
        &[]
    }
    /// Whether this node has `role` (one of [`Protocol::roles`]; `arg` is the part after `:` in
    /// `owner:k3`, empty for roles without one).
    fn has_role(&self, role: &str, arg: &str) -> bool {
        let _ = (role, arg);
        false
    }
    /// Every node that has `role` now, in the order the simulator should prefer them (it takes
    /// the first). By default the running (or paused) nodes whose [`Protocol::has_role`] says so,
    /// lowest id first; a protocol whose roles depend on the whole world (the owner of a key on
    /// a ring) overrides this.
    fn with_role(view: &crate::sim::View<'_, Self>, role: &str, arg: &str) -> Vec<NodeId> {
        view.up().filter(|(_, p)| p.has_role(role, arg)).map(|(i, _)| i).collect()
    }
    /// A short extra line under the node on the map (`term 3`); empty for none.
    fn badge(&self) -> String {
        String::new()
    }
    /// Timers the map draws as a countdown arc around the node (an election timeout, a lease),
    /// with the label screen readers and tooltips use; `None` for timers not worth drawing.
    fn countdown(timer: &Self::Timer) -> Option<&'static str> {
        let _ = timer;
        None
    }
    /// A timer in words for captions (`election timer`, `leader timeout`): by default the
    /// variant's name split into lower-case words, with ` timer` unless it says `timeout`.
    fn timer_label(timer: &Self::Timer) -> String {
        let text = format!("{timer:?}");
        let head = text.split([' ', '(', '{']).next().unwrap_or("");
        let mut words = String::new();
        for c in head.chars() {
            if c.is_ascii_uppercase() && !words.is_empty() {
                words.push(' ');
            }
            words.push(c.to_ascii_lowercase());
        }
        if !words.ends_with("timeout") && !words.ends_with("timer") {
            words.push_str(" timer");
        }
        words
    }
    /// A short label for a message on the map and the diagram.
    fn msg_label(msg: &Self::Msg) -> String {
        let text = format!("{msg:?}");
        match text.find([' ', '(', '{']) {
            Some(i) => text[..i].to_string(),
            None => text,
        }
    }
    /// Safety and liveness properties, checked by the simulator.
    fn properties() -> Vec<Property<Self>>;
    /// The exhaustive checker's symmetry reduction (`--symmetry`): which nodes are interchangeable
    /// in `topology` with `params`, and how to rename them. `None` (the default): none are. A
    /// protocol that names some promises that renaming them commutes with its handlers (a
    /// renamed state's successors are the renamed successors: no handler treats one of them
    /// differently by its id, and none draws randomness that would tell them apart) and that its
    /// properties hold in a renamed state exactly when they hold in the state.
    fn symmetry(topology: &Topology, params: &Self::Params) -> Option<Symmetry<Self>> {
        let _ = (topology, params);
        None
    }
}

/// How a protocol's nodes may be renamed, for symmetry reduction ([`Protocol::symmetry`]). Every
/// function renames with `to`, which gives each node id its new one (`to[i]` for node `i`: a
/// permutation of the ids within each class, the others fixed).
#[derive(Clone)]
pub struct Symmetry<P: Protocol> {
    /// Sets of interchangeable nodes; no id in two of them.
    pub classes: Vec<Vec<NodeId>>,
    /// A state with every node id it holds renamed (its own id, votes, sets of nodes).
    pub state: fn(&P, &[NodeId]) -> P,
    pub msg: fn(&P::Msg, &[NodeId]) -> P::Msg,
    pub timer: fn(&P::Timer, &[NodeId]) -> P::Timer,
    pub durable: fn(&P::Durable, &[NodeId]) -> P::Durable,
    /// What a state holds about node `node` (a vote it counted, its bit in a set), as a value that
    /// does not depend on the ids of the other interchangeable nodes; 0 for nothing. It only
    /// helps the checker tell interchangeable nodes apart when it orders them (fewer states);
    /// the reduction is sound whatever it says.
    pub about: fn(&P, NodeId) -> u64,
}

impl<P: Protocol> Symmetry<P> {
    /// `classes` interchangeable, in a protocol whose states, messages, timers and durable state
    /// hold no node ids (the renamings keep them as they are) and say nothing about other nodes.
    pub fn new(classes: Vec<Vec<NodeId>>) -> Symmetry<P> {
        Symmetry {
            classes,
            state: |s, _| s.clone(),
            msg: |m, _| m.clone(),
            timer: |t, _| t.clone(),
            durable: |d, _| d.clone(),
            about: |_, _| 0,
        }
    }
}

/// A role a script can target: `name` in `when.role`, `phrase` in captions (`the holder`; a
/// role that takes an argument, `owner:k3`, has `{}` in its phrase: `the owner of {}`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Role {
    pub name: &'static str,
    pub phrase: &'static str,
    /// What the argument after `:` is (`a key such as k3`), or `None` for a role without one.
    pub arg: Option<&'static str>,
}

impl Role {
    pub const fn new(name: &'static str, phrase: &'static str) -> Role {
        Role { name, phrase, arg: None }
    }
    pub const fn with_arg(name: &'static str, phrase: &'static str, arg: &'static str) -> Role {
        Role { name, phrase, arg: Some(arg) }
    }
    /// The phrase with the argument filled in.
    pub fn phrase_of(&self, arg: &str) -> String {
        self.phrase.replace("{}", arg)
    }
}

/// What a handler may do, recorded for the simulator to carry out.
#[derive(Clone, Debug)]
pub enum Effect<P: Protocol> {
    Send {
        to: NodeId,
        msg: P::Msg,
    },
    SetTimer {
        timer: P::Timer,
        after_us: Micros,
    },
    CancelTimer {
        timer: P::Timer,
    },
    /// Durable state changed: the node writes it to disk, and the effects after this one wait
    /// for the write (a reply that promises what was written must not leave before it is).
    Persist(&'static str),
    Note(String),
    /// A note that is also a key moment of the run (a leader elected, a lock granted).
    Moment(String),
}

/// The handler's view of the world and its outbox.
pub struct Ctx<'a, P: Protocol> {
    pub id: NodeId,
    /// The node's local clock, which skew and drift make differ from simulated time.
    pub now: Micros,
    pub topology: &'a Topology,
    pub params: &'a P::Params,
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) effects: &'a mut Vec<Effect<P>>,
}

impl<'a, P: Protocol> Ctx<'a, P> {
    pub fn node_count(&self) -> usize {
        self.topology.nodes.len()
    }
    /// Every node but this one, in id order.
    pub fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        let me = self.id;
        (0..self.topology.nodes.len() as NodeId).filter(move |&p| p != me)
    }
    pub fn send(&mut self, to: NodeId, msg: P::Msg) {
        self.effects.push(Effect::Send { to, msg });
    }
    /// Sends `msg` to every peer.
    pub fn broadcast(&mut self, msg: P::Msg) {
        for to in self.peers() {
            self.effects.push(Effect::Send { to, msg: msg.clone() });
        }
    }
    /// Fires `timer` after `after_us` of this node's local time, replacing an equal active timer.
    pub fn set_timer(&mut self, timer: P::Timer, after_us: Micros) {
        self.effects.push(Effect::SetTimer { timer, after_us });
    }
    pub fn cancel_timer(&mut self, timer: P::Timer) {
        self.effects.push(Effect::CancelTimer { timer });
    }
    /// Writes durable state to disk (`what` names it: "term and vote"). Call it after changing
    /// durable state and before the sends that depend on it: on hardware with storage latency
    /// they leave only once the write is done. Free when storage is.
    pub fn persist(&mut self, what: &'static str) {
        self.effects.push(Effect::Persist(what));
    }
    /// A sentence the UI shows in the log and on the diagram.
    pub fn note(&mut self, text: impl Into<String>) {
        self.effects.push(Effect::Note(text.into()));
    }
    /// A note that marks a key moment of the story (a leader elected, a lock granted, a decision
    /// logged): it shows as a note and the timeline can jump to it. Not for routine events.
    pub fn moment(&mut self, text: impl Into<String>) {
        self.effects.push(Effect::Moment(text.into()));
    }
    /// A uniform integer in `0..n` from this node's own stream (`n` > 0).
    pub fn random_below(&mut self, n: u64) -> u64 {
        random_below(self.rng, n)
    }
    /// A uniform integer in `lo..=hi`.
    pub fn random_between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + random_below(self.rng, hi.saturating_sub(lo) + 1)
    }
}

/// Maps a 64-bit draw onto `0..n` by multiply-and-shift (Lemire). The bias is below 2⁻³² for the
/// ranges we use, and the mapping is fixed here rather than borrowed from a crate whose algorithm
/// could change between versions.
pub fn random_below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    assert!(n > 0, "random_below(0)");
    ((rng.next_u64() as u128 * n as u128) >> 64) as u64
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PropertyKind {
    /// Must hold after every step.
    Safety,
    /// Must hold once faults are healed and the system has had time to settle.
    Liveness,
}

/// A property declared beside a protocol.
pub struct Property<P: Protocol> {
    pub name: &'static str,
    pub kind: PropertyKind,
    /// One sentence a student can read.
    pub description: &'static str,
    pub check: fn(&crate::sim::View<'_, P>) -> Result<(), Failure>,
}

impl<P: Protocol> Clone for Property<P> {
    fn clone(&self) -> Self {
        Property { name: self.name, kind: self.kind, description: self.description, check: self.check }
    }
}

/// Why a property does not hold, and who is involved (the UI highlights them).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub explanation: String,
    #[serde(default)]
    pub nodes: Vec<NodeId>,
    #[serde(default)]
    pub messages: Vec<u64>,
}

impl Failure {
    pub fn new(explanation: impl Into<String>) -> Failure {
        Failure { explanation: explanation.into(), nodes: Vec::new(), messages: Vec::new() }
    }
    pub fn nodes(mut self, nodes: impl IntoIterator<Item = NodeId>) -> Failure {
        self.nodes.extend(nodes);
        self
    }
}
