//! The ring pack's panels: the simulated store (members, keys held, requests with their latency,
//! join/leave and get/put forms) and the ring explorer, which places up to 10,000 keys on 64
//! nodes × 256 virtual nodes with the same `HashRing` the protocol uses and draws it on a canvas.
//! Compiled only into the ring pack.
//!
//! The explorer draws in two layers: a cached canvas with the ownership arcs, the tokens and every
//! key that is not moving (redrawn only when the ring changes, rasterized into a pixel buffer in
//! Rust and put on the canvas in one call), and per animation frame that layer copied plus the
//! keys that move. That keeps a 64 × 256 × 10,000 ring at 60 frames a second.

use crate::components::{dc_label, grouped, node_chip, node_colour, node_rgb, Part};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::ring::{key_position, Assignment, HashRing, Load, Movement, Placement, Ring};
use caucus_sim::{decimal, Input, NodeId, Run, Status};
use gloo_render::{request_animation_frame, AnimationFrame};
use serde_json::json;
use std::collections::BTreeSet;
use std::f64::consts::PI;
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, HtmlInputElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct RingProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below).
    pub part: Part,
}

#[function_component(RingPanel)]
pub fn ring_panel(p: &RingProps) -> Html {
    let run = p.run.0.borrow();
    let Some(r) = run.as_any().downcast_ref::<Run<Ring>>() else {
        return html! {};
    };
    // The ring is the figure; the store (members, requests) comes below it.
    match p.part {
        Part::Figure => html! { <div class="figure"><Explorer store={store_ring(r)} /></div> },
        Part::Rest => store_panel(r, &p.dispatch),
    }
}

// ---- the simulated store --------------------------------------------------------------------

fn store_panel(r: &Run<Ring>, dispatch: &Callback<Action>) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let params = sim.params();
    let n = t.nodes.len() as NodeId;
    // The membership as the lowest running node sees it.
    let view = (0..n).find_map(|i| sim.state(i));
    let rows = (0..n).map(|i| {
        let node = &t.nodes[i as usize];
        let dc = &t.datacenters[node.dc as usize].name;
        let state = sim.state(i);
        // Before any node has started, the membership is the scenario's initial one.
        let member = match view {
            Some(v) => v.members[i as usize].joined,
            None => params.initial_members.is_empty() || params.initial_members.contains(&i),
        };
        let (keys, hints) = state.map_or((String::from("—"), 0), |s| {
            (s.store.len().to_string(), s.store.values().filter(|v| v.hint_for.is_some()).count())
        });
        let status = sim.status(i);
        let word = match (status, member) {
            (Status::Crashed, _) => "crashed",
            (Status::Booting, _) => "starting",
            (_, true) => "member",
            (_, false) => "outside",
        };
        let request = if member { "leave" } else { "join" };
        let label = format!("{} {request}s the ring", node.name);
        let onclick = dispatch.reform(move |_| Action::Apply(Input::Request { node: i, request: json!(request) }));
        html! {
            <tr class={classes!(word)}>
                <th scope="row">{ node_chip(i, &node.name, None) }</th>
                <td>{ dc_label(node.dc, dc) }</td>
                <td>{ word }</td>
                <td>{ keys }{ if hints > 0 { format!(" ({hints} as fallback)") } else { String::new() } }</td>
                <td><button aria-label={label} disabled={matches!(status, Status::Crashed | Status::Booting)} onclick={onclick}>{ request }</button></td>
            </tr>
        }
    });
    // The latest requests anywhere, newest first.
    let done: Vec<(NodeId, &caucus_protocols::ring::Done)> = (0..n)
        .filter_map(|i| sim.state(i).map(|s| (i, s)))
        .flat_map(|(i, s)| s.done.iter().map(move |d| (i, d)))
        .collect();
    // Newest first; sorted as (u64, u16) pairs like the ring's tokens, which shares their sort code.
    let mut newest: Vec<(u64, u16)> =
        done.iter().enumerate().map(|(k, (_, d))| (u64::MAX - (d.started + d.latency_us), k as u16)).collect();
    newest.sort_unstable();
    let requests = newest.iter().take(10).map(|&(_, k)| &done[k as usize]).map(|(i, d)| {
        let mark = if !d.ok {
            "✗ failed"
        } else if d.sloppy {
            "✓ sloppy"
        } else {
            "✓"
        };
        html! {
            <tr class={classes!((!d.ok).then_some("failed"), d.sloppy.then_some("sloppy"))}>
                <td>{ node_chip(*i, &t.nodes[*i as usize].name, None) }</td>
                <td>{ &d.text }</td>
                <td class="num">{ format!("{} ms", decimal(d.latency_us as f64 / 1000.0, 1)) }</td>
                <td>{ mark }</td>
            </tr>
        }
    });
    let quorums = format!(
        "{} virtual nodes per node · {} replicas{} · read quorum {} · write quorum {} · {} quorums · {}",
        params.vnodes,
        params.replicas,
        if params.datacenter_aware { " in distinct datacenters" } else { "" },
        params.read_quorum,
        params.write_quorum,
        if params.sloppy { "sloppy" } else { "strict" },
        match params.placement {
            Placement::Ring => "ring placement",
            Placement::ModN => "hash % N placement",
        }
    );
    html! {
        <section class="panel ring-store" aria-label="The replicated store">
            <h2>{ "The store" }<span class="sub">{ quorums }</span></h2>
            <div class="ring-store-grid">
                <div class="table-scroll">
                <table class="state-table" data-row="members">
                    <caption>{ "Members, as the first running node sees them" }</caption>
                    <thead><tr><th scope="col">{"node"}</th><th scope="col">{"datacenter"}</th><th scope="col">{"ring"}</th><th scope="col">{"keys held"}</th><th scope="col">{"membership"}</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
                </div>
                <div class="table-scroll">
                    <RequestForm nodes={t.nodes.iter().map(|n| n.name.clone()).collect::<Vec<_>>()} dispatch={dispatch.clone()} />
                    <table class="state-table requests" data-row="requests">
                        <caption>{ "Latest requests: the latency is the price of distance to the quorum" }</caption>
                        <thead><tr><th scope="col">{"coordinator"}</th><th scope="col">{"request"}</th><th scope="col">{"latency"}</th><th scope="col">{"outcome"}</th></tr></thead>
                        <tbody>{ for requests }</tbody>
                    </table>
                </div>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct RequestFormProps {
    nodes: Vec<String>,
    dispatch: Callback<Action>,
}

/// A get or put to a chosen coordinator.
#[function_component(RequestForm)]
fn request_form(p: &RequestFormProps) -> Html {
    let node = use_state(|| 0u16);
    let key = use_state(|| String::from("user:42"));
    let value = use_state(|| String::from("x"));
    let send = |put: bool| {
        let (node, key, value, dispatch) = (*node, (*key).clone(), (*value).clone(), p.dispatch.clone());
        Callback::from(move |_: MouseEvent| {
            let bad = |s: &str| s.is_empty() || s.len() > caucus_protocols::ring::MAX_KEY_BYTES;
            if bad(&key) || (put && bad(&value)) {
                dispatch.emit(Action::SetBanner(Banner::error("Keys and values are 1 to 64 bytes.")));
                return;
            }
            let request =
                if put { json!({ "put": { "key": key, "value": value } }) } else { json!({ "get": { "key": key } }) };
            dispatch.emit(Action::Apply(Input::Request { node, request }));
        })
    };
    let on_node = {
        let node = node.clone();
        Callback::from(move |e: Event| {
            if let Some(v) = e.target_dyn_into::<web_sys::HtmlSelectElement>().and_then(|s| s.value().parse().ok()) {
                node.set(v);
            }
        })
    };
    let text = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(i) = e.target_dyn_into::<HtmlInputElement>() {
                state.set(i.value());
            }
        })
    };
    html! {
        <div class="request-form" role="group" aria-label="Send a request">
            <label>{ "coordinator " }
                <select aria-label="Coordinator node" onchange={on_node}>
                    { for p.nodes.iter().enumerate().map(|(i, n)| html! { <option value={i.to_string()} selected={i == *node as usize}>{ n }</option> }) }
                </select>
            </label>
            <label>{ "key " }<input type="text" aria-label="Key" maxlength="64" value={(*key).clone()} oninput={text(&key)} /></label>
            <label>{ "value " }<input type="text" aria-label="Value" maxlength="64" value={(*value).clone()} oninput={text(&value)} /></label>
            <button onclick={send(true)}>{ "Put" }</button>
            <button onclick={send(false)}>{ "Get" }</button>
        </div>
    }
}

