#![doc = include_str!("../essays/paxos.md")]

use caucus_sim::limits::MAX_FAULT_US;
use caucus_sim::topology::{region_rtt_us, DcSpec, LinkSpec};
use caucus_sim::{
    Ctx, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Topology, TopologySpec, View, MS,
    SEC,
};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fmt;

pub const NAME: &str = "paxos";

/// The longest value a proposer may propose, in characters: values are drawn on messages.
pub const MAX_VALUE_CHARS: usize = 16;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// The nodes that propose when the run starts; `None` means the first and the last node (in
    /// different datacenters in every preset with more than one). Every node is an acceptor and a
    /// learner whatever this says, and any node proposes when it gets a `propose` request.
    pub proposers: Option<Vec<NodeId>>,
    /// The value each proposer proposes, by position in `proposers`; empty means `A`, `B`, `C`…
    pub values: Vec<String>,
    /// When each proposer starts, by position in `proposers`; empty means all at time 0.
    pub start_us: Vec<Micros>,
    /// How long a preempted proposer waits before it tries a higher ballot (the fixed delay when
    /// `backoff` is off, the shortest wait when it is on).
    pub retry_us: Micros,
    /// Wait a random time in `retry_us..=retry_us·2^k` after the k-th preemption in a row (capped
    /// at `backoff_max_us`) instead of exactly `retry_us`. Off, two proposers can duel forever.
    pub backoff: bool,
    pub backoff_max_us: Micros,
    /// A proposer that has no majority of answers after this long gives its ballot up.
    pub phase_timeout_us: Micros,
    /// A node that has not learned a value and has heard nothing for this long asks its peers.
    pub learn_timeout_us: Micros,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            proposers: None,
            values: Vec::new(),
            start_us: Vec::new(),
            retry_us: 20 * MS,
            backoff: true,
            backoff_max_us: SEC,
            phase_timeout_us: SEC,
            learn_timeout_us: SEC,
        }
    }
}

/// What one proposer does: its node, its value and when it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proposing {
    pub node: NodeId,
    pub value: String,
    pub start_us: Micros,
}

impl Params {
    /// The proposers of a run with `nodes` nodes, with their values and start times.
    pub fn proposing(&self, nodes: usize) -> Vec<Proposing> {
        let last = nodes.saturating_sub(1) as NodeId;
        let ids = self.proposers.clone().unwrap_or_else(|| if last == 0 { vec![0] } else { vec![0, last] });
        ids.into_iter()
            .enumerate()
            .map(|(i, node)| Proposing {
                node,
                value: self.values.get(i).cloned().unwrap_or_else(|| default_value(i)),
                start_us: self.start_us.get(i).copied().unwrap_or(0),
            })
            .collect()
    }
}

/// `A`, `B`, … `Z`, then `V27`, `V28`…
fn default_value(i: usize) -> String {
    match u8::try_from(i).ok().filter(|&i| i < 26) {
        Some(i) => char::from(b'A' + i).to_string(),
        None => format!("V{}", i + 1),
    }
}

/// A ballot number: a round, then the proposer's id to break ties. `0.0` means "none yet".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Ballot {
    pub round: u64,
    pub proposer: NodeId,
}

impl fmt::Display for Ballot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.round, self.proposer)
    }
}

/// A value with the ballot it was proposed or accepted in, written `2.4=B`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Proposal {
    pub ballot: Ballot,
    pub value: String,
}

impl fmt::Display for Proposal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.ballot, self.value)
    }
}

/// An acceptor's state, all of it on disk: it survives crashes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Acceptor {
    /// The highest ballot promised; no lower ballot will be accepted.
    pub promised: Ballot,
    /// The highest-ballot proposal accepted.
    pub accepted: Option<Proposal>,
    /// Every proposal ever accepted, in order. Not needed by the algorithm: it lets the safety
    /// property see every majority that ever formed.
    pub history: Vec<Proposal>,
}

