#![doc = include_str!("../essays/zab.md")]

use caucus_sim::{
    Ctx, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Topology, TopologySpec, View, MS,
    SEC,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

pub const NAME: &str = "zab";

/// Zab needs three nodes to survive a failure; more than nine makes the map unreadable.
pub const MIN_NODES: usize = 3;
pub const MAX_NODES: usize = 9;
/// Characters in one client write at most (writes are drawn on messages).
pub const MAX_VALUE: usize = 32;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Fast leader election's `finalizeWait`: once a quorum shares its vote, a looking node waits
    /// this long for a better vote before it decides.
    pub finalize_us: Micros,
    /// How often a looking node sends its vote again (lost notifications, nodes that came back).
    pub notify_us: Micros,
    /// How often a leader pings its followers.
    pub tick_us: Micros,
    /// ZooKeeper's `syncLimit`: a follower that hears nothing from its leader for this long goes
    /// back to looking, and a leader drops a follower silent for this long.
    pub sync_limit_us: Micros,
    /// ZooKeeper's `initLimit`: discovery and synchronization must finish within this, or the
    /// would-be leader (or follower) gives up and looks again.
    pub init_limit_us: Micros,
    /// A follower missing more than this many transactions gets a snapshot (SNAP), not a DIFF.
    pub snap_threshold: usize,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            finalize_us: 200 * MS,
            notify_us: 400 * MS,
            tick_us: 100 * MS,
            sync_limit_us: SEC,
            init_limit_us: 3 * SEC,
            snap_threshold: 16,
        }
    }
}

/// A zxid: the epoch in the high 32 bits, a counter within the epoch in the low 32.
pub type Zxid = u64;

/// `epoch.counter`, the way ZooKeeper's logs split `0x300000002`.
pub fn zxid_text(z: Zxid) -> String {
    format!("{}.{}", z >> 32, z & 0xffff_ffff)
}

/// A fast-leader-election vote: compared by epoch, then last zxid, then id (higher wins).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Vote {
    pub epoch: u64,
    pub zxid: Zxid,
    pub id: NodeId,
}

/// One transaction of the replicated history.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Txn {
    pub zxid: Zxid,
    pub value: String,
}

/// What a node keeps on disk: its epochs (Zab's `acceptedEpoch` and `currentEpoch`), its history
/// and how much of it it has delivered (applied to its data tree, as a snapshot would keep it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Persistent {
    pub accepted_epoch: u64,
    pub current_epoch: u64,
    pub history: Vec<Txn>,
    pub committed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Looking,
    Following,
    Leading,
}

impl State {
    pub fn word(self) -> &'static str {
        match self {
            State::Looking => "looking",
            State::Following => "following",
            State::Leading => "leading",
        }
    }
}

/// Where a leader or follower is: Zab's phases after the election.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Leader: collecting FOLLOWERINFO; follower: waiting for NEWEPOCH.
    Discovery,
    /// Leader: NEWEPOCH sent, waiting for a quorum of ACKEPOCH. Follower: waiting for the sync.
    Epoch,
    /// Leader: syncing, waiting for a quorum of NEWLEADER acks.
    Sync,
    Broadcast,
}

/// What a leader knows of one peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "link", rename_all = "snake_case")]
pub enum Link {
    Off,
    /// Sent FOLLOWERINFO with its accepted epoch.
    Info {
        accepted: u64,
    },
    /// Sent ACKEPOCH: its last zxid, and whether the ack counts for a new epoch.
    Acked {
        counted: bool,
        zxid: Zxid,
    },
    /// Sent the sync and NEWLEADER, holding the leader's history up to `upto`.
    Syncing {
        upto: Zxid,
    },
    /// Acked NEWLEADER; `acked` is the highest zxid it acknowledged.
    Synced {
        acked: Zxid,
    },
}

