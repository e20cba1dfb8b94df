//! The topology map: datacenters as labelled regions placed by their position hints, nodes with
//! their state, links with their latency, partitions as cuts, and messages moving along links.
//! Message positions are interpolated between send and delivery time at `view_time`, on the
//! render side only: drawing never feeds back into the simulation.

use crate::components::{dc_glyph, fmt_time, node_colour, node_round};
use crate::state::{Action, Cut, Snapshot};
use caucus_sim::run::NodeView;
use caucus_sim::{decimal, DcId, Micros, MsgId, NodeId, Status};
use std::rc::Rc;
use wasm_bindgen::JsCast;
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
/// Circumference of the countdown ring (radius `NODE_R + 4`).
const COUNTDOWN_LEN: f64 = 2.0 * std::f64::consts::PI * (NODE_R + 4.0);
/// Text on the map is at least this many CSS pixels tall at the size the map is drawn.
const MIN_TEXT_PX: f64 = 12.0;
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
    /// Nodes a lesson's chapter asks to look at.
    #[prop_or_default]
    pub look: Vec<NodeId>,
    /// No legend (a lesson's page, where the chapter explains what to look at).
    #[prop_or_default]
    pub compact: bool,
    /// Playing: no focusable message handles (they came and went by the dozen every frame, and
    /// nobody can tab to a moving message; pause to inspect one).
    #[prop_or_default]
    pub playing: bool,
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
    /// Canvas height: grows until the datacenters no longer overlap (width is fixed).
    pub h: f64,
}

/// The layout for text `k` times its nominal size: each datacenter's box is wide enough for its
/// name and region line.
pub fn layout_at(s: &Snapshot, text_k: f64) -> Layout {
    let t = &s.topology;
    // Labels under the nodes grow with the text: so does the room between nodes, or the labels
    // of neighbours run into each other ("n0 crashedin doubt").
    let (node_gap, row_gap) = (
        NODE_GAP * crate::components::clamp(text_k, 1.0, 2.5),
        ROW_GAP + (crate::components::clamp(text_k, 1.0, 2.5) - 1.0) * 40.0,
    );
    let mut dcs: Vec<DcBox> = t
        .datacenters
        .iter()
        .map(|d| {
            let k = t.nodes_in(d.id).count().max(1);
            // As square as the nodes allow, but never wider than the map: more rows instead.
            let fit = ((W - 64.0) / node_gap).floor().max(1.0) as usize;
            let cols = ((k as f64).sqrt().ceil() as usize).max(1).min(k).min(fit);
            let rows = k.div_ceil(cols);
            DcBox {
                cx: d.x as f64,
                cy: d.y as f64,
                w: (cols as f64 * node_gap + 24.0).max(text_width(s, d.id, text_k) + 24.0),
                h: rows as f64 * row_gap + 50.0 + (crate::components::clamp(text_k, 1.0, 2.5) - 1.0) * 30.0,
                cols,
            }
        })
        .collect();
    // Fit the geographic hints into the canvas, then push overlapping boxes apart; if they still
    // overlap, the canvas grows (many nodes in many datacenters need more room than a map shape).
    // At least as tall as the tallest box (64 nodes in one datacenter), then as overlaps ask.
    let h0 = dcs.iter().fold(H, |h, d| h.max(d.h + 100.0));
    let mut h = h0;
    let placed = loop {
        let (placed, overlapping) = place(&dcs, h);
        if !overlapping || h >= 4.0 * H.max(h0) {
            break placed;
        }
        h += 140.0;
    };
    dcs = placed;
    // One datacenter (the checker's configurations, raft-figure-16) sits in the middle, not where
    // its region is on a world map: on a phone it was off to the right of a map scrolled sideways.
    if let [only] = dcs.as_mut_slice() {
        only.cx = W / 2.0;
    }
    let mut nodes = vec![(0.0, 0.0); t.nodes.len()];
    for d in &t.datacenters {
        let b = dcs[d.id as usize];
        let left = b.cx - (b.cols as f64 - 1.0) * node_gap / 2.0;
        let top = b.cy - b.h / 2.0 + 62.0 + (crate::components::clamp(text_k, 1.0, 2.5) - 1.0) * 30.0;
        for (k, n) in t.nodes_in(d.id).enumerate() {
            let (col, row) = (k % b.cols, k / b.cols);
            nodes[n as usize] = (left + col as f64 * node_gap, top + row as f64 * row_gap);
        }
    }
    Layout { dcs, nodes, h }
}

