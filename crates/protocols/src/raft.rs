#![doc = include_str!("../essays/raft.md")]

use caucus_sim::sim::What;
use caucus_sim::trace::Trace;
use caucus_sim::{
    Ctx, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, ScenarioError, Sim, Status,
    Topology, TopologySpec, View, MS,
};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "raft";

/// The smallest and largest clusters this module runs: Raft needs three nodes to survive a
/// failure, and more than nine makes the map and the diagram unreadable.
pub const MIN_NODES: usize = 3;
pub const MAX_NODES: usize = 9;
/// Datacenters a Raft topology may span.
pub const MAX_DATACENTERS: usize = 5;
/// Entries in one `AppendEntries` at most, so that repairing a long log takes several messages
/// rather than one huge one.
pub const MAX_BATCH: usize = 32;
/// Characters in one client command at most.
pub const MAX_COMMAND: usize = 64;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// A follower starts an election after hearing no leader for a random time between this...
    pub election_timeout_min_us: Micros,
    /// ...and this (both in the node's local time).
    pub election_timeout_max_us: Micros,
    /// How often a leader sends `AppendEntries` to every follower, with or without entries.
    pub heartbeat_us: Micros,
    /// Ask for pre-votes before starting an election (thesis, section 9.6).
    pub pre_vote: bool,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            election_timeout_min_us: 1000 * MS,
            election_timeout_max_us: 2000 * MS,
            heartbeat_us: 100 * MS,
            pre_vote: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Follower,
    /// Asking for pre-votes; still in its old term.
    PreCandidate,
    Candidate,
    Leader,
}

impl Role {
    pub fn word(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::PreCandidate => "pre-candidate",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
        }
    }
}

/// One log entry. An empty command is the no-op a new leader appends to commit its term.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Entry {
    pub term: u64,
    pub command: String,
}

impl Entry {
    pub fn is_noop(&self) -> bool {
        self.command.is_empty()
    }
    /// The command as a person reads it.
    pub fn describe(&self) -> String {
        if self.is_noop() {
            format!("no-op of term {}", self.term)
        } else {
            format!("\"{}\" (term {})", self.command, self.term)
        }
    }
}

/// What a node writes to disk before it answers, and finds again after a crash (figure 2 of the
/// paper: `currentTerm`, `votedFor`, `log[]`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Persistent {
    pub term: u64,
    pub voted_for: Option<NodeId>,
    pub log: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Raft {
    pub role: Role,
    /// Durable: the latest term this node has seen.
    pub term: u64,
    /// Durable: whom it voted for in `term`.
    pub voted_for: Option<NodeId>,
    /// Durable. Entry `i` (1-based, as in the paper) is `log[i - 1]`.
    pub log: Vec<Entry>,
    /// The number of committed entries: `log[..commit_index]` are committed (and applied). Volatile,
    /// as in the paper: a restarted node learns it again from the leader.
    pub commit_index: u64,
    /// Who it believes leads `term`; `None` while it does not know (or suspects the leader).
    pub leader: Option<NodeId>,
    /// Votes (or pre-votes) received in the current election; a leader keeps the votes that elected it.
    pub votes: Vec<NodeId>,
    /// Leader only, per node: the index of the next entry to send.
    pub next_index: Vec<u64>,
    /// Leader only, per node: how many entries it knows the node holds in agreement with its own log.
    pub match_index: Vec<u64>,
    /// Leader only, per node: whether the leader is still looking for where the node's log agrees
    /// with its own (one `AppendEntries` at a time) rather than streaming entries to it.
    pub probing: Vec<bool>,
    /// Local time this node last heard from the leader of its term (pre-vote refuses while recent).
    pub leader_contact_us: Option<Micros>,
    /// For the properties only: `log_digest[i]` fingerprints `log[..=i]` (a 64-bit FNV-1a chain
    /// over terms and commands), so that comparing two log prefixes costs one comparison instead
    /// of one per entry. It changes exactly where the log changes (`push_entry`, `truncate_log`).
    #[serde(skip)]
    log_digest: Vec<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// "Would you vote for me in `term`?" (`term` is the sender's term plus one).
    PreVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    /// `term` is the proposed term when granted, else the voter's own term.
    PreVoteReply {
        term: u64,
        granted: bool,
    },
    RequestVote {
        term: u64,
        last_log_index: u64,
        last_log_term: u64,
    },
    Vote {
        term: u64,
        granted: bool,
    },
    /// No entries: a heartbeat.
    AppendEntries {
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    },
    /// The follower now holds entries up to `match_index` in agreement with the leader.
    AppendOk {
        term: u64,
        match_index: u64,
    },
    /// Refused: a stale term (`term` is higher than the leader's), or the follower's log does not
    /// hold entry `prev_log_index` with the right term; `last_log_index` is its log's length.
    AppendRejected {
        term: u64,
        prev_log_index: u64,
        last_log_index: u64,
    },
    /// A client command passed on to the leader.
    Forward {
        command: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// Followers and candidates: start an election when it fires.
    Election,
    /// Leaders: send `AppendEntries` to every follower.
    Heartbeat,
}

/// What a client can ask a node. JSON: `{"submit":{"command":"x=1"}}`, `"timeout"`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Replicate a command: a leader appends it, a follower forwards it to the leader it knows.
    Submit { command: String },
    /// Start an election now, as if the election timer fired (send it to two nodes at the same
    /// instant to force a split vote).
    Timeout,
}

impl Protocol for Raft {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Persistent;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        let nodes = topology.nodes.len();
        if !(MIN_NODES..=MAX_NODES).contains(&nodes) {
            return Err(format!("Raft runs on {MIN_NODES} to {MAX_NODES} nodes; this topology has {nodes}"));
        }
        let dcs = topology.datacenters.len();
        if dcs > MAX_DATACENTERS {
            return Err(format!("Raft runs on 1 to {MAX_DATACENTERS} datacenters; this topology has {dcs}"));
        }
        let (min, max, beat) = (params.election_timeout_min_us, params.election_timeout_max_us, params.heartbeat_us);
        if beat == 0 {
            return Err("heartbeat_us must be above zero".into());
        }
        if min > max {
            return Err(format!("election_timeout_min_us ({min}) must not be above election_timeout_max_us ({max})"));
        }
        if max > caucus_sim::limits::MAX_FAULT_US {
            return Err(format!(
                "election_timeout_max_us is at most {} µs (one hour)",
                caucus_sim::limits::MAX_FAULT_US
            ));
        }
        if beat >= min {
            return Err(format!(
                "heartbeat_us ({beat}) must be shorter than election_timeout_min_us ({min}), or followers time out between heartbeats"
            ));
        }
        // Per heartbeat a leader's append to every follower and their replies; per election
        // timeout, at worst, every node a candidate asking every other for its vote.
        caucus_sim::limits::check_rate("heartbeat_us", beat, 2 * (nodes - 1), topology)?;
        caucus_sim::limits::check_rate("election_timeout_min_us", min, 2 * nodes * (nodes - 1), topology)?;
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Persistent>) -> Self {
        let restarted = durable.is_some();
        let Persistent { term, voted_for, log } =
            durable.unwrap_or(Persistent { term: 0, voted_for: None, log: Vec::new() });
        if restarted {
            ctx.note(format!(
                "restarts in term {term} with {} from disk; its commit index is forgotten",
                plural(log.len(), "log entry", "log entries")
            ));
        }
        let mut node = Raft {
            role: Role::Follower,
            term,
            voted_for,
            log: Vec::new(),
            commit_index: 0,
            leader: None,
            votes: Vec::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
            probing: Vec::new(),
            leader_contact_us: None,
            log_digest: Vec::new(),
        };
        for entry in log {
            node.push_entry(entry);
        }
        node.reset_election_timer(ctx);
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::PreVote { term, last_log_index, last_log_term } => {
                self.on_pre_vote(ctx, from, term, last_log_index, last_log_term)
            }
            Msg::PreVoteReply { term, granted } => self.on_pre_vote_reply(ctx, from, term, granted),
            Msg::RequestVote { term, last_log_index, last_log_term } => {
                self.on_request_vote(ctx, from, term, last_log_index, last_log_term)
            }
            Msg::Vote { term, granted } => self.on_vote(ctx, from, term, granted),
            Msg::AppendEntries { term, prev_log_index, prev_log_term, entries, leader_commit } => {
                self.on_append_entries(ctx, from, term, prev_log_index, prev_log_term, entries, leader_commit)
            }
            Msg::AppendOk { term, match_index } => self.on_append_ok(ctx, from, term, match_index),
            Msg::AppendRejected { term, prev_log_index, last_log_index } => {
                self.on_append_rejected(ctx, from, term, prev_log_index, last_log_index)
            }
            Msg::Forward { command } => self.on_submit(ctx, command),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {
            Timer::Election => self.on_election_timeout(ctx),
            Timer::Heartbeat => {
                if self.role == Role::Leader {
                    self.heartbeat(ctx);
                }
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        match request {
            Request::Submit { command } => self.on_submit(ctx, command),
            Request::Timeout if self.role == Role::Leader => {
                ctx.note(format!("already leads term {}: no election to start", self.term));
            }
            Request::Timeout => self.on_election_timeout(ctx),
        }
    }

    fn durable(&self) -> Persistent {
        Persistent { term: self.term, voted_for: self.voted_for, log: self.log.clone() }
    }

    fn roles() -> &'static [caucus_sim::Role] {
        use caucus_sim::Role;
        const ROLES: &[caucus_sim::Role] = &[
            Role::new("leader", "the leader"),
            Role::new("follower", "a follower"),
            Role::new("candidate", "a candidate"),
        ];
        ROLES
    }

    fn has_role(&self, role: &str, _arg: &str) -> bool {
        self.role.word() == role
    }

    /// The leader of the highest term first: during a partition an old leader may still believe
    /// it leads, and "the leader" is the one the majority follows.
    fn with_role(view: &View<'_, Self>, role: &str, arg: &str) -> Vec<NodeId> {
        crate::ranked_with_role(view, role, arg, "leader", |p| p.term)
    }

    fn role(&self) -> String {
        self.role.word().to_string()
    }

    fn badge(&self) -> String {
        format!("term {}", self.term)
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::Election => Some("election timeout"),
            Timer::Heartbeat => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        let mark = |granted: bool| if granted { "✓" } else { "✗" };
        match msg {
            Msg::PreVote { term, .. } => format!("PreVote t{term}"),
            Msg::PreVoteReply { term, granted } => format!("PreVote {} t{term}", mark(*granted)),
            Msg::RequestVote { term, .. } => format!("RequestVote t{term}"),
            Msg::Vote { term, granted } => format!("Vote {} t{term}", mark(*granted)),
            Msg::AppendEntries { term, entries, .. } => match entries.len() {
                0 => format!("Heartbeat t{term}"),
                1 => format!("Append t{term} [1 entry]"),
                n => format!("Append t{term} [{n} entries]"),
            },
            Msg::AppendOk { match_index, .. } => format!("Append ok {match_index}"),
            Msg::AppendRejected { term, .. } => format!("Append ✗ t{term}"),
            Msg::Forward { command } => format!("Forward {}", short(command)),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "Election safety",
                kind: PropertyKind::Safety,
                description: "At most one leader is elected in each term.",
                check: election_safety,
            },
            Property {
                name: "Log matching",
                kind: PropertyKind::Safety,
                description: "If two logs hold an entry with the same index and term, they are identical up to that entry.",
                check: log_matching,
            },
            Property {
                name: "Leader completeness",
                kind: PropertyKind::Safety,
                description: "A leader's log holds every entry committed in an earlier term.",
                check: leader_completeness,
            },
            Property {
                name: "State machine safety",
                kind: PropertyKind::Safety,
                description: "No two nodes apply different commands at the same log index.",
                check: state_machine_safety,
            },
            Property {
                name: "Eventually a leader",
                kind: PropertyKind::Liveness,
                description: "Once the network heals, some node leads and a majority of the cluster follows it in its term.",
                check: eventually_a_leader,
            },
            Property {
                name: "Replication catches up",
                kind: PropertyKind::Liveness,
                description: "Once the network heals, every running node holds and knows all the entries the leader has committed.",
                check: replication_catches_up,
            },
        ]
    }
}

