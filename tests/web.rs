//! Component tests in a real browser (headless Chromium through wasm-bindgen-test-runner):
//!
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p caucus --target wasm32-unknown-unknown`
//! (`bash scripts/test.sh` runs it). The app is a binary crate, so its modules are compiled into
//! this test crate with `#[path]`, at the same place in the module tree as in `src/main.rs`
//! (`crate::state`, `crate::components::…` resolve as they do there). If `src/main.rs` gains a
//! module, add it below too.
//!
//! Every test mounts the app into its own `<div>` (all tests of this binary share one page) and
//! queries inside it. Yew renders asynchronously: `settle()` after rendering or clicking.
#![cfg(target_arch = "wasm32")]

#[allow(dead_code, unused_imports)]
#[path = "../src/app.rs"]
mod app;
#[allow(dead_code, unused_imports)]
#[path = "../src/browser.rs"]
mod browser;
#[allow(dead_code, unused_imports)]
#[path = "../src/components/mod.rs"]
mod components;
#[allow(dead_code, unused_imports)]
#[path = "../src/history.rs"]
mod history;

#[path = "../src/lesson.rs"]
mod lesson;

#[path = "../src/state.rs"]
mod state;

#[path = "common/golden.rs"]
mod golden;

use caucus_protocols::share::Shared;
use caucus_protocols::{build, builtin};
use caucus_sim::{Input, Status};
use gloo_timers::future::TimeoutFuture;
use state::{Action, AppState, BannerKind, Dialog};
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;
use yew::Reducible;

wasm_bindgen_test_configure!(run_in_browser);

// ---------------------------------------------------------------------------------------------
// Helpers

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Lets Yew render (its scheduler runs on a microtask / timeout).
async fn settle() {
    TimeoutFuture::new(0).await;
    TimeoutFuture::new(0).await;
}

/// Calls `body` as a JS function of `(el, arg)`: for what web-sys features of the app do not cover.
fn js(body: &str, el: &JsValue, arg: &JsValue) -> JsValue {
    let f = js_sys::Function::new_with_args("el, arg", body);
    f.call2(&JsValue::NULL, el, arg).expect("the JS helper runs")
}

/// The app rendered into a fresh `<div>` appended to the body.
struct Mounted {
    root: web_sys::Element,
    app: Option<yew::AppHandle<app::App>>,
}

impl Mounted {
    async fn new() -> Mounted {
        // The app keeps the address bar a link to its run: start every test from a bare URL.
        js("history.replaceState(null, '', location.pathname)", &JsValue::NULL, &JsValue::NULL);
        let root = document().create_element("div").unwrap();
        document().body().unwrap().append_child(&root).unwrap();
        let app = yew::Renderer::<app::App>::with_root(root.clone()).render();
        settle().await;
        Mounted { root, app: Some(app) }
    }

    fn find(&self, selector: &str) -> web_sys::Element {
        self.root.query_selector(selector).unwrap().unwrap_or_else(|| panic!("nothing matches `{selector}`"))
    }

    fn count(&self, selector: &str) -> u32 {
        js("return el.querySelectorAll(arg).length", &self.root, &selector.into()).as_f64().unwrap() as u32
    }

    fn text(&self, selector: &str) -> String {
        self.find(selector).text_content().unwrap_or_default()
    }

    /// The element matching `selector` whose text (or aria-label) contains `what`.
    fn find_with(&self, selector: &str, what: &str) -> web_sys::Element {
        let found = js(
            "return [...el.querySelectorAll(arg[0])].find(e => e.textContent.includes(arg[1]) || (e.getAttribute('aria-label') || '').includes(arg[1])) || null",
            &self.root,
            &js_sys::Array::of2(&selector.into(), &what.into()),
        );
        found.dyn_into().unwrap_or_else(|_| panic!("no `{selector}` with `{what}`"))
    }

    /// A bubbling click, as a user's (works on SVG elements too).
    async fn click(&self, el: &web_sys::Element) {
        js(
            "el.dispatchEvent(new MouseEvent('click', {bubbles: true, cancelable: true, view: window}))",
            el,
            &JsValue::NULL,
        );
        settle().await;
    }

    async fn click_button(&self, label: &str) {
        let b = self.find_with("button", label);
        self.click(&b).await;
    }

