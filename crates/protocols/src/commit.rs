#![doc = include_str!("../essays/commit.md")]

use caucus_sim::{
    Ctx, DynRun, Endpoint, Failure, Input, Micros, NodeId, Property, PropertyKind, Protocol, Run, Scenario, Topology,
    TopologySpec, View, MS, SEC,
};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

pub const NAME: &str = "commit";
/// Transactions one run may begin (each adds a few records to every log).
pub const MAX_TRANSACTIONS: u32 = 100;

#[derive(Clone, Copy, Debug, Default, PartialEq, Hash, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    #[default]
    TwoPhase,
    ThreePhase,
    Saga,
}

impl Variant {
    pub fn word(self) -> &'static str {
        match self {
            Variant::TwoPhase => "2PC",
            Variant::ThreePhase => "3PC",
            Variant::Saga => "saga",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Params {
    pub variant: Variant,
    /// The node that coordinates (the saga's orchestrator); every other node participates.
    pub coordinator: NodeId,
    /// How many transactions the coordinator begins by itself.
    pub transactions: u32,
    /// Begin them all at once (`true`) or each `gap_us` after the previous one ended.
    pub concurrent: bool,
    /// When the first transaction begins.
    pub start_us: Micros,
    pub gap_us: Micros,
    /// Chance that a participant votes no (a saga step fails), in parts per million.
    pub no_vote_ppm: u32,
    /// A participant's work before it votes (or runs its saga step); forcing its prepared record
    /// to disk then takes what its datacenter's storage takes (nothing on free storage).
    pub prepare_us: Micros,
    /// How long the coordinator waits for votes (3PC: also for PreCommit acknowledgements).
    pub vote_timeout_us: Micros,
    /// How long a participant that voted yes waits for the decision before it asks again (2PC)
    /// or decides on its own (3PC).
    pub decision_timeout_us: Micros,
    /// How often the coordinator resends a decision (or a saga step) to a silent node.
    pub retry_us: Micros,
    /// 2PC only: participants in doubt ask their peers too (cooperative termination).
    pub cooperative: bool,
    /// 2PC and 3PC: the transaction's work before the vote. Above zero, the coordinator first
    /// sends `Work` and only this long later `Prepare`; a participant that has done the work but
    /// gets no `Prepare` within `decision_timeout_us` aborts alone (it has not voted, so it may).
    /// Zero: participants learn of a transaction from `Prepare` itself.
    pub work_us: Micros,
}

impl Default for Params {
    /// The longest round trip of the presets is about 230 ms (us-east-1 to ap-southeast-1), so
    /// 600 ms of waiting for votes never gives up on a live participant.
    fn default() -> Self {
        Params {
            variant: Variant::TwoPhase,
            coordinator: 0,
            transactions: 1,
            concurrent: false,
            start_us: 100 * MS,
            gap_us: 500 * MS,
            no_vote_ppm: 0,
            prepare_us: 5 * MS,
            vote_timeout_us: 600 * MS,
            decision_timeout_us: SEC,
            retry_us: SEC,
            cooperative: false,
            work_us: 0,
        }
    }
}

/// A participant's state in one transaction: the state machine the panel draws.
#[derive(Clone, Copy, Debug, PartialEq, Hash, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Got the request, working; has not voted (may still abort alone).
    Init,
    /// Voted yes and wrote `Prepared`: in doubt (2PC), or waiting for PreCommit (3PC).
    Ready,
    /// 3PC: got PreCommit; commits on its own if nothing else comes.
    PreCommitted,
    /// Committed (a saga step: done, and visible to others).
    Committed,
    /// Aborted (a saga step: failed).
    Aborted,
    /// A saga step undone by its compensation.
    Compensated,
}

impl State {
    pub fn word(self, variant: Variant) -> &'static str {
        match (self, variant) {
            (State::Init, _) => "init",
            (State::Ready, Variant::TwoPhase) => "in doubt",
            (State::Ready, _) => "ready",
            (State::PreCommitted, _) => "pre-committed",
            (State::Committed, Variant::Saga) => "done",
            (State::Committed, _) => "committed",
            (State::Aborted, Variant::Saga) => "failed",
            (State::Aborted, _) => "aborted",
            (State::Compensated, _) => "compensated",
        }
    }
    pub fn decided(self) -> bool {
        matches!(self, State::Committed | State::Aborted | State::Compensated)
    }
}

/// One record of a write-ahead log. `at_us` is the writer's local time.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
pub struct WalRecord {
    pub txn: u32,
    pub at_us: Micros,
    pub entry: Entry,
}

#[derive(Clone, Copy, Debug, PartialEq, Hash, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Entry {
    /// Coordinator: the transaction began.
    Begin,
    /// Participant: voted yes.
    Prepared,
    /// 3PC: the coordinator decided to pre-commit; a participant received PreCommit.
    PreCommit,
    Commit,
    Abort,
    /// Coordinator: every participant acknowledged the decision (or the saga finished).
    End,
    /// Saga orchestrator: step `step` is done, failed, compensated.
    StepDone {
        step: u32,
    },
    StepFailed {
        step: u32,
    },
    /// Saga: step `step` was compensated (orchestrator and participant).
    Compensated {
        step: u32,
    },
}

impl Entry {
    pub fn word(self) -> String {
        match self {
            Entry::Begin => "begin".into(),
            Entry::Prepared => "prepared".into(),
            Entry::PreCommit => "pre-commit".into(),
            Entry::Commit => "commit".into(),
            Entry::Abort => "abort".into(),
            Entry::End => "end".into(),
            Entry::StepDone { step } => format!("T{step} done"),
            Entry::StepFailed { step } => format!("T{step} failed"),
            Entry::Compensated { step } => format!("C{step} done"),
        }
    }

    /// The participant state this record puts a node in (recovery replays them in order; the
    /// panel draws them as the node's history); `None` for records that are not a state.
    pub fn participant_state(self) -> Option<State> {
        match self {
            Entry::Prepared => Some(State::Ready),
            Entry::PreCommit => Some(State::PreCommitted),
            Entry::Commit => Some(State::Committed),
            Entry::Abort => Some(State::Aborted),
            Entry::Compensated { .. } => Some(State::Compensated),
            Entry::Begin | Entry::End | Entry::StepDone { .. } | Entry::StepFailed { .. } => None,
        }
    }
}

/// This node's part in one transaction, as a participant.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
pub struct Part {
    pub state: State,
    /// In `Init`: whether `Prepare` came (it is working towards its vote), or only `Work`.
    pub asked: bool,
    /// Local time it entered `state`: how long an in-doubt participant has been blocked.
    pub since_us: Micros,
}

/// Where the coordinator is with one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Hash, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Waiting for votes.
    Voting,
    /// 3PC: PreCommit sent, waiting for acknowledgements.
    PreCommitting,
    /// The decision is written and sent; waiting for acknowledgements.
    Deciding,
    /// Saga: running step `step`.
    Forward,
    /// Saga: running compensation `step`.
    Compensating,
    Ended,
}

/// The coordinator's view of one transaction, with the local times the panel's latencies use.
#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
pub struct TxnRun {
    pub phase: Phase,
    pub votes: Vec<(NodeId, bool)>,
    pub acks: Vec<NodeId>,
    /// The decision, once written: `true` for commit.
    pub outcome: Option<bool>,
    /// Saga: the step in progress (1-based) and the step that failed.
    pub step: u32,
    pub failed: Option<u32>,
    pub begun_us: Micros,
    /// When the votes were in (2PC: the decision; 3PC: PreCommit sent).
    pub voted_us: Option<Micros>,
    pub decided_us: Option<Micros>,
    pub ended_us: Option<Micros>,
}

#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
pub struct Commit {
    pub id: NodeId,
    pub variant: Variant,
    pub coordinator: NodeId,
    /// The write-ahead log: all that survives a crash.
    pub wal: Vec<WalRecord>,
    /// As a participant: its part in each transaction it knows.
    pub parts: BTreeMap<u32, Part>,
    /// As coordinator: each transaction it began.
    pub runs: BTreeMap<u32, TxnRun>,
    /// As coordinator: transactions begun so far (numbered from 1).
    pub begun: u32,
    /// As participant: transactions it was told to vote no on.
    pub vote_no: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Msg {
    /// The transaction's work, before the vote (only with `work_us` above zero).
    Work {
        txn: u32,
    },
    /// 2PC phase 1.
    Prepare {
        txn: u32,
    },
    /// 3PC phase 1.
    CanCommit {
        txn: u32,
    },
    Vote {
        txn: u32,
        yes: bool,
    },
    PreCommit {
        txn: u32,
    },
    PreCommitAck {
        txn: u32,
    },
    /// 2PC's commit decision.
    Commit {
        txn: u32,
    },
    /// 3PC's commit decision.
    DoCommit {
        txn: u32,
    },
    Abort {
        txn: u32,
    },
    Ack {
        txn: u32,
    },
    /// From a participant in doubt: what was decided?
    Query {
        txn: u32,
    },
    /// Saga: run step `step` of saga `txn`, and its answer.
    Do {
        txn: u32,
        step: u32,
    },
    Done {
        txn: u32,
        step: u32,
        ok: bool,
    },
    /// Saga: run compensation `step`, and its answer.
    Undo {
        txn: u32,
        step: u32,
    },
    Undone {
        txn: u32,
        step: u32,
    },
}

#[derive(Clone, Debug, PartialEq, Hash, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Timer {
    /// Coordinator: begin the next transaction(s).
    Begin,
    /// Coordinator: votes (3PC: PreCommit acknowledgements) did not all come.
    VoteTimeout { txn: u32 },
    /// Coordinator: resend the decision or the saga step to silent nodes.
    Resend { txn: u32 },
    /// Participant: its work is done; vote (saga: finish the step).
    Prepare { txn: u32 },
    /// Coordinator: the work phase is over; ask for votes.
    AskVotes { txn: u32 },
    /// Participant that did the work: no `Prepare` came, so it aborts alone.
    PrepareTimeout { txn: u32 },
    /// 2PC participant in doubt: ask again.
    Query { txn: u32 },
    /// 3PC participant: decide alone.
    Decide { txn: u32 },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// At a participant: vote no on transaction `txn` (a saga: fail its step).
    VoteNo { txn: u32 },
    /// At the coordinator: begin the next transaction now.
    Begin,
}

