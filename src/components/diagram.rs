//! The space-time diagram: one horizontal lane per node, grouped by datacenter, with simulated time
//! running left to right. A message is a line from its send (on the source's lane) to its delivery
//! or drop (on the target's lane); timers, starts, resumes and faults are marks on the lanes; notes
//! are dots whose text shows on hover and in the mark's accessible label. Steps recorded after the
//! cursor (there are some after stepping back) are drawn faded, the current step is ringed, and a
//! vertical line marks the time the map shows. Clicking a mark seeks to the state right after it.
//!
//! It re-renders every animation frame while playing, over traces of hundreds of thousands of
//! steps, so the work per frame is bounded by what is visible, not by the trace:
//!
//! 1. The window `[t0, t1]` becomes a range of steps with two binary searches
//!    ([`DynRun::step_at_time`]). Past [`MAX_DRAWN_STEPS`] steps we draw one in every `stride`
//!    (a power of two, chosen by step index, so the same steps stay drawn while the window moves)
//!    and say so.
//! 2. Messages come from the drawn steps (what each sent and what it delivered or dropped), from a
//!    short look-back before the window (messages that cross it), and from the messages in flight
//!    now; at most [`MAX_DRAWN_MSGS`], newest first.
//! 3. Marks and lines are placed in a coordinate system that only changes when the zoom does (its
//!    origin moves once every [`ORIGIN_WINDOWS`] windows); following the current time translates
//!    one group. Each mark and line is a small component with plain props, so a frame re-renders
//!    only what changed: the marks near the cursor and the messages in flight.

use crate::browser;
use crate::components::{dc_glyph, fmt_time, grouped, node_colour};
use crate::state::{RunRef, Snapshot};
use caucus_sim::run::{MsgTraceView, StepKind, StepView};
use caucus_sim::topology::NodeSpec;
use caucus_sim::trace::Outcome;
use caucus_sim::{DynRun, Micros, MsgId, NodeId, Status, Topology, SEC};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Steps drawn at most in one window; denser windows are sampled.
const MAX_DRAWN_STEPS: usize = 1_500;
/// Message lines drawn at most in one window.
const MAX_DRAWN_MSGS: usize = 1_500;
/// While playing, both caps drop to this: every frame repaints what is drawn, and with software
/// rendering 3,000 moving SVG elements cost about 30 ms a frame. Paused, the full detail returns.
const MAX_DRAWN_WHILE_PLAYING: usize = 400;
/// Marks reachable with Tab: the ones nearest the current step (the event log reaches the rest).
const MAX_FOCUSABLE: usize = 40;
/// Steps before the window searched for messages that cross it without starting or ending in it.
const LOOKBACK_STEPS: usize = 256;
/// The drawing origin moves once every this many window widths.
const ORIGIN_WINDOWS: u64 = 32;

const DEFAULT_SPAN_US: Micros = SEC;
const MIN_SPAN_US: Micros = 100;
const MAX_SPAN_US: Micros = 3_600 * SEC;

const SVG_ID: &str = "spacetime-svg";
const GUTTER: f64 = 132.0;
const RIGHT_PAD: f64 = 12.0;
const AXIS_H: f64 = 24.0;
const INPUTS_H: f64 = 24.0;
const DC_HEAD_H: f64 = 18.0;
const LANE_H: f64 = 22.0;
const MIN_WIDTH: f64 = 480.0;
/// Room an input's label needs before the next input's mark.
const INPUT_TEXT_GAP: f64 = 130.0;
const INPUT_TEXT_CHARS: usize = 28;

#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    pub run: RunRef,
    pub snapshot: Rc<Snapshot>,
    pub view_time: Micros,
    pub highlight: Vec<NodeId>,
    pub on_seek: Callback<u64>,
    /// Playing draws less (see [`MAX_DRAWN_WHILE_PLAYING`]).
    #[prop_or_default]
    pub playing: bool,
    /// Simulated seconds per real second while playing.
    #[prop_or_default]
    pub speed: f64,
}

/// Real seconds a following window takes to scroll past while playing: at high speed the window
/// widens so that its content drifts across instead of being replaced every few frames.
const MIN_WINDOW_REAL_SECONDS: f64 = 4.0;

