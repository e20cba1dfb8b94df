#![doc = include_str!("../essays/balance.md")]

use caucus_sim::{
    Ctx, Failure, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Status, Topology, TopologySpec, View, MS,
    SEC,
};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

pub const NAME: &str = "balance";

/// Latency samples a client keeps (the oldest are dropped; the counts stay).
pub const MAX_SAMPLES: usize = 4_000;
/// Backends in one run at most (the per-backend tables stay small).
pub const MAX_BACKENDS: usize = 48;

/// How a balancer picks the backend for a request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    /// Each healthy backend in turn.
    #[default]
    RoundRobin,
    /// A healthy backend drawn at random.
    Random,
    /// The healthy backend with the fewest of this balancer's requests in progress.
    LeastConnections,
    /// Two healthy backends drawn at random; the one with fewer requests in progress.
    PowerOfTwo,
    /// The healthy backend whose last load report showed the shortest queue: reports are stale
    /// between two, so every balancer sends to the same backend (a herd).
    LeastLoaded,
    /// The least busy healthy backend in the balancer's own datacenter, spilling over to the
    /// nearest other datacenter when every local backend has `spill_at` requests in progress.
    Nearest,
}

impl Strategy {
    pub const ALL: [Strategy; 6] = [
        Strategy::RoundRobin,
        Strategy::Random,
        Strategy::LeastConnections,
        Strategy::PowerOfTwo,
        Strategy::LeastLoaded,
        Strategy::Nearest,
    ];
    /// The name in scenarios.
    pub fn word(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "round_robin",
            Strategy::Random => "random",
            Strategy::LeastConnections => "least_connections",
            Strategy::PowerOfTwo => "power_of_two",
            Strategy::LeastLoaded => "least_loaded",
            Strategy::Nearest => "nearest",
        }
    }
    /// The name for people.
    pub fn title(self) -> &'static str {
        match self {
            Strategy::RoundRobin => "Round robin",
            Strategy::Random => "Random",
            Strategy::LeastConnections => "Least connections",
            Strategy::PowerOfTwo => "Power of two choices",
            Strategy::LeastLoaded => "Least loaded (stale reports)",
            Strategy::Nearest => "Nearest datacenter, spill-over",
        }
    }
}

/// How long a backend takes to serve one request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// Always `service_us`.
    Fixed,
    /// Exponential with mean `service_us` (memoryless: most are short, a few long).
    #[default]
    Exponential,
    /// Nine in ten take half of `service_us`, one in ten five and a half times it (mean
    /// `service_us`): a heavy tail.
    Bimodal,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub strategy: Strategy,
    /// Requests each client sends per second (arrivals are random, exponential gaps).
    pub rate_per_s: u32,
    pub service: Service,
    /// Mean service time of a healthy backend.
    pub service_us: Micros,
    /// Requests a backend serves at once.
    pub workers: u8,
    /// Requests a backend queues at most before it turns new ones away (503); 0: no limit.
    pub queue_limit: u32,
    /// Whether balancers check their backends' health (off: a dead backend keeps its share).
    pub health_checks: bool,
    /// A balancer pings every backend this often.
    pub health_interval_us: Micros,
    /// Unanswered pings in a row before a backend is marked down (one answer marks it up).
    pub health_failures: u8,
    /// Backends report their queue length to every balancer this often (read by `least_loaded`).
    pub report_interval_us: Micros,
    /// A client gives up on an attempt after this long and retries, or fails the request.
    pub request_timeout_us: Micros,
    /// Retries per request after a timeout or a 503 (each one more request on the backends).
    pub max_retries: u8,
    /// `nearest` leaves the datacenter when every local backend has this many in progress.
    pub spill_at: u32,
    /// Property: no backend's queue is longer than this.
    pub queue_bound: u32,
    /// Property: once every backend is healthy, the p99 latency of the last `slo_window_us` is
    /// under this.
    pub p99_target_us: Micros,
    pub slo_window_us: Micros,
}

impl Default for Params {
    /// Three clients at 12 requests a second on six backends that each serve 20 a second (one
    /// worker, 50 ms): the backends are busy about 30% of the time.
    fn default() -> Self {
        Params {
            strategy: Strategy::RoundRobin,
            rate_per_s: 12,
            service: Service::Exponential,
            service_us: 50 * MS,
            workers: 1,
            queue_limit: 30,
            health_checks: true,
            health_interval_us: 500 * MS,
            health_failures: 2,
            report_interval_us: SEC,
            request_timeout_us: 2 * SEC,
            max_retries: 1,
            spill_at: 2,
            queue_bound: 40,
            p99_target_us: SEC,
            slo_window_us: 5 * SEC,
        }
    }
}

/// Who does what: in every datacenter its first node is a client (the region's users), its
/// second a balancer, the others backends.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub clients: Vec<NodeId>,
    pub balancers: Vec<NodeId>,
    pub backends: Vec<NodeId>,
}

impl Layout {
    pub fn of(topology: &Topology) -> Result<Layout, String> {
        let mut layout = Layout { clients: Vec::new(), balancers: Vec::new(), backends: Vec::new() };
        for (dc, spec) in topology.datacenters.iter().enumerate() {
            let nodes: Vec<NodeId> = topology.nodes_in(dc as u16).collect();
            if nodes.len() < 3 {
                return Err(format!(
                    "topology: every datacenter needs a client, a balancer and a backend (3 nodes); {} has {}",
                    spec.name,
                    nodes.len()
                ));
            }
            layout.clients.push(nodes[0]);
            layout.balancers.push(nodes[1]);
            layout.backends.extend(&nodes[2..]);
        }
        if layout.backends.len() > MAX_BACKENDS {
            return Err(format!("topology: {} backends, at most {MAX_BACKENDS}", layout.backends.len()));
        }
        Ok(layout)
    }
    /// The backend's index in [`Layout::backends`] (the balancers' tables use it).
    pub fn backend_index(&self, node: NodeId) -> Option<usize> {
        self.backends.iter().position(|&b| b == node)
    }
}

