//! "Check every interleaving": the exhaustive checker (`caucus_sim::explore`) on a small
//! configuration of the page's scenario, or on Gray and Lamport's TwoPhase model, in a Web Worker
//! (`static/check-worker.js` running `src/check_job.rs`), so the page keeps drawing while it runs.
//! Shows the progress (states, unique states, states per second, depth, frontier), cancels by
//! terminating the worker, and ends with the properties that hold or a shortest path to the first
//! violation, each event with what the nodes noted. Compiled into the packs with feature `check`.

use crate::components::{fmt_time, grouped};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::check::{Model, Request, SwarmProgress, SwarmRequest, Task, MAX_NODES};
use caucus_sim::explore::{Bounds, Progress};
use caucus_sim::swarm::PROFILES;
use serde_json::Value;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement, MessageEvent, Worker};
use yew::prelude::*;

/// The page stops a check at this many unique states: the browser tab's memory, not the
/// checker, is the limit (about 150 bytes per state).
const MAX_STATES: u64 = 3_000_000;

#[derive(Properties, PartialEq)]
pub struct CheckerProps {
    pub run: RunRef,
    /// Re-render when the run changes (its scenario may have).
    pub version: u64,
    /// Loads what a swarm found into the timeline.
    pub dispatch: Callback<Action>,
}

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Running {
        progress: Progress,
        ms: f64,
    },
    /// The report and the swarm's outcome are read as JSON values: typed deserializers for them
    /// would cost the page several KB (the worker's types stay typed).
    /// With the violation's path as a link's query on the timeline, or why it could not be.
    Done {
        report: Value,
        link: Result<String, String>,
        ms: f64,
    },
    Swarming {
        progress: SwarmProgress,
        ms: f64,
    },
    /// The outcome, and the JSON of the scenario that replays what it found.
    Swarmed {
        outcome: Value,
        scenario: Option<String>,
        ms: f64,
    },
    Cancelled(String),
    Failed(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Scenario,
    TwoPhase,
    Swarm,
}

#[derive(Clone, PartialEq)]
struct Settings {
    which: Which,
    nodes: u16,
    rms: u16,
    crashes: u8,
    restarts: bool,
    liveness: bool,
    /// Count states up to renaming interchangeable nodes (the commit page's participants).
    symmetry: bool,
    depth: u32,
    /// The highest Raft term or Paxos ballot round expanded (0: no bound).
    terms: u32,
    profile: &'static str,
    seeds: u64,
}

/// Raft's terms and Paxos's rounds grow without end (a timeout starts a new one), so on their
/// pages a check starts bounded: two terms or rounds, at most 12 events along any path.
const ROUNDS: bool = !cfg!(feature = "commit");

/// Only the commit page's protocols name interchangeable nodes (`Protocol::symmetry`): 2PC and
/// 3PC's participants, TwoPhase's resource managers.
const SYMMETRY: bool = cfg!(feature = "commit");

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            which: Which::Scenario,
            // The lock service, its storage and two clients: the fewest that can contend.
            nodes: if cfg!(feature = "lock") { 4 } else { 3 },
            rms: 3,
            crashes: 0,
            restarts: false,
            liveness: false,
            symmetry: false,
            depth: if ROUNDS { 12 } else { 0 },
            terms: if ROUNDS { 2 } else { 0 },
            profile: "default",
            seeds: 1000,
        }
    }
}

