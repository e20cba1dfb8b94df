//! The one reducer that owns the app's state. Components get plain snapshots and callbacks;
//! every change to the run goes through an [`Action`] here, and every change to the simulation
//! goes through the run's `apply` (the core's one mutation point).

use caucus_protocols::share::Shared;
use caucus_protocols::{build, builtin, builtin_scenarios, pack_of, Pack};
use caucus_sim::run::{MsgView, NodeView, PropertyView};
use caucus_sim::{DcId, DynRun, Input, Link, Micros, MsgId, NodeId, Topology};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;

/// Steps one animation frame may apply; past this the view waits for the simulation.
pub const MAX_STEPS_PER_FRAME: usize = 1_500;
/// Real milliseconds one animation frame may spend simulating (steps of a flooded network cost
/// far more than ordinary ones, so the step count alone does not bound a frame).
pub const FRAME_SIM_MS: f64 = 8.0;
/// Steps a browser run may record before play stops (memory stays in the tens of MB).
pub const MAX_UI_STEPS: u64 = 400_000;
/// Simulated-to-real speed as log10: from 1/10,000x to 10x.
pub const SPEED_MIN: f64 = -4.0;
pub const SPEED_MAX: f64 = 1.0;
/// The pack (family of protocols) this bundle runs; see `caucus_protocols::Pack`.
pub const PACK: Pack = if cfg!(feature = "election") {
    Pack::Election
} else if cfg!(feature = "paxos") {
    Pack::Paxos
} else if cfg!(feature = "ring") {
    Pack::Ring
} else if cfg!(feature = "lock") {
    Pack::Lock
} else if cfg!(feature = "commit") {
    Pack::Commit
} else if cfg!(feature = "balance") {
    Pack::Balance
} else if cfg!(feature = "zab") {
    Pack::Zab
} else {
    Pack::Core
};
/// Messages in flight a snapshot copies at most (the oldest): the map draws 2,000 of them.
pub const SNAPSHOT_MSGS: usize = 5_000;
/// How often panels other than the map and the diagram refresh while playing.
pub const PANEL_REFRESH_MS: f64 = 250.0;
/// Real milliseconds one slice of computing the run ahead may take (between two frames).
pub const AHEAD_SLICE_MS: f64 = 6.0;
/// The same while playing: the frame also draws the run, and Play pressed at once after the
/// page opened gave the first second's frames 6 ms less (the commit page at 25 nodes missed
/// a frame in ten).
pub const AHEAD_SLICE_PLAYING_MS: f64 = 2.0;
/// Steps the run is computed ahead at most (the rest is computed by playing on).
pub const MAX_AHEAD_STEPS: u64 = 200_000;
/// Real seconds a built-in story takes to play at its default speed.
pub const STORY_SECONDS: f64 = 40.0;

