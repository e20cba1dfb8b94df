//! The exhaustive checker: every interleaving of a small configuration, over the protocols' real
//! handlers.
//!
//! The simulator follows one order of events, the one its clock gives. The checker drops the
//! clock: in its *asynchronous* world any message in flight may be delivered next, any pending
//! timer may fire now, and, within named bounds, a message may be lost and a node may crash or
//! restart. From the initial state it visits every reachable state breadth first, so the first
//! violation it meets has a shortest path. A state is a [`World`]: each node's protocol state and
//! pending timers (a set: times play no part), what crashed nodes kept, the messages in flight (a
//! multiset, or a set for [`Network::Duplicating`]) and the faults spent so far. Two states are
//! the same when their 64-bit fingerprints are, as in TLC and Stateright; the fingerprint is
//! built from per-node and per-message hashes so that it does not depend on the order in which
//! things happened. With [`Bounds::symmetry`], a state is known by its representative's
//! fingerprint: the state with its interchangeable nodes renamed into a sorted order (see
//! [`Protocol::symmetry`]); the states kept and the paths found are still the real ones.
//!
//! Safety properties are checked in every state. Liveness is "from every reachable state, some
//! state where the liveness properties hold can still be reached" (a state the bounds stopped
//! expanding counts as able to: the checker never reports what it did not see).
//!
//! What a handler sees: `ctx.now` is always 0 (there is no time), clocks are exact, no link is
//! cut, and `ctx.random_*` draws from a stream reset before every event, so that one state always
//! has the same successors. Protocols whose decisions depend on the clock (leases) are not for
//! this checker; those that only set timers are.
//!
//! Like the simulator, this module uses no clock and no OS randomness; its fingerprint table is
//! its own (below), never iterated.

use crate::protocol::{Ctx, Effect, Failure, Property, PropertyKind, Protocol, Symmetry};
use crate::sim::{rng_stream, Status, View};
use crate::topology::{NodeId, Topology};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hash, Hasher};
use std::rc::Rc;

/// How the checker's network carries messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Every message is delivered at most once, in any order (a multiset in flight).
    #[default]
    Unordered,
    /// A message once sent stays deliverable, any number of times (a set): the message model of
    /// TLA+ specifications such as Gray and Lamport's TwoPhase. No drops.
    Duplicating,
}

/// The bounds that keep a state space finite, all named in the report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Bounds {
    /// Events along any path from the initial state (0: no bound).
    pub depth: u32,
    /// Crashes along any path.
    pub crashes: u8,
    /// Whether a crashed node may restart (from what it kept).
    pub restarts: bool,
    /// Messages lost along any path.
    pub drops: u8,
    /// A state with more messages in flight is kept and checked but not expanded.
    pub in_flight: usize,
    /// Stop after this many unique states.
    pub max_states: u64,
    pub network: Network,
    /// Check liveness (keeps every transition: memory grows with them).
    pub liveness: bool,
    /// The highest term (Raft) or ballot round (Paxos) a node may reach before its state stops
    /// being expanded (0: no bound). The explorer does not read it: the protocol's checker turns
    /// it into [`Explorer::limit`].
    pub terms: u32,
    /// Symmetry reduction: states that differ only by a renaming of interchangeable nodes (the
    /// protocol names them, [`Protocol::symmetry`]) count as one, as TLC's `SYMMETRY` and
    /// Stateright's `symmetry()` do. Fewer states, the same verdicts for properties that do not
    /// care which of the nodes is which; a path found is still a path of real events.
    pub symmetry: bool,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            depth: 0,
            crashes: 0,
            restarts: false,
            drops: 0,
            in_flight: 64,
            max_states: 20_000_000,
            network: Network::Unordered,
            liveness: false,
            terms: 0,
            symmetry: false,
        }
    }
}

impl Bounds {
    /// The bounds in words, for reports (`depth ≤ 30, at most 1 crash, no restarts`).
    pub fn describe(&self) -> String {
        self.describe_numbered("terms")
    }

    /// [`Bounds::describe`] naming the bound on `terms` as the protocol numbers what it bounds
    /// (`ballot rounds ≤ 2` for Paxos, `lock tokens ≤ 2` for the lock service).
    pub fn describe_numbered(&self, numbering: &str) -> String {
        let mut parts = Vec::new();
        parts.push(if self.depth == 0 { "depth unbounded".to_string() } else { format!("depth ≤ {}", self.depth) });
        let plural = |n: u8, one: &str, many: &str| match n {
            0 => format!("no {many}"),
            1 => format!("at most 1 {one}"),
            _ => format!("at most {n} {many}"),
        };
        parts.push(plural(self.crashes, "crash", "crashes"));
        if self.crashes > 0 {
            parts.push(if self.restarts { "restarts allowed".into() } else { "no restarts".into() });
        }
        match self.network {
            Network::Unordered => {
                parts.push(plural(self.drops, "drop", "drops"));
                parts.push(format!("≤ {} messages in flight", self.in_flight));
            }
            Network::Duplicating => parts.push("messages stay deliverable (a set)".into()),
        }
        if self.terms > 0 {
            parts.push(format!("{numbering} ≤ {}", self.terms));
        }
        if self.symmetry {
            parts.push("symmetry reduction".into());
        }
        if self.liveness {
            parts.push("liveness checked".into());
        }
        parts.join(", ")
    }
}

/// A node's pending timers: a few, so kept inline (a successor clones them; on the heap that was
/// an allocation per successor).
type Timers<T> = smallvec::SmallVec<[T; 4]>;

/// A node and its fingerprint, shared between states until one of them changes it.
#[derive(Clone)]
struct Node<P: Protocol> {
    fp: u64,
    slot: Slot<P>,
}

impl<P: Protocol + Hash> Node<P>
where
    P::Timer: Hash,
    P::Durable: Hash,
{
    fn new(slot: Slot<P>) -> Rc<Node<P>> {
        Rc::new(Node { fp: slot_fp(&slot), slot })
    }
}

#[derive(Clone)]
enum Slot<P: Protocol> {
    Up { state: P, timers: Timers<P::Timer> },
    Down(P::Durable),
}

/// One state of the asynchronous world.
#[derive(Clone)]
pub struct World<P: Protocol> {
    nodes: Vec<Rc<Node<P>>>,
    pub(crate) net: Vec<Env<P::Msg>>,
    /// The wrapping sum of the messages' fingerprints: the multiset's hash, kept as messages
    /// come and go.
    net_sum: u64,
    /// The wrapping sum of the nodes' fingerprints, each keyed by its position ([`at`]): a
    /// successor that changes one node updates it with two terms instead of hashing every node.
    nodes_sum: u64,
    crashes: u8,
    drops: u8,
    pub(crate) stepped: Option<NodeId>,
}