    fn step_text(&self) -> String {
        self.text(".clock .step")
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        if let Some(app) = self.app.take() {
            app.destroy();
        }
        self.root.remove();
    }
}

fn step_no(text: &str) -> u64 {
    text.trim().trim_start_matches("step ").split_whitespace().next().unwrap().parse().unwrap()
}

// ---------------------------------------------------------------------------------------------
// The simulation in WebAssembly gives the same runs as natively.

#[wasm_bindgen_test]
fn heartbeat_to_5s_has_the_same_digest_as_natively() {
    assert_eq!(golden::heartbeat_5s(), golden::HEARTBEAT_5S);
}

#[wasm_bindgen_test]
fn a_scripted_partition_has_the_same_digest_as_natively() {
    assert_eq!(golden::partition_seed7_8s(), golden::PARTITION_SEED7_8S);
}

#[wasm_bindgen_test]
fn a_restored_link_has_the_same_digest_as_natively() {
    assert_eq!(golden::link_crash_4s(), golden::LINK_CRASH_4S);
}

#[wasm_bindgen_test]
fn raft_has_the_same_digest_as_natively() {
    assert_eq!(golden::raft_leader_crash_12s(), golden::RAFT_LEADER_CRASH_12S);
}

/// A measurement, printed and not asserted (run with `-- --nocapture`, as scripts/test.sh does):
/// Raft on three regions x 5 nodes with tracing off, the native bench's row (f), in WebAssembly.
#[wasm_bindgen_test]
fn measure_raft_events_per_second_in_wasm() {
    use caucus_protocols::raft::Raft;
    let scenario = golden::raft_scenario("raft");
    let topology = scenario.topology.build().expect("valid topology");
    let params = caucus_sim::run::params_of::<Raft>(&scenario, &topology).expect("valid parameters");
    let now = || web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now());
    const EVENTS: u32 = 300_000;
    let mut best = f64::MAX;
    for _ in 0..3 {
        let mut sim =
            caucus_sim::Sim::<Raft>::new(topology.clone(), params.clone(), scenario.seed, scenario.script.clone());
        let started = now();
        for _ in 0..EVENTS {
            sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
        }
        best = best.min(now() - started);
    }
    console_log!(
        "MEASURE raft 3 regions x 5 nodes, tracing off, wasm (core crates at opt-level 3): {:.2} M events/s",
        EVENTS as f64 / best / 1000.0
    );
}

#[wasm_bindgen_test]
fn a_link_round_trips_in_wasm() {
    let mut run = build(&builtin("heartbeat-crash").unwrap()).unwrap();
    for _ in 0..30 {
        run.apply(Input::Step).unwrap();
    }
    run.apply(Input::Crash { node: 1 }).unwrap();
    for _ in 0..30 {
        run.apply(Input::Step).unwrap();
    }
    run.seek(45);
    let query = Shared::of(run.as_ref()).to_query();
    let back = Shared::from_query(&query).unwrap().unwrap().restore().unwrap();
    assert_eq!(back.cursor(), 45);
    assert_eq!(back.nodes(), run.nodes());
    assert_eq!(back.in_flight(), run.in_flight());
    let file = Shared::of(run.as_ref()).to_file();
    assert_eq!(Shared::from_file(&file).unwrap(), Shared::of(run.as_ref()));
}

// ---------------------------------------------------------------------------------------------
// The reducer

fn reduce(state: Rc<AppState>, action: Action) -> Rc<AppState> {
    state.reduce(action)
}

#[wasm_bindgen_test]
fn the_reducer_steps_back_and_forth_to_identical_states() {
    let s = Rc::new(AppState::from_query("", false));
    assert_eq!(s.snapshot().scenario_name, state::default_scenario().name);
    let mut s = s;
    for _ in 0..10 {
        s = reduce(s, Action::Step);
    }
    let at10 = s.snapshot();
    let time10 = s.run.borrow().now();
    assert_eq!(at10.cursor, 10);
    s = reduce(s, Action::Step);
    assert_eq!(s.snapshot().cursor, 11);
    s = reduce(s, Action::Back);
    let back = s.snapshot();
    assert_eq!(back.cursor, 10);
    assert_eq!(back.nodes, at10.nodes);
    assert_eq!(back.msgs, at10.msgs);
    assert_eq!(s.view_time, time10);
}