// ---- the node ---------------------------------------------------------------------------------

impl Raft {
    /// The only way an entry enters the log.
    fn push_entry(&mut self, entry: Entry) {
        let prev = self.log_digest.last().copied().unwrap_or(FNV_OFFSET);
        self.log_digest.push(fingerprint(prev, &entry));
        self.log.push(entry);
    }

    /// The only way entries leave the log.
    fn truncate_log(&mut self, len: usize) {
        self.log.truncate(len);
        self.log_digest.truncate(len);
    }

    /// Whether the first `len` entries of two logs are identical (by their fingerprints).
    fn same_prefix(&self, other: &Raft, len: usize) -> bool {
        len == 0
            || (self.log.len() >= len
                && other.log.len() >= len
                && self.log_digest[len - 1] == other.log_digest[len - 1])
    }

    /// The index and term of the last log entry (0 and 0 for an empty log).
    pub fn last_log(&self) -> (u64, u64) {
        (self.log.len() as u64, self.log.last().map_or(0, |e| e.term))
    }

    /// The term of entry `index` (1-based); 0 for index 0.
    fn term_at(&self, index: u64) -> u64 {
        if index == 0 {
            0
        } else {
            self.log[index as usize - 1].term
        }
    }

    /// Whether a candidate whose log ends at `(index, term)` is at least as up to date as us.
    fn log_ok(&self, index: u64, term: u64) -> bool {
        let (my_index, my_term) = self.last_log();
        (term, index) >= (my_term, my_index)
    }

    /// Whether we heard from a live leader less than the minimum election timeout ago (or lead).
    fn leader_is_alive(&self, ctx: &Ctx<'_, Self>) -> bool {
        self.role == Role::Leader
            || self.leader_contact_us.is_some_and(|t| ctx.now.saturating_sub(t) < ctx.params.election_timeout_min_us)
    }

    fn majority(ctx: &Ctx<'_, Self>) -> usize {
        ctx.node_count() / 2 + 1
    }

    fn reset_election_timer(&self, ctx: &mut Ctx<'_, Self>) {
        let after = ctx.random_between(ctx.params.election_timeout_min_us, ctx.params.election_timeout_max_us);
        ctx.set_timer(Timer::Election, after);
    }

    fn name(ctx: &Ctx<'_, Self>, node: NodeId) -> String {
        ctx.topology.nodes[node as usize].name.clone()
    }

    // ---- becoming -------------------------------------------------------------------------

    /// Adopts a higher term seen in a message: a follower of it, with no vote and no known leader.
    fn adopt_term(&mut self, ctx: &mut Ctx<'_, Self>, term: u64, from: NodeId) {
        assert!(term > self.term, "adopt_term({term}) in term {}", self.term);
        if self.role != Role::Follower {
            let text = format!(
                "steps down from {} of term {}: {} is in term {term}",
                self.role.word(),
                self.term,
                Self::name(ctx, from)
            );
            // A deposed leader is a turn of the story; a candidate giving up is routine.
            if self.role == Role::Leader {
                ctx.moment(text);
            } else {
                ctx.note(text);
            }
        }
        let was_leader = self.role == Role::Leader;
        self.term = term;
        self.voted_for = None;
        ctx.persist("term");
        self.become_follower(ctx, None);
        if was_leader {
            ctx.cancel_timer(Timer::Heartbeat);
            self.reset_election_timer(ctx);
        }
    }

    /// Follows `leader` (or nobody yet) in the current term.
    fn become_follower(&mut self, ctx: &mut Ctx<'_, Self>, leader: Option<NodeId>) {
        if let (Some(l), Role::PreCandidate | Role::Candidate) = (leader, self.role) {
            ctx.note(format!("{} leads term {}: goes back to following", Self::name(ctx, l), self.term));
        }
        assert!(
            !(self.role == Role::Leader && leader.is_some()),
            "a leader of term {} was asked to follow another leader of the same term",
            self.term
        );
        self.role = Role::Follower;
        self.leader = leader;
        self.votes.clear();
        self.next_index.clear();
        self.match_index.clear();
        self.probing.clear();
    }

    fn become_pre_candidate(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.role = Role::PreCandidate;
        self.leader = None;
        self.votes = vec![ctx.id];
        let next = self.term + 1;
        ctx.note(format!("asks for pre-votes for term {next}, staying in term {}", self.term));
        let (last_log_index, last_log_term) = self.last_log();
        ctx.broadcast(Msg::PreVote { term: next, last_log_index, last_log_term });
        self.reset_election_timer(ctx);
    }

    fn become_candidate(&mut self, ctx: &mut Ctx<'_, Self>) {
        assert_ne!(self.role, Role::Leader, "a leader does not start elections");
        if self.role == Role::Candidate {
            ctx.note(format!(
                "no majority in term {} ({} of {} votes): tries again",
                self.term,
                self.votes.len(),
                ctx.node_count()
            ));
        }
        self.term += 1;
        self.role = Role::Candidate;
        self.voted_for = Some(ctx.id);
        self.leader = None;
        self.votes = vec![ctx.id];
        ctx.note(format!("becomes candidate for term {}", self.term));
        let (last_log_index, last_log_term) = self.last_log();
        ctx.broadcast(Msg::RequestVote { term: self.term, last_log_index, last_log_term });
        // It writes its term and its vote for itself while the requests travel: what it sends
        // next (as leader) waits for the write, so a crash before it is on disk loses only a
        // candidacy that nobody else counted on.
        ctx.persist("term and vote");
        self.reset_election_timer(ctx);
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        assert_eq!(self.role, Role::Candidate, "only a candidate is elected");
        assert!(self.votes.len() >= Self::majority(ctx), "elected without a majority");
        let n = ctx.node_count();
        self.role = Role::Leader;
        self.leader = Some(ctx.id);
        ctx.moment(format!("elected leader of term {} with {} of {n} votes", self.term, self.votes.len()));
        ctx.cancel_timer(Timer::Election);
        let next = self.log.len() as u64 + 1;
        self.next_index = vec![next; n];
        self.match_index = vec![0; n];
        self.probing = vec![true; n];
        // The no-op lets the leader commit an entry of its own term, and with it every earlier
        // entry it inherited (section 5.4.2 and section 8 of the paper).
        self.append(ctx, String::new());
        self.heartbeat(ctx);
        ctx.persist("log");
    }

