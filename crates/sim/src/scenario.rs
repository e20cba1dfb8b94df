//! A scenario: everything needed to reproduce a run, as versioned JSON.
//!
//! The same JSON is what the CLI reads, what the UI exports and (compacted) what a link carries.
//! Version 1:
//!
//! ```json
//! { "version": 1, "name": "heartbeat-gc-pause",
//!   "protocol": { "name": "heartbeat", "params": { "interval_us": 100000 } },
//!   "topology": { "preset": "three-regions", "nodes_per_dc": 2 },
//!   "seed": 7, "until_us": 10000000,
//!   "script": [ { "at_us": 2000000, "input": { "pause": { "node": 3, "duration_us": 900000 } } } ] }
//! ```
//!
//! A script entry may aim its input at whoever plays a part in the story, resolved while the run
//! plays, instead of at a node id:
//!
//! ```json
//! { "at_us": 4000000, "when": { "role": "working", "newly": true, "within_us": 5000000 },
//!   "input": { "pause": { "duration_us": 2000000 } } }
//! { "at_us": 9000000, "when": { "same_as": 1 }, "input": "restart" }
//! ```
//!
//! - `when.role` names one of the protocol's roles (`Protocol::roles`: `leader`, `holder`,
//!   `coordinator`, `owner:k3` with an argument after the colon). From `at_us` on, the entry waits
//!   until some node has the role (checked after every step) and then applies its input to the
//!   first node the protocol names (lowest id by default). A role may be a condition ("the
//!   holder, before its write"), so waiting for it is how an entry waits for a condition.
//! - `when.newly: true`: only a node that takes the role after `at_us` counts, at the step it
//!   takes it ("just after it was granted the lock").
//! - `when.within_us` (default 10 s): if nobody had the role by `at_us + within_us`, the run
//!   records a step `script_skipped` saying so; an entry is never dropped silently.
//! - `when.same_as: j`: the node that entry `j` (an earlier one) went to, at `at_us`, without
//!   waiting; skipped with a step saying why if entry `j` did not happen.
//! - The input's `node` is replaced by the node found and may be left out (it is read as 0 and
//!   written as the node found in the trace). A `partition` with `when` cuts the node's
//!   datacenter off from every other one: write `a` and `b` as empty lists, or leave them out.
//!   Only inputs aimed at a node (crash, restart, pause, skew, drift, request) and partitions
//!   may have a `when`.
//! - The trace records the concrete input (`what.input` names the node) with `what.role`, the
//!   role in words, so captions read `n2 (the holder, before its write) stops for a 2 s pause`.
//! - An unknown role, or one the protocol does not have, is refused up front naming the field
//!   (`script[3].when.role`).

use crate::limits::{MAX_DESCRIPTION_CHARS, MAX_FAULT_US, MAX_NAME_CHARS, MAX_SCRIPT};
use crate::protocol::Role;
use crate::sim::{Input, ScriptEntry, When};
use crate::time::{Micros, SEC};
use crate::topology::{Topology, TopologySpec};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The scenario format this build reads and writes.
pub const SCENARIO_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub version: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub protocol: ProtocolSpec,
    pub topology: TopologySpec,
    #[serde(default)]
    pub seed: u64,
    /// How long `caucus run` runs it, in simulated microseconds.
    #[serde(default = "default_until")]
    pub until_us: Micros,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<ScriptEntry>,
}

fn default_until() -> Micros {
    10 * SEC
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProtocolSpec {
    pub name: String,
    /// The protocol's own parameters; missing fields take their defaults.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub params: serde_json::Value,
}

/// What is wrong with a scenario, naming the field.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// A path such as `script[2].input.node`; empty when the document as a whole is wrong.
    pub field: String,
    pub message: String,
}

impl ScenarioError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> ScenarioError {
        ScenarioError { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() || self.field == "." {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field `{}`: {}", self.field, self.message)
        }
    }
}
impl std::error::Error for ScenarioError {}

/// Deserializes `T` from JSON, naming the failing field (`prefix` is prepended to the path).
///
/// The value is printed pretty (one key per line, two spaces per level) and parsed back, so the
/// line of serde_json's error locates the field: [`path_at_line`] reads the enclosing keys off the
/// indentation. This costs a fraction of the code size of tracking the path during
/// deserialization, which matters in the browser bundle.
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ScenarioError> {
    let pretty = serde_json::to_string_pretty(&value).expect("JSON values print");
    serde_json::from_str(&pretty).map_err(|e| {
        let path = path_at_line(&pretty, e.line());
        let field = match (prefix.is_empty(), path.is_empty()) {
            (_, true) => prefix.to_string(),
            (true, false) => path,
            (false, false) => format!("{prefix}.{path}"),
        };
        ScenarioError::new(field, strip_position(&e.to_string()))
    })
}