#[function_component(SpaceTimeDiagram)]
pub fn space_time_diagram(p: &DiagramProps) -> Html {
    let view = use_state(ViewWindow::default);
    let container = use_node_ref();
    let width = use_measured_width(&container);
    let lanes = Lanes::of(&p.snapshot.topology, *width);
    let mut shown = *view;
    if p.playing && shown.follow {
        let min_span = (p.speed * MIN_WINDOW_REAL_SECONDS * SEC as f64) as Micros;
        shown.span_us = shown.span_us.max(min_span.min(MAX_SPAN_US));
    }
    let frame = Frame::new(shown.bounds(p.view_time), *width);
    let drawing = {
        let run = p.run.0.borrow();
        let budget = if p.playing { MAX_DRAWN_WHILE_PLAYING } else { MAX_DRAWN_STEPS };
        draw(run.as_ref(), &frame, &lanes, &p.snapshot, p.view_time, budget)
    };

    let set_view = |next: fn(ViewWindow, &Frame) -> ViewWindow| {
        let view = view.clone();
        let frame = frame.clone();
        Callback::from(move |_: MouseEvent| view.set(next(*view, &frame)))
    };
    let activate = {
        let view = view.clone();
        let on_seek = p.on_seek.clone();
        let t0 = frame.t0;
        move |target: Option<web_sys::EventTarget>| -> bool {
            let Some(step) = step_of(target) else {
                return false;
            };
            // Keep the window still: jumping the view to the clicked step would move it away.
            view.set(ViewWindow { follow: false, start: t0, ..*view });
            on_seek.emit(step + 1);
            true
        }
    };
    let onclick = {
        let activate = activate.clone();
        Callback::from(move |e: MouseEvent| {
            activate(e.target());
        })
    };
    let onkeydown = Callback::from(move |e: KeyboardEvent| {
        if matches!(e.key().as_str(), "Enter" | " ") && activate(e.target()) {
            // Space would otherwise also reach the page's play/pause shortcut.
            e.prevent_default();
            e.stop_propagation();
        }
    });
    let onwheel = {
        let view = view.clone();
        let frame = frame.clone();
        let container = container.clone();
        Callback::from(move |e: WheelEvent| {
            let left = container.cast::<web_sys::Element>().map_or(0.0, |el| el.get_bounding_client_rect().left());
            if let Some(next) = on_wheel(*view, &frame, &e, e.client_x() as f64 - left) {
                e.prevent_default();
                view.set(next);
            }
        })
    };
    let export = Callback::from(|_: MouseEvent| export_svg());
    let follow = view.follow;

    html! {
        <section class="diagram-panel" aria-label="Space-time diagram">
            <div class="diagram-head">
                <h2>{"Space-time diagram"}</h2>
                <div class="diagram-tools">
                    <button aria-label="Show earlier time" title="Earlier" onclick={set_view(|v, f| v.pan(f, -0.5))}>{"◀"}</button>
                    <button aria-label="Show later time" title="Later" onclick={set_view(|v, f| v.pan(f, 0.5))}>{"▶"}</button>
                    <button aria-label="Zoom in: a shorter time window" title="Zoom in" onclick={set_view(|v, f| v.zoom(f, 0.5, None))}>{"+"}</button>
                    <button aria-label="Zoom out: a longer time window" title="Zoom out" onclick={set_view(|v, f| v.zoom(f, 2.0, None))}>{"−"}</button>
                    <button aria-label="Show the whole run" title="Whole run" onclick={fit_all(&view, &p.run)}>{"All"}</button>
                    <button class={classes!(follow.then_some("on"))} aria-pressed={follow.to_string()}
                        aria-label="Follow the current time" title="Follow the current time"
                        onclick={set_view(|v, f| ViewWindow { follow: !v.follow, start: f.t0, ..v })}>
                        { if follow { "● Following" } else { "○ Follow" } }
                    </button>
                    <span class="diagram-span" title="Width of the time window">{ format!("{} window", fmt_time(frame.t1 - frame.t0)) }</span>
                    <button aria-label="Export the diagram as an SVG file" onclick={export}>{"Export SVG"}</button>
                </div>
            </div>
            <p class="diagram-status">{ status_text(&drawing, &frame, p.view_time) }</p>
            <div class="diagram-scroll" ref={container} {onwheel}>
                <svg id={SVG_ID} xmlns="http://www.w3.org/2000/svg" role="group"
                    aria-label={format!("Events from {} to {}", fmt_time(frame.t0), fmt_time(frame.t1))}
                    width={num(frame.width)} height={num(lanes.height)}
                    viewBox={format!("0 0 {} {}", num(frame.width), num(lanes.height))}
                    {onclick} {onkeydown}>
                    <style>{ SVG_STYLE }</style>
                    { defs(&frame, &lanes) }
                    <rect class="st-bg" width={num(frame.width)} height={num(lanes.height)} />
                    { lanes_html(&p.snapshot, &lanes, &frame, &p.highlight) }
                    { axis_html(&frame, &lanes) }
                    <g clip-path="url(#st-clip)">
                        <g transform={format!("translate({} 0)", num(frame.shift()))}>
                            <g class="st-msgs">
                                { for drawing.msgs.iter().map(|m| html! { <MsgLine key={m.id} item={m.clone()} /> }) }
                            </g>
                            <g class="st-events">
                                { for drawing.marks.iter().map(|m| html! { <EventMark key={m.index} item={m.clone()} /> }) }
                            </g>
                        </g>
                        { now_line(&frame, &lanes, p.view_time) }
                    </g>
                    { dc_labels_html(&p.snapshot.topology, &lanes) }
                    { legend_html(&lanes) }
                </svg>
            </div>
        </section>
    }
}

// ---- the time window ---------------------------------------------------------------------------

/// What the person chose to look at: a span of time, either following the current time or fixed.
#[derive(Clone, Copy, Debug, PartialEq)]
struct ViewWindow {
    span_us: Micros,
    follow: bool,
    /// The window's start when not following.
    start: Micros,
}

impl Default for ViewWindow {
    fn default() -> Self {
        ViewWindow { span_us: DEFAULT_SPAN_US, follow: true, start: 0 }
    }
}

impl ViewWindow {
    /// `[t0, t1]`. Following keeps the current time near the right edge (5% in), and shows the
    /// first span from 0 until the run gets there.
    fn bounds(&self, view_time: Micros) -> (Micros, Micros) {
        let span = self.span_us;
        if self.follow {
            let t1 = view_time.saturating_add(span / 20).max(span);
            (t1 - span, t1)
        } else {
            (self.start, self.start.saturating_add(span))
        }
    }

    /// Moves by `windows` window widths (negative: earlier) and stops following.
    fn pan(self, f: &Frame, windows: f64) -> ViewWindow {
        let by = (self.span_us as f64 * windows) as i64;
        ViewWindow { follow: false, start: f.t0.saturating_add_signed(by), ..self }
    }

    /// Scales the span by `factor`, keeping the time under `anchor` (a fraction of the plot's
    /// width) in place, or the middle of the window; following stays anchored at the current time.
    fn zoom(self, f: &Frame, factor: f64, anchor: Option<f64>) -> ViewWindow {
        let span = ((self.span_us as f64 * factor) as Micros).clamp(MIN_SPAN_US, MAX_SPAN_US);
        let at = crate::components::clamp(anchor.unwrap_or(0.5), 0.0, 1.0);
        let pivot = f.t0 as f64 + at * self.span_us as f64;
        let start = (pivot - at * span as f64).max(0.0) as Micros;
        ViewWindow { span_us: span, start, ..self }
    }
}

/// Ctrl/⌘ + wheel (and pinch) zooms around the pointer; Shift + wheel or a sideways swipe pans.
/// A plain wheel scrolls the page as usual.
fn on_wheel(v: ViewWindow, f: &Frame, e: &WheelEvent, pointer_x: f64) -> Option<ViewWindow> {
    let (dx, dy) = (e.delta_x(), e.delta_y());
    if e.ctrl_key() || e.meta_key() {
        let factor = 2f64.powf(crate::components::clamp(dy / 240.0, -1.0, 1.0));
        let anchor = (pointer_x - GUTTER) / f.plot_w;
        return Some(v.zoom(f, factor, Some(anchor)));
    }
    let sideways = if e.shift_key() {
        dy
    } else if dx.abs() > dy.abs() {
        dx
    } else {
        0.0
    };
    (sideways != 0.0).then(|| v.pan(f, sideways / f.plot_w))
}

fn fit_all(view: &UseStateHandle<ViewWindow>, run: &RunRef) -> Callback<MouseEvent> {
    let view = view.clone();
    let run = run.clone();
    Callback::from(move |_| {
        let run = run.0.borrow();
        let last = run.trace_len().checked_sub(1).map_or(0, |i| run.trace_step(i).time).max(run.now());
        let span = ((last as f64 * 1.05) as Micros).clamp(MIN_SPAN_US.max(1_000), MAX_SPAN_US);
        view.set(ViewWindow { span_us: span, follow: false, start: 0 });
    })
}

/// Where things go horizontally. Marks are placed at `x(t)`, relative to an origin that moves
/// only every [`ORIGIN_WINDOWS`] windows, so their coordinates stay equal from frame to frame;
/// the group holding them is translated by `shift()` to put `t0` at the plot's left edge.
#[derive(Clone, Debug, PartialEq)]
struct Frame {
    t0: Micros,
    t1: Micros,
    origin: Micros,
    /// Pixels per microsecond.
    ppu: f64,
    width: f64,
    plot_w: f64,
}

