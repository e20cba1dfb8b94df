//! The balance pack's panel: every backend with its queue, who is serving, its share and what
//! each balancer believes of it; the latency users see over time (p50 and p99 against the
//! target) and as a histogram; and, below, the strategy to restart with and a table comparing
//! every strategy on the same scenario and seed. Compiled only into the balance pack.

use crate::components::stepped::{use_stepped, Job};
use crate::components::{dc_label, fmt_time, node_chip, Part};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::balance::{self, quantile, Balance, Layout, Sample, Strategy, Summary};
use caucus_sim::{Input, Micros, NodeId, Run, Scenario, Sim, Status, View, SEC};
use serde_json::json;
use std::rc::Rc;
use yew::prelude::*;

/// Queued requests drawn one square each; more are written as a number.
const QUEUE_SQUARES: usize = 30;
/// How slow the panel's button makes a backend.
const SLOW_FACTOR: u32 = 10;

#[derive(Properties, PartialEq)]
pub struct BalanceProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below).
    pub part: Part,
}

#[function_component(BalancePanel)]
pub fn balance_panel(p: &BalanceProps) -> Html {
    let run = p.run.0.borrow();
    let Some(r) = run.as_any().downcast_ref::<Run<Balance>>() else {
        return html! {};
    };
    let sim = r.sim();
    let Ok(layout) = Layout::of(sim.topology()) else {
        return html! {};
    };
    let params = sim.params().clone();
    let base = Rc::new(caucus_sim::DynRun::scenario(r).clone());
    if p.part == Part::Rest {
        return html! {
            <>
                <StrategySettings key={format!("s{}", base.name)} base={base.clone()} strategy={params.strategy} dispatch={p.dispatch.clone()} />
                <Compare key={format!("c{}-{}", base.name, base.seed)} base={base.clone()} current={params.strategy} />
            </>
        };
    }
    let summary = balance::summary_of(&View::of(sim), params.strategy, None);
    let samples = samples(sim, &layout);
    html! {
        <div class="figure" data-figure="balance">
            <section class="panel balancep" aria-label="Load balancing: backends, queues and latency">
                <h2>{ params.strategy.title() }<span class="sub">{ headline(&summary, sim, &layout) }</span></h2>
                { backends(sim, &layout, &summary, &p.dispatch) }
                <div class="latency-grid">
                    { over_time(&samples, sim.now(), &params) }
                    { histogram(&samples, &params) }
                </div>
            </section>
        </div>
    }
}

/// The headline: how many requests, answered, failed, and the latency so far.
fn headline(s: &Summary, sim: &Sim<Balance>, layout: &Layout) -> String {
    let waiting: usize = layout
        .clients
        .iter()
        .filter_map(|&c| match sim.state(c) {
            Some(Balance::Client(c)) => Some(c.waiting.len()),
            _ => None,
        })
        .sum();
    let mut text = format!("{} requests · {} answered · {} waiting", s.requests, s.answered, waiting);
    if s.failed > 0 {
        text.push_str(&format!(" · {} failed", s.failed));
    }
    if s.answered > 0 {
        text.push_str(&format!(" · p50 {} · p99 {}", fmt_time(s.p50_us), fmt_time(s.p99_us)));
    }
    if s.amplification_percent > 100 {
        text.push_str(&format!(" · {}% attempts per request", s.amplification_percent));
    }
    text
}

// ---- backends -------------------------------------------------------------------------------

/// What one balancer believes of one backend.
struct Belief {
    balancer: NodeId,
    up: bool,
    in_progress: u32,
    /// The queue in the backend's last load report to it.
    reported: u32,
}

fn beliefs(sim: &Sim<Balance>, layout: &Layout, k: usize) -> Vec<Belief> {
    layout
        .balancers
        .iter()
        .filter_map(|&b| match sim.state(b) {
            Some(Balance::Balancer(s)) => {
                Some(Belief { balancer: b, up: s.healthy[k], in_progress: s.in_progress[k], reported: s.reported[k] })
            }
            _ => None,
        })
        .collect()
}

