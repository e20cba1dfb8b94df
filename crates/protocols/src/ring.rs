#![doc = include_str!("../essays/ring.md")]

use caucus_sim::{
    Ctx, DcId, Endpoint, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Status, Topology,
    TopologySpec, View, MS, SEC,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha1::{Digest, Sha1};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

pub const NAME: &str = "ring";

/// Virtual nodes per node at most.
pub const MAX_VNODES: u32 = 256;
/// Keys and values are short strings in this teaching store.
pub const MAX_KEY_BYTES: usize = 64;
/// Acknowledged writes a node remembers for the read property.
const ACKS_KEPT: usize = 32;
/// Marks the request number of a hinted copy handed back (client requests never set this bit).
const HANDBACK: u64 = 1 << 63;
/// Completed requests a node remembers for the view (and reads for the read property).
const HISTORY: usize = 16;

// ---- the placement math ---------------------------------------------------------------------

/// The position of some bytes on the ring: the first 8 bytes of their SHA-1, big-endian.
pub fn position(bytes: &[u8]) -> u64 {
    let digest = Sha1::digest(bytes);
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The position of a key: SHA-1 of its bytes.
pub fn key_position(key: &str) -> u64 {
    position(key.as_bytes())
}

/// The position of node `node`'s virtual node `vnode`: SHA-1 of `n{node}#{vnode}`.
pub fn token_position(node: NodeId, vnode: u32) -> u64 {
    position(format!("n{node}#{vnode}").as_bytes())
}

/// The ring of one membership: every member's tokens, sorted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HashRing {
    vnodes: u32,
    /// `(position, node)`, sorted.
    tokens: Vec<(u64, NodeId)>,
    /// Members and their datacenters, by node id (a short sorted list: no map needed).
    members: Vec<(NodeId, DcId)>,
}

impl HashRing {
    /// An empty ring whose members will each get `vnodes` tokens (at least 1).
    pub fn new(vnodes: u32) -> HashRing {
        HashRing { vnodes: vnodes.max(1), tokens: Vec::new(), members: Vec::new() }
    }

    /// A ring of `members` (node, datacenter).
    pub fn with_members(vnodes: u32, members: impl IntoIterator<Item = (NodeId, DcId)>) -> HashRing {
        let mut ring = HashRing::new(vnodes);
        for (node, dc) in members {
            if ring.insert_member(node, dc) {
                let vnodes = ring.vnodes;
                ring.tokens.extend((0..vnodes).map(|v| (token_position(node, v), node)));
            }
        }
        ring.tokens.sort_unstable();
        ring
    }

    pub fn vnodes(&self) -> u32 {
        self.vnodes
    }
    pub fn tokens(&self) -> &[(u64, NodeId)] {
        &self.tokens
    }
    pub fn members(&self) -> impl Iterator<Item = (NodeId, DcId)> + '_ {
        self.members.iter().copied()
    }
    pub fn is_member(&self, node: NodeId) -> bool {
        self.dc_of(node).is_some()
    }
    pub fn len(&self) -> usize {
        self.members.len()
    }
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    pub fn dc_of(&self, node: NodeId) -> Option<DcId> {
        let i = self.members.binary_search_by_key(&node, |m| m.0).ok()?;
        Some(self.members[i].1)
    }

    /// Adds a member with its tokens; a member already present is left as it is.
    pub fn add(&mut self, node: NodeId, dc: DcId) {
        if self.insert_member(node, dc) {
            self.tokens.extend((0..self.vnodes).map(|v| (token_position(node, v), node)));
            self.tokens.sort_unstable();
        }
    }

    /// Removes a member and its tokens.
    pub fn remove(&mut self, node: NodeId) {
        if let Ok(i) = self.members.binary_search_by_key(&node, |m| m.0) {
            self.members.remove(i);
            self.tokens.retain(|&(_, n)| n != node);
        }
    }

    /// Adds a member in id order; false if it was one already.
    fn insert_member(&mut self, node: NodeId, dc: DcId) -> bool {
        match self.members.binary_search_by_key(&node, |m| m.0) {
            Ok(_) => false,
            Err(i) => {
                self.members.insert(i, (node, dc));
                true
            }
        }
    }

    /// The index of the first token at or after `pos`, wrapping to 0.
    fn first_token(&self, pos: u64) -> usize {
        let i = self.tokens.partition_point(|&(p, _)| p < pos);
        if i == self.tokens.len() {
            0
        } else {
            i
        }
    }

    /// The node owning `pos` (the first token clockwise), skipping nodes in `down`.
    pub fn owner(&self, pos: u64, down: &BTreeSet<NodeId>) -> Option<NodeId> {
        self.preference_list(pos, 1, false, down).first().copied()
    }

    /// The first `r` distinct nodes clockwise from `pos`, skipping `down` (step 3 of the essay).
    /// Shorter only when fewer than `r` members are up.
    pub fn preference_list(&self, pos: u64, r: usize, dc_aware: bool, down: &BTreeSet<NodeId>) -> Vec<NodeId> {
        let mut chosen = Vec::new();
        self.preference_into(pos, r, dc_aware, down, self.census(down), &mut chosen);
        chosen
    }

    /// How many members are up, and in how many datacenters: what a walk needs to know to stop.
    fn census(&self, down: &BTreeSet<NodeId>) -> (usize, usize) {
        let up: Vec<DcId> = self.members().filter(|(n, _)| !down.contains(n)).map(|(_, d)| d).collect();
        (up.len(), distinct(up).len())
    }

    /// [`HashRing::preference_list`] into `chosen`, with the census computed once for many keys.
    fn preference_into(
        &self,
        pos: u64,
        r: usize,
        dc_aware: bool,
        down: &BTreeSet<NodeId>,
        (up, dcs): (usize, usize),
        chosen: &mut Vec<NodeId>,
    ) {
        chosen.clear();
        let want = r.min(up);
        if want == 0 || self.tokens.is_empty() {
            return;
        }
        // While the list lacks datacenters, nodes of datacenters already in it wait here.
        let mut skipped: Vec<NodeId> = Vec::new();
        let mut used_dcs: Vec<DcId> = Vec::new();
        let start = self.first_token(pos);
        let n = self.tokens.len();
        for i in 0..n {
            if chosen.len() == want {
                break;
            }
            let node = self.tokens[(start + i) % n].1;
            if chosen.contains(&node) || skipped.contains(&node) || down.contains(&node) {
                continue;
            }
            if dc_aware && used_dcs.len() < dcs {
                let dc = self.dc_of(node).expect("every token's node is a member");
                if used_dcs.contains(&dc) {
                    skipped.push(node);
                    continue;
                }
                used_dcs.push(dc);
                chosen.push(node);
                if used_dcs.len() == dcs {
                    // Every datacenter is in: the skipped nodes come first, in ring order.
                    let room = want - chosen.len();
                    chosen.extend(skipped.drain(..).take(room));
                }
                continue;
            }
            chosen.push(node);
        }
    }

    /// The fraction of the ring (in millionths) each member owns as primary: the arcs ending at
    /// its tokens.
    pub fn ownership_ppm(&self) -> BTreeMap<NodeId, u64> {
        let mut share: BTreeMap<NodeId, u128> = self.members.iter().map(|&(n, _)| (n, 0)).collect();
        let n = self.tokens.len();
        for i in 0..n {
            let (p, node) = self.tokens[i];
            let prev = self.tokens[(i + n - 1) % n].0;
            let arc = if n == 1 { 1u128 << 64 } else { p.wrapping_sub(prev) as u128 };
            *share.entry(node).or_default() += arc;
        }
        share.into_iter().map(|(node, arc)| (node, ((arc * 1_000_000) >> 64) as u64)).collect()
    }
}