impl Frame {
    fn new((t0, t1): (Micros, Micros), width: f64) -> Frame {
        let span = (t1 - t0).max(1);
        let plot_w = width - GUTTER - RIGHT_PAD;
        let block = span.saturating_mul(ORIGIN_WINDOWS);
        Frame { t0, t1, origin: t0 / block * block, ppu: plot_w / span as f64, width, plot_w }
    }
    fn x(&self, t: Micros) -> f64 {
        (t as f64 - self.origin as f64) * self.ppu
    }
    fn screen_x(&self, t: Micros) -> f64 {
        GUTTER + (t as f64 - self.t0 as f64) * self.ppu
    }
    fn shift(&self) -> f64 {
        GUTTER - self.x(self.t0)
    }
    /// The stable x range any window with this origin can show, with a margin: lines are cut to
    /// it so no coordinate grows without bound.
    fn x_range(&self) -> (f64, f64) {
        (-self.plot_w, (ORIGIN_WINDOWS + 2) as f64 * self.plot_w)
    }
}

/// Where things go vertically: an inputs row, then per datacenter a header and one lane per node.
#[derive(Clone, Debug, PartialEq)]
struct Lanes {
    /// Centre of each node's lane, by node id.
    node_y: Vec<f64>,
    /// `(datacenter, top of its header)`, in order.
    groups: Vec<(usize, f64)>,
    inputs_y: f64,
    top: f64,
    bottom: f64,
    height: f64,
    width: f64,
}

impl Lanes {
    fn of(t: &Topology, width: f64) -> Lanes {
        let mut node_y = vec![0.0; t.nodes.len()];
        let mut groups = Vec::new();
        let mut y = AXIS_H + INPUTS_H;
        for (i, dc) in t.datacenters.iter().enumerate() {
            let nodes: Vec<NodeId> = t.nodes_in(dc.id).collect();
            if nodes.is_empty() {
                continue;
            }
            groups.push((i, y));
            y += DC_HEAD_H;
            for n in nodes {
                node_y[n as usize] = y + LANE_H / 2.0;
                y += LANE_H;
            }
        }
        let legend_rows = legend_layout(width).last().map_or(0, |&(_, row)| row + 1);
        let height = y + 8.0 + legend_rows as f64 * LEGEND_ROW_H;
        Lanes { node_y, groups, inputs_y: AXIS_H + INPUTS_H / 2.0, top: AXIS_H, bottom: y, height, width }
    }
    fn y(&self, node: NodeId) -> f64 {
        self.node_y.get(node as usize).copied().unwrap_or(self.inputs_y)
    }
}

// ---- what to draw --------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Phase {
    Past,
    Current,
    Future,
}

/// One step's mark, in stable coordinates.
#[derive(Clone, Debug, PartialEq)]
struct MarkItem {
    index: usize,
    x: f64,
    y: f64,
    kind: StepKind,
    /// A fault at a node: a second mark on its lane, this far below the inputs row.
    lane_dy: Option<f64>,
    /// A fault or request: a rule down through the lanes, to this far below.
    rule_to: Option<f64>,
    /// A fault's label, when there is room for it.
    text: Option<String>,
    /// `(offset to the note's lane, text)`.
    notes: Vec<(f64, String)>,
    /// Durable writes: `(offset of the start, width, what)`, drawn as a bar on the lane.
    writes: Vec<(f64, f64, String)>,
    label: String,
    phase: Phase,
    focusable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Look {
    Delivered,
    Dropped,
    /// In flight at the current step (its end may be recorded in the future).
    InFlight,
    /// Sent after the current step (recorded history ahead of the cursor).
    Future,
}

/// One message's line, in stable coordinates.
#[derive(Clone, Debug, PartialEq)]
struct MsgItem {
    id: MsgId,
    x1: f64,
    y1: f64,
    x2: f64,
    y2: f64,
    look: Look,
    /// Sent or ended by the current step.
    hot: bool,
    arrow: bool,
    cross: bool,
    /// The step a click seeks to (its end, else its send).
    step: u64,
    title: String,
}

#[derive(Debug, Default)]
struct Drawing {
    marks: Vec<MarkItem>,
    msgs: Vec<MsgItem>,
    /// Steps in the window.
    in_window: usize,
    /// One in `stride` steps is drawn.
    stride: usize,
    msgs_capped: bool,
    msg_budget: usize,
}

fn draw(run: &dyn DynRun, f: &Frame, lanes: &Lanes, s: &Snapshot, view_time: Micros, budget: usize) -> Drawing {
    let len = run.trace_len();
    let cursor = (s.cursor as usize).min(len);
    let a = run.step_at_time(f.t0).min(len);
    let b = run.step_at_time(f.t1.saturating_add(1)).min(len).max(a);
    let stride = (b - a).div_ceil(budget).max(1).next_power_of_two();
    let current = cursor.checked_sub(1).filter(|c| (a..b).contains(c));
    let mut indices: Vec<usize> = (a.next_multiple_of(stride)..b).step_by(stride).collect();
    if let Some(c) = current {
        if let Err(at) = indices.binary_search(&c) {
            indices.insert(at, c);
        }
    }
    let steps: Vec<StepView> =
        indices.into_iter().map(|i| run.trace_step(i)).filter(|st| st.kind != StepKind::Idle).collect();
    let names = &s.topology.nodes;
    let marks = marks_of(&steps, f, lanes, cursor, names);
    let (found, msgs_capped) = messages_near(run, &steps, current, (a, stride > 1), f, s, budget.min(MAX_DRAWN_MSGS));
    let mut msgs: Vec<MsgItem> =
        found.iter().filter_map(|m| msg_item(m, f, lanes, cursor as u64, current, view_time, names)).collect();
    msgs.sort_by_key(|m| m.id);
    Drawing { marks, msgs, in_window: b - a, stride, msgs_capped, msg_budget: budget.min(MAX_DRAWN_MSGS) }
}

fn marks_of(steps: &[StepView], f: &Frame, lanes: &Lanes, cursor: usize, names: &[NodeSpec]) -> Vec<MarkItem> {
    let mut marks: Vec<MarkItem> = steps.iter().map(|st| mark_of(st, f, lanes, cursor, names)).collect();
    // Faults' labels where there is room before the next fault.
    let faults: Vec<usize> = (0..marks.len()).filter(|&i| marks[i].kind == StepKind::Input).collect();
    for (k, &i) in faults.iter().enumerate() {
        let room = faults.get(k + 1).is_none_or(|&j| marks[j].x - marks[i].x > INPUT_TEXT_GAP);
        if room {
            marks[i].text = Some(shorten(&steps[i].label, INPUT_TEXT_CHARS));
        }
    }
    // Tab reaches the marks nearest the current step.
    let p = marks.partition_point(|m| m.index < cursor);
    let hi = (p.saturating_sub(MAX_FOCUSABLE / 2) + MAX_FOCUSABLE).min(marks.len());
    for m in &mut marks[hi.saturating_sub(MAX_FOCUSABLE)..hi] {
        m.focusable = true;
    }
    marks
}

fn mark_of(st: &StepView, f: &Frame, lanes: &Lanes, cursor: usize, names: &[NodeSpec]) -> MarkItem {
    let phase = match st.index + 1 {
        i if i == cursor => Phase::Current,
        i if i > cursor => Phase::Future,
        _ => Phase::Past,
    };
    let fault = st.kind == StepKind::Input || st.node.is_none();
    let y = if fault { lanes.inputs_y } else { lanes.y(st.node.unwrap_or_default()) };
    let mut label = format!("step {} at {}: {}", st.index + 1, fmt_time(st.time), st.label);
    for (n, text) in &st.notes {
        label += &format!("; note from {}: {text}", name(names, *n));
    }
    MarkItem {
        index: st.index,
        x: f.x(st.time),
        y,
        kind: st.kind,
        lane_dy: st.node.filter(|_| fault).map(|n| lanes.y(n) - y),
        rule_to: fault.then_some(lanes.bottom - y),
        text: None,
        notes: st.notes.iter().map(|(n, text)| (lanes.y(*n) - y, format!("{}: {text}", name(names, *n)))).collect(),
        writes: st
            .writes
            .iter()
            .filter(|_| caucus_sim::sim::HARDWARE)
            .map(|w| {
                let x0 = f.x(w.start);
                let took = fmt_time(w.end - w.start);
                (x0 - f.x(st.time), (f.x(w.end) - x0).max(2.0), format!("writes its {} to disk: {took}", w.what))
            })
            .collect(),
        label,
        phase,
        focusable: false,
    }
}

/// The messages worth a line: those the drawn steps sent or ended (the current step's first, then
/// newest first; one per step when sampled), those sent shortly before the window that end in or
/// after it, and those in flight now. Returns them and whether the cap cut some off.
fn messages_near(
    run: &dyn DynRun,
    steps: &[StepView],
    current: Option<usize>,
    (a, sampled): (usize, bool),
    f: &Frame,
    s: &Snapshot,
    budget: usize,
) -> (Vec<MsgTraceView>, bool) {
    let mut c =
        Collector { run, count: run.trace_msg_count(), seen: Vec::new(), found: Vec::new(), budget, capped: false };
    let current_first = steps.iter().filter(|st| Some(st.index) == current).chain(steps.iter().rev());
    for st in current_first {
        if c.capped {
            break;
        }
        // Sampled, a step stands for many: one line each keeps the lines spread over the window.
        let per_step = if sampled { 1 } else { usize::MAX };
        for id in st.msg.into_iter().chain(st.sent.clone()).take(per_step) {
            c.take(id, |_| true);
        }
    }
    if !c.capped {
        let crosses = |m: &MsgTraceView| end_of(m).is_none_or(|(_, t)| t >= f.t0);
        for i in (a.saturating_sub(LOOKBACK_STEPS)..a).rev() {
            for id in run.trace_step(i).sent {
                c.take(id, crosses);
            }
        }
        for m in s.msgs.iter().filter(|m| m.sent_at <= f.t1) {
            c.take(m.id, |_| true);
        }
    }
    (c.found, c.capped)
}

/// Fetches each message once, and at most `budget` of them: a flooded network has tens of
/// thousands in flight across the window, and drawing each one froze the tab.
struct Collector<'a> {
    run: &'a dyn DynRun,
    count: usize,
    /// Sorted; at most the budget long (a hash set cost kilobytes of code for this).
    seen: Vec<MsgId>,
    found: Vec<MsgTraceView>,
    budget: usize,
    capped: bool,
}

