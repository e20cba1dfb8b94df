#![doc = include_str!("../essays/heartbeat.md")]

use caucus_sim::{Ctx, Failure, Micros, NodeId, Property, PropertyKind, Protocol, Status, Topology, View, MS};
use serde::{Deserialize, Serialize};

pub const NAME: &str = "heartbeat";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub interval_us: Micros,
    pub timeout_us: Micros,
}

impl Default for Params {
    fn default() -> Self {
        Params { interval_us: 100 * MS, timeout_us: 500 * MS }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Heartbeat {
    /// How many times this node has started; survives crashes.
    pub incarnation: u64,
    pub beats_sent: u64,
    /// Local time each peer was last heard from (own entry unused).
    pub last_heard_us: Vec<Micros>,
    /// Local time since which each peer has been suspected; `None` means trusted.
    pub suspected_since_us: Vec<Option<Micros>>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    Beat { incarnation: u64, seq: u64 },
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timer {
    Tick,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// Send a beat to every peer right now.
    Announce,
}

impl Heartbeat {
    fn beat(&mut self, ctx: &mut Ctx<'_, Self>) {
        self.beats_sent += 1;
        ctx.broadcast(Msg::Beat { incarnation: self.incarnation, seq: self.beats_sent });
    }

    pub fn suspects(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.suspected_since_us.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(i, _)| i as NodeId)
    }
}

impl Protocol for Heartbeat {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = u64;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        if params.interval_us == 0 {
            return Err("interval_us must be above zero".into());
        }
        let n = topology.nodes.len();
        caucus_sim::limits::check_rate("interval_us", params.interval_us, n * n.saturating_sub(1), topology)?;
        if params.timeout_us > caucus_sim::limits::MAX_FAULT_US {
            return Err(format!("timeout_us is at most {} µs (one hour)", caucus_sim::limits::MAX_FAULT_US));
        }
        if params.timeout_us <= params.interval_us {
            return Err(format!(
                "timeout_us ({}) must be longer than interval_us ({}), or every node is suspected between beats",
                params.timeout_us, params.interval_us
            ));
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<u64>) -> Self {
        let n = ctx.node_count();
        let incarnation = durable.map_or(0, |i| i + 1);
        if incarnation > 0 {
            ctx.note(format!("restarts as incarnation {incarnation}, trusting everyone"));
        }
        let phase = ctx.random_between(1, ctx.params.interval_us);
        ctx.set_timer(Timer::Tick, phase);
        Heartbeat { incarnation, beats_sent: 0, last_heard_us: vec![ctx.now; n], suspected_since_us: vec![None; n] }
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        let Msg::Beat { .. } = msg;
        self.last_heard_us[from as usize] = ctx.now;
        if self.suspected_since_us[from as usize].take().is_some() {
            let name = ctx.topology.nodes[from as usize].name.clone();
            ctx.moment(format!("trusts {name} again"));
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, Timer::Tick: Timer) {
        self.beat(ctx);
        let timeout = ctx.params.timeout_us;
        for peer in ctx.peers() {
            let p = peer as usize;
            let silent = ctx.now.saturating_sub(self.last_heard_us[p]);
            if self.suspected_since_us[p].is_none() && silent > timeout {
                self.suspected_since_us[p] = Some(ctx.now);
                let name = ctx.topology.nodes[p].name.clone();
                ctx.moment(format!("suspects {name} (silent for {} ms)", silent / MS));
            }
        }
        ctx.set_timer(Timer::Tick, ctx.params.interval_us);
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, Request::Announce: Request) {
        self.beat(ctx);
    }

    fn durable(&self) -> u64 {
        self.incarnation
    }

    fn role(&self) -> String {
        match self.suspects().count() {
            0 => String::new(),
            n => format!("suspects {n}"),
        }
    }

    fn msg_label(msg: &Msg) -> String {
        let Msg::Beat { seq, .. } = msg;
        format!("Beat #{seq}")
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "Strong accuracy",
                kind: PropertyKind::Safety,
                description: "A node is suspected only if it crashed or cannot be heard (partition, lossy link), or such a failure just ended.",
                check: strong_accuracy,
            },
            Property {
                name: "Completeness",
                kind: PropertyKind::Liveness,
                description: "Every crashed node is eventually suspected by every running node.",
                check: completeness,
            },
            Property {
                name: "Eventual accuracy",
                kind: PropertyKind::Liveness,
                description: "Once the network heals, no running node suspects another running node.",
                check: eventual_accuracy,
            },
        ]
    }
}

/// Checked at the moment a suspicion starts (its timestamp is the detector's local time now).
/// A suspicion only starts in the handler of the node that just stepped, so when the step
/// happened at one node that node alone is checked.
fn strong_accuracy(view: &View<'_, Heartbeat>) -> Result<(), Failure> {
    let params = view.params();
    let nodes: Vec<(NodeId, &Heartbeat)> = match view.stepped_node() {
        Some(i) => view.state(i).map(|s| (i, s)).into_iter().collect(),
        None => view.up().collect(),
    };
    for (i, state) in nodes {
        let local_now = view.clock(i).local(view.now());
        for j in state.suspects() {
            if state.suspected_since_us[j as usize] != Some(local_now) {
                continue;
            }
            let grace = params.timeout_us + params.interval_us + view.topology().max_one_way_us();
            let excused = view.status(j) == Status::Crashed
                || view.is_cut(j, i)
                || view.link_between(j, i).loss_ppm > 0
                || view.now().saturating_sub(view.last_failure(i, j)) <= grace;
            if excused {
                continue;
            }
            let clock = view.clock(i);
            let why = if view.status(j) == Status::Paused {
                format!("{} was only paused (a GC pause): slow is not dead", view.name(j))
            } else if clock.offset_us != 0 || clock.drift_ppm != 0 {
                format!("{}'s own clock jumped or drifts, so its timeout expired early", view.name(i))
            } else {
                format!("{}'s beats were late (slower link or a pause that just ended)", view.name(j))
            };
            return Err(Failure::new(format!(
                "{} suspected {}, which was up and reachable: {why}.",
                view.name(i),
                view.name(j)
            ))
            .nodes([i, j]));
        }
    }
    Ok(())
}

fn completeness(view: &View<'_, Heartbeat>) -> Result<(), Failure> {
    for j in view.node_ids().filter(|&j| view.status(j) == Status::Crashed) {
        if let Some((i, _)) = view.up().find(|(_, s)| s.suspected_since_us[j as usize].is_none()) {
            return Err(Failure::new(format!("{} still trusts {}, which has crashed.", view.name(i), view.name(j)))
                .nodes([i, j]));
        }
    }
    Ok(())
}

fn eventual_accuracy(view: &View<'_, Heartbeat>) -> Result<(), Failure> {
    for (i, s) in view.up() {
        if let Some(j) = s.suspects().find(|&j| view.state(j).is_some() && !view.is_cut(j, i)) {
            return Err(Failure::new(format!("{} still suspects {}, which is running.", view.name(i), view.name(j)))
                .nodes([i, j]));
        }
    }
    Ok(())
}