impl<P: Protocol> World<P> {
    /// A world with nothing in it, whose buffers are filled later (no allocation).
    fn empty() -> World<P> {
        World { nodes: Vec::new(), net: Vec::new(), net_sum: 0, nodes_sum: 0, crashes: 0, drops: 0, stepped: None }
    }
    pub fn state(&self, node: NodeId) -> Option<&P> {
        match &self.nodes[node as usize].slot {
            Slot::Up { state, .. } => Some(state),
            Slot::Down(_) => None,
        }
    }
    pub fn durable(&self, node: NodeId) -> Option<P::Durable> {
        match &self.nodes[node as usize].slot {
            Slot::Up { state, .. } => Some(state.durable()),
            Slot::Down(d) => Some(d.clone()),
        }
    }
    pub fn status(&self, node: NodeId) -> Status {
        match &self.nodes[node as usize].slot {
            Slot::Up { .. } => Status::Up,
            Slot::Down(_) => Status::Crashed,
        }
    }
    pub fn timers(&self, node: NodeId) -> &[P::Timer] {
        match &self.nodes[node as usize].slot {
            Slot::Up { timers, .. } => timers,
            Slot::Down(_) => &[],
        }
    }
    pub fn in_flight(&self) -> impl Iterator<Item = (NodeId, NodeId, &P::Msg)> {
        self.net.iter().map(|e| (e.source, e.target, &e.msg))
    }
}

/// What the checker shares between states: the configuration.
pub struct Setup<P: Protocol> {
    pub(crate) topology: Topology,
    pub(crate) params: P::Params,
    rngs: Vec<ChaCha8Rng>,
    /// The streams handlers draw from, put back to `rngs` after a handler that drew.
    work: Vec<ChaCha8Rng>,
    properties: Vec<Property<P>>,
    /// A bound on what nodes may hold (a highest term or ballot): a state with a node beyond it
    /// is checked but not expanded.
    within: Option<Rc<dyn Fn(&P) -> bool>>,
    /// The interchangeable nodes, with symmetry reduction on.
    symmetry: Option<Rc<Symmetric<P>>>,
}

/// Symmetry reduction's setup: the protocol's renamings and, per node, its class.
struct Symmetric<P: Protocol> {
    of: Symmetry<P>,
    /// Per node, the index of its class in `of.classes`, or [`NONE`].
    class: Vec<u16>,
    /// Fingerprint the least of all renamings instead of the sorted one ([`Explorer::every_renaming`]).
    every: bool,
}

/// No class.
const NONE: u16 = u16::MAX;

impl<P: Protocol> Symmetric<P> {
    /// The protocol's classes for `topology`, checked: an error names `bounds.symmetry` when the
    /// protocol has none or names a node twice or one the topology lacks.
    fn of(topology: &Topology, params: &P::Params) -> Result<Symmetric<P>, String> {
        let Some(mut of) = P::symmetry(topology, params) else {
            return Err(format!(
                "bounds.symmetry: {} names no interchangeable nodes here, so there is no symmetry to reduce",
                P::NAME
            ));
        };
        let n = topology.nodes.len();
        let mut class = vec![NONE; n];
        for (c, members) in of.classes.iter_mut().enumerate() {
            members.sort_unstable();
            for &m in members.iter() {
                match class.get(m as usize) {
                    None => {
                        return Err(format!(
                            "bounds.symmetry: {} names node {m} as interchangeable, but the topology has {n} nodes",
                            P::NAME
                        ))
                    }
                    Some(&NONE) => class[m as usize] = c as u16,
                    Some(_) => {
                        return Err(format!("bounds.symmetry: {} names node {m} in two classes (or twice)", P::NAME))
                    }
                }
            }
        }
        Ok(Symmetric { of, class, every: false })
    }

    /// `slot` with its node ids renamed by `to`.
    fn renamed(&self, slot: &Slot<P>, to: &[NodeId]) -> Slot<P> {
        match slot {
            Slot::Up { state, timers } => Slot::Up {
                state: (self.of.state)(state, to),
                timers: timers.iter().map(|t| (self.of.timer)(t, to)).collect(),
            },
            Slot::Down(durable) => Slot::Down((self.of.durable)(durable, to)),
        }
    }
}

/// One event the checker can apply to a state.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event<P: Protocol> {
    Deliver { from: NodeId, to: NodeId, msg: P::Msg },
    Fire { node: NodeId, timer: P::Timer },
    Drop { from: NodeId, to: NodeId, msg: P::Msg },
    Crash { node: NodeId },
    Restart { node: NodeId },
}

/// How an event is found in a state: by position, which is stable for one state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Pick {
    Deliver(usize),
    Fire(NodeId, usize),
    Drop(usize),
    Crash(NodeId),
    Restart(NodeId),
}

/// One step of a path: the event, in words, and what the handler noted.
#[derive(Clone, Debug, Serialize)]
pub struct PathStep<P: Protocol> {
    pub event: Event<P>,
    pub text: String,
    pub notes: Vec<(NodeId, String)>,
}

/// A property that does not hold, with a shortest path to a state that shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Found<P: Protocol> {
    pub property: &'static str,
    pub kind: PropertyKind,
    pub failure: Failure,
    pub path: Vec<PathStep<P>>,
}

/// Where a check stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Successor states generated (duplicates included).
    pub states: u64,
    pub unique: u64,
    /// The depth being explored.
    pub depth: u32,
    pub frontier: u64,
    /// Unique states the bounds kept from expanding.
    pub bounded: u64,
    pub done: bool,
}

/// The breadth-first checker. Drive it with [`Explorer::run`] in slices (the browser's worker
/// reports progress between them) or with [`Explorer::run_to_end`].
/// The protocol's state, messages, timers and what survives a crash must hash and compare.
pub struct Explorer<P: Protocol + Hash + Eq>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    setup: Setup<P>,
    bounds: Bounds,
    init: World<P>,
    seen: FpMap,
    /// Per unique state (by discovery order): its parent and the event's position among the
    /// parent's events. The initial state is its own parent.
    parents: Vec<(u32, u16)>,
    frontier: Frontier<P>,
    /// The state being expanded and the successor being built: buffers reused from state to
    /// state (a successor's two vectors were two allocations per unique state).
    current: World<P>,
    next: World<P>,
    /// Nodes built lately, by fingerprint: a successor whose changed node equals one of them
    /// shares it instead of allocating its own ([`Explorer::intern`]).
    interned: Vec<Option<Rc<Node<P>>>>,
    /// Per unique state: whether the liveness properties hold there (liveness only).
    good: Vec<bool>,
    /// Per unique state: whether the bounds kept it from being expanded (liveness only).
    cut_off: Vec<bool>,
    edges: Vec<(u32, u32)>,
    progress: Progress,
    found: Option<(u32, usize, Failure)>,
    effects: Vec<Effect<P>>,
    picks: Vec<Pick>,
    /// Scratch for [`Explorer::expand`]: each successor's pick and fingerprint.
    fps: Vec<(usize, u64)>,
    /// The successor being looked at: messages it sends, positions of messages it removes.
    sends: Vec<Env<P::Msg>>,
    removed: Vec<usize>,
    /// Keep the handlers' notes in `notes` (replaying a path).
    keep_notes: bool,
    notes: Vec<(NodeId, String)>,
    /// Whether the last handler sent anything (before duplicates were dropped).
    sent_any: bool,
    /// On the duplicating network, deliveries known to change nothing: a direct-mapped cache of
    /// (node fingerprint, message fingerprint) pairs whose handler left the node as it was and
    /// sent nothing. Handlers are functions of the node and the event, so such a delivery
    /// changes nothing in any state; most deliveries there are such repeats.
    noop: Vec<u64>,
    canon: Canon,
}

