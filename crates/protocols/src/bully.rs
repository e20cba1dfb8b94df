#![doc = include_str!("../essays/bully.md")]

use caucus_sim::{
    Ctx, Endpoint, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Scenario, Status, Topology,
    TopologySpec, View, MS, SEC,
};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "bully";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    /// How often the leader sends `Alive`.
    pub heartbeat_us: Micros,
    /// A follower that hears nothing from its leader for this long starts an election.
    pub failure_timeout_us: Micros,
    /// How long an electing node waits for an `Answer` before it declares itself leader. It must
    /// cover the longest round trip, or a live higher node answers too late.
    pub answer_timeout_us: Micros,
    /// How long a node that got an `Answer` waits for a `Coordinator` before it starts over.
    pub coordinator_timeout_us: Micros,
}

impl Default for Params {
    /// Across regions one-way latency is 35–165 ms, so the longest round trip is about 350 ms.
    fn default() -> Self {
        Params {
            heartbeat_us: 100 * MS,
            failure_timeout_us: 500 * MS,
            answer_timeout_us: 400 * MS,
            coordinator_timeout_us: SEC,
        }
    }
}

/// Where a node stands. Changed only through `become_*` functions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Follows `leader` and watches its `Alive` beats.
    Follower,
    /// Sent `Election` to the higher nodes; waiting for an `Answer`.
    Electing,
    /// A higher node answered; waiting for its `Coordinator`.
    AwaitingCoordinator,
    Leader,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Bully {
    pub role: Role,
    /// Whom this node believes leads (itself when leader); `None` during an election.
    pub leader: Option<NodeId>,
    /// Elections this node has started since it last started.
    pub elections: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Election,
    Answer,
    Coordinator { leader: NodeId },
    Alive,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    /// The leader's beat.
    Heartbeat,
    /// A follower's failure detector: no `Alive` from the leader for `failure_timeout_us`.
    LeaderTimeout,
    AnswerTimeout,
    CoordinatorTimeout,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Start an election at this node now.
    Elect,
}

fn name(ctx: &Ctx<'_, Bully>, node: NodeId) -> String {
    ctx.topology.nodes[node as usize].name.clone()
}

impl Bully {
    fn stop_timers(ctx: &mut Ctx<'_, Self>) {
        for timer in [Timer::Heartbeat, Timer::LeaderTimeout, Timer::AnswerTimeout, Timer::CoordinatorTimeout] {
            ctx.cancel_timer(timer);
        }
    }

    /// Step 2: ask every higher node; with none, win at once.
    fn start_election(&mut self, ctx: &mut Ctx<'_, Self>, why: &str) {
        Self::stop_timers(ctx);
        self.elections += 1;
        self.leader = None;
        let higher: Vec<NodeId> = ctx.peers().filter(|&p| p > ctx.id).collect();
        if higher.is_empty() {
            ctx.moment(format!("{why}; no node has a higher id, so it leads"));
            self.become_leader(ctx);
            return;
        }
        let asking = match higher[..] {
            [one] => name(ctx, one),
            _ => format!("the {} higher nodes", higher.len()),
        };
        ctx.note(format!("{why}: holds an election, asking {asking}"));
        self.role = Role::Electing;
        for to in higher {
            ctx.send(to, Msg::Election);
        }
        ctx.set_timer(Timer::AnswerTimeout, ctx.params.answer_timeout_us);
    }

    fn become_leader(&mut self, ctx: &mut Ctx<'_, Self>) {
        Self::stop_timers(ctx);
        self.role = Role::Leader;
        self.leader = Some(ctx.id);
        ctx.broadcast(Msg::Coordinator { leader: ctx.id });
        ctx.set_timer(Timer::Heartbeat, ctx.params.heartbeat_us);
    }

    fn become_follower(&mut self, ctx: &mut Ctx<'_, Self>, leader: NodeId) {
        assert!(leader > ctx.id, "node {} would follow lower node {leader}", ctx.id);
        if self.leader != Some(leader) || self.role != Role::Follower {
            if self.role == Role::Leader {
                ctx.moment(format!("steps down and follows {}", name(ctx, leader)));
            } else {
                ctx.note(format!("follows {}", name(ctx, leader)));
            }
        }
        Self::stop_timers(ctx);
        self.role = Role::Follower;
        self.leader = Some(leader);
        ctx.set_timer(Timer::LeaderTimeout, ctx.params.failure_timeout_us);
    }

    /// A lower node claims to lead: outrank it (step 7).
    fn bully(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId) {
        match self.role {
            Role::Leader => ctx.send(from, Msg::Coordinator { leader: ctx.id }),
            Role::Electing | Role::AwaitingCoordinator => {}
            Role::Follower => {
                let why = format!("sees {} claim to lead although it is outranked", name(ctx, from));
                self.start_election(ctx, &why);
            }
        }
    }