/// Where a proposer is in its current ballot. Volatile.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum Phase {
    /// Not proposing: not a proposer, done, or not started yet.
    Idle,
    /// Preempted; a higher ballot follows when the retry timer fires.
    Waiting,
    /// Phase 1: `Prepare` sent, counting promises.
    Preparing {
        promises: Vec<NodeId>,
        /// The highest-ballot proposal reported by a promise: the value phase 2 must use.
        highest: Option<Proposal>,
    },
    /// Phase 2: `Accept` sent, counting acceptances.
    Accepting { value: String, accepted: Vec<NodeId> },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Paxos {
    /// The acceptor's durable state.
    pub acceptor: Acceptor,
    /// The value this node proposes when it proposes; `None` for a node that only accepts.
    pub value: Option<String>,
    /// The current (or last) ballot of this node's proposer; `0.0` if it never proposed.
    pub ballot: Ballot,
    pub phase: Phase,
    /// The highest round seen in any ballot, so the next ballot can be higher.
    pub max_round: u64,
    /// Preemptions in a row, which the backoff grows with.
    pub preemptions: u32,
    /// The chosen value, once this node knows it.
    pub learned: Option<Proposal>,
    /// Messages to itself (its own acceptor answering its own proposer), handled without the network.
    #[serde(skip)]
    inbox: VecDeque<Msg>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Prepare {
        ballot: Ballot,
    },
    /// The promise, with the highest proposal the acceptor has accepted.
    Promise {
        ballot: Ballot,
        accepted: Option<Proposal>,
    },
    Accept {
        ballot: Ballot,
        value: String,
    },
    Accepted {
        ballot: Ballot,
    },
    /// `ballot` was refused because the acceptor promised `promised`.
    Nack {
        ballot: Ballot,
        promised: Ballot,
    },
    /// `value` was chosen (with `ballot`).
    Decided {
        ballot: Ballot,
        value: String,
    },
    /// "What was chosen?", from a node that has not learned yet.
    Query,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// A configured proposer's first ballot.
    Start,
    /// The wait after a preemption.
    Retry,
    /// No majority answered the current phase in time.
    PhaseTimeout,
    /// Nothing heard for a while and nothing learned: ask.
    LearnTimeout,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Start proposing `value` at this node now, with a new ballot.
    Propose { value: String },
}

impl Paxos {
    fn majority(ctx: &Ctx<'_, Self>) -> usize {
        ctx.node_count() / 2 + 1
    }

    /// Whether this node is in a ballot or waiting to start one.
    pub fn is_proposing(&self) -> bool {
        self.phase != Phase::Idle
    }

    /// Sends to any node, itself included: a message to itself goes to its inbox, not the network.
    fn post(&mut self, ctx: &mut Ctx<'_, Self>, to: NodeId, msg: Msg) {
        if to == ctx.id {
            self.inbox.push_back(msg);
        } else {
            ctx.send(to, msg);
        }
    }

    /// Sends to every acceptor, this node's own included.
    fn post_all(&mut self, ctx: &mut Ctx<'_, Self>, msg: Msg) {
        for to in 0..ctx.node_count() as NodeId {
            self.post(ctx, to, msg.clone());
        }
    }

    /// Handles what this node sent itself, until nothing is left.
    fn drain(&mut self, ctx: &mut Ctx<'_, Self>) {
        while let Some(msg) = self.inbox.pop_front() {
            self.handle(ctx, ctx.id, msg);
        }
    }

    fn see(&mut self, ballot: Ballot) {
        self.max_round = self.max_round.max(ballot.round);
    }