    // ---- elections ------------------------------------------------------------------------

    fn on_election_timeout(&mut self, ctx: &mut Ctx<'_, Self>) {
        match self.role {
            Role::Leader => {}
            _ if ctx.params.pre_vote => self.become_pre_candidate(ctx),
            _ => self.become_candidate(ctx),
        }
    }

    fn on_pre_vote(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, last_index: u64, last_term: u64) {
        // A pre-vote changes nothing here: not our term, not our vote, not our timer.
        let log_ok = self.log_ok(last_index, last_term);
        let alive = self.leader_is_alive(ctx);
        let granted = term > self.term && log_ok && !alive;
        if term > self.term && !granted {
            let why = if alive {
                match self.leader {
                    Some(l) if l != ctx.id => format!("it heard from leader {} recently", Self::name(ctx, l)),
                    _ => "it leads and is alive".to_string(),
                }
            } else {
                "the candidate's log is behind its own".to_string()
            };
            ctx.note(format!("refuses {} a pre-vote for term {term}: {why}", Self::name(ctx, from)));
        }
        let reply_term = if granted { term } else { self.term };
        ctx.send(from, Msg::PreVoteReply { term: reply_term, granted });
    }

    fn on_pre_vote_reply(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, granted: bool) {
        if !granted {
            if term > self.term {
                self.adopt_term(ctx, term, from);
            }
            return;
        }
        if self.role != Role::PreCandidate || term != self.term + 1 {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        if self.votes.len() >= Self::majority(ctx) {
            ctx.note(format!("has {} pre-votes: starts the election", self.votes.len()));
            self.become_candidate(ctx);
        }
    }

    fn on_request_vote(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, last_index: u64, last_term: u64) {
        if term > self.term {
            self.adopt_term(ctx, term, from);
        }
        let free = self.voted_for.is_none_or(|v| v == from);
        let log_ok = self.log_ok(last_index, last_term);
        let granted = term == self.term && free && log_ok;
        if granted {
            self.voted_for = Some(from);
            // On disk before the reply: a vote forgotten in a crash could be given twice.
            ctx.persist("term and vote");
            // Granting a vote restarts the timer, so that this node does not compete at once.
            self.reset_election_timer(ctx);
        } else if term == self.term {
            let why = match self.voted_for {
                Some(v) if v != from => format!("it already voted for {} in term {term}", Self::name(ctx, v)),
                _ => {
                    let (i, t) = self.last_log();
                    format!(
                        "the candidate's log (last entry {last_index}, term {last_term}) is behind its own (last entry {i}, term {t})"
                    )
                }
            };
            ctx.note(format!("refuses {} its vote: {why}", Self::name(ctx, from)));
        }
        ctx.send(from, Msg::Vote { term: self.term, granted });
    }

    fn on_vote(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, granted: bool) {
        if term > self.term {
            self.adopt_term(ctx, term, from);
            return;
        }
        if self.role != Role::Candidate || term != self.term || !granted {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        if self.votes.len() >= Self::majority(ctx) {
            self.become_leader(ctx);
        }
    }

    // ---- replication ----------------------------------------------------------------------

    fn on_submit(&mut self, ctx: &mut Ctx<'_, Self>, command: String) {
        if command.is_empty() || command.chars().count() > MAX_COMMAND {
            ctx.note(format!("ignores a command that is empty or over {MAX_COMMAND} characters"));
            return;
        }
        match (self.role, self.leader) {
            (Role::Leader, _) => {
                self.append(ctx, command);
                self.replicate(ctx);
                // The leader writes its own log in parallel with sending it (section 10.2.1 of
                // Ongaro's thesis); its later messages wait for the write.
                ctx.persist("log");
            }
            (_, Some(leader)) => {
                ctx.note(format!("forwards \"{}\" to leader {}", short(&command), Self::name(ctx, leader)));
                ctx.send(leader, Msg::Forward { command });
            }
            (_, None) => {
                ctx.note(format!("knows no leader: \"{}\" is not accepted (the client must retry)", short(&command)))
            }
        }
    }

    /// Appends a command of the leader's term to its own log.
    fn append(&mut self, ctx: &mut Ctx<'_, Self>, command: String) {
        let entry = Entry { term: self.term, command };
        ctx.note(format!("appends entry {}: {}", self.log.len() + 1, entry.describe()));
        self.push_entry(entry);
        self.match_index[ctx.id as usize] = self.log.len() as u64;
    }

    /// Sends `AppendEntries` to every follower, and sets the next heartbeat.
    fn heartbeat(&mut self, ctx: &mut Ctx<'_, Self>) {
        for peer in ctx.peers() {
            self.send_append(ctx, peer);
        }
        ctx.set_timer(Timer::Heartbeat, ctx.params.heartbeat_us);
    }

    /// Streams new entries to the followers whose place in the log is known; the others get them
    /// once their probe is answered.
    fn replicate(&mut self, ctx: &mut Ctx<'_, Self>) {
        let last = self.log.len() as u64;
        for peer in ctx.peers() {
            let p = peer as usize;
            if !self.probing[p] && self.next_index[p] <= last {
                self.send_append(ctx, peer);
            }
        }
    }

    fn send_append(&mut self, ctx: &mut Ctx<'_, Self>, peer: NodeId) {
        let p = peer as usize;
        let prev_log_index = self.next_index[p] - 1;
        let end = self.log.len().min(prev_log_index as usize + MAX_BATCH);
        let entries = self.log[prev_log_index as usize..end].to_vec();
        ctx.send(
            peer,
            Msg::AppendEntries {
                term: self.term,
                prev_log_index,
                prev_log_term: self.term_at(prev_log_index),
                entries,
                leader_commit: self.commit_index,
            },
        );
        // While streaming, assume the entries arrive (links are FIFO); a refusal corrects it.
        if !self.probing[p] {
            self.next_index[p] = end as u64 + 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_entries(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        term: u64,
        prev_log_index: u64,
        prev_log_term: u64,
        entries: Vec<Entry>,
        leader_commit: u64,
    ) {
        let last_log_index = self.log.len() as u64;
        if term < self.term {
            ctx.send(from, Msg::AppendRejected { term: self.term, prev_log_index, last_log_index });
            return;
        }
        if term > self.term {
            self.adopt_term(ctx, term, from);
        }
        if self.role == Role::Leader {
            // Two leaders in one term: impossible unless election safety is broken, which the
            // property reports. Refuse rather than follow.
            ctx.note(format!("is leader of term {term} and refuses {} which claims it too", Self::name(ctx, from)));
            ctx.send(from, Msg::AppendRejected { term: self.term, prev_log_index, last_log_index });
            return;
        }
        if self.role != Role::Follower || self.leader != Some(from) {
            self.become_follower(ctx, Some(from));
        }
        self.leader_contact_us = Some(ctx.now);
        self.reset_election_timer(ctx);
        if prev_log_index > last_log_index || self.term_at(prev_log_index) != prev_log_term {
            ctx.send(from, Msg::AppendRejected { term: self.term, prev_log_index, last_log_index });
            return;
        }
        let count = entries.len() as u64;
        for (k, entry) in entries.into_iter().enumerate() {
            let at = prev_log_index as usize + k;
            if at < self.log.len() {
                if self.log[at].term == entry.term {
                    continue; // already there (a repeated or overtaken message)
                }
                // A conflicting tail from a deposed leader: it was never committed, so it goes.
                // (Were it committed, the safety properties would report it.)
                ctx.moment(format!(
                    "drops {} from entry {} on: they conflict with the leader's log",
                    plural(self.log.len() - at, "entry", "entries"),
                    at + 1
                ));
                self.truncate_log(at);
            }
            self.push_entry(entry);
            // On disk before the reply: the leader counts this follower for a majority.
            ctx.persist("log");
        }
        let match_index = prev_log_index + count;
        // Only entries known to agree with the leader's log can be marked committed.
        let commit = leader_commit.min(match_index);
        if commit > self.commit_index {
            self.commit_index = commit;
        }
        ctx.send(from, Msg::AppendOk { term: self.term, match_index });
    }

    fn on_append_ok(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, match_index: u64) {
        if term > self.term {
            self.adopt_term(ctx, term, from);
            return;
        }
        if self.role != Role::Leader || term != self.term {
            return;
        }
        let p = from as usize;
        self.match_index[p] = self.match_index[p].max(match_index);
        self.next_index[p] = self.next_index[p].max(self.match_index[p] + 1);
        if self.probing[p] {
            self.probing[p] = false;
            if self.next_index[p] <= self.log.len() as u64 {
                self.send_append(ctx, from);
            }
        }
        self.advance_commit(ctx);
    }

    fn on_append_rejected(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, term: u64, prev: u64, last: u64) {
        if term > self.term {
            self.adopt_term(ctx, term, from);
            return;
        }
        if self.role != Role::Leader || term != self.term {
            return;
        }
        let p = from as usize;
        // A refusal at or below what the follower is known to hold, or of a probe other than the
        // latest, answers an older message: ignore it.
        if prev <= self.match_index[p] || (self.probing[p] && prev + 1 != self.next_index[p]) {
            return;
        }
        self.next_index[p] = (self.match_index[p] + 1).max(prev.min(last + 1));
        self.probing[p] = true;
        ctx.note(format!(
            "{}'s log does not hold entry {prev} as the leader's does (it has {}): tries from entry {}",
            Self::name(ctx, from),
            plural(last as usize, "entry", "entries"),
            self.next_index[p]
        ));
        self.send_append(ctx, from);
    }

    /// Commits the highest entry of this term that a majority holds (figure 2, last rule).
    fn advance_commit(&mut self, ctx: &mut Ctx<'_, Self>) {
        let mut held = self.match_index.clone();
        held.sort_unstable_by(|a, b| b.cmp(a));
        let n = held[Self::majority(ctx) - 1];
        if n > self.commit_index && self.term_at(n) == self.term {
            let from = self.commit_index + 1;
            self.commit_index = n;
            if from == n {
                ctx.note(format!("commits entry {n}: {}", self.log[n as usize - 1].describe()));
            } else {
                ctx.note(format!("commits entries {from} to {n}"));
            }
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Extends a prefix fingerprint by one entry (FNV-1a over the term, the command's length and its
/// bytes). Fixed here, not taken from `std`'s hasher, whose output may change between versions.
fn fingerprint(prev: u64, entry: &Entry) -> u64 {
    let bytes = entry
        .term
        .to_le_bytes()
        .into_iter()
        .chain((entry.command.len() as u64).to_le_bytes())
        .chain(entry.command.bytes());
    bytes.fold(prev, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A command cut to a dozen characters for labels.
fn short(command: &str) -> String {
    if command.chars().count() <= 12 {
        command.to_string()
    } else {
        command.chars().take(11).chain(['…']).collect()
    }
}

// ---- properties -------------------------------------------------------------------------------
//
// Properties are pure functions of the current state of the nodes that are up (a crashed node's
// volatile state is gone, and its disk is not part of what other nodes can see). They are checked
// after every step, so a violation is caught at the step where two running nodes first disagree.

/// Calls `f` with the running nodes and their states. Up to [`MAX_NODES`] (all that `validate`
/// lets through) they are gathered on the stack: the checks run after every step, and allocating
/// here cost more than the checks themselves.
fn with_running<'a, R>(view: &View<'a, Raft>, f: impl FnOnce(&[(NodeId, &'a Raft)]) -> R) -> R {
    let mut running = view.up();
    let Some(first) = running.next() else {
        return f(&[]);
    };
    if view.node_ids().len() > MAX_NODES {
        let all: Vec<_> = std::iter::once(first).chain(running).collect();
        return f(&all);
    }
    let mut buf = [first; MAX_NODES];
    let mut len = 1;
    for node in running {
        buf[len] = node;
        len += 1;
    }
    f(&buf[..len])
}

/// At most one leader per term.
///
/// Checked in two ways, both over running nodes. (1) No two nodes are leaders of the same term at
/// once. A leader keeps its role and term until it sees a higher term or crashes, so this catches a
/// second leader whenever the first is still running and has not heard of a newer term. (2) No two
/// nodes of one term name different leaders for it: a follower remembers who led its term (the
/// sender of an `AppendEntries` of that term) until its term changes. This also catches a second
/// leader elected after the first crashed or was cut off, as long as one of the first leader's
/// followers is still in that term. What neither sees is a term whose every witness has moved on or
/// crashed, which a history kept outside the nodes could catch; Raft's argument (one durable vote
/// per node per term, two majorities intersect) is what rules it out.
fn election_safety(view: &View<'_, Raft>) -> Result<(), Failure> {
    with_running(view, |up| election_safety_in(up, |i| view.name(i)))
}

/// [`election_safety`] over a list of running nodes and their states.
fn election_safety_in<'a>(up: &[(NodeId, &Raft)], name: impl Fn(NodeId) -> &'a str) -> Result<(), Failure> {
    for (k, &(a, sa)) in up.iter().enumerate() {
        for &(b, sb) in &up[k + 1..] {
            if sa.term != sb.term {
                continue;
            }
            let t = sa.term;
            if sa.role == Role::Leader && sb.role == Role::Leader {
                return Err(Failure::new(format!(
                    "{} and {} are both leaders of term {t}: two majorities voted for different candidates in one term.",
                    name(a),
                    name(b)
                ))
                .nodes([a, b]));
            }
            if let (Some(la), Some(lb)) = (sa.leader, sb.leader) {
                if la != lb {
                    return Err(Failure::new(format!(
                        "In term {t}, {} follows {} as leader while {} follows {}: two leaders were elected in one term.",
                        name(a),
                        name(la),
                        name(b),
                        name(lb)
                    ))
                    .nodes([a, b, la, lb]));
                }
            }
        }
    }
    Ok(())
}

/// Same index and term implies the same prefix, for every pair of running nodes.
fn log_matching(view: &View<'_, Raft>) -> Result<(), Failure> {
    with_running(view, |up| log_matching_in(up, |i| view.name(i)))
}

/// [`log_matching`] over a list of running nodes and their states.
fn log_matching_in<'a>(up: &[(NodeId, &Raft)], name: impl Fn(NodeId) -> &'a str) -> Result<(), Failure> {
    for (k, &(a, sa)) in up.iter().enumerate() {
        for &(b, sb) in &up[k + 1..] {
            let common = sa.log.len().min(sb.log.len());
            // The highest index where both hold an entry of the same term; below it, all must agree.
            let Some(top) = (0..common).rev().find(|&i| sa.log[i].term == sb.log[i].term) else {
                continue;
            };
            if sa.same_prefix(sb, top + 1) {
                continue;
            }
            if let Some(i) = (0..=top).find(|&i| sa.log[i] != sb.log[i]) {
                return Err(Failure::new(format!(
                    "{} and {} both hold an entry of term {} at index {}, but at index {} {} holds {} and {} holds {}.",
                    name(a),
                    name(b),
                    sa.log[top].term,
                    top + 1,
                    i + 1,
                    name(a),
                    sa.log[i].describe(),
                    name(b),
                    sb.log[i].describe()
                ))
                .nodes([a, b]));
            }
        }
    }
    Ok(())
}

/// Every entry a running node knows to be committed is in the log of every running leader of a
/// term at least as high as that node's term.
///
/// Why this is sound: a node's commit index covers entry `i` only if the entry was committed by
/// the leader of some term `u` no higher than the node's current term (a node learns commits from
/// the leader of its term, and terms only grow). The leader of `u` itself holds the entry (a leader
/// never drops entries), and leaders of later terms must hold it by leader completeness. So a
/// running leader whose term is at least the node's term must hold it. It is incomplete on purpose:
/// the commit index is volatile, so a node that crashed and restarted has forgotten what it knew to
/// be committed, and committed entries known only to crashed nodes are not checked until a
/// running node learns of them again.
fn leader_completeness(view: &View<'_, Raft>) -> Result<(), Failure> {
    with_running(view, |up| leader_completeness_in(up, |i| view.name(i)))
}

/// [`leader_completeness`] over a list of running nodes and their states.
fn leader_completeness_in<'a>(up: &[(NodeId, &Raft)], name: impl Fn(NodeId) -> &'a str) -> Result<(), Failure> {
    for &(l, leader) in up.iter().filter(|(_, s)| s.role == Role::Leader) {
        for &(f, node) in up {
            let committed = node.commit_index as usize;
            if leader.term < node.term || leader.same_prefix(node, committed) {
                continue;
            }
            let i = (0..committed).find(|&i| leader.log.get(i) != Some(&node.log[i])).unwrap_or(committed - 1);
            return Err(Failure::new(format!(
                "{} leads term {} but its log lacks entry {} ({}), which {} knows is committed.",
                name(l),
                leader.term,
                i + 1,
                node.log[i].describe(),
                name(f)
            ))
            .nodes([l, f]));
        }
    }
    Ok(())
}

/// Nodes apply committed entries in order, so two running nodes must agree on every index both
/// have committed. (Like leader completeness, this sees what running nodes currently know.)
fn state_machine_safety(view: &View<'_, Raft>) -> Result<(), Failure> {
    with_running(view, |up| state_machine_safety_in(up, |i| view.name(i)))
}

/// [`state_machine_safety`] over a list of running nodes and their states.
fn state_machine_safety_in<'a>(up: &[(NodeId, &Raft)], name: impl Fn(NodeId) -> &'a str) -> Result<(), Failure> {
    for (k, &(a, sa)) in up.iter().enumerate() {
        for &(b, sb) in &up[k + 1..] {
            let both = sa.commit_index.min(sb.commit_index) as usize;
            if sa.same_prefix(sb, both) {
                continue;
            }
            if let Some(i) = (0..both).find(|&i| sa.log[i] != sb.log[i]) {
                return Err(Failure::new(format!(
                    "{} applied {} as entry {}, but {} applied {}.",
                    name(a),
                    sa.log[i].describe(),
                    i + 1,
                    name(b),
                    sb.log[i].describe()
                ))
                .nodes([a, b]));
            }
        }
    }
    Ok(())
}

/// The running leader that a majority of the cluster follows in its term, if there is one.
fn acknowledged_leader<'a>(view: &View<'a, Raft>) -> Option<(NodeId, &'a Raft)> {
    let cluster = view.node_ids().len();
    view.up().filter(|(_, s)| s.role == Role::Leader).find(|&(l, leader)| {
        let followers = view.up().filter(|(_, s)| s.term == leader.term && s.leader == Some(l)).count();
        followers > cluster / 2
    })
}

fn eventually_a_leader(view: &View<'_, Raft>) -> Result<(), Failure> {
    if acknowledged_leader(view).is_some() {
        return Ok(());
    }
    let up: Vec<NodeId> = view.up().map(|(i, _)| i).collect();
    if up.is_empty() {
        return Err(Failure::new("No node is running yet."));
    }
    let states: Vec<(NodeId, &Raft)> = view.up().collect();
    let down: Vec<(NodeId, &'static str)> = view
        .node_ids()
        .filter_map(|i| match view.status(i) {
            Status::Up => None,
            s => Some((i, s.word())),
        })
        .collect();
    let text = no_leader_in(view.node_ids().len(), &states, &down, |a, b| view.is_cut(a, b), |i| view.name(i));
    Err(Failure::new(text).nodes(up))
}

/// Why no leader is followed by a majority: how many are needed, whom each running node follows,
/// which nodes are down (`down`: crashed, paused, starting) and which a leader cannot reach.
fn no_leader_in<'a>(
    cluster: usize,
    up: &[(NodeId, &Raft)],
    down: &[(NodeId, &str)],
    cut: impl Fn(NodeId, NodeId) -> bool,
    name: impl Fn(NodeId) -> &'a str,
) -> String {
    let need = cluster / 2 + 1;
    // Clauses with the nodes they are about, in order of first appearance.
    let mut clauses: Vec<(String, Vec<NodeId>)> = Vec::new();
    let mut add = |clause: String, node: NodeId| match clauses.iter_mut().find(|(c, _)| *c == clause) {
        Some((_, nodes)) => nodes.push(node),
        None => clauses.push((clause, vec![node])),
    };
    let leaders: Vec<(NodeId, &Raft)> = up.iter().copied().filter(|(_, s)| s.role == Role::Leader).collect();
    for &(l, leader) in &leaders {
        let followers: Vec<NodeId> = up
            .iter()
            .filter(|(i, s)| *i != l && s.term == leader.term && s.leader == Some(l))
            .map(|(i, _)| *i)
            .collect();
        let with = if followers.is_empty() {
            "only itself".to_string()
        } else {
            format!("itself and {}", join(followers.iter().map(|&i| name(i))))
        };
        let unreachable: Vec<&str> =
            up.iter().filter(|(i, _)| *i != l && (cut(l, *i) || cut(*i, l))).map(|(i, _)| name(*i)).collect();
        let cut_off = if unreachable.is_empty() {
            String::new()
        } else {
            format!(" and cannot reach {}", join(unreachable.into_iter()))
        };
        add(format!("leads term {} with {} of the {need} ({with}){cut_off}", leader.term, followers.len() + 1), l);
    }
    for &(i, s) in up.iter().filter(|(_, s)| s.role != Role::Leader) {
        let clause = match (s.role, s.leader) {
            (Role::Follower, Some(l)) => {
                match leaders.iter().find(|(x, _)| *x == l) {
                    Some((_, ls)) if ls.term != s.term => {
                        format!("follow{{s}} {} in term {}, but {} leads term {}", name(l), s.term, name(l), ls.term)
                    }
                    Some(_) => continue, // counted in its leader's clause
                    None => format!("follow{{s}} {}, which no longer leads, in term {}", name(l), s.term),
                }
            }
            (Role::Follower, None) => format!("follow{{s}} no leader yet in term {}", s.term),
            (role, _) => format!("{{is}} {} in term {}", role.word(), s.term),
        };
        add(clause, i);
    }
    for &(i, word) in down {
        add(format!("{{is}} {word}"), i);
    }
    let parts: Vec<String> = clauses
        .into_iter()
        .map(|(clause, nodes)| {
            let one = nodes.len() == 1;
            let clause =
                clause.replace("{s}", if one { "s" } else { "" }).replace("{is}", if one { "is" } else { "are" });
            format!("{} {clause}", join(nodes.iter().map(|&i| name(i))))
        })
        .collect();
    format!(
        "No leader is followed by a majority ({need} of {cluster} nodes, the leader included): {}.",
        parts.join("; ")
    )
}

/// `n0`, `n0 and n3`, `n0, n2 and n3`.
fn join<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn replication_catches_up(view: &View<'_, Raft>) -> Result<(), Failure> {
    let Some(leader) = acknowledged_leader(view) else {
        return Ok(()); // "Eventually a leader" reports this
    };
    with_running(view, |up| replication_in(leader, up, |i| view.name(i)))
}

/// Every running node holds the leader's committed entries and knows them to be committed; if
/// not, says which entry is missing (or different) where.
fn replication_in<'a>(
    (l, leader): (NodeId, &Raft),
    up: &[(NodeId, &Raft)],
    name: impl Fn(NodeId) -> &'a str,
) -> Result<(), Failure> {
    let committed = &leader.log[..leader.commit_index as usize];
    let upto = match committed.len() {
        1 => "entry 1".to_string(),
        n => format!("entries 1 to {n}"),
    };
    for &(i, s) in up {
        if i == l {
            continue;
        }
        let text = match (0..committed.len()).find(|&k| s.log.get(k) != Some(&committed[k])) {
            Some(k) => match s.log.get(k) {
                None => format!(
                    "{} has committed {upto}, but {} lacks entry {} ({}): its log ends at entry {}.",
                    name(l),
                    name(i),
                    k + 1,
                    committed[k].describe(),
                    s.log.len()
                ),
                Some(other) => format!(
                    "{} has committed {upto}, but {} holds {} as entry {} instead of {}.",
                    name(l),
                    name(i),
                    other.describe(),
                    k + 1,
                    committed[k].describe()
                ),
            },
            None if s.commit_index < leader.commit_index => format!(
                "{} has committed {upto}; {} holds them but knows only {} to be committed (it learns of commits from the leader's next AppendEntries).",
                name(l),
                name(i),
                match s.commit_index {
                    0 => "none of them".to_string(),
                    1 => "entry 1".to_string(),
                    n => format!("entries 1 to {n}"),
                }
            ),
            None => continue,
        };
        return Err(Failure::new(text).nodes([l, i]));
    }
    Ok(())
}

// ---- the experiment: how long a cluster goes without a leader --------------------------------

/// One trial of "crash the leader".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Trial {
    pub seed: u64,
    /// The leader that was crashed; `None` if no leader became stable within the limit.
    pub first_leader: Option<NodeId>,
    /// Simulated time of the crash.
    pub crashed_at_us: Option<Micros>,
    /// Time from the crash until another node was elected leader; `None` if none was in time.
    pub recovered_after_us: Option<Micros>,
}

/// Clock drift in the experiment: each node's clock runs up to this many parts per million fast or
/// slow (a quartz oscillator's tolerance), drawn per trial, so that timers set at the same moment
/// on two nodes do not expire at the same moment, as on real machines.
pub const TRIAL_DRIFT_PPM: u32 = 50;

/// The time a server takes to handle one event in the experiment (unless the scenario gives its
/// own): 20 to 120 µs, a few system calls and a memory copy.
pub const TRIAL_PROCESSING: &str = "20us..120us";

/// The experiment's own random draws (each node's drift, the moment of the crash): a stream no
/// node and no network uses, so they do not change what the protocol draws.
const TRIAL_STREAM: u64 = u64::MAX - 1;

/// Sets another election timeout range on Raft's parameters (as JSON) for the experiment, with
/// the Raft paper's heartbeat: half the minimum timeout. The CLI's `--timeout` and the page's
/// Experiment both change the range through here.
pub fn set_timeouts(params: &mut serde_json::Value, min_us: Micros, max_us: Micros) {
    if !params.is_object() {
        *params = serde_json::json!({});
    }
    params["election_timeout_min_us"] = min_us.into();
    params["election_timeout_max_us"] = max_us.into();
    params["heartbeat_us"] = (min_us / 2).max(1).into();
}

/// What the Raft paper says in words about a line of its Figure 16 (section 9.3), to set beside
/// what the model gives. The other lines are in the paper's graphs only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// In the graph only.
    Graph,
    /// "Leader election consistently took longer than 10 seconds": our median must be longer.
    Longer {
        ms: u64,
    },
    Median {
        ms: u64,
    },
    /// The longest of 1,000 trials.
    Worst {
        ms: u64,
    },
    Mean {
        ms: u64,
        longest_ms: u64,
    },
}

/// A line of Figure 16: an election timeout range, how many trials, which of the two graphs draws
/// it (the top one varies the randomness, the bottom one the minimum timeout; 150-300 ms is in
/// both) and what the paper reports for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Figure16Line {
    pub min_ms: u64,
    pub max_ms: u64,
    pub trials: u64,
    pub top: bool,
    pub bottom: bool,
    pub published: Published,
}

const fn line(min_ms: u64, max_ms: u64, top: bool, bottom: bool, published: Published) -> Figure16Line {
    let trials = if min_ms == max_ms { 100 } else { 1000 };
    Figure16Line { min_ms, max_ms, trials, top, bottom, published }
}

/// The lines of Figure 16, top graph first, as the paper ran them (1,000 trials a line, 100 for
/// the line without randomness).
pub const FIGURE_16: [Figure16Line; 10] = [
    line(150, 150, true, false, Published::Longer { ms: 10_000 }),
    line(150, 151, true, false, Published::Graph),
    line(150, 155, true, false, Published::Median { ms: 287 }),
    line(150, 175, true, false, Published::Graph),
    line(150, 200, true, false, Published::Worst { ms: 513 }),
    line(150, 300, true, true, Published::Graph),
    line(12, 24, false, true, Published::Mean { ms: 35, longest_ms: 152 }),
    line(25, 50, false, true, Published::Graph),
    line(50, 100, false, true, Published::Graph),
    line(100, 200, false, true, Published::Graph),
];

impl Published {
    /// The paper's figure and ours in milliseconds, for a line whose sorted downtimes are `times`
    /// out of `trials` (the rest elected no leader within the limit, and count as longer than
    /// any); `None` for a line the paper gives in its graph only, or with no trial to measure.
    pub fn compare(&self, times: &[Micros], trials: usize) -> Option<(f64, f64)> {
        let ms = |t: Micros| t as f64 / MS as f64;
        // The k-th smallest downtime, a trial without a new leader counting as infinitely long.
        let nth = |k: usize| times.get(k).map_or(f64::INFINITY, |&t| ms(t));
        match *self {
            Published::Graph => None,
            _ if trials == 0 => None,
            Published::Longer { ms: paper } | Published::Median { ms: paper } => Some((paper as f64, nth(trials / 2))),
            Published::Worst { ms: paper } => Some((paper as f64, nth(trials - 1))),
            Published::Mean { ms: paper, .. } if times.len() == trials => {
                Some((paper as f64, times.iter().map(|&t| ms(t)).sum::<f64>() / trials as f64))
            }
            Published::Mean { ms: paper, .. } => Some((paper as f64, f64::INFINITY)),
        }
    }
    /// The paper's words for the line.
    pub fn describe(&self) -> String {
        match *self {
            Published::Graph => "in the graph only".into(),
            Published::Longer { ms } => format!("consistently longer than {} s", ms / 1000),
            Published::Median { ms } => format!("median {ms} ms"),
            Published::Worst { ms } => format!("worst of 1,000 trials {ms} ms"),
            Published::Mean { ms, longest_ms } => format!("mean {ms} ms, longest {longest_ms} ms"),
        }
    }
}

/// One seeded trial of "crash the leader", as Ongaro and Ousterhout ran it (section 9.3 of the Raft
/// paper): runs `base` with `seed` until a leader is stable (every node follows it in its term),
/// waits for it to broadcast heartbeats, crashes it at a moment drawn uniformly within its
/// heartbeat interval, and measures the time until another node becomes leader. Unless the
/// scenario's topology says otherwise, every node's clock drifts by up to [`TRIAL_DRIFT_PPM`] and
/// an event takes [`TRIAL_PROCESSING`]. Just before the crash, half the followers miss the
/// leader's last entry, so that they cannot win (the paper's logs of different lengths).
///
/// The base's topology and parameters are used; its script is not (the crash is the trial's own
/// fault). Each phase gives up after `limit_us` of simulated time: the wait for a stable leader
/// from the start, and the wait for a new leader from the crash. The run is untraced and checks no
/// properties, so a trial costs a few thousand steps; the same base and seed give the same trial.
pub fn crash_leader_trial(base: &Scenario, seed: u64, limit_us: Micros) -> Result<Trial, ScenarioError> {
    let mut base = Scenario { script: Vec::new(), ..base.clone() };
    // Hardware as it is unless the scenario says otherwise: clocks drift, events take time.
    base.topology.drift_ppm = base.topology.drift_ppm.or(Some(TRIAL_DRIFT_PPM));
    base.topology.processing = base.topology.processing.or(Some(TRIAL_PROCESSING.into()));
    let topology = base.validate()?;
    let params = caucus_sim::run::params_of::<Raft>(&base, &topology)?;
    let beat = params.heartbeat_us;
    let mut draws = caucus_sim::sim::rng_stream(seed, TRIAL_STREAM);
    let mut draw = |n: u64| caucus_sim::protocol::random_below(&mut draws, n);
    let mut script: Vec<caucus_sim::ScriptEntry> = Vec::new();
    // A muted trace records nothing; observing through it (rather than `()`) lets the browser
    // reuse the simulator loop it already has for traced runs instead of compiling a second one.
    let mut quiet = Trace::<Raft> { muted: true, ..Default::default() };
    let mut trial = Trial { seed, first_leader: None, crashed_at_us: None, recovered_after_us: None };
    let step =
        |sim: &mut Sim<Raft>, quiet: &mut Trace<Raft>, until: Micros| -> Result<Option<What<Raft>>, ScenarioError> {
            match sim.step_until(until, quiet) {
                Ok(record) => Ok(record.map(|r| r.what.clone())),
                Err(e) => Err(ScenarioError::new("", format!("the trial stopped: {e}"))),
            }
        };

    // Phase 1: a stable leader, caught as it broadcasts heartbeats.
    let mut sim: Sim<Raft> = Sim::new(topology.clone(), params.clone(), seed, script.clone());
    let mut stable: Option<(NodeId, u64)> = None;
    let (l, term, broadcast) = loop {
        let Some(what) = step(&mut sim, &mut quiet, limit_us)? else {
            return Ok(trial);
        };
        match stable {
            None => stable = stable_leader(&sim),
            Some((l, term)) => {
                let still = sim.state(l).is_some_and(|s| s.role == Role::Leader && s.term == term);
                if !still {
                    stable = None;
                } else if matches!(what, What::Timer { node, timer: Timer::Heartbeat } if node == l) {
                    break (l, term, sim.now());
                }
            }
        }
    };
    // The crash falls uniformly within the heartbeat interval that this broadcast starts. The
    // simulator applies inputs at event times only, so the same run is played again with the
    // crash scripted at that moment: until then it is the same run (same seed, same inputs).
    let crash_at = broadcast + draw(beat);
    let n = topology.nodes.len() as NodeId;
    let mut behind: Vec<NodeId> = (0..n).filter(|&i| i != l).collect();
    while behind.len() > (n as usize - 1) / 2 {
        behind.swap_remove(draw(behind.len() as u64) as usize);
    }
    script.push(caucus_sim::ScriptEntry::new(crash_at, Input::Heal));
    script.push(caucus_sim::ScriptEntry::new(crash_at, Input::Crash { node: l }));
    let mut sim: Sim<Raft> = Sim::new(topology, params, seed, script);
    while sim.next_event_time().is_some_and(|t| t < broadcast) {
        step(&mut sim, &mut quiet, broadcast - 1)?;
    }
    // Logs of different lengths, so that some candidates cannot win: just before the broadcast
    // the leader takes a command that half its followers (drawn) never get. Their copies are
    // dropped, and their refusals of the broadcast that follows it do not reach the leader, so
    // it does not repair them before the crash; every follower still hears the broadcast, so
    // their election timers start together, as in the paper.
    let apply = |sim: &mut Sim<Raft>, quiet: &mut Trace<Raft>, input: Input| {
        sim.apply(input, quiet).map(|_| ()).map_err(|e| ScenarioError::new("", format!("the trial stopped: {e}")))
    };
    let first = sim.next_msg_id();
    apply(
        &mut sim,
        &mut quiet,
        Input::Request { node: l, request: serde_json::json!({ "submit": { "command": "x" } }) },
    )?;
    for msg in first..sim.next_msg_id() {
        if sim.message(msg).is_some_and(|m| behind.contains(&m.target)) {
            apply(&mut sim, &mut quiet, Input::Drop { msg })?;
        }
    }
    let from: Vec<_> = behind.iter().map(|&b| caucus_sim::Endpoint::Node(b)).collect();
    apply(&mut sim, &mut quiet, Input::Partition { a: from, b: vec![caucus_sim::Endpoint::Node(l)], one_way: true })?;
    while sim.next_event_time().is_some_and(|t| t < crash_at) {
        step(&mut sim, &mut quiet, crash_at - 1)?;
    }
    if !sim.state(l).is_some_and(|s| s.role == Role::Leader && s.term == term) {
        return Ok(trial); // not the same run after all: no trial rather than a wrong one
    }
    while sim.status(l) == Status::Up {
        if step(&mut sim, &mut quiet, crash_at)?.is_none() {
            return Ok(trial);
        }
    }
    let crashed_at = sim.now();
    trial.first_leader = Some(l);
    trial.crashed_at_us = Some(crashed_at);

    // Phase 2: any node leading a later term.
    let deadline = crashed_at.saturating_add(limit_us);
    while let Some(what) = step(&mut sim, &mut quiet, deadline)? {
        let Some(node) = what.node() else { continue };
        if sim.state(node).is_some_and(|s| s.role == Role::Leader && s.term > term) {
            trial.recovered_after_us = Some(sim.now() - crashed_at);
            break;
        }
    }
    Ok(trial)
}

/// A leader that every node follows in its term.
fn stable_leader(sim: &Sim<Raft>) -> Option<(NodeId, u64)> {
    let n = sim.topology().nodes.len() as NodeId;
    let (l, leader) = (0..n).find_map(|i| sim.state(i).filter(|s| s.role == Role::Leader).map(|s| (i, s)))?;
    let all = (0..n).all(|i| {
        sim.status(i) == Status::Up && sim.state(i).is_some_and(|s| s.term == leader.term && s.leader == Some(l))
    });
    all.then_some((l, leader.term))
}

// ---- built-in scenarios ------------------------------------------------------------------------

/// A client command to `node`, as a script input.
fn submit(node: NodeId, command: &str) -> Input {
    Input::Request { node, request: serde_json::json!({ "submit": { "command": command } }) }
}

fn timeout(node: NodeId) -> Input {
    Input::Request { node, request: serde_json::json!("timeout") }
}

/// A Raft scenario with its seed and length. The scripts name nodes by id, so each seed is the
/// one for which the story told in the description happens (`tests/raft.rs` checks every one).
fn raft_scenario(
    name: &str,
    description: &str,
    topology: TopologySpec,
    seed: u64,
    seconds: u64,
    script: Vec<caucus_sim::ScriptEntry>,
) -> Scenario {
    let mut s = crate::scenario(name, description, NAME, topology, script);
    s.seed = seed;
    s.until_us = seconds * caucus_sim::SEC;
    s
}

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
///
/// The five-node ones place two nodes in us-east-1 (n0, n1), two in eu-west-1 (n2, n3) and one in
/// ap-southeast-1 (n4); with seed 2, n1 wins the first election at about 1.1 s.
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at, at_role, at_same};
    use caucus_sim::Endpoint::Dc;
    let five = || TopologySpec::placed("three-regions", &[2, 2, 1]);
    let cut_off =
        |dc| Input::Partition { a: vec![Dc(dc)], b: (0..3).filter(|&d| d != dc).map(Dc).collect(), one_way: false };

    let basic = raft_scenario(
        "raft",
        "Five nodes in three regions elect a leader (n1), then clients send three commands to different nodes: followers forward them, and the leader commits each one as soon as a majority holds it.",
        five(),
        2,
        15,
        vec![at(3.0, submit(0, "x=1")), at(4.0, submit(3, "y=2")), at(5.0, submit(4, "x=3"))],
    );

    let crash = raft_scenario(
        "raft-leader-crash",
        "The leader (n1 on seed 2) crashes at 4 s. About an election timeout later a follower becomes candidate for the next term and wins; the old leader restarts at 9 s with its term and log from disk and follows the new leader.",
        five(),
        2,
        16,
        vec![
            at(3.0, submit(2, "x=1")),
            at_role(4.0, "leader", Input::Crash { node: 0 }),
            at_role(7.0, "leader", submit(0, "x=2")),
            at_same(9.0, 1, Input::Restart { node: 0 }),
        ],
    );

    let mut split = raft_scenario(
        "raft-split-vote",
        "Four nodes; n0 and n1 are told to time out at the same instant and each gets one more vote: no majority in term 1. The timeout range is narrow (1.0 to 1.2 s), so in term 2 three nodes collide again; term 3 finally elects n0.",
        TopologySpec::placed("three-regions", &[2, 1, 1]),
        4,
        18,
        vec![at(0.5, timeout(0)), at(0.5, timeout(1))],
    );
    split.protocol.params =
        serde_json::json!({ "election_timeout_min_us": 1_000_000, "election_timeout_max_us": 1_200_000 });

    let partition = raft_scenario(
        "raft-partition-leader-dc",
        "The leader's datacenter (us-east-1, home of n1, on seed 2) is cut off at 4 s. The nodes beyond it elect a new leader and go on committing, while the command sent to the old leader at 5 s is never committed. After the heal at 9 s the old leader steps down and that entry is erased.",
        five(),
        2,
        14,
        vec![
            at(3.0, submit(2, "x=1")),
            at_role(4.0, "leader", Input::Partition { a: vec![], b: vec![], one_way: false }),
            at_same(5.0, 1, submit(0, "lost=1")),
            at_role(7.0, "leader", submit(0, "x=2")),
            at(9.0, Input::Heal),
        ],
    );

    let rejoin = |pre_vote: bool| {
        let (name, description) = if pre_vote {
            (
                "raft-rejoin-prevote",
                "The same cut-off as raft-rejoin-no-prevote, with pre-vote on: n4 asks for pre-votes that nobody receives, so it stays in term 1. When it returns it hears the leader and follows it; the leader keeps its term.",
            )
        } else {
            (
                "raft-rejoin-no-prevote",
                "n0 leads term 1 (it starts the first election at 0.2 s). n4 (ap-southeast-1) is cut off from 3 s to 10 s and keeps starting elections, raising its term each time. When it returns its higher term forces the healthy leader to step down; its log is behind, so it cannot win the election that follows.",
            )
        };
        let mut s = raft_scenario(
            name,
            description,
            five(),
            2,
            16,
            // n0 is told to time out first: left to chance, n4 itself leads term 1 on one seed in six.
            vec![at(0.2, timeout(0)), at(3.0, cut_off(2)), at(5.0, submit(0, "x=1")), at(10.0, Input::Heal)],
        );
        if pre_vote {
            s.protocol.params = serde_json::json!({ "pre_vote": true });
        }
        s
    };

    let repair = raft_scenario(
        "raft-log-repair",
        "A follower (n0 on seed 2) crashes at 3 s and misses three commands sent to the leader. It restarts at 8 s with its old log and refuses the leader's next AppendEntries; the leader steps back to where their logs agree and sends what the follower missed.",
        five(),
        2,
        14,
        vec![
            at_role(3.0, "follower", Input::Crash { node: 0 }),
            at_role(4.0, "leader", submit(0, "x=1")),
            at_role(5.0, "leader", submit(0, "y=2")),
            at_role(6.0, "leader", submit(0, "z=3")),
            at_same(8.0, 0, Input::Restart { node: 0 }),
        ],
    );

    let nine = raft_scenario(
        "raft-nine-nodes",
        "Nine nodes over five regions: a leader needs five votes and a command is committed once five nodes hold it, so the nearest regions decide how fast.",
        TopologySpec::placed("five-regions", &[2, 2, 2, 2, 1]),
        1,
        10,
        vec![at(3.0, submit(0, "x=1")), at(4.0, submit(8, "y=2"))],
    );

    // The Raft paper's experiment (Ongaro and Ousterhout, section 9.3): five servers, a broadcast
    // time (a request and its answer) of about 15 ms, heartbeats at half the minimum timeout.
    let mut lab = TopologySpec::preset("one-datacenter", 5);
    lab.placement = Some(vec![5]);
    lab.nodes_per_dc = None;
    lab.intra = Some(caucus_sim::Link { latency_us: 2 * MS, jitter_us: 500, loss_ppm: 0 });
    lab.storage = Some("hdd".into());
    lab.drift_ppm = Some(TRIAL_DRIFT_PPM);
    lab.processing = Some(TRIAL_PROCESSING.into());
    let mut figure = raft_scenario(
        "raft-figure-16",
        "The Raft paper's crash-the-leader experiment (Figure 16): five servers in one datacenter on spinning disks (each vote is written, 4 to 12 ms, before it is given), with a broadcast time of about 15 ms, heartbeats every 75 ms and election timeouts of 150 to 300 ms. Played, it elects a leader; its Experiment crashes that leader at a random moment within its heartbeat interval, trial after trial, and plots how long the cluster goes without one.",
        lab,
        1,
        10,
        vec![],
    );
    figure.protocol.params = serde_json::json!({
        "election_timeout_min_us": 150 * MS,
        "election_timeout_max_us": 300 * MS,
        "heartbeat_us": 75 * MS,
    });

    vec![basic, crash, split, partition, rejoin(false), rejoin(true), repair, nine, figure]
}

#[cfg(test)]
mod tests {
    //! The safety checks, fed states that a broken Raft would produce: each must fire, name the
    //! nodes involved, and stay quiet on the healthy variant of the same state.
    use super::*;

