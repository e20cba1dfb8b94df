//! The commit pack's panel: phase lanes (a swimlane per node with the phase boundaries, state
//! changes and votes of one transaction), the participants' state machine with who is where,
//! each node's write-ahead log, who is blocked in doubt and for how long, the latency of each
//! phase, and how latency grows with distance. Compiled only into the commit pack.

use crate::components::{esc, fmt_time, node_chip_markup, node_colour, Part};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::commit::{
    latency_by_distance, participants, Commit, Entry, Latency, Msg, Params, Request, State, Variant, WalRecord,
};
use caucus_sim::sim::What;
use caucus_sim::trace::Outcome;
use caucus_sim::{decimal, DynRun, Endpoint, Input, Micros, NodeId, Run, Status, Topology, MS};
use std::fmt::Write as _;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct CommitProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below).
    pub part: Part,
    /// Playing: the figure stays on a transaction for `HOLD_MS` before it follows the oldest
    /// open one (at 10x with 25 nodes that changed 20 times a second: nobody could read it).
    #[prop_or_default]
    pub playing: bool,
}

/// Real milliseconds the figure stays on a transaction while playing.
const HOLD_MS: f64 = 1000.0;

/// Lanes drawing: label column, plot width, lane height, top margin.
const LABEL_W: f64 = 96.0;
const PLOT_W: f64 = 640.0;
const LANE_H: f64 = 34.0;
const TOP: f64 = 34.0;

#[function_component(CommitPanel)]
pub fn commit_panel(p: &CommitProps) -> Html {
    let picked = use_state(|| None::<u32>);
    let no_voter = use_state(|| None::<NodeId>);
    let run = p.run.0.borrow();
    let typed = run.as_any().downcast_ref::<Run<Commit>>();
    let variant = typed.map(|r| r.sim().params().variant);
    let distance = use_memo(variant, |v| v.map(latency_by_distance).unwrap_or_default());
    let Some(r) = typed else {
        return html! {};
    };
    let params = r.sim().params().clone();
    let model = Model::of(r);
    let held = use_mut_ref(|| (None::<u32>, 0.0));
    let txn = picked.filter(|t| *t >= 1 && *t <= model.txns).or_else(|| {
        let mut held = held.borrow_mut();
        let now = crate::browser::now_ms();
        let keep = p.playing && held.0.is_some_and(|t| t <= model.txns) && now - held.1 < HOLD_MS;
        if !keep && held.0 != model.current {
            *held = (model.current, now);
        }
        held.0
    });
    let base = std::rc::Rc::new(DynRun::scenario(r).clone());
    let settings_key = base.name.clone();

    let pick = {
        let picked = picked.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<HtmlSelectElement>().value();
            picked.set(v.parse::<u32>().ok());
        })
    };
    let txn_word = |t: u32| if params.variant == Variant::Saga { format!("S{t}") } else { format!("T{t}") };
    let picker = html! {
        <label class="field"><span>{"Transaction"}</span>
            <select aria-label="Transaction to show" onchange={pick} disabled={model.txns == 0}>
                { for (1..=model.txns).map(|t| html! { <option value={t.to_string()} selected={Some(t) == txn}>{ txn_word(t) }</option> }) }
            </select>
        </label>
    };
    let title = match params.variant {
        Variant::TwoPhase if params.cooperative => "Two-phase commit, cooperative termination",
        Variant::TwoPhase => "Two-phase commit",
        Variant::ThreePhase => "Three-phase commit",
        Variant::Saga => "Saga",
    };
    if p.part == Part::Rest {
        return html! {
            <section class="panel commit-more" aria-label="Commit: latency, logs and parameters">
                if let Some(t) = txn {
                    <div class="commit-grid">
                        { machine(r, &model, t) }
                        { latency(&model, t, &distance) }
                    </div>
                }
                { wal_table(r, &model) }
                <Settings key={settings_key} base={base} params={params} dispatch={p.dispatch.clone()} />
            </section>
        };
    }
    html! {
        <section class="panel commit figure" data-figure="commit" aria-label="Commit phases">
            <h2>{ title }<span class="sub">{ model.summary(txn, &params) }</span></h2>
            <div class="row">
                if model.txns > 0 { { picker } }
                { actions(r, &model, *no_voter, no_voter.setter(), &p.dispatch) }
            </div>
            if let Some(t) = txn {
                { lanes(r, &model, t) }
                { in_doubt(r, &model) }
            } else {
                <p class="hint">{ format!("No transaction has begun yet: the first begins at {}.", fmt_time(params.start_us)) }</p>
            }
        </section>
    }
}

// ---- the model: plain data read from the run ------------------------------------------------

struct Model {
    variant: Variant,
    /// A work phase comes before the vote (`work_us` above zero).
    work: bool,
    coordinator: NodeId,
    parts: Vec<NodeId>,
    names: Vec<String>,
    /// Every node's log (a crashed node's from its disk).
    wals: Vec<Vec<WalRecord>>,
    status: Vec<Status>,
    /// Transactions begun (numbered from 1).
    txns: u32,
    /// The first open transaction, else the latest.
    current: Option<u32>,
    now: Micros,
}

impl Model {
    fn of(r: &Run<Commit>) -> Model {
        let sim = r.sim();
        let t = sim.topology();
        let n = t.nodes.len() as NodeId;
        let p = sim.params();
        let wals: Vec<Vec<WalRecord>> = (0..n)
            .map(|i| sim.state(i).map(|s| s.wal.clone()).or_else(|| sim.durable(i)).unwrap_or_default())
            .collect();
        let cw = &wals[p.coordinator as usize];
        let txns = cw.iter().map(|r| r.txn).max().unwrap_or(0);
        let ended = |t: u32| cw.iter().any(|r| r.txn == t && r.entry == Entry::End);
        let current = (1..=txns).find(|&t| !ended(t)).or((txns > 0).then_some(txns));
        Model {
            variant: p.variant,
            work: p.work_us > 0,
            coordinator: p.coordinator,
            parts: participants(t.nodes.len(), p.coordinator),
            names: t.nodes.iter().map(|n| n.name.clone()).collect(),
            status: (0..n).map(|i| sim.status(i)).collect(),
            wals,
            txns,
            current,
            now: sim.now(),
        }
    }

    fn at(&self, node: NodeId, txn: u32, f: impl Fn(Entry) -> bool) -> Option<Micros> {
        self.wals[node as usize].iter().find(|r| r.txn == txn && f(r.entry)).map(|r| r.at_us)
    }

