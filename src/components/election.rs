//! The election pack's panels: Raft's logs as a grid coloured by term with the commit index,
//! presenter shortcuts in the spirit of RaftScope and the crash-the-leader experiment. Compiled
//! only into the election pack (Paxos and Bully have their own page: `paxos.rs`).

use crate::components::{fmt_time, node_chip, partition_dc, term_colour, Part};
use crate::state::{Action, RunRef};
use caucus_protocols::raft::{self, Raft, Role};
use caucus_sim::{decimal, Input, Micros, NodeId, Run, Scenario, Status, MS, SEC};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Log entries shown per row; longer logs show their last entries.
const LOG_WINDOW: usize = 24;

#[derive(Properties, PartialEq)]
pub struct ElectionProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below).
    pub part: Part,
}

#[function_component(ElectionPanel)]
pub fn election_panel(p: &ElectionProps) -> Html {
    let run = p.run.0.borrow();
    let any = run.as_any();
    if let Some(r) = any.downcast_ref::<Run<Raft>>() {
        let scenario = caucus_sim::DynRun::scenario(r).clone();
        let params = r.sim().params().clone();
        let base = Rc::new(scenario);
        return match p.part {
            Part::Figure => figure(raft_panel(r, &p.dispatch)),
            // Keyed by the run's scenario so their forms start from its values.
            Part::Rest => html! {
                <>
                    <RaftSettings key={format!("s{}", base.name)} base={base.clone()} params={params.clone()} dispatch={p.dispatch.clone()} />
                    <Experiment key={format!("e{}", base.name)} base={base.clone()} params={params.clone()} />
                    <crate::components::figure16::Figure16 key={format!("f{}", base.name)} base={base.clone()} params={params} />
                </>
            },
        };
    }
    html! {}
}

/// The family's figure, marked for the layout (and the tests) as `data-figure="election"`.
fn figure(inner: Html) -> Html {
    html! { <div class="figure" data-figure="election">{ inner }</div> }
}

fn leader_of(r: &Run<Raft>) -> Option<(NodeId, u64)> {
    let sim = r.sim();
    // The leader of the highest term among up nodes that believe they lead.
    (0..sim.topology().nodes.len() as NodeId)
        .filter_map(|i| sim.state(i).filter(|s| s.role == Role::Leader).map(|s| (i, s.term)))
        .max_by_key(|&(_, term)| term)
}

