//! The topology map: datacenters as labelled regions placed by their position hints, nodes with
//! their state, links with their latency, partitions as cuts, and messages moving along links.
//! Message positions are interpolated between send and delivery time at `view_time`, on the
//! render side only: drawing never feeds back into the simulation.

use crate::components::{dc_colour, fmt_time};
use crate::state::{Action, Cut, Snapshot};
use caucus_sim::run::NodeView;
use caucus_sim::{decimal, DcId, Micros, MsgId, NodeId, Status};
use std::rc::Rc;
use yew::prelude::*;

const W: f64 = 820.0;

/// An SVG coordinate, one decimal.
fn num(v: f64) -> String {
    decimal(v, 1)
}
const H: f64 = 460.0;
const NODE_GAP: f64 = 92.0;
const ROW_GAP: f64 = 70.0;
const NODE_R: f64 = 17.0;
/// Messages drawn at most, and how many of them are reachable with Tab.
const MAX_DRAWN_MSGS: usize = 2_000;
const MAX_FOCUSABLE_MSGS: usize = 40;

#[derive(Properties, PartialEq)]
pub struct MapProps {
    pub snapshot: Rc<Snapshot>,
    pub view_time: Micros,
    pub selected_node: Option<NodeId>,
    pub selected_msg: Option<MsgId>,
    pub highlight: Vec<NodeId>,
    pub dispatch: Callback<Action>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DcBox {
    pub cx: f64,
    pub cy: f64,
    pub w: f64,
    pub h: f64,
    pub cols: usize,
}

/// Where datacenters and nodes go. Pure, so it is computed once per topology.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub dcs: Vec<DcBox>,
    pub nodes: Vec<(f64, f64)>,
}

pub fn layout(s: &Snapshot) -> Layout {
    let t = &s.topology;
    let mut dcs: Vec<DcBox> = t
        .datacenters
        .iter()
        .map(|d| {
            let k = t.nodes_in(d.id).count().max(1);
            let cols = ((k as f64).sqrt().ceil() as usize).max(1).min(k);
            let rows = k.div_ceil(cols);
            DcBox {
                cx: d.x as f64,
                cy: d.y as f64,
                w: cols as f64 * NODE_GAP + 24.0,
                h: rows as f64 * ROW_GAP + 50.0,
                cols,
            }
        })
        .collect();
    // Fit the geographic hints into the canvas, then push overlapping boxes apart.
    let (min_x, max_x) = dcs.iter().fold((f64::MAX, f64::MIN), |(a, b), d| (a.min(d.cx), b.max(d.cx)));
    let (min_y, max_y) = dcs.iter().fold((f64::MAX, f64::MIN), |(a, b), d| (a.min(d.cy), b.max(d.cy)));
    for d in dcs.iter_mut() {
        let fx = if max_x > min_x { (d.cx - min_x) / (max_x - min_x) } else { 0.5 };
        let fy = if max_y > min_y { (d.cy - min_y) / (max_y - min_y) } else { 0.5 };
        d.cx = 40.0 + d.w / 2.0 + fx * (W - 80.0 - d.w);
        d.cy = 30.0 + d.h / 2.0 + fy * (H - 90.0 - d.h);
    }
    for _ in 0..200 {
        let mut moved = false;
        for i in 0..dcs.len() {
            for j in i + 1..dcs.len() {
                let (a, b) = (dcs[i], dcs[j]);
                let ox = (a.w + b.w) / 2.0 + 40.0 - (a.cx - b.cx).abs();
                let oy = (a.h + b.h) / 2.0 + 30.0 - (a.cy - b.cy).abs();
                if ox > 0.0 && oy > 0.0 {
                    moved = true;
                    if ox < oy {
                        let push = ox / 2.0 * if a.cx <= b.cx { -1.0 } else { 1.0 };
                        dcs[i].cx += push;
                        dcs[j].cx -= push;
                    } else {
                        let push = oy / 2.0 * if a.cy <= b.cy { -1.0 } else { 1.0 };
                        dcs[i].cy += push;
                        dcs[j].cy -= push;
                    }
                }
            }
        }
        for d in dcs.iter_mut() {
            d.cx = d.cx.clamp(d.w / 2.0 + 8.0, W - d.w / 2.0 - 8.0);
            d.cy = d.cy.clamp(d.h / 2.0 + 8.0, H - 40.0 - d.h / 2.0);
        }
        if !moved {
            break;
        }
    }
    let mut nodes = vec![(0.0, 0.0); t.nodes.len()];
    for d in &t.datacenters {
        let b = dcs[d.id as usize];
        let left = b.cx - b.w / 2.0 + 12.0 + NODE_GAP / 2.0;
        let top = b.cy - b.h / 2.0 + 62.0;
        for (k, n) in t.nodes_in(d.id).enumerate() {
            let (col, row) = (k % b.cols, k / b.cols);
            nodes[n as usize] = (left + col as f64 * NODE_GAP, top + row as f64 * ROW_GAP);
        }
    }
    Layout { dcs, nodes }
}

