//! The exhaustive checker ([`caucus_sim::explore`]) for any protocol whose state can be checked,
//! with a report that does not name the protocol's types: what `caucus check` prints and, later,
//! what the browser's worker posts.

#[cfg(feature = "raft")]
use crate::raft;
#[cfg(feature = "paxos")]
use crate::{bully, paxos};
use crate::{commit, lock, two_phase};
use caucus_sim::explore::{Bounds, Explorer, Network, Progress};
use caucus_sim::{NodeId, PropertyKind, Protocol, Scenario, ScenarioError, SCENARIO_VERSION};
use serde::{Deserialize, Serialize};
use std::hash::Hash;

/// The protocols the checker can explore: their states, messages and timers hash and compare,
/// and their decisions depend on timers, not on reading the clock (the lock service's lease ends
/// when its timer fires; its clients' reading of the clock only sets how long timers last).
pub const CHECKABLE: &[&str] = &[two_phase::NAME, commit::NAME, "bully", "paxos", "raft", lock::NAME];

/// A check's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub scenario: String,
    pub nodes: usize,
    /// The bounds in words.
    pub bounds: String,
    pub progress: Progress,
    /// Every state within the bounds was seen.
    pub complete: bool,
    /// The properties checked: safety in every state, liveness as "can still reach a good state".
    pub properties: Vec<(String, PropertyKind)>,
    /// What the checker changed about the protocol's properties for these bounds, and why.
    pub notes: Vec<String>,
    pub found: Option<Finding>,
}

/// A property that fails, with a shortest path to a state that shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub property: String,
    pub kind: PropertyKind,
    pub explanation: String,
    pub nodes: Vec<NodeId>,
    pub path: Vec<PathStep>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathStep {
    /// The event in words (`n1 receives Prepare from n0`).
    pub event: String,
    /// What the handlers noted, `n1: votes yes`.
    pub notes: Vec<String>,
}

/// The scenario of Gray and Lamport's TwoPhase with `rms` resource managers.
pub fn two_phase_scenario(rms: u16) -> Scenario {
    let mut s = crate::scenario(
        two_phase::NAME,
        "Gray and Lamport's TwoPhase specification: a transaction manager (n0) and resource managers, with the spec's set of messages.",
        two_phase::NAME,
        caucus_sim::TopologySpec::placed("one-datacenter", &[rms.saturating_add(1)]),
        vec![],
    );
    s.version = SCENARIO_VERSION;
    s
}

/// `scenario` on `nodes` nodes in one datacenter: the small configuration a check explores
/// (distances do not matter to it, every interleaving is tried). Its script is dropped: the checker
/// does not play it. Its description says so: the original one tells of its own nodes and
/// script, which this is not.
pub fn on_nodes(scenario: &Scenario, nodes: u16) -> Scenario {
    Scenario {
        description: format!(
            "{} on {nodes} node{} in one datacenter, as the exhaustive checker explores it: every interleaving of its events, no script.",
            scenario.name,
            if nodes == 1 { "" } else { "s" }
        ),
        topology: caucus_sim::TopologySpec::placed("one-datacenter", &[nodes]),
        script: Vec::new(),
        ..scenario.clone()
    }
}

/// The network a protocol is checked on unless told otherwise: a set of messages for the TwoPhase
/// model (as the spec has it) and for commit, whose retries resend the very same messages (as a
/// multiset every retry would be a new state, and the space would never end); a multiset (each
/// message delivered at most once) for the rest.
pub fn default_network(protocol: &str) -> Network {
    if protocol == two_phase::NAME || protocol == commit::NAME {
        Network::Duplicating
    } else {
        Network::Unordered
    }
}

/// What to check, as the page asks its worker: a scenario on a few nodes, or the TwoPhase model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub model: Model,
    /// `bounds.network` is ignored: each protocol has its own ([`default_network`]).
    pub bounds: Bounds,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Model {
    /// `scenario` on `nodes` nodes in one datacenter ([`on_nodes`]).
    Scenario { scenario: Scenario, nodes: u16 },
    /// Gray and Lamport's TwoPhase with `rms` resource managers.
    TwoPhase { rms: u16 },
}

/// The most nodes (or resource managers) a request may ask for: beyond that no space is small.
pub const MAX_NODES: u16 = 12;

