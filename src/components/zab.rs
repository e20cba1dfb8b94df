//! The election pack's Zab panel: every node's history as a grid of zxids coloured by epoch
//! (delivered, proposed, or about to be truncated because the leader does not have it), each
//! node's state, epoch and vote, the leader's view of its followers through discovery and
//! synchronization, and presenter shortcuts. Compiled only into the Zab pack (`zab/`).

use crate::components::{node_chip, partition_dc, term_colour, Part};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::zab::{self, zxid_text, Link, Phase, State, Zab, Zxid};
use caucus_sim::{Input, NodeId, Run, Status};
use yew::prelude::*;

/// Zxid columns shown; longer histories show their last ones.
const WINDOW: usize = 16;

#[derive(Properties, PartialEq)]
pub struct ZabProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below: nothing yet).
    pub part: Part,
}

#[function_component(ZabPanel)]
pub fn zab_page_panel(p: &ZabProps) -> Html {
    let run = p.run.0.borrow();
    match (p.part, run.as_any().downcast_ref::<Run<Zab>>()) {
        (Part::Figure, Some(r)) => html! { <div class="figure" data-figure="zab">{ zab_panel(r, &p.dispatch) }</div> },
        _ => html! {},
    }
}

/// The leader of the highest epoch among up nodes that lead.
fn leader_of(r: &Run<Zab>) -> Option<(NodeId, u64)> {
    let sim = r.sim();
    (0..sim.topology().nodes.len() as NodeId)
        .filter_map(|i| sim.state(i).filter(|s| s.state == State::Leading).map(|s| (i, s.epoch)))
        .max_by_key(|&(_, e)| e)
}

fn phase_word(p: Phase) -> &'static str {
    match p {
        Phase::Discovery => "discovery",
        Phase::Epoch => "new epoch",
        Phase::Sync => "sync",
        Phase::Broadcast => "broadcast",
    }
}

/// What the leader knows of one peer, in the words of the protocol's messages.
fn link_word(l: Link) -> String {
    match l {
        Link::Off => "not heard from".into(),
        Link::Info { accepted } => format!("FOLLOWERINFO (accepted epoch {accepted})"),
        Link::Acked { zxid, .. } => format!("ACKEPOCH (last zxid {})", zxid_text(zxid)),
        Link::Syncing { upto } => format!("syncing up to {}", zxid_text(upto)),
        Link::Synced { acked } => format!("synced, acked {}", zxid_text(acked)),
    }
}

fn vote_text(t: &caucus_sim::Topology, v: zab::Vote) -> String {
    format!("{} (epoch {}, zxid {})", t.nodes[v.id as usize].name, v.epoch, zxid_text(v.zxid))
}

