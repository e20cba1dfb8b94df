//! Play, pause, step, step back, reset, speed and the timeline scrubber.

use crate::components::fmt_time;
use crate::state::{Action, Snapshot, SPEED_MAX, SPEED_MIN};
use caucus_sim::Micros;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    pub snapshot: Rc<Snapshot>,
    pub playing: bool,
    pub speed_log10: f64,
    pub view_time: Micros,
    pub dispatch: Callback<Action>,
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
    let at_end = s.cursor == s.head;
    html! {
        <section class="controls" aria-label="Playback controls">
            <div class="buttons">
                <button aria-label="Reset the run" title="Reset" onclick={d.reform(|_| Action::Reset)}>{"↺ Reset"}</button>
                <button aria-label="Step back" title="Step back (←)" disabled={s.cursor == 0}
                    onclick={d.reform(|_| Action::Back)}>{"◀ Back"}</button>
                <button class="primary" aria-label={play_label} title={format!("{play_label} (Space)")} aria-pressed={p.playing.to_string()}
                    onclick={d.reform(|_| Action::TogglePlay)}>{ if p.playing { "‖ Pause" } else { "▶ Play" } }</button>
                <button aria-label="Step forward" title="Step: apply the next event (→)"
                    onclick={d.reform(|_| Action::Step)}>{"Step ▶"}</button>
            </div>
            <label class="speed">
                <span>{"Speed "}<output>{ speed_label(p.speed_log10) }</output></span>
                <input type="range" aria-label="Speed (simulated time per real second)" min={caucus_sim::decimal(SPEED_MIN, 0)} max={caucus_sim::decimal(SPEED_MAX, 0)}
                    step="0.05" value={caucus_sim::decimal(p.speed_log10, 2)} aria-valuetext={speed_label(p.speed_log10)} oninput={on_speed} />
            </label>
            <label class="scrubber">
                <span class="visually-hidden">{"Timeline"}</span>
                <input type="range" aria-label="Timeline: step" min="0" max={s.head.to_string()} value={s.cursor.to_string()}
                    aria-valuetext={format!("step {} of {}", s.cursor, s.head)} oninput={on_scrub} />
            </label>
            <div class="clock" aria-live="off">
                <span class="time" title="Simulated time">{ format!("t = {}", fmt_time(p.view_time)) }</span>
                <span class="step">{ format!("step {}", s.cursor) }
                    if !at_end { <span class="future">{ format!(" of {} recorded", s.head) }</span> }
                </span>
            </div>
        </section>
    }
}