impl Request {
    /// The scenario and bounds to check, or why not, naming the field.
    pub fn resolve(&self) -> Result<(Scenario, Bounds), ScenarioError> {
        let (scenario, field, n) = match &self.model {
            Model::Scenario { scenario, nodes } => (on_nodes(scenario, *nodes), "model.scenario.nodes", *nodes),
            Model::TwoPhase { rms } => (two_phase_scenario(*rms), "model.two_phase.rms", *rms),
        };
        if n == 0 || n > MAX_NODES {
            return Err(ScenarioError::new(field, format!("must be 1 to {MAX_NODES}, not {n}")));
        }
        let bounds = Bounds { network: default_network(&scenario.protocol.name), ..self.bounds.clone() };
        Ok((scenario, bounds))
    }
}

/// Checks `scenario` within `bounds`, calling `progress` between slices of work. The scenario's
/// script is not played: the checker tries every fault the bounds allow.
pub fn check(scenario: &Scenario, bounds: Bounds, mut progress: impl FnMut(Progress)) -> Result<Report, ScenarioError> {
    let mut job = Job::start(scenario, bounds)?;
    while !job.run(8192) {
        progress(job.progress());
    }
    progress(job.progress());
    Ok(job.report())
}

/// A check under way, run in slices: what the browser's worker holds between its progress
/// reports. It names no protocol type.
pub struct Job {
    exploring: Box<dyn Exploring>,
    /// The scenario checked (on its small topology, no script): what a path is replayed on.
    checked: Scenario,
    scenario: String,
    nodes: usize,
    /// The bounds in words, as the protocol names its own bound.
    bounds: String,
    properties: Vec<(String, PropertyKind)>,
    notes: Vec<String>,
}

impl Job {
    /// Starts checking `scenario` within `bounds`; refuses a protocol that cannot be checked, a
    /// bad scenario and contradicting bounds, naming the field.
    pub fn start(scenario: &Scenario, bounds: Bounds) -> Result<Job, ScenarioError> {
        match scenario.protocol.name.as_str() {
            two_phase::NAME => Job::of::<two_phase::TwoPhase>(scenario, bounds, Vec::new(), Vec::new(), |_| true),
            #[cfg(feature = "commit")]
            commit::NAME => {
                use caucus_sim::Protocol as _;
                let mut properties = commit::Commit::properties();
                let mut notes = Vec::new();
                if bounds.liveness && bounds.crashes > 0 && !bounds.restarts {
                    properties.retain(|p| p.kind != PropertyKind::Liveness);
                    properties.push(commit::NON_BLOCKING);
                    notes.push(
                        "Termination is not checked: a node that crashes and never restarts never decides. Non-blocking is checked instead (every node that is up can still decide); add --restarts to check Termination."
                            .to_string(),
                    );
                }
                Job::of::<commit::Commit>(scenario, bounds, properties, notes, |_| true)
            }
            #[cfg(feature = "paxos")]
            bully::NAME => Job::of::<bully::Bully>(scenario, bounds, Vec::new(), Vec::new(), |_| true),
            #[cfg(feature = "raft")]
            raft::NAME => {
                let terms = u64::from(bounds.terms);
                Job::of::<raft::Raft>(scenario, bounds, Vec::new(), Vec::new(), move |s| terms == 0 || s.term <= terms)
            }
            #[cfg(feature = "paxos")]
            paxos::NAME => {
                let rounds = u64::from(bounds.terms);
                Job::of::<paxos::Paxos>(scenario, bounds, Vec::new(), Vec::new(), move |s| {
                    rounds == 0 || s.max_round.max(s.ballot.round) <= rounds
                })
            }
            #[cfg(feature = "lock")]
            lock::NAME => Job::lock(scenario, bounds),
            other => Err(ScenarioError::new(
                "protocol.name",
                format!(
                    "protocol `{other}` cannot be checked exhaustively here (checkable: {}); try `caucus swarm` for random faults over many seeds",
                    checkable().join(", ")
                ),
            )),
        }
    }

