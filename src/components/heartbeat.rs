//! The heartbeat family's figure (core pack only): who suspects whom. One row per node as an
//! observer, one column per node it watches; each cell says whether the observer trusts or
//! suspects that node, and whether the suspicion is right (the node is down or cut off) or a
//! false alarm (the node is up: strong accuracy broken).

use crate::components::fmt_time;
use crate::state::{Action, RunRef};
use caucus_protocols::heartbeat::Heartbeat;
use caucus_sim::{NodeId, Run, Status};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HeartbeatProps {
    pub run: RunRef,
    pub version: u64,
    pub dispatch: Callback<Action>,
}

#[function_component(HeartbeatFigure)]
pub fn heartbeat_figure(p: &HeartbeatProps) -> Html {
    let run = p.run.0.borrow();
    let Some(r) = run.as_any().downcast_ref::<Run<Heartbeat>>() else {
        return html! {};
    };
    let sim = r.sim();
    let t = sim.topology();
    let n = t.nodes.len() as NodeId;
    // A node that has not failed (up, or only paused: slow is not dead) and whose beats can reach
    // the observer: suspecting it is a false alarm.
    let alive = |i: NodeId| matches!(sim.status(i), Status::Up | Status::Paused);
    let reachable = |from: NodeId, to: NodeId| alive(to) && !sim.is_cut(to, from);
    let mut false_alarms = 0;
    let mut right = 0;
    let head = (0..n)
        .map(|j| html! { <th scope="col" title={t.nodes[j as usize].name.clone()}>{ &t.nodes[j as usize].name }</th> });
    let rows = (0..n).map(|i| {
        let name = &t.nodes[i as usize].name;
        let Some(s) = sim.state(i) else {
            return html! {
                <tr class="down">
                    <th scope="row">{ name }</th>
                    <td colspan={n.to_string()} class="hint">{ format!("{}: watches nobody", sim.status(i).word()) }</td>
                </tr>
            };
        };
        let cells = (0..n).map(|j| {
            if i == j {
                return html! { <td class="self" aria-label="itself">{"·"}</td> };
            }
            let peer = &t.nodes[j as usize].name;
            match s.suspected_since_us.get(j as usize).copied().flatten() {
                Some(since) => {
                    let wrong = reachable(i, j);
                    if wrong {
                        false_alarms += 1;
                    } else {
                        right += 1;
                    }
                    let (class, mark, why) = if wrong {
                        ("suspects wrong", "✗!", format!("{name} suspects {peer} although {peer} has not failed (up or only paused) and is reachable: a false alarm"))
                    } else {
                        ("suspects", "✗", format!("{name} suspects {peer}, rightly: {peer} is down or cut off"))
                    };
                    let title = format!("{why} (since {} by {name}'s clock)", fmt_time(since));
                    html! { <td class={class} title={title.clone()} aria-label={title}>{ mark }</td> }
                }
                None => {
                    // No time in it: a label that changes with every beat costs the browser two
                    // attribute writes per cell per frame (1,200 at 25 nodes). The inspector
                    // shows when each peer was last heard.
                    let title = format!("{name} trusts {peer}: its beats arrive within the timeout");
                    html! { <td class="trusts" title={title.clone()} aria-label={title}>{"✓"}</td> }
                }
            }
        });
        html! { <tr><th scope="row">{ name }</th>{ for cells }</tr> }
    });
    let rows: Vec<Html> = rows.collect();
    let summary = match (right, false_alarms) {
        (0, 0) => "Every running node trusts every other: all beats arrive in time.".to_string(),
        (r, 0) => format!("{r} suspicion{} and all of them right: the suspected nodes are down or cut off.", plural(r)),
        (_, f) => format!(
            "{f} false alarm{}: a node suspects a peer that has not failed, only paused or slow (marked ✗!).",
            plural(f)
        ),
    };
    html! {
        <section class="panel figure heartbeat-figure" data-figure="heartbeat" aria-label="Who suspects whom">
            <h2>{"Who suspects whom"}<span class="sub">{"rows watch columns"}</span></h2>
            <p class="figure-summary">{ summary }</p>
            <div class="table-scroll">
                <table class="suspicion" data-row="suspicion">
                    <thead><tr><th scope="col">{"watcher ↓ · watched →"}</th>{ for head }</tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            <p class="legend-line">{"✓ trusts · ✗ suspects (rightly) · ✗! suspects a node that has not failed: a false alarm · a node suspects a peer it has not heard from for longer than the timeout."}</p>
        </section>
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