    fn node(role: Role, term: u64, leader: Option<NodeId>, log: &[(u64, &str)], commit_index: u64) -> Raft {
        let mut r = Raft {
            role,
            term,
            voted_for: None,
            log: Vec::new(),
            commit_index,
            leader,
            votes: Vec::new(),
            next_index: Vec::new(),
            match_index: Vec::new(),
            probing: Vec::new(),
            leader_contact_us: None,
            log_digest: Vec::new(),
        };
        for &(term, command) in log {
            r.push_entry(Entry { term, command: command.into() });
        }
        r
    }

    fn name(i: NodeId) -> &'static str {
        ["n0", "n1", "n2"][i as usize]
    }

    /// A safety check over running nodes, named as in the tests' three-node cluster.
    type Check = fn(&[(NodeId, &Raft)], fn(NodeId) -> &'static str) -> Result<(), Failure>;

    fn check(f: Check, nodes: &[&Raft]) -> Result<(), Failure> {
        let up: Vec<(NodeId, &Raft)> = nodes.iter().enumerate().map(|(i, s)| (i as NodeId, *s)).collect();
        f(&up, name)
    }

    fn five(i: NodeId) -> &'static str {
        ["n0", "n1", "n2", "n3", "n4"][i as usize]
    }

    #[test]
    fn no_leader_says_how_many_are_needed_and_who_follows_whom() {
        let f0 = node(Role::Follower, 2, None, &[], 0);
        let l2 = node(Role::Leader, 2, Some(2), &[], 0);
        let f3 = node(Role::Follower, 2, None, &[], 0);
        let up = [(0, &f0), (2, &l2), (3, &f3)];
        let text = no_leader_in(5, &up, &[(1, "crashed"), (4, "crashed")], |a, b| (a, b) == (2, 3), five);
        assert_eq!(
            text,
            "No leader is followed by a majority (3 of 5 nodes, the leader included): n2 leads term 2 with 1 of the 3 (only itself) and cannot reach n3; n0 and n3 follow no leader yet in term 2; n1 and n4 are crashed."
        );
        let f0 = node(Role::Follower, 2, Some(2), &[], 0);
        let c3 = node(Role::Candidate, 3, None, &[], 0);
        let up = [(0, &f0), (2, &l2), (3, &c3)];
        let text = no_leader_in(5, &up, &[(1, "paused"), (4, "crashed")], |_, _| false, five);
        assert!(text.contains("n2 leads term 2 with 2 of the 3 (itself and n0); n3 is candidate in term 3; n1 is paused; n4 is crashed."), "{text}");
    }