// ---- the explorer ---------------------------------------------------------------------------

/// The simulated store's ring as the explorer follows it: what the lowest running node believes.
#[derive(Clone, PartialEq)]
pub struct StoreRing {
    /// Members with their datacenter.
    members: Vec<(NodeId, u16)>,
    /// Crashed members, drawn as failed.
    failed: BTreeSet<NodeId>,
    vnodes: u32,
    replicas: usize,
    dc_aware: bool,
    /// Every node's datacenter, by node id, and the datacenters' names.
    dcs: Vec<u16>,
    dc_names: Vec<String>,
}

fn store_ring(r: &Run<Ring>) -> StoreRing {
    let sim = r.sim();
    let (t, params) = (sim.topology(), sim.params());
    let n = t.nodes.len() as NodeId;
    let view = (0..n).find_map(|i| sim.state(i));
    let member = |i: NodeId| match view {
        Some(v) => v.members.get(i as usize).is_some_and(|m| m.joined),
        None => params.initial_members.is_empty() || params.initial_members.contains(&i),
    };
    let dcs: Vec<u16> = t.nodes.iter().map(|node| node.dc).collect();
    StoreRing {
        members: (0..n).filter(|&i| member(i)).map(|i| (i, dcs[i as usize])).collect(),
        failed: (0..n).filter(|&i| member(i) && sim.status(i) == Status::Crashed).collect(),
        vnodes: params.vnodes,
        replicas: params.replicas as usize,
        dc_aware: params.datacenter_aware,
        dcs,
        dc_names: t.datacenters.iter().map(|d| d.name.clone()).collect(),
    }
}

#[derive(Properties, PartialEq)]
pub struct ExplorerProps {
    /// The simulated store's ring, to follow; `None` leaves the explorer a ring of its own.
    pub store: Option<StoreRing>,
}

const DC_NAMES: [&str; 3] = ["us-east-1", "eu-west-1", "ap-southeast-1"];
/// Datacenters are told apart by shape as well as by name, the glyphs of `dc_glyph`: circle,
/// square, triangle, upside-down triangle (a fifth datacenter and up reuse these on the canvas).
const DC_SHAPES: usize = 4;
const MAX_EXPLORER_NODES: u16 = 64;
/// The explorer's own ring when it does not follow the store.
const OWN_NODES: u16 = 12;
const OWN_VNODES: u32 = 8;
const ANIMATION_MS: f64 = 1200.0;
/// The canvas's size in CSS pixels.
const SIZE: f64 = 460.0;
const R_TOKENS: f64 = 178.0;
/// Each datacenter's tokens sit on their own track, this much further out.
const TRACK: f64 = 6.0;
const R_ARCS: f64 = 166.0;
const R_KEYS: f64 = 142.0;
const KEY_BAND: f64 = 34.0;
/// Node names go outside the tokens, centred on this radius.
const R_LABELS: f64 = 212.0;

/// A node's datacenter in the explorer's own ring: nI is in datacenter I mod 3.
fn dc_of(n: NodeId) -> u16 {
    n % 3
}

/// A ring member's datacenter, as the ring records it.
fn dc_in(ring: &HashRing, n: NodeId) -> u16 {
    ring.dc_of(n).unwrap_or_else(|| dc_of(n))
}

fn angle(pos: u64) -> f64 {
    pos as f64 / 18_446_744_073_709_551_616.0 * 2.0 * PI - PI / 2.0
}

/// A key's radius: spread over a band so that 10,000 points do not sit on one line.
fn key_radius(pos: u64) -> f64 {
    R_KEYS - (pos & 0xffff) as f64 / 65_536.0 * KEY_BAND
}

fn pct(ppm: u64) -> String {
    format!("{}%", decimal(ppm as f64 / 10_000.0, 1))
}

/// What the last membership change did.
struct Change {
    text: String,
    movement: Movement,
    /// Keys whose primary moved, with their owner before.
    moving: Vec<(usize, NodeId)>,
    mod_n_moving: Vec<(usize, NodeId)>,
    /// The ideal fraction of keys to move, in ppm (1/N of the larger membership).
    ideal_ppm: u64,
}

pub struct Explorer {
    /// Showing the simulated store's ring, moving with it.
    follow: bool,
    /// Datacenters by node id and their names, from the store's topology once followed.
    dcs: Vec<u16>,
    dc_names: Vec<String>,
    vnodes: u32,
    key_count: usize,
    replicas: usize,
    dc_aware: bool,
    show_mod_n: bool,
    members: BTreeSet<NodeId>,
    failed: BTreeSet<NodeId>,
    selected: NodeId,
    ring: HashRing,
    keys: Vec<u64>,
    /// Key indices sorted by position (for hover and arrow keys).
    order: Vec<usize>,
    assignment: Assignment,
    mod_n: Assignment,
    change: Option<Change>,
    /// Animation progress 0..=1; 1 when still.
    progress: f64,
    started: Option<f64>,
    frame: Option<AnimationFrame>,
    reduced_motion: bool,
    focus: Option<Focus>,
    lookup: String,
    canvas: NodeRef,
    canvas_mod: NodeRef,
    layer: Option<HtmlCanvasElement>,
    layer_mod: Option<HtmlCanvasElement>,
    dirty: bool,
}

/// The key hovered, focused by arrow keys, or looked up by name.
#[derive(Clone, PartialEq)]
struct Focus {
    name: String,
    pos: u64,
    index: Option<usize>,
}

pub enum Msg {
    Nodes(u16),
    Vnodes(u32),
    Keys(usize),
    Replicas(usize),
    DcAware(bool),
    ModN(bool),
    Select(NodeId),
    Add,
    Remove,
    Fail,
    Recover,
    Scale,
    Frame(f64),
    Hover(f64, f64),
    Step(i32),
    Lookup(String),
    Follow(bool),
}

impl Explorer {
    fn rebuild(&mut self) {
        self.ring = HashRing::with_members(self.vnodes, self.members.iter().map(|&n| (n, self.dc(n))));
        if self.keys.len() != self.key_count {
            self.keys = (0..self.key_count).map(|i| key_position(&format!("key{i}"))).collect();
            // Sorted as (position, index) pairs like the ring's tokens, which shares their sort code.
            let mut pairs: Vec<(u64, u16)> = self.keys.iter().enumerate().map(|(i, &p)| (p, i as u16)).collect();
            pairs.sort_unstable();
            self.order = pairs.into_iter().map(|(_, i)| i as usize).collect();
        }
        self.place();
        self.change = None;
        self.progress = 1.0;
        self.dirty = true;
    }

    fn dc(&self, n: NodeId) -> u16 {
        self.dcs.get(n as usize).copied().unwrap_or_else(|| dc_of(n))
    }

    fn dc_name(&self, n: NodeId) -> String {
        let dc = self.dc(n) as usize;
        self.dc_names.get(dc).cloned().unwrap_or_else(|| DC_NAMES[dc % DC_NAMES.len()].to_string())
    }