/// Quantiles of the exponential distribution with mean 1,000, at the middle of 128 equal steps
/// of probability (mean 997): drawn from a table so that native and browser runs agree to the
/// microsecond without a logarithm.
const EXP_PER_MILLE: [u16; 128] = [
    4, 12, 20, 28, 36, 44, 52, 60, 69, 77, 86, 94, 103, 111, 120, 129, 138, 147, 156, 165, 175, 184, 193, 203, 212,
    222, 232, 242, 252, 262, 272, 282, 293, 303, 314, 325, 336, 347, 358, 369, 380, 392, 404, 415, 427, 439, 451, 464,
    476, 489, 502, 515, 528, 541, 555, 568, 582, 596, 611, 625, 640, 655, 670, 685, 701, 717, 733, 749, 766, 783, 800,
    818, 836, 854, 872, 891, 910, 930, 950, 970, 991, 1013, 1034, 1057, 1079, 1103, 1126, 1151, 1176, 1201, 1228, 1255,
    1282, 1311, 1340, 1371, 1402, 1434, 1468, 1502, 1538, 1575, 1613, 1653, 1695, 1739, 1784, 1832, 1882, 1934, 1990,
    2049, 2111, 2178, 2249, 2326, 2410, 2501, 2601, 2712, 2837, 2980, 3147, 3348, 3599, 3936, 4447, 5545,
];

fn exponential(ctx: &mut Ctx<'_, Balance>, mean_us: Micros) -> Micros {
    let q = EXP_PER_MILLE[ctx.random_below(128) as usize] as Micros;
    (mean_us * q / 1000).max(1)
}

// ---- state ----------------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Balance {
    Client(Client),
    Balancer(Balancer),
    Backend(Backend),
}

/// One region's users: requests at random times to the region's balancer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Client {
    pub balancer: NodeId,
    pub next_seq: u64,
    /// Requests waiting for an answer, oldest first.
    pub waiting: Vec<Waiting>,
    pub stats: ClientStats,
    /// Latencies of answered requests, oldest first (at most [`MAX_SAMPLES`]).
    pub samples: VecDeque<Sample>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Waiting {
    pub id: u64,
    pub attempt: u8,
    /// Local time of the first attempt (the latency a user sees counts from it).
    pub first_at: Micros,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ClientStats {
    /// Requests started.
    pub requests: u64,
    /// Attempts sent (requests plus retries).
    pub attempts: u64,
    pub answered: u64,
    /// Requests given up after their last attempt timed out or was turned away.
    pub failed: u64,
    pub retries: u64,
    /// Answers to an attempt the client had already given up on: work the backends did for
    /// nobody.
    pub late: u64,
    pub samples_dropped: u64,
}

/// An answered request: when (the client's local time) and how long it took.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Sample {
    pub at_us: Micros,
    pub latency_us: Micros,
    /// The backend that served it (an index in [`Layout::backends`]).
    pub backend: u16,
    /// Whether the client in-between gave up on an attempt and retried.
    pub retried: bool,
}

/// A balancer: in front of every backend, in one region.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Balancer {
    pub backends: Vec<NodeId>,
    /// Round robin's next index.
    pub next: usize,
    /// What this balancer believes of each backend.
    pub healthy: Vec<bool>,
    /// Each backend's unanswered pings in a row.
    pub missed: Vec<u8>,
    pub ping_seq: u64,
    /// Whether the current ping was answered, per backend.
    pub answered: Vec<bool>,
    /// This balancer's requests in progress at each backend.
    pub in_progress: Vec<u32>,
    /// Each backend's queue in its last load report, and when (local time) it came.
    pub reported: Vec<u32>,
    pub reported_at: Vec<Micros>,
    /// Requests sent to each backend.
    pub sent: Vec<u64>,
    /// Local time of the last request sent to each backend (`None`: never).
    pub last_sent: Vec<Option<Micros>>,
    /// Local time the balancer last woke from a pause (its timers were late until then).
    pub resumed_at: Micros,
    /// Requests turned away because no backend was healthy.
    pub unroutable: u64,
}

/// A backend: serves requests with `workers` at a time, queues the rest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backend {
    pub queue: VecDeque<Job>,
    /// What each worker serves (`None`: idle).
    pub busy: Vec<Option<Job>>,
    /// Service times are multiplied by this (1: healthy; more: a gray failure, slow but alive).
    pub slow: u32,
    pub served: u64,
    pub rejected: u64,
    pub max_queue: u32,
    /// Microseconds its workers spent serving (for utilization).
    pub busy_us: Micros,
    pub started_at: Micros,
    /// Its queue reached [`CROWDED`] since it last emptied (told once as a moment).
    pub crowded: bool,
    /// It turned a request away since its queue last fell below half its limit (told once).
    pub full: bool,
}

/// A queue this long is a story: requests arrive faster than the backend serves them.
pub const CROWDED: usize = 10;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Job {
    pub id: u64,
    pub attempt: u8,
    pub client: NodeId,
    pub balancer: NodeId,
    /// Local time it arrived, and (once a worker has it) when it started.
    pub arrived_at: Micros,
    pub started_at: Micros,
}

