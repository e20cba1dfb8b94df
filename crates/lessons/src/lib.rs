//! # caucus-lessons
//!
//! A lesson walks a student through one run: chapters that start at moments of the run (a
//! scripted fault, a property's first failure, a leader elected, a time), each with a short text,
//! what to look at, and optionally a question answered by stepping on or a task to do by hand;
//! then challenges graded live by the run's properties. Lessons are data (one TOML file each
//! under `lessons/`, see the README), read by [`files`] with errors naming the field, compiled
//! into their family's page as JSON, and checked over many seeds by [`check`].
//!
//! Everything here is browser-free and deterministic: a condition is found on a recorded run by
//! reading its moments, violations and inputs ([`cond`]); nothing depends on a clock.

pub mod check;
pub mod cond;
#[cfg(feature = "files")]
pub mod files;

pub use cond::{Cond, Found};

use caucus_protocols::{builtin, pack_of, Pack};
use caucus_sim::scenario::from_json_value;
use caucus_sim::{Input, NodeId, Scenario, ScenarioError};
use serde::{Deserialize, Serialize};

/// A family of protocols: one page of the app each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Heartbeat,
    Election,
    Paxos,
    Ring,
    Lock,
    Commit,
    Balance,
    Zab,
}

impl Family {
    /// In the order the root page lists the families.
    pub const ALL: [Family; 8] = [
        Family::Ring,
        Family::Lock,
        Family::Commit,
        Family::Election,
        Family::Zab,
        Family::Paxos,
        Family::Balance,
        Family::Heartbeat,
    ];

    pub fn pack(self) -> Pack {
        match self {
            Family::Heartbeat => Pack::Core,
            Family::Election => Pack::Election,
            Family::Paxos => Pack::Paxos,
            Family::Ring => Pack::Ring,
            Family::Lock => Pack::Lock,
            Family::Commit => Pack::Commit,
            Family::Balance => Pack::Balance,
            Family::Zab => Pack::Zab,
        }
    }
    pub fn of_pack(pack: Pack) -> Family {
        match pack {
            Pack::Core => Family::Heartbeat,
            Pack::Election => Family::Election,
            Pack::Paxos => Family::Paxos,
            Pack::Ring => Family::Ring,
            Pack::Lock => Family::Lock,
            Pack::Commit => Family::Commit,
            Pack::Balance => Family::Balance,
            Pack::Zab => Family::Zab,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            Family::Heartbeat => "heartbeat",
            Family::Election => "election",
            Family::Paxos => "paxos",
            Family::Ring => "ring",
            Family::Lock => "lock",
            Family::Commit => "commit",
            Family::Balance => "balance",
            Family::Zab => "zab",
        }
    }
    /// The family's name for people.
    pub fn title(self) -> &'static str {
        match self {
            Family::Heartbeat => "Failure detection",
            Family::Election => "Leader election and consensus: Raft",
            Family::Paxos => "Consensus without a leader, and a naive election: Paxos and Bully",
            Family::Ring => "Consistent hashing",
            Family::Lock => "Distributed locks",
            Family::Commit => "Distributed transactions",
            Family::Balance => "Load balancing across datacenters",
            Family::Zab => "Atomic broadcast: Zab, under ZooKeeper",
        }
    }
}

/// One lesson, as its file says (with `html` filled in by [`files`] from the Markdown).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Lesson {
    /// Lowercase words joined by `-`, unique: what `?lesson=` names.
    pub id: String,
    pub title: String,
    pub family: Family,
    /// One sentence for the index.
    #[serde(default)]
    pub summary: String,
    /// A built-in scenario's name, or a whole scenario inline (the scenario format).
    pub scenario: serde_json::Value,
    /// The seed the lesson opens on (default: the scenario's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub chapters: Vec<Chapter>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub challenges: Vec<Challenge>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Chapter {
    pub title: String,
    /// A little Markdown: emphasis, code, lists, links.
    pub text: String,
    /// `text` rendered (by the build, not in the browser).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
    /// Where the chapter starts: the first step at or after the previous chapter's where this
    /// holds. Default: where the previous chapter started (the run's start for the first).
    #[serde(default)]
    pub at: Cond,
    /// What to look at: `n2` (a node), `role:holder` (whoever has the role there), `moment`
    /// (the nodes of the moment the chapter starts at), `row:NAME` (a row of the figure marked
    /// `data-row="NAME"`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlight: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<Question>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<Task>,
    /// A second run played beside this one on the same seed, for a contrast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contrast: Option<Contrast>,
}