    /// Takes the store's ring: rebuilt at once when its shape differs (or `animate` is off), or
    /// as a membership change, animated like a manual one, when only members or crashes differ.
    /// Returns whether anything changed.
    fn follow_store(&mut self, s: &StoreRing, animate: bool) -> bool {
        if s.members.is_empty() {
            return false;
        }
        let members: BTreeSet<NodeId> = s.members.iter().map(|m| m.0).collect();
        let failed: BTreeSet<NodeId> = s.failed.intersection(&members).copied().collect();
        let same_shape = self.vnodes == s.vnodes
            && self.replicas == s.replicas
            && self.dc_aware == s.dc_aware
            && self.dcs == s.dcs
            && self.keys.len() == self.key_count;
        if animate && same_shape {
            if members == self.members && failed == self.failed {
                return false;
            }
            let mut what: Vec<String> = Vec::new();
            // The same words as a manual change, marked as the store's.
            what.extend(members.difference(&self.members).map(|n| format!("n{n} joined (in the simulated store)")));
            what.extend(self.members.difference(&members).map(|n| format!("n{n} left (in the simulated store)")));
            what.extend(failed.difference(&self.failed).map(|n| {
                format!("n{n} failed (crashed in the simulated store; its tokens stay, the next nodes serve its keys)")
            }));
            what.extend(
                self.failed
                    .difference(&failed)
                    .filter(|n| members.contains(n))
                    .map(|n| format!("n{n} recovered (restarted in the simulated store)")),
            );
            let text = what.join(", ");
            self.change(text, |e| {
                e.ring = HashRing::with_members(e.vnodes, s.members.iter().copied());
                e.members = members;
                e.failed = failed;
                if !e.members.contains(&e.selected) {
                    e.selected = *e.members.iter().next().expect("a member remains");
                }
            });
        } else {
            self.vnodes = s.vnodes;
            self.replicas = s.replicas;
            self.dc_aware = s.dc_aware;
            self.dcs = s.dcs.clone();
            self.dc_names = s.dc_names.clone();
            self.members = members;
            self.failed = failed;
            if !self.members.contains(&self.selected) {
                self.selected = *self.members.iter().next().expect("a member remains");
            }
            self.rebuild();
        }
        true
    }

    /// Back to the explorer's own datacenters: nI in datacenter I mod 3.
    fn own_datacenters(&mut self) {
        self.dcs.clear();
        self.dc_names.clear();
    }

    /// A manual change: the explorer stops following the store.
    fn unfollow(&mut self) {
        self.follow = false;
    }

    fn place(&mut self) {
        self.assignment =
            Assignment::place(&self.ring, &self.keys, self.replicas, self.dc_aware, &self.failed, Placement::Ring);
        self.mod_n = Assignment::place(&self.ring, &self.keys, 1, false, &self.failed, Placement::ModN);
    }

    fn live(&self) -> Vec<NodeId> {
        self.members.iter().copied().filter(|n| !self.failed.contains(n)).collect()
    }

    /// Applies a membership change and starts animating the keys that moved.
    fn change(&mut self, text: String, apply: impl FnOnce(&mut Self)) {
        let (before, before_mod) = (self.assignment.clone(), self.mod_n.clone());
        let live_before = self.live().len();
        apply(self);
        self.place();
        let movement = Movement::between(&before, &self.assignment);
        let moved = |a: &Assignment, b: &Assignment| -> Vec<(usize, NodeId)> {
            (0..a.keys()).filter(|&i| a.primary(i) != b.primary(i)).map(|i| (i, a.primary(i).unwrap_or(0))).collect()
        };
        let moving = moved(&before, &self.assignment);
        let mod_n_moving = moved(&before_mod, &self.mod_n);
        let larger = live_before.max(self.live().len()).max(1) as u64;
        self.change = Some(Change { text, movement, moving, mod_n_moving, ideal_ppm: 1_000_000 / larger });
        self.dirty = true;
        self.progress = if self.reduced_motion { 1.0 } else { 0.0 };
        self.started = None;
    }

    fn focus_index(&mut self, index: usize) {
        let name = format!("key{index}");
        self.focus = Some(Focus { pos: self.keys[index], name, index: Some(index) });
    }

    fn draw(&mut self) {
        let live: BTreeSet<NodeId> = self.live().into_iter().collect();
        let empty = Vec::new();
        let (moving, mod_moving) = match &self.change {
            Some(c) => (&c.moving, &c.mod_n_moving),
            None => (&empty, &empty),
        };
        if self.dirty {
            // Labels are at least 12 CSS pixels at the size the canvas is shown (it shrinks on a
            // phone or in an embed).
            let shown = self.canvas.cast::<HtmlCanvasElement>().map_or(0, |c| c.client_width());
            let text_scale = if shown > 0 { crate::components::clamp(SIZE / shown as f64, 1.0, 2.0) } else { 1.0 };
            self.layer = layer(
                self.layer.take(),
                Some(&self.ring),
                &self.failed,
                &self.keys,
                &self.assignment,
                moving,
                text_scale,
            );
            self.layer_mod = if self.show_mod_n {
                layer(self.layer_mod.take(), None, &self.failed, &self.keys, &self.mod_n, mod_moving, 1.0)
            } else {
                None
            };
            self.dirty = false;
        }
        let focus = self.focus.as_ref().map(|f| {
            let list = self.ring.preference_list(f.pos, self.replicas, self.dc_aware, &self.failed);
            (f.pos, list)
        });
        frame(
            &self.canvas,
            self.layer.as_ref(),
            &self.keys,
            &self.assignment,
            moving,
            self.progress,
            Some(&self.ring),
            focus.as_ref(),
        );
        if self.show_mod_n {
            let focus_mod = self.focus.as_ref().map(|f| {
                let live: Vec<NodeId> = live.iter().copied().collect();
                (f.pos, caucus_protocols::ring::mod_n_list(f.pos, &live, 1))
            });
            frame(
                &self.canvas_mod,
                self.layer_mod.as_ref(),
                &self.keys,
                &self.mod_n,
                mod_moving,
                self.progress,
                None,
                focus_mod.as_ref(),
            );
        }
    }

    fn schedule(&mut self, ctx: &Context<Self>) {
        let link = ctx.link().clone();
        self.frame = Some(request_animation_frame(move |t| link.send_message(Msg::Frame(t))));
    }
}

impl Component for Explorer {
    type Message = Msg;
    type Properties = ExplorerProps;

    fn create(ctx: &Context<Self>) -> Self {
        let mut e = Explorer {
            follow: ctx.props().store.is_some(),
            dcs: Vec::new(),
            dc_names: Vec::new(),
            vnodes: OWN_VNODES,
            key_count: 1000,
            replicas: 3,
            dc_aware: true,
            show_mod_n: true,
            members: (0..OWN_NODES).collect(),
            failed: BTreeSet::new(),
            selected: 0,
            ring: HashRing::default(),
            keys: Vec::new(),
            order: Vec::new(),
            assignment: Assignment::default(),
            mod_n: Assignment::default(),
            change: None,
            progress: 1.0,
            started: None,
            frame: None,
            reduced_motion: crate::browser::prefers_reduced_motion(),
            focus: None,
            lookup: String::new(),
            canvas: NodeRef::default(),
            canvas_mod: NodeRef::default(),
            layer: None,
            layer_mod: None,
            dirty: true,
        };
        e.rebuild();
        if let Some(s) = ctx.props().store.as_ref().filter(|_| e.follow) {
            e.follow_store(s, false);
        }
        e
    }