/// How a leader brings a follower's history in line with its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Send the missing transactions.
    Diff,
    /// The follower holds proposals the leader does not: truncate them, then the missing ones.
    Trunc,
    /// Replace the follower's history with the leader's.
    Snap,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Zab {
    pub state: State,
    pub accepted_epoch: u64,
    pub current_epoch: u64,
    pub history: Vec<Txn>,
    /// `history[..committed]` is delivered.
    pub committed: usize,
    /// The vote this node backs (while following or leading: the vote that elected its leader).
    pub vote: Vote,
    /// FLE's logical clock: the election round.
    pub round: u64,
    /// Looking: the vote each looking node sent in this round.
    pub votes: Vec<Option<Vote>>,
    /// Looking: the vote each following or leading node reported, and whether it leads.
    pub out: Vec<Option<(Vote, bool)>>,
    /// Set once a quorum shares this node's vote and the finalize wait runs.
    pub settling: bool,
    pub leader: Option<NodeId>,
    pub phase: Phase,
    /// The epoch being established, led or followed (0 before NEWEPOCH).
    pub epoch: u64,
    /// Leader only, per node.
    pub links: Vec<Link>,
    /// Leader only, per node: local time it was last heard from.
    pub heard: Vec<Micros>,
    /// Leader: when it started establishing its epoch.
    pub since: Micros,
    /// Writes asked of this node that no leader has taken yet.
    pub pending: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// An FLE notification: the sender's vote, round and state.
    Notification {
        vote: Vote,
        round: u64,
        state: State,
    },
    FollowerInfo {
        accepted_epoch: u64,
    },
    NewEpoch {
        epoch: u64,
    },
    /// `counted` is false when the follower had already accepted this epoch (it syncs, but its
    /// ack does not count towards establishing the epoch).
    AckEpoch {
        counted: bool,
        current_epoch: u64,
        zxid: Zxid,
    },
    /// DIFF, TRUNC (to `trunc`) or SNAP with its transactions, then NEWLEADER.
    NewLeader {
        epoch: u64,
        how: How,
        trunc: Zxid,
        txns: Vec<Txn>,
    },
    AckNewLeader {
        epoch: u64,
    },
    UpToDate {
        zxid: Zxid,
    },
    Proposal {
        txn: Txn,
    },
    Ack {
        zxid: Zxid,
    },
    Commit {
        zxid: Zxid,
    },
    Ping {
        epoch: u64,
    },
    Pong,
    /// A client write passed on to the leader.
    Forward {
        value: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// Looking: send the vote again. Following, before NEWEPOCH: send FOLLOWERINFO again (the
    /// leader may have been still looking when the first one arrived).
    Notify,
    /// Looking: the finalize wait is over.
    Finalize,
    /// Leading: ping followers and check the quorum.
    Tick,
    /// Following: the leader has been silent too long.
    LeaderTimeout,
}

/// JSON: `{"write":{"value":"x=1"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// A leader proposes it; a follower forwards it to its leader; a looking node keeps it.
    Write { value: String },
}

impl Protocol for Zab {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Persistent;
    const NAME: &'static str = NAME;

