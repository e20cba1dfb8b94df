//! A node's state in words: the JSON a protocol's state serializes to (`node_state_json`) turned
//! into readable rows and small tables. Keys are humanized (`voted_for` → "Voted for"), node ids
//! become node names with their colour, `…_us` microseconds become times, arrays of records become
//! tables (a Raft log: index, term, command), and per-node vectors a row per node. What a node
//! believes (its leader, term, lease, holder, decision) comes first. Generic over every protocol:
//! the few hints are key names.

use crate::components::{fmt_time, node_chip};
use caucus_sim::Topology;
use serde_json::{Map, Value};
use yew::prelude::*;

/// Keys whose integers are node ids.
const NODE_KEYS: &[&str] = &[
    "voted_for",
    "leader",
    "votes",
    "acks",
    "client",
    "proposer",
    "coordinator",
    "contenders",
    "holder",
    "node",
    "servers",
    "storage",
    "clients",
    "owner",
    "hint_for",
    "from",
    "to",
    "granted",
    "waiters",
    "members_seen",
];
/// Keys that say what the node believes, shown first in their own box.
const BELIEF_KEYS: &[&str] = &[
    "role",
    "phase",
    "term",
    "leader",
    "voted_for",
    "commit_index",
    "held",
    "holder",
    "token",
    "valid_until_us",
    "value",
    "outcome",
    "decision",
    "state",
];
/// Rows of a table shown at most (the raw JSON has the rest).
const MAX_ROWS: usize = 40;

pub struct Names<'a> {
    topology: &'a Topology,
}

impl<'a> Names<'a> {
    pub fn new(topology: &'a Topology) -> Self {
        Names { topology }
    }
    fn node(&self, id: u64) -> Option<Html> {
        let n = self.topology.nodes.get(usize::try_from(id).ok()?)?;
        Some(node_chip(n.id, &n.name, None))
    }
    fn node_name(&self, id: u64) -> Option<String> {
        Some(self.topology.nodes.get(usize::try_from(id).ok()?)?.name.clone())
    }
    fn count(&self) -> usize {
        self.topology.nodes.len()
    }
}

/// `voted_for` → "Voted for", `valid_until_us` → "Valid until", `commit_index` → "Commit index".
pub fn humanize(key: &str) -> String {
    let k = key.strip_suffix("_us").unwrap_or(key);
    let words = k.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => std::iter::once(f.to_ascii_uppercase()).chain(c).collect(),
        None => String::new(),
    }
}

fn is_node_key(key: &str) -> bool {
    NODE_KEYS.contains(&key) || key.ends_with("_node") || key.ends_with("_nodes") || key.ends_with("_by")
}

fn is_time_key(key: &str) -> bool {
    key.ends_with("_us") || key == "at" || key == "since"
}