    fn changed(&mut self, ctx: &Context<Self>, _old: &ExplorerProps) -> bool {
        // Only a change of the followed ring re-renders: most steps of the run leave it alone.
        match ctx.props().store.as_ref() {
            Some(s) if self.follow => self.follow_store(s, true),
            _ => false,
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Nodes(n) => {
                self.unfollow();
                let n = n.clamp(1, MAX_EXPLORER_NODES);
                self.own_datacenters();
                self.members = (0..n).collect();
                self.failed.clear();
                self.selected = self.selected.min(n - 1);
                self.rebuild();
            }
            Msg::Vnodes(v) => {
                self.unfollow();
                self.vnodes = v.clamp(1, caucus_protocols::ring::MAX_VNODES);
                self.rebuild();
            }
            Msg::Keys(k) => {
                self.unfollow();
                self.key_count = k.clamp(1, 10_000);
                self.focus = None;
                self.rebuild();
            }
            Msg::Replicas(r) => {
                self.unfollow();
                self.replicas = r.clamp(1, 5);
                self.rebuild();
            }
            Msg::DcAware(on) => {
                self.unfollow();
                self.dc_aware = on;
                self.rebuild();
            }
            Msg::ModN(on) => {
                self.show_mod_n = on;
                self.dirty = true;
            }
            Msg::Select(n) => self.selected = n,
            Msg::Add => {
                let Some(n) = (0..MAX_EXPLORER_NODES).find(|n| !self.members.contains(n)) else {
                    return false;
                };
                self.unfollow();
                self.change(format!("n{n} joined"), |e| {
                    e.members.insert(n);
                    e.ring.add(n, e.dc(n));
                    e.selected = n;
                });
            }
            Msg::Remove => {
                let n = self.selected;
                if self.members.len() <= 1 || !self.members.contains(&n) {
                    return false;
                }
                self.unfollow();
                self.change(format!("n{n} left"), |e| {
                    e.members.remove(&n);
                    e.failed.remove(&n);
                    e.ring.remove(n);
                    e.selected = *e.members.iter().next().expect("a member remains");
                });
            }
            Msg::Fail => {
                let n = self.selected;
                if self.live().len() <= 1 || self.failed.contains(&n) {
                    return false;
                }
                self.unfollow();
                self.change(format!("n{n} failed (its tokens stay; the next nodes serve its keys)"), |e| {
                    e.failed.insert(n);
                });
            }
            Msg::Recover => {
                let n = self.selected;
                if !self.failed.contains(&n) {
                    return false;
                }
                self.unfollow();
                self.change(format!("n{n} recovered"), |e| {
                    e.failed.remove(&n);
                });
            }
            Msg::Scale => {
                self.unfollow();
                self.own_datacenters();
                self.members = (0..MAX_EXPLORER_NODES).collect();
                self.failed.clear();
                self.vnodes = 256;
                self.key_count = 10_000;
                self.rebuild();
            }
            Msg::Frame(t) => {
                let start = *self.started.get_or_insert(t);
                self.progress = crate::components::clamp((t - start) / ANIMATION_MS, 0.0, 1.0);
                self.draw();
                if self.progress < 1.0 {
                    self.schedule(ctx);
                } else {
                    self.frame = None;
                }
                return false;
            }
            Msg::Hover(x, y) => {
                let (dx, dy) = (x - SIZE / 2.0, y - SIZE / 2.0);
                let r = (dx * dx + dy * dy).sqrt();
                if !(R_KEYS - KEY_BAND - 10.0..=R_TOKENS + 3.0 * TRACK + 10.0).contains(&r) || self.order.is_empty() {
                    return false;
                }
                let mut a = dy.atan2(dx) + PI / 2.0;
                if a < 0.0 {
                    a += 2.0 * PI;
                }
                let pos = (a / (2.0 * PI) * 18_446_744_073_709_551_616.0) as u64;
                let at = self.order.partition_point(|&i| self.keys[i] < pos);
                let near = |k: usize| self.keys[self.order[k % self.order.len()]].abs_diff(pos);
                let best = if near(at) <= near(at + self.order.len() - 1) { at } else { at + self.order.len() - 1 };
                let index = self.order[best % self.order.len()];
                if self.focus.as_ref().and_then(|f| f.index) == Some(index) {
                    return false;
                }
                self.focus_index(index);
            }
            Msg::Step(by) => {
                if self.order.is_empty() {
                    return false;
                }
                let len = self.order.len() as i64;
                let here = self
                    .focus
                    .as_ref()
                    .and_then(|f| f.index)
                    .and_then(|i| self.order.iter().position(|&k| k == i))
                    .map_or(if by > 0 { -1 } else { 0 }, |p| p as i64);
                let next = (here + by as i64).rem_euclid(len) as usize;
                self.focus_index(self.order[next]);
            }
            Msg::Follow(on) => {
                self.follow = on;
                match ctx.props().store.as_ref() {
                    Some(s) if on => {
                        self.follow_store(s, false);
                    }
                    // Unticked: a ring of its own again, as the explorer starts without a store.
                    _ => {
                        self.own_datacenters();
                        (self.vnodes, self.replicas, self.dc_aware) = (OWN_VNODES, 3, true);
                        self.members = (0..OWN_NODES).collect();
                        self.failed.clear();
                        self.selected = 0;
                        self.rebuild();
                    }
                }
            }
            Msg::Lookup(text) => {
                self.lookup = text.clone();
                self.focus = if text.is_empty() {
                    None
                } else {
                    let index =
                        text.strip_prefix("key").and_then(|n| n.parse::<usize>().ok()).filter(|&i| i < self.keys.len());
                    Some(Focus { pos: key_position(&text), name: text, index })
                };
            }
        }
        true
    }