impl Collector<'_> {
    fn take(&mut self, id: MsgId, keep: impl Fn(&MsgTraceView) -> bool) {
        if self.found.len() >= self.budget {
            self.capped = true;
            return;
        }
        let fresh = match self.seen.binary_search(&id) {
            Ok(_) => false,
            Err(at) => {
                self.seen.insert(at, id);
                true
            }
        };
        if (id as usize) < self.count && fresh {
            let m = self.run.trace_msg(id);
            if keep(&m) {
                self.found.push(m);
            }
        }
    }
}

fn name(names: &[NodeSpec], n: NodeId) -> &str {
    names.get(n as usize).map_or("?", |x| x.name.as_str())
}

/// The step and time a message ended, if it has.
fn end_of(m: &MsgTraceView) -> Option<(u64, Micros)> {
    match m.outcome {
        Outcome::InFlight => None,
        Outcome::Delivered { step, time } | Outcome::Dropped { step, time, .. } => Some((step, time)),
    }
}

fn msg_item(
    m: &MsgTraceView,
    f: &Frame,
    lanes: &Lanes,
    cursor: u64,
    current: Option<usize>,
    view_time: Micros,
    names: &[NodeSpec],
) -> Option<MsgItem> {
    let end = end_of(m);
    let sent = m.sent_step < cursor;
    let ended = end.is_some_and(|(step, _)| step < cursor);
    let end_t = match end {
        Some((_, t)) => t,
        // Still in flight and overdue (its target was paused): it reaches at least to now.
        None if sent => m.deliver_at.max(view_time),
        None => m.deliver_at,
    };
    if end_t < f.t0 || m.sent_at > f.t1 {
        return None;
    }
    let dropped = matches!(m.outcome, Outcome::Dropped { .. });
    let look = match (sent, ended) {
        (false, _) => Look::Future,
        (true, false) => Look::InFlight,
        (true, true) if dropped => Look::Dropped,
        (true, true) => Look::Delivered,
    };
    let hot = current.is_some_and(|c| m.sent_step == c as u64 || end.is_some_and(|(step, _)| step == c as u64));
    let (src, dst) = (name(names, m.source), name(names, m.target));
    let fate = match m.outcome {
        _ if look == Look::InFlight => format!("in flight, due at {}", fmt_time(m.deliver_at)),
        Outcome::InFlight => format!("due at {}", fmt_time(m.deliver_at)),
        Outcome::Delivered { time, .. } => format!("delivered at {}", fmt_time(time)),
        Outcome::Dropped { time, reason, .. } => {
            format!("dropped at {}, {}", fmt_time(time), reason.describe())
        }
    };
    let (lo, hi) = f.x_range();
    let (x1, y1, x2, y2) = (f.x(m.sent_at), lanes.y(m.source), f.x(end_t), lanes.y(m.target));
    let (cx1, cy1) = cut_to(x1, y1, x2, y2, lo, hi);
    let (cx2, cy2) = cut_to(x2, y2, x1, y1, lo, hi);
    let end_shown = cx2 == x2;
    let cross = dropped && look != Look::InFlight && end_shown;
    Some(MsgItem {
        id: m.id,
        x1: cx1,
        y1: cy1,
        x2: cx2,
        y2: cy2,
        look,
        hot,
        arrow: end_shown && !cross,
        cross,
        step: end.map_or(m.sent_step, |(step, _)| step),
        title: format!("{} {src} → {dst}: sent at {}, {fate}", m.label, fmt_time(m.sent_at)),
    })
}