fn backends(sim: &Sim<Balance>, layout: &Layout, s: &Summary, dispatch: &Callback<Action>) -> Html {
    let t = sim.topology();
    let total: u64 = s.served.iter().sum();
    let shows_reports = sim.params().strategy == Strategy::LeastLoaded;
    let cards = layout.backends.iter().enumerate().map(|(k, &b)| {
        let name = t.nodes[b as usize].name.clone();
        let dc = t.dc_of(b);
        let status = sim.status(b);
        let state = match sim.state(b) {
            Some(Balance::Backend(x)) => Some(x),
            _ => None,
        };
        let (queue, busy, workers, slow) = match state {
            Some(x) => (x.queue.len(), x.in_progress(), x.busy.len(), x.slow),
            None => (0, 0, sim.params().workers as usize, 1),
        };
        let word = match (status, slow) {
            (Status::Up, 1) => "healthy".to_string(),
            (Status::Up, f) => format!("⚠ {f}× slower (gray failure)"),
            (Status::Crashed, _) => format!("✕ {}", status.word()),
            (Status::Paused, _) => format!("‖ {}", status.word()),
            (other, _) => other.word().to_string(),
        };
        let share = (s.served[k] * 100).checked_div(total).unwrap_or(0);
        let believed = beliefs(sim, layout, k);
        let down_by: Vec<String> =
            believed.iter().filter(|x| !x.up).map(|x| t.nodes[x.balancer as usize].name.clone()).collect();
        let squares = (0..queue.min(QUEUE_SQUARES)).map(|_| html! { <span class="sq" /> });
        let more = queue.saturating_sub(QUEUE_SQUARES);
        let queue_label = format!("{name}: {queue} queued, {busy} of {workers} serving");
        let act = |input: Input| dispatch.reform(move |_| Action::Apply(input.clone()));
        let slow_button = if slow > 1 {
            let req = Input::Request { node: b, request: json!("recover") };
            html! { <button class="small" onclick={act(req)} disabled={status != Status::Up} aria-label={format!("Make {name} fast again")}>{"Recover"}</button> }
        } else {
            let req = Input::Request { node: b, request: json!({ "slow": { "factor": SLOW_FACTOR } }) };
            html! { <button class="small" onclick={act(req)} disabled={status != Status::Up} aria-label={format!("Make {name} {SLOW_FACTOR} times slower (a gray failure)")}>{ format!("Slow ×{SLOW_FACTOR}") }</button> }
        };
        let crash_button = if status == Status::Crashed {
            html! { <button class="small" onclick={act(Input::Restart { node: b })} aria-label={format!("Restart {name}")}>{"Restart"}</button> }
        } else {
            html! { <button class="small" onclick={act(Input::Crash { node: b })} disabled={status != Status::Up} aria-label={format!("Crash {name}")}>{"Crash"}</button> }
        };
        let classes = classes!("backend", (status == Status::Crashed).then_some("down"), (slow > 1).then_some("slow"));
        html! {
            <li class={classes} data-node={b.to_string()}>
                <div class="who">{ node_chip(b, &name, Some((dc, &t.datacenters[dc as usize].name))) }<span class="word">{ word }</span></div>
                <div class="queue-bar" role="img" aria-label={queue_label}>
                    <span class="serving" aria-hidden="true">{ format!("{busy}/{workers}") }</span>
                    { for squares }
                    if more > 0 { <span class="more">{ format!("+{more}") }</span> }
                    if queue == 0 && busy == 0 { <span class="idle">{"idle"}</span> }
                </div>
                <div class="counts">
                    { format!("queue {queue} · served {} ({share}%)", s.served[k]) }
                    if let Some(x) = state { if x.rejected > 0 { { format!(" · turned away {}", x.rejected) } } }
                </div>
                <div class="believed">
                    if !sim.params().health_checks {
                        {"no health checks: every balancer believes it up"}
                    } else if down_by.is_empty() {
                        {"✓ up for every balancer"}
                    } else {
                        { format!("✕ down for {}", down_by.join(", ")) }
                    }
                    if shows_reports {
                        <span class="reports">{ format!(" · last reports: {}", believed.iter().map(|x| x.reported.to_string()).collect::<Vec<_>>().join(", ")) }</span>
                    }
                    <span class="visually-hidden">{ format!(" · in progress per balancer: {}", believed.iter().map(|x| format!("{} {}", t.nodes[x.balancer as usize].name, x.in_progress)).collect::<Vec<_>>().join(", ")) }</span>
                </div>
                <div class="row">{ slow_button }{ crash_button }</div>
            </li>
        }
    });
    let balancers = layout.balancers.iter().map(|&b| {
        let dc = t.dc_of(b);
        let region = dc_label(dc, &t.datacenters[dc as usize].name);
        let sent = match sim.state(b) {
            Some(Balance::Balancer(x)) => x.sent.iter().sum::<u64>(),
            _ => 0,
        };
        format!("{} ({region}) sent {sent}", t.nodes[b as usize].name)
    });
    html! {
        <>
            <p class="hint balancers">{ format!("Balancers: {}.", balancers.collect::<Vec<_>>().join(" · ")) }</p>
            <ul class="backends" data-row="backends" aria-label="Backends: queue, share and what the balancers believe">{ for cards }</ul>
        </>
    }
}

