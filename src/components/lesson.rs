//! The lesson player's card, beside the figure: the lesson's title, its chapters (previous, next,
//! one dot each), the chapter's text, its question (answered by stepping on), its task (with a
//! hint and "Show me"), and after the last chapter the challenges, graded live.

use crate::components::fmt_time;
use crate::lesson::Play;
use crate::state::Action;
use caucus_sim::Micros;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonCardProps {
    pub play: Play,
    pub cursor: u64,
    /// The simulated time at each chapter's start (for the chapter list's tooltips).
    pub times: Vec<Option<Micros>>,
    /// The run is still being computed ahead: chapters not found yet may still come.
    pub computing: bool,
    /// The student has changed the run (inputs by hand, another scenario or seed).
    pub changed: bool,
    pub dispatch: Callback<Action>,
}

/// Markdown rendered by the build (raw HTML in lesson files is escaped there).
fn rendered(html: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(html.to_string()))
}

#[function_component(LessonCard)]
pub fn lesson_card(p: &LessonCardProps) -> Html {
    let play = &p.play;
    let lesson = &play.lesson;
    let i = play.chapter;
    let n = lesson.chapters.len();
    let ch = &lesson.chapters[i];
    let d = &p.dispatch;
    let start = play.starts[i].as_ref().map(|f| f.step);
    let here = start.is_some_and(|s| p.cursor >= s);
    let dots = (0..n).map(|k| {
        let current = k == i;
        let reached = play.starts[k].is_some();
        let title = &lesson.chapters[k].title;
        let when = p.times.get(k).copied().flatten().map(|t| format!(" (at {})", fmt_time(t))).unwrap_or_default();
        let label = format!("Chapter {}: {title}{when}", k + 1);
        html! {
            <li>
                <button class={classes!("chapter-dot", current.then_some("current"), (!reached).then_some("unreached"))}
                    aria-label={label.clone()} title={label} aria-current={current.then_some("step")}
                    onclick={d.reform(move |_| Action::GoChapter(k))}>{ k + 1 }</button>
            </li>
        }
    });
    let wait = match start {
        Some(_) => html! {},
        None if p.computing || play.pending => html! {
            <p class="chapter-wait" role="status">{ "The run is still being computed: this chapter's moment has not been reached yet." }</p>
        },
        None => html! {
            <p class="chapter-wait" role="status">
                { format!("This chapter starts at {}, which has not happened in this run. ", ch.at.describe()) }
                <button class="link" onclick={d.reform(|_| Action::LessonRestart)}>{ "Back to the lesson's run" }</button>
            </p>
        },
    };
    // The previous chapter's question, answered by the step that opened this chapter.
    let earlier = i.checked_sub(1).and_then(|j| {
        let q = lesson.chapters[j].question.as_ref()?;
        let revealed = play.reveals[j].is_some_and(|r| p.cursor >= r);
        revealed.then(|| answer_box(q, play.answers[j], true))
    });
    let question = ch.question.as_ref().map(|q| {
        let revealed = play.reveals[i].is_some_and(|r| p.cursor >= r);
        let chosen = play.answers[i];
        let choices = q.choices.iter().enumerate().map(|(k, c)| {
            let picked = chosen == Some(k);
            let mark = match (revealed, picked, k == q.answer) {
                (true, _, true) => "✓ ",
                (true, true, false) => "✗ ",
                _ => "",
            };
            html! {
                <li>
                    <button class={classes!("choice", picked.then_some("picked"), (revealed && k == q.answer).then_some("right"))}
                        aria-pressed={picked.to_string()} disabled={revealed}
                        onclick={d.reform(move |_| Action::Answer(i, k))}>{ mark }{ c }</button>
                </li>
            }
        });
        html! {
            <div class="question" role="group" aria-labelledby="question-ask">
                <p class="question-ask" id="question-ask"><strong>{ "Predict: " }</strong>{ rendered(&q.ask_html) }</p>
                <ul class="choices">{ for choices }</ul>
                if revealed {
                    { answer_box(q, chosen, false) }
                } else if chosen.is_some() {
                    <p class="question-then">{ "Now step on (→, or Next moment ]) to find out." }</p>
                } else {
                    <p class="question-then">{ "Pick an answer, then step on to see what happens." }</p>
                }
            </div>
        }
    });
    let task = ch.task.as_ref().map(|t| {
        let done = play.done[i];
        html! {
            <div class={classes!("task", done.is_some().then_some("done"))}>
                <p><strong>{ "Your turn: " }</strong>{ rendered(&t.ask_html) }</p>
                if let Some(step) = done {
                    <p class="task-done" role="status">{ format!("✓ Done (step {step}). Press Next chapter to see what follows.") }</p>
                } else {
                    <details class="hint"><summary>{ "Hint" }</summary><p>{ rendered(&t.hint_html) }</p></details>
                    <button onclick={d.reform(|_| Action::ShowMe)}>{ "Show me" }</button>
                }
            </div>
        }
    });
    let challenges = (i + 1 == n && !lesson.challenges.is_empty()).then(|| {
        let items = lesson.challenges.iter().enumerate().map(|(k, c)| {
            let trying = play.challenge == Some(k);
            let status = match play.met[k] {
                Some(Some(step)) => html! {
                    <p class="challenge-met" role="status">{ "✓ Met" }
                        <button class="link" onclick={d.reform(move |_| Action::Seek(step))}>{ format!("go to step {step}") }</button></p>
                },
                Some(None) => html! { <p class="challenge-met">{ "✓ Met on an earlier visit" }</p> },
                None if trying => html! { <p class="challenge-trying" role="status">{ "Trying: open the faults drawer (f) and break it." }</p> },
                None => html! {},
            };
            html! {
                <li class={classes!("challenge", trying.then_some("trying"))}>
                    <h4>{ &c.title }</h4>
                    { rendered(&c.html) }
                    { status }
                    <details class="hint"><summary>{ "Hint" }</summary><p>{ rendered(&c.hint_html) }</p></details>
                    if !trying {
                        <button onclick={d.reform(move |_| Action::StartChallenge(k))}
                            aria-label={format!("Try the challenge: {}", c.title)}>{ "Try it" }</button>
                    }
                </li>
            }
        });
        html! {
            <section class="challenges" aria-labelledby="challenges-h">
                <h3 id="challenges-h">{ "Challenges" }</h3>
                <ul>{ for items }</ul>
            </section>
        }
    });
    html! {
        <section class="lesson-card" aria-labelledby="lesson-title" data-lesson={lesson.id.clone()} data-chapter={(i + 1).to_string()}>
            <header class="lesson-head">
                <p class="lesson-kicker">{ "Lesson" }</p>
                <h2 id="lesson-title">{ &lesson.title }</h2>
            </header>
            <nav class="chapter-nav" aria-label="Chapters">
                <button class="chapter-step" aria-label="Previous chapter" title="Previous chapter (, or Shift+←)" disabled={i == 0}
                    onclick={d.reform(|_| Action::PrevChapter)}>{ "‹" }</button>
                <ol class="chapter-dots">{ for dots }</ol>
                <button class="chapter-step" aria-label="Next chapter" title="Next chapter (. or Shift+→)" disabled={i + 1 == n}
                    onclick={d.reform(|_| Action::NextChapter)}>{ "›" }</button>
            </nav>
            <article class={classes!("chapter", here.then_some("here"))}>
                <h3 aria-live="polite"><span class="chapter-count">{ format!("Chapter {} of {n} · ", i + 1) }</span>{ &ch.title }</h3>
                { wait }
                { for earlier }
                <div class="chapter-text">{ rendered(&ch.html) }</div>
                { for question }
                { for task }
            </article>
            { for challenges }
            if p.changed {
                <p class="lesson-back"><button class="link" onclick={d.reform(|_| Action::LessonRestart)}>{ "↺ Back to the lesson's run" }</button></p>
            }
        </section>
    }
}

fn answer_box(q: &caucus_lessons::Question, chosen: Option<usize>, earlier: bool) -> Html {
    let verdict = match chosen {
        Some(c) if c == q.answer => "You predicted it: ",
        Some(_) => "Not what you predicted: ",
        None => "The answer: ",
    };
    html! {
        <div class={classes!("answer", (chosen == Some(q.answer)).then_some("right"))} role="status">
            if earlier { <p class="answer-q">{ rendered(&q.ask_html) }</p> }
            <p><strong>{ verdict }</strong>{ &q.choices[q.answer] }{ "." }</p>
            { rendered(&q.explain_html) }
        </div>
    }
}