/// A successor before it is built: what changes from the state it follows (with the messages
/// in [`Explorer::sends`] and [`Explorer::removed`]).
struct Change<P: Protocol> {
    node: Option<(NodeId, Node<P>)>,
    net_sum: u64,
    nodes_sum: u64,
    crashes: u8,
    drops: u8,
    stepped: Option<NodeId>,
}

impl<P: Protocol + Hash + Eq> Explorer<P>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    /// A checker for `topology` and `params` (checked with [`Protocol::validate`]); `seed` fixes
    /// what handlers draw.
    pub fn new(topology: Topology, params: P::Params, seed: u64, bounds: Bounds) -> Result<Explorer<P>, String> {
        Explorer::with_properties(topology, params, seed, bounds, P::properties())
    }

    /// An explorer that has seen nothing yet, from `init`.
    fn blank(setup: Setup<P>, bounds: Bounds, init: World<P>, keep_notes: bool) -> Explorer<P> {
        let liveness = bounds.liveness;
        Explorer {
            init,
            setup,
            bounds,
            seen: FpMap::new(liveness),
            parents: Vec::new(),
            frontier: Frontier::new(),
            current: World::empty(),
            next: World::empty(),
            interned: vec![None; INTERNED],
            good: Vec::new(),
            cut_off: Vec::new(),
            edges: Vec::new(),
            progress: Progress::default(),
            found: None,
            effects: Vec::new(),
            picks: Vec::new(),
            fps: Vec::new(),
            sends: Vec::new(),
            removed: Vec::new(),
            keep_notes,
            notes: Vec::new(),
            sent_any: false,
            noop: vec![0; NOOP_CACHE],
            canon: Canon::default(),
        }
    }

    /// Expands only states whose every live node satisfies `within` (the protocol's own bound,
    /// such as "no term above 2"); the others are checked and counted as at the bounds.
    pub fn limit(&mut self, within: impl Fn(&P) -> bool + 'static) {
        self.setup.within = Some(Rc::new(within));
    }

    /// [`Explorer::new`] checking `properties` instead of the protocol's own: a checker may add
    /// properties that only make sense with its faults, or leave out one its bounds make
    /// meaningless.
    pub fn with_properties(
        topology: Topology,
        params: P::Params,
        seed: u64,
        bounds: Bounds,
        properties: Vec<Property<P>>,
    ) -> Result<Explorer<P>, String> {
        if topology.nodes.is_empty() {
            return Err("the topology has no nodes".into());
        }
        if bounds.network == Network::Duplicating && bounds.drops > 0 {
            return Err("bounds.drops: a duplicating network keeps every message, so none can be dropped".into());
        }
        P::validate(&params, &topology)?;
        let n = topology.nodes.len();
        let symmetry = if bounds.symmetry { Some(Rc::new(Symmetric::of(&topology, &params)?)) } else { None };
        let rngs: Vec<_> = (0..n).map(|i| rng_stream(seed, i as u64 + 1)).collect();
        let setup = Setup { topology, params, work: rngs.clone(), rngs, properties, within: None, symmetry };
        let init = World::empty();
        let mut explorer = Explorer::blank(setup, bounds, init, false);
        let mut world = explorer.init.clone();
        for node in 0..n as NodeId {
            let state = explorer.with_ctx(node, |ctx| P::init(ctx, None));
            let mut timers = Timers::new();
            explorer.sends.clear();
            explorer.take_effects(&world, node, Some(&mut timers));
            let made = Node::new(Slot::Up { state, timers });
            world.nodes_sum = world.nodes_sum.wrapping_add(at(node, made.fp));
            world.nodes.push(made);
            for m in explorer.sends.drain(..) {
                world.net_sum = world.net_sum.wrapping_add(m.fp);
                world.net.push(m);
            }
        }
        explorer.init = world.clone();
        let fp = explorer.canonical_fp(&world);
        explorer.discover(&mut world, fp, 0, 0, 0);
        Ok(explorer)
    }

    /// With symmetry reduction, fingerprints the least of every renaming of a state rather than
    /// the one its sorted nodes give (TLC's way: exact, and as many renamings per state as the
    /// classes have permutations): what tests check the sorted renaming against, on small
    /// models. Starts the check again; an error when symmetry reduction is off.
    pub fn every_renaming(&mut self) -> Result<(), String> {
        let Some(symmetry) = &self.setup.symmetry else {
            return Err("bounds.symmetry: every renaming is a way of symmetry reduction, which is off".into());
        };
        self.setup.symmetry =
            Some(Rc::new(Symmetric { every: true, of: symmetry.of.clone(), class: symmetry.class.clone() }));
        let mut fresh = Explorer::blank(
            Setup {
                topology: self.setup.topology.clone(),
                params: self.setup.params.clone(),
                rngs: self.setup.rngs.clone(),
                work: self.setup.rngs.clone(),
                properties: self.setup.properties.clone(),
                within: self.setup.within.clone(),
                symmetry: self.setup.symmetry.clone(),
            },
            self.bounds.clone(),
            self.init.clone(),
            false,
        );
        let mut world = self.init.clone();
        let fp = fresh.canonical_fp(&world);
        fresh.discover(&mut world, fp, 0, 0, 0);
        *self = fresh;
        Ok(())
    }

    pub fn bounds(&self) -> &Bounds {
        &self.bounds
    }
    pub fn progress(&self) -> Progress {
        self.progress
    }
    pub fn topology(&self) -> &Topology {
        &self.setup.topology
    }

    /// Expands up to `budget` states; returns whether the check is over (every state within the
    /// bounds seen, a safety property failed, or `max_states` reached).
    pub fn run(&mut self, budget: u64) -> bool {
        for _ in 0..budget {
            if self.progress.done {
                break;
            }
            let mut world = std::mem::replace(&mut self.current, World::empty());
            let Some((id, depth)) = self.frontier.pop(self.init.nodes.len(), &mut world) else {
                self.current = world;
                self.progress.done = true;
                break;
            };
            self.progress.frontier = self.frontier.len() as u64;
            self.progress.depth = self.progress.depth.max(depth);
            self.expand(&world, id, depth);
            self.current = world;
        }
        if self.progress.done && self.bounds.liveness && self.found.is_none() {
            self.check_liveness();
        }
        self.progress.done
    }

    pub fn run_to_end(&mut self) -> Progress {
        while !self.run(4096) {}
        self.progress
    }

    /// The first violation found, with a shortest path to it.
    pub fn found(&self) -> Option<Found<P>> {
        let (id, property, failure) = self.found.as_ref()?;
        let p = &self.setup.properties[*property];
        Some(Found { property: p.name, kind: p.kind, failure: failure.clone(), path: self.path_to(*id) })
    }

    /// Whether every state within the bounds was seen (no safety failure stopped the search and
    /// `max_states` was not reached).
    pub fn complete(&self) -> bool {
        self.progress.done && self.found.is_none() && self.progress.unique < self.bounds.max_states
    }

    fn with_ctx<R>(&mut self, node: NodeId, f: impl FnOnce(&mut Ctx<'_, P>) -> R) -> R {
        let Setup { topology, params, rngs, work, .. } = &mut self.setup;
        let rng = &mut work[node as usize];
        let mut ctx = Ctx { id: node, now: 0, topology, params, rng, effects: &mut self.effects };
        let out = f(&mut ctx);
        let (rng, start) = (&mut work[node as usize], &rngs[node as usize]);
        if rng.get_word_pos() != start.get_word_pos() {
            *rng = start.clone();
        }
        out
    }

    /// Applies the timer effects of the handler that just ran at `node` to `timers` and
    /// collects the messages it sent into `sends` (on the duplicating network only those not in
    /// flight already). Notes are dropped unless a path is being replayed.
    fn take_effects(&mut self, world: &World<P>, node: NodeId, mut timers: Option<&mut Timers<P::Timer>>) {
        let duplicating = self.bounds.network == Network::Duplicating;
        let Explorer { effects, sends, notes, keep_notes, sent_any, .. } = self;
        *sent_any = false;
        for effect in effects.drain(..) {
            match effect {
                Effect::Send { to, msg } => {
                    *sent_any = true;
                    let fp = msg_fp(node, to, &msg);
                    if duplicating && world.net.iter().chain(sends.iter()).any(|m| same(m, fp, node, to, &msg)) {
                        continue;
                    }
                    sends.push(Env { fp, source: node, target: to, msg });
                }
                Effect::SetTimer { timer, .. } => {
                    if let Some(timers) = timers.as_deref_mut().filter(|t| !t.contains(&timer)) {
                        timers.push(timer);
                    }
                }
                Effect::CancelTimer { timer } => {
                    if let Some(timers) = timers.as_deref_mut() {
                        timers.retain(|t| *t != timer);
                    }
                }
                // Untimed: a write is done when its handler is, before any of its messages arrive.
                Effect::Persist(_) => {}
                Effect::Note(text) | Effect::Moment(text) => {
                    if *keep_notes {
                        notes.push((node, text));
                    }
                }
            }
        }
    }

    /// The events enabled in `world`, in a fixed order.
    fn picks(&self, world: &World<P>, out: &mut Vec<Pick>) {
        out.clear();
        // On the duplicating network the messages are a set already.
        let set = self.bounds.network == Network::Duplicating;
        let distinct = |i: usize| {
            let x = &world.net[i];
            set || !world.net[..i].iter().any(|m| same(m, x.fp, x.source, x.target, &x.msg))
        };
        for i in 0..world.net.len() {
            if distinct(i) {
                out.push(Pick::Deliver(i));
            }
        }
        for node in 0..world.nodes.len() {
            for k in 0..world.timers(node as NodeId).len() {
                out.push(Pick::Fire(node as NodeId, k));
            }
        }
        if world.drops < self.bounds.drops {
            for i in 0..world.net.len() {
                if distinct(i) {
                    out.push(Pick::Drop(i));
                }
            }
        }
        for node in 0..world.nodes.len() as NodeId {
            match &world.nodes[node as usize].slot {
                Slot::Up { .. } if world.crashes < self.bounds.crashes => out.push(Pick::Crash(node)),
                Slot::Down(_) if self.bounds.restarts => out.push(Pick::Restart(node)),
                _ => {}
            }
        }
    }

    /// What `pick` changes in `world` and the successor's fingerprint, without building it;
    /// `None` when it changes nothing (a message delivered again to a node it leaves as it was,
    /// a timer that sets itself again).
    fn successor(&mut self, world: &World<P>, pick: Pick) -> Option<(u64, Change<P>)> {
        self.sends.clear();
        self.removed.clear();
        let mut noop_key = None;
        if let (Pick::Deliver(i), Network::Duplicating) = (pick, self.bounds.network) {
            let m = &world.net[i];
            let key =
                (world.nodes[m.target as usize].fp ^ m.fp.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            if self.noop[(key >> 40) as usize % NOOP_CACHE] == key {
                return None;
            }
            noop_key = Some(key);
        }
        let mut change = Change {
            node: None,
            net_sum: world.net_sum,
            nodes_sum: world.nodes_sum,
            crashes: world.crashes,
            drops: world.drops,
            stepped: None,
        };
        let run = |this: &mut Self, node: NodeId, handler: &mut dyn FnMut(&mut P, &mut Ctx<'_, P>)| {
            if let Slot::Up { state: old, timers: old_timers } = &world.nodes[node as usize].slot {
                let mut state = old.clone();
                this.with_ctx(node, |ctx| handler(&mut state, ctx));
                // A delivery that leaves the node as it was (its timers too) keeps the node.
                let fired = matches!(pick, Pick::Fire(..));
                if !fired
                    && state == *old
                    && this.effects.iter().all(|e| match e {
                        Effect::SetTimer { timer, .. } => old_timers.contains(timer),
                        Effect::CancelTimer { timer } => !old_timers.contains(timer),
                        _ => true,
                    })
                {
                    this.take_effects(world, node, None);
                    return None;
                }
                let mut timers = old_timers.clone();
                if let Pick::Fire(_, k) = pick {
                    timers.swap_remove(k);
                }
                this.take_effects(world, node, Some(&mut timers));
                Some((node, Slot::Up { state, timers }))
            } else {
                // A message to a node that is down was sent while it was down (those waiting
                // when it crashed were lost then): it is lost the same way.
                None
            }
        };
        change.node = match pick {
            Pick::Deliver(i) => {
                let m = &world.net[i];
                if self.bounds.network == Network::Unordered {
                    self.removed.push(i);
                }
                change.stepped = Some(m.target);
                let from = m.source;
                run(self, m.target, &mut |state, ctx| state.on_message(ctx, from, m.msg.clone()))
            }
            Pick::Fire(node, k) => {
                change.stepped = Some(node);
                let timer = world.timers(node)[k].clone();
                run(self, node, &mut |state, ctx| state.on_timer(ctx, timer.clone()))
            }
            Pick::Drop(i) => {
                self.removed.push(i);
                change.drops += 1;
                None
            }
            Pick::Crash(node) => {
                let durable = world.durable(node).expect("an up node");
                self.removed.extend(world.net.iter().enumerate().filter(|(_, m)| m.target == node).map(|(i, _)| i));
                change.crashes += 1;
                change.stepped = Some(node);
                Some((node, Slot::Down(durable)))
            }
            Pick::Restart(node) => {
                let durable = world.durable(node);
                let state = self.with_ctx(node, |ctx| P::init(ctx, durable));
                let mut timers = Timers::new();
                self.take_effects(world, node, Some(&mut timers));
                change.stepped = Some(node);
                Some((node, Slot::Up { state, timers }))
            }
        }
        .map(|(n, slot)| (n, Node { fp: slot_fp(&slot), slot }));
        for &i in &self.removed {
            change.net_sum = change.net_sum.wrapping_sub(world.net[i].fp);
        }
        for m in &self.sends {
            change.net_sum = change.net_sum.wrapping_add(m.fp);
        }
        let replaced = change.node.as_ref().map(|(n, node)| (*n, node.fp));
        let same_nodes = replaced.is_none_or(|(n, fp)| world.nodes[n as usize].fp == fp);
        if same_nodes
            && change.net_sum == world.net_sum
            && (change.crashes, change.drops) == (world.crashes, world.drops)
        {
            if let Some(key) = noop_key.filter(|_| !self.sent_any) {
                self.noop[(key >> 40) as usize % NOOP_CACHE] = key;
            }
            return None;
        }
        if let Some((n, fp)) = replaced {
            let old = world.nodes[n as usize].fp;
            change.nodes_sum = change.nodes_sum.wrapping_sub(at(n, old)).wrapping_add(at(n, fp));
        }
        let fp = fingerprint(change.nodes_sum, change.net_sum, change.crashes, change.drops);
        Some((fp, change))
    }

    /// The successor described by `change` (and `sends`, `removed`), written into `into` (whose
    /// buffers are reused).
    fn build(&mut self, world: &World<P>, change: Change<P>, into: &mut World<P>) {
        into.net.clear();
        into.net.extend_from_slice(&world.net);
        // Highest position first: `swap_remove` then moves only messages that stay.
        self.removed.sort_unstable_by(|a, b| b.cmp(a));
        for &i in &self.removed {
            into.net.swap_remove(i);
        }
        into.net.append(&mut self.sends);
        into.nodes.clear();
        into.nodes.extend_from_slice(&world.nodes);
        if let Some((n, node)) = change.node {
            into.nodes[n as usize] = self.intern(node);
        }
        into.net_sum = change.net_sum;
        into.nodes_sum = change.nodes_sum;
        into.crashes = change.crashes;
        into.drops = change.drops;
        into.stepped = change.stepped;
    }

    /// `node` shared: the one built lately with the same fingerprint and contents, or `node`
    /// itself, remembered. Most successors change a node into one that many states have (an RM
    /// prepared, a follower that voted): sharing it saves the allocation and keeps the nodes
    /// every state points to few, so they stay in the cache. Equal means equal contents, timers
    /// in the same order (a timer's position is part of how a path names its events), so a
    /// shared node is indistinguishable from a fresh one. A crashed node is not shared: what it
    /// keeps need not compare.
    fn intern(&mut self, node: Node<P>) -> Rc<Node<P>> {
        let Slot::Up { state, timers } = &node.slot else { return Rc::new(node) };
        let entry = &mut self.interned[(node.fp >> 52) as usize % INTERNED];
        if let Some(shared) = entry {
            if let Slot::Up { state: s, timers: t } = &shared.slot {
                if shared.fp == node.fp && s == state && t == timers {
                    return shared.clone();
                }
            }
        }
        let made = Rc::new(node);
        *entry = Some(made.clone());
        made
    }

    /// The fingerprint `world` is known by: its own, or with symmetry reduction its
    /// representative's.
    ///
    /// The representative is `world` renamed: within each class of interchangeable nodes the
    /// nodes are sorted by a key, and the first gets the class's lowest id, the next the next.
    /// A node's key is what can be said of it without its id: its own state with its id swapped
    /// for its class's first (a state that holds its own id still compares), the messages it
    /// sends and receives, their other ends named by class, and what the nodes hold about it
    /// ([`Symmetry::about`]); ties go by id.
    ///
    /// Sound whatever the keys are: a representative is a renaming of its state, so two states
    /// with one representative are renamings of each other, and renamings commute with the
    /// handlers and keep the properties (what [`Protocol::symmetry`] promises): one state's
    /// successors, violations and ways to good states are the other's, renamed. The keys only
    /// decide how many states are left. When nodes with equal keys are interchangeable (swapping
    /// them changes nothing), every renaming of a state has the same representative, and the
    /// count is that of states up to renaming, the least there is: in TwoPhase an RM is its
    /// state, its bit at the TM and its Prepared message, and nothing else tells RMs apart. A
    /// tie between nodes that differ elsewhere only leaves a state that could have been merged
    /// (as Stateright's 2PC does, sorting RMs by their states alone, ties in id order).
    /// [`Explorer::every_renaming`] takes the least fingerprint of every renaming instead.
    fn canonical_fp(&mut self, world: &World<P>) -> u64 {
        let Some(sym) = self.setup.symmetry.clone() else { return world_fp(world) };
        if sym.every {
            return least_fp(&sym, world, &mut self.canon.to);
        }
        let n = world.nodes.len();
        let Canon { keys, to, tau, order } = &mut self.canon;
        keys.clear();
        keys.resize(n, (0, 0, 0));
        tau.clear();
        tau.extend(0..n as NodeId);
        let first = |i: NodeId| sym.of.classes[sym.class[i as usize] as usize][0];
        // The renaming `tau` swaps `i` and its class's first node while it applies.
        for (i, node) in world.nodes.iter().enumerate() {
            if sym.class[i] == NONE {
                continue;
            }
            let f = first(i as NodeId) as usize;
            keys[i].0 = if f == i {
                node.fp
            } else {
                tau.swap(i, f);
                let fp = slot_fp(&sym.renamed(&node.slot, tau));
                tau.swap(i, f);
                fp
            };
        }
        let end = |other: NodeId, me: NodeId| match sym.class[other as usize] {
            _ if other == me => 0,
            NONE => 1 + u64::from(other),
            c => (1 << 32) + u64::from(c),
        };
        for m in &world.net {
            for (me, other, sent) in [(m.source, m.target, true), (m.target, m.source, false)] {
                if sym.class[me as usize] == NONE {
                    continue;
                }
                let f = first(me) as usize;
                let content = if f == me as usize {
                    hash_of(&m.msg)
                } else {
                    tau.swap(me as usize, f);
                    let h = hash_of(&(sym.of.msg)(&m.msg, tau));
                    tau.swap(me as usize, f);
                    h
                };
                let k = &mut keys[me as usize].1;
                *k = k.wrapping_add(hash_of(&(sent, end(other, me), content)));
            }
        }
        for (j, node) in world.nodes.iter().enumerate() {
            let Slot::Up { state, .. } = &node.slot else { continue };
            for (i, key) in keys.iter_mut().enumerate() {
                if sym.class[i] != NONE {
                    let about = (sym.of.about)(state, i as NodeId);
                    if about != 0 {
                        key.2 = key.2.wrapping_add(hash_of(&(about, i == j)));
                    }
                }
            }
        }
        to.clear();
        to.extend(0..n as NodeId);
        let mut identity = true;
        for members in &sym.of.classes {
            order.clear();
            order.extend_from_slice(members);
            order.sort_unstable_by_key(|&m| (keys[m as usize], m));
            for (&m, &id) in order.iter().zip(members) {
                to[m as usize] = id;
                identity &= m == id;
            }
        }
        if identity {
            world_fp(world)
        } else {
            renamed_fp(&sym, world, to)
        }
    }

    /// The state after `pick` (replaying a recorded path).
    fn apply(&mut self, world: &World<P>, pick: Pick) -> World<P> {
        let (_, change) = self.successor(world, pick).expect("a recorded event changes the state");
        let mut next = World::empty();
        self.build(world, change, &mut next);
        next
    }

    fn expand(&mut self, world: &World<P>, id: u32, depth: u32) {
        let mut picks = std::mem::take(&mut self.picks);
        self.picks(world, &mut picks);
        // Two passes: the successors' fingerprints first, each one's slot fetched into the cache
        // while the next is computed; then the lookups, which then mostly hit the cache (a miss
        // per successor was a fifth of the time). A new state's successor is computed again to
        // build it: the same handler on the same state gives the same result.
        let mut fps = std::mem::take(&mut self.fps);
        fps.clear();
        let mut next = std::mem::replace(&mut self.next, World::empty());
        for (k, &pick) in picks.iter().enumerate() {
            self.progress.states += 1;
            if let Some((fp, change)) = self.successor(world, pick) {
                // With symmetry reduction, the successor's representative is fingerprinted, so
                // the successor is built (into the buffer the second pass reuses).
                let fp = if self.setup.symmetry.is_some() {
                    self.build(world, change, &mut next);
                    self.canonical_fp(&next)
                } else {
                    fp
                };
                self.seen.prefetch(fp);
                fps.push((k, fp));
            }
        }
        for &(k, fp) in &fps {
            let to = match self.seen.find(fp) {
                Some(slot) => self.seen.id(slot),
                None => {
                    let (_, change) = self.successor(world, picks[k]).expect("the same successor");
                    self.build(world, change, &mut next);
                    let to = self.discover(&mut next, fp, id, k as u16 + 1, depth + 1);
                    if self.progress.done {
                        break;
                    }
                    to
                }
            };
            if self.bounds.liveness {
                self.edges.push((id, to));
            }
        }
        self.next = next;
        self.fps = fps;
        self.picks = picks;
    }

    /// Records a new unique state, checks it and queues it.
    /// A queued state's contents move to the frontier, leaving `world`'s buffers empty.
    fn discover(&mut self, world: &mut World<P>, fp: u64, parent: u32, pick: u16, depth: u32) -> u32 {
        let id = self.parents.len() as u32;
        self.seen.insert(fp, id);
        self.parents.push((parent, pick));
        self.progress.unique += 1;
        let view = View::of_world(world, &self.setup);
        let mut good = true;
        for (i, p) in self.setup.properties.iter().enumerate() {
            match (p.kind, (p.check)(&view)) {
                (PropertyKind::Safety, Err(failure)) => {
                    self.found = Some((id, i, failure));
                    self.progress.done = true;
                    return id;
                }
                (PropertyKind::Liveness, Err(_)) => good = false,
                _ => {}
            }
        }
        let expand = (self.bounds.depth == 0 || depth < self.bounds.depth)
            && world.net.len() <= self.bounds.in_flight
            && self.progress.unique < self.bounds.max_states
            && self.setup.within.as_ref().is_none_or(|within| {
                world.nodes.iter().all(|n| match &n.slot {
                    Slot::Up { state, .. } => within(state),
                    Slot::Down(_) => true,
                })
            });
        if self.bounds.liveness {
            self.good.push(good);
            self.cut_off.push(!expand);
        }
        if expand {
            self.frontier.push(world, id, depth);
        } else {
            self.progress.bounded += 1;
        }
        if self.progress.unique >= self.bounds.max_states {
            self.progress.done = true;
        }
        id
    }

    /// Marks every state from which a good state (or one the bounds cut off) can be reached;
    /// the first other state, in discovery order, is the nearest stuck one.
    fn check_liveness(&mut self) {
        let n = self.parents.len();
        // Reverse edges in compressed rows: for each state, the states that lead to it.
        let mut start = vec![0u32; n + 1];
        for &(_, to) in &self.edges {
            start[to as usize + 1] += 1;
        }
        for i in 0..n {
            start[i + 1] += start[i];
        }
        let mut fill = start.clone();
        let mut from = vec![0u32; self.edges.len()];
        for &(a, b) in &self.edges {
            from[fill[b as usize] as usize] = a;
            fill[b as usize] += 1;
        }
        let mut can = vec![false; n];
        let mut queue: VecDeque<u32> = VecDeque::new();
        for i in 0..n {
            if self.good[i] || self.cut_off[i] {
                can[i] = true;
                queue.push_back(i as u32);
            }
        }
        while let Some(s) = queue.pop_front() {
            for &p in &from[start[s as usize] as usize..start[s as usize + 1] as usize] {
                if !can[p as usize] {
                    can[p as usize] = true;
                    queue.push_back(p);
                }
            }
        }
        let Some(stuck) = can.iter().position(|&c| !c) else { return };
        let world = self.world_at(stuck as u32);
        let view = View::of_world(&world, &self.setup);
        for (i, p) in self.setup.properties.iter().enumerate() {
            if p.kind == PropertyKind::Liveness {
                if let Err(failure) = (p.check)(&view) {
                    let explanation =
                        format!("No way out: from here no sequence of events makes it hold. {}", failure.explanation);
                    self.found = Some((stuck as u32, i, Failure { explanation, ..failure }));
                    return;
                }
            }
        }
    }

    fn chain(&self, mut id: u32) -> Vec<u16> {
        let mut picks = Vec::new();
        while id != 0 {
            let (parent, pick) = self.parents[id as usize];
            picks.push(pick - 1);
            id = parent;
        }
        picks.reverse();
        picks
    }

    fn world_at(&mut self, id: u32) -> World<P> {
        let mut world = self.init.clone();
        let mut picks = Vec::new();
        for k in self.chain(id) {
            self.picks(&world, &mut picks);
            world = self.apply(&world, picks[k as usize]);
        }
        world
    }

    /// The events from the initial state to unique state `id`, replayed with their notes.
    fn path_to(&self, id: u32) -> Vec<PathStep<P>> {
        // Replaying needs `&mut` for the effects buffer; a private copy keeps `found` `&self`.
        let setup = Setup {
            topology: self.setup.topology.clone(),
            params: self.setup.params.clone(),
            rngs: self.setup.rngs.clone(),
            work: self.setup.rngs.clone(),
            properties: Vec::new(),
            within: None,
            symmetry: None,
        };
        let mut replay = Explorer::blank(setup, self.bounds.clone(), self.init.clone(), true);
        let mut world = self.init.clone();
        let mut path = Vec::new();
        let mut picks = Vec::new();
        for k in self.chain(id) {
            replay.picks(&world, &mut picks);
            let pick = picks[k as usize];
            let event = replay.event(&world, pick);
            let text = self.describe(&event);
            world = replay.apply(&world, pick);
            let notes = std::mem::take(&mut replay.notes);
            path.push(PathStep { event, text, notes });
        }
        path
    }

    fn event(&self, world: &World<P>, pick: Pick) -> Event<P> {
        let msg = |i: usize| &world.net[i];
        match pick {
            Pick::Deliver(i) => Event::Deliver { from: msg(i).source, to: msg(i).target, msg: msg(i).msg.clone() },
            Pick::Drop(i) => Event::Drop { from: msg(i).source, to: msg(i).target, msg: msg(i).msg.clone() },
            Pick::Fire(node, k) => Event::Fire { node, timer: world.timers(node)[k].clone() },
            Pick::Crash(node) => Event::Crash { node },
            Pick::Restart(node) => Event::Restart { node },
        }
    }

    /// An event in words: `n1 delivers Prepared from n0`.
    pub fn describe(&self, event: &Event<P>) -> String {
        let name = |n: NodeId| self.setup.topology.nodes[n as usize].name.as_str();
        match event {
            Event::Deliver { from, to, msg } => {
                format!("{} receives {} from {}", name(*to), P::msg_label(msg), name(*from))
            }
            Event::Drop { from, to, msg } => {
                format!("{} from {} to {} is lost", P::msg_label(msg), name(*from), name(*to))
            }
            Event::Fire { node, timer } => format!("{}'s {} fires", name(*node), P::timer_label(timer)),
            Event::Crash { node } => format!("{} crashes", name(*node)),
            Event::Restart { node } => format!("{} restarts", name(*node)),
        }
    }
}

/// Scratch for [`Explorer::canonical_fp`]: per node its key (own state, messages, what others
/// hold about it), the renaming, the swap of one node with its class's first, and one class's
/// nodes in sorted order.
#[derive(Default)]
struct Canon {
    keys: Vec<(u64, u64, u64)>,
    to: Vec<NodeId>,
    tau: Vec<NodeId>,
    order: Vec<NodeId>,
}

/// The fingerprint of `world` with its nodes renamed by `to`: the fingerprint the renamed state
/// has when the checker meets it, since it is built the same way ([`world_fp`]).
fn renamed_fp<P: Protocol + Hash>(sym: &Symmetric<P>, world: &World<P>, to: &[NodeId]) -> u64
where
    P::Msg: Hash,
    P::Timer: Hash,
    P::Durable: Hash,
{
    let mut nodes_sum = 0u64;
    for (i, node) in world.nodes.iter().enumerate() {
        nodes_sum = nodes_sum.wrapping_add(at(to[i], slot_fp(&sym.renamed(&node.slot, to))));
    }
    let mut net_sum = 0u64;
    for m in &world.net {
        let fp = msg_fp(to[m.source as usize], to[m.target as usize], &(sym.of.msg)(&m.msg, to));
        net_sum = net_sum.wrapping_add(fp);
    }
    fingerprint(nodes_sum, net_sum, world.crashes, world.drops)
}

/// The least fingerprint of every renaming of `world` within its classes (`to` is scratch):
/// every state of one orbit has the same, so this is exact; it costs a renaming per permutation.
fn least_fp<P: Protocol + Hash>(sym: &Symmetric<P>, world: &World<P>, to: &mut Vec<NodeId>) -> u64
where
    P::Msg: Hash,
    P::Timer: Hash,
    P::Durable: Hash,
{
    to.clear();
    to.extend(0..world.nodes.len() as NodeId);
    // Per class, the ids its members get, in the members' order: each permutation in turn, the
    // classes counting like an odometer's wheels.
    let mut ids: Vec<Vec<NodeId>> = sym.of.classes.clone();
    let mut least = u64::MAX;
    loop {
        for (members, ids) in sym.of.classes.iter().zip(&ids) {
            for (&m, &id) in members.iter().zip(ids) {
                to[m as usize] = id;
            }
        }
        least = least.min(renamed_fp(sym, world, to));
        if !ids.iter_mut().any(|ids| next_permutation(ids)) {
            return least;
        }
    }
}

/// Steps `ids` to its next permutation in lexicographic order; from the last, back to the first
/// (sorted) and `false`.
fn next_permutation(ids: &mut [NodeId]) -> bool {
    let Some(i) = ids.windows(2).rposition(|w| w[0] < w[1]) else {
        ids.reverse();
        return false;
    };
    let j = ids.iter().rposition(|&x| x > ids[i]).expect("one is greater");
    ids.swap(i, j);
    ids[i + 1..].reverse();
    true
}

/// Entries of [`Explorer::noop`].
const NOOP_CACHE: usize = 1 << 14;

/// A message in flight in the checker's world: no id, no times, and its fingerprint.
#[derive(Clone, Debug)]
pub struct Env<M> {
    fp: u64,
    pub(crate) source: NodeId,
    pub(crate) target: NodeId,
    pub(crate) msg: M,
}

/// Whether `m` is the message `msg` from `source` to `target`, whose fingerprint is `fp`.
fn same<M: PartialEq>(m: &Env<M>, fp: u64, source: NodeId, target: NodeId, msg: &M) -> bool {
    m.fp == fp && m.source == source && m.target == target && m.msg == *msg
}

/// The fingerprints' hasher: foldhash with a fixed seed, so that a check is the same on every
/// run and machine (its quality variant: fingerprints stand for whole states).
fn hasher() -> foldhash::quality::FoldHasher {
    foldhash::quality::FixedState::with_seed(0x6361_7563_7573).build_hasher()
}

fn hash_of(value: &impl Hash) -> u64 {
    let mut h = hasher();
    value.hash(&mut h);
    h.finish()
}

fn msg_fp<M: Hash>(source: NodeId, target: NodeId, msg: &M) -> u64 {
    hash_of(&(source, target, msg))
}

fn slot_fp<P: Protocol + Hash>(slot: &Slot<P>) -> u64
where
    P::Timer: Hash,
    P::Durable: Hash,
{
    let mut h = hasher();
    match slot {
        Slot::Up { state, timers } => {
            0u8.hash(&mut h);
            state.hash(&mut h);
            // A set: the order timers were set in does not matter.
            timers.iter().fold(0u64, |sum, t| sum.wrapping_add(hash_of(t))).hash(&mut h);
        }
        Slot::Down(durable) => {
            1u8.hash(&mut h);
            durable.hash(&mut h);
        }
    }
    h.finish()
}

fn world_fp<P: Protocol>(world: &World<P>) -> u64 {
    fingerprint(world.nodes_sum, world.net_sum, world.crashes, world.drops)
}

/// Node `n`'s term in [`World::nodes_sum`]: its fingerprint keyed by its position and mixed
/// (the finalizer of MurmurHash3, a bijection that spreads every bit), so that nodes that
/// swap places change the sum.
fn at(n: NodeId, fp: u64) -> u64 {
    let mut x = fp ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 33;
    x = x.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    x ^= x >> 33;
    x = x.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    x ^ (x >> 33)
}

/// A state's fingerprint from its nodes' sum, its messages' sum and the faults spent.
fn fingerprint(nodes_sum: u64, net_sum: u64, crashes: u8, drops: u8) -> u64 {
    let mut h = hasher();
    h.write_u64(nodes_sum);
    h.write_u64(net_sum);
    h.write_u16(u16::from_le_bytes([crashes, drops]));
    h.finish()
}

/// Entries of [`Explorer::interned`].
const INTERNED: usize = 1 << 12;

/// The states waiting to be expanded, in the order they were found. Their nodes and messages
/// sit in two queues of their own rather than in two vectors per state: a state is written once
/// and read once, in order, so the memory it is read from is the memory just after the last
/// one's (a vector per state was two allocations and two cache misses when it came up).
struct Frontier<P: Protocol> {
    states: VecDeque<Queued>,
    nodes: VecDeque<Rc<Node<P>>>,
    net: VecDeque<Env<P::Msg>>,
}

/// A state in the frontier, but for its nodes (as many as the topology has) and its `msgs`
/// messages.
struct Queued {
    id: u32,
    depth: u32,
    msgs: u32,
    net_sum: u64,
    nodes_sum: u64,
    crashes: u8,
    drops: u8,
    stepped: Option<NodeId>,
}

impl<P: Protocol> Frontier<P> {
    fn new() -> Frontier<P> {
        Frontier { states: VecDeque::new(), nodes: VecDeque::new(), net: VecDeque::new() }
    }
    fn len(&self) -> usize {
        self.states.len()
    }
    /// Queues `world`, moving out its nodes and messages.
    fn push(&mut self, world: &mut World<P>, id: u32, depth: u32) {
        self.states.push_back(Queued {
            id,
            depth,
            msgs: world.net.len() as u32,
            net_sum: world.net_sum,
            nodes_sum: world.nodes_sum,
            crashes: world.crashes,
            drops: world.drops,
            stepped: world.stepped,
        });
        self.nodes.extend(world.nodes.drain(..));
        self.net.extend(world.net.drain(..));
    }
    /// The next state into `into` (its `nodes` nodes; the buffers are reused), with its id and
    /// depth.
    fn pop(&mut self, nodes: usize, into: &mut World<P>) -> Option<(u32, u32)> {
        let q = self.states.pop_front()?;
        into.nodes.clear();
        into.nodes.extend(self.nodes.drain(..nodes));
        into.net.clear();
        into.net.extend(self.net.drain(..q.msgs as usize));
        into.net_sum = q.net_sum;
        into.nodes_sum = q.nodes_sum;
        into.crashes = q.crashes;
        into.drops = q.drops;
        into.stepped = q.stepped;
        Some((q.id, q.depth))
    }
}

/// Fingerprint to state id: open addressing with linear probing, as model checkers' fingerprint
/// sets do (TLC's `FPSet`). Fingerprint 0 marks an empty slot, so 0 is stored as 1. Never
/// iterated, so its order cannot leak into a result. The ids sit apart from the fingerprints
/// and only when liveness needs them (to record edges): without, a slot is 8 bytes and the
/// table half the memory, with fewer cache and TLB misses per lookup.
struct FpMap {
    keys: Vec<u64>,
    /// Per slot, the state's id (liveness only; else empty).
    ids: Vec<u32>,
    with_ids: bool,
    len: usize,
}

impl FpMap {
    fn new(with_ids: bool) -> FpMap {
        const SIZE: usize = 1024;
        FpMap { keys: vec![0; SIZE], ids: if with_ids { vec![0; SIZE] } else { Vec::new() }, with_ids, len: 0 }
    }
    fn slot(&self, fp: u64) -> usize {
        // The fingerprint is already a hash; its high bits pick the slot.
        (fp.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & (self.keys.len() - 1)
    }
    /// Starts fetching `fp`'s slot into the cache, for a [`FpMap::find`] soon after.
    fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            let slot = &self.keys[self.slot(fp.max(1))];
            // SAFETY: a prefetch is only a hint; it reads nothing and faults on nothing, and the
            // address is of a live slot.
            unsafe { _mm_prefetch::<_MM_HINT_T0>((slot as *const u64).cast::<i8>()) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }
    /// The slot holding `fp`, if it is in the table.
    fn find(&self, fp: u64) -> Option<usize> {
        let fp = fp.max(1);
        let mut i = self.slot(fp);
        loop {
            match self.keys[i] {
                0 => return None,
                k if k == fp => return Some(i),
                _ => i = (i + 1) & (self.keys.len() - 1),
            }
        }
    }
    /// The id in `slot` (from [`FpMap::find`]); 0 when ids are not kept.
    fn id(&self, slot: usize) -> u32 {
        if self.with_ids {
            self.ids[slot]
        } else {
            0
        }
    }
    fn insert(&mut self, fp: u64, id: u32) {
        if (self.len + 1) * 2 > self.keys.len() {
            let size = self.keys.len() * 2;
            let keys = std::mem::replace(&mut self.keys, vec![0; size]);
            let ids = std::mem::replace(&mut self.ids, if self.with_ids { vec![0; size] } else { Vec::new() });
            self.len = 0;
            for (i, k) in keys.into_iter().enumerate() {
                if k != 0 {
                    self.insert(k, ids.get(i).copied().unwrap_or(0));
                }
            }
        }
        let fp = fp.max(1);
        let mut i = self.slot(fp);
        while self.keys[i] != 0 && self.keys[i] != fp {
            i = (i + 1) & (self.keys.len() - 1);
        }
        if self.keys[i] == 0 {
            self.len += 1;
        }
        self.keys[i] = fp;
        if self.with_ids {
            self.ids[i] = id;
        }
    }
}