// ---- latency --------------------------------------------------------------------------------

/// Every client's answered requests (their local times; the clocks drift by milliseconds).
fn samples(sim: &Sim<Balance>, layout: &Layout) -> Vec<Sample> {
    let mut all: Vec<Sample> = layout
        .clients
        .iter()
        .filter_map(|&c| match sim.state(c) {
            Some(Balance::Client(c)) => Some(c.samples.iter().copied()),
            _ => None,
        })
        .flatten()
        .collect();
    all.sort_by_key(|s| s.at_us);
    all
}

/// Plot of latency over time: left margin, plot width and height, top margin.
const PX: i64 = 52;
const PW: i64 = 340;
const PH: i64 = 150;
const PT: i64 = 12;

/// p50 and p99 of each second, against the target.
fn over_time(samples: &[Sample], now: Micros, params: &balance::Params) -> Html {
    let seconds = (now / SEC + 1).max(5);
    let mut per: Vec<Vec<Micros>> = vec![Vec::new(); seconds as usize];
    for s in samples {
        if let Some(v) = per.get_mut((s.at_us / SEC) as usize) {
            v.push(s.latency_us);
        }
    }
    let points: Vec<(u64, Micros, Micros)> = per
        .iter_mut()
        .enumerate()
        .filter(|(_, v)| !v.is_empty())
        .map(|(i, v)| (i as u64, quantile(v, 500).unwrap_or(0), quantile(v, 990).unwrap_or(0)))
        .collect();
    let top = points.iter().map(|p| p.2).max().unwrap_or(0).max(params.p99_target_us * 5 / 4);
    // A round scale: 0.5, 1, 2 or 5 times a power of ten milliseconds.
    let mut scale: Micros = 100_000;
    while scale < top {
        scale = match scale.to_string().as_bytes()[0] {
            b'1' => scale * 2,
            b'2' => scale * 5 / 2,
            _ => scale * 2,
        };
    }
    let x = |sec: u64| PX + (sec as i64 * 2 + 1) * PW / (seconds as i64 * 2);
    let y = |us: Micros| PT + PH - (us.min(scale) as i64 * PH / scale as i64);
    let line = |pick: fn(&(u64, Micros, Micros)) -> Micros| {
        points.iter().map(|p| format!("{},{}", x(p.0), y(pick(p)))).collect::<Vec<_>>().join(" ")
    };
    let target_y = y(params.p99_target_us);
    let ticks = [0, scale / 2, scale].map(|v| {
        html! {
            <g>
                <line class="grid" x1={PX.to_string()} x2={(PX + PW).to_string()} y1={y(v).to_string()} y2={y(v).to_string()} />
                <text class="axis" x={(PX - 4).to_string()} y={(y(v) + 4).to_string()} text-anchor="end">{ if v == 0 { "0".to_string() } else { fmt_time(v) } }</text>
            </g>
        }
    });
    let last = points.last();
    let label = match last {
        Some(p) => format!(
            "Latency over time, per second: the last second's p50 {}, p99 {}; target {}",
            fmt_time(p.1),
            fmt_time(p.2),
            fmt_time(params.p99_target_us)
        ),
        None => "Latency over time: no request answered yet".to_string(),
    };
    let time_ticks = (0..=seconds).step_by(if seconds > 10 { 5 } else { 1 }).map(|s| {
        let tx = PX + s as i64 * PW / seconds as i64;
        html! { <text class="axis" x={tx.to_string()} y={(PT + PH + 16).to_string()} text-anchor="middle">{ format!("{s} s") }</text> }
    });
    html! {
        <figure class="chart over-time" data-row="latency">
            <svg viewBox={format!("0 0 {} {}", PX + PW + 40, PT + PH + 24)} role="img" aria-label={label}>
                { for ticks }
                { for time_ticks }
                <line class="target" x1={PX.to_string()} x2={(PX + PW).to_string()} y1={target_y.to_string()} y2={target_y.to_string()} />
                <text class="axis target-label" x={(PX + PW + 2).to_string()} y={(target_y + 4).to_string()}>{"target"}</text>
                <polyline class="p99" points={line(|p| p.2)} />
                <polyline class="p50" points={line(|p| p.1)} />
                if let Some(p) = last {
                    <text class="end-label" x={(x(p.0) + 4).to_string()} y={(y(p.2) - 3).to_string()}>{"p99"}</text>
                    <text class="end-label" x={(x(p.0) + 4).to_string()} y={(y(p.1) + 12).to_string()}>{"p50"}</text>
                }
            </svg>
            <figcaption>{ format!("Latency users see, per second of simulated time: the median (p50, solid) and the 99th percentile (p99, dashed), against the p99 target of {} (dotted). Scale to {}.", fmt_time(params.p99_target_us), fmt_time(scale)) }</figcaption>
        </figure>
    }
}

