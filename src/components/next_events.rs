//! "What can happen next": every event enabled at the current step, not only the one the clock
//! picks: each message in flight delivered now (in any order) or lost, each pending timer fired
//! now, each node crashed or restarted. Choosing one applies it as an input at the cursor (in the
//! past, that starts a new branch) and steps it, so the student drives the interleaving by hand
//! as the exhaustive checker does. Compiled with feature `next` (it needs `Input::FireNext`).

use crate::components::{fmt_time, node_chip, timer_words};
use crate::history::History;
use crate::state::{Action, RunRef};
use caucus_sim::{Input, Status};
use std::rc::Rc;
use yew::prelude::*;

/// Messages listed at most: a flooded network has thousands.
const MAX_MSGS: usize = 24;

#[derive(Properties, PartialEq)]
pub struct NextEventsProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    /// While the run plays the next event changes every frame: the lists wait for a pause, so
    /// that playing pays nothing for them.
    pub playing: bool,
    /// The lines of choices tried so far, shown as a tree to switch between.
    pub history: Rc<History>,
    pub dispatch: Callback<Action>,
}

#[function_component(NextEvents)]
pub fn next_events(p: &NextEventsProps) -> Html {
    let hint = if p.playing {
        "Pause to choose the next event yourself."
    } else {
        "Every event enabled now, not only the one the clock picks: choose one to make it happen at this step (earlier in the run, that starts a new branch)."
    };
    html! {
        <section class="panel next-events" aria-labelledby="next-title">
            <h2 id="next-title">{"What can happen next"}</h2>
            <p class="hint">{ hint }</p>
            if !p.playing { { choices(p) } }
            if p.history.branches.len() > 1 { { branches(p) } }
        </section>
    }
}

/// The enabled events, as buttons.
fn choices(p: &NextEventsProps) -> Html {
    let run = p.run.0.borrow();
    let topology = run.topology();
    let name = |n: u16| topology.nodes[n as usize].name.as_str();
    let chip = |n: u16| node_chip(n, name(n), None);
    let then_step = |first: Input| {
        let d = p.dispatch.clone();
        Callback::from(move |_: MouseEvent| {
            d.emit(Action::Apply(first.clone()));
            d.emit(Action::Step);
        })
    };
    let apply = |input: Input| p.dispatch.reform(move |_: MouseEvent| Action::Apply(input.clone()));
    let msgs = run.in_flight_first(MAX_MSGS);
    let more = run.in_flight_count().saturating_sub(msgs.len());
    let timers = run.pending_timers();
    let nodes = run.nodes();
    html! {
        <div class="next-columns">
            <div>
                <h3>{ format!("Messages in flight ({})", run.in_flight_count()) }</h3>
                <ul class="next-list">
                    { for msgs.iter().map(|m| { let id = m.id; html! {
                        <li>
                            { chip(m.source) }{" → "}{ chip(m.target) }
                            <span class="what">{ format!(" {} · due {}", m.label, fmt_time(m.deliver_at)) }</span>
                            <button aria-label={format!("Deliver message #{id} now")} onclick={then_step(Input::DeliverNext { msg: id })}>{"Deliver now"}</button>
                            <button aria-label={format!("Lose message #{id}")} onclick={apply(Input::Drop { msg: id })}>{"Lose"}</button>
                        </li>
                    }}) }
                    if msgs.is_empty() { <li class="none">{"none"}</li> }
                    if more > 0 { <li class="none">{ format!("… and {more} more") }</li> }
                </ul>
            </div>
            <div>
                <h3>{ format!("Pending timers ({})", timers.len()) }</h3>
                <ul class="next-list">
                    { for timers.iter().map(|(node, timer, due)| {
                        let label = timer_words(timer);
                        html! {
                            <li>
                                { chip(*node) }<span class="what">{ format!(" {label} · due {}", fmt_time(*due)) }</span>
                                <button aria-label={format!("Fire {}'s timer {label} now", name(*node))}
                                    onclick={then_step(Input::FireNext { node: *node, timer: timer.clone() })}>{"Fire now"}</button>
                            </li>
                        }
                    }) }
                    if timers.is_empty() { <li class="none">{"none"}</li> }
                </ul>
                <h3>{"Faults"}</h3>
                <div class="next-faults">
                    { for nodes.iter().filter(|n| n.status != Status::Booting).map(|n| {
                        let node = n.id;
                        if n.status == Status::Crashed {
                            html! { <button onclick={apply(Input::Restart { node })}>{ format!("Restart {}", name(node)) }</button> }
                        } else {
                            html! { <button onclick={apply(Input::Crash { node })}>{ format!("Crash {}", name(node)) }</button> }
                        }
                    }) }
                </div>
            </div>
        </div>
    }
}

/// The history tree: every line of choices tried, each under the line it left, the current one
/// marked in words (not only by colour), the others a button away.
fn branches(p: &NextEventsProps) -> Html {
    let h = &p.history;
    let run = p.run.0.borrow();
    html! {
        <div class="branches">
            <h3 id="branches-title">{ format!("Branches of this run ({})", h.branches.len()) }</h3>
            <p class="hint">{"Each choice made earlier in the run starts a branch; the one before it is kept here. Switch to compare them: the link follows the branch you are on."}</p>
            <ul class="branch-tree" aria-labelledby="branches-title">
                { for h.tree().into_iter().map(|(i, depth)| {
                    let b = &h.branches[i];
                    let here = i == h.current;
                    let summary = if here { crate::history::summary(run.as_ref()) } else { b.summary.clone() };
                    let title = match b.parent {
                        None => b.label.clone(),
                        Some(_) => {
                            let more = match b.more { 0 => String::new(), 1 => ", then 1 more choice".into(), n => format!(", then {n} more choices") };
                            format!("At step {}: {}{more}", b.fork, b.label)
                        }
                    };
                    html! {
                        <li class={classes!(here.then_some("here"))} style={format!("margin-left:{}rem", depth.min(8))}
                            aria-current={here.then_some("true")}>
                            <span class="what">{ title.clone() }</span>
                            <span class="sum">{ format!(" · {summary}") }</span>
                            if here {
                                <span class="you">{" · you are here"}</span>
                            } else {
                                <button aria-label={format!("Switch to branch {}: {title}", i + 1)} onclick={p.dispatch.reform(move |_: MouseEvent| Action::SwitchBranch(i))}>{"Switch"}</button>
                            }
                        </li>
                    }
                }) }
            </ul>
            if h.full { <p class="hint">{ format!("The tree keeps {} branches: newer choices still branch the run, but their lines are not kept here.", crate::history::MAX_BRANCHES) }</p> }
        </div>
    }
}