#[wasm_bindgen_test]
fn the_reducer_plays_only_while_playing() {
    let mut s = Rc::new(AppState::from_query("", false));
    s = reduce(s, Action::Tick(16.0));
    assert_eq!(s.snapshot().cursor, 0, "a tick while paused does nothing");
    s = reduce(s, Action::SetSpeed(0.0)); // 1x: 100 ms of simulated time per 100 ms tick
    s = reduce(s, Action::TogglePlay);
    assert!(s.playing);
    for _ in 0..10 {
        s = reduce(s, Action::Tick(100.0));
    }
    let played = s.snapshot().cursor;
    assert!(played > 0, "a second of play applies events");
    assert!(s.view_time >= 900_000, "view time {}", s.view_time);
    s = reduce(s, Action::TogglePlay);
    s = reduce(s, Action::Tick(100.0));
    assert_eq!(s.snapshot().cursor, played);
}

#[wasm_bindgen_test]
fn the_reducer_with_reduced_motion_steps_one_event_per_tick() {
    let mut s = Rc::new(AppState::from_query("", true));
    s = reduce(s, Action::TogglePlay);
    s = reduce(s, Action::Tick(500.0));
    s = reduce(s, Action::Tick(500.0));
    assert_eq!(s.snapshot().cursor, 2);
}

#[wasm_bindgen_test]
fn the_reducer_applies_faults_and_reports_refusals() {
    let mut s = Rc::new(AppState::from_query("", false));
    s = reduce(s, Action::Apply(Input::Crash { node: 2 }));
    let banner = s.banner.clone().expect("a node that has not started cannot crash");
    assert_eq!(banner.kind, BannerKind::Error);
    assert_eq!(s.snapshot().nodes[2].status, Status::Booting);
    for _ in 0..10 {
        s = reduce(s, Action::Step);
    }
    assert!(s.snapshot().nodes.iter().all(|n| n.status == Status::Up), "every node starts at 0 s");
    s = reduce(s, Action::Apply(Input::Crash { node: 2 }));
    assert_eq!(s.snapshot().nodes[2].status, Status::Crashed);
    assert!(s.banner.is_none());
    s = reduce(s, Action::Apply(Input::Crash { node: 2 }));
    let banner = s.banner.clone().expect("crashing a crashed node is refused");
    assert_eq!(banner.kind, BannerKind::Error);
    s = reduce(s, Action::Apply(Input::Restart { node: 2 }));
    assert_ne!(s.snapshot().nodes[2].status, Status::Crashed);
}

#[wasm_bindgen_test]
fn malformed_links_open_the_default_scenario_with_an_error() {
    for query in ["?v=1&s=nope", "?v=1&s=heartbeat&i=garbage", "?v=2&s=heartbeat", "?v=1&sc=e30"] {
        let s = AppState::from_query(query, false);
        assert_eq!(s.snapshot().scenario_name, state::default_scenario().name, "{query}");
        let banner = s.banner.expect(query);
        assert_eq!(banner.kind, BannerKind::Error, "{query}");
        assert!(banner.text.contains("could not be opened"), "{query}: {}", banner.text);
    }
    let s = AppState::from_query("?v=1&s=heartbeat-gc-pause&seed=4&t=12&embed=1", false);
    assert!(s.embed && s.banner.is_none());
    assert_eq!(
        (s.snapshot().scenario_name.as_str(), s.snapshot().seed, s.snapshot().cursor),
        ("heartbeat-gc-pause", 4, 12)
    );
}

#[wasm_bindgen_test]
fn loading_a_scenario_and_a_seed_resets_the_run() {
    let mut s = Rc::new(AppState::from_query("", false));
    s = reduce(s, Action::Step);
    s = reduce(s, Action::SelectNode(Some(1)));
    s = reduce(s, Action::LoadScenario("heartbeat-crash".into()));
    assert_eq!(s.snapshot().scenario_name, "heartbeat-crash");
    assert_eq!((s.snapshot().cursor, s.selected_node), (0, None));
    s = reduce(s, Action::LoadScenario("nope".into()));
    assert_eq!(s.banner.as_ref().map(|b| b.kind.clone()), Some(BannerKind::Error));
    assert_eq!(s.snapshot().scenario_name, "heartbeat-crash", "an unknown name leaves the run alone");
    s = reduce(s, Action::SetSeed(42));
    assert_eq!(s.snapshot().seed, 42);
}

