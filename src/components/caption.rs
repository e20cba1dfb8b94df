//! The caption beside the figure: one plain sentence saying what the step just applied did, in
//! the story's words (from the protocols' notes), read out politely by screen readers.

use crate::components::fmt_time;
use crate::state::RunRef;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CaptionProps {
    pub run: RunRef,
    /// Re-render when the run changes (the panels' version: while playing, a few times a second).
    pub version: u64,
    pub cursor: u64,
}

#[function_component(Caption)]
pub fn caption(p: &CaptionProps) -> Html {
    let run = p.run.0.borrow();
    let text = run.caption(p.cursor).unwrap_or_else(|| {
        "Nothing has happened yet. Press Step (→) to apply the first event, Play (Space) to watch, or Next moment (]) to jump to what matters.".to_string()
    });
    let when =
        if p.cursor == 0 { "Start".to_string() } else { format!("Step {} · {}", p.cursor, fmt_time(run.now())) };
    html! {
        <section class="caption" aria-label="What just happened">
            <span class="caption-when">{ when }</span>
            <p class="caption-text" aria-live="polite">{ text }</p>
        </section>
    }
}