    fn rendered(&mut self, ctx: &Context<Self>, _first: bool) {
        if self.progress < 1.0 && self.frame.is_none() {
            self.schedule(ctx);
        }
        self.draw();
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let live = self.live();
        let number = |f: fn(f64) -> Msg| {
            link.batch_callback(move |e: InputEvent| {
                e.target_dyn_into::<HtmlInputElement>().map(|i| f(i.value_as_number()))
            })
        };
        let nodes = number(|v| Msg::Nodes(v as u16));
        let vnodes = number(|v| Msg::Vnodes(v as u32));
        let keys = number(|v| Msg::Keys(v as usize));
        let replicas = number(|v| Msg::Replicas(v as usize));
        let dc =
            link.batch_callback(|e: Event| e.target_dyn_into::<HtmlInputElement>().map(|i| Msg::DcAware(i.checked())));
        let modn =
            link.batch_callback(|e: Event| e.target_dyn_into::<HtmlInputElement>().map(|i| Msg::ModN(i.checked())));
        let select = link.batch_callback(|e: Event| {
            e.target_dyn_into::<web_sys::HtmlSelectElement>().and_then(|s| s.value().parse().ok()).map(Msg::Select)
        });
        // The canvas may be drawn smaller than SIZE on a narrow screen: scale the pointer back.
        let hover = link.callback(|e: MouseEvent| {
            let shown = e.target_dyn_into::<HtmlCanvasElement>().map_or(SIZE, |c| c.client_width() as f64);
            let scale = if shown > 0.0 { SIZE / shown } else { 1.0 };
            Msg::Hover(e.offset_x() as f64 * scale, e.offset_y() as f64 * scale)
        });
        // Arrows on the ring step through keys; they must not also step the simulation.
        let keydown = link.batch_callback(|e: KeyboardEvent| {
            let by = match e.key().as_str() {
                "ArrowRight" | "ArrowDown" => 1,
                "ArrowLeft" | "ArrowUp" => -1,
                _ => return None,
            };
            e.prevent_default();
            e.stop_propagation();
            Some(Msg::Step(by))
        });
        let lookup = link
            .batch_callback(|e: InputEvent| e.target_dyn_into::<HtmlInputElement>().map(|i| Msg::Lookup(i.value())));
        let follow =
            link.batch_callback(|e: Event| e.target_dyn_into::<HtmlInputElement>().map(|i| Msg::Follow(i.checked())));
        let legend = (0..self.dc_names.len().max(DC_NAMES.len()))
            .map(|d| {
                let name = self.dc_names.get(d).map_or(DC_NAMES[d % DC_NAMES.len()], String::as_str);
                dc_label(d as u16, name)
            })
            .collect::<Vec<_>>()
            .join(", ");
        let hint = if self.follow {
            format!("The store's ring above: its members (crashed ones as failed), virtual nodes and replicas, placing keys key0, key1, … with the same code. When the run's membership changes the keys that move are animated; changing anything here stops following. Datacenters: {legend}.")
        } else if self.dcs.is_empty() {
            format!("A ring of its own, apart from the simulation above, placing keys key0, key1, … with the same code. Node nI is in datacenter I mod 3: {legend}.")
        } else {
            format!("A ring of its own, started from the store's, placing keys key0, key1, … with the same code. Datacenters as in the store: {legend}.")
        };
        let selected_failed = self.failed.contains(&self.selected);
        let full = self.members.len() >= MAX_EXPLORER_NODES as usize;

        let load = self.assignment.load(live.iter().copied());
        let summary = self.change.as_ref().map(|c| {
            let keys = c.movement.keys.max(1);
            let ring_ppm = c.movement.primary_ppm();
            let mod_ppm = (c.mod_n_moving.len() as u64 * 1_000_000) / keys as u64;
            html! {
                <p class="moved" role="status" data-row="moved">
                    <strong>{ &c.text }{ ": " }</strong>
                    { format!("the ring moved {} of {} keys ({}), the ideal is about K/N = {}; ",
                        grouped(c.movement.primary_moved), grouped(keys), pct(ring_ppm), pct(c.ideal_ppm)) }
                    { format!("{} keys need a new replica copy. ", grouped(c.movement.replicas_moved)) }
                    <span class="modn">{ format!("hash % N would move {} ({}).", grouped(c.mod_n_moving.len()), pct(mod_ppm)) }</span>
                </p>
            }
        });
        let focus_text = self.focus.as_ref().map(|f| {
            let list = self.ring.preference_list(f.pos, self.replicas, self.dc_aware, &self.failed);
            let describe =
                |n: &NodeId| format!("n{n} {}", dc_label(self.dc(*n), &self.dc_name(*n)));
            let owners: Vec<String> = list.iter().map(describe).collect();
            let mod_owner = caucus_protocols::ring::mod_n_list(f.pos, &live, 1);
            format!(
                "{} is at position 0x{:016x} (the first 8 bytes of its SHA-1). Owner {}; replicas {}. Under hash % {} it would be on {}.",
                f.name,
                f.pos,
                owners.first().cloned().unwrap_or_else(|| "none".into()),
                if owners.len() > 1 { owners[1..].join(", ") } else { "none".into() },
                live.len(),
                mod_owner.first().map_or("none".into(), |n| format!("n{n}")),
            )
        });
        let options = self.members.iter().map(|&n| {
            let failed = if self.failed.contains(&n) { " (failed)" } else { "" };
            html! { <option value={n.to_string()} selected={n == self.selected}>{ format!("n{n} {}{failed}", dc_label(self.dc(n), &self.dc_name(n))) }</option> }
        });
        html! {
            <section class="panel ring-explorer" aria-label="Ring explorer">
                <h2>{ "The ring" }<span class="sub">{ format!("{} nodes ({} live) × {} virtual nodes · {} keys · R = {}",
                    self.members.len(), live.len(), self.vnodes, grouped(self.keys.len()), self.replicas) }</span></h2>
                <p class="hint">{ hint }</p>
                <div class="ring-main">
                <div class={classes!("ring-figures", self.show_mod_n.then_some("two"))} data-figure="ring">
                    <figure data-row="ring">
                        <canvas ref={self.canvas.clone()} class="ring-canvas" tabindex="0" role="img"
                            aria-label="The hash ring: tokens around the outside coloured by node and shaped by datacenter, ownership arcs, keys as points inside. Hover, or focus and use the arrow keys, to inspect a key."
                            onmousemove={hover} onkeydown={keydown} />
                        <figcaption>{ "Consistent hashing: keys that changed owner are drawn larger" }</figcaption>
                    </figure>
                    if self.show_mod_n {
                        <figure data-row="mod-n">
                            <canvas ref={self.canvas_mod.clone()} class="ring-canvas" role="img"
                                aria-label="The same keys placed with hash modulo N; keys that changed owner are drawn larger." />
                            <figcaption>{ format!("hash % {}: keys that changed owner are drawn larger", live.len()) }</figcaption>
                        </figure>
                    }
                </div>
                <div class="ring-side">
                { for summary }
                <label class="lookup">{ "Look up a key " }
                    <input type="text" placeholder="user:42" value={self.lookup.clone()} aria-label="Look up a key by name" oninput={lookup} /></label>
                <p class="focus" aria-live="polite">{ focus_text.unwrap_or_else(|| "Hover over the ring, focus it and press the arrow keys, or type a key to see its owner and replicas.".into()) }</p>
                if ctx.props().store.is_some() {
                    <label class="follow"><input type="checkbox" checked={self.follow} onchange={follow} />{ " Follow the store: the simulated ring as its first running node sees it (untick for a ring of your own)" }</label>
                }
                <details class="explore">
                <summary>{ format!("Shape the ring: {} nodes, {} virtual nodes, {} keys, R = {}", self.members.len(), self.vnodes, grouped(self.keys.len()), self.replicas) }</summary>
                <div class="ring-controls">
                    <label>{ format!("nodes {}", self.members.len()) }
                        <input type="range" min="1" max="64" value={self.members.len().to_string()} aria-label="Number of nodes" oninput={nodes} /></label>
                    <label>{ format!("virtual nodes {}", self.vnodes) }
                        <input type="range" min="1" max="256" value={self.vnodes.to_string()} aria-label="Virtual nodes per node" oninput={vnodes} /></label>
                    <label>{ format!("keys {}", grouped(self.keys.len())) }
                        <input type="range" min="100" max="10000" step="100" value={self.keys.len().to_string()} aria-label="Number of keys" oninput={keys} /></label>
                    <label>{ format!("replicas {}", self.replicas) }
                        <input type="range" min="1" max="5" value={self.replicas.to_string()} aria-label="Replicas per key" oninput={replicas} /></label>
                    <label><input type="checkbox" checked={self.dc_aware} onchange={dc} />{ " replicas in distinct datacenters" }</label>
                    <label><input type="checkbox" checked={self.show_mod_n} onchange={modn} />{ " show hash % N beside" }</label>
                    <button onclick={link.callback(|_| Msg::Scale)} aria-label="Scale: 64 nodes, 256 virtual nodes, 10,000 keys">{ "64 × 256 × 10,000" }</button>
                </div>
                </details>
                <div class="ring-controls membership" role="group" aria-label="Membership">
                    <button onclick={link.callback(|_| Msg::Add)} disabled={full}>{ "Add a node" }</button>
                    <label>{ "node " }<select aria-label="Node to remove, fail or recover" onchange={select}>{ for options }</select></label>
                    <button onclick={link.callback(|_| Msg::Remove)} disabled={self.members.len() <= 1}>{ "Remove" }</button>
                    if selected_failed {
                        <button onclick={link.callback(|_| Msg::Recover)}>{ "Recover" }</button>
                    } else {
                        <button onclick={link.callback(|_| Msg::Fail)} disabled={live.len() <= 1}>{ "Fail" }</button>
                    }
                </div>
                </div>
                </div>
                { load_chart(&load) }
                <details class="how">
                    <summary>{ "How it works" }</summary>
                    <p>{ "Positions are the first 8 bytes of a SHA-1 digest read as a big-endian number, on a ring of 2⁶⁴ points drawn clockwise from the top. A key's position hashes the key's own bytes: " }
                        <code>{ "printf 'user:42' | sha1sum" }</code>{ " prints adf14d23d3caa129…, so user:42 sits at 0xadf14d23d3caa129. Node n3's virtual node 17 hashes the text " }
                        <code>{ "n3#17" }</code>{ " (a12485832f960b3c…). A key belongs to the first token at or after it, wrapping at the top; its replicas are the next distinct nodes clockwise, first one per datacenter when that box is ticked." }</p>
                    <p>{ "Shapes and tracks tell datacenters apart: ● the first datacenter on the inner track, ■ the second in the middle, ▲ the third outside (in the explorer's own ring ● us-east-1 holds n0, n3, …, ■ eu-west-1 n1, n4, …, ▲ ap-southeast-1 n2, n5, …; following the store, its topology decides); colours tell nodes apart. A failed node keeps its tokens (grey); its keys are served by the next nodes until it recovers. Removing a node takes its tokens away." }</p>
                </details>
            </section>
        }
    }
}

