#![doc = include_str!("../essays/lock.md")]

use caucus_sim::{
    Ctx, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Status, Topology, TopologySpec,
    View, MS, SEC,
};
use serde::{Deserialize, Serialize};
use std::hash::{Hash, Hasher};

pub const NAME: &str = "lock";

/// Redlock instances at most (an odd number so that majorities are clear).
pub const MAX_INSTANCES: u8 = 7;
/// Writes the storage keeps in its log; older ones are dropped (the counts stay).
pub const MAX_LOG: usize = 200;

/// How the lock is taken and what the storage checks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// `SET NX` and `DEL`, no expiry.
    Setnx,
    /// `SET NX PX ttl`: a lease.
    #[default]
    Lease,
    /// A lease plus fencing tokens checked by the storage.
    Fencing,
    /// Leases on a majority of independent instances.
    Redlock,
    /// ZooKeeper's recipe: sessions kept alive by pings, ephemeral sequential nodes under
    /// `/lock`, each waiter watching its predecessor only.
    Zookeeper,
}

impl Variant {
    pub const ALL: [Variant; 5] =
        [Variant::Setnx, Variant::Lease, Variant::Fencing, Variant::Redlock, Variant::Zookeeper];
    pub fn word(self) -> &'static str {
        match self {
            Variant::Setnx => "setnx",
            Variant::Lease => "lease",
            Variant::Fencing => "fencing",
            Variant::Redlock => "redlock",
            Variant::Zookeeper => "zookeeper",
        }
    }
}

/// What a client turned away does next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Retry {
    /// Sleep `retry_us`, then try again.
    #[default]
    Fixed,
    /// Sleep a random time up to `backoff_base_us · 2^failures`, capped at `backoff_cap_us`.
    Backoff,
    /// Wait for the service's release notification, at most `retry_us`.
    Notify,
}

impl Retry {
    pub fn word(self) -> &'static str {
        match self {
            Retry::Fixed => "fixed",
            Retry::Backoff => "backoff",
            Retry::Notify => "notify",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub variant: Variant,
    pub retry: Retry,
    /// The lease (`PX`); ignored by `setnx`.
    pub ttl_us: Micros,
    /// Work between taking the lock and writing to the storage.
    pub work_us: Micros,
    /// Idle time between two rounds, drawn between half this and this (the first round starts
    /// within this much).
    pub think_us: Micros,
    /// The fixed sleep between attempts, and the longest wait for a notification.
    pub retry_us: Micros,
    pub backoff_base_us: Micros,
    pub backoff_cap_us: Micros,
    /// A client gives up on an answer (to a `SET` or a write) after this long.
    pub request_timeout_us: Micros,
    /// Redlock's lock services.
    pub instances: u8,
    /// Redlock's clock drift allowance, parts per million of the lease.
    pub drift_ppm: u32,
    /// Liveness: no running client waits longer than this for the lock once faults heal.
    pub max_wait_us: Micros,
    /// ZooKeeper: the service expires a session that has not pinged for this long and deletes
    /// its ephemeral nodes.
    pub session_timeout_us: Micros,
    /// ZooKeeper: a client pings its session this often.
    pub ping_interval_us: Micros,
    /// ZooKeeper: the storage checks the lock node's czxid as a fencing token.
    pub zxid_fencing: bool,
}

impl Default for Params {
    /// A lease of one second covers the work (200 ms) plus the longest round trip to the storage
    /// (about 180 ms from Singapore to Ireland) several times over.
    fn default() -> Self {
        Params {
            variant: Variant::Lease,
            retry: Retry::Fixed,
            ttl_us: SEC,
            work_us: 200 * MS,
            think_us: 2500 * MS,
            retry_us: SEC,
            backoff_base_us: 50 * MS,
            backoff_cap_us: 2 * SEC,
            request_timeout_us: SEC,
            instances: 5,
            drift_ppm: 10_000,
            max_wait_us: 30 * SEC,
            session_timeout_us: SEC,
            ping_interval_us: 333 * MS,
            zxid_fencing: false,
        }
    }
}

/// Who does what, from the topology: lock services first, taken round-robin over the
/// datacenters (one, or `instances` for Redlock), then the storage (the next node in that order,
/// so in another datacenter than the first service), then every other node is a client.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub servers: Vec<NodeId>,
    pub storage: NodeId,
    pub clients: Vec<NodeId>,
}

impl Layout {
    pub fn of(topology: &Topology, params: &Params) -> Option<Layout> {
        let per_dc: Vec<Vec<NodeId>> =
            (0..topology.datacenters.len() as u16).map(|dc| topology.nodes_in(dc).collect()).collect();
        let deepest = per_dc.iter().map(Vec::len).max().unwrap_or(0);
        let mut order = Vec::with_capacity(topology.nodes.len());
        for depth in 0..deepest {
            order.extend(per_dc.iter().filter_map(|nodes| nodes.get(depth)));
        }
        let k = servers_wanted(params);
        if order.len() < k + 2 {
            return None;
        }
        let servers = order[..k].to_vec();
        let storage = order[k];
        let mut clients = order[k + 1..].to_vec();
        clients.sort();
        Some(Layout { servers, storage, clients })
    }
    pub fn instance_of(&self, node: NodeId) -> Option<u8> {
        self.servers.iter().position(|&s| s == node).map(|i| i as u8)
    }
}

fn servers_wanted(params: &Params) -> usize {
    match params.variant {
        Variant::Redlock => params.instances as usize,
        _ => 1,
    }
}

/// A grant's fencing token: `(instance, count)` for every instance that granted it (one for a
/// single lock service). Two grants are ordered by an instance that granted both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Token(pub Vec<(u8, u64)>);

impl Token {
    /// `t7`, or for Redlock the count at each instance, `t7·5·–·9·3`.
    pub fn label(&self, instances: usize) -> String {
        if instances <= 1 {
            return self.0.first().map(|(_, t)| format!("t{t}")).unwrap_or_else(|| "t?".into());
        }
        let parts: Vec<String> = (0..instances as u8)
            .map(|i| self.0.iter().find(|(j, _)| *j == i).map_or("–".to_string(), |(_, t)| t.to_string()))
            .collect();
        format!("t{}", parts.join("·"))
    }
    /// `t7`, or the counts of the granting instances, `t7·5·9`, for a message label.
    pub fn short(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(|(_, t)| t.to_string()).collect();
        format!("t{}", parts.join("·"))
    }
    /// Whether an instance that granted this token had already granted a later one accepted
    /// before (`highest[i]` is the latest count accepted from instance `i`).
    fn older_than(&self, highest: &[u64]) -> Option<(u8, u64, u64)> {
        self.0.iter().find(|(i, t)| *t < highest[*i as usize]).map(|&(i, t)| (i, t, highest[i as usize]))
    }
}

/// The one protocol type: every node is a lock service, the storage or a client.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Lock {
    Server(Server),
    Storage(Storage),
    Client(Client),
}

/// A lock service: one Redis key.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Server {
    pub instance: u8,
    pub held: Option<Grant>,
    /// Grants handed out: the last token (kept across a crash, like `INCR` with an append log).
    pub counter: u64,
    /// Clients turned away since the last grant, in order. Redis keeps no queue: whoever asks
    /// first after a release wins, not whoever came first.
    pub contenders: Vec<NodeId>,
    pub refusals: u64,
    pub expiries: u64,
    /// Whether the last lease ended by expiring rather than by a release: the next grant passes
    /// the lock on behind its holder's back (a key moment of the story).
    #[serde(skip)]
    pub expired_last: bool,
    /// Releases (a key deleted or expired, a lock node deleted): the panel's count.
    pub releases: u64,
    /// Clients woken by a release (notifications sent, watches fired): the panel's count.
    pub wakeups: u64,
    /// The ZooKeeper service's state (empty in the Redis variants).
    pub zk: Zk,
}