/// The distinct items, in their first order (lists here hold a handful: no sort needed).
fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The naive placement: the `r` members from `hash % N` on, in id order. What tutorials show,
/// and what reshuffles almost every key when `N` changes.
pub fn mod_n_list(pos: u64, members: &[NodeId], r: usize) -> Vec<NodeId> {
    if members.is_empty() {
        return Vec::new();
    }
    let n = members.len();
    let first = (pos % n as u64) as usize;
    (0..r.min(n)).map(|i| members[(first + i) % n]).collect()
}

/// Where placement puts keys: the ring (consistent hashing) or `hash % N`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    #[default]
    Ring,
    ModN,
}

/// The owners of many keys at once (`r` slots per key; [`NO_NODE`] fills a short list).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Assignment {
    pub r: usize,
    pub owners: Vec<NodeId>,
}

/// Fills the slots of a preference list shorter than `r`.
pub const NO_NODE: NodeId = NodeId::MAX;

impl Assignment {
    /// Places every key position with the ring, or with `hash % N` over the ring's members.
    pub fn place(
        ring: &HashRing,
        keys: &[u64],
        r: usize,
        dc_aware: bool,
        down: &BTreeSet<NodeId>,
        placement: Placement,
    ) -> Assignment {
        let r = r.max(1);
        let live: Vec<NodeId> = ring.members().map(|(n, _)| n).filter(|n| !down.contains(n)).collect();
        let mut owners = Vec::with_capacity(keys.len() * r);
        let census = ring.census(down);
        let mut list = Vec::with_capacity(r);
        for &pos in keys {
            match placement {
                Placement::Ring => ring.preference_into(pos, r, dc_aware, down, census, &mut list),
                Placement::ModN => list = mod_n_list(pos, &live, r),
            }
            owners.extend_from_slice(&list);
            owners.extend(std::iter::repeat_n(NO_NODE, r - list.len()));
        }
        Assignment { r, owners }
    }
    pub fn keys(&self) -> usize {
        self.owners.len().checked_div(self.r).unwrap_or(0)
    }
    /// The owners of key `i`, primary first.
    pub fn of(&self, i: usize) -> &[NodeId] {
        let list = &self.owners[i * self.r..(i + 1) * self.r];
        let len = list.iter().position(|&n| n == NO_NODE).unwrap_or(list.len());
        &list[..len]
    }
    pub fn primary(&self, i: usize) -> Option<NodeId> {
        self.of(i).first().copied()
    }
    /// Keys per node as primary, for the members given.
    pub fn load(&self, members: impl IntoIterator<Item = NodeId>) -> Load {
        let mut counts: Vec<(NodeId, u32)> = members.into_iter().map(|n| (n, 0)).collect();
        for i in 0..self.keys() {
            let Some(p) = self.primary(i) else { continue };
            match counts.iter_mut().find(|(n, _)| *n == p) {
                Some((_, c)) => *c += 1,
                None => counts.push((p, 1)),
            }
        }
        Load::of(counts)
    }
}

/// Which keys changed owners between two assignments of the same keys.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Movement {
    pub keys: usize,
    /// Keys whose primary owner changed.
    pub primary_moved: usize,
    /// Keys whose set of owners changed (some replica must be copied).
    pub replicas_moved: usize,
    /// Copies to make: (key index, node that must now hold it).
    pub copies: Vec<(usize, NodeId)>,
}

impl Movement {
    pub fn between(before: &Assignment, after: &Assignment) -> Movement {
        assert_eq!(before.keys(), after.keys(), "movement between assignments of different keys");
        let mut m = Movement { keys: before.keys(), ..Movement::default() };
        for i in 0..m.keys {
            let (old, new) = (before.of(i), after.of(i));
            if old.first() != new.first() {
                m.primary_moved += 1;
            }
            let gained: Vec<NodeId> = new.iter().copied().filter(|n| !old.contains(n)).collect();
            if !gained.is_empty() {
                m.replicas_moved += 1;
            }
            m.copies.extend(gained.into_iter().map(|n| (i, n)));
        }
        m
    }
    /// The fraction of keys whose primary moved, in parts per million.
    pub fn primary_ppm(&self) -> u64 {
        (self.primary_moved as u64 * 1_000_000).checked_div(self.keys as u64).unwrap_or(0)
    }
}

/// Keys per node and how even they are.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Load {
    pub per_node: Vec<(NodeId, u32)>,
    pub max: u32,
    pub min: u32,
    pub mean: f64,
    /// Population standard deviation of keys per node.
    pub std_dev: f64,
}

impl Load {
    pub fn of(per_node: Vec<(NodeId, u32)>) -> Load {
        if per_node.is_empty() {
            return Load::default();
        }
        let n = per_node.len() as f64;
        let total: u64 = per_node.iter().map(|&(_, c)| c as u64).sum();
        let mean = total as f64 / n;
        let var = per_node.iter().map(|&(_, c)| (c as f64 - mean) * (c as f64 - mean)).sum::<f64>() / n;
        Load {
            max: per_node.iter().map(|&(_, c)| c).max().unwrap_or(0),
            min: per_node.iter().map(|&(_, c)| c).min().unwrap_or(0),
            mean,
            std_dev: var.sqrt(),
            per_node,
        }
    }
    /// The busiest node's load over the mean (1.0 is perfectly even).
    pub fn max_over_mean(&self) -> f64 {
        if self.mean > 0.0 {
            self.max as f64 / self.mean
        } else {
            0.0
        }
    }
}