    fn handle(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Prepare { ballot } => self.on_prepare(ctx, from, ballot),
            Msg::Accept { ballot, value } => self.on_accept(ctx, from, ballot, value),
            Msg::Promise { ballot, accepted } => self.on_promise(ctx, from, ballot, accepted),
            Msg::Accepted { ballot } => self.on_accepted(ctx, from, ballot),
            Msg::Nack { ballot, promised } => self.on_nack(ctx, ballot, promised),
            Msg::Decided { ballot, value } => self.learn(ctx, Proposal { ballot, value }),
            Msg::Query => {
                if let Some(p) = self.learned.clone() {
                    self.post(ctx, from, Msg::Decided { ballot: p.ballot, value: p.value });
                }
            }
        }
    }

    // ---- acceptor ------------------------------------------------------------------------

    fn on_prepare(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, ballot: Ballot) {
        self.see(ballot);
        let a = &mut self.acceptor;
        // `>=`: a repeated Prepare for the promised ballot (a duplicate) gets the same answer.
        let reply = if ballot >= a.promised {
            a.promised = ballot;
            // A promise is on disk before it is made: forgotten in a crash, it could be broken.
            ctx.persist("promise");
            Msg::Promise { ballot, accepted: a.accepted.clone() }
        } else {
            Msg::Nack { ballot, promised: a.promised }
        };
        self.post(ctx, from, reply);
    }

    fn on_accept(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, ballot: Ballot, value: String) {
        self.see(ballot);
        let a = &mut self.acceptor;
        if ballot < a.promised {
            let promised = a.promised;
            self.post(ctx, from, Msg::Nack { ballot, promised });
            return;
        }
        let proposal = Proposal { ballot, value };
        a.promised = ballot;
        if a.accepted.as_ref() != Some(&proposal) {
            ctx.note(format!("accepts {proposal}"));
            a.history.push(proposal.clone());
            a.accepted = Some(proposal);
        }
        ctx.persist("accepted proposal");
        self.post(ctx, from, Msg::Accepted { ballot });
    }

    // ---- proposer ------------------------------------------------------------------------

    /// Phase 1: a new ballot, higher than any seen, sent to every acceptor.
    fn prepare(&mut self, ctx: &mut Ctx<'_, Self>) {
        let Some(value) = self.value.clone() else {
            return;
        };
        let round = self.max_round.max(self.acceptor.promised.round) + 1;
        self.ballot = Ballot { round, proposer: ctx.id };
        self.max_round = round;
        self.phase = Phase::Preparing { promises: Vec::new(), highest: None };
        ctx.note(format!("prepares ballot {} to propose {value}", self.ballot));
        ctx.set_timer(Timer::PhaseTimeout, ctx.params.phase_timeout_us);
        self.post_all(ctx, Msg::Prepare { ballot: self.ballot });
    }

    fn on_promise(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, ballot: Ballot, accepted: Option<Proposal>) {
        let majority = Self::majority(ctx);
        let Phase::Preparing { promises, highest } = &mut self.phase else {
            return;
        };
        if ballot != self.ballot || promises.contains(&from) {
            return;
        }
        promises.push(from);
        if accepted > *highest {
            *highest = accepted;
        }
        if promises.len() < majority {
            return;
        }
        // Phase 2. The value is not ours to pick if a majority member already accepted one.
        let own = self.value.clone().unwrap_or_default();
        let value = match highest.take() {
            Some(p) => {
                let whose = if p.value == own { "its own value".to_string() } else { format!("not its own {own}") };
                ctx.note(format!(
                    "has a majority of promises for {}: proposes {}, accepted earlier as {p} ({whose})",
                    self.ballot, p.value
                ));
                p.value
            }
            None => {
                ctx.note(format!("has a majority of promises for {}: proposes its own {own}", self.ballot));
                own
            }
        };
        self.phase = Phase::Accepting { value: value.clone(), accepted: Vec::new() };
        ctx.set_timer(Timer::PhaseTimeout, ctx.params.phase_timeout_us);
        self.post_all(ctx, Msg::Accept { ballot: self.ballot, value });
    }

    fn on_accepted(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, ballot: Ballot) {
        let majority = Self::majority(ctx);
        let Phase::Accepting { value, accepted } = &mut self.phase else {
            return;
        };
        if ballot != self.ballot || accepted.contains(&from) {
            return;
        }
        accepted.push(from);
        if accepted.len() < majority {
            return;
        }
        let chosen = Proposal { ballot, value: value.clone() };
        ctx.moment(format!("sees {} chosen: a majority accepted {chosen}", chosen.value));
        self.stop_proposing(ctx);
        self.learn(ctx, chosen.clone());
        ctx.broadcast(Msg::Decided { ballot: chosen.ballot, value: chosen.value });
    }

    fn on_nack(&mut self, ctx: &mut Ctx<'_, Self>, ballot: Ballot, promised: Ballot) {
        self.see(promised);
        let live = matches!(self.phase, Phase::Preparing { .. } | Phase::Accepting { .. });
        if live && ballot == self.ballot {
            let why = format!("preempted: an acceptor promised {promised}");
            self.preempted(ctx, why);
        }
    }

    /// Gives the current ballot up and waits before the next one.
    fn preempted(&mut self, ctx: &mut Ctx<'_, Self>, why: String) {
        ctx.cancel_timer(Timer::PhaseTimeout);
        self.preemptions = self.preemptions.saturating_add(1);
        let wait = self.retry_wait(ctx);
        self.phase = Phase::Waiting;
        ctx.note(format!("gives up ballot {} ({why}); retries in {} ms", self.ballot, wait / MS));
        ctx.set_timer(Timer::Retry, wait);
    }

    fn retry_wait(&self, ctx: &mut Ctx<'_, Self>) -> Micros {
        let p = ctx.params;
        if !p.backoff {
            return p.retry_us;
        }
        let grown = p.retry_us.saturating_mul(1 << self.preemptions.min(30));
        ctx.random_between(p.retry_us, grown.min(p.backoff_max_us).max(p.retry_us))
    }

    fn stop_proposing(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.phase = Phase::Idle;
        self.preemptions = 0;
        ctx.cancel_timer(Timer::PhaseTimeout);
        ctx.cancel_timer(Timer::Retry);
        ctx.cancel_timer(Timer::Start);
    }

    // ---- learner -------------------------------------------------------------------------

    fn learn(&mut self, ctx: &mut Ctx<'_, Self>, chosen: Proposal) {
        if self.learned.is_some() {
            return;
        }
        ctx.note(format!("learns {} (chosen with ballot {})", chosen.value, chosen.ballot));
        ctx.cancel_timer(Timer::LearnTimeout);
        if self.is_proposing() {
            ctx.note(format!("stops proposing: {} is chosen", chosen.value));
            self.stop_proposing(ctx);
        }
        self.learned = Some(chosen);
    }
}