    fn validate(p: &Params, topology: &Topology) -> Result<(), String> {
        let n = topology.nodes.len();
        if !(MIN_NODES..=MAX_NODES).contains(&n) {
            return Err(format!("Zab runs on {MIN_NODES} to {MAX_NODES} nodes; this topology has {n}"));
        }
        crate::check_durations(&[
            ("finalize_us", p.finalize_us),
            ("notify_us", p.notify_us),
            ("tick_us", p.tick_us),
            ("sync_limit_us", p.sync_limit_us),
            ("init_limit_us", p.init_limit_us),
        ])?;
        if p.tick_us >= p.sync_limit_us {
            return Err(format!(
                "tick_us ({}) must be shorter than sync_limit_us ({}), or followers time out between pings",
                p.tick_us, p.sync_limit_us
            ));
        }
        let round_trip = 2 * topology.max_one_way_us();
        if p.sync_limit_us <= round_trip {
            return Err(format!(
                "sync_limit_us ({} µs) must be longer than the longest round trip ({round_trip} µs)",
                p.sync_limit_us
            ));
        }
        if p.init_limit_us <= 3 * round_trip {
            return Err(format!(
                "init_limit_us ({} µs) must be longer than three round trips ({} µs), or no epoch is ever established",
                p.init_limit_us,
                3 * round_trip
            ));
        }
        caucus_sim::limits::check_rate("tick_us", p.tick_us, 2 * (n - 1), topology)?;
        caucus_sim::limits::check_rate("notify_us", p.notify_us, 2 * n * (n - 1), topology)?;
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Persistent>) -> Self {
        let restarted = durable.is_some();
        let d =
            durable.unwrap_or(Persistent { accepted_epoch: 0, current_epoch: 0, history: Vec::new(), committed: 0 });
        let n = ctx.node_count();
        if restarted {
            ctx.note(format!(
                "restarts in epoch {} with {} on disk ({} delivered)",
                d.current_epoch,
                plural(d.history.len(), "transaction", "transactions"),
                d.committed
            ));
        }
        let mut node = Zab {
            state: State::Looking,
            accepted_epoch: d.accepted_epoch,
            current_epoch: d.current_epoch,
            history: d.history,
            committed: d.committed,
            vote: Vote::default(),
            round: 0,
            votes: vec![None; n],
            out: vec![None; n],
            settling: false,
            leader: None,
            phase: Phase::Discovery,
            epoch: 0,
            links: vec![Link::Off; n],
            heard: vec![0; n],
            since: 0,
            pending: Vec::new(),
        };
        node.look(ctx);
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        // Only what a peer sends as a follower, or as a leader, shows it is still one: a node
        // that went looking (or restarted) sends notifications, and one that took this node
        // for its leader sends FOLLOWERINFO.
        let leaderly = matches!(
            msg,
            Msg::NewEpoch { .. }
                | Msg::NewLeader { .. }
                | Msg::UpToDate { .. }
                | Msg::Proposal { .. }
                | Msg::Commit { .. }
                | Msg::Ping { .. }
        );
        if self.state == State::Leading && !leaderly && !matches!(msg, Msg::Notification { .. }) {
            self.heard[from as usize] = ctx.now;
        }
        if self.is_leader(from) && leaderly {
            ctx.set_timer(Timer::LeaderTimeout, ctx.params.sync_limit_us);
        }
        match msg {
            Msg::Notification { vote, round, state } => self.on_notification(ctx, from, vote, round, state),
            Msg::FollowerInfo { accepted_epoch } => self.on_follower_info(ctx, from, accepted_epoch),
            Msg::NewEpoch { epoch } => self.on_new_epoch(ctx, from, epoch),
            Msg::AckEpoch { counted, current_epoch, zxid } => {
                self.on_ack_epoch(ctx, from, counted, current_epoch, zxid)
            }
            Msg::NewLeader { epoch, how, trunc, txns } => self.on_new_leader(ctx, from, epoch, how, trunc, txns),
            Msg::AckNewLeader { epoch } => self.on_ack_new_leader(ctx, from, epoch),
            Msg::UpToDate { zxid } if self.is_leader(from) => {
                self.commit_to(ctx, zxid);
                for value in std::mem::take(&mut self.pending) {
                    ctx.send(from, Msg::Forward { value });
                }
            }
            Msg::Proposal { txn } if self.is_leader(from) && self.phase == Phase::Broadcast => {
                self.on_proposal(ctx, from, txn)
            }
            Msg::Commit { zxid } if self.is_leader(from) && self.phase == Phase::Broadcast => self.commit_to(ctx, zxid),
            Msg::Ack { zxid } => self.on_ack(ctx, from, zxid),
            Msg::Ping { .. } if self.is_leader(from) => ctx.send(from, Msg::Pong),
            Msg::Forward { value } => self.write(ctx, value),
            Msg::UpToDate { .. } | Msg::Proposal { .. } | Msg::Commit { .. } | Msg::Ping { .. } | Msg::Pong => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match (timer, self.state) {
            (Timer::Notify, State::Looking) => {
                self.send_vote(ctx);
                ctx.set_timer(Timer::Notify, ctx.params.notify_us);
            }
            (Timer::Notify, State::Following) if self.phase == Phase::Discovery => {
                if let Some(l) = self.leader {
                    ctx.send(l, Msg::FollowerInfo { accepted_epoch: self.accepted_epoch });
                    ctx.set_timer(Timer::Notify, ctx.params.tick_us);
                }
            }
            (Timer::Finalize, State::Looking) => self.finalize(ctx),
            (Timer::Tick, State::Leading) => self.tick(ctx),
            (Timer::LeaderTimeout, State::Following) => {
                let why = match self.phase {
                    Phase::Broadcast => {
                        format!("heard nothing from its leader for {} ms", ctx.params.sync_limit_us / MS)
                    }
                    _ => format!("was not synced within {} ms", ctx.params.init_limit_us / MS),
                };
                self.look_again(ctx, &why);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        let Request::Write { value } = request;
        let value: String = value.trim().chars().take(MAX_VALUE).collect();
        if value.is_empty() {
            ctx.note("ignores an empty write");
            return;
        }
        self.write(ctx, value);
    }

    fn durable(&self) -> Persistent {
        Persistent {
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
            history: self.history.clone(),
            committed: self.committed,
        }
    }

    fn roles() -> &'static [caucus_sim::Role] {
        use caucus_sim::Role;
        const ROLES: &[caucus_sim::Role] = &[
            Role::new("leading", "the leader"),
            Role::new("following", "a follower"),
            Role::new("looking", "a looking node"),
        ];
        ROLES
    }

    fn has_role(&self, role: &str, _arg: &str) -> bool {
        self.state.word() == role
    }

    /// The leader of the highest epoch first: a cut-off leader may still believe it leads.
    fn with_role(view: &View<'_, Self>, role: &str, arg: &str) -> Vec<NodeId> {
        crate::ranked_with_role(view, role, arg, "leading", |p| p.epoch)
    }

    fn role(&self) -> String {
        self.state.word().to_string()
    }

    fn badge(&self) -> String {
        match self.history.last() {
            Some(t) => format!("epoch {} · {}", self.current_epoch, zxid_text(t.zxid)),
            None => format!("epoch {}", self.current_epoch),
        }
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::LeaderTimeout => Some("leader timeout"),
            Timer::Finalize => Some("finalize wait"),
            Timer::Notify | Timer::Tick => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Notification { vote, .. } => format!("Vote n{} {}", vote.id, zxid_text(vote.zxid)),
            Msg::FollowerInfo { accepted_epoch } => format!("FOLLOWERINFO e{accepted_epoch}"),
            Msg::NewEpoch { epoch } => format!("NEWEPOCH e{epoch}"),
            Msg::AckEpoch { zxid, .. } => format!("ACKEPOCH {}", zxid_text(*zxid)),
            Msg::NewLeader { epoch, how, trunc, txns } => match how {
                How::Diff => format!("DIFF [{}] NEWLEADER e{epoch}", txns.len()),
                How::Trunc => format!("TRUNC {} [{}] NEWLEADER e{epoch}", zxid_text(*trunc), txns.len()),
                How::Snap => format!("SNAP [{}] NEWLEADER e{epoch}", txns.len()),
            },
            Msg::AckNewLeader { .. } => "ACK NEWLEADER".into(),
            Msg::UpToDate { .. } => "UPTODATE".into(),
            Msg::Proposal { txn } => format!("PROPOSAL {} {}", zxid_text(txn.zxid), txn.value),
            Msg::Ack { zxid } => format!("ACK {}", zxid_text(*zxid)),
            Msg::Commit { zxid } => format!("COMMIT {}", zxid_text(*zxid)),
            Msg::Ping { .. } => "PING".into(),
            Msg::Pong => "PING ack".into(),
            Msg::Forward { value } => format!("Forward {value}"),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "Primary order",
                kind: PropertyKind::Safety,
                description: "Each node delivers transactions in zxid order: one epoch's in the order its leader proposed them, and never a later epoch's before an earlier one's.",
                check: primary_order,
            },
            Property {
                name: "Integrity",
                kind: PropertyKind::Safety,
                description: "Every delivered transaction was proposed by a leader and is on the disk of a quorum (crashed nodes count).",
                check: integrity,
            },
            Property {
                name: "Agreement",
                kind: PropertyKind::Safety,
                description: "Any two nodes' delivered sequences are prefixes of one another (total order; crashed nodes count).",
                check: agreement,
            },
            Property {
                name: "Eventually a leader",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, a leader broadcasts in its epoch with a quorum of running nodes synced with it.",
                check: eventually_a_leader,
            },
        ]
    }
}