#[derive(Clone, Debug, PartialEq)]
pub enum BannerKind {
    Info,
    Error,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Banner {
    pub kind: BannerKind,
    pub text: String,
}

impl Banner {
    pub fn error(text: impl Into<String>) -> Option<Banner> {
        Some(Banner { kind: BannerKind::Error, text: text.into() })
    }
    pub fn info(text: impl Into<String>) -> Option<Banner> {
        Some(Banner { kind: BannerKind::Info, text: text.into() })
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dialog {
    Help,
    Share,
    Embed,
}

pub type RunCell = Rc<RefCell<Box<dyn DynRun>>>;

#[derive(Clone)]
pub struct AppState {
    pub run: RunCell,
    /// Bumped by every action: what memoized snapshots key on.
    pub version: u64,
    /// The version the side panels and the log show. It follows `version` except while playing,
    /// when it is refreshed every [`PANEL_REFRESH_MS`]: re-laying out the log every frame is
    /// what made playback stutter.
    pub panels_version: u64,
    /// Real milliseconds of play since the panels were last refreshed.
    pub panels_age_ms: f64,
    /// The simulated time the map shows; between the last applied event and the next one.
    pub view_time: Micros,
    pub playing: bool,
    pub speed_log10: f64,
    pub selected_node: Option<NodeId>,
    pub selected_msg: Option<MsgId>,
    pub banner: Option<Banner>,
    pub dialog: Option<Dialog>,
    pub reduced_motion: bool,
    pub embed: bool,
    /// What an embed shows (`panel=`).
    pub embed_panels: crate::browser::EmbedPanels,
    /// The drawer with the inspector and the faults by hand is open.
    pub drawer: bool,
    /// The run is still being computed ahead to its scenario's end, one slice per frame.
    pub ahead: bool,
    /// Bumped whenever the recorded history changes (its length, its moments): what the
    /// timeline keys on, without re-rendering the views for every slice computed ahead.
    pub timeline_version: u64,
    /// The lesson being followed (`?lesson=`), if any.
    pub lesson: Option<crate::lesson::Play>,
    /// Every line of choices tried on this run (a tree; see `history.rs`).
    pub history: Rc<crate::history::History>,
}

pub enum Action {
    Step,
    Back,
    Seek(u64),
    Reset,
    TogglePlay,
    /// Advance the view by this many real milliseconds of play.
    Tick(f64),
    SetSpeed(f64),
    Faster,
    Slower,
    Apply(Input),
    Load(Box<dyn DynRun>, Option<Banner>),
    LoadScenario(String),
    SetSeed(u64),
    SelectNode(Option<NodeId>),
    SelectMsg(Option<MsgId>),
    SetBanner(Option<Banner>),
    SetDialog(Option<Dialog>),
    SetDrawer(bool),
    ToggleDrawer,
    /// Computes one slice of the run ahead (see [`AHEAD_SLICE_MS`]).
    ComputeAhead,
    /// Jumps to the next (or previous) key moment of the run: inputs, failures, role changes.
    NextMoment,
    PrevMoment,
    /// The lesson's chapters: the next, the previous, one by index; each moves the run there.
    NextChapter,
    PrevChapter,
    GoChapter(usize),
    /// The student's choice for chapter `.0`'s question.
    Answer(usize, usize),
    /// Applies the chapter's task's solution ("Show me").
    ShowMe,
    /// Starts trying challenge `.0` (on its own scenario, on the same seed).
    StartChallenge(usize),
    /// Goes back to the lesson's own run (the same seed, no inputs by hand).
    LessonRestart,
    /// Switches to another line of the run's history (an index into `History::branches`).
    SwitchBranch(usize),
}

impl AppState {
    /// The first state: the run a link describes, or the default scenario with a message saying
    /// why the link could not be opened.
    pub fn from_query(query: &str, reduced_motion: bool) -> AppState {
        let embed = caucus_protocols::share::Params::lenient(query).get("embed") == Some("1");
        if let Some(id) = crate::lesson::named(query) {
            if let Some(state) = Self::lesson_from_query(query, &id, reduced_motion, embed) {
                return state;
            }
        }
        // A run file imported on another family's page, handed over to this one.
        if caucus_protocols::share::Params::lenient(query).get("import") == Some("1") {
            let (run, banner) = match crate::browser::take_import() {
                Some(text) => match Shared::from_file(&text).and_then(|s| s.restore()) {
                    Ok(run) => (run, Banner::info("Imported the run.")),
                    Err(e) => (default_run(), Banner::error(format!("That file could not be imported: {e}."))),
                },
                None => (
                    default_run(),
                    Banner::error("The run to import is gone (it waits only in the tab it was imported in): import the file again."),
                ),
            };
            return AppState::from_run(run, banner, reduced_motion, embed, query);
        }
        let (run, banner) = match Shared::from_query(query).and_then(|s| s.map(|s| s.restore()).transpose()) {
            Ok(Some(run)) => (run, None),
            Ok(None) => (default_run(), None),
            Err(e) => (
                default_run(),
                Banner::error(format!("This link could not be opened: {e}. Showing the default scenario instead.")),
            ),
        };
        AppState::from_run(run, banner, reduced_motion, embed, query)
    }

    /// The first state of a lesson's link: its run (the link's own, when it carries one, else
    /// the lesson's scenario) at its chapter. `None` (with the reason on the default run's
    /// banner) when this page has no such lesson.
    fn lesson_from_query(query: &str, id: &str, reduced_motion: bool, embed: bool) -> Option<AppState> {
        let lesson = match crate::lesson::loaded(id) {
            Some(Ok(lesson)) => lesson,
            got => {
                let without: Vec<&str> =
                    query.trim_start_matches('?').split('&').filter(|kv| !kv.starts_with("lesson=")).collect();
                let mut state = AppState::from_query(&without.join("&"), reduced_motion);
                state.banner = Banner::error(match got {
                    Some(Err(e)) => format!("The lesson `{id}` could not be loaded: {e}."),
                    _ => format!("There is no lesson `{id}` on this page: see the index for the lessons."),
                });
                return Some(state);
            }
        };
        let shared = Shared::from_query(query);
        let carries_run = matches!(shared, Ok(Some(_)));
        let own = shared.and_then(|s| s.map(|s| s.restore()).transpose());
        let (run, banner) = match own {
            Ok(Some(run)) => (run, None),
            Ok(None) => {
                // `&seed=` on a lesson link plays the lesson's scenario on that seed.
                let seed =
                    caucus_protocols::share::Params::lenient(query).get("seed").and_then(|v| v.parse::<u64>().ok());
                let scenario = lesson.scenario().map(|mut sc| {
                    if let Some(seed) = seed {
                        sc.seed = seed;
                    }
                    sc
                });
                match scenario.map_err(|e| e.to_string()).and_then(|sc| build(&sc).map_err(|e| e.to_string())) {
                    Ok(run) => (run, None),
                    Err(e) => (default_run(), Banner::error(format!("The lesson's scenario cannot run: {e}"))),
                }
            }
            Err(e) => match lesson.scenario().ok().and_then(|sc| build(&sc).ok()) {
                Some(run) => (
                    run,
                    Banner::error(format!(
                        "This link's run could not be opened: {e}. Showing the lesson from its start."
                    )),
                ),
                None => (default_run(), Banner::error(format!("This link could not be opened: {e}"))),
            },
        };
        let chapter = crate::lesson::chapter_param(query).unwrap_or(1).saturating_sub(1);
        let mut state = AppState::from_run(run, banner, reduced_motion, embed, query);
        let mut play = crate::lesson::Play::new(lesson, chapter);
        play.pending = chapter > 0 && !carries_run;
        state.lesson = Some(play);
        state.relocate();
        Some(state)
    }

    fn from_run(
        run: Box<dyn DynRun>,
        banner: Option<Banner>,
        reduced_motion: bool,
        embed: bool,
        query: &str,
    ) -> AppState {
        let view_time = run.now();
        let speed_log10 = story_speed(run.scenario());
        AppState {
            run: Rc::new(RefCell::new(run)),
            version: 0,
            panels_version: 0,
            panels_age_ms: 0.0,
            view_time,
            playing: false,
            speed_log10,
            selected_node: None,
            selected_msg: None,
            banner,
            dialog: None,
            reduced_motion,
            embed,
            embed_panels: crate::browser::EmbedPanels::from_query(query),
            drawer: false,
            ahead: true,
            timeline_version: 0,
            lesson: None,
            history: Rc::default(),
        }
    }

    /// Finds the lesson's chapters on the run as recorded now; seeks to a chapter that was
    /// asked for before the run reached it. Returns whether the cursor moved.
    fn relocate(&mut self) -> bool {
        let Some(play) = self.lesson.as_mut() else { return false };
        let mut run = self.run.borrow_mut();
        if let Some(c) = play.locate(run.as_mut()) {
            let title = &play.lesson.challenges[c].title;
            self.banner = Banner::info(format!("Challenge met: {title}"));
        }
        if play.pending {
            if let Some(start) = play.starts[play.chapter].as_ref().map(|f| f.step) {
                play.pending = false;
                run.seek(start);
                self.view_time = run.now();
                self.playing = false;
                return true;
            }
            if !self.ahead {
                play.pending = false;
            }
        }
        false
    }

    /// One slice of computing the run ahead to its scenario's end: the cursor stays where it is.
    fn compute_ahead(&mut self) {
        let mut run = self.run.borrow_mut();
        let until = run.scenario().until_us;
        let (cursor, head) = (run.cursor(), run.head());
        run.seek(head);
        let deadline = crate::browser::now_ms() + if self.playing { AHEAD_SLICE_PLAYING_MS } else { AHEAD_SLICE_MS };
        let mut done = false;
        'slice: while crate::browser::now_ms() < deadline {
            for _ in 0..128 {
                let next = run.next_event_time();
                if next.is_none_or(|t| t > until) || run.head() >= MAX_AHEAD_STEPS {
                    done = true;
                    break 'slice;
                }
                match run.apply(Input::Step) {
                    Ok(true) => {}
                    Ok(false) => {
                        done = true;
                        break 'slice;
                    }
                    Err(e) => {
                        done = true;
                        self.banner = Banner::error(format!("The run stops at step {}: {e}", run.head()));
                        break 'slice;
                    }
                }
            }
        }
        run.seek(cursor);
        self.ahead = !done;
        self.timeline_version += 1;
    }

    pub fn speed(&self) -> f64 {
        10f64.powf(self.speed_log10)
    }

    /// A plain copy of what the views draw, taken once per version.
    pub fn snapshot(&self) -> Snapshot {
        let run = self.run.borrow();
        let topology = run.topology();
        let dcs = topology.datacenters.len();
        let mut links = Vec::with_capacity(dcs * dcs);
        let mut cut = Vec::with_capacity(dcs * dcs);
        for a in 0..dcs as DcId {
            for b in 0..dcs as DcId {
                links.push(run.link(a, b));
                let pairs: Vec<(NodeId, NodeId)> = topology
                    .nodes_in(a)
                    .flat_map(|x| topology.nodes_in(b).map(move |y| (x, y)))
                    .filter(|(x, y)| x != y)
                    .collect();
                let blocked = pairs.iter().filter(|(x, y)| run.is_cut(*x, *y)).count();
                cut.push(match blocked {
                    0 => Cut::None,
                    k if k == pairs.len() => Cut::All,
                    _ => Cut::Some,
                });
            }
        }
        let scenario = run.scenario();
        Snapshot {
            version: self.version,
            protocol: run.protocol_name(),
            scenario_name: scenario.name.clone(),
            description: scenario.description.clone(),
            seed: scenario.seed,
            cursor: run.cursor(),
            head: run.head(),
            topology: Rc::new(topology.clone()),
            nodes: run.nodes(),
            msgs: run.in_flight_first(SNAPSHOT_MSGS),
            msgs_total: run.in_flight_count(),
            properties: run.properties(),
            links,
            cut,
        }
    }
}

impl AppState {
    /// After the cursor moved: the chapter follows it; playing into a new chapter pauses at its
    /// start (the lesson's pace); the contrast run (if the chapter has one) shows the same time.
    fn follow_chapters(&mut self, navigated: bool) {
        let Some(play) = self.lesson.as_mut() else { return };
        let mut run = self.run.borrow_mut();
        if !navigated && play.follow(run.cursor()) && self.playing {
            self.playing = false;
            if let Some(start) = play.starts[play.chapter].as_ref().map(|f| f.step) {
                run.seek(start);
                self.view_time = run.now();
            }
        }
        let chapter = play.chapter;
        let wanted = play.lesson.chapters[chapter].contrast.as_ref();
        match (wanted, &play.contrast) {
            (None, _) => play.contrast = None,
            (Some(_), Some((c, _))) if *c == chapter => {}
            (Some(contrast), _) => {
                let seed = run.scenario().seed;
                let built = caucus_lessons::resolve_scenario(&contrast.scenario, "contrast.scenario")
                    .map_err(|e| e.to_string())
                    .and_then(|mut sc| {
                        sc.seed = seed;
                        caucus_lessons::check::play(&sc)
                    });
                match built {
                    Ok(other) => play.contrast = Some((chapter, RunRef(Rc::new(RefCell::new(other))))),
                    Err(e) => {
                        play.contrast = None;
                        self.banner = Banner::error(format!("The contrast run cannot be built: {e}"));
                    }
                }
            }
        }
        if let Some((_, other)) = &play.contrast {
            let mut other = other.0.borrow_mut();
            let step = other.step_at_time(run.now() + 1) as u64;
            other.seek(step);
        }
    }
}

/// The speed (log10) at which a scenario's story plays in about [`STORY_SECONDS`] real seconds.
pub fn story_speed(scenario: &caucus_sim::Scenario) -> f64 {
    let simulated_s = scenario.until_us.max(1) as f64 / 1e6;
    crate::components::clamp((simulated_s / STORY_SECONDS).log10(), SPEED_MIN, SPEED_MAX)
}

/// The scenario a page opens without a link: the first built-in one of this pack.
pub fn default_scenario() -> caucus_sim::Scenario {
    builtin_scenarios()
        .into_iter()
        .find(|sc| pack_of(&sc.protocol.name) == Some(PACK))
        .expect("every pack has a built-in scenario")
}

pub fn default_run() -> Box<dyn DynRun> {
    build(&default_scenario()).expect("the default scenario is valid")
}

/// How much of the traffic from one datacenter to another a partition blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cut {
    None,
    Some,
    All,
}

#[derive(Clone, Debug)]
pub struct Snapshot {
    pub version: u64,
    pub protocol: &'static str,
    pub scenario_name: String,
    pub description: String,
    pub seed: u64,
    pub cursor: u64,
    pub head: u64,
    pub topology: Rc<Topology>,
    pub nodes: Vec<NodeView>,
    /// The oldest messages in flight, at most [`SNAPSHOT_MSGS`] (the views draw fewer); a
    /// flooded network has up to 100,000, and copying every one each frame froze the tab.
    pub msgs: Vec<MsgView>,
    /// How many messages are in flight in all.
    pub msgs_total: usize,
    pub properties: Vec<PropertyView>,
    /// `links[a * dcs + b]`, current values.
    pub links: Vec<Link>,
    /// `cut[a * dcs + b]`: how much traffic from `a` to `b` is cut.
    pub cut: Vec<Cut>,
}

/// A snapshot is a copy of the run at one version: equal versions, equal snapshots. Comparing the
/// version keeps prop checks O(1) on every frame.
impl PartialEq for Snapshot {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version
    }
}