fn name(ctx: &Ctx<'_, Commit>, node: NodeId) -> String {
    ctx.topology.nodes[node as usize].name.clone()
}

/// The participants, in id order: saga step k runs at the k-th.
pub fn participants(nodes: usize, coordinator: NodeId) -> Vec<NodeId> {
    (0..nodes as NodeId).filter(|&n| n != coordinator).collect()
}

fn list(ctx: &Ctx<'_, Commit>, nodes: &[NodeId]) -> String {
    nodes.iter().map(|&n| name(ctx, n)).collect::<Vec<_>>().join(", ")
}

impl Commit {
    fn is_coordinator(&self) -> bool {
        self.id == self.coordinator
    }
    fn parts_of(ctx: &Ctx<'_, Self>) -> Vec<NodeId> {
        participants(ctx.node_count(), ctx.params.coordinator)
    }
    /// Appends a record to the write-ahead log. Every record but `begin` and `end` is forced:
    /// on disk before the messages that follow it leave (a yes vote waits for its prepared
    /// record, a decision for its commit or abort record), as presumed-nothing 2PC does.
    fn log(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, entry: Entry) {
        self.wal.push(WalRecord { txn, at_us: ctx.now, entry });
        if !matches!(entry, Entry::Begin | Entry::End) {
            ctx.persist("log record");
        }
    }

    // ---- coordinator --------------------------------------------------------------------

    fn begin(&mut self, ctx: &mut Ctx<'_, Self>) {
        if self.begun >= MAX_TRANSACTIONS {
            ctx.note(format!("already began {MAX_TRANSACTIONS} transactions, the most one run may have"));
            return;
        }
        self.begun += 1;
        let txn = self.begun;
        self.log(ctx, txn, Entry::Begin);
        let run = TxnRun {
            phase: if self.variant == Variant::Saga { Phase::Forward } else { Phase::Voting },
            votes: Vec::new(),
            acks: Vec::new(),
            outcome: None,
            step: 1,
            failed: None,
            begun_us: ctx.now,
            voted_us: None,
            decided_us: None,
            ended_us: None,
        };
        self.runs.insert(txn, run);
        let parts = Self::parts_of(ctx);
        match self.variant {
            Variant::TwoPhase | Variant::ThreePhase if ctx.params.work_us > 0 => {
                ctx.note(format!("begins T{txn}: logs Begin and sends its work to {} participants", parts.len()));
                for p in parts {
                    ctx.send(p, Msg::Work { txn });
                }
                ctx.set_timer(Timer::AskVotes { txn }, ctx.params.work_us);
            }
            Variant::TwoPhase | Variant::ThreePhase => {
                ctx.note(format!("begins T{txn}: logs Begin"));
                self.ask_votes(ctx, txn);
            }
            Variant::Saga => {
                ctx.note(format!("begins saga S{txn}: runs T1 at {}", name(ctx, parts[0])));
                ctx.send(parts[0], Msg::Do { txn, step: 1 });
                ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
            }
        }
    }

    /// Step 1: ask every participant to vote.
    fn ask_votes(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        if self.runs.get(&txn).map(|r| r.phase) != Some(Phase::Voting) {
            return;
        }
        let parts = Self::parts_of(ctx);
        let ask = if self.variant == Variant::TwoPhase { "Prepare" } else { "CanCommit" };
        ctx.note(format!("asks {} participants to vote on T{txn} ({ask})", parts.len()));
        for p in parts {
            let msg = if self.variant == Variant::TwoPhase { Msg::Prepare { txn } } else { Msg::CanCommit { txn } };
            ctx.send(p, msg);
        }
        ctx.set_timer(Timer::VoteTimeout { txn }, ctx.params.vote_timeout_us);
    }

    /// Step 3: write the decision, then send it.
    fn decide(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, commit: bool, why: String) {
        let Some(run) = self.runs.get_mut(&txn) else { return };
        if run.outcome.is_some() {
            return;
        }
        run.outcome = Some(commit);
        run.phase = Phase::Deciding;
        run.acks.clear();
        run.decided_us = Some(ctx.now);
        if run.voted_us.is_none() {
            run.voted_us = Some(ctx.now);
        }
        self.log(ctx, txn, if commit { Entry::Commit } else { Entry::Abort });
        let word = if commit { "commits" } else { "aborts" };
        ctx.moment(format!("{word} T{txn}: {why} (the decision is in its log before anyone hears it)"));
        ctx.cancel_timer(Timer::VoteTimeout { txn });
        for p in Self::parts_of(ctx) {
            ctx.send(p, self.decision_msg(txn, commit));
        }
        ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
    }

    fn decision_msg(&self, txn: u32, commit: bool) -> Msg {
        match (commit, self.variant) {
            (false, _) => Msg::Abort { txn },
            (true, Variant::ThreePhase) => Msg::DoCommit { txn },
            (true, _) => Msg::Commit { txn },
        }
    }

    fn end(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        let Some(run) = self.runs.get_mut(&txn) else { return };
        run.phase = Phase::Ended;
        run.ended_us = Some(ctx.now);
        self.log(ctx, txn, Entry::End);
        ctx.cancel_timer(Timer::Resend { txn });
        self.schedule_next(ctx);
    }

    /// Sequential transactions: the next begins `gap_us` after the last one ended.
    fn schedule_next(&mut self, ctx: &mut Ctx<'_, Self>) {
        let all_ended = self.runs.values().all(|r| r.phase == Phase::Ended);
        if all_ended && self.begun < ctx.params.transactions {
            let after = if self.begun == 0 { ctx.params.start_us } else { ctx.params.gap_us };
            ctx.set_timer(Timer::Begin, after);
        }
    }

    fn on_vote(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32, yes: bool) {
        let n = Self::parts_of(ctx).len();
        let Some(run) = self.runs.get_mut(&txn) else { return };
        if run.phase != Phase::Voting || run.votes.iter().any(|(p, _)| *p == from) {
            return;
        }
        run.votes.push((from, yes));
        if !yes {
            let why = format!("{} voted no", name(ctx, from));
            return self.decide(ctx, txn, false, why);
        }
        if run.votes.len() < n {
            return;
        }
        if self.variant == Variant::TwoPhase {
            return self.decide(ctx, txn, true, format!("all {n} voted yes"));
        }
        // 3PC: nobody may commit before everybody knows that everybody voted yes.
        run.phase = Phase::PreCommitting;
        run.voted_us = Some(ctx.now);
        run.acks.clear();
        self.log(ctx, txn, Entry::PreCommit);
        ctx.note(format!("all {n} voted yes: logs PreCommit and sends it (T{txn} will commit unless it crashes)"));
        for p in Self::parts_of(ctx) {
            ctx.send(p, Msg::PreCommit { txn });
        }
        ctx.set_timer(Timer::VoteTimeout { txn }, ctx.params.vote_timeout_us);
    }

    fn on_ack(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32, precommit: bool) {
        let n = Self::parts_of(ctx).len();
        let Some(run) = self.runs.get_mut(&txn) else { return };
        let want = if precommit { Phase::PreCommitting } else { Phase::Deciding };
        if run.phase != want || run.acks.contains(&from) {
            return;
        }
        run.acks.push(from);
        if run.acks.len() < n {
            return;
        }
        if precommit {
            self.decide(ctx, txn, true, format!("all {n} acknowledged PreCommit"));
        } else {
            ctx.note(format!("all {n} acknowledged T{txn}: logs End"));
            self.end(ctx, txn);
        }
    }

    fn on_vote_timeout(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        let parts = Self::parts_of(ctx);
        let Some(run) = self.runs.get(&txn) else { return };
        match run.phase {
            Phase::Voting => {
                let silent: Vec<NodeId> =
                    parts.iter().copied().filter(|p| !run.votes.iter().any(|(v, _)| v == p)).collect();
                let why = format!("no vote from {} within {} ms", list(ctx, &silent), ctx.params.vote_timeout_us / MS);
                self.decide(ctx, txn, false, why);
            }
            Phase::PreCommitting => {
                let silent: Vec<NodeId> = parts.iter().copied().filter(|p| !run.acks.contains(p)).collect();
                let why = format!(
                    "{} did not acknowledge PreCommit, but every participant voted yes (3PC presumes them crashed)",
                    list(ctx, &silent)
                );
                self.decide(ctx, txn, true, why);
            }
            _ => {}
        }
    }

    fn on_resend(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        let parts = Self::parts_of(ctx);
        let Some(run) = self.runs.get(&txn) else { return };
        match (run.phase, run.outcome) {
            (Phase::Deciding, Some(commit)) => {
                let silent: Vec<NodeId> = parts.iter().copied().filter(|p| !run.acks.contains(p)).collect();
                ctx.note(format!("resends the decision on T{txn} to {}", list(ctx, &silent)));
                for p in silent {
                    ctx.send(p, self.decision_msg(txn, commit));
                }
            }
            (Phase::Forward, _) => {
                let step = run.step;
                ctx.send(parts[step as usize - 1], Msg::Do { txn, step });
            }
            (Phase::Compensating, _) => {
                let step = run.step;
                ctx.send(parts[step as usize - 1], Msg::Undo { txn, step });
            }
            _ => return,
        }
        ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
    }

    fn answer_query(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32) {
        match self.runs.get(&txn).map(|r| r.outcome) {
            Some(Some(commit)) => ctx.send(from, self.decision_msg(txn, commit)),
            Some(None) => {}
            // Never began (or forgotten): presumed abort.
            None => ctx.send(from, Msg::Abort { txn }),
        }
    }