    fn on_election(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId) {
        if from > ctx.id {
            return;
        }
        ctx.send(from, Msg::Answer);
        match self.role {
            Role::Leader => ctx.send(from, Msg::Coordinator { leader: ctx.id }),
            Role::Electing | Role::AwaitingCoordinator => {}
            Role::Follower => {
                let why = format!("hears {}'s Election", name(ctx, from));
                self.start_election(ctx, &why);
            }
        }
    }

    fn on_answer(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId) {
        if self.role != Role::Electing {
            return;
        }
        ctx.note(format!("hears {} answer: waits for the Coordinator", name(ctx, from)));
        ctx.cancel_timer(Timer::AnswerTimeout);
        self.role = Role::AwaitingCoordinator;
        ctx.set_timer(Timer::CoordinatorTimeout, ctx.params.coordinator_timeout_us);
    }

    fn on_coordinator(&mut self, ctx: &mut Ctx<'_, Self>, leader: NodeId) {
        if leader > ctx.id {
            self.become_follower(ctx, leader);
        } else if leader < ctx.id {
            self.bully(ctx, leader);
        }
    }

    fn on_alive(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId) {
        if self.leader == Some(from) && self.role == Role::Follower {
            ctx.set_timer(Timer::LeaderTimeout, ctx.params.failure_timeout_us);
        } else if from > ctx.id && self.leader.is_none_or(|l| from > l || l == ctx.id) {
            // A higher leader we did not know of (after a partition heals, or mid-election).
            self.become_follower(ctx, from);
        } else if from < ctx.id && self.role == Role::Leader {
            self.bully(ctx, from);
        }
    }
}

impl Protocol for Bully {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = ();
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        crate::check_durations(&[
            ("heartbeat_us", params.heartbeat_us),
            ("failure_timeout_us", params.failure_timeout_us),
            ("answer_timeout_us", params.answer_timeout_us),
            ("coordinator_timeout_us", params.coordinator_timeout_us),
        ])?;
        if params.failure_timeout_us <= params.heartbeat_us {
            return Err(format!(
                "failure_timeout_us ({} µs) must be longer than heartbeat_us ({} µs), or followers give up on a live leader between two beats",
                params.failure_timeout_us, params.heartbeat_us
            ));
        }
        // A leader's beat to every follower.
        let nodes = topology.nodes.len();
        caucus_sim::limits::check_rate("heartbeat_us", params.heartbeat_us, nodes.saturating_sub(1), topology)?;
        let round_trip = 2 * topology.max_one_way_us();
        if params.answer_timeout_us <= round_trip {
            return Err(format!(
                "answer_timeout_us ({} µs) must be longer than the longest round trip ({round_trip} µs), or a live higher node answers too late and a lower one takes over",
                params.answer_timeout_us
            ));
        }
        if params.coordinator_timeout_us <= params.answer_timeout_us {
            return Err(format!(
                "coordinator_timeout_us ({} µs) must be longer than answer_timeout_us ({} µs): the node that answered holds its own election first",
                params.coordinator_timeout_us, params.answer_timeout_us
            ));
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<()>) -> Self {
        let mut node = Bully { role: Role::Electing, leader: None, elections: 0 };
        let why = if durable.is_some() { "restarts" } else { "starts up" };
        node.start_election(ctx, why);
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Election => self.on_election(ctx, from),
            Msg::Answer => self.on_answer(ctx, from),
            Msg::Coordinator { leader } => self.on_coordinator(ctx, leader),
            Msg::Alive => self.on_alive(ctx, from),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {
            Timer::Heartbeat => {
                if self.role == Role::Leader {
                    ctx.broadcast(Msg::Alive);
                    ctx.set_timer(Timer::Heartbeat, ctx.params.heartbeat_us);
                }
            }
            Timer::LeaderTimeout => {
                if let (Role::Follower, Some(leader)) = (self.role, self.leader) {
                    let why = format!(
                        "heard nothing from {} for {} ms",
                        name(ctx, leader),
                        ctx.params.failure_timeout_us / MS
                    );
                    self.start_election(ctx, &why);
                }
            }
            Timer::AnswerTimeout => {
                if self.role == Role::Electing {
                    ctx.moment("hears no answer from a higher node: it leads");
                    self.become_leader(ctx);
                }
            }
            Timer::CoordinatorTimeout => {
                if self.role == Role::AwaitingCoordinator {
                    self.start_election(ctx, "no Coordinator came");
                }
            }
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, Request::Elect: Request) {
        self.start_election(ctx, "asked to hold an election");
    }

    fn durable(&self) {}

    fn roles() -> &'static [caucus_sim::Role] {
        const ROLES: &[caucus_sim::Role] =
            &[caucus_sim::Role::new("leader", "the leader"), caucus_sim::Role::new("follower", "a follower")];
        ROLES
    }

    fn has_role(&self, role: &str, _arg: &str) -> bool {
        match role {
            "leader" => self.role == Role::Leader,
            "follower" => self.role == Role::Follower,
            _ => false,
        }
    }