impl Snapshot {
    pub fn cut(&self, a: DcId, b: DcId) -> Cut {
        self.cut[a as usize * self.topology.datacenters.len() + b as usize]
    }
    pub fn link(&self, a: DcId, b: DcId) -> Link {
        self.links[a as usize * self.topology.datacenters.len() + b as usize]
    }
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        if let Action::ComputeAhead = action {
            // Not a new version: nothing on screen but the timeline changes.
            if !self.ahead {
                return self;
            }
            let mut s = (*self).clone();
            s.compute_ahead();
            if s.relocate() {
                s.version += 1;
                s.panels_version = s.version;
            }
            return Rc::new(s);
        }
        let mut s = (*self).clone();
        s.version += 1;
        let head_before = s.run.borrow().head();
        // Chapter moves choose the chapter themselves; other moves of the cursor may pass into
        // another chapter.
        let mut navigated = false;
        let run_cell = s.run.clone();
        let mut run = run_cell.borrow_mut();
        match action {
            Action::Step => {
                s.playing = false;
                if run.cursor() == run.head() && run.head() >= MAX_UI_STEPS {
                    // The same limit as Play: stepping by hand does not go past it either.
                    s.banner = Banner::info(format!(
                        "Stopped at {MAX_UI_STEPS} steps to keep this tab light. Step back, or reset to start again."
                    ));
                    return Rc::new(s);
                }
                match run.apply(Input::Step) {
                    Ok(true) => s.banner = None,
                    Ok(false) => s.banner = Banner::info("Nothing left to happen: the run is quiet."),
                    Err(e) => s.banner = Banner::error(e.to_string()),
                }
                s.view_time = run.now();
            }
            Action::Back => {
                s.playing = false;
                let c = run.cursor();
                run.seek(c.saturating_sub(1));
                s.view_time = run.now();
            }
            Action::Seek(step) => {
                run.seek(step);
                s.view_time = run.now();
            }
            Action::Reset => {
                s.playing = false;
                match build(run.scenario()) {
                    Ok(fresh) => {
                        *run = fresh;
                        s.history = Rc::default();
                        s.banner = None;
                        s.ahead = true;
                    }
                    Err(e) => s.banner = Banner::error(e.to_string()),
                }
                s.view_time = run.now();
            }
            Action::TogglePlay => s.playing = !s.playing,
            Action::Tick(real_ms) => {
                if !s.playing {
                    return self;
                }
                s.panels_age_ms += real_ms;
                let stop = if s.reduced_motion {
                    // Discrete steps: one event per tick, no motion in between.
                    let r = run.apply(Input::Step);
                    s.view_time = run.now();
                    r
                } else {
                    let target =
                        s.view_time + (crate::components::clamp(real_ms, 0.0, 100.0) * 1e3 * s.speed()) as Micros;
                    advance(run.as_mut(), &mut s, target)
                };
                match stop {
                    Ok(true) => {}
                    Ok(false) => {
                        s.playing = false;
                        s.banner = Banner::info("Nothing left to happen: the run is quiet.");
                    }
                    Err(e) => {
                        s.playing = false;
                        s.banner = Banner::error(e.to_string());
                    }
                }
                if run.head() >= MAX_UI_STEPS && run.cursor() == run.head() {
                    s.playing = false;
                    s.banner = Banner::info(format!(
                        "Paused at {MAX_UI_STEPS} steps to keep this tab light. Step back, or reset to start again."
                    ));
                }
            }
            Action::SetSpeed(v) => s.speed_log10 = crate::components::clamp(v, SPEED_MIN, SPEED_MAX),
            Action::Faster => s.speed_log10 = (s.speed_log10 + 0.25).min(SPEED_MAX),
            Action::Slower => s.speed_log10 = (s.speed_log10 - 0.25).max(SPEED_MIN),
            Action::Apply(input) if input != Input::Step && run.inputs().len() >= caucus_sim::limits::MAX_INPUTS => {
                s.banner = Banner::error(format!(
                    "This run already has {} inputs by hand, the most a run can carry: export it, or reset.",
                    caucus_sim::limits::MAX_INPUTS
                ));
            }
            Action::Apply(input) => {
                let before = crate::history::History::before(run.as_ref(), &input);
                match run.apply(input) {
                    Ok(_) => {
                        s.banner = None;
                        s.view_time = run.now();
                        // An input by hand in the past starts a new branch: compute its future.
                        s.ahead = true;
                        Rc::make_mut(&mut s.history).chose(before, run.as_ref());
                    }
                    Err(e) => s.banner = Banner::error(e.to_string()),
                }
            }
            Action::SwitchBranch(to) => {
                s.playing = false;
                match Rc::make_mut(&mut s.history).switch(to, run.as_ref()) {
                    Ok(fresh) => {
                        *run = fresh;
                        s.ahead = true;
                        s.banner = None;
                        s.view_time = run.now();
                    }
                    Err(e) => s.banner = Banner::error(format!("That branch cannot be rebuilt: {e}")),
                }
            }
            Action::Load(fresh, banner) => {
                *run = fresh;
                s.history = Rc::default();
                s.playing = false;
                s.ahead = true;
                s.speed_log10 = story_speed(run.scenario());
                s.banner = banner;
                s.selected_node = None;
                s.selected_msg = None;
                s.view_time = run.now();
            }
            Action::LoadScenario(name) => match builtin(&name).map(|sc| build(&sc)) {
                Some(Ok(fresh)) => {
                    *run = fresh;
                    s.history = Rc::default();
                    s.playing = false;
                    s.ahead = true;
                    s.speed_log10 = story_speed(run.scenario());
                    s.banner = None;
                    s.selected_node = None;
                    s.selected_msg = None;
                    s.view_time = 0;
                }
                Some(Err(e)) => s.banner = Banner::error(e.to_string()),
                None => s.banner = Banner::error(format!("There is no scenario `{name}`.")),
            },
            Action::SetSeed(seed) => {
                let mut scenario = run.scenario().clone();
                scenario.seed = seed;
                match build(&scenario) {
                    Ok(fresh) => {
                        *run = fresh;
                        s.history = Rc::default();
                        s.playing = false;
                        s.ahead = true;
                        s.banner = None;
                        s.view_time = 0;
                    }
                    Err(e) => s.banner = Banner::error(e.to_string()),
                }
            }
            Action::SelectNode(n) => {
                // Picking a node opens the drawer with its inspector and faults.
                if n.is_some() {
                    s.drawer = true;
                }
                s.selected_node = n;
            }
            Action::SelectMsg(m) => {
                if m.is_some() {
                    s.drawer = true;
                }
                s.selected_msg = m;
            }
            Action::SetBanner(b) => s.banner = b,
            Action::SetDialog(d) => s.dialog = d,
            Action::SetDrawer(open) => s.drawer = open,
            Action::ToggleDrawer => s.drawer = !s.drawer,
            Action::NextMoment | Action::PrevMoment => {
                s.playing = false;
                let cursor = run.cursor();
                let moments = run.moments();
                let target = if matches!(action, Action::NextMoment) {
                    moments.iter().map(|m| m.step).find(|&step| step > cursor)
                } else {
                    moments.iter().map(|m| m.step).rfind(|&step| step < cursor)
                };
                match target {
                    Some(step) => {
                        run.seek(step);
                        s.view_time = run.now();
                        s.banner = None;
                    }
                    None if matches!(action, Action::NextMoment) && s.ahead => {
                        s.banner = Banner::info("The rest of the run is still being computed: try again in a moment.")
                    }
                    None => {}
                }
            }
            Action::NextChapter | Action::PrevChapter | Action::GoChapter(_) => {
                s.playing = false;
                if let Some(play) = s.lesson.as_mut() {
                    let last = play.lesson.chapters.len() - 1;
                    let to = match action {
                        Action::NextChapter => (play.chapter + 1).min(last),
                        Action::PrevChapter => play.chapter.saturating_sub(1),
                        Action::GoChapter(i) => i.min(last),
                        _ => unreachable!(),
                    };
                    play.chapter = to;
                    s.banner = None;
                    match play.starts[to].as_ref().map(|f| f.step) {
                        Some(step) => {
                            run.seek(step);
                            s.view_time = run.now();
                        }
                        None if s.ahead => play.pending = true,
                        None => {}
                    }
                }
                navigated = true;
            }
            Action::Answer(chapter, choice) => {
                if let Some(play) = s.lesson.as_mut() {
                    if let Some(a) = play.answers.get_mut(chapter) {
                        *a = Some(choice);
                    }
                }
                navigated = true;
            }
            Action::ShowMe => {
                s.playing = false;
                if let Some(play) = s.lesson.as_ref() {
                    match play.show_me(run.as_mut()) {
                        Ok(()) => {
                            s.banner = None;
                            s.ahead = true;
                        }
                        Err(e) => s.banner = Banner::error(format!("The task cannot be shown here: {e}")),
                    }
                    s.view_time = run.now();
                }
                navigated = true;
            }
            Action::StartChallenge(_) | Action::LessonRestart => {
                s.playing = false;
                if let Some(play) = s.lesson.as_mut() {
                    let seed = run.scenario().seed;
                    let challenge = match action {
                        Action::StartChallenge(i) => Some(i.min(play.lesson.challenges.len().saturating_sub(1))),
                        _ => None,
                    };
                    let scenario = match challenge {
                        Some(c) => play.lesson.challenge_scenario(c),
                        None => play.lesson.scenario(),
                    };
                    match scenario.map_err(|e| e.to_string()).and_then(|mut sc| {
                        sc.seed = seed;
                        build(&sc).map_err(|e| e.to_string())
                    }) {
                        Ok(fresh) => {
                            *run = fresh;
                            s.history = Rc::default();
                            s.ahead = true;
                            s.view_time = 0;
                            s.speed_log10 = story_speed(run.scenario());
                            play.challenge = challenge;
                            play.contrast = None;
                            s.banner = challenge.map_or(None, |c| {
                                Banner::info(format!(
                                    "Challenge: {}. Open the faults drawer (f) to break things.",
                                    play.lesson.challenges[c].title
                                ))
                            });
                            if challenge.is_none() {
                                play.chapter = 0;
                            }
                        }
                        Err(e) => s.banner = Banner::error(e),
                    }
                }
                navigated = true;
            }
            Action::ComputeAhead => {}
        }
        if run.head() != head_before {
            s.timeline_version += 1;
        }
        drop(run);
        if s.lesson.is_some() {
            let timeline_changed = s.timeline_version != self.timeline_version
                || !Rc::ptr_eq(&s.run, &self.run)
                || matches!(self.lesson.as_ref().map(|p| p.lesson.id.as_str()), None);
            if timeline_changed || navigated {
                s.relocate();
            }
            s.follow_chapters(navigated);
        }
        if s.playing {
            if s.panels_age_ms >= PANEL_REFRESH_MS {
                s.panels_version = s.version;
                s.panels_age_ms = 0.0;
            }
        } else {
            s.panels_version = s.version;
            s.panels_age_ms = 0.0;
        }
        Rc::new(s)
    }
}