impl Protocol for Paxos {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Acceptor;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        let n = topology.nodes.len();
        let proposers = params.proposing(n);
        for (i, p) in proposers.iter().enumerate() {
            if p.node as usize >= n {
                return Err(format!("proposers[{i}]: there is no node {} (the run has {n} nodes)", p.node));
            }
            if proposers[..i].iter().any(|q| q.node == p.node) {
                return Err(format!("proposers lists node {} twice", p.node));
            }
            if p.value.trim().is_empty() {
                return Err(format!("values[{i}] is empty: a proposer needs something to propose"));
            }
            if p.value.chars().count() > MAX_VALUE_CHARS {
                return Err(format!(
                    "values[{i}] is longer than {MAX_VALUE_CHARS} characters (values are drawn on messages)"
                ));
            }
            if p.start_us > MAX_FAULT_US {
                return Err(format!("start_us[{i}] is over {MAX_FAULT_US} µs (one hour)"));
            }
        }
        for (field, len) in [("values", params.values.len()), ("start_us", params.start_us.len())] {
            if len != 0 && len != proposers.len() {
                return Err(format!(
                    "{field} has {len} entries but there are {} proposers: give one per proposer, or none for the defaults",
                    proposers.len()
                ));
            }
        }
        crate::check_durations(&[
            ("retry_us", params.retry_us),
            ("backoff_max_us", params.backoff_max_us),
            ("phase_timeout_us", params.phase_timeout_us),
            ("learn_timeout_us", params.learn_timeout_us),
        ])?;
        // Each retry: a prepare and an accept to every acceptor, and their answers.
        caucus_sim::limits::check_rate("retry_us", params.retry_us, proposers.len() * 4 * n, topology)?;
        if params.backoff_max_us < params.retry_us {
            return Err(format!(
                "backoff_max_us ({} µs) must be at least retry_us ({} µs), the shortest wait",
                params.backoff_max_us, params.retry_us
            ));
        }
        let round_trip = 2 * topology.max_one_way_us();
        if params.phase_timeout_us <= round_trip {
            return Err(format!(
                "phase_timeout_us ({} µs) must be longer than the longest round trip ({round_trip} µs), or every phase gives up before its answers arrive",
                params.phase_timeout_us
            ));
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Acceptor>) -> Self {
        let restarted = durable.is_some();
        let acceptor = durable.unwrap_or_default();
        let mine = ctx.params.proposing(ctx.node_count()).into_iter().find(|p| p.node == ctx.id);
        let mut node = Paxos {
            max_round: acceptor.promised.round,
            acceptor,
            value: mine.as_ref().map(|p| p.value.clone()),
            ballot: Ballot::default(),
            phase: Phase::Idle,
            preemptions: 0,
            learned: None,
            inbox: VecDeque::new(),
        };
        if restarted {
            let a = &node.acceptor;
            let kept = match (&a.accepted, a.promised.round) {
                (Some(p), _) => format!("promised {}, accepted {p}", a.promised),
                (None, 0) => "it had promised nothing".to_string(),
                (None, _) => format!("promised {}, accepted nothing", a.promised),
            };
            ctx.note(format!("restarts: its acceptor kept its word on disk ({kept}); what it learned is forgotten"));
        }
        if let Some(p) = mine {
            node.phase = Phase::Waiting;
            if restarted {
                ctx.set_timer(Timer::Retry, ctx.params.retry_us);
            } else {
                ctx.set_timer(Timer::Start, p.start_us);
            }
        }
        ctx.set_timer(Timer::LearnTimeout, ctx.params.learn_timeout_us);
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        if self.learned.is_none() {
            // Someone is at work: asking can wait.
            ctx.set_timer(Timer::LearnTimeout, ctx.params.learn_timeout_us);
        }
        self.handle(ctx, from, msg);
        self.drain(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {
            Timer::Start | Timer::Retry => {
                if self.learned.is_none() && self.phase == Phase::Waiting {
                    self.prepare(ctx);
                }
            }
            Timer::PhaseTimeout => {
                if matches!(self.phase, Phase::Preparing { .. } | Phase::Accepting { .. }) {
                    let why = format!("no majority answered within {} ms", ctx.params.phase_timeout_us / MS);
                    self.preempted(ctx, why);
                }
            }
            Timer::LearnTimeout => {
                if self.learned.is_none() {
                    ctx.note("has not learned a value and hears nothing: asks its peers");
                    ctx.broadcast(Msg::Query);
                    ctx.set_timer(Timer::LearnTimeout, ctx.params.learn_timeout_us);
                }
            }
        }
        self.drain(ctx);
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        let Request::Propose { value } = request;
        let value: String = value.trim().chars().take(MAX_VALUE_CHARS).collect();
        if value.is_empty() {
            ctx.note("ignores a proposal of an empty value");
            return;
        }
        if let Some(learned) = &self.learned {
            ctx.note(format!(
                "already learned {}: a new ballot will find it and choose it again, whatever it proposes",
                learned.value
            ));
        }
        ctx.note(format!("is asked to propose {value}"));
        self.value = Some(value);
        self.preemptions = 0;
        ctx.cancel_timer(Timer::Retry);
        ctx.cancel_timer(Timer::Start);
        self.prepare(ctx);
        self.drain(ctx);
    }

    fn durable(&self) -> Acceptor {
        self.acceptor.clone()
    }

    fn role(&self) -> String {
        match (&self.learned, self.is_proposing()) {
            (Some(p), _) => format!("learned {}", p.value),
            (None, true) => "proposer".into(),
            (None, false) => "acceptor".into(),
        }
    }

    fn badge(&self) -> String {
        if matches!(self.phase, Phase::Preparing { .. } | Phase::Accepting { .. } | Phase::Waiting)
            && self.ballot.round > 0
        {
            return format!("ballot {}", self.ballot);
        }
        match &self.acceptor.accepted {
            Some(p) => format!("accepted {p}"),
            None if self.acceptor.promised.round > 0 => format!("promised {}", self.acceptor.promised),
            None => String::new(),
        }
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::Retry => Some("retry"),
            Timer::Start => Some("start"),
            Timer::PhaseTimeout | Timer::LearnTimeout => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Prepare { ballot } => format!("Prepare {ballot}"),
            Msg::Promise { ballot, accepted: None } => format!("Promise {ballot}"),
            Msg::Promise { ballot, accepted: Some(p) } => format!("Promise {ballot} ({p})"),
            Msg::Accept { ballot, value } => format!("Accept {ballot}={value}"),
            Msg::Accepted { ballot } => format!("Accepted {ballot}"),
            Msg::Nack { promised, .. } => format!("Nack {promised}"),
            Msg::Decided { value, .. } => format!("Decided {value}"),
            Msg::Query => "Query".into(),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "At most one value is chosen",
                kind: PropertyKind::Safety,
                description: "No two majorities of acceptors ever accepted different values, each majority with one ballot (crashed acceptors count: their votes are on disk).",
                check: at_most_one_chosen,
            },
            Property {
                name: "Learners agree",
                kind: PropertyKind::Safety,
                description: "No two running nodes learned different values, and every learned value was chosen by a majority.",
                check: learners_agree,
            },
            Property {
                name: "A value is eventually learned",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, every running node learns the chosen value (duelling proposers without backoff can stop this forever).",
                check: eventually_learned,
            },
        ]
    }
}