// ---- the protocol ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// Tokens per node on the ring (1 to 256).
    pub vnodes: u32,
    /// Copies of every key (Dynamo's N).
    pub replicas: u8,
    /// Replies a get waits for (Dynamo's R).
    pub read_quorum: u8,
    /// Acknowledgements a put waits for (Dynamo's W).
    pub write_quorum: u8,
    /// Replicas in distinct datacenters when possible.
    pub datacenter_aware: bool,
    /// Write to the next healthy nodes when replicas are suspected (Dynamo's sloppy quorum).
    pub sloppy: bool,
    pub placement: Placement,
    /// The ring's members at the start; empty means every node.
    pub initial_members: Vec<NodeId>,
    /// A replica silent this long after a request is suspected.
    pub replica_timeout_us: Micros,
    /// A request without its quorum by then fails.
    pub request_timeout_us: Micros,
    /// How long a suspicion lasts unless the node is heard from.
    pub suspect_us: Micros,
    /// Each node sends its membership to one random peer this often.
    pub gossip_us: Micros,
    /// Nodes that also act as clients, sending a random get or put every `load_every_us`.
    pub load: Vec<NodeId>,
    pub load_every_us: Micros,
    /// The scripted load uses keys `k0` … `k{load_keys-1}`.
    pub load_keys: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            vnodes: 16,
            replicas: 3,
            read_quorum: 2,
            write_quorum: 2,
            datacenter_aware: true,
            sloppy: false,
            placement: Placement::Ring,
            initial_members: Vec::new(),
            replica_timeout_us: 400 * MS,
            request_timeout_us: 2 * SEC,
            suspect_us: 2 * SEC,
            gossip_us: 500 * MS,
            load: Vec::new(),
            load_every_us: 250 * MS,
            load_keys: 8,
        }
    }
}

/// A last-writer-wins stamp: the coordinator's clock when the put arrived, then its id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version {
    pub time: Micros,
    pub node: NodeId,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stored {
    pub value: String,
    pub version: Version,
    /// The key's ring position, hashed once when stored (the owner check runs after every step).
    #[serde(skip)]
    pub position: u64,
    /// Held for this home replica (a sloppy-quorum fallback copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint_for: Option<NodeId>,
}

/// One node's knowledge of one node's membership.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Member {
    pub version: u32,
    pub joined: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Get,
    Put,
}

/// A request this node coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub id: u64,
    pub op: Op,
    pub key: String,
    pub value: String,
    pub version: Version,
    pub started: Micros,
    /// The key's home replicas.
    pub home: Vec<NodeId>,
    /// Nodes asked, in order; a fallback stands in for the home node it names.
    pub asked: Vec<(NodeId, Option<NodeId>)>,
    /// Who answered, and (gets) what they hold.
    pub replies: Vec<(NodeId, Option<(String, Version)>)>,
}

/// A write this node acknowledged to its client, for the read property.
#[derive(Clone, Debug, PartialEq)]
pub struct Ack {
    pub key: String,
    /// Local time of the acknowledgement.
    pub at: Micros,
    pub version: Version,
    pub value: String,
    /// The writer's membership when it acknowledged (a read under another ring is explained so).
    pub members: Vec<Member>,
}

/// A finished request, for the view and the read property.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Done {
    pub id: u64,
    pub op: Op,
    pub key: String,
    pub ok: bool,
    /// What a get returned (`None`: not found or failed).
    pub value: Option<(String, Version)>,
    pub started: Micros,
    pub latency_us: Micros,
    pub answered_by: Vec<NodeId>,
    /// Whether a fallback node counted towards the quorum.
    pub sloppy: bool,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ring {
    pub members: Vec<Member>,
    /// The ring derived from `members` (rebuilt when they change; not part of the trace).
    #[serde(skip)]
    pub ring: Arc<HashRing>,
    pub store: BTreeMap<String, Stored>,
    /// Suspected nodes and until when (local time).
    pub suspected: Vec<(NodeId, Micros)>,
    /// Requests in progress (bookkeeping: left out of the inspector's JSON).
    #[serde(skip)]
    pub pending: Vec<Pending>,
    /// The last few finished requests, oldest first.
    pub done: Vec<Done>,
    /// The last writes this node acknowledged to a client: (key, ack time, version, value).
    #[serde(skip)]
    pub acked: Vec<Ack>,
    next_request: u64,
    pub handed_off: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Put {
        req: u64,
        key: String,
        value: String,
        version: Version,
        hint_for: Option<NodeId>,
    },
    PutAck {
        req: u64,
    },
    Get {
        req: u64,
        key: String,
    },
    GetReply {
        req: u64,
        found: Option<(String, Version)>,
    },
    Membership {
        members: Vec<Member>,
    },
    /// A key copied to a node that owns it since a membership change; `owners_before` is the
    /// sender's preference list for the key before the change.
    Handoff {
        key: String,
        value: String,
        version: Version,
        owners_before: Vec<NodeId>,
        joined: Vec<NodeId>,
        left: Vec<NodeId>,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    ReplicaTimeout(u64),
    RequestTimeout(u64),
    Gossip,
    Load,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    Put {
        key: String,
        value: String,
    },
    Get {
        key: String,
    },
    /// This node joins the ring.
    Join,
    /// This node leaves the ring, handing its keys to their new owners.
    Leave,
}

/// What survives a crash: the data, the membership and the request counter (so that a reply to
/// a request sent before the crash never matches one sent after it).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Durable {
    pub store: BTreeMap<String, Stored>,
    pub members: Vec<Member>,
    pub next_request: u64,
}

/// The ring of a membership, as every node derives it.
pub fn ring_of(members: &[Member], topology: &Topology, vnodes: u32) -> HashRing {
    HashRing::with_members(
        vnodes,
        members.iter().enumerate().filter(|(_, m)| m.joined).map(|(i, _)| (i as NodeId, topology.dc_of(i as NodeId))),
    )
}

/// A key's home replicas under the parameters' placement.
pub fn home_of(ring: &HashRing, params: &Params, key: &str) -> Vec<NodeId> {
    owners(ring, params, key, params.replicas as usize, &BTreeSet::new())
}

fn owners(ring: &HashRing, params: &Params, key: &str, r: usize, down: &BTreeSet<NodeId>) -> Vec<NodeId> {
    let pos = key_position(key);
    match params.placement {
        Placement::Ring => ring.preference_list(pos, r, params.datacenter_aware, down),
        Placement::ModN => {
            let live: Vec<NodeId> = ring.members().map(|(n, _)| n).filter(|n| !down.contains(n)).collect();
            mod_n_list(pos, &live, r)
        }
    }
}

fn name(ctx: &Ctx<'_, Ring>, node: NodeId) -> String {
    ctx.topology.nodes[node as usize].name.clone()
}

fn names(ctx: &Ctx<'_, Ring>, nodes: impl IntoIterator<Item = NodeId>) -> String {
    nodes.into_iter().map(|n| name(ctx, n)).collect::<Vec<_>>().join(" ")
}

fn ms(us: Micros) -> String {
    caucus_sim::decimal(us as f64 / MS as f64, 1)
}