/// Applies every event up to `target` (at most a frame's worth: [`MAX_STEPS_PER_FRAME`] steps
/// or [`FRAME_SIM_MS`] of real time) and moves the view there.
/// Returns false when the run has nothing left to do.
fn advance(run: &mut dyn DynRun, s: &mut AppState, target: Micros) -> Result<bool, caucus_sim::SimError> {
    let deadline = crate::browser::now_ms() + FRAME_SIM_MS;
    for i in 0..MAX_STEPS_PER_FRAME {
        // The clock is read every 32 steps: reading it costs about as much as a cheap step.
        if i % 32 == 31 && crate::browser::now_ms() > deadline {
            break;
        }
        match run.next_event_time() {
            Some(t) if t <= target => {
                if !run.apply(Input::Step)? {
                    return Ok(false);
                }
            }
            Some(_) => {
                s.view_time = target;
                return Ok(true);
            }
            None => {
                s.view_time = run.now();
                return Ok(false);
            }
        }
    }
    // The simulation is behind the clock: show where it is rather than where it should be.
    s.view_time = run.now();
    Ok(true)
}

/// The run, compared by identity so it can be a prop; pair it with a version to re-render.
#[derive(Clone)]
pub struct RunRef(pub RunCell);

impl PartialEq for RunRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}