/// A ZooKeeper-like service: sessions, the ephemeral sequential children of `/lock`, watches.
/// Its transaction counter is the server's `counter` (the zxid), kept across a crash.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Zk {
    pub sessions: Vec<Session>,
    /// The children of `/lock`, in sequence order.
    pub nodes: Vec<Znode>,
    /// One-shot watches set by `exists`: fire when their node is deleted.
    pub watches: Vec<Watch>,
    /// The next sequence number of `/lock` (its cversion).
    pub next_seq: u64,
    /// The most watches one deletion fired: the recipe promises one at most (no herd).
    pub max_fires: u64,
    /// Sessions expired: the panel's count.
    pub sessions_expired: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: u64,
    pub client: NodeId,
    /// The service's local time of the last ping (or of the session's creation).
    pub last_ping: Micros,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Znode {
    pub seq: u64,
    pub owner: NodeId,
    pub session: u64,
    /// The zxid of the transaction that created it: the fencing token.
    pub czxid: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Watch {
    pub watcher: NodeId,
    pub session: u64,
    /// The node watched (the watcher's predecessor).
    pub seq: u64,
}

/// A lock node's name: `lock-0000000003`.
pub fn znode_name(seq: u64) -> String {
    format!("lock-{seq:010}")
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Grant {
    pub client: NodeId,
    pub value: u64,
    pub token: u64,
    /// Local time of the service at which the lease ends; `None` without expiry.
    pub expires_at: Option<Micros>,
}

/// The storage service and its log of writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Storage {
    pub log: Vec<WriteEntry>,
    /// Writes before the first entry of `log` (dropped to keep it short).
    pub dropped: u64,
    /// The latest count accepted from each instance.
    pub highest: Vec<u64>,
    pub accepted: u64,
    pub rejected: u64,
    /// Accepted writes whose token was older than one accepted before: the violations.
    pub stale_accepted: u64,
    /// The first of them, with the newer write it came after.
    pub first_stale: Option<(WriteEntry, NodeId)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct WriteEntry {
    pub client: NodeId,
    pub token: Token,
    pub verdict: Verdict,
    /// The storage's local time.
    pub at_us: Micros,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accepted,
    /// Accepted although a newer lock's write had been accepted: the violation.
    AcceptedStale,
    /// Rejected by fencing: the token is older than one accepted.
    Rejected,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Between rounds.
    Idle,
    /// `SET` sent, waiting for answers.
    Acquiring,
    /// Turned away, sleeping before the next attempt.
    Sleeping,
    /// Turned away, waiting for a release notification.
    Waiting,
    /// Holds the lock (by its own clock) and works.
    Working,
    /// Sent its write, waiting for the storage's answer.
    Writing,
}

impl Phase {
    pub fn wants_lock(self) -> bool {
        matches!(self, Phase::Acquiring | Phase::Sleeping | Phase::Waiting)
    }
    pub fn holds(self) -> bool {
        matches!(self, Phase::Working | Phase::Writing)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Client {
    pub phase: Phase,
    pub servers: Vec<NodeId>,
    pub storage: NodeId,
    /// The random value of the current attempt.
    pub value: u64,
    /// Grants received in the current attempt.
    pub grants: Token,
    pub refusals: u8,
    /// Local time the current attempt's `SET` was sent.
    pub attempt_at: Micros,
    /// Local time this round began waiting for the lock.
    pub waiting_since: Option<Micros>,
    /// Failed attempts in this round (the backoff's exponent).
    pub failures: u32,
    /// The token of the lock it holds (or last held).
    pub token: Token,
    /// Local time at which it believes its lease ends; `None` without expiry or lock.
    pub valid_until: Option<Micros>,
    pub stats: ClientStats,
    /// ZooKeeper: its session, node and watch (empty in the Redis variants).
    pub zk: ZkClient,
}

/// A ZooKeeper client's view: its session, its lock node and the predecessor it watches.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct ZkClient {
    pub session: Option<u64>,
    /// A `connect` is on its way.
    pub connecting: bool,
    /// Its lock node: `(sequence, czxid)`.
    pub node: Option<(u64, u64)>,
    /// The predecessor whose deletion it waits for.
    pub watching: Option<u64>,
    /// A request is on its way (a `connect`, `create`, `getChildren` or `exists`).
    pub pending: bool,
    /// The last node it deleted (the next pings repeat it, in case the delete was lost).
    pub released: Option<u64>,
    /// Woken by a watch: a listing that does not give it the lock is a wasted request.
    pub woken: bool,
}

/// A client's counts, kept across crashes (they are the panel's metrics, not the client's memory).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientStats {
    pub acquisitions: u64,
    /// Attempts turned away or unanswered: wasted requests.
    pub failed_attempts: u64,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    /// Time from wanting the lock to holding it, summed over acquisitions (local time).
    pub total_wait_us: Micros,
    pub last_wait_us: Micros,
    /// Rounds abandoned because the lease ran out (by the client's clock) before the write.
    pub gave_up: u64,
    /// Times a release notification or a watch woke it.
    pub wakeups: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// `SET lock value NX [PX ttl]`.
    Set {
        value: u64,
        ttl_us: Option<Micros>,
    },
    /// `OK`, with the grant's fencing token.
    Granted {
        value: u64,
        token: u64,
    },
    /// nil: the key is held.
    Refused {
        value: u64,
        holder: NodeId,
    },
    /// Compare-and-delete: `if GET lock == value then DEL lock`.
    Del {
        value: u64,
    },
    /// Keyspace notification: the key was deleted or expired.
    Released,
    Write {
        token: Token,
    },
    WriteAck {
        accepted: bool,
    },
    /// ZooKeeper: open a session.
    Connect,
    SessionOpened {
        session: u64,
    },
    /// Keeps the session alive; repeats the client's watch and its last delete, which the
    /// service catches up on (as a ZooKeeper client re-sends its watches when it reconnects).
    Ping {
        session: u64,
        watching: Option<u64>,
        released: Option<u64>,
    },
    /// The answer to any request of a session the service no longer has.
    SessionExpired {
        session: u64,
    },
    CloseSession {
        session: u64,
    },
    /// `create -e -s /lock/lock-`.
    Create {
        session: u64,
    },
    Created {
        session: u64,
        seq: u64,
        czxid: u64,
    },
    /// `getChildren /lock`.
    GetChildren {
        session: u64,
    },
    Children {
        session: u64,
        seqs: Vec<u64>,
    },
    /// `exists /lock/lock-<seq>` with a watch.
    Exists {
        session: u64,
        seq: u64,
    },
    Stat {
        session: u64,
        seq: u64,
        exists: bool,
    },
    /// `delete /lock/lock-<seq>`.
    Delete {
        session: u64,
        seq: u64,
    },
    /// The watch on this node fired: it was deleted.
    WatchFired {
        session: u64,
        seq: u64,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// A client's idle time is over: it starts a round.
    Think,
    /// A client's sleep (or wait for a notification) is over.
    Retry,
    /// No (majority of) answers to the attempt with this value.
    AttemptTimeout(u64),
    /// The holder's work is done: it writes.
    WorkDone,
    /// The holder's lease ends by its own clock.
    LeaseEnd,
    WriteTimeout,
    /// The lease with this token ends at the service.
    Expire(u64),
    /// ZooKeeper: a client pings its session.
    Ping,
    /// ZooKeeper: a client's request had no answer in time.
    ZkTimeout,
    /// ZooKeeper: this session has not pinged for `session_timeout_us`.
    SessionExpire(u64),
}

/// The message and timer with an attempt's random value cleared: how a path of the exhaustive
/// checker finds its events in the simulator when it is replayed. The checker starts a node's
/// random stream afresh before every event (so that a state has the same successors however it
/// was reached), so its client draws the same value in every attempt; the simulator's draws go
/// on, and its values differ. Tokens, senders and kinds still tell messages apart.
impl Msg {
    pub fn without_value(&self) -> Msg {
        let mut m = self.clone();
        match &mut m {
            Msg::Set { value, .. } | Msg::Granted { value, .. } | Msg::Refused { value, .. } | Msg::Del { value } => {
                *value = 0
            }
            _ => {}
        }
        m
    }
}

impl Timer {
    pub fn without_value(&self) -> Timer {
        match self {
            Timer::AttemptTimeout(_) => Timer::AttemptTimeout(0),
            other => other.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// An idle client starts a round now.
    Acquire,
}

/// What a crash keeps: the service's grant count, the storage's log, a client's counts.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Durable {
    Server(u64),
    Storage(Storage),
    Client(ClientStats),
}

// ---- a state as the exhaustive checker tells states apart ------------------------------------
//
// The checker (`caucus_sim::explore`) takes two states whose hashes are equal for the same state:
// a state's hash must cover everything that can change what happens next or what a checked
// property says, and leave out the rest, or every state would be new. `PartialEq` stays the
// derived one (all fields): two states equal by it hash alike, as `Eq` asks.
//
// Left out, with why:
// - the panel's counts, which no handler and no property reads: a service's `refusals` and
//   `expiries`, the storage's `accepted`, `rejected` and `dropped`, a client's `stats` (also in
//   what a client keeps across a crash, `Durable::Client`);
// - a service's `expired_last`, which only picks between a note and a key moment;
// - the storage's `log`, which only names, in the safety property's explanation, who wrote the
//   newer token a stale write came after: instead the writer of each instance's highest accepted
//   count, which is what `on_write` looks up there, is hashed (exact while the log is shorter than
//   `MAX_LOG`, 200 writes, which a check bounded by tokens never reaches);
// - what a client's phase no longer reads: its `token` and `value` outside holding (or, for the
//   value, acquiring), the attempt's `grants`, `refusals` and `attempt_at` outside acquiring (they
//   are reset when the next attempt starts), `valid_until` (drawn, never read);
// - a client's `failures`, which only sets how long a backoff sleeps: the checker's timers have
//   no duration, any pending timer may fire next.
//
// Kept although the checker's clock never moves: `expires_at` (the liveness property asks
// whether a key has one) and `waiting_since` (it reads it), and a service's `contenders`, read when
// retries wait for a release notification (a hash cannot see the parameters; at most one entry
// per client).

impl Hash for Lock {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Lock::Server(s) => (0u8, s.instance, &s.held, s.counter, &s.contenders, &s.zk).hash(h),
            Lock::Storage(s) => {
                1u8.hash(h);
                s.hash(h);
            }
            Lock::Client(c) => {
                2u8.hash(h);
                c.hash(h);
            }
        }
    }
}

impl Eq for Lock {}

impl Hash for Storage {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.highest.hash(h);
        for (i, &count) in self.highest.iter().enumerate() {
            self.writer_of(i as u8, count).hash(h);
        }
        // Read by the safety property (set in the state that fails it, where a check stops).
        (&self.first_stale, self.stale_accepted).hash(h);
    }
}

/// A session's last ping is a time, which the checker does not have; the panel's count neither.
impl Hash for Zk {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for s in &self.sessions {
            (s.id, s.client).hash(h);
        }
        (&self.nodes, &self.watches, self.next_seq, self.max_fires).hash(h);
    }
}

impl Hash for Client {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.phase, &self.servers, self.storage, self.waiting_since, &self.zk).hash(h);
        match self.phase {
            Phase::Acquiring => (self.value, &self.grants, self.refusals, self.attempt_at).hash(h),
            Phase::Working | Phase::Writing => (self.value, &self.token).hash(h),
            Phase::Idle | Phase::Sleeping | Phase::Waiting => {}
        }
    }
}

impl Hash for Durable {
    fn hash<H: Hasher>(&self, h: &mut H) {
        match self {
            Durable::Server(counter) => (0u8, counter).hash(h),
            Durable::Storage(s) => {
                1u8.hash(h);
                s.hash(h);
            }
            // Only the panel's counts.
            Durable::Client(_) => 2u8.hash(h),
        }
    }
}

fn name(ctx: &Ctx<'_, Lock>, node: NodeId) -> String {
    ctx.topology.nodes[node as usize].name.clone()
}

fn ms(us: Micros) -> String {
    caucus_sim::format_micros(us)
}

// ---- the lock service ---------------------------------------------------------------------

impl Server {
    /// Drops the key when its lease has ended by this service's clock (Redis checks on access).
    fn expire_if_due(&mut self, ctx: &mut Ctx<'_, Lock>) {
        if self.held.as_ref().is_some_and(|g| g.expires_at.is_some_and(|t| t <= ctx.now)) {
            self.expire(ctx);
        }
    }