/// The point `(x, y)` of the segment to `(ox, oy)`, moved along it into `lo..=hi` if outside.
fn cut_to(x: f64, y: f64, ox: f64, oy: f64, lo: f64, hi: f64) -> (f64, f64) {
    let edge = crate::components::clamp(x, lo, hi);
    if edge == x || ox == x {
        return (edge, y);
    }
    let t = (edge - x) / (ox - x);
    (edge, y + t * (oy - y))
}

// ---- components for marks and lines ------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct MarkProps {
    item: MarkItem,
}

#[function_component(EventMark)]
fn event_mark(p: &MarkProps) -> Html {
    let m = &p.item;
    let (shape, kind) = shape_of(m.kind);
    let phase = match m.phase {
        Phase::Past => None,
        Phase::Current => Some("st-current"),
        Phase::Future => Some("st-future"),
    };
    html! {
        <g class={classes!("st-ev", kind, phase)} transform={format!("translate({} {})", num(m.x), num(m.y))}
            data-step={m.index.to_string()}
            tabindex={m.focusable.then_some("0")} role={m.focusable.then_some("button")}
            aria-label={m.focusable.then(|| m.label.clone())} aria-hidden={(!m.focusable).then_some("true")}>
            <title>{ &m.label }</title>
            if let Some(to) = m.rule_to {
                <line class="st-rule" x1="0" y1="8" x2="0" y2={num(to)} />
            }
            // Under the mark: the node is busy writing, its messages leave at the bar's end.
            { for m.writes.iter().map(|(dx, w, what)| html! {
                <g class="st-write">
                    <rect x={num(*dx)} y="-3.5" width={num(*w)} height="7" rx="1.5" />
                    if *w > 40.0 { <text x={num(dx + 4.0)} y="-6">{"disk"}</text> }
                    <title>{ what }</title>
                </g>
            }) }
            if m.phase == Phase::Current {
                <circle class="st-ring" r="9" />
            }
            <circle class="st-hit" r="7" />
            <path class="st-shape" d={shape} />
            if let Some(dy) = m.lane_dy {
                <path class="st-shape" transform={format!("translate(0 {})", num(dy))} d={SHAPE_FAULT_LANE} />
            }
            if let Some(text) = &m.text {
                <text class="st-fault-text" x="9" y="4">{ text }</text>
            }
            { for m.notes.iter().map(|(dy, text)| html! {
                <circle class="st-note" cx="6" cy={num(dy - 7.0)} r="2.6"><title>{ format!("note from {text}") }</title></circle>
            }) }
        </g>
    }
}

#[derive(Properties, PartialEq)]
struct MsgProps {
    item: MsgItem,
}

#[function_component(MsgLine)]
fn msg_line(p: &MsgProps) -> Html {
    let m = &p.item;
    let look = match m.look {
        Look::Delivered => "st-done",
        Look::Dropped => "st-drop",
        Look::InFlight => "st-fly",
        Look::Future => "st-future",
    };
    let arrow = m.arrow.then_some(if m.hot { "url(#st-arrow-hot)" } else { "url(#st-arrow)" });
    html! {
        <g class={classes!("st-msg", look, m.hot.then_some("st-hot"))} data-step={m.step.to_string()}>
            <title>{ &m.title }</title>
            <line x1={num(m.x1)} y1={num(m.y1)} x2={num(m.x2)} y2={num(m.y2)} marker-end={arrow} />
            if m.cross {
                <path class="st-cross" transform={format!("translate({} {})", num(m.x2), num(m.y2))} d={SHAPE_DROP} />
            }
        </g>
    }
}

const SHAPE_DELIVER: &str = "M-3,0a3,3 0 1,0 6,0a3,3 0 1,0 -6,0";
const SHAPE_DROP: &str = "M-4,-4L4,4M-4,4L4,-4";
const SHAPE_TIMER: &str = "M0,-4.5L4.5,0L0,4.5L-4.5,0Z";
const SHAPE_START: &str = "M-3.5,-3.5h7v7h-7Z";
const SHAPE_RESUME: &str = "M-3,-4.5L4.5,0L-3,4.5Z";
const SHAPE_FAULT: &str = "M0,-6L6.5,5H-6.5Z";
const SHAPE_FAULT_LANE: &str = "M0,-5L5.5,4H-5.5Z";

fn shape_of(kind: StepKind) -> (&'static str, &'static str) {
    match kind {
        StepKind::Deliver => (SHAPE_DELIVER, "st-deliver"),
        StepKind::Drop => (SHAPE_DROP, "st-dropmark"),
        StepKind::Timer => (SHAPE_TIMER, "st-timer"),
        StepKind::Start => (SHAPE_START, "st-start"),
        StepKind::Resume => (SHAPE_RESUME, "st-resume"),
        StepKind::Input | StepKind::Idle => (SHAPE_FAULT, "st-fault"),
    }
}

// ---- the fixed parts ---------------------------------------------------------------------------

fn defs(f: &Frame, lanes: &Lanes) -> Html {
    let arrow = |id: &'static str, class: &'static str| {
        html! {
            <marker id={id} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">
                <path class={class} d="M0,0L10,5L0,10Z" />
            </marker>
        }
    };
    html! {
        <defs>
            <clipPath id="st-clip">
                <rect x={num(GUTTER)} y={num(lanes.top)} width={num(f.plot_w)} height={num(lanes.bottom - lanes.top)} />
            </clipPath>
            { arrow("st-arrow", "st-head") }
            { arrow("st-arrow-hot", "st-head-hot") }
        </defs>
    }
}

