//! "Raft paper, Figure 16" on the Raft page (issue 15): every line of the paper's two graphs
//! (`raft::FIGURE_16`), run as crash-the-leader trials in slices so that the page never stops,
//! drawn as cumulative distributions, with the paper's figures beside ours.

use crate::components::election::{run_slices, Progress as Line, SliceTimer, TRIAL_LIMIT_US};
use crate::components::{fmt_time, grouped};
use caucus_protocols::raft::{self, Figure16Line, Published, FIGURE_16};
use caucus_sim::{decimal, Micros, Scenario, MS};
use std::fmt::Write;
use std::rc::Rc;
use yew::prelude::*;

/// Why the model is slower than the paper where it is (kept in one place, to update as the model
/// improves).
pub const WHY_SLOWER: &str = "this scenario's servers lack what the paper's had: a disk write in every vote (about 15 ms for a vote's round trip) and the timing noise of real clocks and processing. Without them, servers whose timeouts are close time out together, split the vote and try again. raft-figure-16 has them, and matches the paper within 1.5x.";

/// How often the graphs and the table are drawn again while the trials run, in real milliseconds.
const REDRAW_MS: f64 = 150.0;

/// Ours within this factor of the paper (either way) counts as matching it.
const CLOSE: f64 = 1.5;
/// [`CLOSE`] in words (formatting a float would cost the bundle its float machinery).
const CLOSE_TEXT: &str = "1.5x";

/// Each line's colour and dash pattern, by its index in `FIGURE_16` (150-300 ms, in both graphs,
/// looks the same in both). Colours differ within a graph, and so do dashes: colour is never the
/// only signal; no two lines of the table look the same.
const STYLE: [(&str, &str); 10] = [
    ("#64748b", "2 3"),
    ("#b91c1c", "9 3 2 3"),
    ("#b45309", "7 4"),
    ("#047857", "3 2"),
    ("#7e22ce", "12 3 3 3"),
    ("#1d4ed8", ""),
    ("#be185d", "2 3"),
    ("#0e7490", "7 4"),
    ("#b45309", "9 3 2 3"),
    ("#4d7c0f", "6 2 2 2"),
];

#[derive(Default)]
struct Figure {
    lines: Vec<Line>,
    total: u64,
    done: u64,
    stopped: bool,
    error: Option<String>,
    /// Trial k of every line runs with seed `seed + k`.
    seed: u64,
    started_ms: f64,
    took_ms: f64,
}

impl Figure {
    fn running(&self) -> bool {
        self.done < self.total && self.error.is_none() && !self.stopped
    }
}

#[derive(Properties, PartialEq)]
pub struct Figure16Props {
    pub base: Rc<Scenario>,
    /// The run's parameters: every line runs on them with its own timeouts.
    pub params: raft::Params,
}

