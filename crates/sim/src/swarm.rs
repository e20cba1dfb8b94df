//! Swarm search: many seeds, each with a random fault schedule drawn from a [`FaultProfile`].
//!
//! Each run has a safety phase (faults happen; safety properties are checked after every step)
//! then a liveness phase (everything is healed; liveness properties are checked at its end), as in
//! TigerBeetle's VOPR. The search stops at the first violation and returns a scenario (the seed and
//! the fault schedule as a script) that replays it exactly.

use crate::protocol::{random_below, PropertyKind, Protocol};
use crate::run::Violation;
use crate::scenario::{Scenario, ScenarioError};
use crate::sim::{Endpoint, Input, ScriptEntry, Sim};
use crate::time::{Micros, SEC};
use crate::topology::{DcId, NodeId, Topology};
use serde::{Deserialize, Serialize};

/// Rates of faults during the safety phase. Rates are per simulated minute.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultProfile {
    pub crashes_per_min: u32,
    pub partitions_per_min: u32,
    pub pauses_per_min: u32,
    pub skews_per_min: u32,
    pub lossy_links_per_min: u32,
    /// Loss rate of a lossy link, parts per million.
    pub loss_ppm: u32,
    pub max_pause_us: Micros,
    pub max_skew_us: Micros,
    /// How long a crash or partition lasts at most before it is undone.
    pub max_outage_us: Micros,
    pub safety_us: Micros,
    pub liveness_us: Micros,
}

impl Default for FaultProfile {
    fn default() -> Self {
        FaultProfile {
            crashes_per_min: 6,
            partitions_per_min: 6,
            pauses_per_min: 6,
            skews_per_min: 2,
            lossy_links_per_min: 2,
            loss_ppm: 100_000,
            max_pause_us: 2 * SEC,
            max_skew_us: SEC,
            max_outage_us: 5 * SEC,
            safety_us: 20 * SEC,
            liveness_us: 20 * SEC,
        }
    }
}

/// Built-in profiles: name, description.
pub const PROFILES: &[(&str, &str)] = &[
    ("default", "a little of everything: crashes, partitions, pauses, clock jumps, lossy links"),
    ("calm", "no faults at all: only the protocol's own nondeterminism"),
    ("crashes", "crashes and restarts only"),
    ("partitions", "partitions and lossy links only"),
    ("pauses", "GC pauses and clock jumps only"),
    ("chaos", "five times the default rates"),
];

impl FaultProfile {
    pub fn named(name: &str) -> Option<FaultProfile> {
        let d = FaultProfile::default();
        let none = FaultProfile {
            crashes_per_min: 0,
            partitions_per_min: 0,
            pauses_per_min: 0,
            skews_per_min: 0,
            lossy_links_per_min: 0,
            ..d.clone()
        };
        Some(match name {
            "default" => d,
            "calm" => none,
            "crashes" => FaultProfile { crashes_per_min: 12, ..none },
            "partitions" => FaultProfile { partitions_per_min: 12, lossy_links_per_min: 4, ..none },
            "pauses" => FaultProfile { pauses_per_min: 12, skews_per_min: 6, ..none },
            "chaos" => FaultProfile {
                crashes_per_min: 30,
                partitions_per_min: 30,
                pauses_per_min: 30,
                skews_per_min: 10,
                lossy_links_per_min: 10,
                ..d
            },
            _ => return None,
        })
    }

    /// A random fault schedule for one seed. It uses its own RNG stream, so it does not disturb
    /// the protocol's or the network's draws.
    pub fn schedule(&self, topology: &Topology, seed: u64) -> Vec<ScriptEntry> {
        let mut rng = crate::sim::rng_stream(seed, u64::MAX);
        let mut script = Vec::new();
        let nodes = topology.nodes.len() as u64;
        let dcs = topology.datacenters.len() as u64;
        let minutes = |rate: u32| (rate as u64 * self.safety_us).div_ceil(60 * SEC);
        let span = self.safety_us.max(1);
        let at = |rng: &mut _| random_below(rng, span);
        let push =
            |script: &mut Vec<ScriptEntry>, at_us: Micros, input: Input| script.push(ScriptEntry::new(at_us, input));

        for _ in 0..minutes(self.crashes_per_min) {
            let t = at(&mut rng);
            let node = random_below(&mut rng, nodes) as NodeId;
            let back = t + 1 + random_below(&mut rng, self.max_outage_us.max(1));
            push(&mut script, t, Input::Crash { node });
            push(&mut script, back.min(self.safety_us), Input::Restart { node });
        }
        for _ in 0..minutes(self.partitions_per_min) {
            let t = at(&mut rng);
            let end = t + 1 + random_below(&mut rng, self.max_outage_us.max(1));
            // Cut one datacenter off when there are several, else split the nodes in two.
            let (a, b) = if dcs > 1 {
                let d = random_below(&mut rng, dcs) as DcId;
                let others: Vec<_> = (0..dcs as DcId).filter(|&x| x != d).map(Endpoint::Dc).collect();
                (vec![Endpoint::Dc(d)], others)
            } else {
                let k = 1 + random_below(&mut rng, nodes.max(2) - 1) as NodeId;
                ((0..k).map(Endpoint::Node).collect(), (k..nodes as NodeId).map(Endpoint::Node).collect())
            };
            if b.is_empty() {
                continue;
            }
            let one_way = random_below(&mut rng, 4) == 0;
            push(&mut script, t, Input::Partition { a, b, one_way });
            push(&mut script, end.min(self.safety_us), Input::Heal);
        }
        for _ in 0..minutes(self.pauses_per_min) {
            let t = at(&mut rng);
            let node = random_below(&mut rng, nodes) as NodeId;
            let duration_us = 1 + random_below(&mut rng, self.max_pause_us.max(1));
            push(&mut script, t, Input::Pause { node, duration_us });
        }
        for _ in 0..minutes(self.skews_per_min) {
            let t = at(&mut rng);
            let node = random_below(&mut rng, nodes) as NodeId;
            let by = random_below(&mut rng, 2 * self.max_skew_us + 1) as i64 - self.max_skew_us as i64;
            push(&mut script, t, Input::Skew { node, by_us: by });
        }
        for _ in 0..minutes(self.lossy_links_per_min) {
            let t = at(&mut rng);
            let from = random_below(&mut rng, dcs) as DcId;
            let to = random_below(&mut rng, dcs) as DcId;
            let link = topology.link(from, to);
            push(
                &mut script,
                t,
                Input::SetLink {
                    from,
                    to,
                    latency_us: link.latency_us as i64,
                    jitter_us: link.jitter_us as i64,
                    loss_ppm: self.loss_ppm,
                    one_way: false,
                },
            );
        }
        push(&mut script, self.safety_us, Input::HealAll);
        // Stable order: by time, then by generation order (sort is stable).
        script.sort_by_key(|e| e.at_us);
        script
    }
}