    #[test]
    fn replication_says_which_entry_is_missing_where() {
        let leader = node(Role::Leader, 2, Some(1), &[(1, "a"), (2, "b")], 2);
        let short = node(Role::Follower, 2, Some(1), &[(1, "a")], 1);
        let err = replication_in((1, &leader), &[(0, &short), (1, &leader)], name).unwrap_err();
        assert_eq!(
            err.explanation,
            "n1 has committed entries 1 to 2, but n0 lacks entry 2 (\"b\" (term 2)): its log ends at entry 1."
        );
        assert_eq!(err.nodes, [1, 0]);
        let other = node(Role::Follower, 2, Some(1), &[(1, "a"), (1, "x")], 1);
        let err = replication_in((1, &leader), &[(0, &other)], name).unwrap_err();
        assert!(err.explanation.contains("n0 holds \"x\" (term 1) as entry 2 instead of \"b\" (term 2)"), "{err:?}");
        let behind = node(Role::Follower, 2, Some(1), &[(1, "a"), (2, "b")], 1);
        let err = replication_in((1, &leader), &[(0, &behind)], name).unwrap_err();
        assert!(err.explanation.contains("n0 holds them but knows only entry 1 to be committed"), "{err:?}");
        let caught_up = node(Role::Follower, 2, Some(1), &[(1, "a"), (2, "b")], 2);
        assert!(replication_in((1, &leader), &[(0, &caught_up), (1, &leader)], name).is_ok());
    }

