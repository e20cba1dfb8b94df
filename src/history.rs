//! The run's history as a tree: every line of choices the student has tried on this scenario and
//! seed, so that trying another interleaving never loses the one before it.
//!
//! The simulator keeps one line: an input by hand earlier in the run cuts the future after it and
//! computes another (`Run::branch`). Here each such line is kept as a [`Branch`]: the inputs by
//! hand that make it (with the scenario, all it takes to rebuild it, as a link does), the step
//! where it left its parent, and what was chosen there. Switching rebuilds the run from the
//! branch's inputs and returns to the step it was left at.
//!
//! When a choice starts a branch: any input by hand in the past of the scenario's own run (or a
//! loaded one) starts one; on a branch the student made, a choice after that branch's last
//! choice carries it on (the student is driving forward on their own line), and one at or before it
//! starts another.

use caucus_protocols::share::Shared;
use caucus_sim::{DynRun, Input};

/// Branches kept. Each is a list of inputs (a few hundred bytes), so this is a reading limit,
/// not a memory one: past it the panel says that new lines are not kept.
pub const MAX_BRANCHES: usize = 40;

#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
    pub inputs: Vec<(u64, Input)>,
    /// The step it was last shown at: switching back returns there.
    pub step: u64,
    /// The branch it left, and the step where it left it (`None` for the run as it began).
    pub parent: Option<usize>,
    pub fork: u64,
    /// What was chosen where it left its parent ("deliver Vote n2 → n1 now").
    pub label: String,
    /// Choices by hand made on it after the first.
    pub more: usize,
    /// How it went, as last seen: its length and its first violation.
    pub summary: String,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    /// Empty until the first branch; then `branches[0]` is the run as it began.
    pub branches: Vec<Branch>,
    pub current: usize,
    /// A branch was not kept because the tree was full.
    pub full: bool,
}

/// What a choice needs to know of the run before it is applied.
pub struct Before {
    inputs: Vec<(u64, Input)>,
    cursor: u64,
    past: bool,
    summary: String,
    label: String,
}

/// The run's length and first violation, in words.
pub fn summary(run: &dyn DynRun) -> String {
    let steps = run.head();
    match run.violations().first() {
        Some(v) => format!("{steps} steps; {} violated at step {}", v.property, v.step),
        None => format!("{steps} steps"),
    }
}

/// The choice in words, naming a message by what it carries ("deliver Vote n2 → n1 now").
fn label(run: &dyn DynRun, input: &Input) -> String {
    let t = run.topology();
    let name = |n: u16| t.nodes.get(n as usize).map_or("?", |x| x.name.as_str());
    let msg = |id: u64| {
        run.in_flight()
            .into_iter()
            .find(|m| m.id == id)
            .map_or(format!("message #{id}"), |m| format!("{} {} → {}", m.label, name(m.source), name(m.target)))
    };
    match input {
        Input::DeliverNext { msg: id } => format!("deliver {} now", msg(*id)),
        Input::Drop { msg: id } => format!("lose {}", msg(*id)),
        Input::Duplicate { msg: id } => format!("duplicate {}", msg(*id)),
        Input::FireNext { node, timer } => {
            format!("fire {}'s {} now", name(*node), crate::components::timer_words(timer))
        }
        other => caucus_sim::run::describe_input(other, t),
    }
}

impl History {
    /// Notes the run as it is before `input` is applied.
    pub fn before(run: &dyn DynRun, input: &Input) -> Before {
        let past = run.cursor() < run.head();
        Before {
            inputs: run.inputs().to_vec(),
            cursor: run.cursor(),
            past,
            // Only a choice in the past can start a branch and need these (naming a message
            // lists every one in flight).
            summary: if past { summary(run) } else { String::new() },
            label: if past { label(run, input) } else { String::new() },
        }
    }

    /// Records a choice just applied (`run` is after it); a choice that changed no input (a
    /// step, or the input the run already had there) changes nothing.
    pub fn chose(&mut self, b: Before, run: &dyn DynRun) {
        let now = run.inputs();
        if now == b.inputs.as_slice() {
            return;
        }
        if self.branches.is_empty() {
            let label = if b.inputs.is_empty() { "The scenario's own run" } else { "The run as loaded" };
            let root = Branch {
                inputs: b.inputs.clone(),
                step: b.cursor,
                parent: None,
                fork: 0,
                label: label.into(),
                more: 0,
                summary: b.summary.clone(),
            };
            self.branches.push(root);
        }
        let current = self.current;
        let own_last = self.branches[current].inputs.last().map(|(step, _)| *step);
        let made_by_hand = self.branches[current].parent.is_some();
        let carries_on = !b.past || (made_by_hand && own_last.is_some_and(|s| b.cursor > s));
        if carries_on || self.branches.len() >= MAX_BRANCHES {
            // Past the limit the run has branched all the same; the new line just is not kept
            // to come back to (the panel says so).
            self.full |= !carries_on;
            let cur = &mut self.branches[current];
            cur.inputs = now.to_vec();
            cur.more += usize::from(made_by_hand && carries_on);
            return;
        }
        let cur = &mut self.branches[current];
        cur.step = b.cursor;
        cur.summary = b.summary;
        self.branches.push(Branch {
            inputs: now.to_vec(),
            step: b.cursor,
            parent: Some(current),
            fork: b.cursor,
            label: b.label,
            more: 0,
            summary: String::new(),
        });
        self.current = self.branches.len() - 1;
    }

    /// Leaves the current branch for branch `to`: the run rebuilt from its inputs, at the step it
    /// was left at. The current branch keeps the inputs, step and summary it has now.
    pub fn switch(&mut self, to: usize, run: &dyn DynRun) -> Result<Box<dyn DynRun>, String> {
        let target = self.branches.get(to).ok_or_else(|| format!("there is no branch {to}"))?;
        let shared = Shared { scenario: run.scenario().clone(), inputs: target.inputs.clone(), step: target.step };
        let fresh = shared.restore()?;
        let cur = &mut self.branches[self.current];
        cur.inputs = run.inputs().to_vec();
        cur.step = run.cursor();
        cur.summary = summary(run);
        self.current = to;
        Ok(fresh)
    }

    /// The branches in tree order (each after its parent, children by when they were made),
    /// with their depth.
    pub fn tree(&self) -> Vec<(usize, usize)> {
        fn walk(h: &History, at: usize, depth: usize, out: &mut Vec<(usize, usize)>) {
            out.push((at, depth));
            for (i, b) in h.branches.iter().enumerate() {
                if b.parent == Some(at) {
                    walk(h, i, depth + 1, out);
                }
            }
        }
        let mut out = Vec::with_capacity(self.branches.len());
        if !self.branches.is_empty() {
            walk(self, 0, 0, &mut out);
        }
        out
    }
}