fn status_word(n: &NodeView) -> String {
    match n.status {
        Status::Crashed => "crashed".into(),
        Status::Paused => "paused".into(),
        Status::Booting => "starting".into(),
        Status::Up if n.role.is_empty() => "up".into(),
        Status::Up => n.role.clone(),
    }
}

#[function_component(TopologyMap)]
pub fn topology_map(p: &MapProps) -> Html {
    let s = &p.snapshot;
    let lay = {
        let s = s.clone();
        use_memo(s.topology.clone(), move |_| layout(&s))
    };
    let t = &s.topology;
    let dcs = t.datacenters.len();

    let mut links = Vec::new();
    for a in 0..dcs as DcId {
        for b in a + 1..dcs as DcId {
            let (pa, pb) = (lay.dcs[a as usize], lay.dcs[b as usize]);
            let (ab, ba) = (s.cut(a, b), s.cut(b, a));
            let link = s.link(a, b);
            let (class, label) = match (ab, ba) {
                (Cut::None, Cut::None) => {
                    let mut l = format!("{} ms", (link.latency_us + 500) / 1000);
                    if link.loss_ppm > 0 {
                        l += &format!(" · {}% loss", decimal(link.loss_ppm as f64 / 10_000.0, 0));
                    }
                    ("link", l)
                }
                (Cut::All, Cut::All) => ("link cut", "✂ cut".to_string()),
                (Cut::All, Cut::None) => (
                    "link cut",
                    format!("✂ {} → {} cut", t.datacenters[a as usize].name, t.datacenters[b as usize].name),
                ),
                (Cut::None, Cut::All) => (
                    "link cut",
                    format!("✂ {} → {} cut", t.datacenters[b as usize].name, t.datacenters[a as usize].name),
                ),
                _ => ("link partial", "✂ partly cut".to_string()),
            };
            let (mx, my) = ((pa.cx + pb.cx) / 2.0, (pa.cy + pb.cy) / 2.0);
            links.push(html! {
                <g class={class}>
                    <line x1={num(pa.cx)} y1={num(pa.cy)} x2={num(pb.cx)} y2={num(pb.cy)} />
                    <text class="link-label" x={num(mx)} y={num(my - 6.0)} text-anchor="middle">{ label }</text>
                </g>
            });
        }
    }

    let regions = t.datacenters.iter().map(|d| {
        let b = lay.dcs[d.id as usize];
        let intra = s.link(d.id, d.id);
        html! {
            <g class="dc">
                <rect x={num(b.cx - b.w / 2.0)} y={num(b.cy - b.h / 2.0)} width={num(b.w)} height={num(b.h)}
                    rx="12" style={format!("stroke:{}", dc_colour(d.id))} />
                <text class="dc-name" x={num(b.cx - b.w / 2.0 + 12.0)} y={num(b.cy - b.h / 2.0 + 18.0)}>{ &d.name }</text>
                <text class="dc-region" x={num(b.cx - b.w / 2.0 + 12.0)} y={num(b.cy - b.h / 2.0 + 32.0)}>
                    { format!("{} · {} inside", d.region, fmt_time(intra.latency_us)) }
                </text>
            </g>
        }
    });

    let mut waiting = vec![0usize; s.nodes.len()];
    for m in s.msgs.iter().filter(|m| m.deliver_at <= p.view_time) {
        waiting[m.target as usize] += 1;
    }
    let nodes = s.nodes.iter().map(|n| {
        let (x, y) = lay.nodes[n.id as usize];
        let word = status_word(n);
        // A second line under the node: what waits for a paused node.
        let waiting_line = (n.status == Status::Paused && waiting[n.id as usize] > 0)
            .then(|| format!("{} waiting", waiting[n.id as usize]));
        let highlighted = p.highlight.contains(&n.id);
        let selected = p.selected_node == Some(n.id);
        let class = classes!(
            "node",
            format!("status-{}", n.status.word()),
            selected.then_some("selected"),
            highlighted.then_some("violating")
        );
        let icon = match n.status {
            Status::Crashed => "✕",
            Status::Paused => "‖",
            _ => "",
        };
        let id = n.id;
        let select = p.dispatch.reform(move |_| Action::SelectNode(Some(id)));
        let on_key = {
            let d = p.dispatch.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    d.emit(Action::SelectNode(Some(id)));
                }
            })
        };
        let dc_name = &t.datacenters[n.dc as usize].name;
        let label = format!(
            "{} in {}: {}{}{}{}",
            n.name,
            dc_name,
            word,
            waiting_line.as_ref().map(|w| format!(", {w}")).unwrap_or_default(),
            if n.clock_offset_us != 0 { format!(", clock {:+} ms", n.clock_offset_us / 1000) } else { String::new() },
            if highlighted { ", involved in a property violation" } else { "" }
        );
        html! {
            <g key={n.id as u64} class={class} transform={format!("translate({},{})", decimal(x, 1), decimal(y, 1))} tabindex="0" role="button"
                aria-label={label.clone()} aria-pressed={selected.to_string()} onclick={select} onkeydown={on_key}>
                <title>{ label }</title>
                if highlighted { <circle class="violation-ring" r={num(NODE_R + 6.0)} /> }
                <circle class="body" r={num(NODE_R)} style={format!("fill:{}", dc_colour(n.dc))} />
                <text class="icon" y="5" text-anchor="middle">{ icon }</text>
                if icon.is_empty() { <text class="name-in" y="4" text-anchor="middle">{ &n.name }</text> }
                <text class="badge" y={num(NODE_R + 13.0)} text-anchor="middle">
                    { if icon.is_empty() { word.clone() } else { format!("{} {}", n.name, word) } }
                    { if highlighted { " ⚠" } else { "" } }
                </text>
                if let Some(w) = waiting_line {
                    <text class="badge" y={num(NODE_R + 26.0)} text-anchor="middle">{ w }</text>
                }
            </g>
        }
    });

    let msgs = s.msgs.iter().take(MAX_DRAWN_MSGS).enumerate().map(|(k, m)| {
        let (sx, sy) = lay.nodes[m.source as usize];
        let (tx, ty) = lay.nodes[m.target as usize];
        let span = m.deliver_at.saturating_sub(m.sent_at).max(1) as f64;
        let f = ((p.view_time.saturating_sub(m.sent_at)) as f64 / span).clamp(0.0, 1.0);
        // Travel from edge to edge, never over a node (a message waiting for a paused node must
        // not hide it), a little off the straight line so the two directions do not overlap.
        let (dx, dy) = (tx - sx, ty - sy);
        let len = (dx * dx + dy * dy).sqrt().max(1.0);
        let (ux, uy) = (dx / len, dy / len);
        let gap = (NODE_R + 6.0).min(len / 2.0);
        let (ox, oy) = (-uy * 5.0, ux * 5.0);
        let travel = len - 2.0 * gap;
        let (x, y) = (sx + ux * (gap + travel * f) + ox, sy + uy * (gap + travel * f) + oy);
        let selected = p.selected_msg == Some(m.id);
        let id = m.id;
        let select = p.dispatch.reform(move |_| Action::SelectMsg(Some(id)));
        let on_key = {
            let d = p.dispatch.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    d.emit(Action::SelectMsg(Some(id)));
                }
            })
        };
        let label = format!(
            "message #{} {} from {} to {}, sent {}, arrives {} (select it to see its content)",
            m.id,
            m.label,
            t.nodes[m.source as usize].name,
            t.nodes[m.target as usize].name,
            fmt_time(m.sent_at),
            fmt_time(m.deliver_at),
        );
        let focusable = k < MAX_FOCUSABLE_MSGS || selected;
        html! {
            <g key={m.id} class={classes!("msg", selected.then_some("selected"))} transform={format!("translate({},{})", decimal(x, 1), decimal(y, 1))}
                tabindex={if focusable { "0" } else { "-1" }} role="button" aria-label={label.clone()} onclick={select} onkeydown={on_key}>
                <title>{ label }</title>
                if selected {
                    <line class="msg-path" x1={num(sx - x + ox)} y1={num(sy - y + oy)} x2={num(tx - x + ox)} y2={num(ty - y + oy)} />
                }
                <circle r={if selected { "7" } else { "4.5" }} style={format!("stroke:{}", dc_colour(t.nodes[m.source as usize].dc))} />
            </g>
        }
    });
    let hidden = s.msgs.len().saturating_sub(MAX_DRAWN_MSGS);

    html! {
        <div class="map">
            <svg viewBox={format!("0 0 {} {}", W as u32, H as u32)} role="group" aria-label={format!("{} datacenters, {} nodes, {} messages in flight", dcs, s.nodes.len(), s.msgs.len())}>
                <g class="links">{ for links }</g>
                <g class="regions">{ for regions }</g>
                <g class="nodes">{ for nodes }</g>
                <g class="msgs">{ for msgs }</g>
                <g class="legend" transform={format!("translate(12,{})", (H - 14.0) as u32)}>
                    <text>{"● up   ✕ crashed   ‖ paused   ⚠ property violated   ✂ partition   ○ messages in flight (hover or focus for content)"}</text>
                </g>
            </svg>
            if hidden > 0 { <p class="note">{ format!("{hidden} more messages in flight are not drawn.") }</p> }
        </div>
    }
}