    #[test]
    fn two_leaders_of_one_term_are_caught_directly_or_through_their_followers() {
        let f = |up: &[(NodeId, &Raft)], n: fn(NodeId) -> &'static str| election_safety_in(up, n);
        let l1 = node(Role::Leader, 3, Some(1), &[], 0);
        let l0 = node(Role::Leader, 3, Some(0), &[], 0);
        let e = check(f, &[&l0, &l1]).unwrap_err();
        assert_eq!(e.nodes, vec![0, 1]);
        assert!(e.explanation.contains("both leaders of term 3"), "{}", e.explanation);

        // n0 led term 3 and crashed; n1 still follows it; n2 now leads term 3 too.
        let f1 = node(Role::Follower, 3, Some(0), &[], 0);
        let l2 = node(Role::Leader, 3, Some(2), &[], 0);
        let follower_of_0 = node(Role::Follower, 3, Some(0), &[], 0);
        let e = check(f, &[&follower_of_0, &f1, &l2]).unwrap_err();
        assert!(e.explanation.contains("follows n0 as leader while n2 follows n2"), "{}", e.explanation);

        let old = node(Role::Leader, 2, Some(0), &[], 0);
        let new = node(Role::Leader, 3, Some(1), &[], 0);
        let follower = node(Role::Follower, 3, Some(1), &[], 0);
        assert_eq!(check(f, &[&old, &new, &follower]), Ok(()), "leaders of different terms are fine");
    }