/// A question answered by stepping on: its answer is revealed when `reveal` happens.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Question {
    /// The question (a little Markdown, one paragraph).
    pub ask: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ask_html: String,
    pub choices: Vec<String>,
    /// The index of the right choice, from 0.
    pub answer: usize,
    /// Why, shown with the answer (Markdown).
    pub explain: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub explain_html: String,
    /// When the run shows the answer. Default: where the next chapter starts (the run's end for
    /// the last).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reveal: Option<Cond>,
}

/// Something for the student to do by hand, checked by a condition on what they did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Task {
    /// What to do, in words: "Crash the leader now." (a little Markdown, one paragraph).
    pub ask: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ask_html: String,
    /// Done when this holds at or after the chapter's start (an `input` here is one by hand).
    pub done: Cond,
    pub hint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint_html: String,
    /// The inputs that do it, applied by "Show me" and by `caucus lesson check`.
    pub solution: Vec<Act>,
}

/// A goal graded live: met when `goal` holds after at least one input by hand.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Challenge {
    pub id: String,
    pub title: String,
    /// What to achieve, in a sentence or two (Markdown).
    pub text: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub html: String,
    /// The run it starts from (default: the lesson's scenario), by name or inline.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub scenario: serde_json::Value,
    pub goal: Cond,
    pub hint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hint_html: String,
    /// Inputs that meet it, from the run's start: `caucus lesson check` plays them.
    pub solution: Vec<Act>,
}

/// A second run beside the lesson's, on the same seed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Contrast {
    /// A built-in scenario's name, or one inline.
    pub scenario: serde_json::Value,
    /// What the lesson's own run is called beside it ("lease only").
    pub label: String,
    /// What the contrast is called ("with fencing tokens").
    pub other: String,
}

/// An input the student (or the checker) applies: at a node, at whoever has a role then, or at
/// the node an earlier act went to; after waiting `after_s` of simulated time.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "files", serde(deny_unknown_fields))]
pub struct Act {
    /// Simulated seconds to play before applying it (from the chapter's start, or the last act).
    #[serde(default)]
    pub after_s: f64,
    /// The input, in the scenario format (`{ crash = {} }`, `{ pause = { duration_us = 2000000 } }`,
    /// `"heal"`); its `node` may be left out when `node`, `role` or `same_as` says.
    pub input: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<NodeId>,
    /// Aim it at the first node with this role (playing on until one has it, at most 10 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Aim it at the node act `same_as` (an earlier one, from 0) went to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub same_as: Option<usize>,
}

/// What is wrong with a lesson: the file, the field and why.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonError {
    /// The lesson's file or id; empty when not known.
    pub lesson: String,
    /// A path such as `chapters[2].at.fails`.
    pub field: String,
    pub message: String,
}

impl LessonError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> LessonError {
        LessonError { lesson: String::new(), field: field.into(), message: message.into() }
    }
    pub fn in_lesson(mut self, lesson: &str) -> LessonError {
        if self.lesson.is_empty() {
            self.lesson = lesson.to_string();
        }
        self
    }
}

impl std::fmt::Display for LessonError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.lesson.is_empty() {
            write!(f, "{}: ", self.lesson)?;
        }
        if self.field.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}
impl std::error::Error for LessonError {}

impl From<ScenarioError> for LessonError {
    fn from(e: ScenarioError) -> LessonError {
        LessonError::new(e.field, e.message)
    }
}