fn raft_panel(r: &Run<Raft>, dispatch: &Callback<Action>) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let n = t.nodes.len() as NodeId;
    let longest = (0..n).filter_map(|i| sim.state(i)).map(|s| s.log.len()).max().unwrap_or(0);
    let first = longest.saturating_sub(LOG_WINDOW);
    let leader = leader_of(r);

    let rows = (0..n).map(|i| {
        let name = &t.nodes[i as usize].name;
        match sim.state(i) {
            None => html! {
                <tr class="crashed">
                    <th scope="row">{ node_chip(i, name, None) }</th>
                    <td class="who">{ sim.status(i).word() }</td>
                    <td colspan={(LOG_WINDOW + 1).to_string()} class="hint">{
                        if sim.status(i) == Status::Booting { "not started yet" } else { "down: term, vote and log wait on its disk" }
                    }</td>
                </tr>
            },
            Some(s) => {
                let cells = (first..longest).map(|k| match s.log.get(k) {
                    Some(e) => {
                        let committed = (k as u64) < s.commit_index;
                        let title = format!(
                            "{name} entry {} · term {} · {} · {}",
                            k + 1,
                            e.term,
                            e.command,
                            if committed { "committed" } else { "not committed yet" }
                        );
                        html! {
                            <td class={classes!("entry", committed.then_some("committed"))} title={title}
                                style={format!("background:{}", term_colour(e.term))}>{ e.term }</td>
                        }
                    }
                    None => html! { <td class="entry empty" /> },
                });
                let who = format!("{} · t{}", s.role.word(), s.term);
                html! {
                    <tr class={classes!((s.role == Role::Leader).then_some("leader"))}>
                        <th scope="row">{ node_chip(i, name, None) }
                            if s.role == Role::Leader { <span class="role-leader">{ " leader" }</span> }</th>
                        <td class="who">{ who }</td>
                        { for cells }
                        <td class="commit">{ format!("commit {}", s.commit_index) }</td>
                    </tr>
                }
            }
        }
    });
    let header = (first..longest).map(|k| html! { <th scope="col">{ k + 1 }</th> });

    // Presenter shortcuts.
    let next_command = format!("x={}", longest + 1);
    let submit_to = leader.map(|(l, _)| l).unwrap_or(0);
    let submit = dispatch.reform(move |_| {
        Action::Apply(Input::Request {
            node: submit_to,
            request: serde_json::to_value(raft::Request::Submit { command: next_command.clone() }).unwrap_or_default(),
        })
    });
    // Two up followers, in different datacenters when possible, time out at the same instant.
    let followers: Vec<NodeId> = (0..n)
        .filter(|&i| sim.state(i).is_some_and(|s| s.role != Role::Leader) && sim.status(i) == Status::Up)
        .collect();
    let pair = followers.first().copied().and_then(|a| {
        let b = followers.iter().copied().find(|&b| b != a && t.dc_of(b) != t.dc_of(a)).or(followers.get(1).copied());
        b.map(|b| (a, b))
    });
    let split = {
        let d = dispatch.clone();
        Callback::from(move |_| {
            if let Some((a, b)) = pair {
                let timeout = serde_json::to_value(raft::Request::Timeout).unwrap_or_default();
                d.emit(Action::Apply(Input::Request { node: a, request: timeout.clone() }));
                d.emit(Action::Apply(Input::Request { node: b, request: timeout }));
            }
        })
    };
    let restart = {
        let d = dispatch.clone();
        Callback::from(move |_| {
            if let Some((l, _)) = leader {
                d.emit(Action::Apply(Input::Crash { node: l }));
                d.emit(Action::Apply(Input::Restart { node: l }));
            }
        })
    };
    let cut = leader.map(|(l, _)| partition_dc(t, t.dc_of(l)));
    let partition = dispatch.reform(move |_| match cut.clone() {
        Some(input) => Action::Apply(input),
        None => Action::SetBanner(None),
    });
    let heal = dispatch.reform(|_| Action::Apply(Input::Heal));
    let leader_text = match leader {
        Some((l, term)) => {
            format!("Leader: {} (term {term}, {})", t.nodes[l as usize].name, t.datacenters[t.dc_of(l) as usize].name)
        }
        None => "No leader right now".to_string(),
    };
    let one_dc = t.datacenters.len() < 2;
    html! {
        <section class="panel election" aria-label="Raft logs and presenter shortcuts">
            <h2>{"Raft"}<span class="sub">{ leader_text }</span></h2>
            <div class="row presenter" role="group" aria-label="Presenter shortcuts">
                <button onclick={submit} title="Send a client request (a command) to the leader, or to n0 when there is none">{"Client request"}</button>
                <button onclick={split} disabled={pair.is_none()} title="Two followers in different datacenters time out at the same instant: both stand for the same term and may split the vote">{"Split vote"}</button>
                <button onclick={restart} disabled={leader.is_none()} title="Crash the leader and start it again at once: it comes back as a follower with its term, vote and log">{"Restart leader"}</button>
                <button onclick={partition} disabled={leader.is_none() || one_dc} title="Cut the leader's datacenter off from the others">{"Partition leader's datacenter"}</button>
                <button onclick={heal}>{"Heal partitions"}</button>
            </div>
            <div class="log-grid-wrap">
                <table class="log-grid" data-row="log">
                    <caption>{ format!(
                        "Each node's log{}: a cell per entry showing its term (colour follows the term); filled and bold = committed, pale = not yet committed.",
                        if first > 0 { format!(", entries {}–{}", first + 1, longest) } else { String::new() }
                    ) }</caption>
                    <thead><tr><th scope="col">{"node"}</th><th scope="col" data-row="term">{"role · term"}</th>{ for header }<th scope="col" data-row="commit">{"commit index"}</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </div>
        </section>
    }
}

// ---- parameters ------------------------------------------------------------------------------

/// A number field's `onchange`: sets `state` when the text is a whole number (else keeps it).
fn number(state: UseStateHandle<u64>) -> Callback<Event> {
    Callback::from(move |e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        if let Ok(v) = input.value().trim().parse::<u64>() {
            state.set(v);
        }
    })
}

#[derive(Properties, PartialEq)]
struct SettingsProps {
    base: Rc<Scenario>,
    params: raft::Params,
    dispatch: Callback<Action>,
}

const PRESETS: &[&str] = &["one-datacenter", "three-regions", "five-regions"];