    #[test]
    fn logs_that_share_an_entry_but_differ_below_it_break_log_matching() {
        let f = |up: &[(NodeId, &Raft)], n: fn(NodeId) -> &'static str| log_matching_in(up, n);
        let a = node(Role::Follower, 2, None, &[(1, "a"), (1, "b"), (2, "c")], 0);
        let b = node(Role::Follower, 2, None, &[(1, "a"), (1, "x"), (2, "c")], 0);
        let e = check(f, &[&a, &b]).unwrap_err();
        assert_eq!(e.nodes, vec![0, 1]);
        assert!(e.explanation.contains("at index 2"), "{}", e.explanation);
        // Tails of different terms may differ: that is an uncommitted tail about to be repaired.
        let c = node(Role::Follower, 3, None, &[(1, "a"), (1, "b"), (3, "d")], 0);
        assert_eq!(check(f, &[&a, &c]), Ok(()));
    }

    #[test]
    fn a_leader_missing_a_committed_entry_breaks_leader_completeness() {
        let f = |up: &[(NodeId, &Raft)], n: fn(NodeId) -> &'static str| leader_completeness_in(up, n);
        let knows = node(Role::Follower, 2, None, &[(1, "a"), (2, "b")], 2);
        let leader = node(Role::Leader, 3, Some(1), &[(1, "a"), (3, "z")], 1);
        let e = check(f, &[&knows, &leader]).unwrap_err();
        assert_eq!(e.nodes, vec![1, 0]);
        assert!(e.explanation.contains("lacks entry 2"), "{}", e.explanation);
        // A stale leader of an older term is not bound by what was committed after it.
        let stale = node(Role::Leader, 1, Some(1), &[(1, "a")], 1);
        assert_eq!(check(f, &[&knows, &stale]), Ok(()));
    }