impl Ring {
    fn is_suspected(&self, ctx: &Ctx<'_, Self>, node: NodeId) -> bool {
        self.suspected.iter().any(|&(n, until)| n == node && until > ctx.now)
    }

    fn take_pending(&mut self, req: u64) -> Option<Pending> {
        let i = self.pending.iter().position(|p| p.id == req)?;
        Some(self.pending.remove(i))
    }

    fn rebuild(&mut self, ctx: &Ctx<'_, Self>) {
        self.ring = Arc::new(ring_of(&self.members, ctx.topology, ctx.params.vnodes));
    }

    /// Step 4: start coordinating a get or put.
    fn coordinate(&mut self, ctx: &mut Ctx<'_, Self>, op: Op, key: String, value: String) {
        if key.is_empty() || key.len() > MAX_KEY_BYTES || value.len() > MAX_KEY_BYTES {
            ctx.note(format!("refuses the request: keys and values are 1 to {MAX_KEY_BYTES} bytes"));
            return;
        }
        let home = home_of(&self.ring, ctx.params, &key);
        if home.is_empty() {
            ctx.note(format!("cannot serve {key}: the ring has no members"));
            return;
        }
        self.next_request += 1;
        let id = self.next_request * 1000 + ctx.id as u64;
        let version = Version { time: ctx.now, node: ctx.id };
        let mut p = Pending {
            id,
            op,
            key,
            value,
            version,
            started: ctx.now,
            home: home.clone(),
            asked: Vec::new(),
            replies: Vec::new(),
        };
        let mut targets: Vec<(NodeId, Option<NodeId>)> = home.iter().map(|&n| (n, None)).collect();
        if ctx.params.sloppy {
            targets = self.sloppy_targets(ctx, &p, home.len());
        }
        let what = match op {
            Op::Put => format!("put {} = {}", p.key, p.value),
            Op::Get => format!("get {}", p.key),
        };
        ctx.note(format!("coordinates {what}: home replicas {}", names(ctx, home.iter().copied())));
        for (to, hint) in targets {
            self.ask(ctx, &mut p, to, hint);
        }
        ctx.set_timer(Timer::ReplicaTimeout(id), ctx.params.replica_timeout_us);
        ctx.set_timer(Timer::RequestTimeout(id), ctx.params.request_timeout_us);
        self.pending.push(p);
        self.maybe_finish(ctx, id);
    }

    /// Step 5: the first `count` healthy nodes not yet asked along the ring's full walk, each
    /// home node replaced by a fallback standing in for it.
    fn sloppy_targets(&self, ctx: &Ctx<'_, Self>, p: &Pending, count: usize) -> Vec<(NodeId, Option<NodeId>)> {
        let asked: Vec<NodeId> = p.asked.iter().map(|&(n, _)| n).collect();
        let healthy = |n: &NodeId| !self.is_suspected(ctx, *n) && !asked.contains(n);
        let mut out: Vec<(NodeId, Option<NodeId>)> = Vec::new();
        // Home nodes first, then fallbacks for the suspected ones.
        let mut replaced: Vec<NodeId> = Vec::new();
        for &h in &p.home {
            if asked.contains(&h) {
                continue;
            }
            if healthy(&h) {
                out.push((h, None));
            } else {
                replaced.push(h);
            }
        }
        // Hints for home nodes already asked that never answered are given by the caller.
        let walk = owners(&self.ring, ctx.params, &p.key, self.ring.len(), &BTreeSet::new());
        for n in walk {
            if out.len() >= count || replaced.is_empty() {
                break;
            }
            if p.home.contains(&n) || !healthy(&n) {
                continue;
            }
            out.push((n, Some(replaced.remove(0))));
        }
        out
    }

    fn ask(&mut self, ctx: &mut Ctx<'_, Self>, p: &mut Pending, to: NodeId, hint_for: Option<NodeId>) {
        p.asked.push((to, hint_for));
        let msg = match p.op {
            Op::Put => Msg::Put { req: p.id, key: p.key.clone(), value: p.value.clone(), version: p.version, hint_for },
            Op::Get => Msg::Get { req: p.id, key: p.key.clone() },
        };
        if to == ctx.id {
            // The coordinator is a replica itself: no message to send.
            let reply = self.on_replica(ctx, msg);
            p.replies.push((to, reply));
        } else {
            ctx.send(to, msg);
        }
    }

    /// A replica's side: store a put (newest version wins) or read a key.
    fn on_replica(&mut self, ctx: &mut Ctx<'_, Self>, msg: Msg) -> Option<(String, Version)> {
        match msg {
            Msg::Put { key, value, version, hint_for, .. } => {
                if let Some(h) = hint_for {
                    ctx.note(format!("stores {key} for {} (sloppy quorum fallback)", name(ctx, h)));
                }
                self.store_newer(key, value, version, hint_for);
                None
            }
            Msg::Get { key, .. } => self.store.get(&key).map(|s| (s.value.clone(), s.version)),
            _ => unreachable!("only puts and gets reach a replica"),
        }
    }

    fn store_newer(&mut self, key: String, value: String, version: Version, hint_for: Option<NodeId>) {
        if self.store.get(&key).is_none_or(|s| s.version < version) {
            let position = key_position(&key);
            self.store.insert(key, Stored { value, version, position, hint_for });
        }
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, req: u64, found: Option<(String, Version)>) {
        let Some(p) = self.pending.iter_mut().find(|p| p.id == req) else {
            return;
        };
        // Only the nodes asked count, once each.
        if !p.asked.iter().any(|(n, _)| *n == from) || p.replies.iter().any(|(n, _)| *n == from) {
            return;
        }
        p.replies.push((from, found));
        self.maybe_finish(ctx, req);
    }