fn lanes_html(s: &Snapshot, lanes: &Lanes, f: &Frame, highlight: &[NodeId]) -> Html {
    let t = &s.topology;
    let bands = lanes.groups.iter().map(|&(i, top)| {
        html! {
            <rect class="st-band" x="0" y={num(top)} width={num(f.width)} height={num(DC_HEAD_H)} data-dc={t.datacenters[i].id.to_string()} />
        }
    });
    let nodes = t.nodes.iter().map(|n| {
        let y = lanes.y(n.id);
        let bad = highlight.contains(&n.id);
        let status = s.nodes.get(n.id as usize).map(|v| v.status);
        let suffix = match status {
            Some(Status::Crashed) => " (crashed)",
            Some(Status::Paused) => " (paused)",
            _ => "",
        };
        html! {
            <g class={classes!("st-lane", bad.then_some("st-bad"))}>
                if bad {
                    <rect class="st-alert" x="0" y={num(y - LANE_H / 2.0)} width={num(f.width)} height={num(LANE_H)}>
                        <title>{ format!("{} is involved in a failing property", n.name) }</title>
                    </rect>
                }
                <line class="st-lane-line" x1={num(GUTTER)} y1={num(y)} x2={num(f.width - RIGHT_PAD)} y2={num(y)}
                    stroke={node_colour(n.id)} />
                <circle class="st-swatch" cx="14" cy={num(y)} r="4.5" fill={node_colour(n.id)} />
                <text class="st-node" x="22" y={num(y + 4.0)}>
                    { if bad { "⚠ " } else { "" } }{ &n.name }<tspan class="st-status">{ suffix }</tspan>
                </text>
            </g>
        }
    });
    html! {
        <g class="st-lanes">
            <text class="st-row-label" x="6" y={num(lanes.inputs_y + 4.0)}>{"faults & requests"}</text>
            <line class="st-grid" x1={num(GUTTER)} y1={num(lanes.inputs_y + INPUTS_H / 2.0)}
                x2={num(f.width - RIGHT_PAD)} y2={num(lanes.inputs_y + INPUTS_H / 2.0)} />
            { for bands }
            { for nodes }
        </g>
    }
}

/// Datacenter names, drawn over the plot with a halo so lines crossing the header row do not hide
/// them.
fn dc_labels_html(t: &Topology, lanes: &Lanes) -> Html {
    let labels = lanes.groups.iter().map(|&(i, top)| {
        let dc = &t.datacenters[i];
        html! {
            <g class="st-group">
                <text class="st-dc" x="6" y={num(top + 13.0)}>{ format!("{} {}", dc_glyph(dc.id), dc.name) }
                    if !dc.region.is_empty() { <tspan class="st-region">{ format!(" · {}", dc.region) }</tspan> }
                </text>
            </g>
        }
    });
    html! { <g class="st-dcs">{ for labels }</g> }
}

fn axis_html(f: &Frame, lanes: &Lanes) -> Html {
    let span = (f.t1 - f.t0).max(1);
    let step = nice_step(span as f64 * 110.0 / f.plot_w.max(1.0));
    let first = f.t0.div_ceil(step) * step;
    let ticks = (0..).map(|k| first + k * step).take_while(|&t| t <= f.t1).map(|t| {
        let x = num(f.screen_x(t));
        html! {
            <g class="st-tick">
                <line class="st-grid" x1={x.clone()} y1={num(lanes.top - 4.0)} x2={x.clone()} y2={num(lanes.bottom)} />
                <text x={x} y={num(lanes.top - 8.0)}>{ fmt_time(t) }</text>
            </g>
        }
    });
    html! {
        <g class="st-axis">
            <text class="st-row-label" x="6" y={num(lanes.top - 8.0)}>{"simulated time →"}</text>
            { for ticks }
        </g>
    }
}

fn now_line(f: &Frame, lanes: &Lanes, view_time: Micros) -> Html {
    if view_time < f.t0 || view_time > f.t1 {
        return html! {};
    }
    let x = num(f.screen_x(view_time));
    html! {
        <line class="st-now" x1={x.clone()} y1={num(lanes.top)} x2={x} y2={num(lanes.bottom)}>
            <title>{ format!("now: {}", fmt_time(view_time)) }</title>
        </line>
    }
}

/// The key to the marks, laid out in rows that fit the width (the rows are counted in [`Lanes`]).
fn legend_html(lanes: &Lanes) -> Html {
    let items = LEGEND.iter().zip(legend_layout(lanes.width)).map(|(&(key, text), (x, row))| {
        let y = lanes.bottom + 14.0 + row as f64 * LEGEND_ROW_H;
        let mark = match key {
            Key::Mark(class, d) => html! { <g class={class}><path class="st-shape" d={d} /></g> },
            Key::Line(class) => {
                html! { <g class={classes!("st-msg", class)}><line x1="-5" y1="0" x2="14" y2="0" /></g> }
            }
            Key::Note => html! { <circle class="st-note" r="2.6" /> },
            Key::Current => html! { <circle class="st-ring" r="6" /> },
        };
        html! {
            <g transform={format!("translate({} {})", num(x), num(y))}>
                { mark }
                <text x={if matches!(key, Key::Line(_)) { "19" } else { "10" }} y="4">{ text }</text>
            </g>
        }
    });
    html! { <g class="st-legend">{ for items }</g> }
}

#[derive(Clone, Copy)]
enum Key {
    Mark(&'static str, &'static str),
    Line(&'static str),
    Note,
    Current,
}

const LEGEND: &[(Key, &str)] = &[
    (Key::Mark("st-deliver", SHAPE_DELIVER), "delivered"),
    (Key::Mark("st-dropmark", SHAPE_DROP), "dropped"),
    (Key::Mark("st-timer", SHAPE_TIMER), "timer"),
    (Key::Mark("st-start", SHAPE_START), "start"),
    (Key::Mark("st-resume", SHAPE_RESUME), "resume"),
    (Key::Mark("st-fault", SHAPE_FAULT), "fault or request"),
    (Key::Line("st-fly"), "in flight"),
    (Key::Line("st-drop"), "lost"),
    (Key::Note, "note (hover)"),
    (Key::Current, "current step"),
];
const LEGEND_ROW_H: f64 = 18.0;

/// Where each legend item goes: `(x, row)`.
fn legend_layout(width: f64) -> Vec<(f64, usize)> {
    let (mut x, mut row) = (10.0, 0);
    LEGEND
        .iter()
        .map(|&(key, text)| {
            let w = if matches!(key, Key::Line(_)) { 34.0 } else { 24.0 } + 7.0 * text.chars().count() as f64;
            if x + w > width - RIGHT_PAD && x > 10.0 {
                (x, row) = (10.0, row + 1);
            }
            let at = (x, row);
            x += w;
            at
        })
        .collect()
}

fn status_text(d: &Drawing, f: &Frame, view_time: Micros) -> String {
    let mut text = match (d.in_window, d.stride) {
        (0, _) => "No events in this window.".to_string(),
        (n, 1) => format!("{} events from {} to {}.", grouped(n), fmt_time(f.t0), fmt_time(f.t1)),
        (n, k) => format!("Showing 1 in {k} of {} events: zoom in to see them all.", grouped(n)),
    };
    if d.msgs_capped {
        text += &format!(" Messages: the newest {} are drawn.", grouped(d.msg_budget));
    }
    if view_time < f.t0 || view_time > f.t1 {
        text += &format!(" Now ({}) is outside this window: press Follow to return.", fmt_time(view_time));
    }
    text
}

// ---- helpers -------------------------------------------------------------------------------------

/// The container's width in pixels, measured after mounting and on every window resize.
#[hook]
fn use_measured_width(container: &NodeRef) -> UseStateHandle<f64> {
    let width = use_state_eq(|| 960.0);
    {
        let container = container.clone();
        let width = width.clone();
        use_effect_with((), move |_| {
            let measure = move || {
                if let Some(el) = container.cast::<web_sys::Element>() {
                    let w = el.client_width() as f64;
                    if w > 0.0 {
                        width.set(w.max(MIN_WIDTH).round());
                    }
                }
            };
            measure();
            let listener = Closure::<dyn Fn()>::new(measure);
            let window = browser::window();
            let _ = window.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            move || {
                let _ = window.remove_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
                drop(listener);
            }
        });
    }
    width
}

/// The step a click or key press on a mark or line means.
fn step_of(target: Option<web_sys::EventTarget>) -> Option<u64> {
    let el = target?.dyn_into::<web_sys::Element>().ok()?;
    el.closest("[data-step]").ok()??.get_attribute("data-step")?.parse().ok()
}

/// Downloads the diagram as it is on screen, as a standalone SVG file (its style is inside it).
fn export_svg() {
    let Some(doc) = browser::window().document() else {
        return;
    };
    let Some(svg) = doc.get_element_by_id(SVG_ID) else {
        return;
    };
    // HTML serialization may write `&nbsp;`, which XML does not know.
    let text =
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n", svg.outer_html().replace("&nbsp;", "&#160;"));
    browser::download("caucus-spacetime.svg", "image/svg+xml", &text);
}

/// A round tick interval near `raw` microseconds: 1, 2 or 5 times a power of ten.
fn nice_step(raw: f64) -> Micros {
    let raw = raw.max(1.0);
    let p = 10f64.powf(raw.log10().floor());
    let m = match raw / p {
        r if r <= 1.0 => 1.0,
        r if r <= 2.0 => 2.0,
        r if r <= 5.0 => 5.0,
        _ => 10.0,
    };
    ((m * p) as Micros).max(1)
}

/// A coordinate for an attribute: one decimal is plenty.
fn num(v: f64) -> String {
    caucus_sim::decimal(v, 1)
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        text.chars().take(max - 1).chain(['…']).collect()
    }
}