    /// The lock family. Its bound is the fencing tokens a lock service hands out (`bounds.terms`,
    /// as Raft's terms and Paxos's rounds: each grant takes the next token, so without it every
    /// round of grants is new). Its liveness property reads the clock, so the checker asks its
    /// untimed form ([`lock::CAN_ACQUIRE`]).
    #[cfg(feature = "lock")]
    fn lock(scenario: &Scenario, bounds: Bounds) -> Result<Job, ScenarioError> {
        let tokens = u64::from(bounds.terms);
        let mut properties: Vec<_> =
            lock::Lock::properties().into_iter().filter(|p| p.kind == PropertyKind::Safety).collect();
        properties.push(lock::CAN_ACQUIRE);
        let mut notes = Vec::new();
        if tokens > 0 {
            notes.push(format!(
                "Tokens ≤ {tokens} (--terms): a state where a lock service has handed out more fencing tokens is checked but not expanded."
            ));
        }
        if bounds.depth == 0 {
            notes.push(
                "No depth bound: the lock's space has no end (a client whose attempt timed out sends another SET while the first may still arrive), so only --max-states stops the search; try --depth 14."
                    .to_string(),
            );
        }
        if bounds.liveness {
            notes.push(
                "“Every waiting client eventually acquires” is not checked: it measures waits against max_wait_us, and the checker has no clock. “Every waiting client can still acquire” is checked instead: from every state, some order of events serves every client that waits."
                    .to_string(),
            );
            if bounds.depth > 0 {
                notes.push(
                    "Within a depth bound it finds no client stuck: a state the bounds cut off counts as able to go on, and a waiting client can always time out and ask again until the bound. The deadlock of setnx after its holder crashes is shown by `caucus run lock-setnx-crash`."
                        .to_string(),
                );
            }
        }
        notes.push(
            "A client draws the same random value in every attempt here (the checker restarts a node's random stream before every event), so a late answer to an earlier attempt counts for the current one."
                .to_string(),
        );
        let canon = Canon { msg: lock::Msg::without_value, timer: lock::Timer::without_value };
        let within = move |s: &lock::Lock| tokens == 0 || !matches!(s, lock::Lock::Server(v) if v.counter > tokens);
        Job::of_with::<lock::Lock>(scenario, bounds, properties, notes, within, Some(canon))
    }

    /// Checks `scenario` with `properties` (none: the protocol's own), reporting `notes` on what
    /// was changed about them, expanding only states whose every live node is `within` the
    /// protocol's own bound.
    fn of<P: Protocol + Hash + Eq>(
        scenario: &Scenario,
        bounds: Bounds,
        properties: Vec<caucus_sim::Property<P>>,
        notes: Vec<String>,
        within: impl Fn(&P) -> bool + 'static,
    ) -> Result<Job, ScenarioError>
    where
        P::Msg: Hash + Eq,
        P::Timer: Hash + Eq,
        P::Durable: Hash,
    {
        Job::of_with(scenario, bounds, properties, notes, within, None)
    }

    /// [`Job::of`], replaying a path with `canon` where the simulator's messages and timers carry
    /// other random draws than the checker's.
    fn of_with<P: Protocol + Hash + Eq>(
        scenario: &Scenario,
        bounds: Bounds,
        properties: Vec<caucus_sim::Property<P>>,
        notes: Vec<String>,
        within: impl Fn(&P) -> bool + 'static,
        canon: Option<Canon<P>>,
    ) -> Result<Job, ScenarioError>
    where
        P::Msg: Hash + Eq,
        P::Timer: Hash + Eq,
        P::Durable: Hash,
    {
        // The script is not played; its node ids need not fit a smaller topology.
        let scenario = &Scenario { script: Vec::new(), ..scenario.clone() };
        let topology = scenario.validate()?;
        let params = caucus_sim::run::params_of::<P>(scenario, &topology)?;
        let nodes = topology.nodes.len();
        let properties = if properties.is_empty() { P::properties() } else { properties };
        let listed = properties.iter().map(|p| (p.name.to_string(), p.kind)).collect();
        let described = bounds.describe_numbered(numbering(&scenario.protocol.name));
        let mut explorer = Explorer::<P>::with_properties(topology, params, scenario.seed, bounds, properties)
            .map_err(|e| ScenarioError::new("bounds", e))?;
        explorer.limit(within);
        Ok(Job {
            exploring: Box::new(Checking { explorer, canon }),
            checked: scenario.clone(),
            scenario: scenario.name.clone(),
            nodes,
            bounds: described,
            properties: listed,
            notes,
        })
    }