    fn maybe_finish(&mut self, ctx: &mut Ctx<'_, Self>, req: u64) {
        let Some(p) = self.pending.iter().find(|p| p.id == req) else {
            return;
        };
        let quorum = match p.op {
            Op::Put => ctx.params.write_quorum,
            Op::Get => ctx.params.read_quorum,
        } as usize;
        if p.replies.len() < quorum.min(p.home.len()) {
            return;
        }
        let p = self.take_pending(req).expect("pending request");
        ctx.cancel_timer(Timer::ReplicaTimeout(req));
        ctx.cancel_timer(Timer::RequestTimeout(req));
        let answered_by: Vec<NodeId> = p.replies.iter().map(|(n, _)| *n).collect();
        let sloppy = answered_by.iter().any(|n| !p.home.contains(n));
        let latency_us = ctx.now.saturating_sub(p.started);
        let via = if sloppy { " (a fallback counted: sloppy quorum)" } else { "" };
        let (value, text) = match p.op {
            Op::Put => {
                self.acked.push(Ack {
                    key: p.key.clone(),
                    at: ctx.now,
                    version: p.version,
                    value: p.value.clone(),
                    members: self.members.clone(),
                });
                if self.acked.len() > ACKS_KEPT {
                    self.acked.remove(0);
                }
                (None, format!("put {} = {} acknowledged by {}{via}", p.key, p.value, names(ctx, answered_by.clone())))
            }
            Op::Get => {
                let newest = p.replies.iter().filter_map(|(_, f)| f.clone()).max_by_key(|(_, v)| *v);
                let versions = distinct(p.replies.iter().map(|(_, f)| f.as_ref().map(|(_, v)| *v)));
                let disagree = if versions.len() > 1 { "; the replicas disagree, the newest wins" } else { "" };
                let shown = newest.as_ref().map_or("not found".to_string(), |(v, _)| v.clone());
                (newest, format!("get {} = {shown} from {}{via}{disagree}", p.key, names(ctx, answered_by.clone())))
            }
        };
        ctx.note(format!("{text} in {} ms", ms(latency_us)));
        self.remember(Done {
            id: p.id,
            op: p.op,
            key: p.key,
            ok: true,
            value,
            started: p.started,
            latency_us,
            answered_by,
            sloppy,
            text,
        });
    }

    fn remember(&mut self, done: Done) {
        self.done.push(done);
        if self.done.len() > HISTORY {
            self.done.remove(0);
        }
    }

    /// Step 5: suspect the silent, and with sloppy quorums ask the next healthy nodes.
    fn on_replica_timeout(&mut self, ctx: &mut Ctx<'_, Self>, req: u64) {
        let Some(mut p) = self.take_pending(req) else {
            return;
        };
        let silent: Vec<(NodeId, Option<NodeId>)> =
            p.asked.iter().copied().filter(|(n, _)| !p.replies.iter().any(|(r, _)| r == n)).collect();
        for &(n, _) in &silent {
            self.suspected.retain(|&(s, _)| s != n);
            self.suspected.push((n, ctx.now + ctx.params.suspect_us));
        }
        if ctx.params.sloppy && !silent.is_empty() {
            let mut asked_more = Vec::new();
            for (n, hint) in silent {
                let stands_for = hint.unwrap_or(n);
                // One fallback for each silent node, standing in for the home node it replaced.
                let walk = owners(&self.ring, ctx.params, &p.key, self.ring.len(), &BTreeSet::new());
                if let Some(f) = walk.into_iter().find(|f| {
                    !p.asked.iter().any(|(a, _)| a == f) && !self.is_suspected(ctx, *f) && !p.home.contains(f)
                }) {
                    asked_more.push(f);
                    self.ask(ctx, &mut p, f, Some(stands_for));
                }
            }
            if !asked_more.is_empty() {
                ctx.note(format!(
                    "no answer in {} ms: asks fallback {} (sloppy quorum)",
                    ms(ctx.params.replica_timeout_us),
                    names(ctx, asked_more)
                ));
                ctx.set_timer(Timer::ReplicaTimeout(req), ctx.params.replica_timeout_us);
            }
        }
        let id = p.id;
        self.pending.push(p);
        self.maybe_finish(ctx, id);
    }

    fn on_request_timeout(&mut self, ctx: &mut Ctx<'_, Self>, req: u64) {
        let Some(p) = self.take_pending(req) else {
            return;
        };
        ctx.cancel_timer(Timer::ReplicaTimeout(req));
        let quorum = match p.op {
            Op::Put => ctx.params.write_quorum,
            Op::Get => ctx.params.read_quorum,
        };
        let what = match p.op {
            Op::Put => "put",
            Op::Get => "get",
        };
        let text =
            format!("{what} {} failed: {} of {quorum} replies before the request timeout", p.key, p.replies.len());
        ctx.note(text.clone());
        let latency_us = ctx.now.saturating_sub(p.started);
        self.remember(Done {
            id: p.id,
            op: p.op,
            key: p.key,
            ok: false,
            value: None,
            started: p.started,
            latency_us,
            answered_by: p.replies.iter().map(|(n, _)| *n).collect(),
            sloppy: false,
            text,
        });
    }

    /// Step 6: adopt a newer membership and hand over the keys that moved.
    fn adopt(&mut self, ctx: &mut Ctx<'_, Self>, members: &[Member]) -> bool {
        let mut joined = Vec::new();
        let mut left = Vec::new();
        let mut changed = false;
        for (i, theirs) in members.iter().enumerate().take(self.members.len()) {
            let mine = &mut self.members[i];
            if theirs.version > mine.version {
                if theirs.joined != mine.joined {
                    if theirs.joined {
                        joined.push(i as NodeId);
                    } else {
                        left.push(i as NodeId);
                    }
                }
                *mine = *theirs;
                changed = true;
            }
        }
        if joined.is_empty() && left.is_empty() {
            return changed;
        }
        let before = self.ring.clone();
        self.rebuild(ctx);
        let mut what = Vec::new();
        if !joined.is_empty() {
            what.push(format!("{} joined", names(ctx, joined.iter().copied())));
        }
        if !left.is_empty() {
            what.push(format!("{} left", names(ctx, left.iter().copied())));
        }
        let mut copies = 0;
        let keys: Vec<(String, Stored)> = self.store.iter().map(|(k, s)| (k.clone(), s.clone())).collect();
        for (key, stored) in keys {
            let old = home_of(&before, ctx.params, &key);
            if !old.contains(&ctx.id) {
                continue;
            }
            let new = home_of(&self.ring, ctx.params, &key);
            let me = ctx.id;
            for to in new.iter().copied().filter(|n| !old.contains(n) && *n != me) {
                copies += 1;
                ctx.send(
                    to,
                    Msg::Handoff {
                        key: key.clone(),
                        value: stored.value.clone(),
                        version: stored.version,
                        owners_before: old.clone(),
                        joined: joined.clone(),
                        left: left.clone(),
                    },
                );
            }
        }
        self.handed_off += copies;
        let text = format!("ring changes: {}; hands {copies} key copies to their new owners", what.join(", "));
        // Keys moving is the turn of the story; a node that hands nothing over just notes it.
        if copies > 0 {
            ctx.moment(text);
        } else {
            ctx.note(text);
        }
        true
    }