fn load_chart(load: &Load) -> Html {
    use std::fmt::Write as _;
    let n = load.per_node.len().max(1);
    let top = load.max.max(1) as f64;
    // Integers where a number is written: formatting a float would bring the float machinery.
    let (w, h) = (640.0, 120.0);
    let bw = w / n as f64;
    let mean_y = decimal(h - load.mean / top * (h - 10.0), 1);
    // Markup text rather than `html!`: a static chart, and text costs the page less.
    let mut o = format!(
        r#"<svg viewBox="0 0 640 137" role="img" aria-label="Keys per node: max {}, mean {}, standard deviation {}">"#,
        load.max,
        decimal(load.mean, 1),
        decimal(load.std_dev, 1)
    );
    for (i, &(node, count)) in load.per_node.iter().enumerate() {
        let bh = count as f64 / top * (h - 10.0);
        let _ = write!(
            o,
            r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>n{node}: {count} keys</title></rect>"#,
            decimal(i as f64 * bw, 1),
            decimal(h - bh, 1),
            decimal((bw - 1.0).max(0.5), 1),
            decimal(bh, 1),
            node_colour(node)
        );
    }
    // Few bars: name each node under its bar.
    if n <= 24 {
        for (i, &(node, _)) in load.per_node.iter().enumerate() {
            let _ = write!(
                o,
                r#"<text x="{}" y="133" text-anchor="middle">n{node}</text>"#,
                decimal((i as f64 + 0.5) * bw, 1)
            );
        }
    }
    let _ = write!(o, r#"<line class="mean" x1="0" x2="640" y1="{mean_y}" y2="{mean_y}"/></svg>"#);
    html! {
        <figure class="load-chart" data-row="load">
            { Html::from_html_unchecked(AttrValue::from(o)) }
            <figcaption>{ format!("Keys per node (primary): max {} · mean {} · max/mean {} · standard deviation {} · min {}. The dashed line is the mean.",
                load.max, decimal(load.mean, 1), decimal(load.max_over_mean(), 2), decimal(load.std_dev, 1), load.min) }</figcaption>
        </figure>
    }
}

// ---- canvas drawing -------------------------------------------------------------------------

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into::<CanvasRenderingContext2d>().ok()
}

fn pixel_ratio() -> f64 {
    crate::components::clamp(web_sys::window().map_or(1.0, |w| w.device_pixel_ratio()), 1.0, 2.0)
}

/// Sizes a canvas for the screen and returns its context, scaled to CSS pixels.
fn prepare(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    let ratio = pixel_ratio();
    let px = (SIZE * ratio) as u32;
    if canvas.width() != px {
        canvas.set_width(px);
        canvas.set_height(px);
    }
    let ctx = context(canvas)?;
    let _ = ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, SIZE, SIZE);
    Some(ctx)
}

/// The cached layer: arcs, tokens and every key that is not moving, rasterized in a pixel buffer
/// here and put on the canvas in one call (some 16,000 tokens and 10,000 keys as separate canvas
/// paths took 30 ms and more; this takes a few).
fn layer(
    reuse: Option<HtmlCanvasElement>,
    ring: Option<&HashRing>,
    failed: &BTreeSet<NodeId>,
    keys: &[u64],
    assignment: &Assignment,
    moving: &[(usize, NodeId)],
    text_scale: f64,
) -> Option<HtmlCanvasElement> {
    let canvas = match reuse {
        Some(canvas) => canvas,
        None => web_sys::window()?.document()?.create_element("canvas").ok()?.dyn_into::<HtmlCanvasElement>().ok()?,
    };
    let ctx = prepare(&canvas)?;
    let ratio = pixel_ratio();
    let mut px = Pixels::new(canvas.width() as usize, ratio);
    let colour_of = |node: NodeId| if failed.contains(&node) { GREY } else { node_rgb(node) };
    match ring {
        Some(ring) if !ring.tokens().is_empty() => {
            let tokens = ring.tokens();
            // Ownership arcs: the band is cut into slices a device pixel wide, each coloured by
            // the owners of its stretch of the ring in proportion (the arc before each token
            // belongs to it), as a canvas would anti-alias hundreds of arcs under a pixel.
            let slices = arc_slices(tokens, (2.0 * PI * R_ARCS * ratio).ceil() as usize, colour_of);
            px.annulus(R_ARCS, 5.0, |turn| slices[(turn * slices.len() as f64) as usize % slices.len()]);
            // Tokens, shaped by datacenter on a track of their datacenter's, in ring order so
            // that where thousands overlap no node covers the rest.
            let s = if tokens.len() <= 64 {
                5.0
            } else if tokens.len() <= 2048 {
                3.5
            } else {
                2.2
            };
            // Thousands of tokens overlap: of those whose centres fall in the same device pixel
            // along their track only the last in ring order shows, so only it is drawn.
            let mut last: [Option<(u64, usize)>; 3] = [None; 3];
            let mut visible: Vec<(u64, NodeId)> = Vec::with_capacity(tokens.len());
            for &(pos, node) in tokens {
                let track = dc_in(ring, node) as usize % 3;
                let around = 2.0 * PI * (R_TOKENS + TRACK * track as f64) * ratio;
                let bucket = (pos as f64 / 18_446_744_073_709_551_616.0 * around) as u64;
                match last[track] {
                    Some((b, at)) if b == bucket => visible[at] = (pos, node),
                    _ => {
                        last[track] = Some((bucket, visible.len()));
                        visible.push((pos, node));
                    }
                }
            }
            for (pos, node) in visible {
                let dc = dc_in(ring, node);
                let (a, r) = (angle(pos), R_TOKENS + TRACK * (dc % 3) as f64);
                px.shape(dc % DC_SHAPES as u16, SIZE / 2.0 + r * a.cos(), SIZE / 2.0 + r * a.sin(), s, colour_of(node));
            }
        }
        _ => px.annulus(R_ARCS, 0.5, |_| [0xcb, 0xd5, 0xe1]),
    }
    // Keys, in key order, each a small square in its owner's colour.
    let mut is_moving = vec![false; keys.len()];
    for &(i, _) in moving {
        is_moving[i] = true;
    }
    let k = if keys.len() > 3000 { 1.6 } else { 2.4 };
    for (i, &pos) in keys.iter().enumerate() {
        let Some(owner) = assignment.primary(i).filter(|_| !is_moving[i]) else { continue };
        let (a, r) = (angle(pos), key_radius(pos));
        px.square(SIZE / 2.0 + r * a.cos(), SIZE / 2.0 + r * a.sin(), k / 2.0, node_rgb(owner));
    }
    let image =
        web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&px.data), px.w as u32, px.w as u32).ok()?;
    ctx.put_image_data(&image, 0.0, 0.0).ok()?;
    if let Some(ring) = ring.filter(|r| !r.tokens().is_empty()) {
        labels(&ctx, ring.tokens(), failed, text_scale);
    }
    Some(canvas)
}

/// The stretches of the ring each owned by one node: `(node, start, end)` in turns from the top
/// (`end` may pass 1 where a stretch wraps), consecutive tokens of one node merged.
fn owned_arcs(tokens: &[(u64, NodeId)]) -> Vec<(NodeId, f64, f64)> {
    const FULL: f64 = 18_446_744_073_709_551_616.0;
    let turn = |p: u64| p as f64 / FULL;
    let n = tokens.len();
    if n == 0 {
        return Vec::new();
    }
    // Start at a token whose owner differs from the one before it, so no stretch is cut in two.
    let Some(start) = (0..n).find(|&i| tokens[i].1 != tokens[(i + n - 1) % n].1) else {
        return vec![(tokens[0].1, 0.0, 1.0)];
    };
    let mut arcs: Vec<(NodeId, f64, f64)> = Vec::new();
    for k in 0..n {
        let i = (start + k) % n;
        let prev = tokens[(i + n - 1) % n].0;
        let (node, pos) = (tokens[i].1, tokens[i].0);
        let (mut from, mut to) = (turn(prev), turn(pos));
        if to < from {
            to += 1.0;
        }
        match arcs.last_mut() {
            Some(last) if last.0 == node => {
                if to < last.2 {
                    to += 1.0;
                }
                last.2 = to;
            }
            _ => {
                if let Some(last) = arcs.last() {
                    while from < last.2 - 1e-12 {
                        from += 1.0;
                        to += 1.0;
                    }
                }
                arcs.push((node, from, to));
            }
        }
    }
    arcs
}