    /// The lease of the key ends: it is dropped, whatever its holder believes.
    fn expire(&mut self, ctx: &mut Ctx<'_, Lock>) {
        let Some(g) = self.held.take() else { return };
        self.expiries += 1;
        self.expired_last = true;
        let text = format!("drops the key: lease t{} of {} expired", g.token, name(ctx, g.client));
        // With Redlock each instance expires on its own: the client's story tells it.
        if ctx.params.variant == Variant::Redlock {
            ctx.note(text);
        } else {
            ctx.moment(text);
        }
        self.notify(ctx);
    }

    fn notify(&mut self, ctx: &mut Ctx<'_, Lock>) {
        self.releases += 1;
        if ctx.params.retry == Retry::Notify {
            self.wakeups += self.contenders.len() as u64;
            for &c in &self.contenders {
                ctx.send(c, Msg::Released);
            }
            self.contenders.clear();
        }
    }

    fn on_set(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, value: u64, ttl_us: Option<Micros>) {
        self.expire_if_due(ctx);
        if let Some(g) = &self.held {
            let holder = g.client;
            self.refusals += 1;
            if !self.contenders.contains(&from) {
                self.contenders.push(from);
            }
            ctx.send(from, Msg::Refused { value, holder });
            return;
        }
        self.counter += 1;
        // The fencing counter is on disk before the token is handed out: a restarted server
        // must never give the same token twice.
        ctx.persist("token counter");
        let token = self.counter;
        let expires_at = ttl_us.map(|ttl| ctx.now + ttl);
        if let Some(ttl) = ttl_us {
            ctx.set_timer(Timer::Expire(token), ttl);
        }
        self.held = Some(Grant { client: from, value, token, expires_at });
        self.contenders.retain(|&c| c != from);
        let text = format!("grants the lock to {} with token t{token}", name(ctx, from));
        if ctx.params.variant == Variant::Redlock {
            ctx.note(text);
        } else if self.expired_last {
            ctx.moment(format!("{text}, although the last holder never released it"));
        } else if token == 1 {
            ctx.moment(text);
        } else {
            ctx.note(text);
        }
        self.expired_last = false;
        ctx.send(from, Msg::Granted { value, token });
    }

    fn on_del(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, value: u64) {
        self.expire_if_due(ctx);
        match &self.held {
            Some(g) if g.value == value => {
                let token = g.token;
                ctx.cancel_timer(Timer::Expire(token));
                self.held = None;
                // The service speaks: "n1: frees the key: n5 released t8" (not "n1: n5 released").
                ctx.note(format!("frees the key: {} released t{token}", name(ctx, from)));
                self.notify(ctx);
            }
            Some(g) => {
                let other = name(ctx, g.client);
                ctx.note(format!("DEL from {} ignored: the key holds {other}'s value now", name(ctx, from)));
            }
            None => {}
        }
    }

    /// The lease's timer firing is the lease ending. It is set for `ttl` of the service's clock
    /// from when the grant's effects are carried out (never before the handler's `ctx.now`, later
    /// on a busy node), and a timer is a deadline on the node's local clock: a jump or a change of
    /// drift reschedules it to the same local deadline, a pause only defers it. So in a timed run
    /// it fires at a local time no earlier than `expires_at`, where checking the clock (as this did
    /// before) always found the lease due: dropping the key without looking changes no run whose
    /// timer fires on its own. It is what lets a lease end where there is no clock: in the
    /// exhaustive checker, whose `ctx.now` is always 0, and when the timer is forced (the
    /// timeline's *Fire now*, the replay of a checker's path), which before consumed the timer and
    /// left the key held until a later `SET` found it due.
    /// `expire_if_due` stays for the other order: a `SET` or `DEL` that arrives after `expires_at`
    /// but before the timer fires (on a busy node, or at the same instant) finds the lease over,
    /// as Redis checks expiry on access.
    fn on_expire(&mut self, ctx: &mut Ctx<'_, Lock>, token: u64) {
        if self.held.as_ref().is_some_and(|g| g.token == token) {
            self.expire(ctx);
        }
    }
}

// ---- the ZooKeeper service ------------------------------------------------------------------

impl Server {
    fn session_mut(&mut self, id: u64) -> Option<&mut Session> {
        self.zk.sessions.iter_mut().find(|s| s.id == id)
    }

    fn has_session(&self, id: u64) -> bool {
        self.zk.sessions.iter().any(|s| s.id == id)
    }

    /// Every write transaction (a session opened or closed, a node created or deleted) takes
    /// the next zxid, which is on disk before anyone hears of it.
    fn next_zxid(&mut self, ctx: &mut Ctx<'_, Lock>) -> u64 {
        self.counter += 1;
        ctx.persist("zxid");
        self.counter
    }

    fn on_connect(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId) {
        let id = self.next_zxid(ctx);
        self.zk.sessions.push(Session { id, client: from, last_ping: ctx.now });
        ctx.set_timer(Timer::SessionExpire(id), ctx.params.session_timeout_us);
        ctx.note(format!("opens session s{id} for {}", name(ctx, from)));
        ctx.send(from, Msg::SessionOpened { session: id });
    }

    fn on_ping(
        &mut self,
        ctx: &mut Ctx<'_, Lock>,
        from: NodeId,
        session: u64,
        watching: Option<u64>,
        released: Option<u64>,
    ) {
        let now = ctx.now;
        let Some(s) = self.session_mut(session) else {
            ctx.send(from, Msg::SessionExpired { session });
            return;
        };
        s.last_ping = now;
        ctx.set_timer(Timer::SessionExpire(session), ctx.params.session_timeout_us);
        // A delete that was lost: the client let go of this node.
        if let Some(seq) = released {
            if self.zk.nodes.iter().any(|n| n.seq == seq && n.session == session) {
                ctx.note(format!("deletes {} on {}'s ping (its delete was lost)", znode_name(seq), name(ctx, from)));
                self.next_zxid(ctx);
                self.delete_node(ctx, seq, false);
            }
        }
        // A watch whose notification was lost: fire it again (not a new wake-up).
        if let Some(seq) = watching {
            if !self.zk.nodes.iter().any(|n| n.seq == seq) && !self.zk.watches.iter().any(|w| w.session == session) {
                ctx.send(from, Msg::WatchFired { session, seq });
            }
        }
    }

    fn on_create(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, session: u64) {
        if !self.has_session(session) {
            ctx.send(from, Msg::SessionExpired { session });
            return;
        }
        let czxid = self.next_zxid(ctx);
        let seq = self.zk.next_seq;
        self.zk.next_seq += 1;
        self.zk.nodes.push(Znode { seq, owner: from, session, czxid });
        ctx.note(format!("creates /lock/{} for {} (ephemeral, czxid {czxid})", znode_name(seq), name(ctx, from)));
        ctx.send(from, Msg::Created { session, seq, czxid });
    }

    fn on_get_children(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, session: u64) {
        if !self.has_session(session) {
            ctx.send(from, Msg::SessionExpired { session });
            return;
        }
        let seqs: Vec<u64> = self.zk.nodes.iter().map(|n| n.seq).collect();
        if let Some(first) = self.zk.nodes.first().filter(|n| n.session == session) {
            let text = format!(
                "lists /lock for {who}: its node {} is the lowest, so {who} holds the lock (czxid {})",
                znode_name(first.seq),
                first.czxid,
                who = name(ctx, from)
            );
            if self.expired_last {
                ctx.moment(format!("{text}, although the last holder never released it"));
            } else if self.releases == 0 {
                ctx.moment(text);
            } else {
                ctx.note(text);
            }
            self.expired_last = false;
        }
        ctx.send(from, Msg::Children { session, seqs });
    }

    fn on_exists(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, session: u64, seq: u64) {
        if !self.has_session(session) {
            ctx.send(from, Msg::SessionExpired { session });
            return;
        }
        let exists = self.zk.nodes.iter().any(|n| n.seq == seq);
        if exists && !self.zk.watches.iter().any(|w| w.session == session && w.seq == seq) {
            self.zk.watches.push(Watch { watcher: from, session, seq });
        }
        ctx.send(from, Msg::Stat { session, seq, exists });
    }

    fn on_zk_delete(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, session: u64, seq: u64) {
        if self.zk.nodes.iter().any(|n| n.seq == seq && n.session == session) {
            self.next_zxid(ctx);
            ctx.note(format!("deletes {}: {} released the lock", znode_name(seq), name(ctx, from)));
            self.delete_node(ctx, seq, false);
        }
    }

    fn on_close_session(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64) {
        if let Some(i) = self.zk.sessions.iter().position(|s| s.id == session) {
            let s = self.zk.sessions.remove(i);
            ctx.cancel_timer(Timer::SessionExpire(session));
            self.next_zxid(ctx);
            ctx.note(format!("closes {}'s session s{session}", name(ctx, s.client)));
            self.drop_session(ctx, session, false);
        }
    }

    /// No ping for `session_timeout_us`: the session ends and its ephemeral nodes go with it,
    /// whatever its client believes.
    fn on_session_expire(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64) {
        let Some(i) = self.zk.sessions.iter().position(|s| s.id == session) else { return };
        let s = self.zk.sessions.remove(i);
        self.zk.sessions_expired += 1;
        self.next_zxid(ctx);
        let mine: Vec<u64> = self.zk.nodes.iter().filter(|n| n.session == session).map(|n| n.seq).collect();
        let text = format!(
            "{}'s session s{session} expired (no ping for {})",
            name(ctx, s.client),
            ms(ctx.params.session_timeout_us)
        );
        if mine.is_empty() {
            ctx.note(text);
        } else {
            let names: Vec<String> = mine.iter().map(|&q| znode_name(q)).collect();
            ctx.moment(format!("{text}: deletes its node {}", names.join(", ")));
        }
        self.drop_session(ctx, session, true);
    }

    fn drop_session(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64, expired: bool) {
        self.zk.watches.retain(|w| w.session != session);
        let mine: Vec<u64> = self.zk.nodes.iter().filter(|n| n.session == session).map(|n| n.seq).collect();
        for seq in mine {
            self.delete_node(ctx, seq, expired);
        }
    }