/// Restarts the scenario with other timeouts, pre-vote, cluster size and placement.
#[function_component(RaftSettings)]
fn raft_settings(p: &SettingsProps) -> Html {
    let prm = &p.params;
    let min_ms = use_state(|| prm.election_timeout_min_us / MS);
    let max_ms = use_state(|| prm.election_timeout_max_us / MS);
    let beat_ms = use_state(|| prm.heartbeat_us / MS);
    let pre_vote = use_state(|| prm.pre_vote);
    let preset = use_state(|| p.base.topology.preset.clone().unwrap_or_else(|| "three-regions".into()));
    let placement = use_state(|| {
        let t = p.base.topology.build().ok();
        t.map(|t| t.datacenters.iter().map(|d| t.nodes_in(d.id).count().to_string()).collect::<Vec<_>>().join(","))
            .unwrap_or_default()
    });
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: Event| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let on_pre_vote = {
        let pre_vote = pre_vote.clone();
        Callback::from(move |e: Event| pre_vote.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    let apply = {
        let (min_ms, max_ms, beat_ms, pre_vote) = (*min_ms, *max_ms, *beat_ms, *pre_vote);
        let (preset, placement) = ((*preset).clone(), (*placement).clone());
        let base = p.base.clone();
        p.dispatch.reform(move |_| {
            let counts: Result<Vec<u16>, _> = placement.split(',').map(|n| n.trim().parse::<u16>()).collect();
            let Ok(counts) = counts else {
                return Action::SetBanner(crate::state::Banner::error(
                    "Nodes per datacenter must be whole numbers separated by commas, e.g. 2,2,1.",
                ));
            };
            let mut scenario = (*base).clone();
            scenario.topology =
                caucus_sim::TopologySpec { placement: Some(counts), ..caucus_sim::TopologySpec::preset(&preset, 1) };
            scenario.topology.nodes_per_dc = None;
            scenario.protocol.params = serde_json::json!({
                "election_timeout_min_us": min_ms * MS,
                "election_timeout_max_us": max_ms * MS,
                "heartbeat_us": beat_ms * MS,
                "pre_vote": pre_vote,
            });
            if !scenario.name.ends_with("-edited") {
                scenario.name = format!("{}-edited", scenario.name);
                scenario.description = format!("With edited parameters. Originally: {}", scenario.description);
            }
            // The script names nodes of the old topology: keep it only when the size is unchanged.
            let nodes = scenario.topology.build().map(|t| t.nodes.len()).unwrap_or(0);
            if base.topology.build().map(|t| t.nodes.len()).unwrap_or(0) != nodes {
                scenario.script.clear();
            }
            match caucus_protocols::build(&scenario) {
                Ok(run) => Action::Load(run, crate::state::Banner::info("Restarted with your parameters.")),
                Err(e) => Action::SetBanner(crate::state::Banner::error(format!("These parameters cannot run: {e}"))),
            }
        })
    };
    html! {
        <details class="panel settings">
            <summary>{"Parameters: timeouts, pre-vote, cluster size and placement"}</summary>
            <div class="row">
                <label class="field"><span>{"Election timeout min (ms)"}</span>
                    <input type="number" min="1" value={min_ms.to_string()} onchange={number(min_ms.clone())} /></label>
                <label class="field"><span>{"max (ms)"}</span>
                    <input type="number" min="1" value={max_ms.to_string()} onchange={number(max_ms.clone())} /></label>
                <label class="field"><span>{"Heartbeat (ms)"}</span>
                    <input type="number" min="1" value={beat_ms.to_string()} onchange={number(beat_ms.clone())} /></label>
                <label class="field"><input type="checkbox" checked={*pre_vote} onchange={on_pre_vote} /><span>{"pre-vote"}</span></label>
            </div>
            <div class="row">
                <label class="field"><span>{"Datacenters"}</span>
                    <select aria-label="Datacenters" onchange={Callback::from({ let preset = preset.clone(); move |e: Event| preset.set(e.target_unchecked_into::<web_sys::HtmlSelectElement>().value()) })}>
                        { for PRESETS.iter().map(|name| html! { <option value={*name} selected={*name == preset.as_str()}>{ *name }</option> }) }
                    </select></label>
                <label class="field"><span>{"Nodes per datacenter"}</span>
                    <input type="text" size="10" value={(*placement).clone()} onchange={text(placement.clone())} /></label>
                <button onclick={apply}>{"Restart with these"}</button>
            </div>
            <p class="hint">{"3 to 9 nodes. The run restarts from step 0 with the same seed; a link to it carries the edited scenario."}</p>
        </details>
    }
}

// ---- the crash-the-leader experiment ------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct ExperimentProps {
    base: Rc<Scenario>,
    /// The run's parameters: the starting values of the form.
    params: raft::Params,
}

/// Results so far of a running (or finished) experiment, or of a line of Figure 16.
#[derive(Clone, Default)]
pub(crate) struct Progress {
    pub total: u64,
    pub done: u64,
    /// Time to a new leader, per trial that elected one in time, sorted.
    pub times: Vec<Micros>,
    pub failed: u64,
    /// Trials that did not even elect a first leader within the limit (counted in `failed`).
    pub no_first: u64,
    pub error: Option<String>,
}

/// How long a trial waits for a leader, in each of its phases.
pub(crate) const TRIAL_LIMIT_US: Micros = 30 * SEC;
/// Real milliseconds of work per slice before the page gets the main thread back.
const SLICE_MS: f64 = 12.0;

#[function_component(Experiment)]
fn experiment(p: &ExperimentProps) -> Html {
    let defaults = &p.params;
    let trials = use_state(|| 200u64);
    let min_ms = use_state(|| defaults.election_timeout_min_us / MS);
    let max_ms = use_state(|| defaults.election_timeout_max_us / MS);
    let progress = use_mut_ref(Progress::default);
    let timer = use_mut_ref(|| None::<gloo_timers::callback::Timeout>);
    let redraw = use_state(|| 0u64);

    let start = {
        let (trials, min_ms, max_ms) = (*trials, *min_ms, *max_ms);
        let base = p.base.clone();
        let params = p.params.clone();
        let progress = progress.clone();
        let timer = timer.clone();
        let redraw = redraw.clone();
        Callback::from(move |_| {
            let mut scenario = (*base).clone();
            let mut json = serde_json::to_value(&params).unwrap_or_default();
            let (min, max) = (min_ms * MS, max_ms * MS);
            // The scenario's heartbeat for its own range; another range gets the paper's.
            if (min, max) != (params.election_timeout_min_us, params.election_timeout_max_us) {
                raft::set_timeouts(&mut json, min, max);
            }
            scenario.protocol.params = json;
            scenario.script.clear();
            *progress.borrow_mut() = Progress { total: trials.clamp(1, 2000), ..Progress::default() };
            let progress = progress.clone();
            run_slices(Box::new(move || trial(&scenario, &mut progress.borrow_mut())), timer.clone(), redraw.clone());
        })
    };
    let stop = {
        let timer = timer.clone();
        let progress = progress.clone();
        let redraw = redraw.clone();
        Callback::from(move |_| {
            timer.borrow_mut().take();
            let mut pr = progress.borrow_mut();
            pr.total = pr.done;
            redraw.set(*redraw + 1);
        })
    };

    let pr = progress.borrow();
    let running = pr.done < pr.total && pr.error.is_none();
    html! {
        <section class="panel experiment" aria-label="Experiment: crash the leader">
            <h2>{"Experiment: crash the leader"}</h2>
            <p class="hint">{"Each trial runs this scenario with another seed until a leader is elected, crashes it at a random moment within its heartbeat interval (as the Raft paper did), and measures how long the cluster takes to elect a new one. Another timeout range sets the heartbeat to half its minimum, as in the paper."}</p>
            <div class="row">
                <label class="field"><span>{"Trials"}</span>
                    <input type="number" min="1" max="2000" value={trials.to_string()} onchange={number(trials.clone())} disabled={running} /></label>
                <label class="field"><span>{"Election timeout min (ms)"}</span>
                    <input type="number" min="1" value={min_ms.to_string()} onchange={number(min_ms.clone())} disabled={running} /></label>
                <label class="field"><span>{"max (ms)"}</span>
                    <input type="number" min="1" value={max_ms.to_string()} onchange={number(max_ms.clone())} disabled={running} /></label>
                if running {
                    <button onclick={stop}>{"Stop"}</button>
                } else {
                    <button onclick={start}>{"Run trials"}</button>
                }
            </div>
            if pr.total > 0 {
                <progress max={pr.total.to_string()} value={pr.done.to_string()} aria-label="Trials done">{ format!("{} of {}", pr.done, pr.total) }</progress>
                <span class="hint">{ format!(" {} of {} trials", pr.done, pr.total) }</span>
            }
            if let Some(e) = &pr.error { <p class="why" role="alert">{ e }</p> }
            { histogram(&pr) }
        </section>
    }
}

/// The slot of the next slice's timer: emptying it (Stop, or the panel going away) stops the run.
pub(crate) type SliceTimer = Rc<RefCell<Option<gloo_timers::callback::Timeout>>>;

/// Calls `step` (one unit of work; `false` once there is no more) for about [`SLICE_MS`], redraws,
/// then yields to the browser and schedules the next slice, so that a long computation never
/// holds the page. The Experiment and Figure 16 run their trials through here.
pub(crate) fn run_slices(mut step: Box<dyn FnMut() -> bool>, timer: SliceTimer, redraw: UseStateHandle<u64>) {
    let started = crate::browser::now_ms();
    let mut more = true;
    while more && crate::browser::now_ms() - started < SLICE_MS {
        more = step();
    }
    redraw.set(*redraw + 1);
    if more {
        let next = timer.clone();
        *timer.borrow_mut() = Some(gloo_timers::callback::Timeout::new(0, move || run_slices(step, next, redraw)));
    }
}

/// The next trial of `scenario` (seed: its seed + trials done); `false` once there is no more to
/// run. The Experiment's and every line of Figure 16's.
pub(crate) fn trial(scenario: &Scenario, pr: &mut Progress) -> bool {
    if pr.done >= pr.total || pr.error.is_some() {
        return false;
    }
    let seed = scenario.seed.wrapping_add(pr.done);
    match raft::crash_leader_trial(scenario, seed, TRIAL_LIMIT_US) {
        Ok(trial) => match trial.recovered_after_us {
            Some(t) => {
                let at = pr.times.partition_point(|&x| x <= t);
                pr.times.insert(at, t);
            }
            None => {
                pr.failed += 1;
                pr.no_first += u64::from(trial.first_leader.is_none());
            }
        },
        Err(e) => {
            pr.error = Some(format!("The experiment cannot run: {e}"));
            return false;
        }
    }
    pr.done += 1;
    pr.done < pr.total
}

fn histogram(pr: &Progress) -> Html {
    if pr.times.is_empty() {
        return if pr.done > 0 {
            html! { <p class="hint">{ format!("No trial elected a new leader within {}.", fmt_time(TRIAL_LIMIT_US)) }</p> }
        } else {
            html! {}
        };
    }
    let sorted = &pr.times;
    let pct = |q: usize| sorted[(sorted.len() - 1) * q / 100];
    let max = *sorted.last().unwrap_or(&1);
    const BINS: usize = 24;
    let width = (max / BINS as u64 + 1).max(1);
    let mut counts = [0u32; BINS];
    for &t in sorted {
        counts[((t / width) as usize).min(BINS - 1)] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    let (w, h, left, bottom) = (560.0, 160.0, 36.0, 22.0);
    let bar_w = (w - left - 8.0) / BINS as f64;
    let summary = format!(
        "{} of {} trials elected a new leader: median {}, 90th percentile {}, slowest {}{}",
        sorted.len(),
        pr.done,
        fmt_time(pct(50)),
        fmt_time(pct(90)),
        fmt_time(max),
        if pr.failed > 0 {
            format!("; {} did not within {}", pr.failed, fmt_time(TRIAL_LIMIT_US))
        } else {
            String::new()
        }
    );
    let bars = counts.iter().enumerate().map(|(i, &c)| {
        let bh = c as f64 / top * (h - bottom - 10.0);
        let x = left + i as f64 * bar_w;
        let (lo, hi) = (i as u64 * width, (i as u64 + 1) * width);
        html! {
            <rect x={decimal(x + 1.0, 1)} y={decimal(h - bottom - bh, 1)} width={decimal(bar_w - 2.0, 1)} height={decimal(bh, 1)}>
                <title>{ format!("{c} trials between {} and {}", fmt_time(lo), fmt_time(hi)) }</title>
            </rect>
        }
    });
    let ticks = [(0usize, "start"), (BINS / 2, "middle"), (BINS, "end")].map(|(i, anchor)| {
        let x = left + i as f64 * bar_w;
        html! { <text x={decimal(x, 1)} y={decimal(h - 6.0, 1)} text-anchor={anchor}>{ fmt_time(i as u64 * width) }</text> }
    });
    html! {
        <figure class="histogram">
            <svg viewBox={format!("0 0 {} {}", w as u32, h as u32)} role="img" aria-label={format!("Histogram of the time to elect a new leader. {summary}")}>
                <line x1={decimal(left, 1)} y1={decimal(h - bottom, 1)} x2={decimal(w - 8.0, 1)} y2={decimal(h - bottom, 1)} class="axis" />
                <text x="4" y="14">{ format!("{} trials", top as u32) }</text>
                { for bars }
                { for ticks }
            </svg>
            <figcaption>{ summary }</figcaption>
        </figure>
    }
}