/// Node names round the ring, never overlapping: first each node's longest stretch, then other
/// long stretches, each skipped when it would touch a name already placed. Hover or focus names
/// any key's owner in the text under the ring.
fn labels(ctx: &CanvasRenderingContext2d, tokens: &[(u64, NodeId)], failed: &BTreeSet<NodeId>, scale: f64) {
    let font = 12.0 * scale;
    ctx.set_font(&format!("600 {}px system-ui, sans-serif", decimal(font, 1)));
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    let mut arcs = owned_arcs(tokens);
    arcs.sort_by(|a, b| (b.2 - b.1).total_cmp(&(a.2 - a.1)));
    let c = SIZE / 2.0;
    let mut placed: Vec<(f64, f64, f64, f64)> = Vec::new();
    // Places a name on stretch `i` unless it would touch one already placed.
    let place = |i: usize, placed: &mut Vec<(f64, f64, f64, f64)>| -> bool {
        let (node, from, to) = arcs[i];
        let text = format!("n{node}");
        // Digits and "n" at weight 600 are about 0.62 em wide.
        let w = 0.62 * font * text.chars().count() as f64 + 4.0;
        let h = font + 2.0;
        let a = (from + to) / 2.0 * 2.0 * PI - PI / 2.0;
        let x = crate::components::clamp(c + R_LABELS * a.cos(), w / 2.0 + 1.0, SIZE - w / 2.0 - 1.0);
        let y = crate::components::clamp(c + R_LABELS * a.sin(), h / 2.0 + 1.0, SIZE - h / 2.0 - 1.0);
        let bx = (x - w / 2.0, y - h / 2.0, x + w / 2.0, y + h / 2.0);
        if placed.iter().any(|p| bx.0 < p.2 && p.0 < bx.2 && bx.1 < p.3 && p.1 < bx.3) {
            return false;
        }
        placed.push(bx);
        ctx.set_line_width(3.0);
        ctx.set_stroke_style_str("#ffffff");
        let _ = ctx.stroke_text(&text, x, y);
        ctx.set_fill_style_str(if failed.contains(&node) { "#475569" } else { "#0f172a" });
        let _ = ctx.fill_text(&text, x, y);
        true
    };
    // First one name per node, on its longest stretch that has room (nodes with the longest
    // stretches first), then more names on stretches long enough to hold one.
    let mut named: Vec<NodeId> = Vec::new();
    let mut used = vec![false; arcs.len()];
    for i in 0..arcs.len() {
        let node = arcs[i].0;
        if named.contains(&node) {
            continue;
        }
        named.push(node);
        if let Some(j) = (i..arcs.len()).filter(|&j| arcs[j].0 == node).find(|&j| place(j, &mut placed)) {
            used[j] = true;
        }
    }
    let min_turn = 4.0 * font / (2.0 * PI * R_LABELS);
    for i in 0..arcs.len() {
        if !used[i] && arcs[i].2 - arcs[i].1 >= min_turn {
            place(i, &mut placed);
        }
    }
    ctx.set_text_align("start");
    ctx.set_text_baseline("alphabetic");
}

/// The colour of each of `n` equal slices of the ring: its owners' colours mixed in proportion
/// to how much of the slice each owns.
fn arc_slices(tokens: &[(u64, NodeId)], n: usize, colour_of: impl Fn(NodeId) -> [u8; 3]) -> Vec<[u8; 3]> {
    const FULL: f64 = 18_446_744_073_709_551_616.0;
    let width = FULL / n as f64;
    let mut mix = vec![[0.0f64; 3]; n];
    let mut add = |from: f64, to: f64, rgb: [u8; 3]| {
        let first = ((from / width) as usize).min(n - 1);
        let last = ((to / width) as usize).min(n - 1);
        for (slice, m) in mix.iter_mut().enumerate().take(last + 1).skip(first) {
            let share = (to.min((slice + 1) as f64 * width) - from.max(slice as f64 * width)).max(0.0) / width;
            for (v, c) in m.iter_mut().zip(rgb) {
                *v += c as f64 * share;
            }
        }
    };
    for (i, &(pos, node)) in tokens.iter().enumerate() {
        let rgb = colour_of(node);
        if i == 0 {
            // The first token also owns the stretch from the last token round past the top.
            add(tokens[tokens.len() - 1].0 as f64, FULL, rgb);
            add(0.0, pos as f64, rgb);
        } else {
            add(tokens[i - 1].0 as f64, pos as f64, rgb);
        }
    }
    mix.into_iter().map(|m| m.map(|v| crate::components::clamp(v.round(), 0.0, 255.0) as u8)).collect()
}

const GREY: [u8; 3] = [0x94, 0xa3, 0xb8];

/// An opaque white RGBA buffer the size of the canvas, drawn on in CSS pixels with coverage
/// (anti-aliased edges) and painted over in drawing order.
struct Pixels {
    w: usize,
    ratio: f64,
    data: Vec<u8>,
}

impl Pixels {
    fn new(w: usize, ratio: f64) -> Pixels {
        Pixels { w, ratio, data: vec![255; w * w * 4] }
    }

    fn blend(&mut self, x: usize, y: usize, rgb: [u8; 3], alpha: f64) {
        if alpha <= 0.0 || x >= self.w || y >= self.w {
            return;
        }
        let at = (y * self.w + x) * 4;
        let a = (alpha.min(1.0) * 256.0) as u32;
        for (d, s) in self.data[at..at + 3].iter_mut().zip(rgb) {
            *d = ((*d as u32 * (256 - a) + s as u32 * a + 128) >> 8) as u8;
        }
    }