fn zab_panel(r: &Run<Zab>, dispatch: &Callback<Action>) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let n = t.nodes.len() as NodeId;
    let leader = leader_of(r);
    let lead = leader.and_then(|(l, _)| sim.state(l));
    // The columns: every zxid some up node holds, in order.
    let mut zxids: Vec<Zxid> =
        (0..n).filter_map(|i| sim.state(i)).flat_map(|s| s.history.iter().map(|x| x.zxid)).collect();
    zxids.sort_unstable();
    zxids.dedup();
    let first = zxids.len().saturating_sub(WINDOW);
    let cols = &zxids[first..];
    let rows = (0..n).map(|i| {
        let name = &t.nodes[i as usize].name;
        let Some(s) = sim.state(i) else {
            return html! {
                <tr class="crashed">
                    <th scope="row">{ node_chip(i, name, None) }</th>
                    <td class="who">{ sim.status(i).word() }</td>
                    <td colspan={(cols.len() + 1).to_string()} class="hint">{
                        if sim.status(i) == Status::Booting { "not started yet" } else { "down: its epochs and history wait on its disk" }
                    }</td>
                </tr>
            };
        };
        let cells = cols.iter().map(|&z| match s.history.iter().position(|x| x.zxid == z) {
            Some(k) => {
                let delivered = k < s.committed;
                // A proposal the leader does not hold is truncated at this node's next sync.
                let orphan = lead.is_some_and(|l| {
                    l.phase == Phase::Broadcast && !l.history.iter().any(|x| x.zxid == z) && z < l.last_zxid()
                }) && !delivered;
                let how = if delivered {
                    "delivered"
                } else if orphan {
                    "not in the leader's history: truncated at the next sync"
                } else {
                    "proposed, not yet committed here"
                };
                html! {
                    <td class={classes!("entry", delivered.then_some("committed"), orphan.then_some("orphan"))}
                        title={format!("{name} · zxid {} · {} · {how}", zxid_text(z), s.history[k].value)}
                        style={format!("background:{}", term_colour(z >> 32))}>{ if orphan { format!("✕{}", zxid_text(z)) } else { zxid_text(z) } }</td>
                }
            }
            None => html! { <td class="entry empty" /> },
        });
        let who = match s.state {
            State::Leading => format!("leading · epoch {} · {}", s.epoch, phase_word(s.phase)),
            State::Following => match s.leader {
                Some(l) => format!("following {} · epoch {}", t.nodes[l as usize].name, s.current_epoch),
                None => format!("following · epoch {}", s.current_epoch),
            },
            State::Looking => format!("looking · votes for {}", vote_text(t, s.vote)),
        };
        html! {
            <tr class={classes!((s.state == State::Leading).then_some("leader"))}>
                <th scope="row">{ node_chip(i, name, None) }
                    if s.state == State::Leading { <span class="role-leader">{ " leader" }</span> }</th>
                <td class="who">{ who }</td>
                { for cells }
                <td class="commit">{ format!("delivered {}", s.committed) }</td>
            </tr>
        }
    });
    let header = cols.iter().map(|&z| html! { <th scope="col">{ zxid_text(z) }</th> });
    let sync = leader.zip(lead).map(|((lid, _), l)| {
        let items = (0..n).filter(|&i| i != lid).map(|i| {
            let link = l.links.get(i as usize).copied().unwrap_or(Link::Off);
            html! { <li>{ node_chip(i, &t.nodes[i as usize].name, None) }{ " " }{ link_word(link) }</li> }
        });
        html! {
            <div data-row="sync">
                <h3>{ format!("{} sees its followers", t.nodes[lid as usize].name) }</h3>
                <ul class="zab-links">{ for items }</ul>
            </div>
        }
    });
    // Presenter shortcuts.
    let write_to = leader.map(|(l, _)| l).unwrap_or(0);
    let value = format!("w={}", zxids.len() + 1);
    let write = dispatch.reform(move |_| {
        Action::Apply(Input::Request {
            node: write_to,
            request: serde_json::to_value(zab::Request::Write { value: value.clone() }).unwrap_or_default(),
        })
    });
    let act = |input: Option<Input>| {
        dispatch.reform(move |_| match input.clone() {
            Some(i) => Action::Apply(i),
            None => Action::SetBanner(Banner::error("There is no leader right now.")),
        })
    };
    let crash = act(leader.map(|(node, _)| Input::Crash { node }));
    let down: Option<NodeId> = (0..n).find(|&i| sim.status(i) == Status::Crashed);
    let restart = act(down.map(|node| Input::Restart { node }));
    let cut = act(leader.map(|(l, _)| partition_dc(t, t.dc_of(l))));
    let heal = dispatch.reform(|_| Action::Apply(Input::Heal));
    let summary = match (leader, lead) {
        (Some((l, e)), Some(s)) => format!("leader {} · epoch {e} · {}", t.nodes[l as usize].name, phase_word(s.phase)),
        _ => "no leader: electing".to_string(),
    };
    html! {
        <section class="panel election" aria-label="Zab histories and presenter shortcuts">
            <h2>{"Zab"}<span class="sub">{ summary }</span></h2>
            <div class="row presenter" role="group" aria-label="Presenter shortcuts">
                <button onclick={write} title="Send a client write to the leader (or to n0 when there is none): the leader proposes it with the next zxid">{"Client write"}</button>
                <button onclick={crash} disabled={leader.is_none()} title="Crash the leader: the others look for a new one, by (epoch, last zxid, id)">{"Crash the leader"}</button>
                <button onclick={restart} disabled={down.is_none()} title="Restart a crashed node: it looks, finds the leader and is synced by DIFF, TRUNC or SNAP">{"Restart a crashed node"}</button>
                <button onclick={cut} disabled={leader.is_none() || t.datacenters.len() < 2} title="Cut the leader's datacenter off from the others">{"Partition leader's datacenter"}</button>
                <button onclick={heal}>{"Heal partitions"}</button>
            </div>
            <div class="log-grid-wrap">
                <table class="log-grid zab-grid" data-row="history">
                    <caption>{"Each node's history by zxid (epoch.counter; colour follows the epoch): filled and bold = delivered, pale = proposed but not yet committed there, ✕ = a proposal the leader does not have, which the node truncates when it syncs."}</caption>
                    <thead><tr><th scope="col">{"node"}</th><th scope="col" data-row="state">{"state · epoch"}</th>{ for header }<th scope="col">{"delivered"}</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
            { for sync }
        </section>
    }
}