    // ---- saga orchestrator --------------------------------------------------------------

    fn on_done(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, step: u32, ok: bool) {
        let parts = Self::parts_of(ctx);
        let n = parts.len() as u32;
        let Some(run) = self.runs.get_mut(&txn) else { return };
        if run.phase != Phase::Forward || run.step != step {
            return;
        }
        if ok {
            self.log(ctx, txn, Entry::StepDone { step });
            if step == n {
                return self.finish_saga(ctx, txn, true);
            }
            let run = self.runs.get_mut(&txn).expect("present");
            run.step = step + 1;
            ctx.note(format!("S{txn}: T{step} done; runs T{} at {}", step + 1, name(ctx, parts[step as usize])));
            ctx.send(parts[step as usize], Msg::Do { txn, step: step + 1 });
            ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
            return;
        }
        self.log(ctx, txn, Entry::StepFailed { step });
        let run = self.runs.get_mut(&txn).expect("present");
        run.failed = Some(step);
        run.voted_us = Some(ctx.now);
        if step == 1 {
            ctx.note(format!("S{txn}: T1 failed, nothing to compensate"));
            return self.finish_saga(ctx, txn, false);
        }
        run.phase = Phase::Compensating;
        run.step = step - 1;
        ctx.note(format!(
            "S{txn}: T{step} failed; compensates in reverse, C{} first at {}",
            step - 1,
            name(ctx, parts[step as usize - 2])
        ));
        ctx.send(parts[step as usize - 2], Msg::Undo { txn, step: step - 1 });
        ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
    }

    fn on_undone(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, step: u32) {
        let parts = Self::parts_of(ctx);
        let Some(run) = self.runs.get_mut(&txn) else { return };
        if run.phase != Phase::Compensating || run.step != step {
            return;
        }
        self.log(ctx, txn, Entry::Compensated { step });
        if step == 1 {
            return self.finish_saga(ctx, txn, false);
        }
        let run = self.runs.get_mut(&txn).expect("present");
        run.step = step - 1;
        ctx.send(parts[step as usize - 2], Msg::Undo { txn, step: step - 1 });
        ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
    }

    fn finish_saga(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, done: bool) {
        let Some(run) = self.runs.get_mut(&txn) else { return };
        run.outcome = Some(done);
        run.decided_us = Some(ctx.now);
        if run.voted_us.is_none() {
            run.voted_us = Some(ctx.now);
        }
        self.log(ctx, txn, if done { Entry::Commit } else { Entry::Abort });
        ctx.moment(if done {
            format!("S{txn}: every step done, the saga committed")
        } else {
            format!("S{txn}: every done step compensated, the saga aborted")
        });
        self.end(ctx, txn);
    }

    // ---- participant --------------------------------------------------------------------

    fn enter(&mut self, ctx: &Ctx<'_, Self>, txn: u32, state: State) {
        self.parts.insert(txn, Part { state, asked: state != State::Init, since_us: ctx.now });
    }

    fn state_of(&self, txn: u32) -> Option<State> {
        self.parts.get(&txn).map(|p| p.state)
    }

    fn on_work(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        if self.state_of(txn).is_none() {
            self.enter(ctx, txn, State::Init);
            ctx.set_timer(Timer::PrepareTimeout { txn }, ctx.params.decision_timeout_us);
        }
    }

    fn on_prepare_timeout(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        if self.parts.get(&txn).is_some_and(|p| p.state == State::Init && !p.asked) {
            self.apply(ctx, txn, false);
            ctx.moment(format!(
                "no Prepare for T{txn} within {} ms of its work: aborts alone (it has not voted, so it may)",
                ctx.params.decision_timeout_us / MS
            ));
        }
    }

    fn on_prepare(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32) {
        match self.state_of(txn) {
            // With a work phase, a Prepare for unknown work finds it lost (a crash) or never done.
            None if ctx.params.work_us > 0 => {
                self.apply(ctx, txn, false);
                ctx.note(format!("has no work for T{txn} (lost in a crash, or it never came): votes no"));
                ctx.send(from, Msg::Vote { txn, yes: false });
            }
            None => {
                self.enter(ctx, txn, State::Init);
                self.parts.get_mut(&txn).expect("entered").asked = true;
                ctx.set_timer(Timer::Prepare { txn }, ctx.params.prepare_us);
            }
            Some(State::Init) if !self.parts[&txn].asked => {
                self.parts.get_mut(&txn).expect("known").asked = true;
                ctx.cancel_timer(Timer::PrepareTimeout { txn });
                ctx.set_timer(Timer::Prepare { txn }, ctx.params.prepare_us);
            }
            // Aborted alone earlier (a peer's query while it had not voted): the vote is no.
            Some(State::Aborted) => ctx.send(from, Msg::Vote { txn, yes: false }),
            Some(State::Ready | State::PreCommitted) => ctx.send(from, Msg::Vote { txn, yes: true }),
            Some(_) => {}
        }
    }

    /// Step 2: the work is done; vote, or (saga) finish the step.
    fn on_prepared(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        if self.state_of(txn) != Some(State::Init) {
            return;
        }
        let forced = self.vote_no.contains(&txn);
        let chance = ctx.params.no_vote_ppm > 0 && ctx.random_below(1_000_000) < ctx.params.no_vote_ppm as u64;
        let yes = !forced && !chance;
        let why = if forced { " (told to)" } else { "" };
        let coordinator = self.coordinator;
        if self.variant == Variant::Saga {
            let step = self.step_of(ctx);
            if yes {
                self.log(ctx, txn, Entry::Commit);
                self.enter(ctx, txn, State::Committed);
                ctx.note(format!("S{txn}: T{step} committed locally; others can see it now"));
            } else {
                self.log(ctx, txn, Entry::Abort);
                self.enter(ctx, txn, State::Aborted);
                ctx.note(format!("S{txn}: T{step} fails{why}"));
            }
            ctx.send(coordinator, Msg::Done { txn, step, ok: yes });
            return;
        }
        if yes {
            self.log(ctx, txn, Entry::Prepared);
            self.enter(ctx, txn, State::Ready);
            let after = if self.variant == Variant::TwoPhase {
                ctx.set_timer(Timer::Query { txn }, ctx.params.decision_timeout_us);
                "in doubt: it may no longer abort alone"
            } else {
                ctx.set_timer(Timer::Decide { txn }, ctx.params.decision_timeout_us);
                "aborts alone if no PreCommit comes"
            };
            ctx.note(format!("logs Prepared and votes yes on T{txn}; {after}"));
        } else {
            self.log(ctx, txn, Entry::Abort);
            self.enter(ctx, txn, State::Aborted);
            ctx.note(format!("votes no on T{txn}{why} and aborts at once (it has promised nothing)"));
        }
        ctx.send(coordinator, Msg::Vote { txn, yes });
    }

    fn step_of(&self, ctx: &Ctx<'_, Self>) -> u32 {
        Self::parts_of(ctx).iter().position(|&p| p == ctx.id).map_or(0, |i| i as u32 + 1)
    }

    fn on_precommit(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32) {
        match self.state_of(txn) {
            Some(State::Ready) => {
                self.log(ctx, txn, Entry::PreCommit);
                self.enter(ctx, txn, State::PreCommitted);
                ctx.note(format!("pre-commits T{txn}: it now commits alone if the coordinator falls silent"));
                ctx.set_timer(Timer::Decide { txn }, ctx.params.decision_timeout_us);
                ctx.send(from, Msg::PreCommitAck { txn });
            }
            Some(State::PreCommitted) => ctx.send(from, Msg::PreCommitAck { txn }),
            _ => {}
        }
    }