// ---- properties -----------------------------------------------------------------------------

/// A value chosen: a majority of acceptors accepted it with one ballot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub ballot: Ballot,
    pub value: String,
    /// The acceptors that accepted it with that ballot, in id order.
    pub acceptors: Vec<NodeId>,
}

/// Every (ballot, value) accepted by a majority of `nodes` acceptors, by ballot, from the
/// acceptors' histories.
pub fn chosen<'a>(acceptors: impl IntoIterator<Item = (NodeId, &'a Acceptor)>, nodes: usize) -> Vec<Chosen> {
    let mut votes: Vec<(Ballot, &str, NodeId)> = acceptors
        .into_iter()
        .flat_map(|(id, a)| a.history.iter().map(move |p| (p.ballot, p.value.as_str(), id)))
        .collect();
    votes.sort_unstable();
    votes.dedup();
    let majority = nodes / 2 + 1;
    votes
        .chunk_by(|x, y| x.0 == y.0 && x.1 == y.1)
        .filter(|group| group.len() >= majority)
        .map(|group| Chosen {
            ballot: group[0].0,
            value: group[0].1.to_string(),
            acceptors: group.iter().map(|v| v.2).collect(),
        })
        .collect()
}

/// The chosen proposals of a run, counting crashed acceptors (their state is on disk).
pub fn chosen_in(view: &View<'_, Paxos>) -> Vec<Chosen> {
    let down: Vec<(NodeId, Acceptor)> =
        view.node_ids().filter(|&i| view.state(i).is_none()).filter_map(|i| view.durable(i).map(|a| (i, a))).collect();
    let up = view.up().map(|(i, s)| (i, &s.acceptor));
    chosen(up.chain(down.iter().map(|(i, a)| (*i, a))), view.node_ids().len())
}