/// Histogram buckets: upper edges (the last is open).
const EDGES: [Micros; 6] = [50_000, 100_000, 200_000, 500_000, SEC, 2 * SEC];

fn histogram(samples: &[Sample], params: &balance::Params) -> Html {
    let mut counts = [0usize; EDGES.len() + 1];
    for s in samples {
        let i = EDGES.iter().position(|&e| s.latency_us < e).unwrap_or(EDGES.len());
        counts[i] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(0).max(1);
    let label = |i: usize| match i {
        0 => format!("< {}", fmt_time(EDGES[0])),
        i if i == EDGES.len() => format!("≥ {}", fmt_time(EDGES[i - 1])),
        i => format!("{} – {}", fmt_time(EDGES[i - 1]), fmt_time(EDGES[i])),
    };
    let rows = counts.iter().enumerate().map(|(i, &n)| {
        let width = n * 100 / most;
        let over = i > 0 && EDGES[i - 1] >= params.p99_target_us;
        html! {
            <tr class={classes!(over.then_some("over"))}>
                <th scope="row">{ label(i) }{ if over { " ⚠" } else { "" } }</th>
                <td class="bar"><span style={format!("width:{width}%")} /></td>
                <td class="num">{ n }</td>
            </tr>
        }
    });
    html! {
        <figure class="chart histogram" data-row="histogram">
            <table class="state-table hist" aria-label="Latency histogram: answered requests per latency range">
                <thead><tr><th scope="col">{"latency"}</th><th scope="col"><span class="visually-hidden">{"bar"}</span></th><th scope="col">{"requests"}</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
            <figcaption>{ format!("Every answered request so far ({}), by latency; ⚠ at or past the target.", samples.len()) }</figcaption>
        </figure>
    }
}

// ---- switching strategies -------------------------------------------------------------------

/// `base` with `strategy`, renamed as edited when it is not the scenario's own.
fn with_strategy(base: &Scenario, strategy: Strategy) -> Scenario {
    let mut scenario = base.clone();
    let mut params = match scenario.protocol.params.clone() {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    params.insert("strategy".into(), json!(strategy.word()));
    scenario.protocol.params = serde_json::Value::Object(params);
    if !scenario.name.ends_with("-edited") {
        scenario.name = format!("{}-edited", scenario.name);
        scenario.description = format!("With another strategy. Originally: {}", scenario.description);
    }
    scenario
}

#[derive(Properties, PartialEq)]
struct SettingsProps {
    base: Rc<Scenario>,
    strategy: Strategy,
    dispatch: Callback<Action>,
}

/// Restarts the scenario with another strategy (same topology, seed, workload and faults).
#[function_component(StrategySettings)]
fn strategy_settings(p: &SettingsProps) -> Html {
    let strategy = use_state(|| p.strategy);
    let on_change = {
        let strategy = strategy.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(x) = Strategy::ALL.into_iter().find(|x| x.word() == v) {
                strategy.set(x);
            }
        })
    };
    let apply = {
        let (chosen, base) = (*strategy, p.base.clone());
        p.dispatch.reform(move |_| match caucus_protocols::build(&with_strategy(&base, chosen)) {
            Ok(run) => Action::Load(run, Banner::info(format!("Restarted with {}.", chosen.title()))),
            Err(e) => Action::SetBanner(Banner::error(format!("This strategy cannot run here: {e}"))),
        })
    };
    html! {
        <details class="panel settings">
            <summary>{"Strategy"}</summary>
            <div class="row">
                <label class="field"><span>{"Strategy"}</span>
                    <select aria-label="Strategy" onchange={on_change}>
                        { for Strategy::ALL.iter().map(|s| html! { <option value={s.word()} selected={*s == *strategy}>{ s.title() }</option> }) }
                    </select></label>
                <button onclick={apply}>{"Restart with this strategy"}</button>
            </div>
            <p class="hint">{"Same topology, seed, workload and faults: only how the balancers pick a backend changes."}</p>
        </details>
    }
}