/// Reads a lesson from JSON (what the build compiles in), naming the failing field.
pub fn lesson_from_json(value: serde_json::Value) -> Result<Lesson, LessonError> {
    caucus_sim::scenario::from_json_value::<Lesson>(value, "").map_err(LessonError::from)
}

/// Resolves a scenario reference (a built-in name or an inline scenario) named by `field`.
pub fn resolve_scenario(value: &serde_json::Value, field: &str) -> Result<Scenario, LessonError> {
    match value {
        serde_json::Value::String(name) => {
            if let Some(s) = builtin(name) {
                return Ok(s);
            }
            let all: Vec<String> = caucus_protocols::builtin_scenarios().into_iter().map(|s| s.name).collect();
            Err(LessonError::new(field, format!("unknown built-in scenario `{name}` (known: {})", all.join(", "))))
        }
        serde_json::Value::Object(_) => {
            let s: Scenario = from_json_value(value.clone(), field)?;
            s.validate().map_err(|e| {
                let inner = if e.field.is_empty() { field.to_string() } else { format!("{field}.{}", e.field) };
                LessonError::new(inner, e.message)
            })?;
            Ok(s)
        }
        _ => Err(LessonError::new(field, "must be a built-in scenario's name or a scenario table")),
    }
}

impl Lesson {
    /// The lesson's scenario, on its seed.
    pub fn scenario(&self) -> Result<Scenario, LessonError> {
        let mut s = resolve_scenario(&self.scenario, "scenario")?;
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        Ok(s)
    }

    /// The scenario a challenge starts from, on the lesson's seed.
    pub fn challenge_scenario(&self, index: usize) -> Result<Scenario, LessonError> {
        let c = &self.challenges[index];
        if c.scenario.is_null() {
            return self.scenario();
        }
        let mut s = resolve_scenario(&c.scenario, &format!("challenges[{index}].scenario"))?;
        if let Some(seed) = self.seed {
            s.seed = seed;
        }
        Ok(s)
    }