    /// Deletes a lock node and fires the watches on it: the recipe's promise is one at most.
    fn delete_node(&mut self, ctx: &mut Ctx<'_, Lock>, seq: u64, expired: bool) {
        let Some(i) = self.zk.nodes.iter().position(|n| n.seq == seq) else { return };
        let node = self.zk.nodes.remove(i);
        if i == 0 && expired {
            self.expired_last = true;
        }
        let fired: Vec<Watch> = self.zk.watches.iter().filter(|w| w.seq == seq).cloned().collect();
        self.zk.watches.retain(|w| w.seq != seq);
        let first = self.wakeups == 0;
        self.releases += 1;
        self.wakeups += fired.len() as u64;
        self.zk.max_fires = self.zk.max_fires.max(fired.len() as u64);
        for w in fired {
            let text = format!(
                "watch fires: tells {} that its predecessor {} is gone{}",
                name(ctx, w.watcher),
                znode_name(seq),
                if expired { format!(" ({}'s session expired)", name(ctx, node.owner)) } else { String::new() }
            );
            if first || expired {
                ctx.moment(text);
            } else {
                ctx.note(text);
            }
            ctx.send(w.watcher, Msg::WatchFired { session: w.session, seq });
        }
    }
}

// ---- the storage ----------------------------------------------------------------------------

impl Storage {
    /// Who wrote the latest accepted write in the log that carries count `count` of instance `i`.
    fn writer_of(&self, i: u8, count: u64) -> Option<NodeId> {
        self.log
            .iter()
            .rev()
            .find(|e| e.verdict != Verdict::Rejected && e.token.0.iter().any(|&(j, c)| j == i && c == count))
            .map(|e| e.client)
    }

    fn on_write(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, token: Token) {
        let stale = token.older_than(&self.highest);
        let verdict = match stale {
            Some(_) if ctx.params.variant == Variant::Fencing => Verdict::Rejected,
            Some(_) if ctx.params.variant == Variant::Zookeeper && ctx.params.zxid_fencing => Verdict::Rejected,
            Some(_) => Verdict::AcceptedStale,
            None => Verdict::Accepted,
        };
        let label = token.label(self.highest.len());
        let entry = WriteEntry { client: from, token: token.clone(), verdict, at_us: ctx.now };
        match (verdict, stale) {
            (Verdict::Rejected, Some((_, t, newer))) => {
                self.rejected += 1;
                ctx.moment(format!(
                    "rejects {}'s stale write {label}: it has accepted token {newer} > {t}",
                    name(ctx, from)
                ));
            }
            (_, Some((i, t, newer))) => {
                self.accepted += 1;
                self.stale_accepted += 1;
                ctx.moment(format!(
                    "accepts {}'s stale write {label} although it has accepted token {newer} > {t}: a stale lock wrote",
                    name(ctx, from)
                ));
                if self.first_stale.is_none() {
                    let newer_writer = self.writer_of(i, newer).unwrap_or(from);
                    self.first_stale = Some((entry.clone(), newer_writer));
                }
            }
            _ => {
                self.accepted += 1;
                ctx.note(format!("accepts {}'s write {label}", name(ctx, from)));
            }
        }
        if verdict != Verdict::Rejected {
            for &(i, t) in &token.0 {
                let h = &mut self.highest[i as usize];
                *h = (*h).max(t);
            }
        }
        if self.log.len() == MAX_LOG {
            self.log.remove(0);
            self.dropped += 1;
        }
        self.log.push(entry);
        // The write and the highest token seen are durable before the acknowledgement.
        ctx.persist("write");
        ctx.send(from, Msg::WriteAck { accepted: verdict != Verdict::Rejected });
    }
}

// ---- the client -----------------------------------------------------------------------------

impl Client {
    fn majority(&self) -> usize {
        self.servers.len() / 2 + 1
    }

    fn instance_of(&self, node: NodeId) -> Option<u8> {
        self.servers.iter().position(|&s| s == node).map(|i| i as u8)
    }

    fn start_round(&mut self, ctx: &mut Ctx<'_, Lock>) {
        self.waiting_since = Some(ctx.now);
        self.failures = 0;
        if ctx.params.variant == Variant::Zookeeper {
            self.phase = Phase::Acquiring;
            self.zk.woken = false;
            self.zk_next(ctx);
        } else {
            self.attempt(ctx);
        }
    }

    /// Step 1: `SET lock value NX PX ttl` to every lock service.
    fn attempt(&mut self, ctx: &mut Ctx<'_, Lock>) {
        ctx.cancel_timer(Timer::Retry);
        self.value = ctx.random_below(u64::MAX);
        self.grants = Token::default();
        self.refusals = 0;
        self.attempt_at = ctx.now;
        self.phase = Phase::Acquiring;
        let ttl_us = (ctx.params.variant != Variant::Setnx).then_some(ctx.params.ttl_us);
        for &s in &self.servers {
            ctx.send(s, Msg::Set { value: self.value, ttl_us });
        }
        ctx.set_timer(Timer::AttemptTimeout(self.value), ctx.params.request_timeout_us);
    }

    fn on_granted(&mut self, ctx: &mut Ctx<'_, Lock>, from: NodeId, value: u64, token: u64) {
        let Some(i) = self.instance_of(from) else { return };
        if self.phase != Phase::Acquiring || value != self.value {
            // A grant for an attempt it gave up on: give it back at once.
            ctx.send(from, Msg::Del { value });
            return;
        }
        self.grants.0.push((i, token));
        self.decide(ctx);
    }

    fn on_refused(&mut self, ctx: &mut Ctx<'_, Lock>, value: u64) {
        if self.phase == Phase::Acquiring && value == self.value {
            self.refusals += 1;
            self.decide(ctx);
        }
    }

    /// Holds with a majority of grants and validity left; fails once a majority is out of reach.
    fn decide(&mut self, ctx: &mut Ctx<'_, Lock>) {
        let n = self.servers.len();
        if self.grants.0.len() >= self.majority() {
            let elapsed = ctx.now.saturating_sub(self.attempt_at);
            let p = ctx.params;
            let validity = match p.variant {
                Variant::Setnx | Variant::Zookeeper => None,
                Variant::Lease | Variant::Fencing => Some(p.ttl_us.saturating_sub(elapsed)),
                Variant::Redlock => {
                    let drift = p.ttl_us * p.drift_ppm as u64 / 1_000_000 + 2 * MS;
                    Some(p.ttl_us.saturating_sub(elapsed + drift))
                }
            };
            if validity == Some(0) {
                self.fail(ctx, "acquiring took longer than the lease");
                return;
            }
            self.become_holder(ctx, validity);
        } else if self.refusals as usize > n - self.majority() {
            let why = if n == 1 { "the lock is held".to_string() } else { format!("{} of {n} refused", self.refusals) };
            self.fail(ctx, &why);
        }
    }

    /// Step 3: a failed attempt gives back any grants and retries by the chosen strategy.
    fn fail(&mut self, ctx: &mut Ctx<'_, Lock>, why: &str) {
        ctx.cancel_timer(Timer::AttemptTimeout(self.value));
        self.stats.failed_attempts += 1;
        self.failures += 1;
        for &(i, _) in &self.grants.0 {
            ctx.send(self.servers[i as usize], Msg::Del { value: self.value });
        }
        self.grants = Token::default();
        let p = ctx.params;
        let (phase, sleep) = match p.retry {
            Retry::Fixed => (Phase::Sleeping, p.retry_us),
            Retry::Backoff => {
                let ceiling = p.backoff_base_us.saturating_mul(1 << self.failures.min(20)).min(p.backoff_cap_us);
                (Phase::Sleeping, ctx.random_between(0, ceiling))
            }
            Retry::Notify => (Phase::Waiting, p.retry_us),
        };
        self.phase = phase;
        let next = match phase {
            Phase::Waiting => "waits for a release notification".to_string(),
            _ => format!("retries in {}", ms(sleep)),
        };
        ctx.note(format!("{why}: {next}"));
        ctx.set_timer(Timer::Retry, sleep);
    }

    fn become_holder(&mut self, ctx: &mut Ctx<'_, Lock>, validity: Option<Micros>) {
        ctx.cancel_timer(Timer::AttemptTimeout(self.value));
        self.phase = Phase::Working;
        self.token = std::mem::take(&mut self.grants);
        let wait = self.waiting_since.map_or(0, |t| ctx.now.saturating_sub(t));
        self.stats.acquisitions += 1;
        self.stats.total_wait_us += wait;
        self.stats.last_wait_us = wait;
        self.waiting_since = None;
        self.valid_until = validity.map(|v| ctx.now + v);
        let label = self.token.label(self.servers.len());
        match validity {
            Some(v) => {
                ctx.note(format!("holds the lock {label} for {} by its clock (waited {})", ms(v), ms(wait)));
                ctx.set_timer(Timer::LeaseEnd, v);
            }
            None => ctx.note(format!("holds the lock {label} (waited {})", ms(wait))),
        }
        ctx.set_timer(Timer::WorkDone, ctx.params.work_us);
    }

    /// Step 4: the work is done; the write goes out without another look at the clock.
    fn on_work_done(&mut self, ctx: &mut Ctx<'_, Lock>) {
        if self.phase != Phase::Working {
            return;
        }
        self.phase = Phase::Writing;
        ctx.send(self.storage, Msg::Write { token: self.token.clone() });
        ctx.set_timer(Timer::WriteTimeout, ctx.params.request_timeout_us);
    }

    fn on_lease_end(&mut self, ctx: &mut Ctx<'_, Lock>) {
        match self.phase {
            Phase::Working => {
                self.stats.gave_up += 1;
                ctx.moment("its lease ran out (by its clock) before the work was done: it gives up this round");
                self.release(ctx);
            }
            Phase::Writing => ctx.note("its lease ran out (by its clock) while its write is on its way"),
            _ => {}
        }
        self.valid_until = None;
    }

    fn on_write_ack(&mut self, ctx: &mut Ctx<'_, Lock>, accepted: bool) {
        if self.phase != Phase::Writing {
            return;
        }
        if accepted {
            self.stats.writes_accepted += 1;
        } else {
            self.stats.writes_rejected += 1;
            ctx.note("the storage rejected its write: its lock was stale");
        }
        self.release(ctx);
    }

    /// Step 5: compare-and-delete at every service, then idle.
    fn release(&mut self, ctx: &mut Ctx<'_, Lock>) {
        for timer in [Timer::WorkDone, Timer::LeaseEnd, Timer::WriteTimeout] {
            ctx.cancel_timer(timer);
        }
        if ctx.params.variant == Variant::Zookeeper {
            if let (Some(session), Some((seq, _))) = (self.zk.session, self.zk.node.take()) {
                ctx.send(self.servers[0], Msg::Delete { session, seq });
                self.zk.released = Some(seq);
            }
        } else {
            for &s in &self.servers {
                ctx.send(s, Msg::Del { value: self.value });
            }
        }
        self.valid_until = None;
        self.become_idle(ctx);
    }