    /// Expands up to `budget` states; `true` once the check is over.
    pub fn run(&mut self, budget: u64) -> bool {
        self.exploring.run(budget)
    }

    pub fn progress(&self) -> Progress {
        self.exploring.progress()
    }

    /// The violation's shortest path as a run of the timed simulator, as a link's query
    /// (`v=1&sc=…&i=…&t=…`): each event of the path at its natural time when it is the next event
    /// anyway, else forced (`DeliverNext`, `FireNext`, `Drop`, `Crash`, `Restart`). `None` when
    /// nothing was found; an error when the path does not replay to the same violation. The
    /// run's description says what it is: this path, not the scenario's own story.
    pub fn timeline(&self) -> Option<Result<String, String>> {
        let found = self.exploring.finding()?;
        let to = match found.kind {
            PropertyKind::Safety => format!("a violation of “{}”", found.property),
            PropertyKind::Liveness => format!("a state from which “{}” can no longer come true", found.property),
        };
        let description = format!(
            "The exhaustive checker's shortest path to {to}: {} event{} on {} node{} of {}, within {}. Each event happens at its own time where the simulator's clock agrees, and is forced where it does not.",
            found.path.len(),
            if found.path.len() == 1 { "" } else { "s" },
            self.nodes,
            if self.nodes == 1 { "" } else { "s" },
            self.scenario,
            self.bounds
        );
        self.exploring.timeline(&Scenario { description, ..self.checked.clone() })
    }

    /// The outcome so far (final once [`Job::run`] said so).
    pub fn report(&self) -> Report {
        Report {
            scenario: self.scenario.clone(),
            nodes: self.nodes,
            bounds: self.bounds.clone(),
            progress: self.exploring.progress(),
            complete: self.exploring.complete(),
            properties: self.properties.clone(),
            notes: self.notes.clone(),
            found: self.exploring.finding(),
        }
    }
}

/// What `Bounds::terms` bounds, in the words of `protocol`: Raft's terms, Paxos's ballot rounds,
/// the lock service's fencing tokens.
pub fn numbering(protocol: &str) -> &'static str {
    match protocol {
        "paxos" => "ballot rounds",
        lock::NAME => "lock tokens",
        _ => "terms",
    }
}

/// The protocols this build can check: all of [`CHECKABLE`] natively, a browser pack's own.
pub fn checkable() -> Vec<&'static str> {
    CHECKABLE
        .iter()
        .copied()
        .filter(|&name| match name {
            two_phase::NAME => true,
            commit::NAME => cfg!(feature = "commit"),
            "raft" => cfg!(feature = "raft"),
            lock::NAME => cfg!(feature = "lock"),
            _ => cfg!(feature = "paxos"),
        })
        .collect()
}

/// An [`Explorer`] of any protocol, as [`Job`] drives it.
trait Exploring {
    fn run(&mut self, budget: u64) -> bool;
    fn progress(&self) -> Progress;
    fn complete(&self) -> bool;
    fn finding(&self) -> Option<Finding>;
    fn timeline(&self, scenario: &Scenario) -> Option<Result<String, String>>;
}

/// How a path's messages and timers are found in the simulator when they are not equal to its
/// own: both sides are mapped to what must agree (a lock client's random value is cleared).
struct Canon<P: Protocol> {
    msg: fn(&P::Msg) -> P::Msg,
    timer: fn(&P::Timer) -> P::Timer,
}

/// An explorer and how its paths are replayed.
struct Checking<P: Protocol + Hash + Eq>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    explorer: Explorer<P>,
    canon: Option<Canon<P>>,
}

impl<P: Protocol + Hash + Eq> Exploring for Checking<P>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    fn run(&mut self, budget: u64) -> bool {
        self.explorer.run(budget)
    }
    fn progress(&self) -> Progress {
        self.explorer.progress()
    }
    fn complete(&self) -> bool {
        self.explorer.complete()
    }
    fn timeline(&self, scenario: &Scenario) -> Option<Result<String, String>> {
        let found = self.explorer.found()?;
        Some(replay(scenario, &found, self.canon.as_ref()))
    }
    fn finding(&self) -> Option<Finding> {
        let names = &self.explorer.topology().nodes;
        self.explorer.found().map(|f| Finding {
            property: f.property.to_string(),
            kind: f.kind,
            explanation: f.failure.explanation,
            nodes: f.failure.nodes,
            path: f
                .path
                .into_iter()
                .map(|s| PathStep {
                    event: s.text,
                    notes: s.notes.into_iter().map(|(n, t)| format!("{}: {t}", names[n as usize].name)).collect(),
                })
                .collect(),
        })
    }
}