    /// Checks what can be checked without playing: names, the scenario's family, conditions that
    /// name properties and roles this protocol has, questions with a right answer, acts that parse.
    pub fn validate(&self) -> Result<(), LessonError> {
        let e = |field: &str, m: String| Err(LessonError::new(field, m).in_lesson(&self.id));
        if self.id.is_empty() || !self.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return e("id", format!("`{}` must be lowercase letters, digits and `-`", self.id));
        }
        if self.title.trim().is_empty() {
            return e("title", "must not be empty".into());
        }
        if self.chapters.is_empty() {
            return e("chapters", "a lesson has at least one chapter".into());
        }
        let scenario = self.scenario().map_err(|x| x.in_lesson(&self.id))?;
        let family_of = |s: &Scenario, field: &str| -> Result<(), LessonError> {
            let pack = pack_of(&s.protocol.name);
            if pack != Some(self.family.pack()) {
                return Err(LessonError::new(
                    field,
                    format!(
                        "scenario `{}` runs protocol `{}`, not one of family `{}`",
                        s.name,
                        s.protocol.name,
                        self.family.word()
                    ),
                )
                .in_lesson(&self.id));
            }
            Ok(())
        };
        family_of(&scenario, "scenario")?;
        let run = caucus_protocols::build(&scenario).map_err(|x| LessonError::from(x).in_lesson(&self.id))?;
        let names = Names::of(run.as_ref());
        for (i, ch) in self.chapters.iter().enumerate() {
            let at = |f: &str| format!("chapters[{i}].{f}");
            if ch.title.trim().is_empty() {
                return e(&at("title"), "must not be empty".into());
            }
            if ch.text.trim().is_empty() {
                return e(&at("text"), "must not be empty".into());
            }
            ch.at.validate(&names, &at("at")).map_err(|x| x.in_lesson(&self.id))?;
            for (h, what) in ch.highlight.iter().enumerate() {
                names.highlight(what, &at(&format!("highlight[{h}]"))).map_err(|x| x.in_lesson(&self.id))?;
            }
            if let Some(q) = &ch.question {
                if q.choices.len() < 2 {
                    return e(&at("question.choices"), "a question has at least two choices".into());
                }
                if q.answer >= q.choices.len() {
                    return e(
                        &at("question.answer"),
                        format!("is {} but there are {} choices (counted from 0)", q.answer, q.choices.len()),
                    );
                }
                if let Some(r) = &q.reveal {
                    r.validate(&names, &at("question.reveal")).map_err(|x| x.in_lesson(&self.id))?;
                }
            }
            if let Some(t) = &ch.task {
                t.done.validate(&names, &at("task.done")).map_err(|x| x.in_lesson(&self.id))?;
                if t.solution.is_empty() {
                    return e(&at("task.solution"), "a task says how it is done (at least one act)".into());
                }
                for (k, act) in t.solution.iter().enumerate() {
                    act.validate(&names, k, &at(&format!("task.solution[{k}]"))).map_err(|x| x.in_lesson(&self.id))?;
                }
            }
            if let Some(c) = &ch.contrast {
                let s = resolve_scenario(&c.scenario, &at("contrast.scenario")).map_err(|x| x.in_lesson(&self.id))?;
                family_of(&s, &at("contrast.scenario"))?;
            }
        }
        let mut seen = Vec::new();
        for (i, c) in self.challenges.iter().enumerate() {
            let at = |f: &str| format!("challenges[{i}].{f}");
            if c.id.is_empty() || seen.contains(&c.id) {
                return e(&at("id"), format!("`{}` must be non-empty and unique in the lesson", c.id));
            }
            seen.push(c.id.clone());
            let s = self.challenge_scenario(i).map_err(|x| x.in_lesson(&self.id))?;
            family_of(&s, &at("scenario"))?;
            let run = caucus_protocols::build(&s).map_err(|x| LessonError::from(x).in_lesson(&self.id))?;
            let names = Names::of(run.as_ref());
            c.goal.validate(&names, &at("goal")).map_err(|x| x.in_lesson(&self.id))?;
            if c.solution.is_empty() {
                return e(&at("solution"), "a challenge says how it can be met (at least one act)".into());
            }
            for (k, act) in c.solution.iter().enumerate() {
                act.validate(&names, k, &at(&format!("solution[{k}]"))).map_err(|x| x.in_lesson(&self.id))?;
            }
        }
        Ok(())
    }
}

/// The names a run's protocol knows: its properties, its roles, its nodes.
pub struct Names {
    pub properties: Vec<String>,
    pub roles: Vec<(&'static str, bool)>,
    pub nodes: usize,
}

impl Names {
    pub fn of(run: &dyn caucus_sim::DynRun) -> Names {
        Names {
            properties: run.properties().into_iter().map(|p| p.name).collect(),
            roles: run.roles().iter().map(|r| (r.name, r.arg.is_some())).collect(),
            nodes: run.topology().nodes.len(),
        }
    }

    pub fn property(&self, name: &str, field: &str) -> Result<(), LessonError> {
        if self.properties.iter().any(|p| p.eq_ignore_ascii_case(name)) {
            return Ok(());
        }
        Err(LessonError::new(
            field,
            format!("unknown property `{name}` (this protocol has: {})", self.properties.join("; ")),
        ))
    }

    pub fn role(&self, role: &str, field: &str) -> Result<(), LessonError> {
        let (name, arg) = role.split_once(':').unwrap_or((role, ""));
        match self.roles.iter().find(|(r, _)| *r == name) {
            Some((_, true)) if arg.is_empty() => {
                Err(LessonError::new(field, format!("role `{name}` needs an argument (`{name}:...`)")))
            }
            Some(_) => Ok(()),
            None if self.roles.is_empty() => {
                Err(LessonError::new(field, format!("this protocol has no roles (`{role}`)")))
            }
            None => {
                let known: Vec<_> = self.roles.iter().map(|(r, _)| *r).collect();
                Err(LessonError::new(field, format!("unknown role `{name}` (known: {})", known.join(", "))))
            }
        }
    }