    /// Hinted hand-off: a fallback that hears from a home node it stood in for, or that does not
    /// suspect it at its gossip beat, sends it the copies it holds for it (as puts no client waits
    /// for, marked by [`HANDBACK`]); each copy stops being a hint when the home node acknowledges
    /// it, so a copy lost on the way is sent again.
    fn hand_back_hints(&mut self, ctx: &mut Ctx<'_, Self>, home: NodeId) {
        let mut keys = Vec::new();
        for (key, stored) in self.store.iter().filter(|(_, s)| s.hint_for == Some(home)) {
            keys.push(key.clone());
            let req = HANDBACK | key_position(key);
            ctx.send(
                home,
                Msg::Put {
                    req,
                    key: key.clone(),
                    value: stored.value.clone(),
                    version: stored.version,
                    hint_for: None,
                },
            );
        }
        if !keys.is_empty() {
            ctx.moment(format!("hands {} back to {} (hinted hand-off)", keys.join(" "), name(ctx, home)));
        }
    }

    /// The home node has a handed-back copy: it is no longer a hint.
    fn on_handback_ack(&mut self, from: NodeId, req: u64) {
        for (key, stored) in self.store.iter_mut() {
            if stored.hint_for == Some(from) && HANDBACK | key_position(key) == req {
                stored.hint_for = None;
            }
        }
    }

    fn change_self(&mut self, ctx: &mut Ctx<'_, Self>, join: bool) {
        let me = self.members[ctx.id as usize];
        if me.joined == join {
            ctx.note(if join { "is already a member of the ring" } else { "is not a member of the ring" });
            return;
        }
        let mut members = self.members.clone();
        members[ctx.id as usize] = Member { version: me.version + 1, joined: join };
        ctx.moment(if join { "joins the ring" } else { "leaves the ring" });
        self.adopt(ctx, &members);
        ctx.broadcast(Msg::Membership { members });
    }

    fn on_load(&mut self, ctx: &mut Ctx<'_, Self>) {
        ctx.set_timer(Timer::Load, ctx.params.load_every_us);
        let key = format!("k{}", ctx.random_below(ctx.params.load_keys as u64));
        if ctx.random_below(2) == 0 {
            let value = format!("{}.{}", name(ctx, ctx.id), self.next_request + 1);
            self.coordinate(ctx, Op::Put, key, value);
        } else {
            self.coordinate(ctx, Op::Get, key, String::new());
        }
    }
}

impl Protocol for Ring {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Durable;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        let nodes = topology.nodes.len();
        if params.vnodes == 0 || params.vnodes > MAX_VNODES {
            return Err(format!("vnodes must be 1 to {MAX_VNODES}, not {}", params.vnodes));
        }
        let members = if params.initial_members.is_empty() { nodes } else { params.initial_members.len() };
        if params.replicas == 0 || params.replicas as usize > members {
            return Err(format!(
                "replicas must be 1 to the number of initial members ({members}), not {}",
                params.replicas
            ));
        }
        for (field, q) in [("read_quorum", params.read_quorum), ("write_quorum", params.write_quorum)] {
            if q == 0 || q > params.replicas {
                return Err(format!("{field} must be 1 to replicas ({}), not {q}", params.replicas));
            }
        }
        for (field, list) in [("initial_members", &params.initial_members), ("load", &params.load)] {
            if let Some(bad) = list.iter().find(|&&n| n as usize >= nodes) {
                return Err(format!("{field} names node {bad}, but the topology has nodes 0 to {}", nodes - 1));
            }
        }
        crate::check_durations(&[
            ("replica_timeout_us", params.replica_timeout_us),
            ("request_timeout_us", params.request_timeout_us),
            ("suspect_us", params.suspect_us),
            ("gossip_us", params.gossip_us),
            ("load_every_us", params.load_every_us),
        ])?;
        // Gossip: every node to one peer. Load: each client's request to every replica, and back.
        let limit = caucus_sim::limits::check_rate;
        limit("gossip_us", params.gossip_us, nodes, topology)?;
        limit("load_every_us", params.load_every_us, params.load.len() * 2 * (params.replicas as usize + 1), topology)?;
        let round_trip = 2 * topology.max_one_way_us();
        if params.replica_timeout_us <= round_trip {
            return Err(format!(
                "replica_timeout_us ({} µs) must be longer than the longest round trip ({round_trip} µs), or live replicas are suspected",
                params.replica_timeout_us
            ));
        }
        if params.request_timeout_us <= params.replica_timeout_us {
            return Err(format!(
                "request_timeout_us ({} µs) must be longer than replica_timeout_us ({} µs)",
                params.request_timeout_us, params.replica_timeout_us
            ));
        }
        if params.load_keys == 0 || params.load_keys > 10_000 {
            return Err(format!("load_keys must be 1 to 10000, not {}", params.load_keys));
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Durable>) -> Self {
        let n = ctx.node_count();
        let (store, members, next_request) = match durable {
            Some(d) => (d.store, d.members, d.next_request),
            None => {
                let all = ctx.params.initial_members.is_empty();
                let members = (0..n as NodeId)
                    .map(|i| Member { version: 0, joined: all || ctx.params.initial_members.contains(&i) })
                    .collect();
                (BTreeMap::new(), members, 0)
            }
        };
        let mut node = Ring {
            members,
            ring: Arc::default(),
            store,
            suspected: Vec::new(),
            pending: Vec::new(),
            done: Vec::new(),
            acked: Vec::new(),
            next_request,
            handed_off: 0,
        };
        node.rebuild(ctx);
        let gossip = ctx.params.gossip_us;
        let first_gossip = ctx.random_between(gossip / 2, gossip);
        ctx.set_timer(Timer::Gossip, first_gossip);
        if ctx.params.load.contains(&ctx.id) {
            let every = ctx.params.load_every_us;
            let first_load = ctx.random_between(every / 2, every);
            ctx.set_timer(Timer::Load, first_load);
        }
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        self.suspected.retain(|&(n, _)| n != from);
        self.hand_back_hints(ctx, from);
        match msg {
            Msg::Put { req, .. } => {
                self.on_replica(ctx, msg);
                ctx.send(from, Msg::PutAck { req });
            }
            Msg::Get { req, .. } => {
                let found = self.on_replica(ctx, msg);
                ctx.send(from, Msg::GetReply { req, found });
            }
            Msg::PutAck { req } if req & HANDBACK != 0 => self.on_handback_ack(from, req),
            Msg::PutAck { req } => self.on_reply(ctx, from, req, None),
            Msg::GetReply { req, found } => self.on_reply(ctx, from, req, found),
            Msg::Membership { members } => {
                self.adopt(ctx, &members);
            }
            Msg::Handoff { key, value, version, .. } => self.store_newer(key, value, version, None),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {
            Timer::ReplicaTimeout(req) => self.on_replica_timeout(ctx, req),
            Timer::RequestTimeout(req) => self.on_request_timeout(ctx, req),
            Timer::Gossip => {
                ctx.set_timer(Timer::Gossip, ctx.params.gossip_us);
                let n = ctx.node_count() as u64;
                if n > 1 {
                    let pick = ctx.random_below(n - 1) as NodeId;
                    let to = if pick >= ctx.id { pick + 1 } else { pick };
                    ctx.send(to, Msg::Membership { members: self.members.clone() });
                }
                // Hinted copies also go back on the beat, to home nodes not suspected.
                let homes = distinct(self.store.values().filter_map(|s| s.hint_for));
                let trusted: Vec<NodeId> = homes.into_iter().filter(|&h| !self.is_suspected(ctx, h)).collect();
                for home in trusted {
                    self.hand_back_hints(ctx, home);
                }
            }
            Timer::Load => self.on_load(ctx),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        match request {
            Request::Put { key, value } => self.coordinate(ctx, Op::Put, key, value),
            Request::Get { key } => self.coordinate(ctx, Op::Get, key, String::new()),
            Request::Join => self.change_self(ctx, true),
            Request::Leave => self.change_self(ctx, false),
        }
    }

    fn durable(&self) -> Durable {
        Durable { store: self.store.clone(), members: self.members.clone(), next_request: self.next_request }
    }

    fn role(&self) -> String {
        if self.pending.is_empty() {
            "replica".into()
        } else {
            "coordinator".into()
        }
    }

    fn badge(&self) -> String {
        format!("{} keys", self.store.len())
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Put { key, hint_for: Some(_), .. } => format!("Put {key} (hint)"),
            Msg::Put { key, req, .. } if req & HANDBACK != 0 => format!("Hand back {key}"),
            Msg::Put { key, .. } => format!("Put {key}"),
            Msg::PutAck { .. } => "PutAck".into(),
            Msg::Get { key, .. } => format!("Get {key}"),
            Msg::GetReply { found: Some((v, _)), .. } => format!("Reply {v}"),
            Msg::GetReply { found: None, .. } => "Reply none".into(),
            Msg::Membership { .. } => "Membership".into(),
            Msg::Handoff { key, .. } => format!("Handoff {key}"),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "Every key has exactly R owners",
                kind: PropertyKind::Safety,
                description: "In every running node's ring, each key's preference list skipping crashed nodes names R distinct live nodes (when at least R members are alive), in distinct datacenters as far as datacenter-aware placement can.",
                check: exactly_r_owners,
            },
            Property {
                name: "Minimal movement",
                kind: PropertyKind::Safety,
                description: "A membership change moves only keys whose owners changed because of it: every hand-over goes to a joining node, or replaces a leaving node in the key's owners.",
                check: minimal_movement,
            },
            Property {
                name: "Reads see the last acknowledged write",
                kind: PropertyKind::Safety,
                description: "A get returns a version at least as new as every put of that key acknowledged before the get began. Quorums with R + W > replicas guarantee it while the membership stays the same; across a join or leave, and with sloppy fallback under failures the divergence is reported here, not hidden.",
                check: reads_see_acked_writes,
            },
            Property {
                name: "Membership converges",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, gossip gives every running node the same membership, hence the same ring.",
                check: membership_converges,
            },
        ]
    }
}

