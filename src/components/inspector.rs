//! The inspector: the selected node's state and the faults that apply to it, or the selected
//! message and what can be done to it (drop, duplicate, deliver next).

use crate::components::state_view::{state_view, Names};
use crate::components::{dc_label, fmt_time, node_chip};
use crate::state::{Action, RunRef, Snapshot};
use caucus_sim::{Input, MsgId, NodeId, Status};
use std::rc::Rc;
use web_sys::{HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct InspectorProps {
    pub snapshot: Rc<Snapshot>,
    pub run: RunRef,
    pub selected_node: Option<NodeId>,
    pub selected_msg: Option<MsgId>,
    pub dispatch: Callback<Action>,
}

const PAUSES_MS: &[u64] = &[200, 500, 1000, 1500, 3000, 10000];
const SKEWS_MS: &[i64] = &[-2000, -500, 500, 2000, 10000];

#[function_component(Inspector)]
pub fn inspector(p: &InspectorProps) -> Html {
    let pause_ms = use_state(|| 1500u64);
    let request = use_state(|| String::from(r#""announce""#));
    let s = &p.snapshot;
    let d = &p.dispatch;

    let msg_section = p.selected_msg.and_then(|id| s.msgs.iter().find(|m| m.id == id)).map(|m| {
        let id = m.id;
        let t = &s.topology;
        html! {
            <div class="msg-inspector">
                <h3>{ format!("Message #{} · {}", m.id, m.label) }</h3>
                <p>{ node_chip(m.source, &t.nodes[m.source as usize].name, None) }{ " → " }{ node_chip(m.target, &t.nodes[m.target as usize].name, None) }
                    { format!(", sent {}, arrives {}", fmt_time(m.sent_at), fmt_time(m.deliver_at)) }</p>
                <pre class="json">{ p.run.0.borrow().msg_detail(id).unwrap_or_default() }</pre>
                <div class="row">
                    <button onclick={d.reform(move |_| Action::Apply(Input::Drop { msg: id }))}>{"Drop"}</button>
                    <button onclick={d.reform(move |_| Action::Apply(Input::Duplicate { msg: id }))}>{"Duplicate"}</button>
                    <button onclick={d.reform(move |_| Action::Apply(Input::DeliverNext { msg: id }))}>{"Deliver next"}</button>
                    <button aria-label="Close message inspector" onclick={d.reform(|_| Action::SelectMsg(None))}>{"✕"}</button>
                </div>
            </div>
        }
    });
    let gone = p.selected_msg.is_some() && msg_section.is_none();

    let node_section = match p.selected_node.and_then(|id| s.nodes.get(id as usize)) {
        None => {
            html! { <p class="hint">{"Click or focus a node on the map (Tab, then Enter) to see its state and apply faults. Click a message dot to drop, duplicate or deliver it next."}</p> }
        }
        Some(n) => {
            let id = n.id;
            let json = p.run.0.borrow().node_state_json(id);
            let up = matches!(n.status, Status::Up | Status::Paused);
            let on_pause_choice = {
                let pause_ms = pause_ms.clone();
                Callback::from(move |e: Event| {
                    let sel: HtmlSelectElement = e.target_unchecked_into();
                    pause_ms.set(sel.value().parse().unwrap_or(1500));
                })
            };
            let pause = {
                let ms = *pause_ms;
                d.reform(move |_| Action::Apply(Input::Pause { node: id, duration_us: ms * 1000 }))
            };
            let send_request = {
                let request = request.clone();
                d.reform(move |_| match serde_json::from_str(&request) {
                    Ok(value) => Action::Apply(Input::Request { node: id, request: value }),
                    Err(e) => Action::SetBanner(crate::state::Banner::error(format!("The request is not JSON: {e}"))),
                })
            };
            let on_request_text = {
                let request = request.clone();
                Callback::from(move |e: InputEvent| {
                    let t: HtmlTextAreaElement = e.target_unchecked_into();
                    request.set(t.value());
                })
            };
            html! {
                <div class="node-inspector">
                    <h3>{ node_chip(n.id, &n.name, Some((n.dc, &s.topology.datacenters[n.dc as usize].name))) }</h3>
                    <p class="headline">{ headline(n, &s.topology.datacenters[n.dc as usize].name) }</p>
                    { disk_line(n, &s.topology) }
                    <div class="row">
                        if n.status == Status::Booting {
                            <span class="hint">{"Starting: faults apply once it has started."}</span>
                        } else if up {
                            <button onclick={d.reform(move |_| Action::Apply(Input::Crash { node: id }))}>{"Crash"}</button>
                        } else {
                            <button onclick={d.reform(move |_| Action::Apply(Input::Restart { node: id }))}>{"Restart"}</button>
                        }
                        <label class="inline">
                            <span class="visually-hidden">{"Pause duration"}</span>
                            <select aria-label="Pause duration" onchange={on_pause_choice}>
                                { for PAUSES_MS.iter().map(|ms| html! { <option value={ms.to_string()} selected={*ms == *pause_ms}>{ format!("{ms} ms") }</option> }) }
                            </select>
                        </label>
                        <button disabled={!up} onclick={pause}>{"Pause"}</button>
                    </div>
                    <div class="row" role="group" aria-label="Clock">
                        <span class="label">{"Clock:"}</span>
                        { for SKEWS_MS.iter().map(|ms| {
                            let by = ms * 1000;
                            html! { <button aria-label={format!("Jump {}'s clock {ms:+} ms", n.name)} onclick={d.reform(move |_| Action::Apply(Input::Skew { node: id, by_us: by }))}>{ format!("{ms:+} ms") }</button> }
                        }) }
                        <button aria-label={format!("Make {}'s clock run 20% fast", n.name)} onclick={d.reform(move |_| Action::Apply(Input::Drift { node: id, ppm: 200_000 }))}>{"fast 20%"}</button>
                        <button aria-label={format!("Stop {}'s clock drift", n.name)} onclick={d.reform(move |_| Action::Apply(Input::Drift { node: id, ppm: 0 }))}>{"no drift"}</button>
                    </div>
                    <details>
                        <summary>{"Send a client request"}</summary>
                        <textarea aria-label="Request JSON" rows="2" value={(*request).clone()} oninput={on_request_text} />
                        <button onclick={send_request}>{"Send request"}</button>
                    </details>
                    <h4 class="state-head">{ format!("What {} holds", n.name) }</h4>
                    { state_view(&Names::new(&s.topology), &json) }
                    <details>
                        <summary>{"Raw state (JSON)"}</summary>
                        <pre class="json" tabindex="0" aria-label={format!("State of {} as JSON", n.name)}>{ json }</pre>
                    </details>
                </div>
            }
        }
    };
    html! {
        <section class="panel inspector" aria-label="Inspector">
            <h2>{"Inspector"}</h2>
            { for msg_section }
            if gone { <p class="hint">{"The selected message has arrived or was dropped."}</p> }
            { node_section }
        </section>
    }
}

/// Its disk, when writes take time there, and the write it is doing now.
fn disk_line(n: &caucus_sim::run::NodeView, t: &caucus_sim::Topology) -> Html {
    let disk = t.storage_of(n.dc);
    if !caucus_sim::sim::HARDWARE || disk.is_zero() {
        return html! {};
    }
    let mut text =
        format!("Disk: a durable write takes {} to {}.", fmt_time(disk.us), fmt_time(disk.us + disk.jitter_us));
    if let Some(w) = n.writing {
        text += &format!(" Writing its {} until {}: what it sends meanwhile waits.", w.what, fmt_time(w.end));
    }
    html! { <p class="disk">{ text }</p> }
}

/// One sentence: who, where, in what state, with its role and badge, and its clock.
fn headline(n: &caucus_sim::run::NodeView, dc: &str) -> String {
    let status = match n.status {
        Status::Up => "up".to_string(),
        Status::Crashed => "crashed".to_string(),
        Status::Booting => "starting".to_string(),
        Status::Paused => match n.paused_until {
            Some(t) => format!("paused until {}", fmt_time(t)),
            None => "paused".to_string(),
        },
    };
    let role = match (n.status, n.role.as_str()) {
        (Status::Crashed, _) | (_, "") => String::new(),
        (_, "leader") => ", ★ the leader".to_string(),
        (_, role) => format!(", {role}"),
    };
    let badge = if n.badge.is_empty() { String::new() } else { format!(" ({})", n.badge) };
    let clock = if n.clock_offset_us != 0 || n.drift_ppm != 0 {
        format!(
            " Its clock reads {} ({:+} ms{}).",
            fmt_time(n.local_time),
            n.clock_offset_us / 1000,
            if n.drift_ppm != 0 { format!(", drift {:+} ppm", n.drift_ppm) } else { String::new() }
        )
    } else {
        format!(" Its clock reads {}, on time.", fmt_time(n.local_time))
    };
    format!("{} in {} is {status}{role}{badge}.{clock}", n.name, dc_label(n.dc, dc))
}