    fn become_idle(&mut self, ctx: &mut Ctx<'_, Lock>) {
        self.phase = Phase::Idle;
        let think = ctx.params.think_us;
        let wait = ctx.random_between(think / 2, think);
        ctx.set_timer(Timer::Think, wait);
    }
}

// ---- the ZooKeeper client -------------------------------------------------------------------

impl Client {
    fn zk_request(&mut self, ctx: &mut Ctx<'_, Lock>, msg: Msg) {
        ctx.send(self.servers[0], msg);
        self.zk.pending = true;
        ctx.set_timer(Timer::ZkTimeout, ctx.params.request_timeout_us);
    }

    fn zk_answered(&mut self, ctx: &mut Ctx<'_, Lock>) {
        self.zk.pending = false;
        ctx.cancel_timer(Timer::ZkTimeout);
    }

    /// The recipe's next step for a client that wants the lock: a session, then its node, then
    /// the children of `/lock`.
    fn zk_next(&mut self, ctx: &mut Ctx<'_, Lock>) {
        match (self.zk.session, self.zk.node) {
            (None, _) => self.zk_connect(ctx),
            (Some(session), None) => self.zk_request(ctx, Msg::Create { session }),
            (Some(session), Some(_)) => self.zk_request(ctx, Msg::GetChildren { session }),
        }
    }

    fn zk_connect(&mut self, ctx: &mut Ctx<'_, Lock>) {
        if !self.zk.connecting {
            self.zk.connecting = true;
            self.zk_request(ctx, Msg::Connect);
        }
    }

    fn on_session_opened(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64) {
        if self.zk.session.is_some() || !self.zk.connecting {
            // An answer to an earlier connect: that session expires unpinged.
            return;
        }
        self.zk_answered(ctx);
        self.zk.connecting = false;
        self.zk.session = Some(session);
        // Sequence numbers belong to the service's incarnation: a restarted one starts them again.
        self.zk.released = None;
        ctx.set_timer(Timer::Ping, ctx.params.ping_interval_us);
        if self.phase == Phase::Acquiring {
            self.zk_next(ctx);
        }
    }

    fn on_ping_timer(&mut self, ctx: &mut Ctx<'_, Lock>) {
        if let Some(session) = self.zk.session {
            ctx.send(self.servers[0], Msg::Ping { session, watching: self.zk.watching, released: self.zk.released });
            ctx.set_timer(Timer::Ping, ctx.params.ping_interval_us);
        }
    }

    fn on_created(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64, seq: u64, czxid: u64) {
        if self.zk.session != Some(session) {
            return;
        }
        if self.phase != Phase::Acquiring || self.zk.node.is_some() {
            // It gave up on this node meanwhile.
            ctx.send(self.servers[0], Msg::Delete { session, seq });
            return;
        }
        self.zk_answered(ctx);
        self.zk.node = Some((seq, czxid));
        self.zk_request(ctx, Msg::GetChildren { session });
    }

    /// Lowest: it holds the lock. Otherwise it watches its immediate predecessor only.
    fn on_children(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64, seqs: Vec<u64>) {
        if self.zk.session != Some(session) || self.phase != Phase::Acquiring {
            return;
        }
        let Some((mine, czxid)) = self.zk.node else { return };
        self.zk_answered(ctx);
        if !seqs.contains(&mine) {
            self.zk_reset(ctx, "its node is gone");
            return;
        }
        match seqs.iter().copied().filter(|&q| q < mine).max() {
            None => {
                self.grants = Token(vec![(0, czxid)]);
                self.become_holder(ctx, None);
            }
            Some(pred) => {
                if std::mem::take(&mut self.zk.woken) {
                    self.stats.failed_attempts += 1;
                }
                ctx.note(format!(
                    "{} is not the lowest ({} ahead): watches its predecessor {}",
                    znode_name(mine),
                    seqs.iter().filter(|&&q| q < mine).count(),
                    znode_name(pred)
                ));
                self.zk_request(ctx, Msg::Exists { session, seq: pred });
            }
        }
    }

    fn on_stat(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64, seq: u64, exists: bool) {
        if self.zk.session != Some(session) || self.phase != Phase::Acquiring {
            return;
        }
        self.zk_answered(ctx);
        if exists {
            self.phase = Phase::Waiting;
            self.zk.watching = Some(seq);
        } else {
            // Gone between the listing and the watch: list again.
            self.zk_request(ctx, Msg::GetChildren { session });
        }
    }

    fn on_watch_fired(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64, seq: u64) {
        if self.zk.session != Some(session) || self.phase != Phase::Waiting || self.zk.watching != Some(seq) {
            return;
        }
        self.zk.watching = None;
        self.zk.woken = true;
        self.stats.wakeups += 1;
        self.phase = Phase::Acquiring;
        self.zk_request(ctx, Msg::GetChildren { session });
    }

    /// The service says its session is over: its node is gone, and with it any lock it held.
    fn on_session_expired(&mut self, ctx: &mut Ctx<'_, Lock>, session: u64) {
        if self.zk.session != Some(session) {
            return;
        }
        self.zk_answered(ctx);
        self.zk.session = None;
        self.zk.node = None;
        self.zk.watching = None;
        self.zk.connecting = false;
        ctx.cancel_timer(Timer::Ping);
        match self.phase {
            Phase::Working => {
                self.stats.gave_up += 1;
                ctx.moment(format!(
                    "learns its session s{session} expired: its lock node is gone, so it gives up this round"
                ));
                for timer in [Timer::WorkDone, Timer::LeaseEnd] {
                    ctx.cancel_timer(timer);
                }
                self.become_idle(ctx);
            }
            Phase::Writing => ctx.note(format!("learns its session s{session} expired while its write is on its way")),
            _ => ctx.note(format!("learns its session s{session} expired: it opens a new one")),
        }
        if self.phase.wants_lock() {
            self.phase = Phase::Acquiring;
            self.zk_next(ctx);
        } else {
            self.zk_connect(ctx);
        }
    }

    /// No answer in time: it closes its session (its node, if the service made one, goes with
    /// it) and starts over with a new one.
    fn zk_reset(&mut self, ctx: &mut Ctx<'_, Lock>, why: &str) {
        self.zk_answered(ctx);
        self.stats.failed_attempts += 1;
        if let Some(session) = self.zk.session.take() {
            ctx.send(self.servers[0], Msg::CloseSession { session });
        }
        ctx.cancel_timer(Timer::Ping);
        self.zk.node = None;
        self.zk.watching = None;
        self.zk.connecting = false;
        ctx.note(format!("{why}: closes its session and starts over"));
        if self.phase.wants_lock() {
            self.phase = Phase::Acquiring;
        }
        self.zk_next(ctx);
    }
}

// ---- the protocol ---------------------------------------------------------------------------