#[function_component(Figure16)]
pub fn figure_16(p: &Figure16Props) -> Html {
    let fig = use_mut_ref(Figure::default);
    // The graphs and the table as last drawn, and when: while the trials run they are drawn again
    // every [`REDRAW_MS`] (the bar and its count every slice), which keeps the slices' frames short.
    let drawn = use_mut_ref(|| (f64::MIN, Html::default()));
    let timer: SliceTimer = use_mut_ref(|| None);
    let redraw = use_state(|| 0u64);
    {
        // Leaving the page's scenario stops the run.
        let timer = timer.clone();
        use_effect_with((), move |_| move || drop(timer.borrow_mut().take()));
    }
    let start = {
        let (base, params) = (p.base.clone(), p.params.clone());
        let (fig, timer, redraw) = (fig.clone(), timer.clone(), redraw.clone());
        Callback::from(move |_| {
            let runs: Vec<Scenario> = FIGURE_16
                .iter()
                .map(|line| {
                    let mut s = (*base).clone();
                    let mut json = serde_json::to_value(&params).unwrap_or_default();
                    raft::set_timeouts(&mut json, line.min_ms * MS, line.max_ms * MS);
                    s.protocol.params = json;
                    s.script.clear();
                    s
                })
                .collect();
            *fig.borrow_mut() = Figure {
                lines: FIGURE_16.iter().map(|l| Line { total: l.trials, ..Line::default() }).collect(),
                total: FIGURE_16.iter().map(|l| l.trials).sum(),
                seed: base.seed,
                started_ms: crate::browser::now_ms(),
                ..Figure::default()
            };
            let fig = fig.clone();
            run_slices(Box::new(move || trial(&runs, &mut fig.borrow_mut())), timer.clone(), redraw.clone());
        })
    };
    let stop = {
        let (fig, timer, redraw) = (fig.clone(), timer.clone(), redraw.clone());
        Callback::from(move |_| {
            timer.borrow_mut().take();
            fig.borrow_mut().stopped = true;
            redraw.set(*redraw + 1);
        })
    };

    let f = fig.borrow();
    let running = f.running();
    let current = current(&f);
    let (done, total) = (grouped(f.done as usize), grouped(f.total as usize));
    let status = match current {
        _ if f.error.is_some() => String::new(),
        Some(i) if running => format!(" {done} of {total} trials · line {} of 10, {}", i + 1, range(&FIGURE_16[i])),
        _ if f.stopped => format!(" Stopped after {done} of {total} trials."),
        _ => format!(" {done} trials in {} s.", decimal(f.took_ms / 1000.0, 1)),
    };
    let now = crate::browser::now_ms();
    if f.total > 0 && (!running || now - drawn.borrow().0 >= REDRAW_MS) {
        *drawn.borrow_mut() = (now, body(&f, current));
    }
    let ours = p.base.name == "raft-figure-16";
    let setup = if ours {
        "this scenario, the paper's setup (five servers, a broadcast time of about 15 ms)".to_string()
    } else {
        format!("the loaded scenario, {} (its topology and parameters)", p.base.name)
    };
    html! {
        <section class="panel fig16" aria-label="Raft paper, Figure 16">
            // Static text as markup: two elements fewer for `html!` to build (84 B gzip).
            { Html::from_html_unchecked(AttrValue::Static(r#"<h2>Raft paper, Figure 16</h2><p class="hint">In section 9.3 of the Raft paper, Ongaro and Ousterhout crashed the leader of a five-server cluster at a random moment within its heartbeat interval, 1,000 times for each of several election timeout ranges, and measured how long the cluster went without a leader.</p>"#)) }
            <p class="hint">{"It runs on "}{ setup }{", each line with its own timeout range and a heartbeat of half its minimum, as in the paper."}
                if !ours { {" The paper's setup is "}<a href="?s=raft-figure-16">{"raft-figure-16"}</a>{"."} }
            </p>
            <div class="row">
                <button onclick={if running { stop } else { start }}>{ if running { "Stop" } else { "Reproduce Figure 16" } }</button>
                if f.total > 0 {
                    <progress max={f.total.to_string()} value={f.done.to_string()} aria-label="Figure 16 trials done">{ format!("{} of {}", f.done, f.total) }</progress>
                    <span class="hint">{ status }</span>
                }
            </div>
            if let Some(e) = &f.error { <p class="why" role="alert">{ e }</p> }
            if f.total > 0 { { drawn.borrow().1.clone() } }
        </section>
    }
}

/// The first line with trials still to run.
fn current(f: &Figure) -> Option<usize> {
    f.lines.iter().position(|l| l.done < l.total)
}

/// Runs the next trial of the first unfinished line; `false` once there is no more to run.
fn trial(runs: &[Scenario], f: &mut Figure) -> bool {
    let Some(i) = current(f).filter(|_| f.running()) else {
        return false;
    };
    crate::components::election::trial(&runs[i], &mut f.lines[i]);
    if let Some(e) = f.lines[i].error.take() {
        f.error = Some(e);
        return false;
    }
    f.done += 1;
    if !f.running() {
        f.took_ms = crate::browser::now_ms() - f.started_ms;
    }
    f.running()
}

/// The trials' limit in words: `30 s`.
fn limit() -> String {
    format!("{} s", TRIAL_LIMIT_US / caucus_sim::SEC)
}

fn range(line: &Figure16Line) -> String {
    format!("{}–{} ms", line.min_ms, line.max_ms)
}

/// The median, counting a trial without a new leader as longer than any.
fn median(l: &Line) -> String {
    match l.times.get(l.done as usize / 2) {
        Some(&t) => fmt_time(t),
        None => format!("over {}", limit()),
    }
}

// ---- the graphs --------------------------------------------------------------------------------
//
// Written as SVG markup rather than `html!`: two graphs of ticks, grid lines, eleven lines and
// their titles cost a fraction of the bytes as text. Every string in them is ours (ranges,
// numbers, the paper's words from `FIGURE_16`): nothing from a scenario is written unescaped.

/// The plot in viewBox units: width, height and margins (left, right, top, bottom).
const W: f64 = 360.0;
const H: f64 = 230.0;
const LEFT: f64 = 40.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 40.0;

/// The x axis in milliseconds: the top graph's is logarithmic as in the paper (up to the trials'
/// limit), the bottom one's linear from 0 to 600 ms.
struct Axis {
    log: bool,
    lo: f64,
    hi: f64,
}

impl Axis {
    fn x(&self, ms: f64) -> f64 {
        let f = if self.log {
            (ms.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (ms - self.lo) / (self.hi - self.lo)
        };
        LEFT + crate::components::clamp(f, 0.0, 1.0) * (W - LEFT - RIGHT)
    }
}

fn y(fraction: f64) -> f64 {
    H - BOTTOM - crate::components::clamp(fraction, 0.0, 1.0) * (H - BOTTOM - TOP)
}

/// `x,y ` with one decimal each.
fn point(out: &mut String, x: f64, y: f64) {
    let _ = write!(out, "{},{} ", decimal(x, 1), decimal(y, 1));
}

/// The cumulative distribution of a line as polyline points: a step per trial (steps closer than
/// a unit merged), flat from its last trial within the axis to the right edge.
fn cdf(out: &mut String, l: &Line, axis: &Axis) {
    let n = l.done.max(1) as f64;
    let mut last = (LEFT, y(0.0));
    point(out, last.0, last.1);
    let mut level = last.1;
    for (i, &t) in l.times.iter().enumerate() {
        let ms = t as f64 / MS as f64;
        if ms > axis.hi {
            break;
        }
        let x = axis.x(ms);
        for yy in [level, y((i + 1) as f64 / n)] {
            if (x - last.0).abs() >= 0.6 || (yy - last.1).abs() >= 0.6 {
                point(out, x, yy);
                last = (x, yy);
            }
        }
        level = y((i + 1) as f64 / n);
    }
    point(out, W - RIGHT, level);
}

/// Where the paper's figure for a line sits on its graph, if it is a point of the distribution:
/// a median at 50%, a longest trial at 100%.
fn paper_point(p: Published) -> Option<(f64, f64)> {
    match p {
        Published::Median { ms } | Published::Longer { ms } => Some((ms as f64, 0.5)),
        Published::Worst { ms } | Published::Mean { longest_ms: ms, .. } => Some((ms as f64, 1.0)),
        Published::Graph => None,
    }
}

/// A line's sample for a legend or the table.
fn swatch(i: usize) -> String {
    let (colour, dash) = STYLE[i];
    format!(
        r#"<svg class="key" width="30" height="10" aria-hidden="true"><line x1="0" y1="5" x2="30" y2="5" stroke="{colour}" stroke-dasharray="{dash}" stroke-width="2.5"/></svg>"#
    )
}

/// What a line shows so far, in words: for its title, the graph's label and its legend.
fn state(f: &Figure, i: usize) -> String {
    let (l, spec) = (&f.lines[i], &FIGURE_16[i]);
    if l.done == 0 {
        return "not run yet".into();
    }
    let so_far = if l.done < spec.trials {
        format!(" (after {} of {} trials)", grouped(l.done as usize), grouped(spec.trials as usize))
    } else {
        String::new()
    };
    if l.times.is_empty() {
        format!("no leader within {} in any of {} trials{so_far}", limit(), l.done)
    } else {
        format!("median {}{so_far}", median(l))
    }
}

/// Both graphs, top (the randomness varies) then bottom (the minimum varies), and the table.
fn body(f: &Figure, current: Option<usize>) -> Html {
    let mut out = String::from(r#"<div class="fig16-graphs">"#);
    for top in [true, false] {
        graph(&mut out, top, f, current);
    }
    out.push_str("</div>");
    table(&mut out, f);
    Html::from_html_unchecked(AttrValue::from(out))
}

fn graph(out: &mut String, top: bool, f: &Figure, current: Option<usize>) {
    let axis = if top {
        Axis { log: true, lo: 75.0, hi: (TRIAL_LIMIT_US / MS) as f64 }
    } else {
        Axis { log: false, lo: 0.0, hi: 600.0 }
    };
    let ticks: &[(f64, &str)] = if top {
        &[(100.0, "100 ms"), (300.0, "300 ms"), (1e3, "1 s"), (3e3, "3 s"), (1e4, "10 s"), (3e4, "30 s")]
    } else {
        &[(0.0, "0"), (100.0, "100"), (200.0, "200"), (300.0, "300"), (400.0, "400"), (500.0, "500"), (600.0, "600")]
    };
    let members: Vec<usize> =
        (0..FIGURE_16.len()).filter(|&i| if top { FIGURE_16[i].top } else { FIGURE_16[i].bottom }).collect();
    let (name, what, x_title) = if top {
        ("Top graph", "the randomness varies (150–150 to 150–300 ms)", "time without a leader (log scale)")
    } else {
        ("Bottom graph", "the minimum varies (12–24 to 150–300 ms)", "time without a leader (ms)")
    };
    let summary = members.iter().map(|&i| format!("{}: {}", range(&FIGURE_16[i]), state(f, i))).collect::<Vec<_>>();
    let _ = write!(
        out,
        r#"<figure class="cdf" data-graph="{}"><figcaption>{name}: {what}.</figcaption><svg viewBox="0 0 360 230" role="img" aria-label="{name} of Figure 16, cumulative percent of trials against {x_title}. {}.">"#,
        if top { "top" } else { "bottom" },
        summary.join("; ")
    );
    // The grid, the axes and their labels, in the plot's own numbers (LEFT 40, W - RIGHT 344, TOP 10,
    // H - BOTTOM 190: y = 190 - 1.8 x percent).
    for pc in [0u32, 25, 50, 75, 100] {
        let yy = 190 - pc * 9 / 5;
        let _ = write!(
            out,
            r#"<path class="grid" d="M40 {yy}H344"/><text x="36" y="{}" text-anchor="end">{pc}%</text>"#,
            yy + 4
        );
    }
    for &(ms, label) in ticks {
        let x = decimal(axis.x(ms), 1);
        let _ = write!(
            out,
            r#"<path class="grid" d="M{x} 10V190"/><text x="{x}" y="206" text-anchor="middle">{label}</text>"#
        );
    }
    let _ = write!(
        out,
        r#"<path class="axis" d="M40 10V190H344"/><text x="192" y="224" text-anchor="middle">{x_title}</text>"#
    );
    // The lines, then the paper's figures over them.
    for (k, &i) in members.iter().enumerate() {
        if f.lines[i].done == 0 {
            continue;
        }
        let (colour, dash) = STYLE[i];
        let _ = write!(out, r#"<polyline stroke="{colour}" stroke-dasharray="{dash}" points=""#);
        cdf(out, &f.lines[i], &axis);
        let _ = write!(out, r#""><title>{}</title></polyline>"#, summary[k]);
    }
    for &i in &members {
        if let Some((ms, fraction)) = paper_point(FIGURE_16[i].published) {
            let _ = write!(
                out,
                r#"<circle cx="{}" cy="{}" r="4" stroke="{}"><title>The paper, {}: {}</title></circle>"#,
                decimal(axis.x(ms), 1),
                decimal(y(fraction), 1),
                STYLE[i].0,
                range(&FIGURE_16[i]),
                FIGURE_16[i].published.describe()
            );
        }
    }
    out.push_str(r#"</svg><ul class="legend">"#);
    for &i in &members {
        let note = match current {
            Some(c) if c == i && f.running() => " (running)",
            _ if f.lines[i].done == 0 => " (not run yet)",
            _ if f.lines[i].times.is_empty() => " (no leader: flat at 0%)",
            _ => "",
        };
        let _ = write!(out, "<li>{}{}{note}</li>", swatch(i), range(&FIGURE_16[i]));
    }
    out.push_str(r##"<li><svg class="key" width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" stroke="#475569"/></svg>the paper's figure</li></ul></figure>"##);
}

// ---- the table -----------------------------------------------------------------------------------

/// Ours against the paper for a line with a published figure: the text, and whether ours is more
/// than [`CLOSE`] times slower (then [`WHY_SLOWER`] applies).
fn verdict(spec: &Figure16Line, l: &Line) -> (String, bool) {
    let Some((paper, ours)) = spec.published.compare(&l.times, l.done as usize) else {
        return (if l.done == 0 { String::new() } else { "–".into() }, false);
    };
    if matches!(spec.published, Published::Longer { .. }) {
        let holds = if ours > paper { "holds" } else { "does not hold" };
        return (format!("{holds}: median {}", median(l)), false);
    }
    if !ours.is_finite() || paper <= 0.0 {
        return (format!("some trials elected no leader within {}: more than {CLOSE_TEXT} slower", limit()), true);
    }
    let r = ours / paper;
    let text = format!("{}x", decimal(r, 2));
    if r > CLOSE {
        (format!("{text}: more than {CLOSE_TEXT} slower (why: below)"), true)
    } else if r * CLOSE < 1.0 {
        (format!("{text}: more than {CLOSE_TEXT} faster"), false)
    } else {
        (format!("{text}: within {CLOSE_TEXT}"), false)
    }
}

fn table(out: &mut String, f: &Figure) {
    let dash = || "–".to_string();
    out.push_str(r#"<div class="table-wrap"><table><caption>Ours beside the paper's figures</caption><thead><tr>"#);
    let no_leader = format!("No leader within {}", limit());
    for h in ["Timeouts", "Trials", "Median", "Mean", "Longest", &no_leader, "The paper", "Ours / the paper"] {
        let _ = write!(out, r#"<th scope="col">{h}</th>"#);
    }
    out.push_str("</tr></thead><tbody>");
    let mut slower = Vec::new();
    for (i, (spec, l)) in FIGURE_16.iter().zip(&f.lines).enumerate() {
        let (ours, off) = verdict(spec, l);
        if off {
            slower.push(range(spec));
        }
        let elected = l.times.len() as u64;
        let failed = grouped((l.done - elected) as usize);
        let cells = if l.done == 0 {
            [grouped(spec.trials as usize), dash(), dash(), dash(), dash(), spec.published.describe(), ours]
        } else {
            [
                if l.done < spec.trials {
                    format!("{} of {}", grouped(l.done as usize), grouped(spec.trials as usize))
                } else {
                    grouped(l.done as usize)
                },
                median(l),
                l.times.iter().sum::<Micros>().checked_div(elected).map_or_else(dash, fmt_time),
                l.times.last().map_or_else(dash, |&t| fmt_time(t)),
                if l.no_first > 0 {
                    format!("{failed} ({} without a first leader)", grouped(l.no_first as usize))
                } else {
                    failed
                },
                spec.published.describe(),
                ours,
            ]
        };
        let _ = write!(out, r#"<tr><th scope="row">{}{}</th>"#, swatch(i), range(spec));
        for c in cells {
            let _ = write!(out, "<td>{c}</td>");
        }
        out.push_str("</tr>");
    }
    let _ = write!(
        out,
        r#"</tbody></table></div><p class="hint">The median counts a trial without a new leader as longer than any; mean and longest are of the trials that elected one. Trial k of a line uses seed {} + k and gives up after {} without a leader.</p>"#,
        f.seed,
        limit()
    );
    if !slower.is_empty() {
        let _ = write!(
            out,
            r#"<p class="why">Why {} {} more than {CLOSE_TEXT} slower than the paper: {WHY_SLOWER}</p>"#,
            slower.join(", "),
            if slower.len() == 1 { "is" } else { "are" }
        );
    }
}