    /// Step 4: apply the decision (kept if already decided) and acknowledge.
    fn on_decision(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32, commit: bool) {
        let state = self.state_of(txn);
        match state {
            Some(s) if s.decided() => {}
            None if commit => {
                ctx.note(format!("hears that T{txn} committed but never voted on it"));
                return;
            }
            _ => {
                self.apply(ctx, txn, commit);
                let whose =
                    if from == self.coordinator { String::new() } else { format!(" (from peer {})", name(ctx, from)) };
                let word = if commit { "commits" } else { "aborts" };
                ctx.note(format!("{word} T{txn}{whose}"));
            }
        }
        if from == self.coordinator {
            ctx.send(from, Msg::Ack { txn });
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32, commit: bool) {
        self.log(ctx, txn, if commit { Entry::Commit } else { Entry::Abort });
        self.enter(ctx, txn, if commit { State::Committed } else { State::Aborted });
        for timer in
            [Timer::Prepare { txn }, Timer::PrepareTimeout { txn }, Timer::Query { txn }, Timer::Decide { txn }]
        {
            ctx.cancel_timer(timer);
        }
    }

    /// Cooperative termination: a peer in doubt asks what this node knows.
    fn on_peer_query(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32) {
        match self.state_of(txn) {
            Some(State::Committed) => ctx.send(from, Msg::Commit { txn }),
            Some(State::Aborted) => ctx.send(from, Msg::Abort { txn }),
            // Not voted yet: it may abort alone, and then the decision can only be abort.
            None | Some(State::Init) => {
                self.apply(ctx, txn, false);
                ctx.moment(format!("has not voted on T{txn}: aborts alone so that {} may abort too", name(ctx, from)));
                let coordinator = self.coordinator;
                ctx.send(coordinator, Msg::Vote { txn, yes: false });
                ctx.send(from, Msg::Abort { txn });
            }
            // In doubt as well: it cannot help.
            Some(_) => {}
        }
    }

    fn on_query_timer(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        let Some(part) = self.parts.get(&txn) else { return };
        if part.state != State::Ready {
            return;
        }
        let waited = ctx.now.saturating_sub(part.since_us) / MS;
        let coordinator = self.coordinator;
        ctx.send(coordinator, Msg::Query { txn });
        let peers = if ctx.params.cooperative {
            let peers: Vec<NodeId> = Self::parts_of(ctx).into_iter().filter(|&p| p != ctx.id).collect();
            for &p in &peers {
                ctx.send(p, Msg::Query { txn });
            }
            " and its peers"
        } else {
            ""
        };
        let text = format!("in doubt about T{txn} for {waited} ms, blocked: asks {}{peers}", name(ctx, coordinator));
        // The first time it asks is the turn of the story; asking again is routine.
        if waited < 2 * ctx.params.decision_timeout_us / MS {
            ctx.moment(text);
        } else {
            ctx.note(text);
        }
        ctx.set_timer(Timer::Query { txn }, ctx.params.decision_timeout_us);
    }

    /// 3PC's timeout rule: decide alone from the state reached.
    fn on_decide_timer(&mut self, ctx: &mut Ctx<'_, Self>, txn: u32) {
        match self.state_of(txn) {
            Some(State::Ready) => {
                self.apply(ctx, txn, false);
                ctx.moment(format!("heard no PreCommit for T{txn}: aborts on its own (3PC's timeout rule)"));
            }
            Some(State::PreCommitted) => {
                self.apply(ctx, txn, true);
                ctx.moment(format!("pre-committed and heard nothing more: commits T{txn} on its own"));
            }
            _ => {}
        }
    }

    fn on_do(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32, step: u32) {
        match self.state_of(txn) {
            None => {
                self.enter(ctx, txn, State::Init);
                ctx.set_timer(Timer::Prepare { txn }, ctx.params.prepare_us);
            }
            Some(State::Committed) => ctx.send(from, Msg::Done { txn, step, ok: true }),
            Some(State::Aborted) => ctx.send(from, Msg::Done { txn, step, ok: false }),
            Some(_) => {}
        }
    }

    fn on_undo(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, txn: u32, step: u32) {
        if self.state_of(txn) == Some(State::Committed) {
            self.log(ctx, txn, Entry::Compensated { step });
            self.enter(ctx, txn, State::Compensated);
            ctx.note(format!("S{txn}: C{step} undoes T{step}"));
        }
        ctx.send(from, Msg::Undone { txn, step });
    }

    // ---- recovery -----------------------------------------------------------------------

    /// Step 6: rebuild from the log and finish what it left open.
    fn recover(&mut self, ctx: &mut Ctx<'_, Self>) {
        let wal = self.wal.clone();
        if self.is_coordinator() {
            self.recover_coordinator(ctx, &wal);
        } else {
            self.recover_participant(ctx, &wal);
        }
    }

    fn recover_participant(&mut self, ctx: &mut Ctx<'_, Self>, wal: &[WalRecord]) {
        for r in wal {
            if let Some(state) = r.entry.participant_state() {
                self.enter(ctx, r.txn, state);
            }
        }
        let open: Vec<(u32, State)> =
            self.parts.iter().filter(|(_, p)| !p.state.decided()).map(|(t, p)| (*t, p.state)).collect();
        for (txn, state) in open {
            ctx.moment(format!(
                "recovers {} on T{txn}: its log says {}, so it asks {}",
                state.word(self.variant),
                if state == State::Ready { "Prepared" } else { "PreCommit" },
                name(ctx, self.coordinator)
            ));
            ctx.send(self.coordinator, Msg::Query { txn });
            let timer = if self.variant == Variant::TwoPhase { Timer::Query { txn } } else { Timer::Decide { txn } };
            ctx.set_timer(timer, ctx.params.decision_timeout_us);
        }
    }

    fn recover_coordinator(&mut self, ctx: &mut Ctx<'_, Self>, wal: &[WalRecord]) {
        for r in wal {
            self.begun = self.begun.max(r.txn);
            let run = self.runs.entry(r.txn).or_insert(TxnRun {
                phase: if self.variant == Variant::Saga { Phase::Forward } else { Phase::Voting },
                votes: Vec::new(),
                acks: Vec::new(),
                outcome: None,
                step: 1,
                failed: None,
                begun_us: r.at_us,
                voted_us: None,
                decided_us: None,
                ended_us: None,
            });
            match r.entry {
                Entry::PreCommit => {
                    run.phase = Phase::PreCommitting;
                    run.voted_us = Some(r.at_us);
                }
                Entry::Commit | Entry::Abort => {
                    run.outcome = Some(r.entry == Entry::Commit);
                    run.phase = Phase::Deciding;
                    run.decided_us = Some(r.at_us);
                    run.voted_us.get_or_insert(r.at_us);
                }
                Entry::End => {
                    run.phase = Phase::Ended;
                    run.ended_us = Some(r.at_us);
                }
                Entry::StepDone { step } => run.step = step + 1,
                Entry::StepFailed { step } => {
                    run.failed = Some(step);
                    run.phase = Phase::Compensating;
                    run.step = step - 1;
                    run.voted_us = Some(r.at_us);
                }
                Entry::Compensated { step } => run.step = step - 1,
                Entry::Begin | Entry::Prepared => {}
            }
        }
        let parts = Self::parts_of(ctx);
        let open: Vec<(u32, TxnRun)> =
            self.runs.iter().filter(|(_, r)| r.phase != Phase::Ended).map(|(t, r)| (*t, r.clone())).collect();
        for (txn, run) in open {
            match (self.variant, run.phase, run.outcome) {
                (Variant::Saga, Phase::Forward, _) if run.step as usize > parts.len() => {
                    self.finish_saga(ctx, txn, true)
                }
                (Variant::Saga, Phase::Compensating, _) if run.step == 0 => self.finish_saga(ctx, txn, false),
                (Variant::Saga, _, _) => {
                    ctx.note(format!("recovers saga S{txn} from its log and carries on"));
                    self.on_resend(ctx, txn);
                }
                (_, _, Some(commit)) => {
                    let word = if commit { "commit" } else { "abort" };
                    ctx.note(format!("recovers: its log has the {word} of T{txn}, which it sends again"));
                    for &p in &parts {
                        ctx.send(p, self.decision_msg(txn, commit));
                    }
                    ctx.set_timer(Timer::Resend { txn }, ctx.params.retry_us);
                }
                (_, Phase::PreCommitting, None) => {
                    self.decide(ctx, txn, true, "recovers with PreCommit in its log".into());
                }
                (_, _, None) => {
                    self.decide(
                        ctx,
                        txn,
                        false,
                        format!("recovers with no decision on T{txn} in its log (presumed abort)"),
                    );
                }
            }
        }
        self.schedule_next(ctx);
    }
}

impl Protocol for Commit {
    type Params = Params;
    type Msg = Msg;
    type Timer = Timer;
    type Request = Request;
    type Durable = Vec<WalRecord>;
    const NAME: &'static str = NAME;

    fn validate(params: &Params, topology: &Topology) -> Result<(), String> {
        let nodes = topology.nodes.len();
        if nodes < 2 {
            return Err(
                "atomic commitment needs a coordinator and at least one participant: give 2 nodes or more".into()
            );
        }
        if params.coordinator as usize >= nodes {
            return Err(format!(
                "coordinator is node {}, but the run has {nodes} nodes (0..{})",
                params.coordinator,
                nodes - 1
            ));
        }
        if params.transactions == 0 || params.transactions > MAX_TRANSACTIONS {
            return Err(format!("transactions must be between 1 and {MAX_TRANSACTIONS}"));
        }
        if params.no_vote_ppm > 1_000_000 {
            return Err(format!(
                "no_vote_ppm is a chance in parts per million: at most 1000000, not {}",
                params.no_vote_ppm
            ));
        }
        crate::check_durations(&[
            ("prepare_us", params.prepare_us),
            ("vote_timeout_us", params.vote_timeout_us),
            ("decision_timeout_us", params.decision_timeout_us),
            ("retry_us", params.retry_us),
        ])?;
        crate::check_at_most_an_hour(&[
            ("start_us", params.start_us),
            ("gap_us", params.gap_us),
            ("work_us", params.work_us),
        ])?;
        // Each retry resends a decision (or asks for it) to every node, for every open transaction.
        let open = if params.concurrent { params.transactions as usize } else { 1 };
        caucus_sim::limits::check_rate("retry_us", params.retry_us, open * 2 * nodes, topology)?;
        let need = 2 * topology.max_one_way_us() + params.prepare_us;
        if params.vote_timeout_us <= need {
            return Err(format!(
                "vote_timeout_us ({} µs) must be longer than the longest round trip plus prepare_us ({need} µs), or the coordinator aborts while yes votes are on their way",
                params.vote_timeout_us
            ));
        }
        if params.decision_timeout_us <= params.vote_timeout_us {
            return Err(format!(
                "decision_timeout_us ({} µs) must be longer than vote_timeout_us ({} µs), or a participant gives up while the coordinator is still collecting votes",
                params.decision_timeout_us, params.vote_timeout_us
            ));
        }
        if params.work_us > 0 && params.variant == Variant::Saga {
            return Err("work_us is the work before a vote (two_phase, three_phase); a saga's steps do their own work: set it to 0".into());
        }
        if params.cooperative && params.variant != Variant::TwoPhase {
            return Err("cooperative termination is a two-phase commit option: set variant to two_phase or cooperative to false".into());
        }
        Ok(())
    }

    fn init(ctx: &mut Ctx<'_, Self>, durable: Option<Vec<WalRecord>>) -> Self {
        let mut node = Commit {
            id: ctx.id,
            variant: ctx.params.variant,
            coordinator: ctx.params.coordinator,
            wal: Vec::new(),
            parts: BTreeMap::new(),
            runs: BTreeMap::new(),
            begun: 0,
            vote_no: Vec::new(),
        };
        match durable {
            Some(wal) => {
                node.wal = wal;
                node.recover(ctx);
            }
            None if node.is_coordinator() => node.schedule_next(ctx),
            None => {}
        }
        node
    }

