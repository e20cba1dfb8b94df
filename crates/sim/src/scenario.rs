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

use crate::limits::MAX_SCRIPT;
use crate::sim::{Input, ScriptEntry};
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

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(json: &str) -> String {
        Scenario::from_json(json).unwrap_err().field
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
