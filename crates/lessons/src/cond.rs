//! Conditions: where a chapter starts, when a question's answer shows, when a task or a challenge
//! is done. A condition is found on a recorded run, at or after a step, by reading what the run
//! already keeps (its moments, its properties' first failures, the inputs by hand); only an
//! `input` with a `role` looks at a past state, by seeking there and back.
//!
//! In a lesson file (TOML) a condition is an inline table with one anchor:
//!
//! ```toml
//! at = { moment = "wakes from its pause" }        # a moment of the timeline saying this
//! at = { moment = "elected leader", kind = "role" }
//! at = { kind = "script" }                         # the next scripted input
//! at = { fails = "No write from a stale lock" }    # a property's first failure
//! at = { time_s = 4.5 }                            # the state at 4.5 s of simulated time
//! at = { end = true }                              # the run's end
//! done = { input = "crash", role = "leader" }      # an input by hand: a crash of the leader
//! ```
//!
//! and optionally `node = 2` (the moment or input involves n2) and `plus_s = 0.3` (that much
//! simulated time later).

use crate::{LessonError, Names};
use caucus_sim::{DynRun, Input, MomentKind, NodeId, SEC};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Cond {
    /// The run's end: its last recorded step.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub end: bool,
    /// The state at this simulated time, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_s: Option<f64>,
    /// A moment of the timeline whose sentence contains this text (ignoring case).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moment: Option<String>,
    /// A moment of this kind: `script`, `by_hand`, `violation` or `role` (a turn of the story).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<Kind>,
    /// The first failure of this safety property (its name as the properties panel shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fails: Option<String>,
    /// An input by hand of this kind: `crash`, `restart`, `pause`, `skew`, `drift`, `partition`,
    /// `heal`, `drop`, `duplicate`, `deliver_next`, `request`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
    /// With `input`: aimed at a node that had this role just before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// With `moment`, `kind` or `input`: one that involves this node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// This many simulated seconds after the step found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plus_s: Option<f64>,
}

/// [`caucus_sim::MomentKind`], as lessons name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Script,
    ByHand,
    Violation,
    Role,
}

/// Seconds as simulated microseconds (negative and not-a-number as 0).
fn seconds(s: f64) -> caucus_sim::Micros {
    (s.max(0.0) * caucus_sim::SEC as f64) as caucus_sim::Micros
}

impl Kind {
    /// The kind in words, as a file names it with `_` for spaces.
    pub fn words(self) -> &'static str {
        match self {
            Kind::Script => "script",
            Kind::ByHand => "by hand",
            Kind::Violation => "violation",
            Kind::Role => "role",
        }
    }

    fn matches(self, k: MomentKind) -> bool {
        matches!(
            (self, k),
            (Kind::Script, MomentKind::Script)
                | (Kind::ByHand, MomentKind::ByHand)
                | (Kind::Violation, MomentKind::Violation)
                | (Kind::Role, MomentKind::Role)
        )
    }
}

/// Where a condition holds: the cursor that shows it, and the nodes involved.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Found {
    pub step: u64,
    pub nodes: Vec<NodeId>,
}

/// The word an input is written with in the scenario format (`crash`, `heal`).
pub fn input_kind(input: &Input) -> String {
    match serde_json::to_value(input) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o.keys().next().cloned().unwrap_or_default(),
        _ => String::new(),
    }
}

const INPUT_KINDS: &[&str] = &[
    "crash",
    "restart",
    "pause",
    "skew",
    "drift",
    "partition",
    "heal",
    "heal_all",
    "set_link",
    "reorder",
    "drop",
    "duplicate",
    "deliver_next",
    "request",
];