fn scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// A value as short text, for table cells and lists.
fn text(names: &Names, key: &str, v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match n.as_u64() {
            Some(id) if is_node_key(key) => names.node_name(id).unwrap_or_else(|| n.to_string()),
            Some(us) if is_time_key(key) => fmt_time(us),
            _ => n.to_string(),
        },
        Value::String(s) => s.replace('_', " "),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(|x| text(names, key, x)).collect::<Vec<_>>().join(", "),
        Value::Object(o) => o
            .iter()
            .map(|(k, x)| {
                if scalar(x) {
                    format!("{} {}", humanize(k).to_ascii_lowercase(), text(names, k, x))
                } else {
                    format!("{} ({})", humanize(k).to_ascii_lowercase(), text(names, k, x))
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A value in a cell or a row: node ids as coloured names, times as times, the rest as text.
fn cell(names: &Names, key: &str, v: &Value) -> Html {
    match v {
        Value::Null => html! { <span class="none">{ "none" }</span> },
        Value::Number(n) if is_node_key(key) => match n.as_u64().and_then(|id| names.node(id)) {
            Some(chip) => chip,
            None => html! { { n.to_string() } },
        },
        Value::Array(a) if is_node_key(key) && !a.is_empty() && a.iter().all(|x| x.is_u64()) => html! {
            <span class="chips">{ for a.iter().filter_map(|x| x.as_u64()).map(|id| html! { <>{ names.node(id).unwrap_or_default() }{ " " }</> }) }</span>
        },
        _ => html! { { text(names, key, v) } },
    }
}

/// Records (an array of objects, or an object of objects keyed by id) as a table.
fn records(names: &Names, rows: Vec<(String, &Map<String, Value>)>, first: &str) -> Html {
    let mut cols: Vec<&String> = Vec::new();
    for (_, r) in &rows {
        for k in r.keys() {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    let more = rows.len().saturating_sub(MAX_ROWS);
    html! {
        <div class="state-sub-wrap">
            <table class="state-sub">
                <thead><tr><th scope="col">{ first }</th>{ for cols.iter().map(|c| html! { <th scope="col">{ humanize(c) }</th> }) }</tr></thead>
                <tbody>
                    { for rows.iter().take(MAX_ROWS).map(|(at, r)| html! {
                        <tr><th scope="row">{ at }</th>
                            { for cols.iter().map(|c| html! { <td>{ r.get(*c).map(|v| cell(names, c, v)).unwrap_or_default() }</td> }) }
                        </tr>
                    }) }
                </tbody>
            </table>
            if more > 0 { <p class="hint">{ format!("… and {more} more (see the raw JSON)") }</p> }
        </div>
    }
}

/// A value as the body of a row.
fn value(names: &Names, key: &str, v: &Value, depth: usize) -> Html {
    match v {
        Value::Array(a) if a.is_empty() => html! { <span class="none">{ "none" }</span> },
        Value::Array(a) if a.iter().all(|x| x.is_object()) => {
            let rows = a.iter().enumerate().filter_map(|(i, x)| Some(((i + 1).to_string(), x.as_object()?))).collect();
            records(names, rows, if key == "log" { "Index" } else { "#" })
        }
        // One value per node (last heard, next index, ...): a row per node.
        Value::Array(a) if !is_node_key(key) && a.len() == names.count() && a.len() > 1 && a.iter().all(scalar) => {
            html! {
                <div class="state-sub-wrap">
                    <table class="state-sub per-node">
                        <tbody>
                            { for a.iter().enumerate().map(|(i, x)| html! {
                                <tr><th scope="row">{ names.node(i as u64).unwrap_or_default() }</th><td>{ cell(names, key, x) }</td></tr>
                            }) }
                        </tbody>
                    </table>
                </div>
            }
        }
        Value::Object(o) if depth >= 3 => html! { { text(names, key, v) } },
        Value::Object(o) if !o.is_empty() && o.values().all(|x| x.is_object()) => {
            let rows = o.iter().filter_map(|(k, x)| Some((k.clone(), x.as_object()?))).collect();
            records(names, rows, "Key")
        }
        Value::Object(o) if o.is_empty() => html! { <span class="none">{ "none" }</span> },
        Value::Object(o) => rows(names, o.iter(), depth + 1),
        _ => cell(names, key, v),
    }
}

fn rows<'v>(names: &Names, fields: impl Iterator<Item = (&'v String, &'v Value)>, depth: usize) -> Html {
    html! {
        <dl class="state-rows">
            { for fields.map(|(k, v)| html! { <><dt>{ humanize(k) }</dt><dd>{ value(names, k, v, depth) }</dd></> }) }
        </dl>
    }
}

/// The node's state as the inspector shows it: beliefs first, then every other field, then its
/// timers; for a crashed node what is on its disk.
pub fn state_view(names: &Names, json: &str) -> Html {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(json) else {
        return html! { <p class="hint">{ "No state to show." }</p> };
    };
    let mut out = Vec::new();
    let body = match (top.get("state"), top.get("durable")) {
        (Some(state), _) => Some(state),
        (None, Some(Value::Null)) => {
            let text = match top.get("status").and_then(Value::as_str) {
                Some("booting") => "Not started yet.",
                _ => "Down, with nothing on its disk.",
            };
            out.push(html! { <p class="hint">{ text }</p> });
            None
        }
        (None, Some(d)) => {
            out.push(html! { <p class="hint">{ "Down. On its disk (what it will restart with):" }</p> });
            Some(d)
        }
        _ => None,
    };
    match body {
        Some(Value::Object(fields)) => {
            let beliefs: Vec<(&String, &Value)> =
                fields.iter().filter(|(k, _)| BELIEF_KEYS.contains(&k.as_str())).collect();
            if !beliefs.is_empty() {
                out.push(html! {
                    <div class="beliefs" role="group" aria-label="What it believes">
                        <h4 class="visually-hidden">{ "What it believes" }</h4>
                        { rows(names, beliefs.into_iter(), 1) }
                    </div>
                });
            }
            out.push(rows(names, fields.iter().filter(|(k, _)| !BELIEF_KEYS.contains(&k.as_str())), 1));
        }
        Some(other) => out.push(value(names, "state", other, 1)),
        None => {}
    }
    if let Some(Value::Array(timers)) = top.get("timers") {
        if !timers.is_empty() {
            out.push(html! { <h4>{ "Timers" }</h4> });
            out.push(value(names, "timers", &Value::Array(timers.clone()), 1));
        }
    }
    html! { <>{ for out }</> }
}

#[cfg(test)]
mod tests {
    use super::humanize;

    #[test]
    fn keys_read_as_words() {
        assert_eq!(humanize("voted_for"), "Voted for");
        assert_eq!(humanize("valid_until_us"), "Valid until");
        assert_eq!(humanize("term"), "Term");
    }
}