    /// The coordinator's milestones: begin, votes in (3PC: PreCommit; saga: a step failed),
    /// decision, end.
    fn milestones(&self, txn: u32) -> [Option<Micros>; 4] {
        let c = self.coordinator;
        let begin = self.at(c, txn, |e| e == Entry::Begin);
        let voted = self.at(c, txn, |e| matches!(e, Entry::PreCommit | Entry::StepFailed { .. }));
        let decided = self.at(c, txn, |e| matches!(e, Entry::Commit | Entry::Abort));
        let end = self.at(c, txn, |e| e == Entry::End);
        [begin, voted, decided, end]
    }

    fn outcome(&self, txn: u32) -> Option<bool> {
        self.wals[self.coordinator as usize]
            .iter()
            .find(|r| r.txn == txn && matches!(r.entry, Entry::Commit | Entry::Abort))
            .map(|r| r.entry == Entry::Commit)
    }

    fn summary(&self, txn: Option<u32>, p: &Params) -> String {
        let Some(t) = txn else { return format!("{} transaction(s) to run", p.transactions) };
        let name = if self.variant == Variant::Saga { format!("S{t}") } else { format!("T{t}") };
        let [begin, _, decided, end] = self.milestones(t);
        let since = |x: Option<Micros>| match (begin, x) {
            (Some(b), Some(x)) => fmt_time(x.saturating_sub(b)),
            _ => "?".into(),
        };
        match (self.outcome(t), end) {
            (None, _) => format!("{name} open for {}", since(Some(self.now))),
            (Some(c), None) => {
                format!(
                    "{name} {} after {}; not every node has heard",
                    if c { "committed" } else { "aborted" },
                    since(decided)
                )
            }
            (Some(c), Some(_)) => format!(
                "{name} {} after {}, every node done after {}",
                if c { "committed" } else { "aborted" },
                since(decided),
                since(end)
            ),
        }
    }

    /// A participant's state in `txn` over time: (from, state), from its log.
    fn history(&self, r: &Run<Commit>, node: NodeId, txn: u32) -> Vec<(Micros, State)> {
        let asked = r
            .trace()
            .msgs
            .iter()
            .filter(|m| m.target == node && txn_of(&m.msg) == txn)
            .filter(|m| {
                matches!(m.msg, Msg::Work { .. } | Msg::Prepare { .. } | Msg::CanCommit { .. } | Msg::Do { .. })
            })
            .find_map(|m| match m.outcome {
                Outcome::Delivered { time, .. } if time <= self.now => Some(time),
                _ => None,
            });
        let mut h: Vec<(Micros, State)> = asked.map(|t| (t, State::Init)).into_iter().collect();
        for rec in self.wals[node as usize].iter().filter(|x| x.txn == txn) {
            if let Some(s) = rec.entry.participant_state() {
                h.push((rec.at_us, s));
            }
        }
        h
    }
}

fn txn_of(m: &Msg) -> u32 {
    match *m {
        Msg::Work { txn }
        | Msg::Prepare { txn }
        | Msg::CanCommit { txn }
        | Msg::Vote { txn, .. }
        | Msg::PreCommit { txn }
        | Msg::PreCommitAck { txn }
        | Msg::Commit { txn }
        | Msg::DoCommit { txn }
        | Msg::Abort { txn }
        | Msg::Ack { txn }
        | Msg::Query { txn }
        | Msg::Do { txn, .. }
        | Msg::Done { txn, .. }
        | Msg::Undo { txn, .. }
        | Msg::Undone { txn, .. } => txn,
    }
}

fn state_class(s: State) -> &'static str {
    match s {
        State::Init => "s-init",
        State::Ready => "s-ready",
        State::PreCommitted => "s-pre",
        State::Committed => "s-commit",
        State::Aborted => "s-abort",
        State::Compensated => "s-comp",
    }
}

fn num(v: f64) -> String {
    decimal(v, 1)
}

// ---- phase lanes ----------------------------------------------------------------------------

/// The length of the lanes' time axis for `span` of simulated time: 1, 1.5, 2, 3, 5 or 7 times
/// a power of ten, at least `span`, so that the axis changes a few times per transaction.
fn window(span: Micros) -> Micros {
    let mut p: Micros = 1;
    loop {
        for k in [10, 15, 20, 30, 50, 70] {
            if p * k / 10 >= span {
                return p * k / 10;
            }
        }
        p *= 10;
    }
}

/// When each node was down during the run so far: (from, until) in simulated time.
/// A node still down runs to `open_end`.
fn down_spans(r: &Run<Commit>, nodes: usize, now: Micros, open_end: Micros) -> Vec<Vec<(Micros, Micros)>> {
    let mut spans = vec![Vec::new(); nodes];
    let mut since: Vec<Option<Micros>> = vec![None; nodes];
    for s in r.trace().steps.iter().take_while(|s| s.time <= now) {
        let What::Input { input, .. } = &s.what else { continue };
        match **input {
            Input::Crash { node } if (node as usize) < nodes => {
                since[node as usize] = since[node as usize].or(Some(s.time))
            }
            Input::Restart { node } if (node as usize) < nodes => {
                if let Some(from) = since[node as usize].take() {
                    spans[node as usize].push((from, s.time));
                }
            }
            Input::HealAll => {
                for (i, f) in since.iter_mut().enumerate() {
                    if let Some(from) = f.take() {
                        spans[i].push((from, s.time));
                    }
                }
            }
            _ => {}
        }
    }
    for (i, f) in since.into_iter().enumerate() {
        if let Some(from) = f {
            spans[i].push((from, open_end));
        }
    }
    spans
}