// ---- the node ---------------------------------------------------------------------------------

impl Zab {
    fn quorum(ctx: &Ctx<'_, Self>) -> usize {
        ctx.node_count() / 2 + 1
    }

    pub fn last_zxid(&self) -> Zxid {
        self.history.last().map_or(0, |t| t.zxid)
    }

    fn own_vote(&self, ctx: &Ctx<'_, Self>) -> Vote {
        Vote { epoch: self.current_epoch, zxid: self.last_zxid(), id: ctx.id }
    }

    /// Whether `from` is the leader this node follows.
    fn is_leader(&self, from: NodeId) -> bool {
        self.state == State::Following && self.leader == Some(from)
    }

    // ---- fast leader election ------------------------------------------------------------

    /// Starts a new election round, voting for itself.
    fn look(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.state = State::Looking;
        self.leader = None;
        self.phase = Phase::Discovery;
        self.epoch = 0;
        self.links.iter_mut().for_each(|l| *l = Link::Off);
        self.round += 1;
        self.vote = self.own_vote(ctx);
        self.votes.iter_mut().for_each(|v| *v = None);
        self.out.iter_mut().for_each(|v| *v = None);
        self.votes[ctx.id as usize] = Some(self.vote);
        self.settling = false;
        ctx.cancel_timer(Timer::Tick);
        ctx.cancel_timer(Timer::LeaderTimeout);
        ctx.cancel_timer(Timer::Finalize);
        self.send_vote(ctx);
        ctx.set_timer(Timer::Notify, ctx.params.notify_us);
    }

    fn look_again(&mut self, ctx: &mut Ctx<'_, Self>, why: &str) {
        match self.state {
            State::Leading => ctx.moment(format!("steps down from epoch {}: {why}", self.epoch)),
            _ => ctx.note(format!("goes back to looking: {why}")),
        }
        self.look(ctx);
    }

    fn send_vote(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.broadcast(Msg::Notification { vote: self.vote, round: self.round, state: self.state });
    }

    fn adopt(&mut self, ctx: &mut Ctx<'_, Self>, vote: Vote) {
        self.vote = vote;
        self.votes[ctx.id as usize] = Some(vote);
        if self.settling {
            self.settling = false;
            ctx.cancel_timer(Timer::Finalize);
        }
        self.send_vote(ctx);
    }

    fn backers(&self, vote: Vote) -> usize {
        self.votes.iter().filter(|v| **v == Some(vote)).count()
    }

    fn on_notification(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, vote: Vote, round: u64, state: State) {
        if self.state != State::Looking {
            if self.state == State::Leading && state == State::Looking && self.links[from as usize] != Link::Off {
                ctx.note(format!("n{from} is looking: stops syncing it"));
                self.links[from as usize] = Link::Off;
            }
            if state == State::Looking {
                ctx.send(from, Msg::Notification { vote: self.vote, round: self.round, state: self.state });
            }
            return;
        }
        if state != State::Looking {
            self.out[from as usize] = Some((vote, state == State::Leading && vote.id == from));
            let l = vote.id;
            let leads = matches!(self.out.get(l as usize), Some(Some((v, true))) if v.id == l);
            let with = self.out.iter().flatten().filter(|(v, _)| v.id == l).count();
            if leads && with + 1 >= Self::quorum(ctx) && l != ctx.id {
                ctx.note(format!("finds n{l} leading with a quorum behind it: joins it"));
                self.vote = vote;
                self.follow(ctx, l);
            }
            return;
        }
        if round > self.round {
            self.round = round;
            self.votes.iter_mut().for_each(|v| *v = None);
            let best = vote.max(self.own_vote(ctx));
            self.adopt(ctx, best);
        } else if round < self.round {
            ctx.send(from, Msg::Notification { vote: self.vote, round: self.round, state: self.state });
            return;
        } else if vote > self.vote {
            self.adopt(ctx, vote);
        }
        self.votes[from as usize] = Some(vote);
        if !self.settling && self.backers(self.vote) >= Self::quorum(ctx) {
            self.settling = true;
            ctx.set_timer(Timer::Finalize, ctx.params.finalize_us);
        }
    }

