//! A node's state in words: the JSON a protocol's state serializes to (`node_state_json`) turned
//! into readable rows and small tables. Keys are humanized (`voted_for` → "Voted for"), node ids
//! become node names with their colour, `…_us` microseconds become times, arrays of records become
//! tables (a Raft log: index, term, command), and per-node vectors a row per node. What a node
//! believes (its leader, term, lease, holder, decision) comes first. Generic over every protocol:
//! the few hints are key names.

use crate::components::{esc, fmt_time, node_chip_markup};
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
    /// The node's chip, as markup.
    fn node(&self, id: u64) -> Option<String> {
        let n = self.topology.nodes.get(usize::try_from(id).ok()?)?;
        Some(node_chip_markup(n.id, &n.name))
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
/// The view is written as markup text: it has no handlers, and text costs every page kilobytes
/// less than a virtual node per element.
fn cell(o: &mut String, names: &Names, key: &str, v: &Value) {
    match v {
        Value::Null => o.push_str(r#"<span class="none">none</span>"#),
        Value::Number(n) if is_node_key(key) => match n.as_u64().and_then(|id| names.node(id)) {
            Some(chip) => o.push_str(&chip),
            None => o.push_str(&n.to_string()),
        },
        Value::Array(a) if is_node_key(key) && !a.is_empty() && a.iter().all(|x| x.is_u64()) => {
            o.push_str(r#"<span class="chips">"#);
            for id in a.iter().filter_map(|x| x.as_u64()) {
                o.push_str(&names.node(id).unwrap_or_default());
                o.push(' ');
            }
            o.push_str("</span>");
        }
        _ => o.push_str(&esc(&text(names, key, v))),
    }
}

/// Records (an array of objects, or an object of objects keyed by id) as a table.
fn records(o: &mut String, names: &Names, rows: Vec<(String, &Map<String, Value>)>, first: &str) {
    let mut cols: Vec<&String> = Vec::new();
    for (_, r) in &rows {
        for k in r.keys() {
            if !cols.contains(&k) {
                cols.push(k);
            }
        }
    }
    let more = rows.len().saturating_sub(MAX_ROWS);
    o.push_str(r#"<div class="state-sub-wrap"><table class="state-sub"><thead><tr><th scope="col">"#);
    o.push_str(first);
    o.push_str("</th>");
    for c in &cols {
        o.push_str(&format!(r#"<th scope="col">{}</th>"#, esc(&humanize(c))));
    }
    o.push_str("</tr></thead><tbody>");
    for (at, r) in rows.iter().take(MAX_ROWS) {
        o.push_str(&format!(r#"<tr><th scope="row">{}</th>"#, esc(at)));
        for c in &cols {
            o.push_str("<td>");
            if let Some(v) = r.get(*c) {
                cell(o, names, c, v);
            }
            o.push_str("</td>");
        }
        o.push_str("</tr>");
    }
    o.push_str("</tbody></table>");
    if more > 0 {
        o.push_str(&format!(r#"<p class="hint">… and {more} more (see the raw JSON)</p>"#));
    }
    o.push_str("</div>");
}

/// A value as the body of a row.
fn value(o: &mut String, names: &Names, key: &str, v: &Value, depth: usize) {
    match v {
        Value::Array(a) if a.is_empty() => o.push_str(r#"<span class="none">none</span>"#),
        Value::Array(a) if a.iter().all(|x| x.is_object()) => {
            let rows = a.iter().enumerate().filter_map(|(i, x)| Some(((i + 1).to_string(), x.as_object()?))).collect();
            records(o, names, rows, if key == "log" { "Index" } else { "#" })
        }
        // One value per node (last heard, next index, ...): a row per node.
        Value::Array(a) if !is_node_key(key) && a.len() == names.count() && a.len() > 1 && a.iter().all(scalar) => {
            o.push_str(r#"<div class="state-sub-wrap"><table class="state-sub per-node"><tbody>"#);
            for (i, x) in a.iter().enumerate() {
                o.push_str(r#"<tr><th scope="row">"#);
                o.push_str(&names.node(i as u64).unwrap_or_default());
                o.push_str("</th><td>");
                cell(o, names, key, x);
                o.push_str("</td></tr>");
            }
            o.push_str("</tbody></table></div>");
        }
        Value::Object(_) if depth >= 3 => o.push_str(&esc(&text(names, key, v))),
        Value::Object(m) if !m.is_empty() && m.values().all(|x| x.is_object()) => {
            let rows = m.iter().filter_map(|(k, x)| Some((k.clone(), x.as_object()?))).collect();
            records(o, names, rows, "Key")
        }
        Value::Object(m) if m.is_empty() => o.push_str(r#"<span class="none">none</span>"#),
        Value::Object(m) => rows(o, names, m.iter(), depth + 1),
        _ => cell(o, names, key, v),
    }
}

fn rows<'v>(o: &mut String, names: &Names, fields: impl Iterator<Item = (&'v String, &'v Value)>, depth: usize) {
    o.push_str(r#"<dl class="state-rows">"#);
    for (k, v) in fields {
        o.push_str(&format!("<dt>{}</dt><dd>", esc(&humanize(k))));
        value(o, names, k, v, depth);
        o.push_str("</dd>");
    }
    o.push_str("</dl>");
}

/// The node's state as the inspector shows it: beliefs first, then every other field, then its
/// timers; for a crashed node what is on its disk.
pub fn state_view(names: &Names, json: &str) -> Html {
    let Ok(Value::Object(top)) = serde_json::from_str::<Value>(json) else {
        return html! { <p class="hint">{ "No state to show." }</p> };
    };
    let mut o = String::new();
    let body = match (top.get("state"), top.get("durable")) {
        (Some(state), _) => Some(state),
        (None, Some(Value::Null)) => {
            let text = match top.get("status").and_then(Value::as_str) {
                Some("booting") => "Not started yet.",
                _ => "Down, with nothing on its disk.",
            };
            o.push_str(&format!(r#"<p class="hint">{text}</p>"#));
            None
        }
        (None, Some(d)) => {
            o.push_str(r#"<p class="hint">Down. On its disk (what it will restart with):</p>"#);
            Some(d)
        }
        _ => None,
    };
    match body {
        Some(Value::Object(fields)) => {
            let beliefs: Vec<(&String, &Value)> =
                fields.iter().filter(|(k, _)| BELIEF_KEYS.contains(&k.as_str())).collect();
            if !beliefs.is_empty() {
                o.push_str(r#"<div class="beliefs" role="group" aria-label="What it believes"><h4 class="visually-hidden">What it believes</h4>"#);
                rows(&mut o, names, beliefs.into_iter(), 1);
                o.push_str("</div>");
            }
            rows(&mut o, names, fields.iter().filter(|(k, _)| !BELIEF_KEYS.contains(&k.as_str())), 1);
        }
        Some(other) => value(&mut o, names, "state", other, 1),
        None => {}
    }
    if let Some(Value::Array(timers)) = top.get("timers") {
        if !timers.is_empty() {
            o.push_str("<h4>Timers</h4>");
            value(&mut o, names, "timers", &Value::Array(timers.clone()), 1);
        }
    }
    Html::from_html_unchecked(AttrValue::from(o))
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