    fn on_message(&mut self, ctx: &mut Ctx<'_, Self>, from: NodeId, msg: Msg) {
        match msg {
            Msg::Work { txn } => self.on_work(ctx, txn),
            Msg::Prepare { txn } | Msg::CanCommit { txn } => self.on_prepare(ctx, from, txn),
            Msg::Vote { txn, yes } => self.on_vote(ctx, from, txn, yes),
            Msg::PreCommit { txn } => self.on_precommit(ctx, from, txn),
            Msg::PreCommitAck { txn } => self.on_ack(ctx, from, txn, true),
            Msg::Commit { txn } | Msg::DoCommit { txn } => self.on_decision(ctx, from, txn, true),
            Msg::Abort { txn } => self.on_decision(ctx, from, txn, false),
            Msg::Ack { txn } => self.on_ack(ctx, from, txn, false),
            Msg::Query { txn } if self.is_coordinator() => self.answer_query(ctx, from, txn),
            Msg::Query { txn } => self.on_peer_query(ctx, from, txn),
            Msg::Do { txn, step } => self.on_do(ctx, from, txn, step),
            Msg::Done { txn, step, ok } => self.on_done(ctx, txn, step, ok),
            Msg::Undo { txn, step } => self.on_undo(ctx, from, txn, step),
            Msg::Undone { txn, step } => self.on_undone(ctx, txn, step),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<'_, Self>, timer: Timer) {
        match timer {
            // Transactions begun by hand count too: the timer never begins more than asked for.
            Timer::Begin => {
                let want = if ctx.params.concurrent { ctx.params.transactions } else { self.begun + 1 };
                while self.begun < want.min(ctx.params.transactions) {
                    self.begin(ctx);
                }
            }
            Timer::VoteTimeout { txn } => self.on_vote_timeout(ctx, txn),
            Timer::Resend { txn } => self.on_resend(ctx, txn),
            Timer::Prepare { txn } => self.on_prepared(ctx, txn),
            Timer::AskVotes { txn } => self.ask_votes(ctx, txn),
            Timer::PrepareTimeout { txn } => self.on_prepare_timeout(ctx, txn),
            Timer::Query { txn } => self.on_query_timer(ctx, txn),
            Timer::Decide { txn } => self.on_decide_timer(ctx, txn),
        }
    }

    fn on_request(&mut self, ctx: &mut Ctx<'_, Self>, request: Request) {
        match request {
            Request::Begin if self.is_coordinator() => self.begin(ctx),
            Request::Begin => {
                ctx.note(format!("only the coordinator, {}, begins transactions", name(ctx, self.coordinator)))
            }
            Request::VoteNo { .. } if self.is_coordinator() => {
                ctx.note("the coordinator does not vote; ask a participant to vote no")
            }
            Request::VoteNo { txn } => match self.state_of(txn) {
                Some(s) if s != State::Init => ctx.note(format!("has already voted on T{txn}")),
                _ if txn == 0 || txn > MAX_TRANSACTIONS => {
                    ctx.note(format!("there is no T{txn}: transactions are numbered from 1"))
                }
                _ => {
                    if !self.vote_no.contains(&txn) {
                        self.vote_no.push(txn);
                    }
                    let what = if self.variant == Variant::Saga { "fail its step of S" } else { "vote no on T" };
                    ctx.note(format!("will {what}{txn}"));
                }
            },
        }
    }

    fn durable(&self) -> Vec<WalRecord> {
        self.wal.clone()
    }

    fn role(&self) -> String {
        if self.id == self.coordinator {
            return if self.variant == Variant::Saga { "orchestrator" } else { "coordinator" }.into();
        }
        match self.current_part() {
            Some((_, part)) => part.state.word(self.variant).into(),
            None => "idle".into(),
        }
    }

    /// The transaction the node is busy with; the coordinator adds its phase (a participant's
    /// state is already its role).
    fn badge(&self) -> String {
        let t = |txn: u32| if self.variant == Variant::Saga { format!("S{txn}") } else { format!("T{txn}") };
        if let Some((txn, _)) = self.current_part() {
            return t(txn);
        }
        let Some((txn, run)) = self.current_run() else { return String::new() };
        let what = match (run.phase, run.outcome) {
            (Phase::Voting, _) => "voting".into(),
            (Phase::PreCommitting, _) => "pre-commit".into(),
            (Phase::Deciding, Some(true)) => "committing".into(),
            (Phase::Deciding, _) => "aborting".into(),
            (Phase::Forward, _) => format!("T{}", run.step),
            (Phase::Compensating, _) => format!("C{}", run.step),
            (Phase::Ended, Some(true)) if self.variant == Variant::Saga => "done".into(),
            (Phase::Ended, Some(true)) => "committed".into(),
            (Phase::Ended, _) if self.variant == Variant::Saga => "undone".into(),
            (Phase::Ended, _) => "aborted".into(),
        };
        format!("{} {what}", t(txn))
    }

    fn countdown(timer: &Timer) -> Option<&'static str> {
        match timer {
            Timer::VoteTimeout { .. } => Some("waiting for votes"),
            Timer::Query { .. } => Some("in doubt: asks again"),
            Timer::Decide { .. } => Some("decides alone"),
            Timer::PrepareTimeout { .. } => Some("waiting for Prepare"),
            Timer::Begin | Timer::Resend { .. } | Timer::Prepare { .. } | Timer::AskVotes { .. } => None,
        }
    }

    fn msg_label(msg: &Msg) -> String {
        match *msg {
            Msg::Work { txn } => format!("Work T{txn}"),
            Msg::Prepare { txn } => format!("Prepare T{txn}"),
            Msg::CanCommit { txn } => format!("CanCommit T{txn}"),
            Msg::Vote { txn, yes } => format!("Vote {} T{txn}", if yes { "yes" } else { "no" }),
            Msg::PreCommit { txn } => format!("PreCommit T{txn}"),
            Msg::PreCommitAck { txn } => format!("Ack PreCommit T{txn}"),
            Msg::Commit { txn } => format!("Commit T{txn}"),
            Msg::DoCommit { txn } => format!("DoCommit T{txn}"),
            Msg::Abort { txn } => format!("Abort T{txn}"),
            Msg::Ack { txn } => format!("Ack T{txn}"),
            Msg::Query { txn } => format!("Decision? T{txn}"),
            Msg::Do { txn, step } => format!("S{txn} T{step}"),
            Msg::Done { txn, step, ok } => format!("S{txn} T{step} {}", if ok { "done" } else { "failed" }),
            Msg::Undo { txn, step } => format!("S{txn} C{step}"),
            Msg::Undone { txn, step } => format!("S{txn} C{step} done"),
        }
    }

    fn properties() -> Vec<Property<Self>> {
        vec![
            Property {
                name: "Atomicity",
                kind: PropertyKind::Safety,
                description: "For each transaction, no node commits while another aborts (2PC, 3PC). 3PC breaks it under a partition: one side commits on its timeout while the other aborts on its own.",
                check: atomicity,
            },
            Property {
                name: "Validity",
                kind: PropertyKind::Safety,
                description: "A transaction commits only if every participant voted yes (2PC, 3PC).",
                check: validity,
            },
            Property {
                name: "Compensation in reverse",
                kind: PropertyKind::Safety,
                description: "Saga: no step runs after a step failed, and compensation Ci runs only once every later step is undone.",
                check: saga_order,
            },
            Property {
                name: "Termination",
                kind: PropertyKind::Liveness,
                description: "Once faults heal, every transaction ends: each participant has a decision (a saga: all steps done or all compensated) and the coordinator has logged End. A 2PC participant in doubt while its coordinator is down is blocked, which is the lesson.",
                check: termination,
            },
        ]
    }