/// [`Job::timeline`] for protocol `P`: each message and timer of the path is the simulator's
/// equal one, or with `canon` the newest that agrees with it (a random draw may differ).
fn replay<P: Protocol>(
    scenario: &Scenario,
    found: &caucus_sim::explore::Found<P>,
    canon: Option<&Canon<P>>,
) -> Result<String, String>
where
    P::Msg: PartialEq,
{
    use caucus_sim::explore::Event;
    use caucus_sim::sim::What;
    use caucus_sim::{DynRun, Input, Run, Status};
    let mut run = Run::<P>::new(scenario.clone()).map_err(|e| e.to_string())?;
    let apply = |run: &mut Run<P>, input: Input| run.apply(input).map(|_| ()).map_err(|e| e.to_string());
    // The checker's first state has every node started.
    let nodes = run.sim().topology().nodes.len() as NodeId;
    while (0..nodes).any(|n| run.sim().status(n) == Status::Booting) {
        apply(&mut run, Input::Step)?;
    }
    // Whether the simulator's own next event is `wanted`: then it happens at its natural time.
    let next_is = |run: &Run<P>, wanted: &dyn Fn(&What<P>) -> bool| {
        let mut probe = run.sim().clone();
        probe.apply(Input::Step, &mut ()).ok().flatten().is_some_and(|r| wanted(&r.what))
    };
    let find = |run: &Run<P>, from: NodeId, to: NodeId, msg: &P::Msg| {
        let flying = run.sim().in_flight();
        let between = |m: &&&caucus_sim::sim::InFlight<P::Msg>| m.source == from && m.target == to;
        let exact = flying.iter().filter(between).find(|m| m.msg == *msg);
        let agrees = || {
            let c = canon?;
            let want = (c.msg)(msg);
            flying.iter().filter(between).rev().find(|m| (c.msg)(&m.msg) == want)
        };
        exact.or_else(agrees).map(|m| m.id)
    };
    // The simulator's pending timer at `node` that is the path's `timer`.
    let pending = |run: &Run<P>, node: NodeId, timer: &P::Timer| {
        let timers: Vec<P::Timer> = run.sim().timers(node).into_iter().map(|(t, ..)| t).collect();
        let exact = timers.iter().find(|t| *t == timer).cloned();
        exact.or_else(|| {
            let c = canon?;
            let want = (c.timer)(timer);
            timers.into_iter().find(|t| (c.timer)(t) == want)
        })
    };
    for (i, step) in found.path.iter().enumerate() {
        let missing = || format!("event {} ({}) has no counterpart in the simulator", i + 1, step.text);
        match &step.event {
            Event::Deliver { from, to, msg } => {
                let id = find(&run, *from, *to, msg).ok_or_else(missing)?;
                if !next_is(&run, &|w| matches!(w, What::Deliver { msg, .. } if *msg == id)) {
                    apply(&mut run, Input::DeliverNext { msg: id })?;
                }
                apply(&mut run, Input::Step)?;
            }
            Event::Fire { node, timer } => {
                let timer = pending(&run, *node, timer).ok_or_else(missing)?;
                if !next_is(&run, &|w| matches!(w, What::Timer { node: n, timer: t } if n == node && *t == timer)) {
                    let timer = serde_json::to_value(&timer).map_err(|e| e.to_string())?;
                    apply(&mut run, Input::FireNext { node: *node, timer })?;
                }
                apply(&mut run, Input::Step)?;
            }
            Event::Drop { from, to, msg } => {
                let id = find(&run, *from, *to, msg).ok_or_else(missing)?;
                apply(&mut run, Input::Drop { msg: id })?;
            }
            Event::Crash { node } => apply(&mut run, Input::Crash { node: *node })?,
            Event::Restart { node } => apply(&mut run, Input::Restart { node: *node })?,
        }
    }
    if found.kind == PropertyKind::Safety {
        let shows = DynRun::properties(&run).iter().any(|p| p.name == found.property && p.now.is_err());
        if !shows {
            return Err(format!("the path replayed, but “{}” holds at its end in the simulator", found.property));
        }
    }
    Ok(crate::share::Shared::of(&run).to_query())
}