// ---- comparing strategies -------------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct CompareProps {
    base: Rc<Scenario>,
    current: Strategy,
}

/// Every strategy on this scenario and seed, run to its end without a trace, one per turn of
/// the event loop so that the page stays responsive.
#[function_component(Compare)]
fn compare(p: &CompareProps) -> Html {
    let job: Job<Summary> = {
        let base = p.base.clone();
        Rc::new(move |i| {
            let strategy = Strategy::ALL[i];
            balance::summarize(&base, base.seed, strategy).map_err(|e| format!("{} cannot run: {e}", strategy.title()))
        })
    };
    let (progress, start) = use_stepped(Strategy::ALL.len(), job);
    let state = progress.borrow();
    let running = state.running();
    let table = if let Some(e) = &state.error {
        html! { <p class="why" role="alert">{ e }</p> }
    } else if !state.started {
        html! {}
    } else {
        let body = state.rows.iter().map(|r| {
            let total: u64 = r.served.iter().sum();
            let busiest = r.served.iter().copied().max().unwrap_or(0);
            let share = (busiest * 100).checked_div(total).unwrap_or(0);
            let outcome = match &r.violation {
                Some(v) => format!("⚠ {v} fails"),
                None => "✓ every property holds".to_string(),
            };
            html! {
                <tr class={classes!(r.violation.is_some().then_some("bad"), (r.strategy == p.current).then_some("current"))}>
                    <th scope="row">{ r.strategy.title() }{ if r.strategy == p.current { " (this run)" } else { "" } }</th>
                    <td class="num">{ fmt_time(r.p50_us) }</td>
                    <td class="num">{ fmt_time(r.p99_us) }</td>
                    <td class="num">{ r.max_queue }</td>
                    <td class="num">{ format!("{share}%") }</td>
                    <td class="num">{ r.failed + r.rejected }</td>
                    <td class="num">{ format!("{}%", r.amplification_percent) }</td>
                    <td>{ outcome }</td>
                </tr>
            }
        });
        html! {
            <div class="scroll"><table class="state-table compare" data-row="compare">
                <caption>{ format!("{} run to {} with seed {}, its workload and its faults, once per strategy, without a trace. The busiest backend's share is fair at {}%; attempts above 100% are retries.", p.base.name, fmt_time(p.base.until_us), p.base.seed, state.rows.first().map_or(0, |r| 100 / r.served.len().max(1))) }</caption>
                <thead><tr>
                    <th scope="col">{"strategy"}</th><th scope="col">{"p50"}</th><th scope="col">{"p99"}</th>
                    <th scope="col">{"longest queue"}</th><th scope="col">{"busiest backend's share"}</th>
                    <th scope="col">{"failed or turned away"}</th><th scope="col">{"attempts per request"}</th><th scope="col">{"properties"}</th>
                </tr></thead>
                <tbody>{ for body }</tbody>
            </table></div>
        }
    };
    html! {
        <section class="panel compare-panel" aria-label="Compare the strategies">
            <h2>{"Compare the strategies on this run"}</h2>
            <p class="hint">{"The same seed, workload and faults under each strategy: the median and the tail, the longest queue, how evenly the work spread, and what failed."}</p>
            <button onclick={start} disabled={running}>{"Compare strategies"}</button>
            if running {
                <span class="hint" role="status">{ format!(" running {} of {}…", state.rows.len() + 1, Strategy::ALL.len()) }</span>
            }
            { table }
        </section>
    }
}