impl Backend {
    pub fn in_progress(&self) -> usize {
        self.busy.iter().filter(|j| j.is_some()).count()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// Client → balancer.
    Request {
        id: u64,
        attempt: u8,
    },
    /// Balancer → backend.
    Forward {
        id: u64,
        attempt: u8,
        client: NodeId,
    },
    /// Backend → balancer: served, or turned away (`ok` false: 503, queue full).
    Done {
        id: u64,
        attempt: u8,
        client: NodeId,
        ok: bool,
    },
    /// Balancer → client.
    Reply {
        id: u64,
        attempt: u8,
        ok: bool,
        backend: u16,
    },
    /// Health check and its answer.
    Ping {
        seq: u64,
    },
    Pong {
        seq: u64,
    },
    /// Backend → every balancer: its queue now.
    Load {
        queue: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Timer {
    /// A client's next request.
    Arrival,
    /// A client gives up on an attempt.
    Timeout { id: u64, attempt: u8 },
    /// A balancer's health checks.
    HealthCheck,
    /// A backend's worker finishes.
    Served { worker: u8 },
    /// A backend's load report.
    Report,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// A backend turns slow: its service takes `factor` times as long, while it still answers
    /// health checks at once (a gray failure).
    Slow { factor: u32 },
    /// A slow backend is healthy again.
    Recover,
    /// A client sends one request now.
    Send,
}

pub const MAX_SLOW: u32 = 100;

fn name(ctx: &Ctx<'_, Balance>, node: NodeId) -> String {
    ctx.topology.nodes[node as usize].name.clone()
}

fn layout(ctx: &Ctx<'_, Balance>) -> Layout {
    Layout::of(ctx.topology).expect("validated layout")
}

// ---- the client -----------------------------------------------------------------------------

impl Client {
    fn send(&mut self, ctx: &mut Ctx<'_, Balance>, id: u64, attempt: u8) {
        self.stats.attempts += 1;
        ctx.send(self.balancer, Msg::Request { id, attempt });
        ctx.set_timer(Timer::Timeout { id, attempt }, ctx.params.request_timeout_us);
    }

    fn start(&mut self, ctx: &mut Ctx<'_, Balance>) {
        let id = (ctx.id as u64) << 40 | self.next_seq;
        self.next_seq += 1;
        self.stats.requests += 1;
        self.waiting.push(Waiting { id, attempt: 0, first_at: ctx.now });
        self.send(ctx, id, 0);
    }

    /// Retries `id` if it has retries left, or fails it. Either way the current attempt is over.
    fn retry_or_fail(&mut self, ctx: &mut Ctx<'_, Balance>, id: u64, why: &str) {
        let Some(i) = self.waiting.iter().position(|w| w.id == id) else { return };
        if self.waiting[i].attempt < ctx.params.max_retries {
            self.waiting[i].attempt += 1;
            let attempt = self.waiting[i].attempt;
            self.stats.retries += 1;
            ctx.note(format!("retries request {} ({why}): attempt {}", short(id), attempt + 1));
            self.send(ctx, id, attempt);
        } else {
            self.waiting.remove(i);
            self.stats.failed += 1;
            ctx.note(format!("gives up on request {} ({why})", short(id)));
        }
    }

    fn on_reply(&mut self, ctx: &mut Ctx<'_, Balance>, id: u64, attempt: u8, ok: bool, backend: u16) {
        let current = self.waiting.iter().position(|w| w.id == id && w.attempt == attempt);
        let Some(i) = current else {
            self.stats.late += 1;
            return;
        };
        ctx.cancel_timer(Timer::Timeout { id, attempt });
        if !ok {
            self.retry_or_fail(ctx, id, "turned away");
            return;
        }
        let w = self.waiting.remove(i);
        self.stats.answered += 1;
        if self.samples.len() == MAX_SAMPLES {
            self.samples.pop_front();
            self.stats.samples_dropped += 1;
        }
        let latency_us = ctx.now.saturating_sub(w.first_at);
        self.samples.push_back(Sample { at_us: ctx.now, latency_us, backend, retried: w.attempt > 0 });
    }
}

/// A request id for people: the client's node and its count (`n0#12`).
pub fn short(id: u64) -> String {
    format!("n{}#{}", id >> 40, id & ((1 << 40) - 1))
}

// ---- the balancer ---------------------------------------------------------------------------

impl Balancer {
    fn new(backends: Vec<NodeId>, now: Micros) -> Balancer {
        let n = backends.len();
        Balancer {
            backends,
            next: 0,
            healthy: vec![true; n],
            missed: vec![0; n],
            ping_seq: 0,
            answered: vec![true; n],
            in_progress: vec![0; n],
            reported: vec![0; n],
            reported_at: vec![0; n],
            sent: vec![0; n],
            last_sent: vec![None; n],
            resumed_at: now,
            unroutable: 0,
        }
    }

    fn healthy_indices(&self) -> Vec<usize> {
        (0..self.backends.len()).filter(|&i| self.healthy[i]).collect()
    }

    /// The backend (an index) for the next request, or `None` when none is healthy.
    fn pick(&mut self, ctx: &mut Ctx<'_, Balance>) -> Option<usize> {
        let healthy = self.healthy_indices();
        if healthy.is_empty() {
            return None;
        }
        let fewest = |candidates: &[usize], of: &[u32]| candidates.iter().copied().min_by_key(|&i| (of[i], i));
        Some(match ctx.params.strategy {
            Strategy::RoundRobin => {
                let n = self.backends.len();
                let pick = (0..n).map(|k| (self.next + k) % n).find(|&i| self.healthy[i]).expect("one is healthy");
                self.next = (pick + 1) % n;
                pick
            }
            Strategy::Random => healthy[ctx.random_below(healthy.len() as u64) as usize],
            Strategy::LeastConnections => {
                // Ties go to a random one of the least busy, or the first would take every
                // request at low load.
                let least = healthy.iter().map(|&i| self.in_progress[i]).min().expect("one is healthy");
                let tied: Vec<usize> = healthy.iter().copied().filter(|&i| self.in_progress[i] == least).collect();
                tied[ctx.random_below(tied.len() as u64) as usize]
            }
            Strategy::PowerOfTwo => {
                let a = healthy[ctx.random_below(healthy.len() as u64) as usize];
                let b = healthy[ctx.random_below(healthy.len() as u64) as usize];
                if self.in_progress[b] < self.in_progress[a] {
                    b
                } else {
                    a
                }
            }
            // Every balancer reads the same reports, and the lowest index wins a tie: they all
            // pick the same backend until the next report.
            Strategy::LeastLoaded => fewest(&healthy, &self.reported).expect("one is healthy"),
            Strategy::Nearest => {
                let here = ctx.topology.dc_of(ctx.id);
                let dc_of = |i: usize| ctx.topology.dc_of(self.backends[i]);
                let local: Vec<usize> = healthy.iter().copied().filter(|&i| dc_of(i) == here).collect();
                match fewest(&local, &self.in_progress) {
                    Some(i) if self.in_progress[i] < ctx.params.spill_at => i,
                    best_local => {
                        // Spill over: the nearest datacenter with a backend below the mark,
                        // else the least busy backend anywhere.
                        let away: Vec<usize> = healthy
                            .iter()
                            .copied()
                            .filter(|&i| dc_of(i) != here && self.in_progress[i] < ctx.params.spill_at)
                            .collect();
                        let nearest = away
                            .iter()
                            .copied()
                            .min_by_key(|&i| (ctx.topology.link(here, dc_of(i)).latency_us, self.in_progress[i], i));
                        nearest.or(best_local).or_else(|| fewest(&healthy, &self.in_progress)).expect("one is healthy")
                    }
                }
            }
        })
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Balance>, from: NodeId, id: u64, attempt: u8) {
        let Some(i) = self.pick(ctx) else {
            self.unroutable += 1;
            ctx.note(format!("has no healthy backend for request {}: 503", short(id)));
            ctx.send(from, Msg::Reply { id, attempt, ok: false, backend: u16::MAX });
            return;
        };
        self.in_progress[i] += 1;
        self.sent[i] += 1;
        self.last_sent[i] = Some(ctx.now);
        ctx.send(self.backends[i], Msg::Forward { id, attempt, client: from });
    }

    fn on_done(&mut self, ctx: &mut Ctx<'_, Balance>, from: NodeId, id: u64, attempt: u8, client: NodeId, ok: bool) {
        let Some(i) = self.backends.iter().position(|&b| b == from) else { return };
        self.in_progress[i] = self.in_progress[i].saturating_sub(1);
        ctx.send(client, Msg::Reply { id, attempt, ok, backend: i as u16 });
    }

    fn on_health_check(&mut self, ctx: &mut Ctx<'_, Balance>) {
        for i in 0..self.backends.len() {
            if self.answered[i] {
                continue;
            }
            self.missed[i] = self.missed[i].saturating_add(1);
            if self.healthy[i] && self.missed[i] >= ctx.params.health_failures {
                self.healthy[i] = false;
                // Its requests in progress will not be answered; they no longer count.
                self.in_progress[i] = 0;
                let who = name(ctx, self.backends[i]);
                ctx.moment(format!("marks {who} down ({} health checks unanswered)", self.missed[i]));
            }
        }
        self.ping_seq += 1;
        let seq = self.ping_seq;
        for i in 0..self.backends.len() {
            self.answered[i] = false;
            ctx.send(self.backends[i], Msg::Ping { seq });
        }
        ctx.set_timer(Timer::HealthCheck, ctx.params.health_interval_us);
    }

    fn on_pong(&mut self, ctx: &mut Ctx<'_, Balance>, from: NodeId, seq: u64) {
        let Some(i) = self.backends.iter().position(|&b| b == from) else { return };
        if seq != self.ping_seq {
            return;
        }
        self.answered[i] = true;
        self.missed[i] = 0;
        if !self.healthy[i] {
            self.healthy[i] = true;
            self.in_progress[i] = 0;
            let who = name(ctx, from);
            ctx.moment(format!("marks {who} up again (it answered a health check)"));
        }
    }
}

// ---- the backend ----------------------------------------------------------------------------

impl Backend {
    fn service_time(&self, ctx: &mut Ctx<'_, Balance>) -> Micros {
        let mean = ctx.params.service_us * self.slow as Micros;
        match ctx.params.service {
            Service::Fixed => mean,
            Service::Exponential => exponential(ctx, mean),
            Service::Bimodal => {
                if ctx.random_below(10) == 0 {
                    mean * 11 / 2
                } else {
                    (mean / 2).max(1)
                }
            }
        }
    }

    fn begin(&mut self, ctx: &mut Ctx<'_, Balance>, worker: usize, mut job: Job) {
        job.started_at = ctx.now;
        let took = self.service_time(ctx);
        self.busy[worker] = Some(job);
        ctx.set_timer(Timer::Served { worker: worker as u8 }, took);
    }

    fn on_forward(&mut self, ctx: &mut Ctx<'_, Balance>, from: NodeId, id: u64, attempt: u8, client: NodeId) {
        let job = Job { id, attempt, client, balancer: from, arrived_at: ctx.now, started_at: 0 };
        if let Some(w) = self.busy.iter().position(Option::is_none) {
            self.begin(ctx, w, job);
            return;
        }
        let limit = ctx.params.queue_limit;
        if limit > 0 && self.queue.len() as u32 >= limit {
            self.rejected += 1;
            if !self.full {
                self.full = true;
                ctx.moment(format!("turns requests away: its queue is full ({limit})"));
            }
            ctx.send(from, Msg::Done { id, attempt, client, ok: false });
            return;
        }
        self.queue.push_back(job);
        self.max_queue = self.max_queue.max(self.queue.len() as u32);
        if self.queue.len() == CROWDED && !self.crowded {
            self.crowded = true;
            ctx.moment(format!("has {CROWDED} requests queued: they arrive faster than it serves them"));
        }
    }

    fn on_served(&mut self, ctx: &mut Ctx<'_, Balance>, worker: u8) {
        let w = worker as usize;
        let Some(job) = self.busy.get_mut(w).and_then(Option::take) else { return };
        self.served += 1;
        self.busy_us += ctx.now.saturating_sub(job.started_at);
        ctx.send(job.balancer, Msg::Done { id: job.id, attempt: job.attempt, client: job.client, ok: true });
        if let Some(next) = self.queue.pop_front() {
            self.begin(ctx, w, next);
        }
        if self.queue.is_empty() {
            self.crowded = false;
        }
        if (self.queue.len() as u32) < ctx.params.queue_limit / 2 {
            self.full = false;
        }
    }
}

// ---- the protocol ---------------------------------------------------------------------------

impl Protocol for Balance {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = ();
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        let layout = Layout::of(topology)?;
        crate::check_durations(&[
            ("service_us", params.service_us),
            ("health_interval_us", params.health_interval_us),
            ("report_interval_us", params.report_interval_us),
            ("request_timeout_us", params.request_timeout_us),
            ("p99_target_us", params.p99_target_us),
            ("slo_window_us", params.slo_window_us),
        ])?;
        if params.rate_per_s == 0 || params.rate_per_s > 1_000 {
            return Err(format!("rate_per_s is {}; it must be 1 to 1000 requests a second", params.rate_per_s));
        }
        if params.workers == 0 || params.workers > 16 {
            return Err(format!("workers is {}; it must be 1 to 16", params.workers));
        }
        if params.health_failures == 0 || params.health_failures > 10 {
            return Err(format!("health_failures is {}; it must be 1 to 10", params.health_failures));
        }
        if params.max_retries > 5 {
            return Err(format!("max_retries is {}; at most 5", params.max_retries));
        }
        if params.spill_at == 0 {
            return Err("spill_at must be at least 1".into());
        }
        if params.queue_bound == 0 {
            return Err("queue_bound must be at least 1".into());
        }
        let rtt = 2 * topology.max_one_way_us();
        if params.health_checks && params.health_interval_us <= rtt {
            return Err(format!(
                "health_interval_us ({} µs) must be longer than the longest round trip ({rtt} µs), or every ping times out",
                params.health_interval_us
            ));
        }
        // Four messages per request, plus pings, pongs and reports.
        let clients = layout.clients.len();
        caucus_sim::limits::check_rate("rate_per_s", SEC / params.rate_per_s as Micros, 4 * clients, topology)?;
        let pairs = layout.balancers.len() * layout.backends.len();
        caucus_sim::limits::check_rate("health_interval_us", params.health_interval_us, 2 * pairs, topology)?;
        caucus_sim::limits::check_rate("report_interval_us", params.report_interval_us, pairs, topology)
    }

    fn init(ctx: &mut Ctx<'_, Self>, _durable: Option<()>) -> Self {
        let layout = layout(ctx);
        let me = ctx.id;
        if layout.clients.contains(&me) {
            let dc = ctx.topology.dc_of(me);
            let balancer = layout.balancers[dc as usize];
            let first = exponential(ctx, SEC / ctx.params.rate_per_s as Micros);
            ctx.set_timer(Timer::Arrival, first);
            Balance::Client(Client {
                balancer,
                next_seq: 0,
                waiting: Vec::new(),
                stats: ClientStats::default(),
                samples: VecDeque::new(),
            })
        } else if layout.balancers.contains(&me) {
            if ctx.params.health_checks {
                let phase = ctx.random_between(1, ctx.params.health_interval_us);
                ctx.set_timer(Timer::HealthCheck, phase);
            }
            Balance::Balancer(Balancer::new(layout.backends, ctx.now))
        } else {
            let phase = ctx.random_between(1, ctx.params.report_interval_us);
            ctx.set_timer(Timer::Report, phase);
            Balance::Backend(Backend {
                queue: VecDeque::new(),
                busy: vec![None; ctx.params.workers as usize],
                slow: 1,
                served: 0,
                rejected: 0,
                max_queue: 0,
                busy_us: 0,
                started_at: ctx.now,
                crowded: false,
                full: false,
            })
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match (self, msg) {
            (Balance::Balancer(b), Msg::Request { id, attempt }) => b.on_request(ctx, from, id, attempt),
            (Balance::Balancer(b), Msg::Done { id, attempt, client, ok }) => {
                b.on_done(ctx, from, id, attempt, client, ok)
            }
            (Balance::Balancer(b), Msg::Pong { seq }) => b.on_pong(ctx, from, seq),
            (Balance::Balancer(b), Msg::Load { queue }) => {
                if let Some(i) = b.backends.iter().position(|&x| x == from) {
                    b.reported[i] = queue;
                    b.reported_at[i] = ctx.now;
                }
            }
            (Balance::Backend(s), Msg::Forward { id, attempt, client }) => s.on_forward(ctx, from, id, attempt, client),
            (Balance::Backend(_), Msg::Ping { seq }) => ctx.send(from, Msg::Pong { seq }),
            (Balance::Client(c), Msg::Reply { id, attempt, ok, backend }) => c.on_reply(ctx, id, attempt, ok, backend),
            _ => {}
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match (self, timer) {
            (Balance::Client(c), Timer::Arrival) => {
                c.start(ctx);
                let gap = exponential(ctx, SEC / ctx.params.rate_per_s as Micros);
                ctx.set_timer(Timer::Arrival, gap);
            }
            (Balance::Client(c), Timer::Timeout { id, attempt }) => {
                if c.waiting.iter().any(|w| w.id == id && w.attempt == attempt) {
                    c.retry_or_fail(ctx, id, "timed out");
                }
            }
            (Balance::Balancer(b), Timer::HealthCheck) => b.on_health_check(ctx),
            (Balance::Backend(s), Timer::Served { worker }) => s.on_served(ctx, worker),
            (Balance::Backend(s), Timer::Report) => {
                let queue = s.queue.len() as u32;
                for b in layout(ctx).balancers {
                    ctx.send(b, Msg::Load { queue });
                }
                ctx.set_timer(Timer::Report, ctx.params.report_interval_us);
            }
            _ => {}
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        match (self, request) {
            (Balance::Backend(_), Request::Slow { factor }) if !(2..=MAX_SLOW).contains(&factor) => {
                ctx.note(format!("ignores slow factor {factor}: it must be 2 to {MAX_SLOW}"));
            }
            (Balance::Backend(s), Request::Slow { factor }) => {
                s.slow = factor;
                ctx.moment(format!(
                    "turns slow: it serves {factor} times slower, yet still answers health checks at once (a gray failure)"
                ));
            }
            (Balance::Backend(s), Request::Recover) => {
                if s.slow > 1 {
                    s.slow = 1;
                    ctx.moment("is fast again");
                }
            }
            (Balance::Client(c), Request::Send) => c.start(ctx),
            (_, r) => ctx.note(format!("ignores {r:?}: it is not for this node")),
        }
    }

    fn on_resume(&mut self, ctx: &mut Ctx<'_, Self>) {
        if let Balance::Balancer(b) = self {
            b.resumed_at = ctx.now;
        }
    }

    fn durable(&self) {}

    fn roles() -> &'static [caucus_sim::Role] {
        use caucus_sim::Role;
        const ROLES: &[caucus_sim::Role] = &[
            Role::new("client", "a client"),
            Role::new("balancer", "a balancer"),
            Role::new("backend", "a backend"),
            Role::new("busiest", "the busiest backend"),
        ];
        ROLES
    }

    fn has_role(&self, role: &str, _arg: &str) -> bool {
        matches!(
            (self, role),
            (Balance::Client(_), "client") | (Balance::Balancer(_), "balancer") | (Balance::Backend(_), "backend")
        )
    }

    fn with_role(view: &View<'_, Self>, role: &str, arg: &str) -> Vec<NodeId> {
        if role != "busiest" {
            return view.up().filter(|(_, p)| p.has_role(role, arg)).map(|(i, _)| i).collect();
        }
        let mut backends: Vec<(NodeId, usize)> = view
            .up()
            .filter_map(|(i, p)| match p {
                Balance::Backend(b) => Some((i, b.queue.len() + b.in_progress())),
                _ => None,
            })
            .collect();
        backends.sort_by_key(|&(i, load)| (std::cmp::Reverse(load), i));
        backends.into_iter().map(|(i, _)| i).collect()
    }

    fn role(&self) -> String {
        match self {
            Balance::Client(_) => "client".into(),
            Balance::Balancer(_) => "balancer".into(),
            Balance::Backend(b) if b.slow > 1 => "slow backend".into(),
            Balance::Backend(_) => "backend".into(),
        }
    }

    fn badge(&self) -> String {
        match self {
            Balance::Client(c) => format!("{} waiting", c.waiting.len()),
            Balance::Balancer(b) => match b.healthy.iter().filter(|h| !**h).count() {
                0 => "all up".into(),
                n => format!("{n} down"),
            },
            Balance::Backend(b) => format!("queue {}", b.queue.len()),
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Request { id, attempt: 0 } | Msg::Forward { id, attempt: 0, .. } => short(*id),
            Msg::Request { id, attempt } | Msg::Forward { id, attempt, .. } => {
                format!("{} retry {attempt}", short(*id))
            }
            Msg::Done { ok: true, .. } | Msg::Reply { ok: true, .. } => "200".into(),
            Msg::Done { .. } | Msg::Reply { .. } => "503".into(),
            Msg::Ping { .. } => "ping".into(),
            Msg::Pong { .. } => "pong".into(),
            Msg::Load { queue } => format!("load {queue}"),
        }
    }

    fn timer_label(timer: &Timer) -> String {
        match timer {
            Timer::Arrival => "next request".into(),
            Timer::Timeout { id, .. } => format!("timeout of {}", short(*id)),
            Timer::HealthCheck => "health check".into(),
            Timer::Served { worker } => format!("worker {worker} done"),
            Timer::Report => "load report".into(),
        }
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::HealthCheck => Some("next health check"),
            _ => None,
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "No request to a dead backend",
                kind: PropertyKind::Safety,
                description: "A balancer sends no request to a backend that has been down or cut off longer than its health checks need to notice (a few check intervals).",
                check: no_request_to_dead_backend,
            },
            Property {
                name: "Bounded queues",
                kind: PropertyKind::Safety,
                description: "No backend queues more requests than queue_bound.",
                check: bounded_queues,
            },
            Property {
                name: "p99 under target once healthy",
                kind: PropertyKind::Liveness,
                description: "Once every backend is healthy again, 99% of all clients' requests of the last few seconds (pooled) are answered within the target.",
                check: p99_under_target,
            },
        ]
    }
}

// ---- properties -----------------------------------------------------------------------------

/// How long after a backend dies a balancer may still send it requests: the checks missed before
/// it is marked down, one more interval for the ping in flight, and the round trip.
pub fn detection_window(params: &Params, topology: &Topology) -> Micros {
    (params.health_failures as Micros + 2) * params.health_interval_us + 2 * topology.max_one_way_us()
}

fn no_request_to_dead_backend(view: &View<'_, Balance>) -> Result<(), Failure> {
    let Some(i) = view.stepped_node() else { return Ok(()) };
    let Some(Balance::Balancer(b)) = view.state(i) else { return Ok(()) };
    let local_now = view.clock(i).local(view.now());
    let window = detection_window(view.params(), view.topology());
    for (k, &backend) in b.backends.iter().enumerate() {
        if b.last_sent[k] != Some(local_now) {
            continue;
        }
        let dead = view.status(backend) == Status::Crashed;
        if !dead && !view.is_cut(i, backend) && !view.is_cut(backend, i) {
            continue;
        }
        // The window counts on the balancer's own clock (a clock set back delays its checks) and
        // from its last pause (its checks were late while it slept).
        let since_failure = match view.real_time_of(i, local_now.saturating_sub(window), true) {
            Some(real) => real >= view.last_failure(i, backend),
            None => false,
        };
        let awake = local_now.saturating_sub(b.resumed_at) > window;
        if since_failure && awake {
            let what = if dead { "has been down" } else { "has been cut off from it" };
            let checks = if view.params().health_checks {
                "its health checks should have marked it down"
            } else {
                "it does not check its backends' health"
            };
            return Err(Failure::new(format!(
                "{} sent a request to {}, which {what} for more than {}: {checks}.",
                view.name(i),
                view.name(backend),
                caucus_sim::format_micros(window)
            ))
            .nodes([i, backend]));
        }
    }
    Ok(())
}

fn bounded_queues(view: &View<'_, Balance>) -> Result<(), Failure> {
    let bound = view.params().queue_bound as usize;
    let nodes: Vec<NodeId> = match view.stepped_node() {
        Some(i) => vec![i],
        None => view.node_ids().collect(),
    };
    for i in nodes {
        if let Some(Balance::Backend(b)) = view.state(i) {
            if b.queue.len() > bound {
                return Err(Failure::new(format!(
                    "{} queues {} requests, over the bound of {bound}: it takes more than it can serve.",
                    view.name(i),
                    b.queue.len()
                ))
                .nodes([i]));
            }
        }
    }
    Ok(())
}

/// The `per_mille`-th quantile of `values` (sorted in place), or `None` when it is empty.
pub fn quantile(values: &mut [Micros], per_mille: usize) -> Option<Micros> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = (values.len() * per_mille).div_ceil(1000).max(1);
    Some(values[rank - 1])
}

/// Samples a p99 needs before it says anything.
pub const MIN_SAMPLES: usize = 50;

fn p99_under_target(view: &View<'_, Balance>) -> Result<(), Failure> {
    let p = view.params();
    if view.up().any(|(_, s)| matches!(s, Balance::Backend(b) if b.slow > 1)) {
        return Ok(());
    }
    // Every client's answers over the window (each by its own clock: they drift by milliseconds
    // at most), pooled: one client's dozen requests a second are too few for a p99.
    let mut recent = Vec::new();
    let mut clients = Vec::new();
    for (i, s) in view.up() {
        let Balance::Client(c) = s else { continue };
        clients.push(i);
        let local_now = view.clock(i).local(view.now());
        let since = local_now.saturating_sub(p.slo_window_us);
        recent.extend(c.samples.iter().filter(|s| s.at_us >= since).map(|s| s.latency_us));
        // A request still waiting longer than the target counts as over it.
        recent.extend(
            c.waiting.iter().map(|w| local_now.saturating_sub(w.first_at)).filter(|&waited| waited > p.p99_target_us),
        );
    }
    if recent.len() < MIN_SAMPLES {
        return Ok(());
    }
    let p99 = quantile(&mut recent, 990).expect("not empty");
    if p99 > p.p99_target_us {
        return Err(Failure::new(format!(
            "The p99 latency of the {} requests of the last {} (answered, or waiting past the target) is {}, over the target of {}.",
            recent.len(),
            caucus_sim::format_micros(p.slo_window_us),
            caucus_sim::format_micros(p99),
            caucus_sim::format_micros(p.p99_target_us)
        ))
        .nodes(clients));
    }
    Ok(())
}

// ---- scenarios ------------------------------------------------------------------------------

/// Twelve nodes, four per region: in us-east-1 the client n0, the balancer n1 and backends n2 n3;
/// eu-west-1 n4, n5, n6 n7; ap-southeast-1 n8, n9, n10 n11.
pub fn topology() -> TopologySpec {
    TopologySpec::preset("three-regions", 4)
}

/// How long each built-in scenario runs: long enough for a slow backend's queue to grow and for
/// a few load reports.
pub const RUN_US: Micros = 15 * SEC;

fn with(mut s: Scenario, params: serde_json::Value) -> Scenario {
    s.protocol.params = params;
    s.until_us = RUN_US;
    s
}

/// The built-in scenarios of this protocol.
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at, scenario};
    use caucus_sim::Input;
    use serde_json::json;
    let slow = |node: NodeId, factor: u32| Input::Request { node, request: json!({"slow": {"factor": factor}}) };
    let one = |name: &str, text: &str, params: serde_json::Value, script| {
        with(scenario(name, text, NAME, topology(), script), params)
    };
    vec![
        one(
            "balance",
            "Clients in three regions send 12 requests a second each through their region's balancer, which spreads them round robin over six backends in all three regions. Nothing fails: every request is answered, each backend serves about a sixth, and a request sent to another region pays its round trip.",
            json!({"strategy": "round_robin"}),
            vec![],
        ),
        one(
            "balance-nearest",
            "The same load, but each balancer sends to the least busy backend of its own region and spills over to the nearest other region only when both local backends are busy: most requests never cross an ocean, and the median latency falls to a fraction of round robin's.",
            json!({"strategy": "nearest"}),
            vec![],
        ),
        one(
            "balance-backend-crash",
            "Backend n6 in eu-west-1 crashes at 3 s and restarts at 7 s. Each balancer marks it down after two unanswered health checks, within about 1.5 s, and sends it nothing more; the requests it held time out and are retried elsewhere. When it answers a check again it is marked up and gets its share back.",
            json!({"strategy": "round_robin"}),
            vec![at(3.0, Input::Crash { node: 6 }), at(7.0, Input::Restart { node: 6 })],
        ),
        one(
            "balance-no-health-checks",
            "The same crash of n6 at 3 s, but the balancers do not check their backends' health: round robin keeps sending n6 a sixth of the requests, every one of them times out, and the property No request to a dead backend fails.",
            json!({"strategy": "round_robin", "health_checks": false}),
            vec![at(3.0, Input::Crash { node: 6 })],
        ),
        one(
            "balance-gray-failure",
            "At 2 s backend n3 turns ten times slower but still answers every health check at once (a gray failure). Round robin keeps giving it a sixth of the requests: its queue grows, and those requests wait seconds while the median hardly moves.",
            json!({"strategy": "round_robin"}),
            vec![at(2.0, slow(3, 10))],
        ),
        one(
            "balance-gray-failure-least-connections",
            "The same gray failure of n3 at 2 s under least connections: each balancer sees n3's requests pile up and sends it new ones only when it has no more in progress there than elsewhere, so n3 gets a far smaller share than under round robin.",
            json!({"strategy": "least_connections"}),
            vec![at(2.0, slow(3, 10))],
        ),
        one(
            "balance-stale-load",
            "Balancers send every request to the backend whose last load report (every two seconds) showed the shortest queue. Between two reports they all pick the same one: a herd that floods one backend at a time while the others idle, and the p99 latency misses its target.",
            json!({"strategy": "least_loaded", "report_interval_us": 2_000_000}),
            vec![],
        ),
        one(
            "balance-power-of-two",
            "The same load under the power of two choices: each balancer draws two backends at random and sends to the one with fewer of its requests in progress. No herd: the longest queue stays short and the p99 meets its target.",
            json!({"strategy": "power_of_two"}),
            vec![],
        ),
        one(
            "balance-retry-storm",
            "Backend n3 turns twenty times slower at 2 s; its queue has no limit, clients give up after 500 ms and retry twice. Its queue grows past the bound with requests nobody waits for any more: every retry is more work, and Bounded queues fails.",
            json!({"strategy": "round_robin", "queue_limit": 0, "request_timeout_us": 500_000, "max_retries": 2}),
            vec![at(2.0, slow(3, 20))],
        ),
    ]
}