// ---------------------------------------------------------------------------------------------
// Components, rendered

#[wasm_bindgen_test]
async fn the_app_renders_map_controls_and_panels() {
    let m = Mounted::new().await;
    assert_eq!(m.count(".map svg"), 1);
    assert_eq!(m.count("g.node[role=button]"), 6, "the default scenario has six nodes");
    assert!(m.find("g.node").get_attribute("aria-label").unwrap().contains(" in "));
    assert_eq!(m.count("section.properties li.property"), m.count("section.properties li"));
    assert!(m.count("section.properties li.property") > 0);
    assert_eq!(step_no(&m.step_text()), 0);
    assert!(m.find_with("button", "Step back").has_attribute("disabled"), "nothing to step back to at step 0");
    assert_eq!(m.count(".diagram-panel"), 1);
    assert_eq!(m.count("section.log"), 1);
}

#[wasm_bindgen_test]
async fn step_and_back_change_the_step_counter() {
    let m = Mounted::new().await;
    let before = step_no(&m.step_text());
    m.click_button("Step forward").await;
    assert_eq!(step_no(&m.step_text()), before + 1);
    assert!(!m.find_with("button", "Step back").has_attribute("disabled"));
    m.click_button("Step forward").await;
    m.click_button("Step back").await;
    assert_eq!(step_no(&m.step_text()), before + 1);
    // The run is computed ahead to its end, so the step counter says how far it goes.
    assert!(m.step_text().contains(" of "), "{}", m.step_text());
    m.click_button("Reset").await;
    assert_eq!(step_no(&m.step_text()), 0);
}

#[wasm_bindgen_test]
async fn play_advances_and_pause_stops() {
    let m = Mounted::new().await;
    m.click_button("Play").await;
    assert_eq!(m.find_with("button", "Pause").get_attribute("aria-pressed").as_deref(), Some("true"));
    TimeoutFuture::new(400).await;
    m.click_button("Pause").await;
    let stopped = step_no(&m.step_text());
    assert!(stopped > 0, "playing for 400 ms applies events");
    TimeoutFuture::new(200).await;
    assert_eq!(step_no(&m.step_text()), stopped);
}

#[wasm_bindgen_test]
async fn selecting_a_node_shows_it_in_the_inspector_and_crash_restart_work() {
    let m = Mounted::new().await;
    // The inspector and the faults by hand live in a drawer.
    m.click_button("Faults and inspector").await;
    assert!(m.count(".inspector .hint") > 0, "the inspector starts with a hint");
    for _ in 0..10 {
        m.click_button("Step forward").await; // every node starts at 0 s, one step each
    }
    let node = m.find_with("g.node", "n2 ");
    m.click(&node).await;
    assert_eq!(m.find_with("g.node", "n2 ").get_attribute("aria-pressed").as_deref(), Some("true"));
    assert!(m.text(".inspector h3").starts_with("n2"), "{}", m.text(".inspector h3"));
    assert!(m.text(".inspector pre.json").contains('{'), "the node's state is shown as JSON");
    // The inspector's buttons: "What can happen next" has a Crash button for every node.
    m.click(&m.find_with(".inspector button", "Crash")).await;
    let label = m.find_with("g.node", "n2 ").get_attribute("aria-label").unwrap();
    assert!(label.contains("crashed"), "{label}");
    assert!(m.text(".inspector .headline").contains("crashed"), "{}", m.text(".inspector .headline"));
    m.click(&m.find_with(".inspector button", "Restart")).await;
    let label = m.find_with("g.node", "n2 ").get_attribute("aria-label").unwrap();
    assert!(!label.contains("crashed"), "{label}");
}

#[wasm_bindgen_test]
async fn partition_and_heal_from_the_network_panel() {
    let m = Mounted::new().await;
    m.click_button("Faults and inspector").await;
    assert!(m.find_with(".faults button", "Heal").has_attribute("disabled"), "nothing to heal yet");
    m.click(&m.find_with(".faults button", "Partition")).await;
    assert!(m.count("g.link.cut") > 0, "a cut link is drawn");
    assert!(m.text("g.link.cut text").contains("cut"));
    let heal = js(
        "return [...el.querySelectorAll('.faults button')].find(b => b.textContent.trim() === 'Heal')",
        &m.root,
        &JsValue::NULL,
    );
    m.click(heal.unchecked_ref()).await;
    assert_eq!(m.count("g.link.cut"), 0);
}