    fn finalize(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.settling = false;
        let backers = self.backers(self.vote);
        if backers < Self::quorum(ctx) {
            return;
        }
        let v = self.vote;
        if v.id == ctx.id {
            ctx.note(format!(
                "wins the election with {backers} of {} votes (epoch {}, last zxid {})",
                ctx.node_count(),
                v.epoch,
                zxid_text(v.zxid)
            ));
            self.lead(ctx);
        } else {
            ctx.note(format!("a quorum votes for n{}: follows it", v.id));
            self.follow(ctx, v.id);
        }
    }

    // ---- follower ------------------------------------------------------------------------

    fn follow(&mut self, ctx: &mut Ctx<'_, Self>, leader: NodeId) {
        self.state = State::Following;
        self.leader = Some(leader);
        self.phase = Phase::Discovery;
        self.epoch = 0;
        ctx.cancel_timer(Timer::Finalize);
        ctx.set_timer(Timer::Notify, ctx.params.tick_us);
        ctx.set_timer(Timer::LeaderTimeout, ctx.params.init_limit_us);
        ctx.send(leader, Msg::FollowerInfo { accepted_epoch: self.accepted_epoch });
    }

    fn on_new_epoch(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, epoch: u64) {
        if !self.is_leader(from) || self.phase != Phase::Discovery {
            return;
        }
        if epoch < self.accepted_epoch {
            let why = format!("n{from} offers epoch {epoch}, older than its accepted epoch {}", self.accepted_epoch);
            return self.look_again(ctx, &why);
        }
        let counted = epoch > self.accepted_epoch;
        if counted {
            self.accepted_epoch = epoch;
            ctx.persist("accepted epoch");
        }
        self.epoch = epoch;
        self.phase = Phase::Epoch;
        ctx.cancel_timer(Timer::Notify);
        ctx.set_timer(Timer::LeaderTimeout, ctx.params.init_limit_us);
        let zxid = self.last_zxid();
        ctx.send(from, Msg::AckEpoch { counted, current_epoch: self.current_epoch, zxid });
    }

    fn on_new_leader(
        &mut self,
        ctx: &mut Ctx<'_, Self>,
        from: NodeId,
        epoch: u64,
        how: How,
        trunc: Zxid,
        txns: Vec<Txn>,
    ) {
        if !self.is_leader(from) || self.phase != Phase::Epoch || epoch != self.epoch {
            return;
        }
        let before = self.history.len();
        let keep = match how {
            How::Diff => before,
            How::Trunc => self.history.partition_point(|t| t.zxid <= trunc),
            How::Snap => 0,
        };
        // Delivered transactions are never undone: a sync that would drop one keeps it, and the
        // properties see the histories disagree.
        let keep = keep.max(self.committed);
        self.history.truncate(keep);
        let dropped = before - keep;
        let last = self.last_zxid();
        let mut added = 0;
        for t in txns.into_iter().filter(|t| t.zxid > last) {
            self.history.push(t);
            added += 1;
        }
        self.current_epoch = epoch;
        ctx.persist("history and current epoch");
        let txns = plural(added, "transaction", "transactions");
        match (how, dropped) {
            (How::Snap, 0) => ctx.moment(format!("syncs by SNAP ({txns})")),
            (_, 0) if added == 0 => ctx.note("is already in sync (empty DIFF)"),
            (How::Diff, _) => ctx.moment(format!("syncs by DIFF ({txns})")),
            (_, d) => ctx.moment(format!(
                "truncates {} and syncs by {} ({txns})",
                plural(d, "uncommitted proposal", "uncommitted proposals"),
                if how == How::Snap { "SNAP".to_string() } else { format!("TRUNC to {}", zxid_text(trunc)) }
            )),
        }
        self.phase = Phase::Broadcast;
        ctx.send(from, Msg::AckNewLeader { epoch });
    }

    fn on_proposal(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: Txn) {
        let last = self.last_zxid();
        if txn.zxid <= last {
            return;
        }
        let next = if last >> 32 == self.epoch { last + 1 } else { self.epoch << 32 | 1 };
        if txn.zxid != next {
            let why = format!("proposal {} arrived but {} was next", zxid_text(txn.zxid), zxid_text(next));
            return self.look_again(ctx, &why);
        }
        let zxid = txn.zxid;
        self.history.push(txn);
        ctx.persist("proposal");
        ctx.send(from, Msg::Ack { zxid });
    }

    fn commit_to(&mut self, ctx: &mut Ctx<'_, Self>, zxid: Zxid) {
        let upto = self.history.partition_point(|t| t.zxid <= zxid);
        if upto == 0 && zxid > 0 || self.history.get(upto.wrapping_sub(1)).is_some_and(|t| t.zxid != zxid) {
            let why = format!("told to commit {} which it does not hold", zxid_text(zxid));
            return self.look_again(ctx, &why);
        }
        if upto > self.committed {
            let t = &self.history[upto - 1];
            ctx.note(format!("delivers up to {} ({})", zxid_text(t.zxid), t.value));
            self.committed = upto;
            ctx.persist("delivered");
        }
    }

