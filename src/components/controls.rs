//! Play, pause, step, step back, reset, speed, the timeline scrubber with the run's key moments,
//! and the button that opens the faults drawer.

use crate::components::fmt_time;
use crate::state::{Action, Snapshot, SPEED_MAX, SPEED_MIN};
use caucus_sim::{DynRun, Micros, Moment, MomentKind};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub snapshot: Rc<Snapshot>,
    pub playing: bool,
    pub speed_log10: f64,
    pub view_time: Micros,
    pub timeline: Rc<Timeline>,
    /// The run is still being computed ahead: the timeline is growing.
    pub computing: bool,
    pub drawer: bool,
    pub dispatch: Callback<Action>,
}

/// Marks drawn on the timeline at most; past this, routine ones are thinned.
const MAX_MARKS: usize = 160;

/// The whole recorded run as the timeline shows it: its length and its key moments.
#[derive(Clone, PartialEq)]
pub struct Timeline {
    pub head: u64,
    pub moments: Vec<Moment>,
}

impl Timeline {
    pub fn of(run: &dyn DynRun) -> Timeline {
        Timeline { head: run.head(), moments: run.moments().to_vec() }
    }

    /// The moments worth a mark: every one when they fit, else all but role changes plus an
    /// even share of those.
    fn marks(&self) -> Vec<&Moment> {
        if self.moments.len() <= MAX_MARKS {
            return self.moments.iter().collect();
        }
        let keep = |m: &Moment| m.kind != MomentKind::Role;
        let rare = self.moments.iter().filter(|m| keep(m)).count();
        let roles = self.moments.len() - rare;
        let every = roles.div_ceil(MAX_MARKS.saturating_sub(rare).max(1)).max(1);
        let mut k = 0;
        self.moments
            .iter()
            .filter(|m| {
                if keep(m) {
                    return true;
                }
                k += 1;
                (k - 1) % every == 0
            })
            .collect()
    }
}

fn moment_glyph(kind: &MomentKind) -> (&'static str, &'static str, &'static str) {
    match kind {
        MomentKind::Script => ("script", "◆", "scripted fault"),
        MomentKind::ByHand => ("by-hand", "●", "input by hand"),
        MomentKind::Violation => ("violation", "✗", "property fails"),
        MomentKind::Role => ("role", "▲", "change of role"),
    }
}

/// `1/30×`, `2×`: a speed for people.
pub fn speed_label(log10: f64) -> String {
    let v = 10f64.powf(log10);
    if v >= 1.0 {
        format!("{}×", caucus_sim::decimal(v, 1).trim_end_matches(".0"))
    } else {
        format!("1/{}×", (1.0 / v).round() as u64)
    }
}

#[function_component(Controls)]
pub fn controls(p: &ControlsProps) -> Html {
    let s = &p.snapshot;
    let d = &p.dispatch;
    let on_speed = d.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        // valueAsNumber: the browser parses, so the bundle needs no float parser.
        Action::SetSpeed(input.value_as_number())
    });
    let on_scrub = d.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        Action::Seek(input.value().parse().unwrap_or(0))
    });
    let play_label = if p.playing { "Pause" } else { "Play" };
    let tl = &p.timeline;
    // While playing, the scale is the timeline's (refreshed with the panels): the run computed
    // ahead grows the head every frame, and every mark moved with it.
    let head = tl.head.max(if p.playing { s.cursor } else { s.head });
    let at_end = s.cursor == head;
    let marks = tl.marks().into_iter().map(|m| {
        let step = m.step;
        let (class, glyph, kind) = moment_glyph(&m.kind);
        let label = format!("{} · step {step} · {kind}", m.label);
        let left = format!("left: {}%", caucus_sim::decimal(step.min(head) as f64 * 100.0 / head.max(1) as f64, 2));
        let here = step == s.cursor;
        html! {
            <button class={classes!("mark", class, here.then_some("here"))} style={left} title={label.clone()} aria-label={label}
                tabindex="-1" onclick={d.reform(move |_| Action::Seek(step))}>{ glyph }</button>
        }
    });
    let next = tl.moments.iter().find(|m| m.step > s.cursor);
    let prev = tl.moments.iter().rfind(|m| m.step < s.cursor);
    let next_title = next.map_or("No later moment".to_string(), |m| format!("Next moment (]): {}", m.label));
    let prev_title = prev.map_or("No earlier moment".to_string(), |m| format!("Previous moment ([): {}", m.label));
    html! {
        <section class="controls" aria-label="Playback controls">
            <div class="buttons">
                <button aria-label="Reset the run" title="Reset" onclick={d.reform(|_| Action::Reset)}>{"↺ Reset"}</button>
                <button aria-label="Previous moment" title={prev_title} disabled={prev.is_none()}
                    onclick={d.reform(|_| Action::PrevMoment)}>{"‹ Moment"}</button>
                <button aria-label="Step back" title="Step back (←)" disabled={s.cursor == 0}
                    onclick={d.reform(|_| Action::Back)}>{"◀ Back"}</button>
                <button class="primary" aria-label={play_label} title={format!("{play_label} (Space)")} aria-pressed={p.playing.to_string()}
                    onclick={d.reform(|_| Action::TogglePlay)}>{ if p.playing { "‖ Pause" } else { "▶ Play" } }</button>
                <button aria-label="Step forward" title="Step: apply the next event (→)"
                    onclick={d.reform(|_| Action::Step)}>{"Step ▶"}</button>
                <button aria-label="Next moment" title={next_title} disabled={next.is_none() && !p.computing}
                    onclick={d.reform(|_| Action::NextMoment)}>{"Moment ›"}</button>
            </div>
            <label class="speed">
                <span>{"Speed "}<output>{ speed_label(p.speed_log10) }</output></span>
                <input type="range" aria-label="Speed (simulated time per real second)" min={caucus_sim::decimal(SPEED_MIN, 0)} max={caucus_sim::decimal(SPEED_MAX, 0)}
                    step="0.05" value={caucus_sim::decimal(p.speed_log10, 2)} aria-valuetext={speed_label(p.speed_log10)} oninput={on_speed} />
            </label>
            <div class="timeline">
                <label class="scrubber">
                    <span class="visually-hidden">{"Timeline"}</span>
                    <input type="range" aria-label="Timeline: step" min="0" max={head.to_string()} value={s.cursor.to_string()}
                        aria-valuetext={format!("step {} of {}", s.cursor, head)} oninput={on_scrub} />
                </label>
                <div class="moments" role="group" aria-label={format!("Key moments of the run: {} (keys [ and ])", tl.moments.len())}>
                    { for marks }
                </div>
            </div>
            <div class="clock" aria-live="off">
                <span class="time" title="Simulated time">{ format!("t = {}", fmt_time(p.view_time)) }</span>
                <span class="step">{ format!("step {}", s.cursor) }
                    if !at_end { <span class="future">{ format!(" of {head}") }</span> }
                    if p.computing { <span class="computing">{ " · computing ahead…" }</span> }
                </span>
            </div>
            <button class={classes!("faults-toggle", p.drawer.then_some("on"))} aria-label="Faults and inspector" aria-pressed={p.drawer.to_string()}
                aria-keyshortcuts="f" title="Faults by hand and the inspector (f)" onclick={d.reform(|_| Action::ToggleDrawer)}>{"⚡ Faults"}</button>
        </section>
    }
}