// ---- comparing strategies -------------------------------------------------------------------

/// One strategy's figures after an untraced run of a scenario: what the comparison table shows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub strategy: Strategy,
    pub requests: u64,
    pub answered: u64,
    pub failed: u64,
    /// Attempts per request, in percent (100: no retries).
    pub amplification_percent: u64,
    /// Answers nobody waited for any more.
    pub late: u64,
    pub p50_us: Micros,
    pub p99_us: Micros,
    /// The longest queue any backend had.
    pub max_queue: u32,
    pub rejected: u64,
    /// Requests served by each backend, in backend order.
    pub served: Vec<u64>,
    /// Requests the balancers sent each backend.
    pub sent: Vec<u64>,
    /// The first property that failed, if one did.
    pub violation: Option<String>,
}

/// Runs `scenario` with `seed` under `strategy` (its script included) to its end without a trace.
pub fn summarize(scenario: &Scenario, seed: u64, strategy: Strategy) -> Result<Summary, caucus_sim::ScenarioError> {
    use caucus_sim::trace::Trace;
    let topology = scenario.validate()?;
    let mut params = caucus_sim::run::params_of::<Balance>(scenario, &topology)?;
    params.strategy = strategy;
    let mut sim: caucus_sim::Sim<Balance> = caucus_sim::Sim::new(topology, params, seed, scenario.script.clone());
    let mut quiet = Trace::<Balance> { muted: true, ..Default::default() };
    let mut violation = None;
    while sim
        .step_until(scenario.until_us, &mut quiet)
        .map_err(|e| caucus_sim::ScenarioError::new("", format!("the run stopped: {e}")))?
        .is_some()
    {
        if violation.is_none() {
            if let Some((k, _)) = sim.check(PropertyKind::Safety).first() {
                violation = Some(sim.properties()[*k].name.to_string());
            }
        }
    }
    if violation.is_none() {
        if let Some((k, _)) = sim.check(PropertyKind::Liveness).first() {
            violation = Some(sim.properties()[*k].name.to_string());
        }
    }
    Ok(summary_of(&View::of(&sim), strategy, violation))
}