/// The path (`script[0].input.crash.node`) of line `line` (1-based) of `serde_json`'s pretty
/// output. A closing bracket belongs to the container it closes.
pub fn path_at_line(pretty: &str, line: usize) -> String {
    let lines: Vec<&str> = pretty.lines().collect();
    if line == 0 || line > lines.len() {
        return String::new();
    }
    let indent = |i: usize| lines[i].len() - lines[i].trim_start().len();
    let key = |i: usize| {
        let t = lines[i].trim_start();
        let rest = t.strip_prefix('"')?;
        let end = rest.find("\":")?;
        Some(rest[..end].to_string())
    };
    let closes = |i: usize| lines[i].trim_start().starts_with(['}', ']']);
    let mut cur = line - 1;
    if closes(cur) {
        // Find the line that opened this container.
        let level = indent(cur);
        match (0..cur).rev().find(|&i| indent(i) == level && !closes(i)) {
            Some(open) => cur = open,
            None => return String::new(),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if let Some(k) = key(cur) {
        parts.push(k);
    }
    while indent(cur) > 0 {
        let level = indent(cur);
        let Some(parent) = (0..cur).rev().find(|&i| indent(i) < level) else {
            break;
        };
        if lines[parent].trim_end().ends_with('[') {
            let index = (parent + 1..=cur).filter(|&i| indent(i) == level && !closes(i)).count() - 1;
            parts.push(format!("[{index}]"));
        }
        if let Some(k) = key(parent) {
            parts.push(k);
        }
        cur = parent;
    }
    parts.reverse();
    let mut path = String::new();
    for p in parts {
        if !path.is_empty() && !p.starts_with('[') {
            path.push('.');
        }
        path.push_str(&p);
    }
    path
}

/// JSON for people, indented. Serialized compactly first and re-printed from a `Value`, so each
/// type's `Serialize` impl exists once in the browser bundle (not once per formatter).
pub fn pretty<T: Serialize + ?Sized>(value: &T) -> String {
    let compact = serde_json::to_string(value).expect("our types serialize");
    let value: serde_json::Value = serde_json::from_str(&compact).expect("serde_json reads its own output");
    serde_json::to_string_pretty(&value).expect("JSON values print")
}

/// Script entries with `when` may leave out their input's `node` (and a partition its sides):
/// they are filled in as 0 (and empty) for the typed parse; the simulator replaces them.
fn fill_aimed_inputs(value: &mut serde_json::Value) {
    let Some(script) = value.get_mut("script").and_then(|s| s.as_array_mut()) else { return };
    for entry in script {
        let Some(entry) = entry.as_object_mut() else { continue };
        if !entry.get("when").is_some_and(|w| w.is_object()) {
            continue;
        }
        let Some(input) = entry.get_mut("input") else { continue };
        if let Some(name) = input.as_str() {
            if matches!(name, "crash" | "restart") {
                *input = serde_json::json!({ name: { "node": 0 } });
            }
            continue;
        }
        let Some(object) = input.as_object_mut() else { continue };
        if object.len() != 1 {
            continue;
        }
        let (name, body) = object.iter_mut().next().expect("one key");
        let Some(body) = body.as_object_mut() else { continue };
        match name.as_str() {
            "crash" | "restart" | "pause" | "skew" | "drift" | "request" => {
                body.entry("node").or_insert(serde_json::json!(0));
            }
            "partition" => {
                body.entry("a").or_insert(serde_json::json!([]));
                body.entry("b").or_insert(serde_json::json!([]));
            }
            _ => {}
        }
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

impl Scenario {
    /// Parses and checks a scenario written as JSON.
    pub fn from_json(text: &str) -> Result<Scenario, ScenarioError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ScenarioError::new("", format!("not valid JSON: {e}")))?;
        let Some(object) = value.as_object() else {
            return Err(ScenarioError::new("", "a scenario is a JSON object"));
        };
        match object.get("version") {
            None => return Err(ScenarioError::new("version", "missing: this is not a Caucus scenario")),
            Some(v) if !v.is_u64() => {
                return Err(ScenarioError::new("version", format!("must be the number {SCENARIO_VERSION}, not {v}")))
            }
            Some(v) if v.as_u64() != Some(SCENARIO_VERSION as u64) => {
                return Err(ScenarioError::new(
                    "version",
                    format!("version {v} is not supported (this Caucus reads version {SCENARIO_VERSION})"),
                ))
            }
            _ => {}
        }
        let mut value = value;
        fill_aimed_inputs(&mut value);
        let scenario: Scenario = from_json_value(value, "")?;
        scenario.validate()?;
        Ok(scenario)
    }

    pub fn to_json(&self) -> String {
        pretty(self)
    }

    /// Checks what the types cannot: script length and contents, and the topology.
    pub fn validate(&self) -> Result<Topology, ScenarioError> {
        if self.version != SCENARIO_VERSION {
            return Err(ScenarioError::new("version", format!("version {} is not supported", self.version)));
        }
        let chars = self.name.chars().count();
        if chars > MAX_NAME_CHARS {
            return Err(ScenarioError::new(
                "name",
                format!("{chars} characters is over the limit of {MAX_NAME_CHARS}"),
            ));
        }
        let chars = self.description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(ScenarioError::new(
                "description",
                format!("{chars} characters is over the limit of {MAX_DESCRIPTION_CHARS}"),
            ));
        }
        if self.script.len() > MAX_SCRIPT {
            return Err(ScenarioError::new(
                "script",
                format!("{} inputs is over the limit of {MAX_SCRIPT}", self.script.len()),
            ));
        }
        let topology = self.topology.build().map_err(|e| ScenarioError::new("topology", e.0))?;
        let nodes = topology.nodes.len();
        for (i, entry) in self.script.iter().enumerate() {
            let field = format!("script[{i}].input");
            if entry.input == Input::Step {
                return Err(ScenarioError::new(field, "a script cannot contain `step`: events happen by themselves"));
            }
            if let Err((sub, why)) = entry.input.check_bounds() {
                return Err(ScenarioError::new(format!("{field}.{sub}"), why));
            }
            if let Some(when) = &entry.when {
                check_when(&self.script, i, when, &topology)?;
                continue;
            }
            if let Some(node) = entry.input.node() {
                if node as usize >= nodes {
                    return Err(ScenarioError::new(
                        format!("{field}.node"),
                        format!("there is no node {node} (the topology has {nodes})"),
                    ));
                }
            }
        }
        Ok(topology)
    }
}

/// The protocol-independent checks of entry `i`'s `when`.
fn check_when(script: &[ScriptEntry], i: usize, when: &When, topology: &Topology) -> Result<(), ScenarioError> {
    let field = |f: &str| format!("script[{i}].{f}");
    if script[i].input.aimed_at(0, topology).is_none() {
        return Err(ScenarioError::new(
            field("input"),
            "an input with `when` must be aimed at a node (crash, restart, pause, skew, drift, request) or be a partition",
        ));
    }
    if let Input::Partition { a, b, .. } = &script[i].input {
        if !a.is_empty() || !b.is_empty() {
            return Err(ScenarioError::new(
                field("input.partition"),
                "a partition with `when` cuts the node's datacenter off from the others: leave `a` and `b` empty",
            ));
        }
    }
    match (&when.role, when.same_as) {
        (Some(_), Some(_)) => {
            return Err(ScenarioError::new(field("when"), "give either `role` or `same_as`, not both"))
        }
        (None, None) => return Err(ScenarioError::new(field("when"), "needs a `role` or a `same_as`")),
        (Some(role), None) if role.is_empty() || role.starts_with(':') => {
            return Err(ScenarioError::new(field("when.role"), "a role needs a name"))
        }
        (None, Some(j)) => {
            let j = j as usize;
            if j >= i {
                return Err(ScenarioError::new(
                    field("when.same_as"),
                    format!("must name an earlier entry (0 to {}), not {j}", i as i64 - 1),
                ));
            }
            if script[j].when.is_none() && script[j].input.node().is_none() {
                return Err(ScenarioError::new(field("when.same_as"), format!("script[{j}] is not aimed at a node")));
            }
            if when.newly || when.within_us.is_some() {
                return Err(ScenarioError::new(
                    field("when"),
                    "`newly` and `within_us` go with a `role`; `same_as` does not wait",
                ));
            }
        }
        _ => {}
    }
    if let Some(w) = when.within_us {
        if w == 0 || w > MAX_FAULT_US {
            return Err(ScenarioError::new(
                field("when.within_us"),
                format!("must be between 1 µs and {MAX_FAULT_US} µs (one hour)"),
            ));
        }
    }
    Ok(())
}

/// The checks of script roles that need the protocol: every `when.role` is one of `roles`, with
/// an argument exactly when the role takes one.
pub fn check_roles(script: &[ScriptEntry], protocol: &str, roles: &[Role]) -> Result<(), ScenarioError> {
    for (i, entry) in script.iter().enumerate() {
        let Some((name, arg)) = entry.when.as_ref().and_then(|w| w.role_parts()) else { continue };
        let field = format!("script[{i}].when.role");
        let Some(role) = roles.iter().find(|r| r.name == name) else {
            let known: Vec<String> = roles
                .iter()
                .map(|r| if r.arg.is_some() { format!("{}:…", r.name) } else { r.name.to_string() })
                .collect();
            let known =
                if known.is_empty() { "it has none".to_string() } else { format!("its roles: {}", known.join(", ")) };
            return Err(ScenarioError::new(field, format!("`{name}` is not a role of {protocol} ({known})")));
        };
        match (role.arg, arg.is_empty()) {
            (Some(what), true) => {
                return Err(ScenarioError::new(field, format!("`{name}` needs an argument after `:`, {what}")))
            }
            (None, false) => {
                return Err(ScenarioError::new(field, format!("`{name}` takes no argument (remove `:{arg}`)")))
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(json: &str) -> String {
        Scenario::from_json(json).unwrap_err().field
    }

    #[test]
    fn a_script_input_over_the_limits_refuses_the_whole_scenario() {
        // Typed by hand these are refused; in a file they used to be skipped mid-run with a note.
        let with = |input: &str| {
            format!(
                r#"{{"version":1,"protocol":{{"name":"heartbeat"}},"topology":{{"preset":"three-regions"}},"script":[{{"at_us":1,"input":"heal"}},{{"at_us":2,"input":{input}}}]}}"#
            )
        };
        let two_hours = with(r#"{"pause":{"node":0,"duration_us":7200000000}}"#);
        let e = Scenario::from_json(&two_hours).unwrap_err();
        assert_eq!(e.field, "script[1].input.pause.duration_us", "{e}");
        assert!(e.message.contains("3600000000"), "{e}");
        assert_eq!(field_of(&with(r#"{"drift":{"node":1,"ppm":2000000}}"#)), "script[1].input.drift.ppm");
        assert_eq!(field_of(&with(r#"{"skew":{"node":1,"by_us":-7200000000}}"#)), "script[1].input.skew.by_us");
        assert!(Scenario::from_json(&with(r#"{"pause":{"node":0,"duration_us":2000000}}"#)).is_ok());
        let big = format!(r#"{{"request":{{"node":0,"request":{{"submit":{{"command":"{}"}}}}}}}}"#, "x".repeat(5000));
        assert_eq!(field_of(&with(&big)), "script[1].input.request.request");
    }

    #[test]
    fn a_description_or_name_too_long_is_refused_naming_it() {
        let with = |name: &str, description: &str| {
            format!(
                r#"{{"version":1,"name":"{name}","description":"{description}","protocol":{{"name":"heartbeat"}},"topology":{{"preset":"three-regions"}}}}"#
            )
        };
        assert_eq!(field_of(&with("x", &"d".repeat(MAX_DESCRIPTION_CHARS + 1))), "description");
        assert_eq!(field_of(&with(&"n".repeat(MAX_NAME_CHARS + 1), "")), "name");
        // Characters, not bytes: 4,000 accented letters are within the limit.
        assert!(Scenario::from_json(&with("x", &"é".repeat(MAX_DESCRIPTION_CHARS))).is_ok());
    }

    #[test]
    fn errors_name_the_field() {
        let base = |params: &str, script: &str| {
            format!(
                r#"{{"version":1,"protocol":{{"name":"heartbeat","params":{params}}},"topology":{{"preset":"three-regions"}},"script":{script}}}"#
            )
        };
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Params {
            interval_us: u64,
        }
        let e = from_json_value::<Params>(serde_json::json!({"interval_us": "x"}), "protocol.params").unwrap_err();
        assert_eq!(e.field, "protocol.params.interval_us");
        assert_eq!(
            field_of(&base("{}", r#"[{"at_us":1,"input":"heal"},{"at_us":"soon","input":"heal"}]"#)),
            "script[1].at_us"
        );
        assert_eq!(
            field_of(&base("{}", r#"[{"at_us":1,"input":{"crash":{"node":"x"}}}]"#)),
            "script[0].input.crash.node"
        );
        assert_eq!(field_of(&base("{}", r#"[{"at_us":1}]"#)), "script[0]");
        assert_eq!(
            field_of(r#"{"version":1,"protocol":{"name":"x"},"topology":{"preset":"one-datacenter","colour":1}}"#),
            "topology.colour"
        );
        let missing = Scenario::from_json(r#"{"version":1,"topology":{}}"#).unwrap_err();
        assert!(missing.message.contains("missing field `protocol`"), "{missing}");
    }

    #[test]
    fn paths_follow_indentation() {
        let pretty = serde_json::to_string_pretty(&serde_json::json!({"a": [1, {"b": [[true], {"c": 2}]}]})).unwrap();
        let line_of = |needle: &str| pretty.lines().position(|l| l.contains(needle)).unwrap() + 1;
        assert_eq!(path_at_line(&pretty, line_of("\"c\"")), "a[1].b[1].c");
        assert_eq!(path_at_line(&pretty, line_of("true")), "a[1].b[0][0]");
        assert_eq!(path_at_line(&pretty, 1), "");
    }
}