fn lanes(r: &Run<Commit>, m: &Model, txn: u32) -> Html {
    let [begin, voted, decided, end] = m.milestones(txn);
    let t0 = begin.unwrap_or(0);
    // The time axis holds still while the transaction runs: its end moves in steps, and what is
    // after now is hidden under a mask (the one element that moves every frame). When the axis
    // followed now, every bar and line of 25 lanes was redrawn 60 times a second.
    let t1 = match end {
        Some(e) => e + (e - t0) / 6 + MS,
        None => t0 + window(m.now.saturating_sub(t0) / 8 * 9),
    }
    .max(t0 + MS);
    let x = |t: Micros| LABEL_W + (t.clamp(t0, t1) - t0) as f64 / (t1 - t0) as f64 * PLOT_W;
    let order: Vec<NodeId> = std::iter::once(m.coordinator).chain(m.parts.iter().copied()).collect();
    let lane_of = |n: NodeId| order.iter().position(|&o| o == n).unwrap_or(0);
    let y = |n: NodeId| TOP + lane_of(n) as f64 * LANE_H;
    let height = TOP + order.len() as f64 * LANE_H + 24.0;
    let width = LABEL_W + PLOT_W + 8.0;

    // Phases: shaded bands between the coordinator's milestones, each with its name.
    let names: [&str; 3] = match m.variant {
        Variant::TwoPhase if m.work => ["phase 1: work, Prepare, votes", "", "phase 2: decision, acks"],
        Variant::TwoPhase => ["phase 1: Prepare, votes", "", "phase 2: decision, acks"],
        Variant::ThreePhase => ["phase 1: CanCommit, votes", "phase 2: PreCommit, acks", "phase 3: DoCommit, acks"],
        Variant::Saga => ["steps T1..Tn", "compensations", ""],
    };
    // An open phase runs to the right edge.
    let open = |x: Option<Micros>| x.or(decided.is_none().then_some(t1));
    let bands = [
        (begin, open(voted.or(decided)), names[0]),
        (voted, open(decided), names[1]),
        (decided, end.or(Some(t1)), names[2]),
    ];
    // Written as SVG text rather than `html!`: the lanes have no handlers, and the text costs the
    // page kilobytes less than a virtual node per element (the page is at its size budget).
    // In parts, each its own markup: bands, one per lane, messages and axis. A part whose text
    // did not change is not parsed again (a vote changes one lane, not 25).
    let mut parts: Vec<String> = Vec::new();
    let mut out = String::new();
    let o = &mut out;
    let lanes_h = order.len() as f64 * LANE_H;
    for (i, &(a, b, label)) in bands.iter().enumerate() {
        let (Some(a), Some(b)) = (a, b) else { continue };
        if label.is_empty() || b < a {
            continue;
        }
        let (xa, xb) = (x(a), x(b));
        // The full name where it fits, else the phase's number alone (its title says the rest).
        let short = label.split(':').next().unwrap_or(label).trim_start_matches("phase ");
        let fits = |text: &str| (xb - xa) > 6.0 * text.len() as f64 + 4.0;
        let shown = if fits(label) {
            label
        } else if fits(short) {
            short
        } else {
            ""
        };
        let row = match (m.variant, i) {
            (Variant::Saga, 0) => "saga-steps",
            (Variant::Saga, _) => "saga-compensations",
            (_, 0) => "phase-votes",
            (_, 1) => "phase-precommit",
            _ => "phase-decision",
        };
        let _ = write!(
            o,
            r#"<g class="band band{i}" data-row="{row}"><rect x="{}" y="{}" width="{}" height="{}"/><text x="{}" y="{}">{shown}</text><title>{label}: +{} to +{}</title></g>"#,
            num(xa),
            num(TOP - 4.0),
            num((xb - xa).max(1.0)),
            num(lanes_h),
            num(xa + 3.0),
            num(TOP - 8.0),
            fmt_time(a - t0),
            fmt_time(b - t0)
        );
    }

    parts.push(std::mem::take(o));
    let down = down_spans(r, m.names.len(), m.now, t1);
    for &n in &order {
        let yy = y(n);
        let mid = yy + LANE_H / 2.0;
        let name = esc(&m.names[n as usize]);
        let role = if n == m.coordinator {
            if m.variant == Variant::Saga { "orchestrator" } else { "coordinator" }.to_string()
        } else if m.variant == Variant::Saga {
            format!("step T{}", lane_of(n))
        } else {
            "participant".into()
        };
        let _ = write!(
            o,
            r#"<g class="lane" data-row="lane-{name}"><circle class="swatch" cx="9" cy="{}" r="5" fill="{}"/><text class="who" x="18" y="{}">{name}</text><text class="what" x="4" y="{}">{role}</text><line class="track" x1="{}" x2="{}" y1="{}" y2="{}"/>"#,
            num(mid - 4.0),
            node_colour(n),
            num(mid),
            num(mid + 13.0),
            num(LABEL_W),
            num(LABEL_W + PLOT_W),
            num(mid),
            num(mid)
        );
        let segments: Vec<(Micros, String, &'static str)> = if n == m.coordinator {
            coordinator_segments(m, txn)
        } else {
            m.history(r, n, txn).into_iter().map(|(t, s)| (t, s.word(m.variant).to_string(), state_class(s))).collect()
        };
        for (i, (from, word, class)) in segments.iter().enumerate().filter(|(_, s)| s.0 <= t1) {
            let until = segments.get(i + 1).map(|s| s.0).unwrap_or(t1).min(t1);
            let (xa, xb) = (x(*from), x(until));
            let w = (xb - xa).max(2.0);
            let word = esc(word);
            let label = if w > 8.0 * word.len() as f64 { word.as_str() } else { "" };
            let _ = write!(
                o,
                r#"<g class="seg {class}"><rect x="{}" y="{}" width="{}" height="{}" rx="4"/><text x="{}" y="{}">{label}</text><title>{name}: {word} from +{} to +{}</title></g>"#,
                num(xa),
                num(yy + 6.0),
                num(w),
                num(LANE_H - 12.0),
                num(xa + 4.0),
                num(mid + 4.0),
                fmt_time(from.saturating_sub(t0)),
                fmt_time(until.saturating_sub(t0))
            );
        }
        for &(a, b) in down[n as usize].iter().filter(|(a, b)| *b >= t0 && *a <= t1) {
            let (xa, xb) = (x(a), x(b));
            let _ = write!(
                o,
                r#"<g class="down"><rect x="{}" y="{}" width="{}" height="{}"/><text x="{}" y="{}" text-anchor="middle">{}</text><title>{name} down from +{} to +{}</title></g>"#,
                num(xa),
                num(yy + 3.0),
                num((xb - xa).max(2.0)),
                num(LANE_H - 6.0),
                num((xa + xb) / 2.0),
                num(yy + LANE_H - 8.0),
                if xb - xa > 40.0 { "down" } else { "" },
                fmt_time(a.saturating_sub(t0)),
                fmt_time(b.saturating_sub(t0))
            );
        }
        o.push_str("</g>");
        parts.push(std::mem::take(o));
    }

    // This transaction's messages; votes and saga answers are labelled at their sender. One path
    // per kind of line rather than an element per message: with 25 nodes a transaction has a
    // hundred messages, and re-creating a hundred elements every frame while playing was most of
    // the figure's cost (the space-time diagram below has each message to hover).
    const KINDS: [(&str, &str); 4] =
        [("", "messages"), (" dropped", "lost messages"), (" vote-yes", "yes votes"), (" vote-no", "no votes")];
    let mut paths: [(String, usize); 4] = Default::default();
    let mut marks = String::new();
    let msgs = r.trace().msgs.iter().filter(|mm| txn_of(&mm.msg) == txn && mm.sent_at <= m.now && mm.sent_at >= t0);
    for mm in msgs {
        let (ya, yb) = (y(mm.source) + LANE_H / 2.0, y(mm.target) + LANE_H / 2.0);
        let (arrive, dropped) = match mm.outcome {
            Outcome::Delivered { time, .. } if time <= m.now => (time, false),
            Outcome::Dropped { time, .. } if time <= m.now => (time, true),
            // In flight: drawn to where it arrives, under the mask beyond now.
            _ => (mm.deliver_at, false),
        };
        let (xa, xb) = (x(mm.sent_at), x(arrive));
        let vote = match mm.msg {
            Msg::Vote { yes: true, .. } => Some(("✓ yes", 2)),
            Msg::Vote { yes: false, .. } => Some(("✗ no", 3)),
            Msg::Done { ok: true, .. } => Some(("✓ done", 2)),
            Msg::Done { ok: false, .. } => Some(("✗ failed", 3)),
            _ => None,
        };
        let kind = if dropped { 1 } else { vote.map_or(0, |v| v.1) };
        let (d, n) = &mut paths[kind];
        let _ = write!(d, "M{} {}L{} {}", num(xa), num(ya), num(xb), num(yb));
        *n += 1;
        if dropped {
            let _ = write!(marks, r#"<text class="lost" x="{}" y="{}">✗</text>"#, num(xb - 4.0), num(yb + 4.0));
        }
        if let Some((v, _)) = vote {
            let _ = write!(
                marks,
                r#"<text class="vote" x="{}" y="{}">{v}</text>"#,
                num(xa + 3.0),
                num(ya - LANE_H / 2.0 + 5.0)
            );
        }
    }
    for ((class, what), (d, n)) in KINDS.iter().zip(&paths) {
        if *n > 0 {
            let _ =
                write!(o, r#"<g class="msg{class}"><path d="{d}"/><title>{n} {what} of this transaction</title></g>"#);
        }
    }
    let _ = write!(o, r#"<g class="msg">{marks}</g>"#);
    for (t, label) in [(begin, "begin"), (decided, "decision"), (end, "end")] {
        let Some(t) = t else { continue };
        let xt = num(x(t));
        let _ = write!(
            o,
            r#"<g class="mark"><line x1="{xt}" x2="{xt}" y1="{}" y2="{}"/><title>{label} at +{}</title></g>"#,
            num(TOP - 4.0),
            num(TOP + lanes_h),
            fmt_time(t - t0)
        );
    }
    for i in 0..=4 {
        let t = t0 + (t1 - t0) * i / 4;
        let anchor = match i {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let text = if i == 0 { "begin".to_string() } else { format!("+{}", fmt_time(t - t0)) };
        let _ = write!(
            o,
            r#"<text class="tick" x="{}" y="{}" text-anchor="{anchor}">{text}</text>"#,
            num(x(t)),
            num(height - 6.0)
        );
    }
    parts.push(out);
    let (w, xn) = (num(width), x(m.now));
    html! {
        <figure class="lanes" data-row="lanes">
            <svg viewBox={format!("0 0 {w} {}", num(height))} style={format!("min-width:{w}px")} role="img" aria-label={format!("Phase lanes for transaction {txn}: one lane per node over time from its begin, coloured and labelled by state, with the phase boundaries and each message; votes marked yes or no.")}>
                { for parts.into_iter().map(|part| Html::from_html_unchecked(AttrValue::from(part))) }
                // After now: a mask with the line of now at its left edge, moved as a whole.
                <g transform={format!("translate({})", num(xn))}>{ Html::from_html_unchecked(AttrValue::from(format!(
                    r#"<rect class="future" y="{y}" width="{w}" height="{h}"/><line class="now" y1="{y}" y2="{}"/>"#,
                    num(TOP + lanes_h), y = num(TOP - 4.0), h = num(lanes_h + 4.0)
                ))) }</g>
            </svg>
            <figcaption class="hint">{"Lanes: each node's state over time (text in each bar; hover for times), up to the line of now. Shaded bands are the phases between the coordinator's log records; lines are this transaction's messages (✓/✗ the votes, ✗ at the end a lost message); grey hatching: the node was down."}</figcaption>
        </figure>
    }
}

fn coordinator_segments(m: &Model, txn: u32) -> Vec<(Micros, String, &'static str)> {
    let mut v = Vec::new();
    for rec in m.wals[m.coordinator as usize].iter().filter(|r| r.txn == txn) {
        let (word, class) = match (rec.entry, m.variant) {
            (Entry::Begin, Variant::Saga) => ("steps".to_string(), "s-init"),
            (Entry::Begin, _) if m.work => ("work, then voting".into(), "s-init"),
            (Entry::Begin, _) => ("voting".into(), "s-init"),
            (Entry::PreCommit, _) => ("pre-commit".into(), "s-pre"),
            (Entry::StepFailed { step }, _) => (format!("T{step} failed: undo"), "s-abort"),
            (Entry::Commit, _) => ("committed".into(), "s-commit"),
            (Entry::Abort, Variant::Saga) => ("compensated".into(), "s-comp"),
            (Entry::Abort, _) => ("aborted".into(), "s-abort"),
            (Entry::End, _) => ("end".into(), "s-end"),
            _ => continue,
        };
        v.push((rec.at_us, word, class));
    }
    v
}

// ---- the state machine ----------------------------------------------------------------------

fn machine(r: &Run<Commit>, m: &Model, txn: u32) -> Html {
    // (state, x, y); `None` is "not asked yet". Columns 180 px apart leave 70 px between boxes
    // for an edge's label ("CanCommit", "DoCommit") at 12 px.
    let boxes: Vec<(Option<State>, f64, f64)> = match m.variant {
        Variant::TwoPhase => vec![
            (None, 4.0, 52.0),
            (Some(State::Init), 184.0, 52.0),
            (Some(State::Ready), 364.0, 52.0),
            (Some(State::Committed), 544.0, 8.0),
            (Some(State::Aborted), 544.0, 96.0),
        ],
        Variant::ThreePhase => vec![
            (None, 4.0, 52.0),
            (Some(State::Init), 184.0, 52.0),
            (Some(State::Ready), 364.0, 52.0),
            (Some(State::PreCommitted), 544.0, 8.0),
            (Some(State::Committed), 724.0, 8.0),
            (Some(State::Aborted), 724.0, 96.0),
        ],
        Variant::Saga => vec![
            (None, 4.0, 52.0),
            (Some(State::Init), 184.0, 52.0),
            (Some(State::Committed), 364.0, 8.0),
            (Some(State::Compensated), 544.0, 8.0),
            (Some(State::Aborted), 364.0, 96.0),
        ],
    };
    let (bw, bh) = (110.0, 40.0);
    let pos = |s: Option<State>| boxes.iter().find(|b| b.0 == s).map(|b| (b.1, b.2)).unwrap_or((0.0, 0.0));
    let edges: Vec<(Option<State>, Option<State>, &str)> = match m.variant {
        Variant::TwoPhase => vec![
            (None, Some(State::Init), "Prepare"),
            (Some(State::Init), Some(State::Ready), "yes"),
            (Some(State::Ready), Some(State::Committed), "Commit"),
            (Some(State::Ready), Some(State::Aborted), "Abort"),
            (Some(State::Init), Some(State::Aborted), "no"),
        ],
        Variant::ThreePhase => vec![
            (None, Some(State::Init), "CanCommit"),
            (Some(State::Init), Some(State::Ready), "yes"),
            (Some(State::Ready), Some(State::PreCommitted), "PreCommit"),
            (Some(State::PreCommitted), Some(State::Committed), "DoCommit/timeout"),
            (Some(State::Ready), Some(State::Aborted), "Abort/timeout"),
            (Some(State::Init), Some(State::Aborted), "no"),
        ],
        Variant::Saga => vec![
            (None, Some(State::Init), "Do"),
            (Some(State::Init), Some(State::Committed), "ok"),
            (Some(State::Committed), Some(State::Compensated), "Undo"),
            (Some(State::Init), Some(State::Aborted), "fails"),
        ],
    };
    let here: Vec<(NodeId, Option<State>)> =
        m.parts.iter().map(|&n| (n, m.history(r, n, txn).last().map(|h| h.1))).collect();
    let width = boxes.iter().map(|b| b.1).fold(0.0, f64::max) + bw + 10.0;
    let summary: Vec<String> = here
        .iter()
        .map(|(n, s)| format!("{} {}", m.names[*n as usize], s.map(|s| s.word(m.variant)).unwrap_or("not asked")))
        .collect();
    // SVG text, as the lanes are: no handlers here.
    let mut o = format!(
        r#"<svg viewBox="0 0 {w} 142" style="min-width:{w}px" role="img" aria-label="State machine; now: {}"><defs><marker id="commit-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z"/></marker></defs>"#,
        esc(&summary.join(", ")),
        w = num(width)
    );
    for &(a, b, label) in &edges {
        let ((ax, ay), (bx, by)) = (pos(a), pos(b));
        // "No" leaves init from below, so that it passes under the boxes in between.
        let (x1, y1) = if a == Some(State::Init) && b == Some(State::Aborted) {
            (ax + bw / 2.0, ay + bh)
        } else {
            (ax + bw, ay + bh / 2.0)
        };
        let (x2, y2) = (bx, by + bh / 2.0);
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        // "DoCommit/timeout": the message above the line, the timeout below it.
        let (above, below) = label.split_once('/').map_or((label, None), |(a, b)| (a, Some(b)));
        let _ = write!(
            o,
            r#"<g class="edge"><line x1="{}" y1="{}" x2="{}" y2="{}" marker-end="url(#commit-arrow)"/><text x="{}" y="{}" text-anchor="middle">{above}</text>"#,
            num(x1),
            num(y1),
            num(x2),
            num(y2),
            num(mx),
            num(my - 4.0)
        );
        if let Some(b) = below {
            let _ = write!(o, r#"<text x="{}" y="{}" text-anchor="middle">or {b}</text>"#, num(mx), num(my + 12.0));
        }
        o.push_str("</g>");
    }
    for &(s, bx, by) in &boxes {
        let who: Vec<&str> = here.iter().filter(|h| h.1 == s).map(|h| m.names[h.0 as usize].as_str()).collect();
        let word = s.map(|s| s.word(m.variant)).unwrap_or("not asked");
        let class = s.map(state_class).unwrap_or("s-none");
        let on = !who.is_empty();
        let cx = num(bx + bw / 2.0);
        let _ = write!(
            o,
            r#"<g class="state {class}{}"><rect x="{}" y="{}" width="{}" height="{}" rx="8"/><text x="{cx}" y="{}" text-anchor="middle" class="name">{word}</text><text x="{cx}" y="{}" text-anchor="middle" class="who">{}</text></g>"#,
            if on { " on" } else { "" },
            num(bx),
            num(by),
            num(bw),
            num(bh),
            num(by + 16.0),
            num(by + 32.0),
            if on { esc(&who.join(" ")) } else { "–".into() }
        );
    }
    o.push_str("</svg>");
    html! {
        <figure class="machine" data-row="machine">
            <figcaption><strong>{"Participants' state machine"}</strong>{" · boxes with names are where each participant is now (bold)"}</figcaption>
            { Html::from_html_unchecked(AttrValue::from(o)) }
        </figure>
    }
}

// ---- latency --------------------------------------------------------------------------------

fn latency(m: &Model, txn: u32, distance: &[Latency]) -> Html {
    let [begin, voted, decided, end] = m.milestones(txn);
    let span = |a: Option<Micros>, b: Option<Micros>| match (a, b) {
        (Some(a), Some(b)) if b >= a => fmt_time(b - a),
        _ => "–".into(),
    };
    let rows: Vec<(&str, String)> = match m.variant {
        Variant::TwoPhase => vec![
            ("Phase 1: Prepare → all votes, decision", span(begin, decided)),
            ("Phase 2: decision → all acknowledged", span(decided, end)),
        ],
        Variant::ThreePhase => vec![
            ("Phase 1: CanCommit → all votes", span(begin, voted)),
            ("Phase 2: PreCommit → all acknowledged", span(voted, decided)),
            ("Phase 3: DoCommit → all acknowledged", span(decided, end)),
        ],
        Variant::Saga => vec![
            ("Steps until the first failure (or all done)", span(begin, voted.or(decided))),
            ("Compensations", span(voted, decided)),
        ],
    };
    // Markup text, as the lanes are: static tables.
    let txn_word = if m.variant == Variant::Saga { format!("S{txn}") } else { format!("T{txn}") };
    let mut o = format!(
        r#"<div class="latency"><table class="state-table"><caption>Latency of {txn_word} (coordinator's clock)</caption><tbody>"#
    );
    for (k, v) in &rows {
        let _ = write!(o, r#"<tr><th scope="row">{k}</th><td>{v}</td></tr>"#);
    }
    let whole =
        if m.variant == Variant::Saga { "Whole saga: every step settled" } else { "Whole commit: every node done" };
    let _ = write!(
        o,
        r#"<tr class="total"><th scope="row">Decision (the client can be told)</th><td>{}</td></tr><tr class="total"><th scope="row">{whole}</th><td>{}</td></tr></tbody></table><table class="state-table distance"><caption>Distance: one all-yes {} run on each preset</caption><thead><tr><th scope="col">preset</th><th scope="col">nodes</th><th scope="col">longest RTT</th><th scope="col">decision</th><th scope="col">all done</th><th scope="col">decision, disk logs</th></tr></thead><tbody>"#,
        span(begin, decided),
        span(begin, end),
        m.variant.word()
    );
    for l in distance {
        let _ = write!(
            o,
            r#"<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            l.preset,
            l.nodes,
            fmt_time(l.max_rtt_us),
            fmt_time(l.decided_us),
            fmt_time(l.ended_us),
            fmt_time(l.decided_on_disk_us)
        );
    }
    o.push_str(r#"</tbody></table><p class="hint">Disk logs: every forced log record (prepared, the decision) written to a network disk, 2 to 6 ms each. In one datacenter the disk is most of the commit; across regions the network is.</p></div>"#);
    Html::from_html_unchecked(AttrValue::from(o))
}

// ---- in doubt -------------------------------------------------------------------------------

fn in_doubt(r: &Run<Commit>, m: &Model) -> Html {
    if m.variant == Variant::Saga {
        return visible(r, m);
    }
    let sim = r.sim();
    // One line per transaction and situation, naming every node in it ("n1, n2 in doubt about
    // T1 for 3.2 s: ..."): with 25 nodes, 24 lines saying the same were unreadable. Durations
    // keep two significant digits, so that the list (a live region) changes a few times a
    // second, not every frame.
    let mut rows: std::collections::BTreeMap<(u32, &'static str, String), (Vec<NodeId>, Micros)> = Default::default();
    let coordinator = &m.names[m.coordinator as usize];
    let coordinator_down = m.status[m.coordinator as usize] == Status::Crashed;
    for &n in &m.parts {
        let wal = &m.wals[n as usize];
        for rec in wal.iter().filter(|x| x.entry == Entry::Prepared) {
            let t = rec.txn;
            if wal.iter().any(|x| x.txn == t && matches!(x.entry, Entry::Commit | Entry::Abort)) {
                continue;
            }
            let pre = wal.iter().any(|x| x.txn == t && x.entry == Entry::PreCommit);
            // Uncertain since it wrote Prepared (local clock), across any crash in between.
            let now = if m.status[n as usize] == Status::Crashed { m.now } else { sim.local_time(n) };
            let waited = now.saturating_sub(rec.at_us);
            let (label, why) = match (m.status[n as usize], m.variant, coordinator_down, pre) {
                (Status::Crashed, _, _, _) => {
                    ("in doubt", "down; its log says Prepared, so it is in doubt again when it restarts".to_string())
                }
                (_, Variant::TwoPhase, true, _) => {
                    ("in doubt", format!("blocked: {coordinator} is down and only it knows the decision"))
                }
                (_, Variant::TwoPhase, false, _) => ("in doubt", format!("waiting for {coordinator}'s decision")),
                (_, _, _, true) => ("pre-committed", "commits alone at its timeout unless told otherwise".into()),
                (_, _, _, false) => ("ready", "waiting for PreCommit; aborts alone at its timeout".into()),
            };
            let row = rows.entry((t, label, why)).or_default();
            row.0.push(n);
            row.1 = row.1.max(waited);
        }
    }
    let rows: String = rows
        .into_iter()
        .map(|((t, label, why), (nodes, waited))| {
            let names: Vec<&str> = nodes.iter().map(|&n| m.names[n as usize].as_str()).collect();
            let digits = 10u64.pow(waited.max(1).ilog10().saturating_sub(1));
            format!(
                "<li><strong>⚠ {} {label} about T{t}</strong> for {}: {}</li>",
                esc(&names.join(", ")),
                fmt_time(waited / digits * digits),
                esc(&why)
            )
        })
        .collect();
    if rows.is_empty() {
        return html! { <p class="hint in-doubt-none" data-row="in-doubt">{"Nobody is in doubt: every participant that voted yes knows the decision."}</p> };
    }
    let list = format!("<h3>In doubt</h3><ul>{rows}</ul>");
    html! { <div class="in-doubt" role="status" data-row="in-doubt">{ Html::from_html_unchecked(AttrValue::from(list)) }</div> }
}

/// A saga is not isolated: what others can see of each open saga right now.
fn visible(r: &Run<Commit>, m: &Model) -> Html {
    let open: Vec<u32> = (1..=m.txns).filter(|&t| m.milestones(t)[3].is_none()).collect();
    let rows = open.iter().filter_map(|&t| {
        let standing: Vec<String> = m
            .parts
            .iter()
            .enumerate()
            .filter(|(_, &n)| m.history(r, n, t).last().map(|h| h.1) == Some(State::Committed))
            .map(|(k, &n)| format!("T{} at {}", k + 1, m.names[n as usize]))
            .collect();
        (!standing.is_empty()).then(|| {
            format!(
                "<li>S{t} is half done: others can already see {} (a saga is not isolated).</li>",
                esc(&standing.join(", "))
            )
        })
    });
    let rows: String = rows.collect();
    if rows.is_empty() {
        return html! { <p class="hint in-doubt-none" data-row="visible">{"No saga is half done right now: nothing partial is visible to others."}</p> };
    }
    let list = format!("<h3>Visible before the saga ends</h3><ul>{rows}</ul>");
    html! { <div class="in-doubt visible" role="status" data-row="visible">{ Html::from_html_unchecked(AttrValue::from(list)) }</div> }
}

// ---- logs -----------------------------------------------------------------------------------

/// Log records shown per node; longer logs show their last ones.
const WAL_WINDOW: usize = 12;

fn wal_table(r: &Run<Commit>, m: &Model) -> Html {
    // Markup text, as the lanes are: a static table.
    let mut o = String::from(
        r#"<table class="state-table wal-table" data-row="logs"><caption>Write-ahead logs: what each node forced to disk, oldest first; a crash keeps exactly this.</caption><thead><tr><th scope="col">node</th><th scope="col">status</th><th scope="col">log records</th></tr></thead><tbody>"#,
    );
    for n in 0..m.names.len() as NodeId {
        let wal = &m.wals[n as usize];
        let first = wal.len().saturating_sub(WAL_WINDOW);
        let status = r.sim().status(n);
        let down = status == Status::Crashed;
        let _ = write!(
            o,
            r#"<tr{}><th scope="row">{}{}</th><td class="hint">{}</td><td><ol class="wal">"#,
            if down { r#" class="crashed""# } else { "" },
            node_chip_markup(n, &m.names[n as usize]),
            if n == m.coordinator { " (coordinator)" } else { "" },
            if down { "down: log on disk" } else { status.word() }
        );
        if first > 0 {
            let _ = write!(o, r#"<li class="rec more">… {first} earlier</li>"#);
        }
        for rec in &wal[first..] {
            let t = if m.variant == Variant::Saga { 'S' } else { 'T' };
            let class = match rec.entry {
                Entry::Commit => "s-commit",
                Entry::Abort => "s-abort",
                Entry::Prepared => "s-ready",
                Entry::PreCommit => "s-pre",
                Entry::Compensated { .. } => "s-comp",
                _ => "s-none",
            };
            let _ = write!(
                o,
                r#"<li class="rec {class}" title="written at {} (local clock)">{t}{} {}</li>"#,
                fmt_time(rec.at_us),
                rec.txn,
                rec.entry.word()
            );
        }
        if wal.is_empty() {
            o.push_str(r#"<li class="rec empty">empty</li>"#);
        }
        o.push_str("</ol></td></tr>");
    }
    o.push_str("</tbody></table>");
    Html::from_html_unchecked(AttrValue::from(o))
}

// ---- presenter actions ----------------------------------------------------------------------

fn request(node: NodeId, request: Request) -> Action {
    match serde_json::to_value(request) {
        Ok(request) => Action::Apply(Input::Request { node, request }),
        Err(e) => Action::SetBanner(Banner::error(format!("Could not write the request: {e}"))),
    }
}

/// Cuts datacenter `dc` off from every other datacenter.
fn partition_dc(t: &Topology, dc: caucus_sim::DcId) -> Input {
    let others = t.datacenters.iter().filter(|d| d.id != dc).map(|d| Endpoint::Dc(d.id)).collect();
    Input::Partition { a: vec![Endpoint::Dc(dc)], b: others, one_way: false }
}

fn actions(
    r: &Run<Commit>,
    m: &Model,
    no_voter: Option<NodeId>,
    set_no_voter: UseStateSetter<Option<NodeId>>,
    dispatch: &Callback<Action>,
) -> Html {
    let sim = r.sim();
    let t = sim.topology();
    let c = m.coordinator;
    let next = m.txns + 1;
    let voter = no_voter.filter(|n| m.parts.contains(n)).or(m.parts.last().copied()).unwrap_or(0);
    let coordinator_up = m.status[c as usize] != Status::Crashed;
    let running = |n: NodeId| matches!(m.status[n as usize], Status::Up | Status::Paused);
    let begin = dispatch.reform(move |_| request(c, Request::Begin));
    let vote_no = dispatch.reform(move |_| request(voter, Request::VoteNo { txn: next }));
    let crash = dispatch.reform(move |_| {
        Action::Apply(if coordinator_up { Input::Crash { node: c } } else { Input::Restart { node: c } })
    });
    // The datacenter of the farthest participant: cutting it off is the interesting partition.
    let far = m.parts.iter().copied().max_by_key(|&p| t.link(t.dc_of(c), t.dc_of(p)).latency_us);
    let far_dc = far.map(|p| t.dc_of(p)).filter(|&d| d != t.dc_of(c));
    let cut = far_dc.map(|d| partition_dc(t, d));
    let partition = dispatch.reform(move |_| match cut.clone() {
        Some(input) => Action::Apply(input),
        None => Action::SetBanner(Banner::info(
            "Every participant shares the coordinator's datacenter: there is no far side to cut off.",
        )),
    });
    let heal = dispatch.reform(|_| Action::Apply(Input::Heal));
    let choose = Callback::from(move |e: Event| {
        let v = e.target_unchecked_into::<HtmlSelectElement>().value();
        set_no_voter.set(v.parse::<NodeId>().ok());
    });
    let t_word = if m.variant == Variant::Saga { "S" } else { "T" };
    let no_word = if m.variant == Variant::Saga { "fails its step of" } else { "votes no on" };
    let cname = m.names[c as usize].clone();
    html! {
        <div class="row presenter" role="group" aria-label="Presenter shortcuts">
            <button onclick={begin} disabled={!running(c)} title="The coordinator begins the next transaction now">{ format!("Begin {t_word}{next}") }</button>
            <select aria-label="Participant that will vote no" onchange={choose}>
                { for m.parts.iter().map(|&p| html! { <option value={p.to_string()} selected={p == voter}>{ m.names[p as usize].clone() }</option> }) }
            </select>
            <button onclick={vote_no} disabled={!running(voter)} title="Make this participant refuse the next transaction">{ format!("{no_word} {t_word}{next}") }</button>
            <button onclick={crash} disabled={m.status[c as usize] == Status::Booting} title="Crash the coordinator (its log survives) or restart it from its log">{ if coordinator_up { format!("Crash {cname}") } else { format!("Restart {cname}") } }</button>
            <button onclick={partition} disabled={far_dc.is_none()} title="Cut the farthest participant's datacenter off from the others">
                { match far_dc { Some(d) => format!("Cut off {}", t.datacenters[d as usize].name), None => "Cut off".into() } }
            </button>
            <button onclick={heal}>{"Heal partitions"}</button>
        </div>
    }
}

// ---- parameters -----------------------------------------------------------------------------

const PRESETS: &[&str] = &["one-datacenter", "three-regions", "five-regions"];

#[derive(Properties, PartialEq)]
struct SettingsProps {
    base: std::rc::Rc<caucus_sim::Scenario>,
    params: Params,
    dispatch: Callback<Action>,
}

#[function_component(Settings)]
fn settings(p: &SettingsProps) -> Html {
    let variant = use_state(|| p.params.variant);
    let transactions = use_state(|| p.params.transactions.to_string());
    let concurrent = use_state(|| p.params.concurrent);
    let cooperative = use_state(|| p.params.cooperative);
    let no_percent = use_state(|| (p.params.no_vote_ppm / 10_000).to_string());
    let work_ms = use_state(|| (p.params.work_us / MS).to_string());
    let preset = use_state(|| p.base.topology.preset.clone().unwrap_or_else(|| "three-regions".into()));
    let text = |state: UseStateHandle<String>| {
        Callback::from(move |e: Event| state.set(e.target_unchecked_into::<HtmlInputElement>().value()))
    };
    let check = |state: UseStateHandle<bool>| {
        Callback::from(move |e: Event| state.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
    };
    let on_variant = {
        let variant = variant.clone();
        Callback::from(move |e: Event| {
            variant.set(match e.target_unchecked_into::<HtmlSelectElement>().value().as_str() {
                "three_phase" => Variant::ThreePhase,
                "saga" => Variant::Saga,
                _ => Variant::TwoPhase,
            })
        })
    };
    let on_preset = {
        let preset = preset.clone();
        Callback::from(move |e: Event| preset.set(e.target_unchecked_into::<HtmlSelectElement>().value()))
    };
    let apply = {
        let (variant, concurrent, cooperative) = (*variant, *concurrent, *cooperative);
        let (transactions, no_percent, preset) = ((*transactions).clone(), (*no_percent).clone(), (*preset).clone());
        let work_ms = (*work_ms).clone();
        let base = p.base.clone();
        let old = p.params.clone();
        p.dispatch.reform(move |_| {
            let parsed =
                (transactions.trim().parse::<u32>(), no_percent.trim().parse::<u32>(), work_ms.trim().parse::<u64>());
            let (Ok(count), Ok(no), Ok(work)) = parsed else {
                return Action::SetBanner(Banner::error(
                    "Transactions, the no-vote chance and the work phase must be whole numbers.",
                ));
            };
            if no > 100 {
                return Action::SetBanner(Banner::error("The chance of a no vote is a percentage: 0 to 100."));
            }
            let mut scenario = (*base).clone();
            let params = Params {
                variant,
                transactions: count,
                concurrent,
                cooperative: cooperative && variant == Variant::TwoPhase,
                no_vote_ppm: no * 10_000,
                work_us: if variant == Variant::Saga { 0 } else { work.saturating_mul(MS) },
                ..old.clone()
            };
            scenario.protocol.params = match serde_json::to_value(&params) {
                Ok(v) => v,
                Err(e) => return Action::SetBanner(Banner::error(format!("These parameters cannot be written: {e}"))),
            };
            let per_dc = if preset == "one-datacenter" { 6 } else { 2 };
            scenario.topology = caucus_sim::TopologySpec::preset(&preset, per_dc);
            if !scenario.name.ends_with("-edited") {
                scenario.name = format!("{}-edited", scenario.name);
                scenario.description = format!("Originally: {}", scenario.description);
            }
            let what = match variant {
                Variant::TwoPhase => "two-phase commit",
                Variant::ThreePhase => "three-phase commit",
                Variant::Saga => "sagas",
            };
            let original = scenario.description.split_once("Originally: ").map_or("", |(_, o)| o).to_string();
            scenario.description =
                format!("Edited: {what}, {count} transaction(s) on {preset}. Originally: {original}");
            // The script's partitions and requests name the old datacenters and transactions.
            if base.topology != scenario.topology || old.variant != variant {
                scenario.script.clear();
            }
            match caucus_protocols::build(&scenario) {
                Ok(run) => Action::Load(run, Banner::info("Restarted with your parameters.")),
                Err(e) => Action::SetBanner(Banner::error(format!("These parameters cannot run: {e}"))),
            }
        })
    };
    html! {
        <details class="settings">
            <summary>{"Parameters: variant, transactions, no votes, datacenters"}</summary>
            <div class="row">
                <label class="field"><span>{"Variant"}</span>
                    <select aria-label="Variant" onchange={on_variant}>
                        <option value="two_phase" selected={*variant == Variant::TwoPhase}>{"two-phase commit"}</option>
                        <option value="three_phase" selected={*variant == Variant::ThreePhase}>{"three-phase commit"}</option>
                        <option value="saga" selected={*variant == Variant::Saga}>{"saga"}</option>
                    </select></label>
                <label class="field"><span>{"Transactions"}</span>
                    <input type="number" min="1" max="100" value={(*transactions).clone()} onchange={text(transactions.clone())} /></label>
                <label class="field"><span>{"Chance of a no vote (%)"}</span>
                    <input type="number" min="0" max="100" value={(*no_percent).clone()} onchange={text(no_percent.clone())} /></label>
                <label class="field"><span>{"Work phase before the vote (ms, 0: none)"}</span>
                    <input type="number" min="0" value={(*work_ms).clone()} disabled={*variant == Variant::Saga} onchange={text(work_ms.clone())} /></label>
                <label class="field"><input type="checkbox" checked={*concurrent} onchange={check(concurrent.clone())} /><span>{"concurrent"}</span></label>
                <label class="field"><input type="checkbox" checked={*cooperative} disabled={*variant != Variant::TwoPhase} onchange={check(cooperative.clone())} /><span>{"cooperative termination (2PC)"}</span></label>
                <label class="field"><span>{"Datacenters"}</span>
                    <select aria-label="Datacenters" onchange={on_preset}>
                        { for PRESETS.iter().map(|name| html! { <option value={*name} selected={*name == preset.as_str()}>{ *name }</option> }) }
                    </select></label>
                <button onclick={apply}>{"Restart with these"}</button>
            </div>
        </details>
    }
}