impl Protocol for Lock {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Durable;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        crate::check_durations(&[
            ("ttl_us", params.ttl_us),
            ("work_us", params.work_us),
            ("think_us", params.think_us),
            ("retry_us", params.retry_us),
            ("backoff_base_us", params.backoff_base_us),
            ("backoff_cap_us", params.backoff_cap_us),
            ("request_timeout_us", params.request_timeout_us),
            ("max_wait_us", params.max_wait_us),
            ("session_timeout_us", params.session_timeout_us),
            ("ping_interval_us", params.ping_interval_us),
        ])?;
        if params.variant == Variant::Zookeeper && params.ping_interval_us >= params.session_timeout_us {
            return Err(format!(
                "ping_interval_us ({} µs) must be shorter than session_timeout_us ({} µs), or every session expires between two pings",
                params.ping_interval_us, params.session_timeout_us
            ));
        }
        if params.variant == Variant::Zookeeper {
            caucus_sim::limits::check_rate(
                "ping_interval_us",
                params.ping_interval_us,
                topology.nodes.len(),
                topology,
            )?;
        }
        if params.variant == Variant::Redlock
            && (params.instances < 3 || params.instances > MAX_INSTANCES || params.instances.is_multiple_of(2))
        {
            return Err(format!(
                "instances must be 3, 5 or 7 for Redlock (an odd number, so that a majority is clear), not {}",
                params.instances
            ));
        }
        if params.drift_ppm >= 500_000 {
            return Err(format!("drift_ppm must be below 500000 (half the lease), not {}", params.drift_ppm));
        }
        // At worst every node a client asking every instance at once, each retry or think.
        let asks = topology.nodes.len() * 2 * (params.instances.max(1) as usize + 1);
        caucus_sim::limits::check_rate("retry_us", params.retry_us, asks, topology)?;
        caucus_sim::limits::check_rate("think_us", params.think_us, asks, topology)?;
        let round_trip = 2 * topology.max_one_way_us();
        if params.request_timeout_us <= round_trip {
            return Err(format!(
                "request_timeout_us ({} µs) must be longer than the longest round trip ({round_trip} µs), or every answer from afar comes too late",
                params.request_timeout_us
            ));
        }
        if params.backoff_cap_us < params.backoff_base_us {
            return Err("backoff_cap_us must be at least backoff_base_us".into());
        }
        let wanted = servers_wanted(params);
        if Layout::of(topology, params).is_none() {
            return Err(format!(
                "the topology has {} nodes; this variant needs {wanted} lock service(s), a storage and at least one client ({} nodes)",
                topology.nodes.len(),
                wanted + 2
            ));
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Durable>) -> Self {
        let layout = Layout::of(ctx.topology, ctx.params).expect("validated layout");
        if let Some(instance) = layout.instance_of(ctx.id) {
            let counter = match durable {
                Some(Durable::Server(c)) if ctx.params.variant == Variant::Zookeeper => {
                    ctx.moment("restarts empty: sessions and lock nodes are forgotten, the zxid counter is kept");
                    c
                }
                Some(Durable::Server(c)) => {
                    ctx.moment("restarts empty: the lock it held is forgotten (no persistence)");
                    c
                }
                _ => 0,
            };
            let server = Server {
                instance,
                held: None,
                counter,
                contenders: Vec::new(),
                refusals: 0,
                expiries: 0,
                expired_last: false,
                releases: 0,
                wakeups: 0,
                zk: Zk::default(),
            };
            return Lock::Server(server);
        }
        if ctx.id == layout.storage {
            let storage = match durable {
                Some(Durable::Storage(s)) => s,
                _ => Storage { highest: vec![0; layout.servers.len()], ..Storage::default() },
            };
            return Lock::Storage(storage);
        }
        let stats = match durable {
            Some(Durable::Client(s)) => s,
            _ => ClientStats::default(),
        };
        let mut client = Client {
            phase: Phase::Idle,
            servers: layout.servers,
            storage: layout.storage,
            value: 0,
            grants: Token::default(),
            refusals: 0,
            attempt_at: 0,
            waiting_since: None,
            failures: 0,
            token: Token::default(),
            valid_until: None,
            stats,
            zk: ZkClient::default(),
        };
        client.phase = Phase::Idle;
        if ctx.params.variant == Variant::Zookeeper {
            client.zk_connect(ctx);
        }
        let first = ctx.random_between(0, ctx.params.think_us);
        ctx.set_timer(Timer::Think, first);
        Lock::Client(client)
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Lock::Server(s), Msg::Set { value, ttl_us }) => s.on_set(ctx, from, value, ttl_us),
            (Lock::Server(s), Msg::Del { value }) => s.on_del(ctx, from, value),
            (Lock::Storage(s), Msg::Write { token }) => s.on_write(ctx, from, token),
            (Lock::Client(c), Msg::Granted { value, token }) => c.on_granted(ctx, from, value, token),
            (Lock::Client(c), Msg::Refused { value, .. }) => c.on_refused(ctx, value),
            // A notification only wakes a client that waits for one.
            (Lock::Client(c), Msg::Released) if c.phase == Phase::Waiting => c.attempt(ctx),
            (Lock::Client(c), Msg::WriteAck { accepted }) => c.on_write_ack(ctx, accepted),
            (Lock::Server(s), Msg::Connect) => s.on_connect(ctx, from),
            (Lock::Server(s), Msg::Ping { session, watching, released }) => {
                s.on_ping(ctx, from, session, watching, released)
            }
            (Lock::Server(s), Msg::Create { session }) => s.on_create(ctx, from, session),
            (Lock::Server(s), Msg::GetChildren { session }) => s.on_get_children(ctx, from, session),
            (Lock::Server(s), Msg::Exists { session, seq }) => s.on_exists(ctx, from, session, seq),
            (Lock::Server(s), Msg::Delete { session, seq }) => s.on_zk_delete(ctx, from, session, seq),
            (Lock::Server(s), Msg::CloseSession { session }) => s.on_close_session(ctx, session),
            (Lock::Client(c), Msg::SessionOpened { session }) => c.on_session_opened(ctx, session),
            (Lock::Client(c), Msg::Created { session, seq, czxid }) => c.on_created(ctx, session, seq, czxid),
            (Lock::Client(c), Msg::Children { session, seqs }) => c.on_children(ctx, session, seqs),
            (Lock::Client(c), Msg::Stat { session, seq, exists }) => c.on_stat(ctx, session, seq, exists),
            (Lock::Client(c), Msg::WatchFired { session, seq }) => c.on_watch_fired(ctx, session, seq),
            (Lock::Client(c), Msg::SessionExpired { session }) => c.on_session_expired(ctx, session),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match (self, timer) {
            (Lock::Server(s), Timer::Expire(token)) => s.on_expire(ctx, token),
            (Lock::Server(s), Timer::SessionExpire(session)) => s.on_session_expire(ctx, session),
            (Lock::Client(c), Timer::Ping) => c.on_ping_timer(ctx),
            (Lock::Client(c), Timer::ZkTimeout) if c.zk.pending => c.zk_reset(ctx, "no answer in time"),
            // Timers of a phase the client has left since are stale.
            (Lock::Client(c), Timer::Think) if c.phase == Phase::Idle => c.start_round(ctx),
            (Lock::Client(c), Timer::Retry) if matches!(c.phase, Phase::Sleeping | Phase::Waiting) => c.attempt(ctx),
            (Lock::Client(c), Timer::AttemptTimeout(value)) if c.phase == Phase::Acquiring && c.value == value => {
                c.fail(ctx, "no answer in time")
            }
            (Lock::Client(c), Timer::WorkDone) => c.on_work_done(ctx),
            (Lock::Client(c), Timer::LeaseEnd) => c.on_lease_end(ctx),
            (Lock::Client(c), Timer::WriteTimeout) if c.phase == Phase::Writing => {
                ctx.note("no answer from the storage: it releases and moves on");
                c.release(ctx);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, Request::Acquire: Request) {
        match self {
            Lock::Client(c) if c.phase == Phase::Idle => {
                ctx.cancel_timer(Timer::Think);
                ctx.note("asked to take the lock now");
                c.start_round(ctx);
            }
            Lock::Client(_) => ctx.note("already busy with the lock; the request changes nothing"),
            _ => ctx.note("only clients take the lock; the request changes nothing"),
        }
    }

    fn on_resume(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Lock::Client(c) = self {
            if c.phase.holds() && ctx.params.variant == Variant::Zookeeper {
                let node = c.zk.node.map_or_else(|| "its lock node".to_string(), |(seq, _)| znode_name(seq));
                ctx.moment(format!(
                    "wakes from its pause and still believes it holds lock {node} (czxid {})",
                    c.token.short().trim_start_matches('t')
                ));
            } else if c.phase.holds() {
                let label = c.token.label(c.servers.len());
                ctx.moment(format!("wakes from its pause and still believes it holds lock {label}"));
            }
        }
    }

    fn durable(&self) -> Durable {
        match self {
            Lock::Server(s) => Durable::Server(s.counter),
            Lock::Storage(s) => Durable::Storage(s.clone()),
            Lock::Client(c) => Durable::Client(c.stats.clone()),
        }
    }

    fn roles() -> &'static [caucus_sim::Role] {
        use caucus_sim::Role;
        const ROLES: &[caucus_sim::Role] = &[
            Role::new("holder", "the holder"),
            Role::new("working", "the holder, before its write"),
            Role::with_arg(
                "granter",
                "instance {} of the holder's lock",
                "1, 2, ... for the first, second, ... instance that granted it",
            ),
        ];
        ROLES
    }

    fn has_role(&self, role: &str, _arg: &str) -> bool {
        match (self, role) {
            (Lock::Client(c), "holder") => c.phase.holds(),
            (Lock::Client(c), "working") => c.phase == Phase::Working,
            _ => false,
        }
    }

    /// `granter:k`: the `k`-th lock service, by id, whose key is held by a client that believes
    /// it holds the lock (the lowest such client).
    fn with_role(view: &View<'_, Self>, role: &str, arg: &str) -> Vec<NodeId> {
        if role != "granter" {
            return view.up().filter(|(_, p)| p.has_role(role, arg)).map(|(i, _)| i).collect();
        }
        let Some(k) = arg.parse::<usize>().ok().filter(|&k| k > 0) else { return Vec::new() };
        let Some((holder, _)) = view.up().find(|(_, p)| p.has_role("holder", "")) else { return Vec::new() };
        let granters: Vec<NodeId> = view
            .up()
            .filter(|(_, p)| matches!(p, Lock::Server(s) if s.held.as_ref().is_some_and(|g| g.client == holder)))
            .map(|(i, _)| i)
            .collect();
        granters.get(k - 1).copied().into_iter().collect()
    }

    fn role(&self) -> String {
        match self {
            Lock::Server(s) if s.held.is_some() || !s.zk.nodes.is_empty() => "held",
            Lock::Server(_) => "free",
            Lock::Storage(_) => "storage",
            Lock::Client(c) => c.phase_word(),
        }
        .into()
    }

    fn badge(&self) -> String {
        match self {
            Lock::Server(s) if !s.zk.nodes.is_empty() || !s.zk.sessions.is_empty() => match s.zk.nodes.first() {
                // Short enough for the map: `#3 → n6 · 3 wait` (the panel has the full names).
                Some(n) => format!("#{} → n{} · {} wait", n.seq, n.owner, s.zk.nodes.len() - 1),
                None => format!("/lock empty · zxid {}", s.counter),
            },
            Lock::Server(s) => match &s.held {
                Some(g) => format!("t{} → n{}", g.token, g.client),
                None => format!("lock · t{}", s.counter),
            },
            Lock::Storage(s) => match s.stale_accepted {
                0 => format!("{} ok · {} rej", s.accepted, s.rejected),
                n => format!("{n} STALE ok"),
            },
            Lock::Client(c) if c.phase.holds() => c.token.label(c.servers.len()),
            Lock::Client(c) => format!("{} acq", c.stats.acquisitions),
        }
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::Expire(_) => Some("lease at the lock service"),
            Timer::LeaseEnd => Some("lease by the holder's clock"),
            Timer::Retry => Some("sleeping before a retry"),
            _ => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Set { ttl_us: Some(ttl), .. } => format!("SET NX PX{}", ttl / MS),
            Msg::Set { ttl_us: None, .. } => "SET NX".into(),
            Msg::Granted { token, .. } => format!("ok t{token}"),
            Msg::Refused { holder, .. } => format!("nil (n{holder})"),
            Msg::Del { .. } => "DEL if mine".into(),
            Msg::Released => "released".into(),
            Msg::Write { token } => format!("WRITE {}", token.short()),
            Msg::WriteAck { accepted: true } => "write ok".into(),
            Msg::WriteAck { accepted: false } => "write rejected".into(),
            Msg::Connect => "connect".into(),
            Msg::SessionOpened { session } => format!("session s{session}"),
            Msg::Ping { .. } => "ping".into(),
            Msg::SessionExpired { session } => format!("s{session} expired"),
            Msg::CloseSession { session } => format!("close s{session}"),
            Msg::Create { .. } => "create -e -s /lock/lock-".into(),
            Msg::Created { seq, czxid, .. } => format!("{} czxid {czxid}", znode_name(*seq)),
            Msg::GetChildren { .. } => "ls /lock".into(),
            Msg::Children { seqs, .. } => format!("{} children", seqs.len()),
            Msg::Exists { seq, .. } => format!("exists {} watch", znode_name(*seq)),
            Msg::Stat { exists: true, .. } => "exists: yes".into(),
            Msg::Stat { exists: false, .. } => "exists: no".into(),
            Msg::Delete { seq, .. } => format!("delete {}", znode_name(*seq)),
            Msg::WatchFired { seq, .. } => format!("deleted {}", znode_name(*seq)),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "No write from a stale lock",
                kind: PropertyKind::Safety,
                description: "The storage never accepts a write from a client whose lease had expired once a newer holder has written: every accepted write carries a token no older than those accepted before. Fencing guarantees it; without fencing a pause or a clock jump breaks it.",
                check: no_stale_write,
            },
            Property {
                name: "Every waiting client eventually acquires",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, no running client waits longer than max_wait_us for the lock. Without expiry, a holder that crashed never releases and everyone waits forever (a deadlock).",
                check: no_one_waits_forever,
            },
        ]
    }
}

