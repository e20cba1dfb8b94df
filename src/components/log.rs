//! The event log: the steps up to the current one, newest first, filtered by kind and node.

use crate::components::fmt_time;
use crate::state::{Action, RunRef, Snapshot};
use caucus_sim::run::StepKind;
use caucus_sim::NodeId;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Rows shown at once; older ones are reached by stepping back or with the diagram.
const MAX_ROWS: usize = 80;

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub run: RunRef,
    pub snapshot: Rc<Snapshot>,
    pub dispatch: Callback<Action>,
}

#[derive(Clone, Copy, PartialEq)]
struct Filter {
    deliveries: bool,
    drops: bool,
    timers: bool,
    inputs: bool,
    notes_only: bool,
    node: Option<NodeId>,
}

impl Filter {
    fn keeps(&self, kind: StepKind, node: Option<NodeId>, has_notes: bool) -> bool {
        if self.notes_only && !has_notes {
            return false;
        }
        if self.node.is_some() && node != self.node {
            return false;
        }
        match kind {
            StepKind::Deliver => self.deliveries,
            StepKind::Drop => self.drops,
            StepKind::Timer => self.timers,
            StepKind::Input => self.inputs,
            StepKind::Start | StepKind::Resume | StepKind::Idle => true,
        }
    }
}

#[function_component(EventLog)]
pub fn event_log(p: &LogProps) -> Html {
    let filter = use_state(|| Filter {
        deliveries: true,
        drops: true,
        timers: true,
        inputs: true,
        notes_only: false,
        node: None,
    });
    let f = *filter;
    let run = p.run.0.borrow();
    let cursor = (p.snapshot.cursor as usize).min(run.trace_len());
    let mut rows = Vec::new();
    // Scan at most this many steps back: a filter that matches nothing must not freeze the page.
    for i in (0..cursor).rev().take(20_000) {
        if rows.len() >= MAX_ROWS {
            break;
        }
        let step = run.trace_step(i);
        if !f.keeps(step.kind, step.node, !step.notes.is_empty()) {
            continue;
        }
        rows.push(step);
    }
    drop(run);
    let toggle = |set: fn(&mut Filter, bool), label: &'static str, on: bool| {
        let filter = filter.clone();
        let onchange = Callback::from(move |e: Event| {
            let mut next = *filter;
            set(&mut next, e.target_unchecked_into::<HtmlInputElement>().checked());
            filter.set(next);
        });
        html! { <label class="inline"><input type="checkbox" checked={on} {onchange} /><span>{ label }</span></label> }
    };
    let on_node = {
        let filter = filter.clone();
        Callback::from(move |e: Event| {
            let mut next = *filter;
            next.node = e.target_unchecked_into::<HtmlSelectElement>().value().parse().ok();
            filter.set(next);
        })
    };
    let names = &p.snapshot.topology.nodes;
    html! {
        <section class="panel log" aria-label="Event log">
            <h2>{"Event log"}</h2>
            <div class="row filters" role="group" aria-label="Log filters">
                { toggle(|f, v| f.deliveries = v, "deliveries", f.deliveries) }
                { toggle(|f, v| f.drops = v, "drops", f.drops) }
                { toggle(|f, v| f.timers = v, "timers", f.timers) }
                { toggle(|f, v| f.inputs = v, "faults & requests", f.inputs) }
                { toggle(|f, v| f.notes_only = v, "only steps with notes", f.notes_only) }
                <label class="inline"><span>{"node"}</span>
                    <select aria-label="Show steps at node" onchange={on_node}>
                        <option value="all" selected={f.node.is_none()}>{"all"}</option>
                        { for names.iter().map(|n| html! { <option value={n.id.to_string()} selected={f.node == Some(n.id)}>{ &n.name }</option> }) }
                    </select></label>
            </div>
            <ol class="events" reversed=true>
                { for rows.into_iter().map(|step| {
                    let target = step.index as u64 + 1;
                    let current = target == p.snapshot.cursor;
                    let kind = step.kind.word();
                    html! {
                        <li key={step.index as u64} class={classes!("event", kind, current.then_some("current"))}>
                            <button class="link" aria-label={format!("Go to step {target}: {}", step.label)}
                                onclick={p.dispatch.reform(move |_| Action::Seek(target))}>
                                <span class="step-no">{ format!("#{}", step.index + 1) }</span>
                                <span class="time">{ fmt_time(step.time) }</span>
                                <span class="kind-tag">{ kind }</span>
                                <span class="label">{ &step.label }</span>
                            </button>
                            { for step.notes.iter().map(|(n, text)| html! {
                                <div class="note">{ format!("{}: {text}", names[*n as usize].name) }</div>
                            }) }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