/// The diagram's own style, inside the SVG so an exported file looks the same standalone. Every
/// rule is scoped to the diagram's id (an inline SVG's style applies to the whole page). No
/// transitions or animations: nothing moves unless the simulation does.
const SVG_STYLE: &str = "
#spacetime-svg{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;font-size:12px}
#spacetime-svg .st-bg{fill:#ffffff}
#spacetime-svg text{fill:#334155}
#spacetime-svg .st-band{fill:#64748b;opacity:.09}
#spacetime-svg .st-dc{font-weight:600;fill:#0f172a;paint-order:stroke;stroke:#ffffff;stroke-width:3px;stroke-linejoin:round}
#spacetime-svg .st-region{font-weight:400;fill:#64748b}
#spacetime-svg .st-row-label{fill:#64748b;font-style:italic}
#spacetime-svg .st-lane-line{stroke-opacity:.6;stroke-width:1.5}
#spacetime-svg .st-alert{fill:#fecaca;opacity:.6}
#spacetime-svg .st-bad .st-node{fill:#b91c1c;font-weight:700}
#spacetime-svg .st-bad .st-lane-line{stroke:#dc2626;stroke-opacity:.8;stroke-width:1.5}
#spacetime-svg .st-status{fill:#64748b;font-style:italic}
#spacetime-svg .st-grid{stroke:#e2e8f0;stroke-width:1}
#spacetime-svg .st-tick text{fill:#64748b;text-anchor:middle;font-variant-numeric:tabular-nums}
#spacetime-svg .st-msg line{stroke:#64748b;stroke-width:1.3;fill:none}
#spacetime-svg .st-msg.st-drop line{stroke:#dc2626;stroke-dasharray:5 3}
#spacetime-svg .st-msg.st-fly line{stroke:#475569;stroke-dasharray:2 3}
#spacetime-svg .st-msg.st-hot line{stroke:#1d4ed8;stroke-width:2.6}
#spacetime-svg .st-msg{cursor:pointer}
#spacetime-svg .st-head{fill:#64748b}
#spacetime-svg .st-head-hot{fill:#1d4ed8}
#spacetime-svg .st-cross{stroke:#dc2626;stroke-width:2.2;fill:none}
#spacetime-svg .st-future{opacity:.3}
#spacetime-svg .st-ev{cursor:pointer}
#spacetime-svg .st-ev:focus{outline:none}
#spacetime-svg .st-hit{fill:transparent;stroke:none}
#spacetime-svg .st-ev:focus-visible .st-hit{stroke:#2563eb;stroke-width:2.5}
#spacetime-svg .st-ring{fill:#fde68a;stroke:#d97706;stroke-width:2.5}
#spacetime-svg .st-deliver .st-shape{fill:#334155}
#spacetime-svg .st-dropmark .st-shape{stroke:#dc2626;stroke-width:2.2;fill:none}
#spacetime-svg .st-timer .st-shape{fill:#7c3aed}
#spacetime-svg .st-start .st-shape{fill:#059669}
#spacetime-svg .st-resume .st-shape{fill:#0891b2}
#spacetime-svg .st-fault .st-shape{fill:#f59e0b;stroke:#92400e;stroke-width:1}
#spacetime-svg .st-rule{stroke:#d97706;stroke-width:1;stroke-dasharray:3 3;opacity:.6}
#spacetime-svg .st-fault-text{fill:#92400e;font-weight:600}
#spacetime-svg .st-note{fill:#0ea5e9;stroke:#075985;stroke-width:.8}
#spacetime-svg .st-now{stroke:#d97706;stroke-width:1.6}
#spacetime-svg .st-write rect{fill:#fef3c7;stroke:#92400e;stroke-width:1;stroke-dasharray:4 2}
#spacetime-svg .st-write text{fill:#92400e;font-size:12px}
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::AppState;
    use caucus_protocols::{build, builtin};
    use caucus_sim::MS;

    /// A built-in scenario run until `until`, and the snapshot the app would take of it.
    fn scenario_at(name: &str, until: Micros) -> (AppState, Snapshot) {
        let state = AppState::from_query("", false);
        let mut run = build(&builtin(name).expect("built in")).expect("valid");
        run.run_until(until).expect("runs");
        *state.run.borrow_mut() = run;
        let snapshot = state.snapshot();
        (state, snapshot)
    }

    #[test]
    fn a_flooded_network_draws_no_more_than_the_budget() {
        // A heartbeat every 8 µs (the fastest the in-flight limit accepts on three regions) fills
        // the network with tens of thousands of messages; every one in flight used to be drawn,
        // 200,000 SVG elements after a few seconds of play.
        let flood = r#"{"version":1,"name":"flood","protocol":{"name":"heartbeat","params":{"interval_us":8,"timeout_us":500000}},"topology":{"preset":"three-regions"},"until_us":1000000}"#;
        let state = AppState::from_query("", false);
        let mut run = build(&caucus_sim::Scenario::from_json(flood).unwrap()).unwrap();
        let _ = run.run_until(300 * MS); // Past the longest link: the network is full.
        assert!(run.in_flight_count() > 20_000, "{} in flight", run.in_flight_count());
        *state.run.borrow_mut() = run;
        let s = state.snapshot();
        assert_eq!(s.msgs.len(), crate::state::SNAPSHOT_MSGS);
        assert!(s.msgs.windows(2).all(|w| w[0].id < w[1].id), "the oldest, by id");
        let now = state.run.borrow().now();
        let all = ViewWindow { span_us: 300 * MS, follow: false, start: 0 };
        let (_, d) = drawing(&state, &s, all, now);
        assert!(d.msgs_capped && d.msgs.len() <= MAX_DRAWN_MSGS, "{} lines drawn", d.msgs.len());
    }

    fn drawing(state: &AppState, s: &Snapshot, view: ViewWindow, view_time: Micros) -> (Frame, Drawing) {
        let f = Frame::new(view.bounds(view_time), 1000.0);
        let run = state.run.borrow();
        let d = draw(run.as_ref(), &f, &Lanes::of(&s.topology, 1000.0), s, view_time, MAX_DRAWN_STEPS);
        (f, d)
    }

    #[test]
    fn a_partition_shows_as_a_fault_mark_and_crossed_out_messages() {
        let (state, s) = scenario_at("heartbeat-partition", 3 * SEC);
        let view = ViewWindow { span_us: SEC, follow: false, start: 1_500_000 };
        let (f, d) = drawing(&state, &s, view, state.run.borrow().now());
        let run = state.run.borrow();
        assert!(d.marks.iter().all(|m| (f.t0..=f.t1).contains(&run.trace_step(m.index).time)));
        let fault = d.marks.iter().find(|m| m.kind == StepKind::Input).expect("the partition at 2 s");
        assert!(fault.label.contains("partition"), "{}", fault.label);
        assert!(fault.rule_to.is_some() && fault.text.is_some());
        let dropped: Vec<_> = d.msgs.iter().filter(|m| m.look == Look::Dropped).collect();
        assert!(!dropped.is_empty() && dropped.iter().all(|m| m.cross && !m.arrow));
        assert!(dropped.iter().any(|m| m.title.contains("partition")), "{}", dropped[0].title);
        assert!(d.msgs.iter().any(|m| m.look == Look::Delivered && m.arrow));
        assert_eq!(d.stride, 1);
        assert!(d.marks.iter().all(|m| m.phase == Phase::Past), "all of it is before the cursor");
        assert_eq!(d.marks.iter().filter(|m| m.focusable).count(), MAX_FOCUSABLE.min(d.marks.len()));
    }

    #[test]
    fn after_stepping_back_the_recorded_future_is_faded_and_the_current_step_ringed() {
        let (state, _) = scenario_at("heartbeat", 2 * SEC);
        let back = state.run.borrow().head() / 2;
        state.run.borrow_mut().seek(back);
        let s = state.snapshot();
        let now = state.run.borrow().now();
        let (_, d) = drawing(&state, &s, ViewWindow::default(), now);
        let current: Vec<_> = d.marks.iter().filter(|m| m.phase == Phase::Current).collect();
        assert_eq!(current.len(), 1);
        assert_eq!(current[0].index as u64, back - 1);
        assert!(d.marks.iter().any(|m| m.phase == Phase::Future), "the window reaches past now");
        assert!(d.marks.iter().all(|m| (m.phase == Phase::Future) == (m.index as u64 >= back)));
        assert!(d.msgs.iter().any(|m| m.look == Look::InFlight));
        assert!(d.msgs.iter().any(|m| m.look == Look::Future));
        // The focusable marks surround the current one.
        let focusable: Vec<_> = d.marks.iter().filter(|m| m.focusable).map(|m| m.index as u64).collect();
        assert!(focusable.first() < Some(&(back - 1)) && focusable.last() > Some(&(back - 1)));
    }

    #[test]
    fn a_dense_window_is_sampled_and_the_work_stays_bounded() {
        let (state, s) = scenario_at("heartbeat", 300 * SEC);
        let head = state.run.borrow().head();
        assert!(head > 100_000, "{head} steps");
        let all = ViewWindow { span_us: 300 * SEC, follow: false, start: 0 };
        let started = std::time::Instant::now();
        let (_, d) = drawing(&state, &s, all, state.run.borrow().now());
        let took = started.elapsed();
        assert!(d.stride > 1 && d.in_window as u64 > 100_000);
        assert!(d.marks.len() <= MAX_DRAWN_STEPS + 1);
        assert!(d.msgs.len() <= MAX_DRAWN_MSGS + 64, "{}", d.msgs.len());
        assert!(status_text(&d, &Frame::new(all.bounds(state.run.borrow().now()), 1000.0), state.run.borrow().now())
            .contains("zoom in"));
        // Moving the window a little keeps the same steps drawn (sampling is by step index).
        let moved = ViewWindow { start: SEC, ..all };
        let (_, e) = drawing(&state, &s, moved, state.run.borrow().now());
        let kept = e.marks.iter().filter(|m| d.marks.iter().any(|n| n.index == m.index && n.x == m.x)).count();
        assert!(kept * 10 > e.marks.len() * 9, "{kept} of {}", e.marks.len());
        eprintln!("drew {} marks and {} messages of {} steps in {took:?}", d.marks.len(), d.msgs.len(), d.in_window);
    }

    #[test]
    fn following_keeps_now_near_the_right_edge_and_starts_at_zero() {
        let v = ViewWindow::default();
        assert_eq!(v.bounds(0), (0, SEC));
        assert_eq!(v.bounds(10 * SEC), (10 * SEC + SEC / 20 - SEC, 10 * SEC + SEC / 20));
    }

    #[test]
    fn the_origin_moves_rarely_so_marks_keep_their_coordinates() {
        let a = Frame::new((5 * SEC, 6 * SEC), 1000.0);
        let b = Frame::new((5 * SEC + 3_000, 6 * SEC + 3_000), 1000.0);
        assert_eq!(a.x(5_500_000), b.x(5_500_000));
        assert!((a.screen_x(5_500_000) - b.screen_x(5_500_000) - 3_000.0 * a.ppu).abs() < 1e-9);
    }

    #[test]
    fn lines_are_cut_at_the_edge_along_their_slope() {
        assert_eq!(cut_to(-100.0, 0.0, 100.0, 10.0, -50.0, 50.0), (-50.0, 2.5));
        assert_eq!(cut_to(10.0, 3.0, 100.0, 10.0, -50.0, 50.0), (10.0, 3.0));
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(nice_step(130_000.0), 200_000);
        assert_eq!(nice_step(0.3), 1);
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(shorten("partition us-east-1 | eu-west-1", 10), "partition…");
    }
}