    /// 2PC's and 3PC's participants are interchangeable: the coordinator treats them as a set,
    /// and so do they one another. Not a saga's (step k runs at the k-th), nor with `no_vote_ppm`
    /// (each node draws its chance from its own stream, so one votes no where another would
    /// not).
    fn symmetry(topology: &Topology, params: &Params) -> Option<caucus_sim::protocol::Symmetry<Self>> {
        if params.variant == Variant::Saga || params.no_vote_ppm > 0 {
            return None;
        }
        let classes = vec![participants(topology.nodes.len(), params.coordinator)];
        Some(caucus_sim::protocol::Symmetry { state: renamed, about, ..caucus_sim::protocol::Symmetry::new(classes) })
    }
}

/// `node` with ids renamed by `to`: its own, and the voters and acknowledgers the coordinator
/// counted (in the order they came).
fn renamed(node: &Commit, to: &[NodeId]) -> Commit {
    let mut node = node.clone();
    node.id = to[node.id as usize];
    node.coordinator = to[node.coordinator as usize];
    for run in node.runs.values_mut() {
        for (voter, _) in &mut run.votes {
            *voter = to[*voter as usize];
        }
        for acker in &mut run.acks {
            *acker = to[*acker as usize];
        }
    }
    node
}

/// What the coordinator holds about participant `node`: per transaction, where its vote came
/// among the votes and what it was, and where its acknowledgement came (0: nothing).
fn about(node: &Commit, of: NodeId) -> u64 {
    let mut about = 0u64;
    for (&txn, run) in &node.runs {
        let vote = run.votes.iter().position(|v| v.0 == of).map(|i| (i as u64 + 1) << 1 | run.votes[i].1 as u64);
        let ack = run.acks.iter().position(|&a| a == of).map(|i| i as u64 + 1);
        if vote.is_some() || ack.is_some() {
            // FNV-1a's step, over (transaction, vote, acknowledgement).
            for word in [u64::from(txn), vote.unwrap_or(0), ack.unwrap_or(0)] {
                about = (about ^ word).wrapping_mul(0x0100_0000_01B3);
            }
        }
    }
    about
}

impl Commit {
    /// The participant's transaction worth showing: the first undecided one, else the latest.
    pub fn current_part(&self) -> Option<(u32, &Part)> {
        self.parts
            .iter()
            .find(|(_, p)| !p.state.decided())
            .or_else(|| self.parts.iter().next_back())
            .map(|(t, p)| (*t, p))
    }
    /// The coordinator's transaction worth showing: the first open one, else the latest.
    pub fn current_run(&self) -> Option<(u32, &TxnRun)> {
        self.runs
            .iter()
            .find(|(_, r)| r.phase != Phase::Ended)
            .or_else(|| self.runs.iter().next_back())
            .map(|(t, r)| (*t, r))
    }
}

// ---- properties -----------------------------------------------------------------------------

/// Calls `f` with every node's log: the live state's, or what a crashed node kept.
fn each_wal(view: &View<'_, Commit>, mut f: impl FnMut(NodeId, &[WalRecord])) {
    each_wal_cow(view, |n, wal| f(n, &wal));
}

/// Every node's write-ahead log (a crashed node's as its disk kept it) and every node's name: what
/// the validity and saga checks read. Built from a `View`, or by hand in the tests.
struct Logs<'a> {
    wals: Vec<(NodeId, Cow<'a, [WalRecord]>)>,
    names: Vec<&'a str>,
    coordinator: NodeId,
}

impl<'a> Logs<'a> {
    fn of(view: &View<'a, Commit>) -> Logs<'a> {
        let mut wals = Vec::with_capacity(view.node_ids().len());
        each_wal_cow(view, |n, wal| wals.push((n, wal)));
        Logs { wals, names: view.node_ids().map(|n| view.name(n)).collect(), coordinator: view.params().coordinator }
    }
    fn name(&self, node: NodeId) -> &'a str {
        self.names[node as usize]
    }
    fn participants(&self) -> Vec<NodeId> {
        participants(self.names.len(), self.coordinator)
    }
}

/// [`each_wal`], keeping a live node's log borrowed for as long as the view.
fn each_wal_cow<'a>(view: &View<'a, Commit>, mut f: impl FnMut(NodeId, Cow<'a, [WalRecord]>)) {
    for n in view.node_ids() {
        match view.state(n) {
            Some(s) => f(n, Cow::Borrowed(&s.wal[..])),
            None => {
                if let Some(wal) = view.durable(n) {
                    f(n, Cow::Owned(wal));
                }
            }
        }
    }
}

/// The checker's liveness property when crashed nodes stay down (Skeen's non-blocking): every
/// node that is up can still reach a decision on every transaction it has heard of, whoever else
/// is down. 2PC breaks it when its coordinator crashes after Prepare: a participant that voted
/// yes may neither commit nor abort alone. [`Commit::properties`]' Termination asks more (every
/// participant decides, the coordinator logs End), which a node that never restarts cannot give.
#[cfg(feature = "explore")]
pub const NON_BLOCKING: Property<Commit> = Property {
    name: "Non-blocking",
    kind: PropertyKind::Liveness,
    description: "Every node that is up can reach a decision on each transaction it knows, even while others stay down (2PC, 3PC).",
    check: non_blocking,
};

#[cfg(feature = "explore")]
fn non_blocking(view: &View<'_, Commit>) -> Result<(), Failure> {
    let mut waiting = Vec::new();
    let mut txns = Vec::new();
    for n in view.node_ids() {
        let Some(s) = view.state(n) else { continue };
        if s.variant == Variant::Saga {
            return Ok(());
        }
        let open = s.parts.iter().filter(|(_, p)| !p.state.decided()).map(|(t, _)| *t);
        let undecided_runs = s.runs.iter().filter(|(_, r)| r.outcome.is_none()).map(|(t, _)| *t);
        let mut mine: Vec<u32> = open.chain(undecided_runs).collect();
        if !mine.is_empty() {
            waiting.push(n);
            txns.append(&mut mine);
        }
    }
    if waiting.is_empty() {
        return Ok(());
    }
    txns.sort_unstable();
    txns.dedup();
    let names: Vec<&str> = waiting.iter().map(|&n| view.name(n)).collect();
    let txns: Vec<String> = txns.iter().map(|t| format!("T{t}")).collect();
    Err(Failure::new(format!(
        "{} {} up but without a decision on {}.",
        names.join(", "),
        if names.len() == 1 { "is" } else { "are" },
        txns.join(", ")
    ))
    .nodes(waiting))
}

fn has(wal: &[WalRecord], txn: u32, entry: Entry) -> bool {
    wal.iter().any(|r| r.txn == txn && r.entry == entry)
}

fn atomicity(view: &View<'_, Commit>) -> Result<(), Failure> {
    if view.params().variant == Variant::Saga {
        return Ok(());
    }
    let coordinator = view.params().coordinator;
    // The lowest transaction that some node committed and another aborted, and who on each side.
    let Some((txn, a, b)) = split_of(&Logs::of(view)) else { return Ok(()) };
    let (na, nb) = (view.name(a), view.name(b));
    let why = if view.params().variant == Variant::ThreePhase {
        let cut = view.is_cut(a, b) || view.is_cut(coordinator, b) || view.is_cut(b, coordinator);
        if cut {
            format!(
                "a partition split 3PC: {nb}, cut off before PreCommit reached it, aborted on its timeout while {na}'s side had PreCommit and committed. 3PC takes silence for a crash, which a partition is not (the lesson, not a bug in Caucus)."
            )
        } else {
            format!("3PC's timeouts disagreed: {nb} aborted alone while {na} committed (a node presumed crashed was only slow or cut off).")
        }
    } else {
        "the decisions disagree, which two-phase commit must never allow.".to_string()
    };
    Err(Failure::new(format!("{na} committed T{txn} while {nb} aborted it: {why}")).nodes([a, b]))
}

/// The lowest transaction that some node committed and another aborted, with a node of each
/// side (participants named before the coordinator, the lowest id first).
fn split_of(logs: &Logs<'_>) -> Option<(u32, NodeId, NodeId)> {
    let Some(m) = Masks::of(logs) else { return split_by_sorting(logs) };
    let c = logs.coordinator;
    let t = (0..MASK_TXNS).find(|&t| m.commit[t] != 0 && m.abort[t] != 0)?;
    Some((t as u32, lowest_but(m.commit[t], c), lowest_but(m.abort[t], c)))
}

/// [`split_of`] where [`Masks`] do not fit: every decision record, sorted.
fn split_by_sorting(logs: &Logs<'_>) -> Option<(u32, NodeId, NodeId)> {
    let coordinator = logs.coordinator;
    // (txn, commit?, node), the first record of each decision per node.
    let mut decisions: Vec<(u32, bool, NodeId)> = Vec::new();
    for (n, wal) in &logs.wals {
        for r in wal.iter() {
            match r.entry {
                Entry::Commit => decisions.push((r.txn, true, *n)),
                Entry::Abort => decisions.push((r.txn, false, *n)),
                _ => {}
            }
        }
    }
    decisions.sort_unstable();
    for w in decisions.windows(2) {
        let ((txn, false, _), (t2, true, _)) = (w[0], w[1]) else { continue };
        if txn != t2 {
            continue;
        }
        // Name participants before the coordinator: the lowest-id of each side.
        let pick = |commit: bool| {
            let side: Vec<NodeId> = decisions.iter().filter(|d| d.0 == txn && d.1 == commit).map(|d| d.2).collect();
            side.iter().copied().find(|&n| n != coordinator).unwrap_or(side[0])
        };
        return Some((txn, pick(true), pick(false)));
    }
    None
}

/// The lowest node of a non-empty set other than `but`, or `but` if it is alone.
fn lowest_but(set: u64, but: NodeId) -> NodeId {
    let others = set & !(1u64 << but);
    (if others != 0 { others } else { set }).trailing_zeros() as NodeId
}

/// Who logged what, per transaction, as sets of nodes: one pass over every log, no sorting and
/// no allocation. Atomicity and validity are checked after every step over every node's whole
/// log, and sorting the records made them a quarter of a 25-node, 100-transaction run's time in
/// the browser (issue 16). `None` when it does not fit (more than 64 nodes or a transaction number
/// past [`MAX_TRANSACTIONS`]): the checks then sort, as they always did.
struct Masks {
    commit: [u64; MASK_TXNS],
    abort: [u64; MASK_TXNS],
    /// Yes votes (prepared records) of participants, not the coordinator's own.
    voted: [u64; MASK_TXNS],
}

const MASK_TXNS: usize = MAX_TRANSACTIONS as usize + 1;

impl Masks {
    fn of(logs: &Logs<'_>) -> Option<Masks> {
        if logs.names.len() > 64 {
            return None;
        }
        let mut m = Masks { commit: [0; MASK_TXNS], abort: [0; MASK_TXNS], voted: [0; MASK_TXNS] };
        for (n, wal) in &logs.wals {
            let bit = 1u64 << n;
            for r in wal.iter() {
                let t = r.txn as usize;
                if t >= MASK_TXNS {
                    return None;
                }
                match r.entry {
                    Entry::Commit => m.commit[t] |= bit,
                    Entry::Abort => m.abort[t] |= bit,
                    Entry::Prepared if *n != logs.coordinator => m.voted[t] |= bit,
                    _ => {}
                }
            }
        }
        Some(m)
    }
}

fn validity(view: &View<'_, Commit>) -> Result<(), Failure> {
    if view.params().variant == Variant::Saga {
        return Ok(());
    }
    validity_in(&Logs::of(view))
}

fn validity_in(logs: &Logs<'_>) -> Result<(), Failure> {
    if let Some(m) = Masks::of(logs) {
        let parts = logs.participants().iter().fold(0u64, |set, &p| set | 1 << p);
        for txn in 0..MASK_TXNS {
            let missing = parts & !m.voted[txn];
            if m.commit[txn] != 0 && missing != 0 {
                let (who, m) = (m.commit[txn].trailing_zeros() as NodeId, missing.trailing_zeros() as NodeId);
                return Err(Failure::new(format!(
                    "{} committed T{txn} although {} never voted yes on it.",
                    logs.name(who),
                    logs.name(m)
                ))
                .nodes([who, m]));
            }
        }
        return Ok(());
    }
    validity_sorted(logs)
}

/// [`validity_in`] where [`Masks`] do not fit: every record, sorted.
fn validity_sorted(logs: &Logs<'_>) -> Result<(), Failure> {
    // One pass over the logs: who committed each transaction, and who voted yes on it.
    let mut committed: Vec<(u32, NodeId)> = Vec::new();
    let mut prepared: Vec<(u32, NodeId)> = Vec::new();
    for (n, wal) in &logs.wals {
        for r in wal.iter() {
            match r.entry {
                Entry::Commit => committed.push((r.txn, *n)),
                Entry::Prepared if *n != logs.coordinator => prepared.push((r.txn, *n)),
                _ => {}
            }
        }
    }
    if committed.is_empty() {
        return Ok(());
    }
    committed.sort_unstable();
    committed.dedup_by_key(|c| c.0);
    prepared.sort_unstable();
    prepared.dedup();
    let parts = logs.participants();
    for (txn, who) in committed {
        let missing = parts.iter().copied().find(|&p| prepared.binary_search(&(txn, p)).is_err());
        if let Some(m) = missing {
            return Err(Failure::new(format!(
                "{} committed T{txn} although {} never voted yes on it.",
                logs.name(who),
                logs.name(m)
            ))
            .nodes([who, m]));
        }
    }
    Ok(())
}

/// Each saga step's state at its participant (`None`: not run), for saga `txn`.
fn saga_steps(logs: &Logs<'_>, txn: u32, parts: &[NodeId]) -> Vec<Option<State>> {
    let mut steps = vec![None; parts.len()];
    for (n, wal) in &logs.wals {
        let Some(k) = parts.iter().position(|p| p == n) else { continue };
        for r in wal.iter().filter(|r| r.txn == txn) {
            steps[k] = match r.entry {
                Entry::Commit => Some(State::Committed),
                Entry::Abort => Some(State::Aborted),
                Entry::Compensated { .. } => Some(State::Compensated),
                _ => steps[k],
            };
        }
    }
    steps
}

fn saga_order(view: &View<'_, Commit>) -> Result<(), Failure> {
    if view.params().variant != Variant::Saga {
        return Ok(());
    }
    saga_order_in(&Logs::of(view))
}

fn saga_order_in(logs: &Logs<'_>) -> Result<(), Failure> {
    let parts = logs.participants();
    let sagas = logs.wals.iter().flat_map(|(_, wal)| wal.iter().map(|r| r.txn)).max().unwrap_or(0);
    for txn in 1..=sagas {
        let steps = saga_steps(logs, txn, &parts);
        for (i, s) in steps.iter().enumerate() {
            let later_done = steps[i + 1..].iter().position(|s| *s == Some(State::Committed)).map(|j| i + 1 + j);
            let Some(j) = later_done else { continue };
            let text = match s {
                Some(State::Aborted) => format!(
                    "S{txn}: T{} ran at {} after T{} failed at {}.",
                    j + 1,
                    logs.name(parts[j]),
                    i + 1,
                    logs.name(parts[i])
                ),
                Some(State::Compensated) => format!(
                    "S{txn}: C{} ran at {} while T{} at {} still stands: compensations must run in reverse.",
                    i + 1,
                    logs.name(parts[i]),
                    j + 1,
                    logs.name(parts[j])
                ),
                _ => continue,
            };
            return Err(Failure::new(text).nodes([parts[i], parts[j]]));
        }
    }
    Ok(())
}

fn termination(view: &View<'_, Commit>) -> Result<(), Failure> {
    let p = view.params();
    let coordinator = p.coordinator;
    let Some(cwal) = view.state(coordinator).map(|s| s.wal.clone()).or_else(|| view.durable(coordinator)) else {
        return Err(Failure::new(format!("{} never started.", view.name(coordinator))).nodes([coordinator]));
    };
    let begun = cwal.iter().map(|r| r.txn).max().unwrap_or(0);
    let t = |txn: u32| if p.variant == Variant::Saga { format!("S{txn}") } else { format!("T{txn}") };
    if begun < p.transactions {
        return Err(Failure::new(format!(
            "{} of {} transactions began: {} did not begin {}.",
            begun,
            p.transactions,
            view.name(coordinator),
            t(begun + 1)
        ))
        .nodes([coordinator]));
    }
    let parts = participants(view.topology().nodes.len(), coordinator);
    for txn in 1..=begun {
        if p.variant == Variant::Saga {
            let steps = saga_steps(&Logs::of(view), txn, &parts);
            let all_done = steps.iter().all(|s| *s == Some(State::Committed));
            let none_stands = steps.iter().all(|s| *s != Some(State::Committed));
            if !all_done && !none_stands {
                let standing: Vec<&str> = parts
                    .iter()
                    .zip(&steps)
                    .filter(|(_, s)| **s == Some(State::Committed))
                    .map(|(&n, _)| view.name(n))
                    .collect();
                return Err(Failure::new(format!(
                    "{} is half done: steps at {} stand, others did not run or were undone.",
                    t(txn),
                    standing.join(", ")
                ))
                .nodes(parts.clone()));
            }
        } else {
            let mut undecided = Vec::new();
            each_wal(view, |n, wal| {
                if n != coordinator && !has(wal, txn, Entry::Commit) && !has(wal, txn, Entry::Abort) {
                    undecided.push(n);
                }
            });
            if !undecided.is_empty() {
                let names: Vec<&str> = undecided.iter().map(|&n| view.name(n)).collect();
                return Err(Failure::new(format!(
                    "{} has no decision at {}: in doubt and blocked, or never told.",
                    t(txn),
                    names.join(", ")
                ))
                .nodes(undecided));
            }
        }
        if !has(&cwal, txn, Entry::End) {
            return Err(Failure::new(format!(
                "{} has not logged End for {}: not every participant has acknowledged it.",
                view.name(coordinator),
                t(txn)
            ))
            .nodes([coordinator]));
        }
    }
    Ok(())
}

// ---- latency by distance --------------------------------------------------------------------

/// The latencies of one all-yes transaction on one topology, measured at the coordinator.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Latency {
    pub preset: &'static str,
    pub nodes: usize,
    /// The longest round trip from the coordinator to a participant.
    pub max_rtt_us: Micros,
    /// From Begin until the votes were in (3PC: PreCommit sent; a saga: all steps done).
    pub voting_us: Micros,
    /// From Begin until the decision was logged: when the client could be told.
    pub decided_us: Micros,
    /// From Begin until End: every participant has applied the decision.
    pub ended_us: Micros,
    /// The same two with every log force on a network disk.
    pub decided_on_disk_us: Micros,
    pub ended_on_disk_us: Micros,
}