// ---- properties -----------------------------------------------------------------------------

fn crashed(view: &View<'_, Ring>) -> BTreeSet<NodeId> {
    view.node_ids().filter(|&n| matches!(view.status(n), Status::Crashed)).collect()
}

/// Positions of the load keys `k0`..`k63`, hashed once: the owner check runs after every step.
fn load_key_positions() -> &'static [u64] {
    static POSITIONS: OnceLock<Vec<u64>> = OnceLock::new();
    POSITIONS.get_or_init(|| (0..MAX_CHECKED_LOAD_KEYS).map(|k| key_position(&format!("k{k}"))).collect())
}

/// Load keys the owner check covers besides the stored ones.
const MAX_CHECKED_LOAD_KEYS: u32 = 64;

fn exactly_r_owners(view: &View<'_, Ring>) -> Result<(), Failure> {
    let params = view.params();
    let down = crashed(view);
    let r = params.replicas as usize;
    // The node that just stepped (its ring may have changed) and the lowest running node.
    let mut nodes: Vec<NodeId> = view.stepped_node().into_iter().chain(view.up().map(|(i, _)| i).take(1)).collect();
    nodes.dedup();
    let loads = &load_key_positions()[..params.load_keys.min(MAX_CHECKED_LOAD_KEYS) as usize];
    let mut list = Vec::with_capacity(r);
    for i in nodes {
        let Some(state) = view.state(i) else { continue };
        let ring = &state.ring;
        let live: Vec<NodeId> = ring.members().map(|(n, _)| n).filter(|n| !down.contains(n)).collect();
        let want = r.min(live.len());
        let live_dcs = distinct(live.iter().filter_map(|&n| ring.dc_of(n)));
        let census = ring.census(&down);
        // (stored key or load key number, position): names are only spelled out in a failure.
        let keys = state.store.iter().map(|(k, s)| (Ok(k.as_str()), s.position));
        let keys = keys.chain(loads.iter().enumerate().map(|(k, &pos)| (Err(k), pos)));
        for (key, pos) in keys {
            match params.placement {
                Placement::Ring => ring.preference_into(pos, r, params.datacenter_aware, &down, census, &mut list),
                Placement::ModN => list = mod_n_list(pos, &live, r),
            }
            let key = || match key {
                Ok(name) => name.to_string(),
                Err(k) => format!("k{k}"),
            };
            let owners = (0..list.len()).filter(|&k| !list[..k].contains(&list[k])).count();
            if owners != want || list.len() != want || list.iter().any(|n| down.contains(n)) {
                return Err(Failure::new(format!(
                    "In {}'s ring, key {} has {} live owners ({}), not {want}.",
                    view.name(i),
                    key(),
                    owners,
                    list.iter().map(|&n| view.name(n)).collect::<Vec<_>>().join(" ")
                ))
                .nodes(list));
            }
            if params.datacenter_aware && params.placement == Placement::Ring {
                let dcs = distinct(list.iter().filter_map(|&n| ring.dc_of(n)));
                if dcs.len() < want.min(live_dcs.len()) {
                    return Err(Failure::new(format!(
                        "In {}'s ring, key {}'s owners span {} datacenters though {} could be used.",
                        view.name(i),
                        key(),
                        dcs.len(),
                        want.min(live_dcs.len())
                    ))
                    .nodes(list));
                }
            }
        }
    }
    Ok(())
}

fn minimal_movement(view: &View<'_, Ring>) -> Result<(), Failure> {
    for m in view.in_flight() {
        let Msg::Handoff { key, owners_before, joined, left, .. } = &m.msg else { continue };
        let to_joiner = joined.contains(&m.target);
        let replaces_leaver = owners_before.iter().any(|n| left.contains(n));
        if !to_joiner && !replaces_leaver {
            let change = match (joined.first(), left.first()) {
                (Some(&j), _) => format!("{} joined", view.name(j)),
                (None, Some(&l)) => format!("{} left", view.name(l)),
                (None, None) => "the membership changed".into(),
            };
            return Err(Failure::new(format!(
                "{} hands key {key} to {}, but {change} and neither was involved with this key: the change moved a key it did not need to (what hash % N does).",
                view.name(m.source),
                view.name(m.target)
            ))
            .nodes([m.source, m.target]));
        }
    }
    Ok(())
}