    // ---- leader --------------------------------------------------------------------------

    fn lead(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.state = State::Leading;
        self.leader = Some(ctx.id);
        self.phase = Phase::Discovery;
        self.epoch = 0;
        self.since = ctx.now;
        self.links.iter_mut().for_each(|l| *l = Link::Off);
        ctx.cancel_timer(Timer::Notify);
        ctx.cancel_timer(Timer::Finalize);
        ctx.set_timer(Timer::Tick, ctx.params.tick_us);
    }

    fn count(&self, f: impl Fn(&Link) -> bool) -> usize {
        1 + self.links.iter().filter(|l| f(l)).count()
    }

    fn on_follower_info(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, accepted: u64) {
        if self.state != State::Leading {
            return;
        }
        self.links[from as usize] = Link::Info { accepted };
        if self.phase != Phase::Discovery {
            ctx.send(from, Msg::NewEpoch { epoch: self.epoch });
            return;
        }
        if self.count(|l| matches!(l, Link::Info { .. })) < Self::quorum(ctx) {
            return;
        }
        let max =
            self.links.iter().filter_map(|l| if let Link::Info { accepted } = l { Some(*accepted) } else { None });
        self.epoch = max.fold(self.accepted_epoch, u64::max) + 1;
        self.accepted_epoch = self.epoch;
        ctx.persist("accepted epoch");
        ctx.note(format!("a quorum sent FOLLOWERINFO: proposes epoch {}", self.epoch));
        self.phase = Phase::Epoch;
        for (i, l) in self.links.iter().enumerate() {
            if matches!(l, Link::Info { .. }) {
                ctx.send(i as NodeId, Msg::NewEpoch { epoch: self.epoch });
            }
        }
    }

    fn on_ack_epoch(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, counted: bool, current: u64, zxid: Zxid) {
        if self.state != State::Leading || !matches!(self.links[from as usize], Link::Info { .. }) {
            return;
        }
        if (current, zxid) > (self.current_epoch, self.last_zxid()) {
            let why = format!("n{from} has a later history (epoch {current}, zxid {})", zxid_text(zxid));
            return self.look_again(ctx, &why);
        }
        self.links[from as usize] = Link::Acked { counted, zxid };
        match self.phase {
            Phase::Discovery => {}
            Phase::Epoch => {
                if self.count(|l| matches!(l, Link::Acked { counted: true, .. })) >= Self::quorum(ctx) {
                    self.current_epoch = self.epoch;
                    ctx.persist("current epoch");
                    self.phase = Phase::Sync;
                    for i in 0..self.links.len() {
                        if let Link::Acked { zxid, .. } = self.links[i] {
                            self.sync(ctx, i as NodeId, zxid);
                        }
                    }
                }
            }
            Phase::Sync | Phase::Broadcast => self.sync(ctx, from, zxid),
        }
    }

    /// DIFF, TRUNC or SNAP for a follower whose last zxid is `zxid`. Within one epoch every
    /// history holds a prefix of the same proposals, so the follower's last epoch decides.
    fn sync(&mut self, ctx: &mut Ctx<'_, Self>, to: NodeId, zxid: Zxid) {
        let h = &self.history;
        let epoch_end = h.partition_point(|t| t.zxid >> 32 <= zxid >> 32);
        let in_epoch = epoch_end > 0 && h[epoch_end - 1].zxid >> 32 == zxid >> 32;
        let (how, trunc, from) = if zxid == 0 {
            (How::Diff, 0, 0)
        } else if !in_epoch {
            (How::Snap, 0, 0)
        } else if h[epoch_end - 1].zxid >= zxid {
            (How::Diff, 0, h.partition_point(|t| t.zxid <= zxid))
        } else {
            (How::Trunc, h[epoch_end - 1].zxid, epoch_end)
        };
        let (how, from) = if h.len() - from > ctx.params.snap_threshold { (How::Snap, 0) } else { (how, from) };
        let txns = h[from..].to_vec();
        let upto = self.last_zxid();
        self.links[to as usize] = Link::Syncing { upto };
        ctx.send(to, Msg::NewLeader { epoch: self.epoch, how, trunc, txns });
    }

    fn on_ack_new_leader(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, epoch: u64) {
        let Link::Syncing { upto } = self.links[from as usize] else { return };
        if self.state != State::Leading || epoch != self.epoch {
            return;
        }
        self.links[from as usize] = Link::Synced { acked: upto };
        if self.phase == Phase::Broadcast {
            let zxid = self.committed_zxid();
            ctx.send(from, Msg::UpToDate { zxid });
            return self.advance_commit(ctx);
        }
        let synced = self.count(|l| matches!(l, Link::Synced { .. }));
        if synced < Self::quorum(ctx) {
            return;
        }
        self.phase = Phase::Broadcast;
        self.committed = self.history.len();
        ctx.persist("delivered");
        ctx.moment(format!("is elected leader for epoch {} ({synced} of {} synced)", self.epoch, ctx.node_count()));
        let zxid = self.committed_zxid();
        for (i, l) in self.links.iter().enumerate() {
            if matches!(l, Link::Synced { .. }) {
                ctx.send(i as NodeId, Msg::UpToDate { zxid });
            }
        }
        for value in std::mem::take(&mut self.pending) {
            self.propose(ctx, value);
        }
    }