/// The wider of a datacenter's two text lines, estimated (name in bold 14 px, region line 12 px).
fn text_width(s: &Snapshot, dc: DcId, k: f64) -> f64 {
    let d = &s.topology.datacenters[dc as usize];
    let intra = s.link(dc, dc);
    let name = d.name.chars().count() + 2;
    let region = format!("{} · {} inside", d.region, fmt_time(intra.latency_us)).chars().count();
    (name as f64 * 0.64 * 14.0 * k).max(region as f64 * 0.56 * 12.0 * k)
}

/// `x` kept within `lo..=hi`; their middle when a box is larger than the map (an empty range,
/// where `f64::clamp` panics).
fn within(x: f64, lo: f64, hi: f64) -> f64 {
    if lo <= hi {
        crate::components::clamp(x, lo, hi)
    } else {
        (lo + hi) / 2.0
    }
}

/// Places boxes by their geographic hints on a `W` × `h` canvas and relaxes overlaps. Returns the
/// boxes and whether any two still overlap.
fn place(hints: &[DcBox], h: f64) -> (Vec<DcBox>, bool) {
    let mut dcs = hints.to_vec();
    let (min_x, max_x) = dcs.iter().fold((f64::MAX, f64::MIN), |(a, b), d| (a.min(d.cx), b.max(d.cx)));
    let (min_y, max_y) = dcs.iter().fold((f64::MAX, f64::MIN), |(a, b), d| (a.min(d.cy), b.max(d.cy)));
    for d in dcs.iter_mut() {
        let fx = if max_x > min_x { (d.cx - min_x) / (max_x - min_x) } else { 0.5 };
        let fy = if max_y > min_y { (d.cy - min_y) / (max_y - min_y) } else { 0.5 };
        d.cx = 40.0 + d.w / 2.0 + fx * (W - 80.0 - d.w);
        d.cy = 30.0 + d.h / 2.0 + fy * (h - 90.0 - d.h);
    }
    let mut moved = false;
    for _ in 0..200 {
        moved = false;
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
            d.cx = within(d.cx, d.w / 2.0 + 8.0, W - d.w / 2.0 - 8.0);
            d.cy = within(d.cy, d.h / 2.0 + 8.0, h - 40.0 - d.h / 2.0);
        }
        if !moved {
            break;
        }
    }
    (dcs, moved)
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

/// Where a message is drawn at `now`: (x, y) on its way from edge to edge, a little off the
/// straight line so the two directions do not overlap, plus the two ends of its path.
fn message_position(
    lay: &Layout,
    source: NodeId,
    target: NodeId,
    sent_at: Micros,
    deliver_at: Micros,
    now: Micros,
) -> (f64, f64, f64, f64, f64, f64) {
    let (sx, sy) = lay.nodes[source as usize];
    let (tx, ty) = lay.nodes[target as usize];
    let span = deliver_at.saturating_sub(sent_at).max(1) as f64;
    let f = crate::components::clamp(now.saturating_sub(sent_at) as f64 / span, 0.0, 1.0);
    // A message waiting for a paused node stops at its edge rather than hiding it.
    let (dx, dy) = (tx - sx, ty - sy);
    let len = (dx * dx + dy * dy).sqrt().max(1.0);
    let (ux, uy) = (dx / len, dy / len);
    let gap = (NODE_R + 6.0).min(len / 2.0);
    let (ox, oy) = (-uy * 5.0, ux * 5.0);
    let along = gap + (len - 2.0 * gap) * f;
    (sx + ux * along + ox, sy + uy * along + oy, sx + ox, sy + oy, tx + ox, ty + oy)
}

/// How much bigger than its nominal size the map's text must be for `MIN_TEXT_PX` at the size
/// the map is drawn: the SVG scales with its viewBox, so in a 900 × 560 embed or on a phone one
/// unit is less than a CSS pixel. Measured after mounting, on resize and a moment later (layout
/// may still settle), never per frame.
#[hook]
fn use_text_scale(svg: &NodeRef, k: &UseStateHandle<f64>, view_h: f64) {
    {
        let (svg, k) = (svg.clone(), k.clone());
        use_effect_with(view_h.to_bits(), move |_| {
            let measure = move || {
                if let Some(el) = svg.cast::<web_sys::Element>() {
                    let r = el.get_bounding_client_rect();
                    if r.width() > 0.0 && r.height() > 0.0 {
                        let scale = (r.width() / W).min(r.height() / view_h);
                        // Rounded to a twentieth so that small changes do not re-render.
                        k.set((crate::components::clamp(MIN_TEXT_PX / 12.0 / scale, 1.0, 2.5) * 20.0).ceil() / 20.0);
                    }
                }
            };
            measure();
            let later = {
                let measure = measure.clone();
                gloo_timers::callback::Timeout::new(400, move || measure())
            };
            let listener = wasm_bindgen::closure::Closure::<dyn Fn()>::new(measure);
            let window = crate::browser::window();
            let _ = window.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            move || {
                drop(later);
                let _ = window.remove_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
                drop(listener);
            }
        });
    }
}