    /// Device pixels of the box centred at (x, y) CSS pixels with half-size `h`, clipped.
    fn area(&self, x: f64, y: f64, h: f64) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let clip = |v: f64| crate::components::clamp(v * self.ratio, 0.0, self.w as f64) as usize;
        let pad = 1.0 / self.ratio;
        (clip(x - h - pad)..clip(x + h + pad) + 1, clip(y - h - pad)..clip(y + h + pad) + 1)
    }

    /// A square of half-size `h` centred at (x, y): coverage is the exact overlap with each pixel.
    fn square(&mut self, x: f64, y: f64, h: f64, rgb: [u8; 3]) {
        let r = self.ratio;
        let (x0, x1, y0, y1) = ((x - h) * r, (x + h) * r, (y - h) * r, (y + h) * r);
        let (xs, ys) = self.area(x, y, h);
        for py in ys {
            let cy = (y1.min(py as f64 + 1.0) - y0.max(py as f64)).max(0.0);
            if cy == 0.0 {
                continue;
            }
            for px in xs.clone() {
                let cx = (x1.min(px as f64 + 1.0) - x0.max(px as f64)).max(0.0);
                self.blend(px, py, rgb, cx * cy);
            }
        }
    }

    /// A datacenter's mark: circle, square, triangle or upside-down triangle of size `s`
    /// centred at (x, y).
    fn shape(&mut self, dc: u16, x: f64, y: f64, s: f64, rgb: [u8; 3]) {
        if dc == 1 {
            return self.square(x, y, s, rgb);
        }
        let r = self.ratio;
        let (cx, cy, s) = (x * r, y * r, s * r);
        // The triangle's edges as unit normals pointing inwards with offsets: a pixel's signed
        // distance to an edge is nx * x + ny * y + d, positive inside.
        let corners = if dc == 3 {
            [(cx, cy + s * 1.2), (cx - s * 1.1, cy - s * 0.9), (cx + s * 1.1, cy - s * 0.9)]
        } else {
            [(cx, cy - s * 1.2), (cx + s * 1.1, cy + s * 0.9), (cx - s * 1.1, cy + s * 0.9)]
        };
        let edges: [(f64, f64, f64); 3] = std::array::from_fn(|i| {
            let ((ax, ay), (bx, by)) = (corners[i], corners[(i + 1) % 3]);
            let (ex, ey) = (bx - ax, by - ay);
            let len = (ex * ex + ey * ey).sqrt();
            let (nx, ny) = (-ey / len, ex / len);
            (nx, ny, -(nx * ax + ny * ay))
        });
        let (xs, ys) = self.area(x, y, s / r * 1.2);
        for py in ys {
            for px in xs.clone() {
                let (qx, qy) = (px as f64 + 0.5, py as f64 + 0.5);
                let inside = if dc == 0 {
                    s - ((qx - cx).powi(2) + (qy - cy).powi(2)).sqrt()
                } else {
                    edges.iter().map(|&(nx, ny, d)| nx * qx + ny * qy + d).fold(f64::MAX, f64::min)
                };
                self.blend(px, py, rgb, crate::components::clamp(inside + 0.5, 0.0, 1.0));
            }
        }
    }

    /// A band `half` CSS pixels either side of the circle of radius `radius` round the centre,
    /// each pixel coloured by `colour` of its angle in turns (0 at the top, clockwise, below 1).
    fn annulus(&mut self, radius: f64, half: f64, colour: impl Fn(f64) -> [u8; 3]) {
        let (c, r) = (SIZE / 2.0 * self.ratio, radius * self.ratio);
        let h = half * self.ratio;
        let (xs, ys) = self.area(SIZE / 2.0, SIZE / 2.0, radius + half);
        let (outer, inner) = (r + h + 1.0, (r - h - 1.0).max(0.0));
        let span = |dy: f64, radius: f64| (radius * radius - dy * dy).max(0.0).sqrt();
        for py in ys {
            let dy = py as f64 + 0.5 - c;
            if dy.abs() > outer {
                continue;
            }
            // Only the pixels between the band's outer and inner edges on this row.
            let (o, i) = (span(dy, outer), span(dy, inner));
            let clip = |v: f64| (v.max(0.0) as usize).clamp(xs.start, xs.end);
            let left = clip(c - o - 1.0)..clip(c - i + 1.0);
            let right = clip(c + i - 1.0).max(left.end)..clip(c + o + 1.0);
            for px in left.chain(right) {
                let dx = px as f64 + 0.5 - c;
                let cover = crate::components::clamp(h + 0.5 - ((dx * dx + dy * dy).sqrt() - r).abs(), 0.0, 1.0);
                if cover <= 0.0 {
                    continue;
                }
                let mut a = dy.atan2(dx) + PI / 2.0;
                if a < 0.0 {
                    a += 2.0 * PI;
                }
                self.blend(px, py, colour(a / (2.0 * PI)), cover);
            }
        }
    }
}

/// One frame: the cached layer, then the moving keys (hopping outwards while they change colour)
/// and the focused key with lines to its replicas' tokens.
#[allow(clippy::too_many_arguments)]
fn frame(
    canvas: &NodeRef,
    layer: Option<&HtmlCanvasElement>,
    keys: &[u64],
    assignment: &Assignment,
    moving: &[(usize, NodeId)],
    progress: f64,
    ring: Option<&HashRing>,
    focus: Option<&(u64, Vec<NodeId>)>,
) {
    let Some(canvas) = canvas.cast::<HtmlCanvasElement>() else { return };
    let Some(ctx) = prepare(&canvas) else { return };
    if let Some(layer) = layer {
        let _ = ctx.draw_image_with_html_canvas_element_and_dw_and_dh(layer, 0.0, 0.0, SIZE, SIZE);
    }
    let c = SIZE / 2.0;
    let hop = (progress * PI).sin() * 26.0;
    let k = if moving.len() > 2000 { 2.2 } else { 3.6 };
    let mut by_colour: Vec<(NodeId, Vec<usize>)> = Vec::new();
    for &(i, before) in moving {
        let now = assignment.primary(i).unwrap_or(before);
        let colour = if progress < 0.5 { before } else { now };
        match by_colour.iter_mut().find(|(c, _)| *c == colour) {
            Some((_, list)) => list.push(i),
            None => by_colour.push((colour, vec![i])),
        }
    }
    ctx.set_line_width(1.0);
    ctx.set_stroke_style_str("#0f172a");
    for (colour, list) in by_colour {
        ctx.begin_path();
        for i in list {
            let (a, r) = (angle(keys[i]), key_radius(keys[i]) + hop);
            ctx.rect(c + r * a.cos() - k / 2.0, c + r * a.sin() - k / 2.0, k, k);
        }
        ctx.set_fill_style_str(node_colour(colour));
        ctx.fill();
        if moving.len() <= 2000 {
            ctx.stroke();
        }
    }
    if let Some((pos, owners)) = focus {
        let a = angle(*pos);
        let (x, y) = (c + R_KEYS * a.cos(), c + R_KEYS * a.sin());
        ctx.set_line_width(2.0);
        ctx.set_stroke_style_str("#0f172a");
        ctx.begin_path();
        let _ = ctx.arc(x, y, 6.0, 0.0, 2.0 * PI);
        ctx.stroke();
        // A line to each replica's first token clockwise from the key (the primary's solid).
        if let Some(ring) = ring {
            let tokens = ring.tokens();
            let start = tokens.partition_point(|t| t.0 < *pos);
            for (rank, owner) in owners.iter().enumerate() {
                let Some(t) = (0..tokens.len()).map(|j| tokens[(start + j) % tokens.len()]).find(|t| t.1 == *owner)
                else {
                    continue;
                };
                let b = angle(t.0);
                let rt = R_TOKENS + TRACK * (dc_in(ring, *owner) % 3) as f64;
                let (tx, ty) = (c + rt * b.cos(), c + rt * b.sin());
                ctx.set_line_width(if rank == 0 { 2.5 } else { 1.2 });
                ctx.begin_path();
                ctx.move_to(x, y);
                ctx.line_to(tx, ty);
                ctx.stroke();
                ctx.begin_path();
                let _ = ctx.arc(tx, ty, 7.0, 0.0, 2.0 * PI);
                ctx.stroke();
            }
        } else if let Some(owner) = owners.first() {
            ctx.set_font("bold 12px system-ui, sans-serif");
            ctx.set_fill_style_str("#0f172a");
            let _ = ctx.fill_text(&format!("n{owner}"), x + 8.0, y - 8.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::owned_arcs;

    const TURN: f64 = 18_446_744_073_709_551_616.0;

    fn at(f: f64) -> u64 {
        (f * TURN) as u64
    }

    #[test]
    fn consecutive_tokens_of_one_node_make_one_stretch() {
        // n1 owns (0.1, 0.2] and (0.2, 0.3], n2 (0.3, 0.6], n1 again (0.6, 1.1] across the top.
        let tokens = [(at(0.1), 1), (at(0.2), 1), (at(0.3), 1), (at(0.6), 2)];
        let arcs = owned_arcs(&tokens);
        assert_eq!(arcs.len(), 2, "{arcs:?}");
        let total: f64 = arcs.iter().map(|a| a.2 - a.1).sum();
        assert!((total - 1.0).abs() < 1e-9, "the stretches cover the ring once: {arcs:?}");
        let n1 = arcs.iter().find(|a| a.0 == 1).map(|a| a.2 - a.1).unwrap_or(0.0);
        assert!((n1 - 0.7).abs() < 1e-9, "n1 owns 0.7 of the ring: {arcs:?}");
    }

    #[test]
    fn one_node_owns_the_whole_ring() {
        assert_eq!(owned_arcs(&[(at(0.5), 3), (at(0.7), 3)]), vec![(3, 0.0, 1.0)]);
    }
}