    fn committed_zxid(&self) -> Zxid {
        self.committed.checked_sub(1).map_or(0, |i| self.history[i].zxid)
    }

    fn write(&mut self, ctx: &mut Ctx<'_, Self>, value: String) {
        match (self.state, self.phase, self.leader) {
            (State::Leading, Phase::Broadcast, _) => self.propose(ctx, value),
            (State::Following, Phase::Broadcast, Some(l)) => ctx.send(l, Msg::Forward { value }),
            _ => {
                ctx.note(format!("keeps the write {value} until it has a leader"));
                self.pending.push(value);
            }
        }
    }

    fn propose(&mut self, ctx: &mut Ctx<'_, Self>, value: String) {
        let last = self.last_zxid();
        let zxid = if last >> 32 == self.epoch { last + 1 } else { self.epoch << 32 | 1 };
        ctx.note(format!("proposes {} = {value}", zxid_text(zxid)));
        let txn = Txn { zxid, value };
        self.history.push(txn.clone());
        ctx.persist("proposal");
        self.to_synced(ctx, Msg::Proposal { txn });
    }

    /// Sends to every follower being synced or synced (they receive the proposals in order).
    fn to_synced(&self, ctx: &mut Ctx<'_, Self>, msg: Msg) {
        for (i, l) in self.links.iter().enumerate() {
            if matches!(l, Link::Syncing { .. } | Link::Synced { .. }) {
                ctx.send(i as NodeId, msg.clone());
            }
        }
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, zxid: Zxid) {
        if self.state != State::Leading {
            return;
        }
        if let Link::Synced { acked } = &mut self.links[from as usize] {
            *acked = (*acked).max(zxid);
            self.advance_commit(ctx);
        }
    }

    fn advance_commit(&mut self, ctx: &mut Ctx<'_, Self>) {
        let before = self.committed;
        while let Some(t) = self.history.get(self.committed) {
            let z = t.zxid;
            if self.count(|l| matches!(l, Link::Synced { acked } if *acked >= z)) < Self::quorum(ctx) {
                break;
            }
            self.committed += 1;
        }
        if self.committed > before {
            let t = &self.history[self.committed - 1];
            ctx.note(format!("a quorum acked: commits up to {} ({})", zxid_text(t.zxid), t.value));
            ctx.persist("delivered");
            let zxid = t.zxid;
            self.to_synced(ctx, Msg::Commit { zxid });
        }
    }