// ---- swarm search, as the page's worker runs it ---------------------------------------------

/// What the page asks its worker: an exhaustive check or a swarm search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Task {
    Check(Request),
    Swarm(SwarmRequest),
}

/// A swarm search: `scenario` as it stands (its script too) with random faults from `profile`
/// (`caucus_sim::swarm::PROFILES`), seed after seed from `from`, `seeds` runs at most, stopping at
/// the first violation, as `caucus swarm` does.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwarmRequest {
    pub scenario: Scenario,
    pub profile: String,
    pub from: u64,
    pub seeds: u64,
}

/// The most seeds one request may run.
pub const MAX_SWARM_SEEDS: u64 = 100_000;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwarmProgress {
    pub runs: u64,
    pub steps: u64,
    /// Seeds asked for.
    pub seeds: u64,
    pub done: bool,
}

/// The first violation a swarm found and the scenario that replays it (load it into the
/// timeline: the faults are its script).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwarmFound {
    pub seed: u64,
    pub property: String,
    pub kind: PropertyKind,
    pub step: u64,
    pub time_us: caucus_sim::Micros,
    pub explanation: String,
    pub scenario: Scenario,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SwarmOutcome {
    pub progress: SwarmProgress,
    pub found: Option<SwarmFound>,
}

/// A swarm search under way, run a few seeds at a time.
pub struct Swarming {
    base: Scenario,
    profile: caucus_sim::swarm::FaultProfile,
    next: u64,
    end: u64,
    progress: SwarmProgress,
    found: Option<SwarmFound>,
}

impl Swarming {
    /// Starts `request`; refuses an unknown profile, a seed count out of range and a scenario
    /// this build cannot run, naming the field.
    pub fn start(request: &SwarmRequest) -> Result<Swarming, ScenarioError> {
        let profile = caucus_sim::swarm::FaultProfile::named(&request.profile).ok_or_else(|| {
            let known: Vec<&str> = caucus_sim::swarm::PROFILES.iter().map(|(n, _)| *n).collect();
            ScenarioError::new(
                "profile",
                format!("unknown fault profile `{}` (known: {})", request.profile, known.join(", ")),
            )
        })?;
        if request.seeds == 0 || request.seeds > MAX_SWARM_SEEDS {
            return Err(ScenarioError::new("seeds", format!("must be 1 to {MAX_SWARM_SEEDS}, not {}", request.seeds)));
        }
        let end = request.from.checked_add(request.seeds).ok_or_else(|| {
            ScenarioError::new("from", format!("{} plus the seeds is past the largest seed", request.from))
        })?;
        // The first seed's scenario shows a scenario this build cannot run before any work.
        let first = caucus_sim::swarm::swarm_scenario(&request.scenario, &profile, request.from)?;
        crate::build(&first)?;
        Ok(Swarming {
            base: request.scenario.clone(),
            profile,
            next: request.from,
            end,
            progress: SwarmProgress { seeds: request.seeds, ..SwarmProgress::default() },
            found: None,
        })
    }

    /// Runs up to `runs` seeds; `true` once a violation is found or every seed ran.
    pub fn run(&mut self, runs: u64) -> Result<bool, ScenarioError> {
        for _ in 0..runs {
            if self.next >= self.end || self.found.is_some() {
                break;
            }
            let seed = self.next;
            self.next += 1;
            let scenario = caucus_sim::swarm::swarm_scenario(&self.base, &self.profile, seed)?;
            let (found, steps) = crate::run_one(&scenario)?;
            self.progress.runs += 1;
            self.progress.steps += steps;
            if let Some(v) = found {
                self.found = Some(SwarmFound {
                    seed,
                    property: v.property,
                    kind: v.kind,
                    step: v.step,
                    time_us: v.time,
                    explanation: v.failure.explanation,
                    scenario,
                });
            }
        }
        self.progress.done = self.next >= self.end || self.found.is_some();
        Ok(self.progress.done)
    }

    pub fn progress(&self) -> SwarmProgress {
        self.progress
    }

    pub fn outcome(&self) -> SwarmOutcome {
        SwarmOutcome { progress: self.progress, found: self.found.clone() }
    }
}