/// Runs one all-yes transaction of `variant` on the one-datacenter, three-regions and five-regions
/// presets: how latency grows with distance; and again with every log force on a network disk
/// (2 to 6 ms a write): how much of it the disk is.
pub fn latency_by_distance(variant: Variant) -> Vec<Latency> {
    [("one-datacenter", 6), ("three-regions", 2), ("five-regions", 2)]
        .into_iter()
        .filter_map(|(preset, per_dc)| {
            let run = |storage: Option<&str>| {
                let mut topology = TopologySpec::preset(preset, per_dc);
                topology.storage = storage.map(String::from);
                let mut s = crate::scenario("commit-latency", "", NAME, topology, vec![]);
                s.protocol.params = serde_json::json!({ "variant": variant });
                s.until_us = 5 * SEC;
                let mut run = Run::<Commit>::new(s).ok()?;
                run.run_until(5 * SEC).ok()?;
                let r = run.sim().state(0)?.runs.get(&1)?.clone();
                // The client can be told once the decision is on disk: when the coordinator's
                // first message after deciding leaves (at once on free storage).
                let decided = r.decided_us?;
                let sent = run.trace().msgs.iter().filter(|m| m.source == 0).map(|m| m.sent_at);
                let told = sent.filter(|&t| t >= decided).min().unwrap_or(decided);
                Some((run, r, told))
            };
            let (free, r, told) = run(None)?;
            let (_, disk, disk_told) = run(Some("network-disk"))?;
            let topo = DynRun::topology(&free);
            let max_rtt_us = (1..topo.nodes.len() as NodeId)
                .map(|n| {
                    let (a, b) = (topo.dc_of(0), topo.dc_of(n));
                    topo.link(a, b).latency_us + topo.link(b, a).latency_us
                })
                .max()
                .unwrap_or(0);
            Some(Latency {
                preset,
                nodes: topo.nodes.len(),
                max_rtt_us,
                voting_us: r.voted_us? - r.begun_us,
                decided_us: told - r.begun_us,
                ended_us: r.ended_us? - r.begun_us,
                decided_on_disk_us: disk_told - disk.begun_us,
                ended_on_disk_us: disk.ended_us? - disk.begun_us,
            })
        })
        .collect()
}

// ---- scenarios ------------------------------------------------------------------------------