#[wasm_bindgen_test]
async fn the_help_and_share_dialogs_open_and_close() {
    let m = Mounted::new().await;
    m.click_button("Keyboard shortcuts and help").await;
    assert!(m.text("[role=dialog] h2").contains("Keyboard shortcuts"));
    m.click_button("Close").await;
    assert_eq!(m.count("[role=dialog]"), 0);
    m.click_button("Step forward").await;
    m.click_button("Share…").await;
    let link = js("return el.querySelector('textarea').value", &m.root, &JsValue::NULL).as_string().unwrap();
    assert!(link.contains("?v=1&s=heartbeat&seed=1&t=1"), "{link}");
    m.click_button("Close").await;
    assert_eq!(m.count("[role=dialog]"), 0);
}

#[wasm_bindgen_test]
async fn a_dialog_action_opens_the_embed_code() {
    // The dialogs through the reducer, for the embed snippet.
    let s = Rc::new(AppState::from_query("", false));
    let s = reduce(s, Action::SetDialog(Some(Dialog::Embed)));
    assert_eq!(s.dialog, Some(Dialog::Embed));
    let m = Mounted::new().await;
    m.click_button("Embed…").await;
    let code = js("return el.querySelector('textarea').value", &m.root, &JsValue::NULL).as_string().unwrap();
    assert!(code.starts_with("<iframe") && code.contains("&amp;embed=1"), "{code}");
}

#[wasm_bindgen_test]
fn a_datacenter_taller_than_the_map_is_laid_out_without_a_panic() {
    // 31 or more nodes in one datacenter made a box taller than the map: `clamp` panicked.
    for n in [31u32, 64] {
        let text = format!(
            r#"{{"version":1,"name":"h{n}","protocol":{{"name":"heartbeat"}},"topology":{{"preset":"one-datacenter","placement":[{n}]}}}}"#
        );
        let scenario = caucus_sim::Scenario::from_json(&text).expect("a valid scenario");
        let run = build(&scenario).expect("it builds");
        let query = Shared::of(run.as_ref()).to_query();
        let s = AppState::from_query(&format!("?{query}"), false);
        assert!(s.banner.is_none(), "{n} nodes: {:?}", s.banner.map(|b| b.text));
        for k in [1.0, 2.5] {
            let l = components::map::layout_at(&s.snapshot(), k);
            assert_eq!(l.nodes.len(), n as usize);
            let b = l.dcs[0];
            assert!(
                b.cy - b.h / 2.0 >= 0.0 && b.cy + b.h / 2.0 <= l.h,
                "{n} nodes at ×{k}: the box fits the map's height"
            );
            assert!(
                l.nodes.iter().all(|&(x, y)| (0.0..=820.0).contains(&x) && (0.0..=l.h).contains(&y)),
                "{n} nodes at ×{k}: on the map"
            );
        }
    }
}

#[wasm_bindgen_test]
fn stepping_by_hand_stops_at_the_same_limit_as_play() {
    // A heartbeat every 1 ms for an hour: far more steps than the tab keeps.
    let mut scenario = builtin("heartbeat").unwrap();
    scenario.until_us = 3_600 * caucus_sim::SEC;
    scenario.protocol.params = serde_json::json!({ "interval_us": 1_000, "timeout_us": 5_000 });
    let run = build(&scenario).unwrap();
    let query = Shared::of(run.as_ref()).to_query();
    let mut s = Rc::new(AppState::from_query(&format!("?{query}"), false));
    {
        let mut run = s.run.borrow_mut();
        while run.head() < state::MAX_UI_STEPS {
            assert!(run.apply(Input::Step).unwrap(), "the run goes on");
        }
    }
    s = reduce(s, Action::Step);
    assert_eq!(s.snapshot().cursor, state::MAX_UI_STEPS, "Step did not go past the limit");
    assert!(s.banner.as_ref().is_some_and(|b| b.text.contains("Stopped at")), "and says why");
    s = reduce(s, Action::Back);
    s = reduce(s, Action::Step);
    assert_eq!(s.snapshot().cursor, state::MAX_UI_STEPS, "stepping within the recorded run still works");
}