/// `n1`, `n1 and n2`, `n1, n2 and n3`.
fn names(view: &View<'_, Paxos>, nodes: &[NodeId]) -> String {
    let names: Vec<&str> = nodes.iter().map(|&n| view.name(n)).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn at_most_one_chosen(view: &View<'_, Paxos>) -> Result<(), Failure> {
    let chosen = chosen_in(view);
    let Some(first) = chosen.first() else {
        return Ok(());
    };
    let Some(other) = chosen.iter().find(|c| c.value != first.value) else {
        return Ok(());
    };
    let mut nodes: Vec<NodeId> = first.acceptors.iter().chain(&other.acceptors).copied().collect();
    nodes.sort_unstable();
    nodes.dedup();
    Err(Failure::new(format!(
        "Two values were chosen: {} with ballot {} (accepted by {}) and {} with ballot {} (accepted by {}).",
        first.value,
        first.ballot,
        names(view, &first.acceptors),
        other.value,
        other.ballot,
        names(view, &other.acceptors)
    ))
    .nodes(nodes))
}

fn learners_agree(view: &View<'_, Paxos>) -> Result<(), Failure> {
    let learned: Vec<(NodeId, &Proposal)> = view.up().filter_map(|(i, s)| s.learned.as_ref().map(|p| (i, p))).collect();
    let Some(&(first, p)) = learned.first() else {
        return Ok(());
    };
    if let Some(&(other, q)) = learned.iter().find(|(_, q)| q.value != p.value) {
        return Err(Failure::new(format!(
            "{} learned {} but {} learned {}.",
            view.name(first),
            p.value,
            view.name(other),
            q.value
        ))
        .nodes([first, other]));
    }
    let chosen = chosen_in(view);
    match learned.iter().find(|(_, p)| !chosen.iter().any(|c| c.value == p.value)) {
        Some(&(i, p)) => Err(Failure::new(format!(
            "{} learned {}, but no majority of acceptors accepted {} with one ballot.",
            view.name(i),
            p.value,
            p.value
        ))
        .nodes([i])),
        None => Ok(()),
    }
}

fn eventually_learned(view: &View<'_, Paxos>) -> Result<(), Failure> {
    let missing: Vec<NodeId> = view.up().filter(|(_, s)| s.learned.is_none()).map(|(i, _)| i).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let who = names(view, &missing);
    let verb = if missing.len() == 1 { "has" } else { "have" };
    let chosen = chosen_in(view);
    let text = match chosen.first() {
        Some(c) => format!("{who} {verb} not learned {}, which was chosen with ballot {}.", c.value, c.ballot),
        None => format!(
            "No value was chosen, so {who} {verb} learned nothing: no ballot was accepted by a majority (proposers preempting each other, or too few acceptors up)."
        ),
    };
    Err(Failure::new(text).nodes(missing))
}

// ---- scenarios ------------------------------------------------------------------------------

/// Five acceptors: two in us-east-1, two in eu-west-1, one in ap-southeast-1.
fn five() -> TopologySpec {
    TopologySpec::placed("three-regions", &[2, 2, 1])
}

/// Two acceptors in us-east-1 and two in eu-west-1, a measured ocean apart. With no third region to
/// tip the balance, each proposer needs one vote from the other's side: the layout of a duel.
fn two_regions() -> TopologySpec {
    let one_way = region_rtt_us("us-east-1", "eu-west-1").unwrap_or(80_550) / 2;
    let dc = |name: &str, region: &str, x: f32, y: f32| DcSpec {
        name: name.into(),
        region: region.into(),
        x,
        y,
        storage: None,
    };
    TopologySpec {
        datacenters: vec![dc("us-east-1", "N. Virginia", 0.285, 0.284), dc("eu-west-1", "Ireland", 0.482, 0.204)],
        links: vec![LinkSpec {
            a: "us-east-1".into(),
            b: "eu-west-1".into(),
            latency_us: one_way as i64,
            jitter_us: (one_way / 20) as i64,
            loss_ppm: 0,
        }],
        placement: Some(vec![2, 2]),
        ..TopologySpec::default()
    }
}

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at, scenario};
    let mut duel = scenario(
        "paxos-duel",
        "n0 and n3 propose at once and retry 5 ms after every preemption: each new Prepare reaches the acceptors beside it just before the other's Accept, so no ballot gets a majority and nothing is chosen for the whole run (a livelock: check the liveness property).",
        NAME,
        two_regions(),
        vec![],
    );
    duel.protocol.params = serde_json::json!({ "retry_us": 5_000, "backoff": false });
    let mut backoff = scenario(
        "paxos-duel-backoff",
        "The same duel, but a preempted proposer waits a random, growing time (from 5 ms up): soon one waits long enough for the other to finish, and a value is chosen within a second.",
        NAME,
        two_regions(),
        vec![],
    );
    backoff.protocol.params = serde_json::json!({ "retry_us": 5_000 });
    let mut crash = scenario(
        "paxos-acceptor-crash",
        "n3 crashes 30 ms in, before it can answer, and n2 at 350 ms (both in eu-west-1): the three acceptors left are still a majority of five, so a value is chosen. n2 restarts at 5 s with its promises on disk and learns the value by asking.",
        NAME,
        five(),
        vec![at(0.03, Input::Crash { node: 3 }), at(0.35, Input::Crash { node: 2 }), at(5.0, Input::Restart { node: 2 })],
    );
    crash.until_us = 8 * SEC;
    vec![
        scenario(
            "paxos",
            "n0 proposes A and n4 proposes B at the same moment; five acceptors in three regions choose exactly one value and every node learns it. Watch a Promise that carries an accepted value: the other proposer adopts it.",
            NAME,
            five(),
            vec![],
        ),
        duel,
        backoff,
        crash,
    ]
}