/// Sums up the world in `view` (the comparison table, and the panel at the cursor).
pub fn summary_of(view: &View<'_, Balance>, strategy: Strategy, violation: Option<String>) -> Summary {
    let layout = Layout::of(view.topology()).expect("validated layout");
    let mut s = Summary {
        strategy,
        requests: 0,
        answered: 0,
        failed: 0,
        amplification_percent: 100,
        late: 0,
        p50_us: 0,
        p99_us: 0,
        max_queue: 0,
        rejected: 0,
        served: vec![0; layout.backends.len()],
        sent: vec![0; layout.backends.len()],
        violation,
    };
    let mut latencies = Vec::new();
    let mut attempts = 0;
    for &c in &layout.clients {
        if let Some(Balance::Client(c)) = view.state(c) {
            s.requests += c.stats.requests;
            s.answered += c.stats.answered;
            s.failed += c.stats.failed;
            s.late += c.stats.late;
            attempts += c.stats.attempts;
            latencies.extend(c.samples.iter().map(|x| x.latency_us));
        }
    }
    s.amplification_percent = (attempts * 100).checked_div(s.requests).unwrap_or(100);
    s.p50_us = quantile(&mut latencies, 500).unwrap_or(0);
    s.p99_us = quantile(&mut latencies, 990).unwrap_or(0);
    for &b in &layout.balancers {
        if let Some(Balance::Balancer(b)) = view.state(b) {
            for (total, sent) in s.sent.iter_mut().zip(&b.sent) {
                *total += sent;
            }
        }
    }
    for (k, &b) in layout.backends.iter().enumerate() {
        if let Some(Balance::Backend(b)) = view.state(b) {
            s.served[k] = b.served;
            s.max_queue = s.max_queue.max(b.max_queue);
            s.rejected += b.rejected;
        }
    }
    s
}