/// The worker of the check under way, and the handlers that must live as long as it.
struct Live {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(web_sys::Event)>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

fn text_of(data: &wasm_bindgen::JsValue, key: &str) -> Option<String> {
    js_sys::Reflect::get(data, &key.into()).ok().and_then(|v| v.as_string())
}

fn number_of(data: &wasm_bindgen::JsValue, key: &str) -> f64 {
    js_sys::Reflect::get(data, &key.into()).ok().and_then(|v| v.as_f64()).unwrap_or(0.0)
}

/// The worker's script (`static/caucus-check-loader.js`), which loads the `caucus-check` binary beside it.
const WORKER_URL: &str = "caucus-check-loader.js";

/// Starts a worker on `request`, reporting into `status`. The request goes out when the worker
/// says it listens (a message posted before would be lost).
fn start(task: &Task, status: UseStateHandle<Status>, live: Rc<RefCell<Option<Live>>>) -> Result<Live, String> {
    let worker = Worker::new(WORKER_URL).map_err(|e| format!("the checker's worker did not start: {e:?}"))?;
    let swarm = matches!(task, Task::Swarm(_));
    let request = serde_json::to_string(task).map_err(|e| e.to_string())?;
    let (failed, failed_live) = (status.clone(), live.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let worker = worker.clone();
        move |e: MessageEvent| {
            let data = e.data();
            let ms = number_of(&data, "ms");
            match text_of(&data, "kind").as_deref() {
                Some("ready") => {
                    if let Err(e) = worker.post_message(&request.clone().into()) {
                        status.set(Status::Failed(format!("the checker's worker refused the request: {e:?}")));
                    }
                }
                Some("progress") => {
                    if let Ok(p) = serde_json::from_str::<Value>(&text_of(&data, "progress").unwrap_or_default()) {
                        status.set(if swarm {
                            Status::Swarming { progress: swarm_progress(&p), ms }
                        } else {
                            Status::Running { progress: progress_of(&p), ms }
                        });
                    }
                }
                Some("done") => {
                    let r = serde_json::from_str::<Value>(&text_of(&data, "report").unwrap_or_default());
                    status.set(match r {
                        Ok(outcome) if swarm => Status::Swarmed { outcome, scenario: text_of(&data, "scenario"), ms },
                        Ok(report) => {
                            let link =
                                text_of(&data, "link").ok_or_else(|| text_of(&data, "link_error").unwrap_or_default());
                            Status::Done { report, link, ms }
                        }
                        Err(e) => Status::Failed(format!("the checker's report does not parse: {e}")),
                    });
                    live.borrow_mut().take();
                }
                _ => {
                    let message = text_of(&data, "message").unwrap_or_else(|| "the checker stopped".into());
                    status.set(Status::Failed(message));
                    live.borrow_mut().take();
                }
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // A worker whose script fails to load or throws reports here, not through a message.
    let on_error = Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
        failed
            .set(Status::Failed("the checker's worker did not load or stopped with an error (see the console)".into()));
        failed_live.borrow_mut().take();
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Live { worker, _on_message: on_message, _on_error: on_error })
}

#[function_component(CheckerPanel)]
pub fn checker_panel(p: &CheckerProps) -> Html {
    let settings = use_state(Settings::default);
    let status = use_state(|| Status::Idle);
    let live = use_mut_ref(|| None::<Live>);
    {
        // Leaving the page (or this pack) stops the worker.
        let live = live.clone();
        use_effect_with((), move |_| move || drop(live.borrow_mut().take()));
    }
    // Only the name on every render (the panel re-renders with every step while the run plays);
    // the scenario itself is read when Check is pressed.
    let name = p.run.0.borrow().scenario().name.clone();
    // The bound a protocol's numbering takes, by name on its page (Bully's elections need none).
    let rounds = if ROUNDS {
        match p.run.0.borrow().scenario().protocol.name.as_str() {
            "raft" => "Terms",
            "paxos" => "Ballot rounds",
            "lock" => "Lock tokens",
            _ => "",
        }
    } else {
        ""
    };
    let running = matches!(*status, Status::Running { .. } | Status::Swarming { .. });
    let s = (*settings).clone();

    let on_check = {
        let (settings, status, live) = (settings.clone(), status.clone(), live.clone());
        let run = p.run.clone();
        Callback::from(move |_: MouseEvent| {
            let s = (*settings).clone();
            let scenario = run.0.borrow().scenario().clone();
            let bounds = Bounds {
                depth: s.depth,
                crashes: s.crashes,
                restarts: s.restarts && s.crashes > 0,
                liveness: s.liveness,
                symmetry: s.symmetry,
                max_states: MAX_STATES,
                terms: s.terms,
                ..Bounds::default()
            };
            let (task, first) = match s.which {
                Which::Scenario => (
                    Task::Check(Request {
                        model: Model::Scenario { scenario: scenario.clone(), nodes: s.nodes },
                        bounds,
                    }),
                    Status::Running { progress: Progress::default(), ms: 0.0 },
                ),
                Which::TwoPhase => (
                    Task::Check(Request { model: Model::TwoPhase { rms: s.rms }, bounds }),
                    Status::Running { progress: Progress::default(), ms: 0.0 },
                ),
                Which::Swarm => (
                    Task::Swarm(SwarmRequest {
                        scenario: scenario.clone(),
                        profile: s.profile.into(),
                        from: 1,
                        seeds: s.seeds,
                    }),
                    Status::Swarming {
                        progress: SwarmProgress { seeds: s.seeds, ..SwarmProgress::default() },
                        ms: 0.0,
                    },
                ),
            };
            live.borrow_mut().take();
            status.set(first);
            match start(&task, status.clone(), live.clone()) {
                Ok(l) => *live.borrow_mut() = Some(l),
                Err(e) => status.set(Status::Failed(e)),
            }
        })
    };
    let on_cancel = {
        let (status, live) = (status.clone(), live.clone());
        Callback::from(move |_: MouseEvent| {
            live.borrow_mut().take();
            match &*status {
                Status::Running { progress, .. } => status.set(Status::Cancelled(format!(
                    "Cancelled after {} unique states: nothing failed in those.",
                    grouped(progress.unique as usize)
                ))),
                Status::Swarming { progress, .. } => status.set(Status::Cancelled(format!(
                    "Cancelled after {} runs ({} steps): nothing failed in those.",
                    grouped(progress.runs as usize),
                    grouped(progress.steps as usize)
                ))),
                _ => {}
            }
        })
    };
    let set = |f: fn(&mut Settings, &str)| {
        let settings = settings.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<HtmlSelectElement>()
                .map(|el| el.value())
                .or_else(|| e.target_dyn_into::<HtmlInputElement>().map(|el| el.checked().to_string()))
                .unwrap_or_default();
            let mut s = (*settings).clone();
            f(&mut s, &value);
            settings.set(s);
        })
    };
    let choices = |range: std::ops::RangeInclusive<u32>, current: u32, word: &dyn Fn(u32) -> String| -> Html {
        range.map(|n| html! { <option value={n.to_string()} selected={n == current}>{ word(n) }</option> }).collect()
    };
    let exhaustive_bounds = html! {
        <>
            <label class="field"><span>{"Crashes"}</span>
                <select aria-label="Crashes along any path" disabled={running}
                    onchange={set(|s, v| s.crashes = v.parse().unwrap_or(0))}>
                    { choices(0..=2, u32::from(s.crashes), &|n| n.to_string()) }
                </select>
            </label>
            <label class="field check"><input type="checkbox" checked={s.restarts} disabled={running || s.crashes == 0}
                onchange={set(|s, v| s.restarts = v == "true")} /><span>{"Crashed nodes restart"}</span></label>
            <label class="field check"><input type="checkbox" checked={s.liveness} disabled={running}
                onchange={set(|s, v| s.liveness = v == "true")} /><span>{"Check liveness"}</span></label>
            if SYMMETRY {
                <label class="field check" title="Participants (and TwoPhase's resource managers) are interchangeable: states that differ only by renaming them count once. Far fewer states; the same violations, with real paths.">
                    <input type="checkbox" checked={s.symmetry} disabled={running}
                        onchange={set(|s, v| s.symmetry = v == "true")} /><span>{"Symmetry reduction"}</span></label>
            }
            <label class="field"><span>{"Depth"}</span>
                <select aria-label="Events along any path" disabled={running}
                    onchange={set(|s, v| s.depth = v.parse().unwrap_or(0))}>
                    { for [0u32, 8, 12, 16, 24].iter().map(|&d| html! {
                        <option value={d.to_string()} selected={d == s.depth}>{ if d == 0 { "unbounded".to_string() } else { format!("≤ {d} events") } }</option>
                    }) }
                </select>
            </label>
        </>
    };
    let settings_for = match s.which {
        Which::Scenario => html! {
            <>
                <label class="field"><span>{"Nodes"}</span>
                    <select aria-label="Nodes to check the scenario on" disabled={running}
                        onchange={set(|s, v| s.nodes = v.parse().unwrap_or(3))}>
                        { choices(2..=5, u32::from(s.nodes), &|n| if ROUNDS { n.to_string() } else { format!("{n} (n0 coordinates)") }) }
                    </select>
                </label>
                if ROUNDS && rounds != "" {
                    <label class="field"><span>{ rounds }</span>
                        <select aria-label={format!("{rounds}: the highest a node may reach")} disabled={running}
                            onchange={set(|s, v| s.terms = v.parse().unwrap_or(2))}>
                            { choices(1..=3, s.terms, &|n| format!("≤ {n}")) }
                        </select>
                    </label>
                }
                { exhaustive_bounds }
            </>
        },
        Which::TwoPhase => html! {
            <>
                <label class="field"><span>{"Resource managers"}</span>
                    <select aria-label="Resource managers in the TwoPhase model" disabled={running}
                        onchange={set(|s, v| s.rms = v.parse().unwrap_or(3))}>
                        { choices(1..=u32::from(MAX_NODES.min(9) - 1), u32::from(s.rms), &|n| n.to_string()) }
                    </select>
                </label>
                { exhaustive_bounds }
            </>
        },
        Which::Swarm => html! {
            <>
                <label class="field"><span>{"Faults"}</span>
                    <select aria-label="Fault profile" disabled={running}
                        onchange={set(|s, v| s.profile = PROFILES.iter().map(|(n, _)| *n).find(|n| *n == v).unwrap_or("default"))}>
                        { for PROFILES.iter().map(|(n, what)| html! {
                            <option value={*n} selected={*n == s.profile}>{ format!("{n}: {what}") }</option>
                        }) }
                    </select>
                </label>
                <label class="field"><span>{"Seeds"}</span>
                    <select aria-label="Seeds to run" disabled={running}
                        onchange={set(|s, v| s.seeds = v.parse().unwrap_or(1000))}>
                        { for [100u64, 1000, 10_000].iter().map(|&n| html! {
                            <option value={n.to_string()} selected={n == s.seeds}>{ grouped(n as usize) }</option>
                        }) }
                    </select>
                </label>
            </>
        },
    };
    html! {
        <section class="panel checker" aria-labelledby="checker-title">
            <h2 id="checker-title">{"Check every interleaving"}</h2>
            <p class="hint">
                {"Every order of deliveries and timer firings, breadth first, with the faults you allow: each state is checked, and a violation comes with its shortest path. Or a swarm: random faults, seed after seed. Both run in a background worker."}
            </p>
            <div class="checker-form">
                <label class="field"><span>{"Model"}</span>
                    <select aria-label="What to check" disabled={running}
                        onchange={set(|s, v| s.which = match v { "two-phase" => Which::TwoPhase, "swarm" => Which::Swarm, _ => Which::Scenario })}>
                        <option value="scenario" selected={s.which == Which::Scenario}>{ format!("This scenario ({name}): every interleaving") }</option>
                        if !ROUNDS {
                            <option value="two-phase" selected={s.which == Which::TwoPhase}>{"TwoPhase (Gray and Lamport's spec): every interleaving"}</option>
                        }
                        <option value="swarm" selected={s.which == Which::Swarm}>{ format!("This scenario ({name}): random faults on many seeds") }</option>
                    </select>
                </label>
                { settings_for }
                if running {
                    <button onclick={on_cancel} aria-label="Cancel the check">{"Cancel"}</button>
                } else {
                    <button class="primary" onclick={on_check} aria-label="Check every interleaving">{"Check"}</button>
                }
            </div>
            <div class="checker-status" aria-live="polite">{ status_view(&status, &p.dispatch) }</div>
        </section>
    }
}

/// Explored over discovered: how far the breadth-first search is through what it has found.
fn fraction(p: &Progress) -> f64 {
    if p.done {
        1.0
    } else if p.unique == 0 {
        0.0
    } else {
        p.unique.saturating_sub(p.frontier) as f64 / p.unique as f64
    }
}

fn stats(p: &Progress, ms: f64) -> Html {
    let rate = if ms > 0.0 { (p.unique as f64 / (ms / 1000.0)) as usize } else { 0 };
    html! {
        <dl class="checker-stats">
            <div><dt>{"states"}</dt><dd>{ grouped(p.states as usize) }</dd></div>
            <div><dt>{"unique states"}</dt><dd data-unique={p.unique.to_string()}>{ grouped(p.unique as usize) }</dd></div>
            <div><dt>{"unique per second"}</dt><dd>{ grouped(rate) }</dd></div>
            <div><dt>{"depth"}</dt><dd>{ p.depth }</dd></div>
            <div><dt>{"frontier"}</dt><dd>{ grouped(p.frontier as usize) }</dd></div>
            <div><dt>{"time"}</dt><dd>{ format!("{} s", caucus_sim::decimal(ms / 1000.0, 1)) }</dd></div>
        </dl>
    }
}

fn bar(p: &Progress, label: &str) -> Html {
    html! {
        <progress class="checker-bar" max="1" value={caucus_sim::decimal(fraction(p), 3)} aria-label={label.to_string()} />
    }
}

fn status_view(status: &Status, dispatch: &Callback<Action>) -> Html {
    match status {
        Status::Idle => html! {},
        Status::Running { progress, ms } => html! {
            <>
                { bar(progress, "Check progress: explored of the states found so far") }
                <p class="checker-line">{"Checking…"}</p>
                { stats(progress, *ms) }
            </>
        },
        Status::Cancelled(line) => html! { <p class="checker-line">{ line }</p> },
        Status::Swarming { progress, ms } => html! {
            <>
                { swarm_bar(progress) }
                <p class="checker-line">{"Running seeds…"}</p>
                { swarm_stats(progress, *ms) }
            </>
        },
        Status::Failed(e) => {
            html! { <p class="checker-line error" role="alert">{ format!("The check could not run: {e}") }</p> }
        }
        Status::Done { report, link, ms } => report_view(report, link, *ms),
        Status::Swarmed { outcome, scenario, ms } => swarm_view(outcome, scenario.as_deref(), *ms, dispatch),
    }
}

fn swarm_bar(p: &SwarmProgress) -> Html {
    let value = if p.done { 1.0 } else { p.runs as f64 / p.seeds.max(1) as f64 };
    html! { <progress class="checker-bar" max="1" value={caucus_sim::decimal(value, 3)} aria-label="Seeds run of the seeds asked for" /> }
}

fn swarm_stats(p: &SwarmProgress, ms: f64) -> Html {
    let rate = if ms > 0.0 { (p.runs as f64 / (ms / 1000.0)) as usize } else { 0 };
    html! {
        <dl class="checker-stats">
            <div><dt>{"runs"}</dt><dd data-runs={p.runs.to_string()}>{ format!("{} of {}", grouped(p.runs as usize), grouped(p.seeds as usize)) }</dd></div>
            <div><dt>{"steps"}</dt><dd>{ grouped(p.steps as usize) }</dd></div>
            <div><dt>{"runs per second"}</dt><dd>{ grouped(rate) }</dd></div>
            <div><dt>{"time"}</dt><dd>{ format!("{} s", caucus_sim::decimal(ms / 1000.0, 1)) }</dd></div>
        </dl>
    }
}

/// A `caucus_protocols::check::SwarmOutcome`, as JSON, and the scenario that replays its finding.
fn swarm_view(o: &Value, scenario: Option<&str>, ms: f64, dispatch: &Callback<Action>) -> Html {
    let p = swarm_progress(&o["progress"]);
    let verdict = match o.get("found").filter(|f| !f.is_null()) {
        None => html! {
            <div class="checker-holds" data-verdict="holds">
                <p class="checker-line"><strong>{"✓ Nothing fails "}</strong>
                    { format!("in {} runs ({} steps) with random faults.", grouped(p.runs as usize), grouped(p.steps as usize)) }</p>
            </div>
        },
        Some(f) => {
            let (seed, step, time) = (num(f, "seed"), num(f, "step"), num(f, "time_us"));
            let property = text(f, "property").to_string();
            let load = {
                let (scenario, dispatch) = (scenario.unwrap_or("").to_string(), dispatch.clone());
                Callback::from(move |_: MouseEvent| {
                    let run = serde_json::from_str::<caucus_sim::Scenario>(&scenario)
                        .map_err(|e| e.to_string())
                        .and_then(|s| caucus_protocols::build(&s).map_err(|e| e.to_string()));
                    match run {
                        Ok(mut run) => {
                            // Open it at the violation; the run is computed on from there.
                            let _ = run.run_until(time);
                            let faults = run.scenario().script.len();
                            let text = format!(
                                "Seed {seed} with {faults} random faults in its script: “{property}” fails at step {step}."
                            );
                            dispatch.emit(Action::Load(run, Banner::info(text)));
                            // Up to the figure and the banner: the run is the page's now.
                            crate::browser::window().scroll_to_with_x_and_y(0.0, 0.0);
                        }
                        Err(e) => {
                            dispatch.emit(Action::SetBanner(Banner::error(format!("The run could not be loaded: {e}"))))
                        }
                    }
                })
            };
            html! {
                <div class="checker-found" data-verdict="fails">
                    <p class="checker-line"><strong>{ format!("✗ “{}” fails", text(f, "property")) }</strong>
                        { format!(" on seed {seed} at step {step} ({}), after {} runs: {}", fmt_time(time), grouped(p.runs as usize), text(f, "explanation")) }</p>
                    <button class="primary" onclick={load}>{ format!("Load seed {seed} into the timeline") }</button>
                </div>
            }
        }
    };
    html! {
        <>
            { swarm_bar(&p) }
            { verdict }
            { swarm_stats(&p, ms) }
        </>
    }
}

fn num(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

fn progress_of(v: &Value) -> Progress {
    Progress {
        states: num(v, "states"),
        unique: num(v, "unique"),
        depth: num(v, "depth") as u32,
        frontier: num(v, "frontier"),
        bounded: num(v, "bounded"),
        done: v.get("done").and_then(Value::as_bool).unwrap_or(false),
    }
}

fn swarm_progress(v: &Value) -> SwarmProgress {
    SwarmProgress {
        runs: num(v, "runs"),
        steps: num(v, "steps"),
        seeds: num(v, "seeds"),
        done: v.get("done").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// A `caucus_protocols::check::Report`, as JSON.
fn report_view(r: &Value, link: &Result<String, String>, ms: f64) -> Html {
    let p = progress_of(&r["progress"]);
    let bounds = text(r, "bounds");
    let verdict = match r.get("found").filter(|f| !f.is_null()) {
        Some(f) => html! {
            <div class="checker-found" data-verdict="fails">
                <p class="checker-line"><strong>{ format!("✗ “{}” fails", text(f, "property")) }</strong>
                    { format!(" after {} events (no shorter path exists): {}", list(f, "path").len(), text(f, "explanation")) }</p>
                { match link {
                    Ok(query) => {
                        let query = format!("?{query}");
                        // The link opens the path as a run of this page: stepped, inspected, shared.
                        let open = Callback::from(move |_: MouseEvent| {
                            let _ = crate::browser::window().location().set_search(&query);
                        });
                        html! { <button class="primary" onclick={open}>{"Open this path in the timeline"}</button> }
                    }
                    Err(why) if !why.is_empty() => html! { <p class="checker-line note">{ format!("It cannot be opened in the timeline: {why}.") }</p> },
                    Err(_) => html! {},
                } }
                <ol class="checker-path" aria-label="The shortest path to the violation">
                    { for list(f, "path").iter().map(|s| html! {
                        <li>
                            <span class="event">{ text(s, "event") }</span>
                            if !list(s, "notes").is_empty() {
                                <ul>{ for list(s, "notes").iter().map(|n| html! { <li>{ n.as_str().unwrap_or("") }</li> }) }</ul>
                            }
                        </li>
                    }) }
                </ol>
            </div>
        },
        None => {
            let where_ = if r["complete"].as_bool() == Some(true) {
                format!("in all {} unique states within the bounds", grouped(p.unique as usize))
            } else {
                format!(
                    "in the {} unique states seen: the page stops at {} (use `caucus check` for more)",
                    grouped(p.unique as usize),
                    grouped(MAX_STATES as usize)
                )
            };
            let liveness = bounds.contains("liveness checked");
            html! {
                <div class="checker-holds" data-verdict="holds">
                    <p class="checker-line"><strong>{"✓ Nothing fails "}</strong>{ where_ }{"."}</p>
                    <ul class="checker-props">
                        { for list(r, "properties").iter().map(|pair| {
                            let (name, kind) = (pair[0].as_str().unwrap_or(""), pair[1].as_str().unwrap_or(""));
                            let what = if kind == "safety" || liveness { "holds" } else { "not checked (tick Check liveness)" };
                            html! { <li>{ format!("“{name}”: {what}") }</li> }
                        }) }
                    </ul>
                </div>
            }
        }
    };
    html! {
        <>
            { bar(&p, "Check progress") }
            <p class="checker-line bounds">{ format!("{} on {} nodes: {bounds}.", text(r, "scenario"), num(r, "nodes")) }</p>
            { verdict }
            { for list(r, "notes").iter().map(|n| html! { <p class="checker-line note">{ n.as_str().unwrap_or("") }</p> }) }
            { stats(&p, ms) }
        </>
    }
}
