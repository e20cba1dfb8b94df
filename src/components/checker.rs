//! "Check every interleaving": the exhaustive checker (`caucus_sim::explore`) on a small
//! configuration of the page's scenario, or on Gray and Lamport's TwoPhase model, in a Web Worker
//! (`static/check-worker.js` running `src/check_job.rs`), so the page keeps drawing while it runs.
//! Shows the progress (states, unique states, states per second, depth, frontier), cancels by
//! terminating the worker, and ends with the properties that hold or a shortest path to the first
//! violation, each event with what the nodes noted. Compiled into the packs with feature `check`.

use crate::components::grouped;
use crate::state::RunRef;
use caucus_protocols::check::{Model, Report, Request, MAX_NODES};
use caucus_sim::explore::{Bounds, Progress};
use caucus_sim::PropertyKind;
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
}

#[derive(Clone, PartialEq)]
enum Status {
    Idle,
    Running { progress: Progress, ms: f64 },
    Done { report: Report, ms: f64 },
    Cancelled { progress: Progress, ms: f64 },
    Failed(String),
}

#[derive(Clone, Copy, PartialEq)]
enum Which {
    Scenario,
    TwoPhase,
}

#[derive(Clone, PartialEq)]
struct Settings {
    which: Which,
    nodes: u16,
    rms: u16,
    crashes: u8,
    restarts: bool,
    liveness: bool,
    depth: u32,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { which: Which::Scenario, nodes: 3, rms: 3, crashes: 0, restarts: false, liveness: false, depth: 0 }
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
fn start(request: &Request, status: UseStateHandle<Status>, live: Rc<RefCell<Option<Live>>>) -> Result<Live, String> {
    let worker = Worker::new(WORKER_URL).map_err(|e| format!("the checker's worker did not start: {e:?}"))?;
    let request = serde_json::to_string(request).map_err(|e| e.to_string())?;
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
                    if let Some(progress) = text_of(&data, "progress").and_then(|p| serde_json::from_str(&p).ok()) {
                        status.set(Status::Running { progress, ms });
                    }
                }
                Some("done") => {
                    match text_of(&data, "report").map(|r| serde_json::from_str::<Report>(&r)) {
                        Some(Ok(report)) => status.set(Status::Done { report, ms }),
                        Some(Err(e)) => status.set(Status::Failed(format!("the checker's report does not parse: {e}"))),
                        None => status.set(Status::Failed("the checker sent no report".into())),
                    }
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
    let scenario = p.run.0.borrow().scenario().clone();
    let name = scenario.name.clone();
    let running = matches!(*status, Status::Running { .. });
    let s = (*settings).clone();

    let on_check = {
        let (settings, status, live) = (settings.clone(), status.clone(), live.clone());
        let scenario = scenario.clone();
        Callback::from(move |_: MouseEvent| {
            let s = (*settings).clone();
            let model = match s.which {
                Which::Scenario => Model::Scenario { scenario: scenario.clone(), nodes: s.nodes },
                Which::TwoPhase => Model::TwoPhase { rms: s.rms },
            };
            let bounds = Bounds {
                depth: s.depth,
                crashes: s.crashes,
                restarts: s.restarts && s.crashes > 0,
                liveness: s.liveness,
                max_states: MAX_STATES,
                ..Bounds::default()
            };
            live.borrow_mut().take();
            status.set(Status::Running { progress: Progress::default(), ms: 0.0 });
            match start(&Request { model, bounds }, status.clone(), live.clone()) {
                Ok(l) => *live.borrow_mut() = Some(l),
                Err(e) => status.set(Status::Failed(e)),
            }
        })
    };
    let on_cancel = {
        let (status, live) = (status.clone(), live.clone());
        Callback::from(move |_: MouseEvent| {
            live.borrow_mut().take();
            if let Status::Running { progress, ms } = &*status {
                status.set(Status::Cancelled { progress: *progress, ms: *ms });
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
    let size = match s.which {
        Which::Scenario => html! {
            <label class="field"><span>{"Nodes"}</span>
                <select aria-label="Nodes to check the scenario on" disabled={running}
                    onchange={set(|s, v| s.nodes = v.parse().unwrap_or(3))}>
                    { choices(2..=5, u32::from(s.nodes), &|n| format!("{n} (n0 coordinates)")) }
                </select>
            </label>
        },
        Which::TwoPhase => html! {
            <label class="field"><span>{"Resource managers"}</span>
                <select aria-label="Resource managers in the TwoPhase model" disabled={running}
                    onchange={set(|s, v| s.rms = v.parse().unwrap_or(3))}>
                    { choices(1..=u32::from(MAX_NODES.min(9) - 1), u32::from(s.rms), &|n| n.to_string()) }
                </select>
            </label>
        },
    };
    html! {
        <section class="panel checker" aria-labelledby="checker-title">
            <h2 id="checker-title">{"Check every interleaving"}</h2>
            <p class="hint">
                {"Every order in which messages can arrive and timers can fire, breadth first, with the faults you allow: each state is checked against the properties, and a violation comes with the shortest way to it. It runs in a background worker, so the page stays responsive; the scenario's script is not played."}
            </p>
            <div class="checker-form">
                <label class="field"><span>{"Model"}</span>
                    <select aria-label="What to check" disabled={running}
                        onchange={set(|s, v| s.which = if v == "two-phase" { Which::TwoPhase } else { Which::Scenario })}>
                        <option value="scenario" selected={s.which == Which::Scenario}>{ format!("This scenario ({name})") }</option>
                        <option value="two-phase" selected={s.which == Which::TwoPhase}>{"TwoPhase (Gray and Lamport's spec)"}</option>
                    </select>
                </label>
                { size }
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
                <label class="field"><span>{"Depth"}</span>
                    <select aria-label="Events along any path" disabled={running}
                        onchange={set(|s, v| s.depth = v.parse().unwrap_or(0))}>
                        { for [0u32, 8, 12, 16, 24].iter().map(|&d| html! {
                            <option value={d.to_string()} selected={d == s.depth}>{ if d == 0 { "unbounded".to_string() } else { format!("≤ {d} events") } }</option>
                        }) }
                    </select>
                </label>
                if running {
                    <button onclick={on_cancel} aria-label="Cancel the check">{"Cancel"}</button>
                } else {
                    <button class="primary" onclick={on_check} aria-label="Check every interleaving">{"Check"}</button>
                }
            </div>
            <div class="checker-status" aria-live="polite">{ status_view(&status) }</div>
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
            <div><dt>{"time"}</dt><dd>{ format!("{:.1} s", ms / 1000.0) }</dd></div>
        </dl>
    }
}

fn bar(p: &Progress, label: &str) -> Html {
    html! {
        <progress class="checker-bar" max="1" value={format!("{:.3}", fraction(p))} aria-label={label.to_string()} />
    }
}

fn status_view(status: &Status) -> Html {
    match status {
        Status::Idle => html! {},
        Status::Running { progress, ms } => html! {
            <>
                { bar(progress, "Check progress: explored of the states found so far") }
                <p class="checker-line">{"Checking…"}</p>
                { stats(progress, *ms) }
            </>
        },
        Status::Cancelled { progress, ms } => html! {
            <>
                <p class="checker-line">{ format!("Cancelled after {} unique states: nothing failed in those.", grouped(progress.unique as usize)) }</p>
                { stats(progress, *ms) }
            </>
        },
        Status::Failed(e) => {
            html! { <p class="checker-line error" role="alert">{ format!("The check could not run: {e}") }</p> }
        }
        Status::Done { report, ms } => report_view(report, *ms),
    }
}

fn report_view(r: &Report, ms: f64) -> Html {
    let p = &r.progress;
    let verdict = match &r.found {
        Some(f) => html! {
            <div class="checker-found" data-verdict="fails">
                <p class="checker-line"><strong>{ format!("✗ “{}” fails", f.property) }</strong>
                    { format!(" after {} events (no shorter path exists): {}", f.path.len(), f.explanation) }</p>
                <ol class="checker-path" aria-label="The shortest path to the violation">
                    { for f.path.iter().map(|s| html! {
                        <li>
                            <span class="event">{ &s.event }</span>
                            if !s.notes.is_empty() {
                                <ul>{ for s.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                            }
                        </li>
                    }) }
                </ol>
            </div>
        },
        None => {
            let where_ = if r.complete {
                format!("in all {} unique states within the bounds", grouped(p.unique as usize))
            } else {
                format!(
                    "in the {} unique states seen: the page stops at {} (use `caucus check` for more)",
                    grouped(p.unique as usize),
                    grouped(MAX_STATES as usize)
                )
            };
            html! {
                <div class="checker-holds" data-verdict="holds">
                    <p class="checker-line"><strong>{"✓ Nothing fails "}</strong>{ where_ }{"."}</p>
                    <ul class="checker-props">
                        { for r.properties.iter().map(|(name, kind)| {
                            let what = if *kind == PropertyKind::Safety || has_liveness(r) { "holds" } else { "not checked (tick Check liveness)" };
                            html! { <li>{ format!("“{name}”: {what}") }</li> }
                        }) }
                    </ul>
                </div>
            }
        }
    };
    html! {
        <>
            { bar(p, "Check progress") }
            <p class="checker-line bounds">{ format!("{} on {} nodes: {}.", r.scenario, r.nodes, r.bounds) }</p>
            { verdict }
            { for r.notes.iter().map(|n| html! { <p class="checker-line note">{ n }</p> }) }
            { stats(p, ms) }
        </>
    }
}

/// Whether the check that made `r` checked liveness (its bounds say so).
fn has_liveness(r: &Report) -> bool {
    r.bounds.contains("liveness checked")
}