/// Checked at the step a get finishes, at its coordinator. Times are compared in simulated time:
/// each local reading (the read's start at the reader, an ack at its writer) is turned back into
/// simulated time with the clock that node had when it was taken, so clocks that disagree, jump
/// or are reset mid-read never make a concurrent write look acknowledged before the read. Where
/// a jump leaves it ambiguous the check gives the write the benefit: the latest instant for the
/// ack, the earliest for the read.
fn reads_see_acked_writes(view: &View<'_, Ring>) -> Result<(), Failure> {
    let Some(reader) = view.stepped_node() else { return Ok(()) };
    let Some(state) = view.state(reader) else { return Ok(()) };
    let local_now = view.clock(reader).local(view.now());
    let Some(read) = state.done.last().filter(|d| d.ok && d.op == Op::Get && d.started + d.latency_us == local_now)
    else {
        return Ok(());
    };
    let Some(began) = view.real_time_of(reader, read.started, false) else { return Ok(()) };
    let got = read.value.as_ref().map(|(_, v)| *v);
    for (writer, w) in view.up() {
        let acked_at = |local: Micros| view.real_time_of(writer, local, true);
        let Some((Ack { value, members, .. }, at)) = w
            .acked
            .iter()
            .filter(|a| a.key == read.key && got < Some(a.version))
            .filter_map(|a| Some((a, acked_at(a.at).filter(|t| *t < began)?)))
            .max_by_key(|(a, _)| a.version)
        else {
            continue;
        };
        let shown = read.value.as_ref().map_or("nothing".to_string(), |(v, _)| format!("`{v}`"));
        let params = view.params();
        let why = if *members != state.members {
            "The membership changed between the write and the read, and the two rings' quorums need not meet: gossip spreads a join or leave gradually, so a node still on the old ring, or a new owner answering before its hand-over arrives, can miss the write. Dynamo-style stores accept this window; Cassandra narrows it with pending ranges."
        } else if read.sloppy || params.sloppy {
            "The replicas have diverged: with a sloppy quorum, a write acknowledged by fallback nodes is invisible to a read quorum of home replicas on the other side of a failure."
        } else if params.read_quorum as u16 + params.write_quorum as u16 <= params.replicas as u16 {
            "R + W is not above the replica count, so a read quorum can miss every replica that acknowledged the write."
        } else {
            "The read quorum missed every replica holding the write (during a hand-over of keys, for example)."
        };
        return Err(Failure::new(format!(
            "{} read {} = {shown}, but {} had acknowledged the put of `{value}` {} ms before the read began. {why}",
            view.name(reader),
            read.key,
            view.name(writer),
            ms(began - at),
        ))
        .nodes([reader, writer]));
    }
    Ok(())
}

fn membership_converges(view: &View<'_, Ring>) -> Result<(), Failure> {
    let mut up = view.up();
    let Some((first, s)) = up.next() else { return Ok(()) };
    for (i, other) in up {
        if other.members != s.members {
            return Err(Failure::new(format!(
                "{} and {} still see different memberships.",
                view.name(first),
                view.name(i)
            ))
            .nodes([first, i]));
        }
    }
    Ok(())
}

// ---- scenarios ------------------------------------------------------------------------------

/// Nine nodes, three per region; one client in each region (n0, n3, n6) sends a get or put every
/// 250 ms over keys k0..k7.
fn nine(params: serde_json::Value) -> impl Fn(&str, &str, Vec<caucus_sim::ScriptEntry>) -> Scenario {
    move |name, description, script| {
        let mut s = crate::scenario(name, description, NAME, TopologySpec::preset("three-regions", 3), script);
        let mut p = json!({ "load": [0, 3, 6] });
        if let (Some(p), Some(extra)) = (p.as_object_mut(), params.as_object()) {
            p.extend(extra.clone());
        }
        s.protocol.params = p;
        s
    }
}

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    use crate::at;
    let plain = nine(json!({}));
    let outside = nine(json!({ "initial_members": [0, 1, 2, 3, 4, 5, 6, 7] }));
    let sloppy = nine(json!({ "sloppy": true }));
    let mod_n = nine(json!({ "placement": "mod_n", "initial_members": [0, 1, 2, 3, 4, 5, 6, 7] }));
    vec![
        plain(
            "ring",
            "Nine nodes in three regions, 16 virtual nodes each, 3 replicas one per region, quorums R = W = 2. Clients at n0, n3 and n6 get and put keys k0..k7; each request waits for the second-nearest region, so latency is the price of distance.",
            vec![],
        ),
        outside(
            "ring-join",
            "n8 starts outside the ring and joins at 3 s: the others hand it only the keys it now owns (about a ninth of the ring's replicas), never shuffling keys among themselves.",
            vec![at(3.0, Input::Request { node: 8, request: json!("join") })],
        ),
        plain(
            "ring-leave",
            "n4 leaves the ring at 3 s and hands each of its keys to the node that replaces it; every other key stays where it was.",
            vec![at(3.0, Input::Request { node: 4, request: json!("leave") })],
        ),
        sloppy(
            "ring-sloppy",
            "Sloppy quorums: us-east-1 is cut off from 2 s to 6 s. Its client's puts still succeed by writing to fallback nodes on its side, while clients across the cut read older values: the read property reports the divergence. After the heal the fallbacks hand their hinted copies back.",
            vec![
                at(2.0, Input::Partition { a: vec![Endpoint::Dc(0)], b: vec![Endpoint::Dc(1), Endpoint::Dc(2)], one_way: false }),
                at(6.0, Input::Heal),
            ],
        ),
        {
            let mut s = crate::scenario(
                "ring-five-regions",
                "Ten nodes over five regions, each key's 3 replicas in 3 distinct regions, clients at n0 (us-east-1), n4 (eu-west-1) and n6 (ap-northeast-1). Where a key's replicas live decides the wait: a request whose second-nearest replica is one region away takes about 80 ms, one whose quorum needs an ocean crossing about 150 ms.",
                NAME,
                TopologySpec::preset("five-regions", 2),
                vec![],
            );
            s.protocol.params = json!({ "load": [0, 4, 6] });
            s
        },
        mod_n(
            "ring-mod-n",
            "The same join as ring-join with hash % N placement: when n8 joins, most keys change owner and are copied between old members, which the minimal-movement property reports.",
            vec![at(3.0, Input::Request { node: 8, request: json!("join") })],
        ),
    ]
}
