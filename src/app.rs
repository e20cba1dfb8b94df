//! The page: header, controls, map, side panels, diagram and dialogs, wired to the reducer.

use crate::browser;
use crate::components::{
    caption::Caption, controls::Controls, diagram::SpaceTimeDiagram, faults::FaultsPanel, header::Header,
    help::HelpDialog, inspector::Inspector, log::EventLog, map::TopologyMap, properties::PropertiesPanel,
    share::ShareDialog,
};
use crate::components::{use_frozen, use_on_screen, Part};
use crate::history::History;
use crate::state::{Action, AppState, BannerKind, Dialog, RunRef};
use caucus_protocols::share::{link_query, MAX_LINK_CHARS};
use gloo_render::{request_animation_frame, AnimationFrame};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[function_component(App)]
pub fn app() -> Html {
    let state = use_reducer(|| AppState::from_query(&browser::query(), browser::prefers_reduced_motion()));
    // One callback for the page's life. A new one on every render made every view that takes it
    // (properties, the pack's panels below the map, the event log) re-render on every frame, the
    // panels below with the live run rather than at their refresh: on the commit page at 25
    // nodes the write-ahead log table was rebuilt 30 times a second.
    let dispatch = {
        let d = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a: Action| d.dispatch(a)))).clone()
    };
    let snapshot = {
        let state = state.clone();
        use_memo(state.version, move |_| state.snapshot())
    };
    // What the panels show: the same snapshot, refreshed less often while playing.
    let panels = {
        let snapshot = snapshot.clone();
        use_memo(state.panels_version, move |_| snapshot)
    };
    let panels: Rc<crate::state::Snapshot> = (*panels).clone();

    use_animation_loop(&state);
    use_compute_ahead(&state);
    use_keyboard(dispatch.clone(), state.dialog.is_some(), state.lesson.is_some());
    {
        // Keep the address bar a link to what is on screen (not while playing: once per pause).
        // A link that could not be opened stays in the address bar, to be read and corrected,
        // until the student changes what is on screen.
        let opened =
            use_mut_ref(|| (state.version, state.banner.as_ref().is_some_and(|b| b.kind == BannerKind::Error)));
        let state = state.clone();
        use_effect_with((state.version, state.playing), move |(version, playing)| {
            let (first, refused) = *opened.borrow();
            if refused && *version == first {
                return;
            }
            if !*playing {
                let mut page = String::new();
                if let Some(play) = &state.lesson {
                    page += &format!("&lesson={}&chapter={}", play.lesson.id, play.chapter + 1);
                }
                if state.embed {
                    page += "&embed=1";
                    let panels = state.embed_panels.to_param();
                    if !panels.is_empty() {
                        page += &format!("&{panels}");
                    }
                }
                // A run too long for a link (the Share dialog says so and offers its file) leaves
                // only the page's own parameters in the address bar.
                let max = MAX_LINK_CHARS.saturating_sub(page.len());
                let query = match link_query(state.run.borrow().as_ref(), max) {
                    Some(run) => run + &page,
                    None => page.trim_start_matches('&').to_string(),
                };
                browser::replace_query(&query);
            }
        });
    }

    // Nodes involved in a safety violation: failing now, or failed earlier in this history.
    // Liveness that does not hold yet is not a violation and marks nobody.
    let highlight: Vec<_> = snapshot
        .properties
        .iter()
        .filter(|p| p.kind == caucus_sim::PropertyKind::Safety)
        .filter_map(|p| match (&p.now, &p.first_violation) {
            (Err(f), _) => Some(f),
            (Ok(()), Some(v)) if v.step <= snapshot.cursor => Some(&v.failure),
            _ => None,
        })
        .flat_map(|f| f.nodes.iter().copied())
        .collect();
    let banner = state.banner.as_ref().map(|b| {
        let close = dispatch.reform(|_| Action::SetBanner(None));
        let (class, role) = match b.kind {
            BannerKind::Error => ("banner error", "alert"),
            BannerKind::Info => ("banner info", "status"),
        };
        html! {
            <div class={class} role={role}>
                <span>{ if b.kind == BannerKind::Error { "⚠ " } else { "ℹ " } }{ &b.text }</span>
                <button class="icon" aria-label="Dismiss message" onclick={close}>{"✕"}</button>
            </div>
        }
    });
    let run = RunRef(state.run.clone());
    // While a dialog is open the page behind it is inert: Tab stays in the dialog.
    let modal = state.dialog.is_some();
    let dialog = match state.dialog {
        Some(Dialog::Help) => {
            html! { <HelpDialog on_close={dispatch.reform(|_| Action::SetDialog(None))} /> }
        }
        Some(d @ (Dialog::Share | Dialog::Embed)) => html! {
            <ShareDialog kind={d} run={run.clone()} version={state.version} dispatch={dispatch.clone()} />
        },
        None => html! {},
    };
    // What the lesson's chapter asks to look at: nodes (on the map and in the figure) and rows
    // of the figure, outlined by a generated rule.
    let (look, look_css) = match &state.lesson {
        Some(play) => {
            let nodes = play.look(state.run.borrow().as_ref());
            let mut selectors: Vec<String> =
                nodes.iter().map(|n| format!(".figure-column [data-node=\"{n}\"]")).collect();
            selectors.extend(play.rows().iter().map(|r| format!("[data-row=\"{}\"]", css_escape(r))));
            let css = if selectors.is_empty() {
                String::new()
            } else {
                format!("{} {{ outline: 3px dashed var(--look); outline-offset: 2px; }}", selectors.join(", "))
            };
            (nodes, css)
        }
        None => (Vec::new(), String::new()),
    };
    let map = html! {
        <TopologyMap snapshot={snapshot.clone()} view_time={state.view_time}
            selected_node={state.selected_node} selected_msg={state.selected_msg}
            highlight={highlight.clone()} look={look} compact={state.lesson.is_some()} playing={state.playing} dispatch={dispatch.clone()} />
    };
    let timeline = {
        let run = state.run.clone();
        // While playing, the marks move with the panels (every PANEL_REFRESH_MS), not with every
        // slice computed ahead: all of them shifted on every frame.
        let key = if state.playing { (true, state.panels_version) } else { (false, state.timeline_version) };
        use_memo(key, move |_| Rc::new(crate::components::controls::Timeline::of(&**run.borrow())))
    };
    let controls = html! {
        <Controls snapshot={snapshot.clone()} playing={state.playing} speed_log10={state.speed_log10}
            view_time={state.view_time} timeline={(*timeline).clone()} computing={state.ahead}
            drawer={state.drawer} dispatch={dispatch.clone()} />
    };
    let properties = html! { <PropertiesPanel snapshot={panels.clone()} dispatch={dispatch.clone()} /> };
    let caption = html! { <Caption run={run.clone()} version={panels.version} cursor={panels.cursor} /> };
    let in_lesson = state.lesson.is_some();
    // While playing, a view off screen keeps what it last drew (see `use_on_screen`).
    let (map_ref, figure_ref, rest_ref, diagram_ref, log_ref) =
        (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let playing = state.playing;
    let map = {
        let seen = use_on_screen(&map_ref);
        use_frozen(seen || !playing, map)
    };
    let figure = pack_panels(&run, snapshot.version, &dispatch, Part::Figure, playing);
    let figure = {
        let seen = use_on_screen(&figure_ref);
        use_frozen(seen || !playing, figure)
    };
    let rest = html! {
        <>
            { pack_panels(&run, panels.version, &dispatch, Part::Rest, playing) }
            { checker(&run, panels.version, state.playing, &state.history, &dispatch) }
        </>
    };
    let rest = {
        let seen = use_on_screen(&rest_ref);
        use_frozen(seen || !playing, rest)
    };
    let diagram = html! {
        <SpaceTimeDiagram run={run.clone()} snapshot={snapshot.clone()} view_time={state.view_time}
            highlight={highlight.clone()} on_seek={dispatch.reform(Action::Seek)} playing={state.playing} speed={state.speed()} />
    };
    let diagram = {
        let seen = use_on_screen(&diagram_ref);
        use_frozen(seen || !playing, diagram)
    };
    let log = html! { <EventLog run={run.clone()} snapshot={panels.clone()} dispatch={dispatch.clone()} /> };
    let log = {
        let seen = use_on_screen(&log_ref);
        use_frozen(seen || !playing, log)
    };
    let lesson_card = state.lesson.as_ref().map(|play| {
        let changed = {
            let r = state.run.borrow();
            !r.inputs().is_empty() || play.challenge.is_some()
        };
        html! {
            <crate::components::lesson::LessonCard play={play.clone()} cursor={snapshot.cursor} times={play.times.clone()}
                computing={state.ahead} changed={changed} dispatch={dispatch.clone()} />
        }
    });
    // A chapter with a contrast shows a second run's figure beside the first, at the same time.
    let contrast = state.lesson.as_ref().and_then(|play| {
        let (c, other) = play.contrast.as_ref()?;
        let spec = play.lesson.chapters[*c].contrast.as_ref()?;
        let (cursor, name) = {
            let o = other.0.borrow();
            (o.cursor(), o.scenario().name.clone())
        };
        let noop = Callback::from(|_: Action| {});
        Some(html! {
            <div class="contrast" role="group" aria-label={format!("{} beside {}", spec.label, spec.other)}>
                <section class="contrast-pane" aria-label={spec.label.clone()}>
                    <h2 class="contrast-label">{ &spec.label }<code>{ &snapshot.scenario_name }</code></h2>
                    <Caption run={run.clone()} version={panels.version} cursor={panels.cursor} />
                    { figure.clone() }
                </section>
                <section class="contrast-pane" aria-label={spec.other.clone()}>
                    <h2 class="contrast-label">{ &spec.other }<code>{ name }</code></h2>
                    <Caption run={other.clone()} version={snapshot.version} cursor={cursor} />
                    { pack_panels(other, snapshot.version, &noop, Part::Figure, playing) }
                </section>
            </div>
        })
    });

    // Embed mode keeps the map, the figure, the caption and the controls (and what `panel=` asks for).
    let embed = state.embed;
    // Outside an embed everything shows; in one, what `panel=` chose.
    let shown = if embed {
        state.embed_panels
    } else {
        crate::browser::EmbedPanels { map: true, figure: true, caption: true, ..Default::default() }
    };
    let drawer = state.drawer.then(|| {
        let close = dispatch.reform(|_| Action::SetDrawer(false));
        html! {
            <aside class="drawer" aria-label="Faults and inspector" inert={modal}>
                <div class="drawer-head">
                    <h2>{"Faults by hand"}</h2>
                    <button class="icon" aria-label="Close the faults drawer" title="Close (Esc)" onclick={close}>{"✕"}</button>
                </div>
                <Inspector snapshot={panels.clone()} run={run.clone()} selected_node={state.selected_node}
                    selected_msg={state.selected_msg} dispatch={dispatch.clone()} />
                <FaultsPanel snapshot={panels.clone()} dispatch={dispatch.clone()} />
            </aside>
        }
    });
    html! {
        <div class={classes!("app", embed.then_some("embed"), state.drawer.then_some("with-drawer"), state.lesson.is_some().then_some("in-lesson"))}>
            <div class="page" inert={modal}>
            <Header snapshot={snapshot.clone()} embed={embed} dispatch={dispatch.clone()} />
            { for banner }
            { controls }
            <style data-look="">{ look_css }</style>
            <main class={classes!("workspace", lesson_card.is_some().then_some("with-lesson"), contrast.is_some().then_some("with-contrast"))}>
                <div class="stage">
                    { for lesson_card }
                    if embed && shown.caption { { caption.clone() } }
                    if shown.map && contrast.is_none() { <section class="map-panel" aria-label="Topology map" ref={map_ref.clone()}>{ map.clone() }</section> }
                    if !embed && !in_lesson { { caption.clone() } }
                    if !embed { { properties.clone() } }
                </div>
                if let Some(contrast) = contrast.clone() {
                    <div class="figure-column">{ contrast }</div>
                } else if shown.figure {
                    <div class="figure-column" ref={figure_ref}>
                        // In a lesson the stage holds the chapter: the caption goes over the figure.
                        if in_lesson && !embed { { caption } }
                        { figure }
                    </div>
                }
            </main>
            if contrast.is_some() && shown.map { <section class="map-panel below" aria-label="Topology map" ref={map_ref}>{ map }</section> }
            if embed && shown.properties { <div class="embed-extra">{ properties }</div> }
            if !embed { <div class="lazy" ref={rest_ref}>{ rest }</div> }
            if !embed || shown.diagram { <div class="lazy" ref={diagram_ref}>{ diagram }</div> }
            if !embed || shown.log { <div class="lazy" ref={log_ref}>{ log }</div> }
            if !embed { <crate::components::essay::Essays /> }
            </div>
            { for drawer }
            { dialog }
        </div>
    }
}