    #[test]
    fn different_commands_applied_at_one_index_break_state_machine_safety() {
        let f = |up: &[(NodeId, &Raft)], n: fn(NodeId) -> &'static str| state_machine_safety_in(up, n);
        let a = node(Role::Follower, 1, None, &[(1, "a"), (1, "b")], 2);
        let b = node(Role::Follower, 1, None, &[(1, "a"), (1, "c")], 2);
        let e = check(f, &[&a, &b]).unwrap_err();
        assert!(e.explanation.contains("as entry 2"), "{}", e.explanation);
        let b_uncommitted = node(Role::Follower, 1, None, &[(1, "a"), (1, "c")], 1);
        assert_eq!(check(f, &[&a, &b_uncommitted]), Ok(()));
    }

    #[test]
    fn fingerprints_follow_truncation_and_appends() {
        let mut a = node(Role::Follower, 2, None, &[(1, "a"), (1, "b"), (1, "c")], 0);
        let b = node(Role::Follower, 2, None, &[(1, "a"), (2, "d")], 0);
        assert!(a.same_prefix(&b, 1) && !a.same_prefix(&b, 2));
        a.truncate_log(1);
        a.push_entry(Entry { term: 2, command: "d".into() });
        assert!(a.same_prefix(&b, 2));
        // The command's length is hashed too, so moving bytes between fields changes the print.
        let c = node(Role::Follower, 2, None, &[(1, "ab")], 0);
        let d = node(Role::Follower, 2, None, &[(1, "a"), (1, "b")], 0);
        assert_ne!(c.log_digest[0], d.log_digest[1]);
    }
}