/// The built-in scenarios of this protocol (listed by `caucus list` and the app's picker).
pub fn scenarios() -> Vec<Scenario> {
    use crate::at;
    use serde_json::json;
    let dc2 =
        || Input::Partition { a: vec![Endpoint::Dc(2)], b: vec![Endpoint::Dc(0), Endpoint::Dc(1)], one_way: false };
    let vote_no = |node: NodeId, txn: u32| Input::Request { node, request: json!({ "vote_no": { "txn": txn } }) };
    // Commit logged at n0, Singapore cut off before its Commit arrives, n0 down until 4 s: the
    // blocking case, shared by the plain and the cooperative scenario.
    let crash_after_decision = || {
        vec![
            at(0.35, dc2()),
            at(0.4, Input::Crash { node: 0 }),
            at(1.0, Input::Heal),
            at(4.0, Input::Restart { node: 0 }),
        ]
    };
    let make = |name: &str, description: &str, params: serde_json::Value, script| {
        let mut s = crate::scenario(name, description, NAME, TopologySpec::preset("three-regions", 2), script);
        s.protocol.params = params;
        s
    };
    vec![
        make(
            "commit-2pc",
            "Two-phase commit of T1: n0 in us-east-1 sends Prepare to five participants in three regions, all vote yes, n0 logs Commit and tells them. The commit takes one round trip to Singapore, about 0.23 s, before anyone can commit.",
            json!({}),
            vec![],
        ),
        make(
            "commit-2pc-no-vote",
            "n3 is told to vote no on T1: it aborts at once (it promised nothing), n0 aborts T1 as soon as the no arrives, and every participant that voted yes aborts when the Abort reaches it.",
            json!({}),
            vec![at(0.05, vote_no(3, 1))],
        ),
        make(
            "commit-2pc-coordinator-crash",
            "n0 crashes at 0.15 s, after sending Prepare and before any vote returns. Every participant votes yes and is then in doubt: it may not abort alone, and asking n0 gets no answer. They stay blocked until n0 restarts at 4 s, replays its log (Begin, no decision) and aborts: 2PC blocks while its coordinator is down.",
            json!({}),
            vec![at(0.15, Input::Crash { node: 0 }), at(4.0, Input::Restart { node: 0 })],
        ),
        make(
            "commit-2pc-crash-after-decision",
            "n0 logs Commit for T1 at about 0.33 s; ap-southeast-1 is cut off at 0.35 s, so its Commit never reaches n4 and n5, and n0 crashes at 0.4 s. The cut heals at 1 s but n4 and n5 stay in doubt, asking the dead n0, until it restarts at 4 s: its log holds the Commit, which it sends again.",
            json!({}),
            crash_after_decision(),
        ),
        make(
            "commit-2pc-cooperative",
            "The crash after the decision again, with cooperative termination: n4 and n5, in doubt, ask their peers as well as n0. n1 committed and tells them, so they commit after the heal without waiting for n0 to come back.",
            json!({ "cooperative": true }),
            crash_after_decision(),
        ),
        make(
            "commit-2pc-work-timeout",
            "With a work phase: n0 sends T1's work at 0.1 s and would ask for votes 0.3 s later, but crashes at 0.2 s. No participant has voted, so none is blocked: each waits 1 s for a Prepare and aborts alone. Compare commit-2pc-coordinator-crash, where the crash comes after Prepare.",
            json!({ "work_us": 300_000 }),
            vec![at(0.2, Input::Crash { node: 0 }), at(4.0, Input::Restart { node: 0 })],
        ),
        make(
            "commit-2pc-participant-crash",
            "n4 votes yes on T1 and crashes at 0.3 s, before the Commit reaches it. n0 commits anyway and resends the Commit every second. When n4 restarts at 2 s its log says Prepared: it is in doubt, asks n0 and commits.",
            json!({}),
            vec![at(0.3, Input::Crash { node: 4 }), at(2.0, Input::Restart { node: 4 })],
        ),
        make(
            "commit-2pc-concurrent",
            "Three transactions at once; n2 votes no on T2. Each has its own votes, decision and log records: T1 and T3 commit, T2 aborts, and none waits for another.",
            json!({ "transactions": 3, "concurrent": true }),
            vec![at(0.05, vote_no(2, 2))],
        ),
        make(
            "commit-3pc",
            "Three-phase commit of T1: CanCommit and votes, PreCommit and acknowledgements, then DoCommit. One round trip longer than 2PC, so that nobody commits before everybody knows everybody voted yes.",
            json!({ "variant": "three_phase" }),
            vec![],
        ),
        make(
            "commit-3pc-coordinator-crash",
            "n0 crashes at 0.15 s, after CanCommit and before the votes return. Unlike 2PC nobody blocks: each participant, with no PreCommit 1 s after its yes vote, aborts on its own. When n0 restarts at 5 s its log has no PreCommit, so it aborts too.",
            json!({ "variant": "three_phase" }),
            vec![at(0.15, Input::Crash { node: 0 }), at(5.0, Input::Restart { node: 0 })],
        ),
        make(
            "commit-3pc-partition",
            "3PC under a partition: ap-southeast-1 (n4, n5) is cut off at 0.4 s, after PreCommit reached us-east-1 and eu-west-1 but before it reached Singapore. n0 commits on its acknowledgement timeout with n1 to n3; n4 and n5 abort on theirs. Atomicity fails, and the property says which nodes and why.",
            json!({ "variant": "three_phase" }),
            vec![at(0.4, dc2()), at(3.0, Input::Heal)],
        ),
        make(
            "commit-saga",
            "A saga of five steps: n0 orchestrates T1 at n1, then T2 at n2, ... T5 at n5, one after another. Each step commits locally at once, so others can see the saga half done until the last step.",
            json!({ "variant": "saga" }),
            vec![],
        ),
        make(
            "commit-saga-compensate",
            "The saga again, but T4 at n4 fails: n0 runs the compensations in reverse, C3 at n3, C2 at n2, C1 at n1. In the end nothing stands, but for a while T1 to T3 were visible.",
            json!({ "variant": "saga" }),
            vec![at(0.05, vote_no(4, 1))],
        ),
    ]
}

#[cfg(test)]
mod tests {
    //! The validity and saga checks, fed logs that a broken protocol would write: each must fire,
    //! name the nodes involved, and stay quiet on the healthy variant of the same logs. (No correct
    //! run breaks them, so the scenario tests and sweeps alone could not show they can fail.)
    use super::*;

    fn rec(txn: u32, entry: Entry) -> WalRecord {
        WalRecord { txn, at_us: 0, entry }
    }

    /// n0 coordinates n1..n3; `wals[i]` is node i's log.
    fn logs(wals: Vec<Vec<WalRecord>>) -> Logs<'static> {
        Logs {
            names: ["n0", "n1", "n2", "n3"][..wals.len()].to_vec(),
            wals: wals.into_iter().enumerate().map(|(i, w)| (i as NodeId, Cow::Owned(w))).collect(),
            coordinator: 0,
        }
    }

    proptest::proptest! {
        /// The checks' one-pass sets of nodes ([`Masks`]) find exactly what sorting every record
        /// finds, on any logs (the sorting path is what runs past 64 nodes or 100 transactions).
        #[test]
        fn the_set_checks_agree_with_the_sorting_checks(
            wals in proptest::collection::vec(proptest::collection::vec((0u32..6, 0u8..4), 0..12), 4)
        ) {
            let entry = |k: u8| [Entry::Begin, Entry::Prepared, Entry::Commit, Entry::Abort][k as usize];
            let l = logs(wals.into_iter().map(|w| w.into_iter().map(|(t, k)| rec(t, entry(k))).collect()).collect());
            proptest::prop_assert!(Masks::of(&l).is_some());
            proptest::prop_assert_eq!(split_of(&l), split_by_sorting(&l));
            proptest::prop_assert_eq!(validity_in(&l), validity_sorted(&l));
        }
    }

    #[test]
    fn a_commit_without_every_yes_vote_breaks_validity() {
        let yes = |t| vec![rec(t, Entry::Prepared), rec(t, Entry::Commit)];
        let healthy = logs(vec![vec![rec(1, Entry::Begin), rec(1, Entry::Commit)], yes(1), yes(1), yes(1)]);
        assert_eq!(validity_in(&healthy), Ok(()));

        // n2 never logged Prepared for T1, yet the coordinator committed it.
        let broken =
            logs(vec![vec![rec(1, Entry::Begin), rec(1, Entry::Commit)], yes(1), vec![rec(1, Entry::Commit)], yes(1)]);
        let e = validity_in(&broken).unwrap_err();
        assert_eq!(e.nodes, vec![0, 2]);
        assert_eq!(e.explanation, "n0 committed T1 although n2 never voted yes on it.");

        // An abort needs no votes: only commits are checked.
        let aborted = logs(vec![
            vec![rec(1, Entry::Abort)],
            vec![rec(1, Entry::Abort)],
            vec![],
            vec![rec(1, Entry::Prepared), rec(1, Entry::Abort)],
        ]);
        assert_eq!(validity_in(&aborted), Ok(()));
    }

    #[test]
    fn a_saga_step_after_a_failure_or_a_compensation_out_of_order_breaks_the_saga_order() {
        let done = |t| vec![rec(t, Entry::Commit)];
        // S1: T1 and T2 ran, T3 failed, then C2 and C1 ran in reverse: healthy.
        let compensated = logs(vec![
            vec![],
            vec![rec(1, Entry::Commit), rec(1, Entry::Compensated { step: 1 })],
            vec![rec(1, Entry::Commit), rec(1, Entry::Compensated { step: 2 })],
            vec![rec(1, Entry::Abort)],
        ]);
        assert_eq!(saga_order_in(&compensated), Ok(()));

        // T2 failed at n2, yet T3 ran at n3.
        let ran_on = logs(vec![vec![], done(1), vec![rec(1, Entry::Abort)], done(1)]);
        let e = saga_order_in(&ran_on).unwrap_err();
        assert_eq!(e.nodes, vec![2, 3]);
        assert_eq!(e.explanation, "S1: T3 ran at n3 after T2 failed at n2.");

        // C1 ran while T2 still stands: compensations out of order.
        let early = logs(vec![
            vec![],
            vec![rec(1, Entry::Commit), rec(1, Entry::Compensated { step: 1 })],
            done(1),
            vec![rec(1, Entry::Abort)],
        ]);
        let e = saga_order_in(&early).unwrap_err();
        assert_eq!(e.nodes, vec![1, 2]);
        assert!(e.explanation.contains("C1 ran at n1 while T2 at n2 still stands"), "{}", e.explanation);
    }
}