/// "What can happen next" (every pack with room) and "Check every interleaving" (the packs whose
/// protocols the checker explores). Three versions rather than a variable child: the commit page
/// has a few hundred bytes left, and an expression child costs about 175 of them.
#[cfg(feature = "check")]
fn checker(run: &RunRef, version: u64, playing: bool, history: &Rc<History>, dispatch: &Callback<Action>) -> Html {
    html! {
        <>
            <crate::components::next_events::NextEvents run={run.clone()} version={version} playing={playing} history={history.clone()} dispatch={dispatch.clone()} />
            <crate::components::checker::CheckerPanel run={run.clone()} version={version} dispatch={dispatch.clone()} />
        </>
    }
}

#[cfg(all(feature = "next", not(feature = "check")))]
fn checker(run: &RunRef, version: u64, playing: bool, history: &Rc<History>, dispatch: &Callback<Action>) -> Html {
    html! { <crate::components::next_events::NextEvents run={run.clone()} version={version} playing={playing} history={history.clone()} dispatch={dispatch.clone()} /> }
}

#[cfg(not(feature = "next"))]
fn checker(_: &RunRef, _: u64, _: bool, _: &Rc<History>, _: &Callback<Action>) -> Html {
    html! {}
}

/// The panels only one pack has (the election pack's log grid and experiment, the ring, the
/// locks, the commit phases), in two parts: the family's figure, beside the map, and the rest
/// (settings, experiments, comparisons), below. The core pack's figure is the heartbeat's
/// suspicion matrix. Each takes the run, the version to re-render on and the dispatcher.
fn pack_panels(run: &RunRef, version: u64, dispatch: &Callback<Action>, part: Part, playing: bool) -> Html {
    let (run, dispatch) = (run.clone(), dispatch.clone());
    // Only the commit figure asks (it holds a transaction on screen while playing).
    let _ = playing;
    #[cfg(feature = "election")]
    let panel = html! { <crate::components::election::ElectionPanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(feature = "paxos")]
    let panel =
        html! { <crate::components::paxos::PaxosPanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(feature = "ring")]
    let panel =
        html! { <crate::components::ring::RingPanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(feature = "lock")]
    let panel =
        html! { <crate::components::lock::LockPanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(feature = "commit")]
    let panel = html! { <crate::components::commit::CommitPanel run={run} version={version} dispatch={dispatch} part={part} playing={playing} /> };
    #[cfg(feature = "balance")]
    let panel = html! { <crate::components::balance::BalancePanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(feature = "zab")]
    let panel =
        html! { <crate::components::zab::ZabPanel run={run} version={version} dispatch={dispatch} part={part} /> };
    #[cfg(not(any(
        feature = "election",
        feature = "paxos",
        feature = "ring",
        feature = "lock",
        feature = "commit",
        feature = "balance",
        feature = "zab"
    )))]
    let panel = match part {
        Part::Figure => {
            html! { <crate::components::heartbeat::HeartbeatFigure run={run} version={version} dispatch={dispatch} /> }
        }
        Part::Rest => html! {},
    };
    panel
}