    fn role(&self) -> String {
        match self.role {
            Role::Leader => "leader",
            Role::Follower => "follower",
            Role::Electing | Role::AwaitingCoordinator => "electing",
        }
        .into()
    }

    fn badge(&self) -> String {
        match self.leader {
            Some(l) => format!("leader n{l}"),
            None => "no leader".into(),
        }
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::LeaderTimeout => Some("leader timeout"),
            Timer::AnswerTimeout => Some("waiting for answers"),
            Timer::CoordinatorTimeout => Some("waiting for coordinator"),
            Timer::Heartbeat => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match msg {
            Msg::Election => "Election".into(),
            Msg::Answer => "Answer".into(),
            Msg::Coordinator { leader } => format!("Coordinator n{leader}"),
            Msg::Alive => "Alive".into(),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "At most one leader",
                kind: PropertyKind::Safety,
                description: "At any moment at most one running node believes it leads. Bully breaks this under a partition (each side elects its own) and, briefly, whenever a higher node recovers and announces itself before the old leader hears of it: both are the lesson.",
                check: at_most_one_leader,
            },
            Property {
                name: "Eventually one leader, the highest live id",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, the running node with the highest id leads and every other running node follows it.",
                check: highest_leads,
            },
        ]
    }
}

// ---- properties -----------------------------------------------------------------------------

fn at_most_one_leader(view: &View<'_, Bully>) -> Result<(), Failure> {
    let mut leaders: Vec<NodeId> = view.up().filter(|(_, s)| s.role == Role::Leader).map(|(i, _)| i).collect();
    if leaders.len() < 2 {
        return Ok(());
    }
    leaders.reverse();
    let (a, b) = (leaders[0], leaders[1]);
    let (na, nb) = (view.name(a), view.name(b));
    let cut = leaders.iter().any(|&x| leaders.iter().any(|&y| view.is_cut(x, y)));
    let text = if cut {
        format!(
            "{na} and {nb} both lead: each side of the partition elected its own. Bully has no majority rule, so a cut-off side keeps or picks a leader of its own (the lesson of this protocol, not a bug in Caucus)."
        )
    } else if view.status(a) == Status::Paused || view.status(b) == Status::Paused {
        format!(
            "{na} and {nb} both lead: one of them is paused and still believes it leads, while the others have moved on."
        )
    } else {
        format!(
            "{na} and {nb} both lead: {na} has announced itself (it recovered, or won an election) and {nb} has not heard yet; Bully cannot stop the old leader acting in the meantime."
        )
    };
    Err(Failure::new(text).nodes(leaders))
}

fn highest_leads(view: &View<'_, Bully>) -> Result<(), Failure> {
    let Some((top, state)) = view.up().last() else {
        return Ok(());
    };
    let nt = view.name(top);
    if state.role != Role::Leader {
        return Err(
            Failure::new(format!("{nt} has the highest id of the running nodes but does not lead.")).nodes([top])
        );
    }
    if let Some((i, s)) = view.up().find(|(i, s)| *i != top && (s.role != Role::Follower || s.leader != Some(top))) {
        let what = match (s.role, s.leader) {
            (Role::Leader, _) => "still leads".to_string(),
            (Role::Follower, Some(l)) => format!("follows {}", view.name(l)),
            _ => "is still electing".to_string(),
        };
        return Err(
            Failure::new(format!("{} {what}, but {nt} is the highest running node.", view.name(i))).nodes([i, top])
        );
    }
    Ok(())
}

// ---- scenarios ------------------------------------------------------------------------------

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    use crate::{at, scenario};
    let six = || TopologySpec::preset("three-regions", 2);
    vec![
        scenario(
            "bully",
            "Six nodes start and each holds an election: Elections climb the ids, Answers come back down, and n5, the highest, announces itself and beats Alive every 100 ms.",
            NAME,
            six(),
            vec![],
        ),
        scenario(
            "bully-leader-crash",
            "Leader n5 crashes at 2 s: the others time out, n4 wins the election. n5 restarts at 6 s and bullies its way back; until its Coordinator reaches n4 both lead, which the safety property reports.",
            NAME,
            six(),
            vec![at(2.0, Input::Crash { node: 5 }), at(6.0, Input::Restart { node: 5 })],
        ),
        scenario(
            "bully-partition",
            "ap-southeast-1 (n4, n5) is cut off from 2 s to 6 s: the other side elects n3 while n5 keeps leading its own, so two leaders coexist and the safety property fails. That is the lesson; after the heal n3 steps down.",
            NAME,
            six(),
            vec![
                at(
                    2.0,
                    Input::Partition { a: vec![Endpoint::Dc(2)], b: vec![Endpoint::Dc(0), Endpoint::Dc(1)], one_way: false },
                ),
                at(6.0, Input::Heal),
            ],
        ),
    ]
}
