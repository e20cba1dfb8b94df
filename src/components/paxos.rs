//! The Paxos page's figures: the state of Paxos acceptors and learners, and of Bully nodes.
//! Compiled only into the paxos pack (Raft has the election page: `election.rs`).

use crate::components::{node_chip, Part};
use crate::state::{Action, RunRef};
use caucus_protocols::{bully, paxos};
use caucus_sim::{NodeId, Run};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PaxosProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below: nothing here yet).
    pub part: Part,
}

#[function_component(PaxosPanel)]
pub fn paxos_page_panel(p: &PaxosProps) -> Html {
    if p.part == Part::Rest {
        return html! {};
    }
    let run = p.run.0.borrow();
    let any = run.as_any();
    let inner = if let Some(r) = any.downcast_ref::<Run<paxos::Paxos>>() {
        paxos_panel(r)
    } else if let Some(r) = any.downcast_ref::<Run<bully::Bully>>() {
        bully_panel(r)
    } else {
        return html! {};
    };
    html! { <div class="figure" data-figure="paxos">{ inner }</div> }
}

fn paxos_panel(r: &Run<paxos::Paxos>) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let rows = (0..t.nodes.len() as NodeId).map(|i| {
        let name = &t.nodes[i as usize].name;
        let cells = match sim.state(i) {
            None => html! { <td colspan="3" class="hint">{ sim.status(i).word() }</td> },
            Some(s) => {
                let show = |v: Option<String>| v.unwrap_or_else(|| "–".into());
                html! { <>
                    <td>{ s.acceptor.promised.to_string() }</td>
                    <td>{ show(s.acceptor.accepted.as_ref().map(|p| p.to_string())) }</td>
                    <td>{ show(s.learned.as_ref().map(|p| p.value.clone())) }</td>
                </> }
            }
        };
        html! { <tr><th scope="row">{ node_chip(i, name, None) }</th>{ cells }</tr> }
    });
    html! {
        <section class="panel election" aria-label="Paxos acceptors">
            <h2>{"Paxos acceptors and learners"}</h2>
            <table class="state-table" data-row="acceptors">
                <thead><tr><th scope="col">{"node"}</th><th scope="col" data-row="promised">{"promised"}</th><th scope="col" data-row="accepted">{"accepted"}</th><th scope="col" data-row="learned">{"learned"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}

fn bully_panel(r: &Run<bully::Bully>) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let rows = (0..t.nodes.len() as NodeId).map(|i| {
        let name = &t.nodes[i as usize].name;
        let (role, badge) = match sim.state(i) {
            None => (sim.status(i).word().to_string(), String::new()),
            Some(s) => (caucus_sim::Protocol::role(s), caucus_sim::Protocol::badge(s)),
        };
        let dc = t.nodes[i as usize].dc;
        html! { <tr><th scope="row">{ node_chip(i, name, Some((dc, &t.datacenters[dc as usize].name))) }</th>
        <td class={classes!((role == "leader").then_some("role-leader"))}>{ role }</td><td>{ badge }</td></tr> }
    });
    html! {
        <section class="panel election" aria-label="Bully nodes">
            <h2>{"Bully: who each node follows"}</h2>
            <table class="state-table" data-row="nodes">
                <thead><tr><th scope="col">{"node"}</th><th scope="col">{"role"}</th><th scope="col">{"believes"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </section>
    }
}