impl Client {
    pub fn phase_word(&self) -> &'static str {
        match self.phase {
            Phase::Idle => "idle",
            Phase::Acquiring => "acquiring",
            Phase::Sleeping => "sleeping",
            Phase::Waiting => "waiting",
            Phase::Working => "holding",
            Phase::Writing => "writing",
        }
    }
}

// ---- properties -----------------------------------------------------------------------------

fn layout_of(view: &View<'_, Lock>) -> Layout {
    Layout::of(view.topology(), view.params()).expect("validated layout")
}

fn no_stale_write(view: &View<'_, Lock>) -> Result<(), Failure> {
    let layout = layout_of(view);
    let Some(Lock::Storage(s)) = view.state(layout.storage) else { return Ok(()) };
    let Some((entry, newer)) = &s.first_stale else { return Ok(()) };
    let label = entry.token.label(layout.servers.len());
    Err(Failure::new(format!(
        "The storage accepted {}'s write {label} after it had accepted a write from a newer lock ({}'s): {} still believed it held the lock after its lease had passed on, and both wrote ({} stale write{} accepted).",
        view.name(entry.client),
        view.name(*newer),
        view.name(entry.client),
        s.stale_accepted,
        if s.stale_accepted == 1 { "" } else { "s" }
    ))
    .nodes([entry.client, *newer, layout.storage]))
}

fn no_one_waits_forever(view: &View<'_, Lock>) -> Result<(), Failure> {
    let layout = layout_of(view);
    let waiting: Vec<NodeId> = wanting(view, &layout).filter(|&c| view.status(c) == Status::Up).collect();
    let Some(&first) = waiting.first() else { return Ok(()) };
    // A key without expiry that its holder no longer knows of can never be freed: a deadlock,
    // whatever the time waited.
    for &s in &layout.servers {
        let Some(Lock::Server(Server { held: Some(g), .. })) = view.state(s) else { continue };
        if g.expires_at.is_some() || client_holds(view, g.client, g.value) || value_in_flight(view, g.value) {
            continue;
        }
        return Err(Failure::new(format!(
            "{} still holds the key at {} but no longer knows it ({}), and the key has no expiry, so nobody can ever take it: a deadlock. {} waiting client{} will wait forever.",
            view.name(g.client),
            view.name(s),
            if view.status(g.client) == Status::Up { "it restarted and forgot" } else { view.status(g.client).word() },
            waiting.len(),
            if waiting.len() == 1 { "" } else { "s" }
        ))
        .nodes([g.client, s, first]));
    }
    let max = view.params().max_wait_us;
    for c in waiting {
        let Some(Lock::Client(client)) = view.state(c) else { continue };
        let Some(since) = client.waiting_since else { continue };
        let waited = view.clock(c).local(view.now()).saturating_sub(since);
        if waited > max {
            return Err(Failure::new(format!(
                "{} has waited {} for the lock (more than {}): {}",
                view.name(c),
                ms(waited),
                ms(max),
                if view.params().variant == Variant::Zookeeper {
                    "its session or its requests keep failing, so it never reaches the head of the queue."
                } else {
                    "Redis keeps no queue, and it keeps losing the race to clients that ask at the right moment."
                }
            ))
            .nodes([c]));
        }
    }
    Ok(())
}

/// The checker's form of the liveness property. "Every waiting client eventually acquires" reads
/// the clock (`max_wait_us`), and the checker has none: there a wait lasts no time, so the part
/// that measures it would never fail, and the deadlock it names is only one way to wait forever.
/// Asked as the checker asks liveness (from every reachable state some state where it holds can
/// still be reached), "no running client wants the lock" says the same without a clock: whatever
/// happened, some order of events still serves every client that waits. A key without expiry
/// whose holder crashed, or whose grant was lost, leaves no such order; a lease's expiry does.
#[cfg(feature = "explore")]
pub const CAN_ACQUIRE: Property<Lock> = Property {
    name: "Every waiting client can still acquire",
    kind: PropertyKind::Liveness,
    description: "From every state some order of events lets every running client that wants the lock get it (the untimed form of “Every waiting client eventually acquires”, whose max_wait_us needs a clock).",
    check: nobody_waits,
};

#[cfg(feature = "explore")]
fn nobody_waits(view: &View<'_, Lock>) -> Result<(), Failure> {
    let layout = layout_of(view);
    let waiting: Vec<NodeId> = wanting(view, &layout).collect();
    if waiting.is_empty() {
        return Ok(());
    }
    let holders: Vec<String> = layout
        .servers
        .iter()
        .filter_map(|&s| match view.state(s) {
            Some(Lock::Server(Server { held: Some(g), .. })) => {
                Some(format!("{} holds the key at {}", view.name(g.client), view.name(s)))
            }
            Some(_) => None,
            None => Some(format!("{} is {}", view.name(s), view.status(s).word())),
        })
        .collect();
    let names: Vec<String> = waiting.iter().map(|&c| view.name(c).to_string()).collect();
    Err(Failure::new(format!(
        "{} {} for the lock{}.",
        names.join(", "),
        if waiting.len() == 1 { "waits" } else { "wait" },
        if holders.is_empty() { String::new() } else { format!(" ({})", holders.join("; ")) }
    ))
    .nodes(waiting))
}

/// The clients whose state says they want the lock (running or not: a crashed one keeps none).
fn wanting<'a>(view: &'a View<'_, Lock>, layout: &'a Layout) -> impl Iterator<Item = NodeId> + 'a {
    layout.clients.iter().copied().filter(|&c| matches!(view.state(c), Some(Lock::Client(cl)) if cl.phase.wants_lock()))
}

/// Whether the client still knows of this grant (it holds it, or is still collecting grants).
fn client_holds(view: &View<'_, Lock>, node: NodeId, value: u64) -> bool {
    matches!(view.state(node), Some(Lock::Client(c)) if c.value == value && (c.phase.holds() || c.phase == Phase::Acquiring))
}

/// Whether a message about this value is on its way (a grant or a release not yet delivered).
fn value_in_flight(view: &View<'_, Lock>, value: u64) -> bool {
    view.in_flight().any(|m| match &m.msg {
        Msg::Set { value: v, .. }
        | Msg::Granted { value: v, .. }
        | Msg::Refused { value: v, .. }
        | Msg::Del { value: v } => *v == value,
        _ => false,
    })
}

// ---- scenarios ------------------------------------------------------------------------------

/// Nine nodes, three per region: the lock service n0 (us-east-1), the storage n3 (eu-west-1), and
/// seven clients: n1 n2 (us-east-1), n4 n5 (eu-west-1), n6 n7 n8 (ap-southeast-1).
pub fn single_topology() -> TopologySpec {
    TopologySpec::preset("three-regions", 3)
}

/// Twelve nodes, four per region: Redlock instances n0 n4 n8 n1 n5 (us-east-1 twice, eu-west-1
/// twice, ap-southeast-1 once), the storage n9 (ap-southeast-1), six clients n2 n3 n6 n7 n10 n11.
pub fn redlock_topology() -> TopologySpec {
    TopologySpec::preset("three-regions", 4)
}