/// A violation found by the swarm and the scenario that reproduces it.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub seed: u64,
    pub violation: Violation,
    /// Run this (e.g. `caucus run FILE`) to see the violation at `violation.step`.
    pub scenario: Scenario,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct SwarmReport {
    pub runs: u64,
    pub steps: u64,
    pub finding: Option<Finding>,
}

/// The scenario a swarm run with this seed executes.
pub fn swarm_scenario(base: &Scenario, profile: &FaultProfile, seed: u64) -> Result<Scenario, ScenarioError> {
    let topology = base.validate()?;
    let mut scenario = base.clone();
    scenario.seed = seed;
    scenario.name = format!("{}-swarm-seed-{seed}", base.name);
    scenario.until_us = profile.safety_us + profile.liveness_us;
    scenario.script.extend(profile.schedule(&topology, seed));
    // Interleave the faults by time. Entries aimed by `same_as: j` name another entry by its
    // place in the script, so the places are renumbered with the sort (a stable one: the base
    // script's own order among equal times is kept).
    let mut order: Vec<usize> = (0..scenario.script.len()).collect();
    order.sort_by_key(|&i| scenario.script[i].at_us);
    let mut place = vec![0u32; order.len()];
    for (new, &old) in order.iter().enumerate() {
        place[old] = new as u32;
    }
    let mut script: Vec<_> = order.iter().map(|&old| scenario.script[old].clone()).collect();
    for entry in &mut script {
        if let Some(when) = entry.when.as_mut() {
            if let Some(j) = when.same_as.as_mut() {
                *j = place[*j as usize];
            }
        }
    }
    scenario.script = script;
    Ok(scenario)
}

/// Runs one seed; returns the first violation and the number of steps taken.
pub fn run_one<P: Protocol>(scenario: &Scenario) -> Result<(Option<Violation>, u64), ScenarioError> {
    let topology = scenario.validate()?;
    let params = crate::run::params_of::<P>(scenario, &topology)?;
    let mut sim: Sim<P> = Sim::new(topology, params, scenario.seed, scenario.script.clone());
    let end = scenario.until_us;
    let violation = |sim: &Sim<P>, i: usize, kind, failure| Violation {
        property: sim.properties()[i].name.to_string(),
        kind,
        step: sim.step_count(),
        time: sim.now(),
        failure,
    };
    loop {
        match sim.step_until(end, &mut ()) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => {
                let failure = crate::protocol::Failure::new(format!("the run stopped: {e}"));
                return Ok((
                    Some(Violation {
                        property: "limits".into(),
                        kind: PropertyKind::Safety,
                        step: sim.step_count(),
                        time: sim.now(),
                        failure,
                    }),
                    sim.step_count(),
                ));
            }
        }
        if let Some((i, f)) = sim.check(PropertyKind::Safety).into_iter().next() {
            return Ok((Some(violation(&sim, i, PropertyKind::Safety, f)), sim.step_count()));
        }
    }
    let found = sim
        .check(PropertyKind::Liveness)
        .into_iter()
        .next()
        .map(|(i, f)| violation(&sim, i, PropertyKind::Liveness, f));
    Ok((found, sim.step_count()))
}

/// Runs `seeds` and stops at the first violation.
pub fn swarm<P: Protocol>(
    base: &Scenario,
    profile: &FaultProfile,
    seeds: std::ops::Range<u64>,
) -> Result<SwarmReport, ScenarioError> {
    let mut report = SwarmReport::default();
    for seed in seeds {
        let scenario = swarm_scenario(base, profile, seed)?;
        let (found, steps) = run_one::<P>(&scenario)?;
        report.runs += 1;
        report.steps += steps;
        if let Some(violation) = found {
            report.finding = Some(Finding { seed, violation, scenario });
            break;
        }
    }
    Ok(report)
}