/// A row name as a CSS string: only what lesson files may write (letters, digits, `-`, `_`).
fn css_escape(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

/// Computes the run ahead to its scenario's end, one slice per frame, while there is more.
#[hook]
fn use_compute_ahead(state: &UseReducerHandle<AppState>) {
    let dispatcher = state.dispatcher();
    use_effect_with((state.ahead, state.timeline_version), move |&(ahead, _)| {
        let frame = ahead.then(|| request_animation_frame(move |_| dispatcher.dispatch(Action::ComputeAhead)));
        move || drop(frame)
    });
}

/// While playing, one `Tick` per animation frame (or every half second with reduced motion).
#[hook]
fn use_animation_loop(state: &UseReducerHandle<AppState>) {
    let playing = state.playing;
    let reduced = state.reduced_motion;
    let dispatcher = state.dispatcher();
    use_effect_with((playing, reduced), move |&(playing, reduced)| {
        let frame: Rc<RefCell<Option<AnimationFrame>>> = Rc::new(RefCell::new(None));
        let mut interval = None;
        if playing && reduced {
            let d = dispatcher.clone();
            interval = Some(gloo_timers::callback::Interval::new(500, move || d.dispatch(Action::Tick(500.0))));
        } else if playing {
            fn schedule(
                frame: Rc<RefCell<Option<AnimationFrame>>>,
                d: UseReducerDispatcher<AppState>,
                last: Option<f64>,
            ) {
                let next = frame.clone();
                let handle = request_animation_frame(move |t| {
                    if let Some(last) = last {
                        d.dispatch(Action::Tick(t - last));
                    }
                    schedule(next, d, Some(t));
                });
                *frame.borrow_mut() = Some(handle);
            }
            schedule(frame.clone(), dispatcher, None);
        }
        move || {
            // Dropping the handles cancels the frame request and the interval.
            frame.borrow_mut().take();
            drop(interval);
        }
    });
}

/// Space, arrows, +/-, Home/End, [ and ] (moments), f (faults), ? and Escape, anywhere on the page but in text fields.
#[hook]
fn use_keyboard(dispatch: Callback<Action>, dialog_open: bool, lesson: bool) {
    use_effect_with((dialog_open, lesson), move |&(dialog_open, lesson)| {
        let listener = Closure::<dyn Fn(KeyboardEvent)>::new(move |e: KeyboardEvent| {
            if e.ctrl_key() || e.meta_key() || e.alt_key() {
                return;
            }
            let tag = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|el| el.tag_name().to_ascii_lowercase())
                .unwrap_or_default();
            let typing = matches!(tag.as_str(), "input" | "textarea" | "select");
            let action = match e.key().as_str() {
                "Escape" if dialog_open => Some(Action::SetDialog(None)),
                "Escape" => Some(Action::SetDrawer(false)),
                _ if typing || dialog_open => None,
                " " if tag != "button" => Some(Action::TogglePlay),
                "ArrowRight" | "." if lesson && (e.shift_key() || e.key() == ".") => Some(Action::NextChapter),
                "ArrowLeft" | "," if lesson && (e.shift_key() || e.key() == ",") => Some(Action::PrevChapter),
                "ArrowRight" => Some(Action::Step),
                "ArrowLeft" => Some(Action::Back),
                "+" | "=" => Some(Action::Faster),
                "-" | "_" => Some(Action::Slower),
                "Home" => Some(Action::Seek(0)),
                "End" => Some(Action::Seek(u64::MAX)),
                "?" => Some(Action::SetDialog(Some(Dialog::Help))),
                "]" | "n" | "PageDown" => Some(Action::NextMoment),
                "[" | "p" | "PageUp" => Some(Action::PrevMoment),
                "f" => Some(Action::ToggleDrawer),
                _ => None,
            };
            if let Some(action) = action {
                e.prevent_default();
                dispatch.emit(action);
            }
        });
        let doc = browser::window().document().expect("a document");
        let _ = doc.add_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
        move || {
            let _ = doc.remove_event_listener_with_callback("keydown", listener.as_ref().unchecked_ref());
            drop(listener);
        }
    });
}