fn with(mut s: Scenario, params: serde_json::Value) -> Scenario {
    s.protocol.params = params;
    s
}

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at_new_role, at_role, scenario};
    use serde_json::json;
    let lease = json!({"variant": "lease"});
    let fencing = json!({"variant": "fencing"});
    let setnx = json!({"variant": "setnx"});
    let redlock = json!({"variant": "redlock"});
    let zookeeper = json!({"variant": "zookeeper"});
    let one = |name: &str, text: &str, params: &serde_json::Value, script| {
        with(scenario(name, text, NAME, single_topology(), script), params.clone())
    };
    let five =
        |name: &str, text: &str, script| with(scenario(name, text, NAME, redlock_topology(), script), redlock.clone());
    vec![
        one(
            "lock-lease",
            "Seven clients in three regions take a one-second lease on one Redis key in us-east-1 (SET NX PX1000), work 200 ms, write to the storage in eu-west-1 and release. Nobody fails: every write is accepted in token order.",
            &lease,
            vec![],
        ),
        one(
            "lock-lease-gc-pause",
            "The first client to take the lease after 4 s (n2 with t7 on seed 1) stops for a 2 s GC pause before writing. Its lease expires at the service, other clients (n8 with t8 and n1 with t9) take the lock and write; the paused client wakes, still believes it holds the lock and writes with its old token: the storage accepts it, and the safety property catches the stale write.",
            &lease,
            vec![at_new_role(4.0, "working", Input::Pause { node: 0, duration_us: 2 * SEC })],
        ),
        one(
            "lock-lease-clock-skew",
            "The clock of the first client to take the lease after 4 s (n2 with t7 on seed 1) jumps 2 s back just after it takes it: by its clock its work and its lease last 2 s longer. The service's lease ends on time, other clients take the lock and write; the skewed client then writes with its old token and the storage accepts it.",
            &lease,
            vec![at_new_role(4.0, "working", Input::Skew { node: 0, by_us: -2_000_000 })],
        ),
        one(
            "lock-fencing",
            "The lease with fencing tokens: the service's grant count goes with every write and the storage checks it. Nobody fails: every write is accepted.",
            &fencing,
            vec![],
        ),
        one(
            "lock-fencing-gc-pause",
            "The same 2 s GC pause of the first holder after 4 s as in lock-lease-gc-pause (n2 with t7 on seed 1), with fencing: other clients take the lock and write with newer tokens, so when the paused client wakes and writes with its old token the storage rejects it. Both believed they held the lock; only one could write.",
            &fencing,
            vec![at_new_role(4.0, "working", Input::Pause { node: 0, duration_us: 2 * SEC })],
        ),
        one(
            "lock-setnx",
            "SET NX and DEL without expiry, retrying every second: with no faults it works, and clients wait about a second whenever the lock is taken.",
            &setnx,
            vec![],
        ),
        one(
            "lock-setnx-crash",
            "The holder of the lock at 4.5 s (n2 on seed 1; or the next one to take it) crashes while holding a lock without expiry: nobody ever releases it, every other client retries every second for good, and the liveness property reports the deadlock.",
            &setnx,
            vec![at_role(4.5, "holder", Input::Crash { node: 0 })],
        ),
        one(
            "lock-backoff",
            "The lease with exponential backoff and full jitter (50 ms doubling up to 2 s) instead of a fixed one-second sleep: clients retry sooner, so waits are shorter, but they send more wasted requests, and a client that keeps losing backs off longer and longer.",
            &json!({"variant": "lease", "retry": "backoff"}),
            vec![],
        ),
        one(
            "lock-notify",
            "The lease with release notifications: turned-away clients wait for the service to tell them the key is free, so the lock is idle less and waits are shortest; but every release wakes all of them at once (a thundering herd) and the clients nearest the service, in us-east-1, win most often.",
            &json!({"variant": "lease", "retry": "notify"}),
            vec![],
        ),
        five(
            "lock-redlock",
            "Redlock: six clients ask five independent lock services in three regions and hold the lock when three grant it in time, with a validity cut by the time it took and a drift allowance. Nobody fails: writes arrive in order.",
            vec![],
        ),
        five(
            "lock-redlock-gc-pause",
            "Redlock and a 3 s GC pause of the first client to take the lock on a majority after 3.5 s (n7 on seed 1), just after it took it: the majority does not help, its leases expire on every instance, other clients (n2 and n11) take the lock and write, and the paused client wakes and writes with its stale lock. Caught by the safety property.",
            vec![at_new_role(3.5, "working", Input::Pause { node: 0, duration_us: 3 * SEC })],
        ),
        with(
            scenario(
                "lock-redlock-instance-clock-jump",
                "Redlock with two clients, n2 (us-east-1) and n5 (eu-west-1), that ask again as soon as a key is released. From 3.9 s, as soon as one takes the lock, the clocks of the first three instances that granted it jump 1 s ahead: they expire its lease at once and notify the other client, which takes a majority while the first still holds by its clock. Two holders at once (the panel's overlap warning); the first holder's write still reaches the storage first, so nothing stale is accepted: luck, not safety.",
                NAME,
                TopologySpec::placed("three-regions", &[3, 3, 2]),
                vec![
                    at_new_role(3.9, "granter:1", Input::Skew { node: 0, by_us: 1_000_000 }),
                    at_new_role(3.9, "granter:2", Input::Skew { node: 0, by_us: 1_000_000 }),
                    at_new_role(3.9, "granter:3", Input::Skew { node: 0, by_us: 1_000_000 }),
                ],
            ),
            // A short think time keeps the other client waiting for the lock whenever one holds it.
            json!({"variant": "redlock", "retry": "notify", "think_us": 20_000}),
        ),
        one(
            "lock-zookeeper",
            "ZooKeeper's lock recipe: each of seven clients keeps a session alive with pings, creates an ephemeral sequential node under /lock and holds the lock when its node is the lowest; otherwise it watches only its immediate predecessor. The lock passes in sequence order, each release wakes exactly one waiter (no herd), no request is wasted, and every write is accepted.",
            &zookeeper,
            vec![],
        ),
        one(
            "lock-zookeeper-gc-pause",
            "The first client to hold the ZooKeeper lock after 4 s (n7 on seed 1) stops for a 3 s GC pause before writing. It stops pinging, so after the 1 s session timeout the service expires its session and deletes its lock node; the next client takes the lock and writes. The paused client wakes, still believes it holds the lock and writes: the storage accepts it, and the safety property catches the stale write. A session timeout is a lease.",
            &zookeeper,
            vec![at_new_role(4.0, "working", Input::Pause { node: 0, duration_us: 3 * SEC })],
        ),
        one(
            "lock-zookeeper-fenced-gc-pause",
            "The same 3 s GC pause of the first ZooKeeper lock holder after 4 s as in lock-zookeeper-gc-pause, with the lock node's czxid (the zxid of the transaction that created it) as a fencing token: the next holder's node is younger, so its czxid is larger, and when the paused client wakes and writes with its old czxid the storage rejects it.",
            &json!({"variant": "zookeeper", "zxid_fencing": true}),
            vec![at_new_role(4.0, "working", Input::Pause { node: 0, duration_us: 3 * SEC })],
        ),
        five(
            "lock-redlock-clock-jump",
            "Redlock and a clock jump: the clock of the first client to take the lock after 3.5 s (n7 on seed 1) jumps 3 s back just after it took it, so by its clock its work and its validity last 3 s longer. Its leases expire on every instance, other clients take the lock and write, and its late write is accepted after theirs.",
            vec![at_new_role(3.5, "working", Input::Skew { node: 0, by_us: -3_000_000 })],
        ),
    ]
}

// ---- comparing variants ---------------------------------------------------------------------

/// The scenarios the comparison table runs, good runs first, then the same fault under each
/// variant.
pub const COMPARED: &[&str] = &[
    "lock-setnx",
    "lock-lease",
    "lock-fencing",
    "lock-redlock",
    "lock-backoff",
    "lock-notify",
    "lock-zookeeper",
    "lock-setnx-crash",
    "lock-lease-gc-pause",
    "lock-fencing-gc-pause",
    "lock-redlock-gc-pause",
    "lock-zookeeper-gc-pause",
    "lock-zookeeper-fenced-gc-pause",
];

/// One scenario's figures after an untraced run: what the comparison table shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub scenario: String,
    pub variant: Variant,
    pub retry: Retry,
    pub acquisitions: u64,
    /// Attempts turned away or unanswered.
    pub failed_attempts: u64,
    pub writes_accepted: u64,
    pub writes_rejected: u64,
    /// Writes the storage accepted from a stale lock: safety violations.
    pub stale_accepted: u64,
    /// Mean time from wanting the lock to holding it.
    pub mean_wait_us: Micros,
    /// Clients still waiting longer than `max_wait_us` at the end (the liveness check).
    pub starving: Vec<NodeId>,
    /// Acquisitions per client, in client order.
    pub per_client: Vec<u64>,
    /// Releases at the (first) lock service, and the clients they woke (notifications sent,
    /// watches fired): a herd when there are more wake-ups than releases.
    pub releases: u64,
    pub wakeups: u64,
    pub zxid_fencing: bool,
}

impl Summary {
    /// Wake-ups per release in tenths (12 for 1.2), or `None` when nobody is woken by a
    /// release (the clients poll).
    pub fn wakeups_per_release_tenths(&self) -> Option<u64> {
        if self.retry != Retry::Notify && self.variant != Variant::Zookeeper {
            return None;
        }
        Some((self.wakeups * 10).checked_div(self.releases).unwrap_or(0))
    }

    /// Jain's fairness index of the acquisitions per client, in percent: 100 when every client
    /// got the lock equally often, 100/n when one client got it every time.
    pub fn fairness_percent(&self) -> u64 {
        let sum: u64 = self.per_client.iter().sum();
        let squares: u64 = self.per_client.iter().map(|a| a * a).sum();
        let n = self.per_client.len() as u64;
        (sum * sum * 100).checked_div(n * squares).unwrap_or(100)
    }
}

/// Runs `scenario` with `seed` (its script included) to `until_us` without a trace and sums up.
pub fn summarize(scenario: &Scenario, seed: u64, until_us: Micros) -> Result<Summary, caucus_sim::ScenarioError> {
    use caucus_sim::trace::Trace;
    let topology = scenario.validate()?;
    let params = caucus_sim::run::params_of::<Lock>(scenario, &topology)?;
    let mut sim: caucus_sim::Sim<Lock> = caucus_sim::Sim::new(topology, params.clone(), seed, scenario.script.clone());
    // A muted trace, not `()`: the browser reuses the simulator loop it has for traced runs.
    let mut quiet = Trace::<Lock> { muted: true, ..Default::default() };
    while sim
        .step_until(until_us, &mut quiet)
        .map_err(|e| caucus_sim::ScenarioError::new("", format!("the run stopped: {e}")))?
        .is_some()
    {}
    let layout = Layout::of(sim.topology(), &params).expect("validated layout");
    let mut summary = Summary {
        scenario: scenario.name.clone(),
        variant: params.variant,
        retry: params.retry,
        acquisitions: 0,
        failed_attempts: 0,
        writes_accepted: 0,
        writes_rejected: 0,
        stale_accepted: 0,
        mean_wait_us: 0,
        starving: Vec::new(),
        per_client: Vec::new(),
        releases: 0,
        wakeups: 0,
        zxid_fencing: params.zxid_fencing,
    };
    if let Some(Lock::Server(s)) = sim.state(layout.servers[0]) {
        summary.releases = s.releases;
        summary.wakeups = s.wakeups;
    }
    let mut waited = 0;
    for &c in &layout.clients {
        let stats = match (sim.state(c), sim.durable(c)) {
            (Some(Lock::Client(client)), _) => client.stats.clone(),
            (None, Some(Durable::Client(stats))) => stats,
            _ => continue,
        };
        summary.acquisitions += stats.acquisitions;
        summary.per_client.push(stats.acquisitions);
        summary.failed_attempts += stats.failed_attempts;
        waited += stats.total_wait_us;
    }
    summary.mean_wait_us = waited.checked_div(summary.acquisitions).unwrap_or(0);
    let storage = match (sim.state(layout.storage), sim.durable(layout.storage)) {
        (Some(Lock::Storage(s)), _) => Some(s.clone()),
        (None, Some(Durable::Storage(s))) => Some(s),
        _ => None,
    };
    if let Some(s) = storage {
        summary.writes_accepted = s.accepted;
        summary.writes_rejected = s.rejected;
        summary.stale_accepted = s.stale_accepted;
    }
    for (_, failure) in sim.check(PropertyKind::Liveness) {
        summary.starving.extend(failure.nodes.first());
    }
    Ok(summary)
}