    fn tick(&mut self, ctx: &mut Ctx<'_, Self>) {
        let p = ctx.params;
        if self.phase != Phase::Broadcast && ctx.now.saturating_sub(self.since) >= p.init_limit_us {
            let why = format!("no quorum synced within {} ms", p.init_limit_us / MS);
            return self.look_again(ctx, &why);
        }
        for i in 0..self.links.len() {
            if self.links[i] != Link::Off && ctx.now.saturating_sub(self.heard[i]) > p.sync_limit_us {
                ctx.note(format!("n{i} has been silent for {} ms: stops syncing it", p.sync_limit_us / MS));
                self.links[i] = Link::Off;
            }
        }
        if self.phase == Phase::Broadcast {
            let synced = self.count(|l| matches!(l, Link::Synced { .. }));
            if synced < Self::quorum(ctx) {
                let why = format!("only {synced} of {} nodes are with it", ctx.node_count());
                return self.look_again(ctx, &why);
            }
        }
        self.to_synced(ctx, Msg::Ping { epoch: self.epoch });
        ctx.set_timer(Timer::Tick, p.tick_us);
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

// ---- properties -------------------------------------------------------------------------------

/// Every node's history and delivered count, crashed ones from their disks.
fn all<'a>(view: &View<'a, Zab>) -> Vec<(NodeId, Cow<'a, [Txn]>, usize)> {
    view.node_ids()
        .filter_map(|i| match view.state(i) {
            Some(s) => Some((i, Cow::Borrowed(&s.history[..]), s.committed)),
            None => view.durable(i).map(|d| (i, Cow::Owned(d.history), d.committed)),
        })
        .collect()
}

fn primary_order(view: &View<'_, Zab>) -> Result<(), Failure> {
    for (i, s) in view.up() {
        if let Some(w) = s.history[..s.committed].windows(2).find(|w| w[0].zxid >= w[1].zxid) {
            return Err(Failure::new(format!(
                "{} delivered {} ({}) after {} ({}).",
                view.name(i),
                zxid_text(w[1].zxid),
                w[1].value,
                zxid_text(w[0].zxid),
                w[0].value
            ))
            .nodes([i]));
        }
    }
    Ok(())
}

fn integrity(view: &View<'_, Zab>) -> Result<(), Failure> {
    let nodes = all(view);
    let quorum = view.node_ids().len() / 2 + 1;
    for (i, h, c) in &nodes {
        for t in &h[..*c] {
            let holders = nodes
                .iter()
                .filter(|(_, g, _)| g.binary_search_by_key(&t.zxid, |u| u.zxid).is_ok_and(|k| g[k] == *t))
                .count();
            if holders < quorum {
                return Err(Failure::new(format!(
                    "{} delivered {} ({}), which only {holders} nodes hold: no quorum accepted it.",
                    view.name(*i),
                    zxid_text(t.zxid),
                    t.value
                ))
                .nodes([*i]));
            }
        }
    }
    Ok(())
}

fn agreement(view: &View<'_, Zab>) -> Result<(), Failure> {
    let nodes = all(view);
    for (k, (a, ha, ca)) in nodes.iter().enumerate() {
        for (b, hb, cb) in &nodes[k + 1..] {
            let n = (*ca).min(*cb);
            if let Some(j) = (0..n).find(|&j| ha[j] != hb[j]) {
                return Err(Failure::new(format!(
                    "{} delivered {} ({}) as transaction {} but {} delivered {} ({}).",
                    view.name(*a),
                    zxid_text(ha[j].zxid),
                    ha[j].value,
                    j + 1,
                    view.name(*b),
                    zxid_text(hb[j].zxid),
                    hb[j].value
                ))
                .nodes([*a, *b]));
            }
        }
    }
    Ok(())
}

fn eventually_a_leader(view: &View<'_, Zab>) -> Result<(), Failure> {
    let quorum = view.node_ids().len() / 2 + 1;
    let ok = view.up().any(|(l, s)| {
        s.state == State::Leading
            && s.phase == Phase::Broadcast
            && 1 + view
                .up()
                .filter(|(_, f)| f.leader == Some(l) && f.state == State::Following && f.phase == Phase::Broadcast)
                .count()
                >= quorum
    });
    if ok {
        return Ok(());
    }
    let looking: Vec<NodeId> = view.up().filter(|(_, s)| s.state == State::Looking).map(|(i, _)| i).collect();
    Err(Failure::new(format!(
        "No leader broadcasts with a quorum ({quorum}) of synced followers; {} nodes are still looking.",
        looking.len()
    ))
    .nodes(looking))
}

// ---- built-in scenarios -----------------------------------------------------------------------

fn write(node: NodeId, value: &str) -> Input {
    Input::Request { node, request: serde_json::json!({ "write": { "value": value } }) }
}

fn zab_scenario(name: &str, description: &str, seconds: u64, script: Vec<caucus_sim::ScriptEntry>) -> Scenario {
    let mut s = crate::scenario(name, description, NAME, TopologySpec::placed("three-regions", &[2, 2, 1]), script);
    s.until_us = seconds * SEC;
    s
}

/// The built-in scenarios of this protocol. Five nodes: n0 and n1 in us-east-1, n2 and n3 in
/// eu-west-1, n4 in ap-southeast-1.
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at, at_role, at_same};
    vec![
        zab_scenario(
            "zab",
            "Five nodes in three regions run fast leader election: with empty histories the highest id, n4, wins and establishes epoch 1. Writes sent to three nodes are forwarded to it, proposed with zxids 1.1, 1.2, 1.3 and committed once a quorum acks: every node delivers them in the same order.",
            12,
            vec![at(3.0, write(0, "x=1")), at(4.0, write(3, "y=2")), at(5.0, write(4, "x=3"))],
        ),
        zab_scenario(
            "zab-leader-crash",
            "The leader crashes 5 ms after proposing z=9, before it can commit it. The others elect the node with the highest (epoch, zxid) and sync its history: committed writes survive, z=9 survives if a quorum logged it. The old leader restarts at 9 s and rejoins as a follower, synced by DIFF, TRUNC or SNAP.",
            14,
            vec![
                at(3.0, write(0, "x=1")),
                at_role(4.0, "leading", write(0, "z=9")),
                at_same(4.005, 1, Input::Crash { node: 0 }),
                at_role(7.0, "leading", write(0, "y=2")),
                at_same(9.0, 1, Input::Restart { node: 0 }),
            ],
        ),
        zab_scenario(
            "zab-partition",
            "The leader's datacenter is cut off at 4 s; the leader still proposes lost=1 but no quorum acks it, and it steps down. The majority side elects a new leader for a higher epoch and commits y=2. After the heal at 9 s the old leader rejoins as a follower and truncates its uncommitted proposal.",
            15,
            vec![
                at(3.0, write(0, "x=1")),
                at_role(4.0, "leading", Input::Partition { a: vec![], b: vec![], one_way: false }),
                at_same(4.2, 1, write(0, "lost=1")),
                at_role(7.0, "leading", write(0, "y=2")),
                at(9.0, Input::Heal),
            ],
        ),
        zab_scenario(
            "zab-follower-rejoin",
            "A follower crashes at 3 s and misses three writes. It restarts at 8 s, finds the leader through the election's notifications, and the leader syncs it by DIFF with the three transactions it missed.",
            12,
            vec![
                at_role(3.0, "following", Input::Crash { node: 0 }),
                at_role(4.0, "leading", write(0, "x=1")),
                at_role(5.0, "leading", write(0, "y=2")),
                at_role(6.0, "leading", write(0, "z=3")),
                at_same(8.0, 0, Input::Restart { node: 0 }),
            ],
        ),
    ]
}
