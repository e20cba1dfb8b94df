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
//!   "script": [ { "at_us": 2000000, "input": { "type": "pause", "node": 3, "duration_us": 900000 } } ] }
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
        ScenarioError {
            field: field.into(),
            message: message.into(),
        }
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
pub fn from_json_value<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    prefix: &str,
) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let field = match (prefix.is_empty(), path.as_str()) {
            (true, p) => p.to_string(),
            (false, ".") => prefix.to_string(),
            (false, p) => format!("{prefix}.{p}"),
        };
        ScenarioError::new(field, strip_position(&e.inner().to_string()))
    })
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
        let value: serde_json::Value = serde_json::from_str(text)
            .map_err(|e| ScenarioError::new("", format!("not valid JSON: {e}")))?;
        let Some(object) = value.as_object() else {
            return Err(ScenarioError::new("", "a scenario is a JSON object"));
        };
        match object.get("version") {
            None => return Err(ScenarioError::new("version", "missing: this is not a Caucus scenario")),
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
        serde_json::to_string_pretty(self).expect("scenarios serialize")
    }

    /// Checks what the types cannot: script length and contents, and the topology.
    pub fn validate(&self) -> Result<Topology, ScenarioError> {
        if self.version != SCENARIO_VERSION {
            return Err(ScenarioError::new(
                "version",
                format!("version {} is not supported", self.version),
            ));
        }
        if self.script.len() > MAX_SCRIPT {
            return Err(ScenarioError::new(
                "script",
                format!(
                    "{} inputs is over the limit of {MAX_SCRIPT}",
                    self.script.len()
                ),
            ));
        }
        let topology = self
            .topology
            .build()
            .map_err(|e| ScenarioError::new("topology", e.0))?;
        let nodes = topology.nodes.len();
        for (i, entry) in self.script.iter().enumerate() {
            let field = format!("script[{i}].input");
            if entry.input == Input::Step {
                return Err(ScenarioError::new(
                    field,
                    "a script cannot contain `step`: events happen by themselves",
                ));
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