impl Cond {
    /// The condition in words, for a message ("the moment `elected leader`").
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.end {
            parts.push("the run's end".to_string());
        }
        if let Some(t) = self.time_s {
            parts.push(caucus_sim::format_micros(seconds(t)));
        }
        if let Some(m) = &self.moment {
            parts.push(format!("a moment saying “{m}”"));
        }
        if let Some(k) = self.kind {
            parts.push(format!("a {} moment", k.words()));
        }
        if let Some(p) = &self.fails {
            parts.push(format!("property “{p}” failing"));
        }
        if let Some(i) = &self.input {
            let whom = match (&self.role, self.node) {
                (Some(r), _) => format!(" of the {r}"),
                (None, Some(n)) => format!(" of n{n}"),
                _ => String::new(),
            };
            parts.push(format!("a {i} by hand{whom}"));
        } else if let Some(n) = self.node {
            parts.push(format!("involving n{n}"));
        }
        if let Some(p) = self.plus_s {
            parts.push(format!("plus {}", caucus_sim::format_micros(seconds(p))));
        }
        if parts.is_empty() {
            return "where the previous chapter starts".into();
        }
        parts.join(", ")
    }

    /// Checks the condition's shape and the names it uses.
    pub fn validate(&self, names: &Names, field: &str) -> Result<(), LessonError> {
        let anchors = [
            self.end,
            self.time_s.is_some(),
            self.moment.is_some() || self.kind.is_some(),
            self.fails.is_some(),
            self.input.is_some(),
        ];
        if anchors.iter().filter(|a| **a).count() > 1 {
            return Err(LessonError::new(
                field,
                "one of `end`, `time_s`, `moment`/`kind`, `fails` and `input`, not several",
            ));
        }
        if let Some(t) = self.time_s {
            if !(0.0..=3600.0).contains(&t) {
                return Err(LessonError::new(format!("{field}.time_s"), "is between 0 and 3600 seconds"));
            }
        }
        if let Some(p) = self.plus_s {
            if !(0.0..=3600.0).contains(&p) {
                return Err(LessonError::new(format!("{field}.plus_s"), "is between 0 and 3600 seconds"));
            }
        }
        if let Some(m) = &self.moment {
            if m.trim().is_empty() {
                return Err(LessonError::new(format!("{field}.moment"), "must not be empty"));
            }
        }
        if let Some(p) = &self.fails {
            names.property(p, &format!("{field}.fails"))?;
        }
        if let Some(i) = &self.input {
            if !INPUT_KINDS.contains(&i.as_str()) {
                return Err(LessonError::new(
                    format!("{field}.input"),
                    format!("unknown input `{i}` (known: {})", INPUT_KINDS.join(", ")),
                ));
            }
        }
        if let Some(r) = &self.role {
            if self.input.is_none() {
                return Err(LessonError::new(
                    format!("{field}.role"),
                    "goes with `input` (an input aimed at whoever had the role)",
                ));
            }
            names.role(r, &format!("{field}.role"))?;
        }
        if let Some(n) = self.node {
            if !(self.input.is_some() || self.moment.is_some() || self.kind.is_some()) {
                return Err(LessonError::new(format!("{field}.node"), "goes with `moment`, `kind` or `input`"));
            }
            names.node(n, &format!("{field}.node"))?;
        }
        Ok(())
    }

    /// Where the condition first holds at or after cursor `from`, on the recorded run; `None`
    /// when it does not (yet) in what is recorded. The run's cursor is left where it was.
    pub fn find(&self, run: &mut dyn DynRun, from: u64) -> Option<Found> {
        let found = self.anchor(run, from)?;
        match self.plus_s {
            None => Some(found),
            Some(p) => {
                let cursor = run.cursor();
                run.seek(found.step);
                let t = run.now() + (p * SEC as f64) as u64;
                run.seek(cursor);
                let step = run.step_at_time(t) as u64;
                // Past the recorded history: not yet.
                (step < run.head() || head_time(run) >= t).then_some(Found { step: step.max(found.step), ..found })
            }
        }
    }

    fn anchor(&self, run: &mut dyn DynRun, from: u64) -> Option<Found> {
        if self.end {
            return Some(Found { step: run.head().max(from), nodes: vec![] });
        }
        if let Some(t) = self.time_s {
            let t = (t * SEC as f64) as u64;
            let step = run.step_at_time(t) as u64;
            if step >= run.head() && head_time(run) < t {
                return None;
            }
            return Some(Found { step: step.max(from), nodes: vec![] });
        }
        if let Some(p) = &self.fails {
            let v = run.violations().iter().find(|v| v.property.eq_ignore_ascii_case(p))?;
            return (v.step >= from).then(|| Found { step: v.step, nodes: v.failure.nodes.clone() });
        }
        if let Some(kind) = &self.input {
            return self.find_input(run, kind, from);
        }
        if self.moment.is_some() || self.kind.is_some() {
            let text = self.moment.as_deref().map(str::to_ascii_lowercase);
            let m = run.moments().iter().find(|m| {
                m.step >= from
                    && self.kind.is_none_or(|k| k.matches(m.kind))
                    && text.as_deref().is_none_or(|t| m.label.to_ascii_lowercase().contains(t))
                    && self.node.is_none_or(|n| m.nodes.contains(&n))
            })?;
            return Some(Found { step: m.step, nodes: m.nodes.clone() });
        }
        Some(Found { step: from, nodes: vec![] })
    }

    fn find_input(&self, run: &mut dyn DynRun, kind: &str, from: u64) -> Option<Found> {
        // An input applied at cursor `s` shows at cursor `s + 1`.
        let candidates: Vec<(u64, Input)> = run
            .inputs()
            .iter()
            .filter(|(s, i)| s + 1 >= from && input_kind(i) == kind && self.node.is_none_or(|n| i.node() == Some(n)))
            .cloned()
            .collect();
        let cursor = run.cursor();
        let mut found = None;
        for (s, input) in candidates {
            let ok = match &self.role {
                None => true,
                Some(role) => {
                    run.seek(s);
                    match input.node() {
                        Some(n) => run.with_role(role).contains(&n),
                        // A partition "of the leader" cuts the datacenter a role holder is in.
                        None => partition_cuts_role(run, &input, role),
                    }
                }
            };
            if ok {
                found = Some(Found { step: s + 1, nodes: input.node().into_iter().collect() });
                break;
            }
        }
        if self.role.is_some() {
            run.seek(cursor);
        }
        found
    }
}

fn partition_cuts_role(run: &dyn DynRun, input: &Input, role: &str) -> bool {
    let Input::Partition { a, b, .. } = input else { return false };
    let t = run.topology();
    run.with_role(role).iter().any(|&n| {
        let dc = t.nodes[n as usize].dc;
        let on = |side: &Vec<caucus_sim::Endpoint>| {
            side.iter().any(|e| match e {
                caucus_sim::Endpoint::Dc(d) => *d == dc,
                caucus_sim::Endpoint::Node(m) => *m == n,
            })
        };
        on(a) || on(b)
    })
}

/// The simulated time of the last recorded step (0 for none).
fn head_time(run: &dyn DynRun) -> caucus_sim::Micros {
    match run.trace_len() {
        0 => 0,
        n => run.trace_step(n - 1).time,
    }
}