    pub fn node(&self, node: NodeId, field: &str) -> Result<(), LessonError> {
        if (node as usize) < self.nodes {
            return Ok(());
        }
        Err(LessonError::new(field, format!("node {node} does not exist (the topology has {} nodes)", self.nodes)))
    }

    fn highlight(&self, what: &str, field: &str) -> Result<(), LessonError> {
        if what == "moment" || what.strip_prefix("row:").is_some_and(|r| !r.is_empty()) {
            return Ok(());
        }
        if let Some(role) = what.strip_prefix("role:") {
            return self.role(role, field);
        }
        if let Some(n) = what.strip_prefix('n').and_then(|n| n.parse::<NodeId>().ok()) {
            return self.node(n, field);
        }
        Err(LessonError::new(field, format!("`{what}` is not `nN`, `role:NAME`, `moment` or `row:NAME`")))
    }
}

impl Act {
    /// The input as written, with a left-out `node` (and a partition's sides) filled in as a
    /// scenario's aimed entry does.
    fn parse_input(&self, node: NodeId, field: &str) -> Result<Input, LessonError> {
        let mut value = self.input.clone();
        if let Some(obj) = value.as_object_mut() {
            for (kind, body) in obj.iter_mut() {
                if let Some(b) = body.as_object_mut() {
                    if kind == "partition" {
                        b.entry("a").or_insert(serde_json::json!([]));
                        b.entry("b").or_insert(serde_json::json!([]));
                    } else if !b.contains_key("node") && kind != "set_link" && kind != "reorder" {
                        b.insert("node".into(), serde_json::json!(node));
                    }
                }
            }
        }
        Ok(from_json_value(value, &format!("{field}.input"))?)
    }

    /// The input this act applies, aimed at `node` when the act names a node, a role or an
    /// earlier act (a partition then cuts the node's datacenter off).
    pub fn input_at(
        &self,
        node: Option<NodeId>,
        topology: &caucus_sim::Topology,
        field: &str,
    ) -> Result<Input, LessonError> {
        let target = node.or(self.node);
        let input = self.parse_input(target.unwrap_or(0), field)?;
        match target {
            Some(n) => Ok(input.aimed_at(n, topology).unwrap_or(input)),
            None => Ok(input),
        }
    }

    fn validate(&self, names: &Names, index: usize, field: &str) -> Result<(), LessonError> {
        if !(0.0..=3600.0).contains(&self.after_s) {
            return Err(LessonError::new(format!("{field}.after_s"), "is between 0 and 3600 seconds"));
        }
        if let Some(r) = &self.role {
            names.role(r, &format!("{field}.role"))?;
        }
        if let Some(n) = self.node {
            names.node(n, &format!("{field}.node"))?;
        }
        if let Some(j) = self.same_as {
            if j >= index {
                return Err(LessonError::new(
                    format!("{field}.same_as"),
                    format!("names act {j}, which is not an earlier one"),
                ));
            }
        }
        let aimed = [self.role.is_some(), self.node.is_some(), self.same_as.is_some()].iter().filter(|b| **b).count();
        if aimed > 1 {
            return Err(LessonError::new(field, "at most one of `node`, `role` and `same_as`"));
        }
        self.parse_input(0, field).map(|_| ())
    }
}

/// The lessons' index entry: what the root page and other packs list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub id: String,
    pub family: Family,
    /// Empty (and left out) in the packs other than the root, which only route by id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    pub chapters: usize,
    pub challenges: usize,
}

impl Entry {
    pub fn of(l: &Lesson) -> Entry {
        Entry {
            id: l.id.clone(),
            family: l.family,
            title: l.title.clone(),
            summary: l.summary.clone(),
            chapters: l.chapters.len(),
            challenges: l.challenges.len(),
        }
    }
}