/// The legend's items laid out in rows across the map's width at text scale `k`: `(x, row)`.
fn legend_rows(items: &[String], k: f64) -> Vec<(f64, usize)> {
    let (mut x, mut row) = (12.0, 0);
    items
        .iter()
        .map(|text| {
            let w = 6.6 * k * text.chars().count() as f64 + 20.0;
            if x + w > W - 8.0 && x > 12.0 {
                (x, row) = (12.0, row + 1);
            }
            let at = (x, row);
            x += w;
            at
        })
        .collect()
}

#[function_component(TopologyMap)]
pub fn topology_map(p: &MapProps) -> Html {
    let hover = use_state(|| None::<MsgId>);
    let hovered = *hover;
    let s = &p.snapshot;
    let k_state = use_state_eq(|| 1.0f64);
    let k = *k_state;
    let lay = {
        let s = s.clone();
        use_memo((s.topology.clone(), k.to_bits()), move |_| layout_at(&s, k))
    };
    let svg_ref = use_node_ref();
    // The legend, in rows: the map grows by the rows it needs.
    let mut legend: Vec<String> = [
        "● up (colour: the node, in every view)",
        "✕ crashed",
        "‖ paused",
        "⚠ property violated",
        "✂ partition",
        "○ message in flight (hover or focus)",
    ]
    .iter()
    .map(|t| t.to_string())
    .collect();
    // Once shown, an entry stays for the scenario: a legend that came and went with the timeouts
    // made the map change height while playing, and every change forced a layout to measure it.
    let seen = use_mut_ref(|| (String::new(), false, false));
    let (leader, countdown) = {
        let mut seen = seen.borrow_mut();
        if seen.0 != s.scenario_name {
            *seen = (s.scenario_name.clone(), false, false);
        }
        seen.1 |= s.nodes.iter().any(|n| n.role == "leader");
        seen.2 |= s.nodes.iter().any(|n| n.countdown.is_some());
        (seen.1, seen.2)
    };
    if leader {
        legend.push("★ leader (bold ring)".into());
    }
    if countdown {
        legend.push("◔ ring: time left on a timeout".into());
    }
    if p.compact {
        legend.clear();
    }
    let placed_legend = legend_rows(&legend, k);
    let rows = placed_legend.last().map_or(1, |&(_, r)| r + 1);
    let view_h = lay.h + (rows as f64 - 1.0) * 16.0 * k + 4.0 * k;
    use_text_scale(&svg_ref, &k_state, view_h);
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
                    rx="12" />
                <text class="dc-name" x={num(b.cx - b.w / 2.0 + 12.0)} y={num(b.cy - b.h / 2.0 + 18.0)}>
                    <tspan class="dc-glyph" aria-hidden="true">{ dc_glyph(d.id) }</tspan>{ format!(" {}", d.name) }</text>
                <text class="dc-region" x={num(b.cx - b.w / 2.0 + 12.0)} y={num(b.cy - b.h / 2.0 + 18.0 + 15.0 * k)}>
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
        let look = p.look.contains(&n.id);
        let selected = p.selected_node == Some(n.id);
        let leader = n.status != Status::Crashed && n.role == "leader";
        let class = classes!(
            "node",
            format!("status-{}", n.status.word()),
            selected.then_some("selected"),
            highlighted.then_some("violating"),
            look.then_some("look"),
            leader.then_some("leader")
        );
        // A countdown (election timeout, lease) drawn as the remaining fraction of a ring.
        let countdown = n.countdown.filter(|_| n.status != Status::Crashed).map(|c| {
            let left = c.fires_at.saturating_sub(p.view_time);
            let f = if c.duration_us == 0 { 0.0 } else { crate::components::clamp(left as f64 / c.duration_us as f64, 0.0, 1.0) };
            (c.label, left, f)
        });
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
            "{} in {}: {}{}{}{}{}{}",
            n.name,
            dc_name,
            word,
            // The badge only when paused: while playing it rewrote most labels and tooltips every
            // frame (the badge under the node shows it).
            if n.badge.is_empty() || p.playing { String::new() } else { format!(", {}", n.badge) },
            // The time left only when paused: while playing it rewrote every node's label and
            // tooltip on every frame (the ring shows it).
            countdown
                .map(|(what, left, _)| if p.playing { format!(", {what} running") } else { format!(", {what} in {}", fmt_time(left)) })
                .unwrap_or_default(),
            waiting_line.as_ref().map(|w| format!(", {w}")).unwrap_or_default(),
            if n.clock_offset_us != 0 { format!(", clock {:+} ms", n.clock_offset_us / 1000) } else { String::new() },
            if highlighted { ", involved in a property violation" } else { "" },
        ) + if look { ", highlighted by the lesson" } else { "" };
        html! {
            <g key={n.id as u64} class={class} transform={format!("translate({},{})", decimal(x, 1), decimal(y, 1))} tabindex="0" role="button"
                aria-label={label.clone()} aria-pressed={selected.to_string()} onclick={select} onkeydown={on_key}>
                <title>{ label }</title>
                if look { <circle class="look-ring" r={num(NODE_R + 10.0)} /> }
                if highlighted { <circle class="violation-ring" r={num(NODE_R + 6.0)} /> }
                if let Some((_, _, f)) = countdown {
                    <circle class="countdown-track" r={num(NODE_R + 4.0)} />
                    <circle class="countdown" r={num(NODE_R + 4.0)} transform="rotate(-90)"
                        stroke-dasharray={format!("{} 999", num(f * COUNTDOWN_LEN))} />
                }
                <circle class="body" r={num(NODE_R)} style={format!("fill:{}", node_colour(n.id))} />
                if leader { <circle class="leader-ring" r={num(NODE_R + 1.5)} /> }
                if node_round(n.id) > 0 { <circle class="second-round" r={num(NODE_R - 4.0)} /> }
                if leader {
                    <g class="crown" transform={format!("translate({},{}) scale({})", num(NODE_R - 1.0), num(-NODE_R + 1.0), decimal(k, 2))} aria-hidden="true">
                        <circle r="9" />
                        <text y="4.5" text-anchor="middle">{"★"}</text>
                    </g>
                }
                <text class="icon" y="5" text-anchor="middle">{ icon }</text>
                if icon.is_empty() { <text class="name-in" y="4" text-anchor="middle">{ &n.name }</text> }
                <text class="badge" y={num(NODE_R + 4.0 + 10.0 * k)} text-anchor="middle">
                    { if icon.is_empty() { word.clone() } else { format!("{} {}", n.name, word) } }
                    { if highlighted { " ⚠" } else { "" } }
                </text>
                if !n.badge.is_empty() {
                    <text class="badge extra" y={num(NODE_R + 4.0 + 23.0 * k)} text-anchor="middle">{ &n.badge }</text>
                }
                if let Some(w) = waiting_line {
                    <text class="badge" y={num(NODE_R + 4.0 + k * if n.badge.is_empty() { 23.0 } else { 36.0 })} text-anchor="middle">{ w }</text>
                }
            </g>
        }
    });

    // Messages: every dot of one source datacenter is one <path>, so a frame changes a handful of
    // attributes rather than one element per message. Hover and click find the nearest dot; the
    // first few messages also get focusable handles for keyboard users.
    let placed: Vec<(f64, f64, f64, f64, f64, f64)> = s
        .msgs
        .iter()
        .take(MAX_DRAWN_MSGS)
        .map(|m| message_position(&lay, m.source, m.target, m.sent_at, m.deliver_at, p.view_time))
        .collect();
    let mut dots = vec![String::new(); t.nodes.len()];
    for (m, &(x, y, ..)) in s.msgs.iter().zip(&placed) {
        let d = &mut dots[m.source as usize];
        d.push_str(&format!("M{},{}m-4.5,0a4.5,4.5 0 1,0 9,0a4.5,4.5 0 1,0 -9,0", decimal(x, 1), decimal(y, 1)));
    }
    let describe = |m: &caucus_sim::run::MsgView| {
        format!(
            "message #{} {} from {} to {}, sent {}, arrives {}",
            m.id,
            m.label,
            t.nodes[m.source as usize].name,
            t.nodes[m.target as usize].name,
            fmt_time(m.sent_at),
            fmt_time(m.deliver_at),
        )
    };
    let handles = s
        .msgs
        .iter()
        .zip(&placed)
        .enumerate()
        .filter(|(k, (m, _))| (!p.playing && *k < MAX_FOCUSABLE_MSGS) || p.selected_msg == Some(m.id));
    let handles = handles.map(|(_, (m, &(x, y, sx, sy, tx, ty)))| {
        let selected = p.selected_msg == Some(m.id);
        let id = m.id;
        let on_key = {
            let d = p.dispatch.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    d.emit(Action::SelectMsg(Some(id)));
                }
            })
        };
        let label = format!("{} (Enter selects it: drop, duplicate, deliver next)", describe(m));
        html! {
            <g key={m.id} class={classes!("msg", selected.then_some("selected"))} transform={format!("translate({},{})", decimal(x, 1), decimal(y, 1))}
                tabindex="0" role="button" aria-label={label} onkeydown={on_key}>
                if selected {
                    <line class="msg-path" x1={num(sx - x)} y1={num(sy - y)} x2={num(tx - x)} y2={num(ty - y)} />
                }
                <circle r={if selected { "7" } else { "6" }} />
            </g>
        }
    });
    let hovered_tip =
        hovered.and_then(|id| s.msgs.iter().zip(&placed).find(|(m, _)| m.id == id)).map(|(m, &(x, y, ..))| {
            let text = describe(m);
            let width = 7.0 * k * text.chars().count() as f64 + 16.0;
            let left = (x + 10.0).min(W - width - 4.0).max(4.0);
            let top = if y > 40.0 { y - 30.0 } else { y + 12.0 };
            html! {
                <g class="tooltip" transform={format!("translate({},{})", decimal(left, 1), decimal(top, 1))}>
                    <rect width={num(width)} height={num(10.0 + 14.0 * k)} rx="5" />
                    <text x="8" y={num(3.0 + 12.0 * k)}>{ text }</text>
                </g>
            }
        });
    let nearest = {
        let placed = placed.clone();
        let h = view_h;
        let ids: Vec<MsgId> = s.msgs.iter().take(MAX_DRAWN_MSGS).map(|m| m.id).collect();
        move |e: &MouseEvent| -> Option<MsgId> {
            // Yew delegates events to its root, so find the map's svg from the event's target.
            let target: web_sys::Element = e.target()?.dyn_into().ok()?;
            let svg = target.closest("div.map > svg").ok()??;
            let rect = svg.get_bounding_client_rect();
            let x = (e.client_x() as f64 - rect.left()) * W / rect.width().max(1.0);
            let y = (e.client_y() as f64 - rect.top()) * h / rect.height().max(1.0);
            placed
                .iter()
                .zip(&ids)
                .map(|(&(mx, my, ..), id)| ((mx - x).powi(2) + (my - y).powi(2), *id))
                .filter(|(d2, _)| *d2 <= 100.0)
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .map(|(_, id)| id)
        }
    };
    let on_move = {
        let (hover, nearest) = (hover.clone(), nearest.clone());
        Callback::from(move |e: MouseEvent| {
            let found = nearest(&e);
            if *hover != found {
                hover.set(found);
            }
        })
    };
    let on_leave = {
        let hover = hover.clone();
        Callback::from(move |_: MouseEvent| hover.set(None))
    };
    let on_click = {
        let d = p.dispatch.clone();
        Callback::from(move |e: MouseEvent| {
            let on_node = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|el| el.closest("g.node").ok().flatten());
            if on_node.is_none() {
                if let Some(id) = nearest(&e) {
                    d.emit(Action::SelectMsg(Some(id)));
                }
            }
        })
    };
    let hidden = s.msgs_total.saturating_sub(MAX_DRAWN_MSGS);

    html! {
        <div class={classes!("map", (lay.dcs.len() == 1).then_some("single"))}>
            <p class="map-hint" aria-hidden="true">{"← The map scrolls sideways →"}</p>
            <svg ref={svg_ref} viewBox={format!("0 0 {} {}", W as u32, view_h.ceil() as u32)} style={format!("--k:{}", decimal(k, 2))} role="group" aria-label={format!("{} datacenters, {} nodes, {} messages in flight", dcs, s.nodes.len(), s.msgs_total)}
                onmousemove={on_move} onmouseleave={on_leave} onclick={on_click}>
                <g class="links">{ for links }</g>
                <g class="regions">{ for regions }</g>
                <g class="nodes">{ for nodes }</g>
                <g class="msgs">
                    { for dots.iter().enumerate().filter(|(_, d)| !d.is_empty()).map(|(from, d)| html! {
                        <path class="dots" d={d.clone()} style={format!("stroke:{}", node_colour(from as u16))} />
                    }) }
                    { for handles }
                </g>
                { for hovered_tip }
                <g class="legend" transform={format!("translate(0,{})", num(lay.h - 14.0))}>
                    { for legend.iter().zip(&placed_legend).map(|(text, &(x, row))| html! {
                        <text x={num(x)} y={num(row as f64 * 16.0 * k)}>{ text }</text>
                    }) }
                </g>
            </svg>
            if hidden > 0 { <p class="note">{ format!("{hidden} more messages in flight are not drawn.") }</p> }
        </div>
    }
}
