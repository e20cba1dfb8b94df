//! Playing a lesson as a student would, on any seed: every chapter's moment must come, in order;
//! every question's answer must be revealed; every task, done as its solution says, must count
//! as done; every contrast must play on the same seed; every challenge's solution must meet its
//! goal. `caucus lesson check` runs this over many seeds and names the chapter that does not
//! happen as written.

use crate::{Act, Cond, Lesson, LessonError};
use caucus_sim::{DynRun, Input, NodeId, Scenario, SEC};

/// Simulated time an act aimed at a role waits for someone to have it.
pub const ROLE_WAIT_US: u64 = 10 * SEC;

/// What did not happen as written, on which seed.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckFailure {
    pub lesson: String,
    pub seed: u64,
    /// `chapter 3 “The pause”` or `challenge “stale-write”`.
    pub part: String,
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} on seed {}: {}: {}", self.lesson, self.seed, self.part, self.message)
    }
}

/// Builds the scenario's run and plays it to its end (`until_us`).
pub fn play(scenario: &Scenario) -> Result<Box<dyn DynRun>, String> {
    let mut run = caucus_protocols::build(scenario).map_err(|e| e.to_string())?;
    run.run_until(scenario.until_us).map_err(|e| e.to_string())?;
    Ok(run)
}

/// Applies acts from the run's cursor as the student would: waiting `after_s`, finding the node
/// a role or an earlier act names, applying the input by hand. Returns the nodes the acts went
/// to. The run's later history is forgotten (a new branch) and not replayed: call
/// [`DynRun::run_until`] to play on.
pub fn apply_acts(run: &mut dyn DynRun, acts: &[Act], field: &str) -> Result<Vec<Option<NodeId>>, LessonError> {
    let mut targets: Vec<Option<NodeId>> = Vec::new();
    for (k, act) in acts.iter().enumerate() {
        let at = format!("{field}[{k}]");
        if act.after_s > 0.0 {
            let until = run.now() + (act.after_s * SEC as f64) as u64;
            advance_to(run, until).map_err(|e| LessonError::new(&at, e))?;
        }
        let target = if let Some(role) = &act.role {
            let deadline = run.now() + ROLE_WAIT_US;
            loop {
                if let Some(&n) = run.with_role(role).first() {
                    break Some(n);
                }
                if run.now() >= deadline || !step(run).map_err(|e| LessonError::new(&at, e))? {
                    return Err(LessonError::new(format!("{at}.role"), format!("nobody is {role} within 10 s")));
                }
            }
        } else if let Some(j) = act.same_as {
            match targets.get(j).copied().flatten() {
                Some(n) => Some(n),
                None => return Err(LessonError::new(format!("{at}.same_as"), format!("act {j} went to no node"))),
            }
        } else {
            act.node
        };
        let input = act.input_at(target, run.topology(), &at)?;
        let node = target.or(input.node());
        // Past the cursor the run's recorded future is a branch the student leaves.
        run.apply(input).map_err(|e| LessonError::new(&at, format!("cannot be applied: {e}")))?;
        targets.push(node);
    }
    Ok(targets)
}

/// One step forward (following the recorded history or recording a new one); false at the end.
fn step(run: &mut dyn DynRun) -> Result<bool, String> {
    run.apply(Input::Step).map_err(|e| e.to_string())
}

/// Steps until simulated time `until` (or the run has nothing more to do).
fn advance_to(run: &mut dyn DynRun, until: u64) -> Result<(), String> {
    while run.next_event_time().is_some_and(|t| t <= until) {
        if !step(run)? {
            break;
        }
    }
    Ok(())
}

/// Plays the lesson on `seed` and returns what did not happen as written.
pub fn check_seed(lesson: &Lesson, seed: u64) -> Result<(), CheckFailure> {
    let fail = |part: String, message: String| CheckFailure { lesson: lesson.id.clone(), seed, part, message };
    let mut scenario = lesson.scenario().map_err(|e| fail("scenario".into(), e.to_string()))?;
    scenario.seed = seed;
    let until = scenario.until_us;
    let mut run = play(&scenario).map_err(|e| fail("scenario".into(), e))?;
    let mut from = 0;
    for (i, ch) in lesson.chapters.iter().enumerate() {
        let part = format!("chapter {} “{}”", i + 1, ch.title);
        let Some(found) = ch.at.find(run.as_mut(), from) else {
            return Err(fail(part, format!("it starts at {}, which does not happen", ch.at.describe())));
        };
        if let Some(q) = &ch.question {
            let reveal = q.reveal.clone().or_else(|| lesson.chapters.get(i + 1).map(|c| c.at.clone()));
            let reveal = reveal.unwrap_or(Cond { end: true, ..Default::default() });
            if reveal.find(run.as_mut(), found.step).is_none() {
                return Err(fail(
                    part,
                    format!("its question is revealed at {}, which does not happen", reveal.describe()),
                ));
            }
        }
        if let Some(task) = &ch.task {
            run.seek(found.step);
            apply_acts(run.as_mut(), &task.solution, &format!("chapters[{i}].task.solution"))
                .map_err(|e| fail(part.clone(), format!("its task's solution: {e}")))?;
            run.run_until(until).map_err(|e| fail(part.clone(), e.to_string()))?;
            if task.done.find(run.as_mut(), found.step).is_none() {
                return Err(fail(part, format!("its task's solution does not make {} happen", task.done.describe())));
            }
        }
        if let Some(c) = &ch.contrast {
            // The run shown beside this one, on the same seed, must play to its end too.
            let field = format!("chapters[{i}].contrast.scenario");
            let mut other =
                crate::resolve_scenario(&c.scenario, &field).map_err(|e| fail(part.clone(), e.to_string()))?;
            other.seed = seed;
            play(&other)
                .map_err(|e| fail(part.clone(), format!("its contrast `{}` does not play: {e}", other.name)))?;
        }
        from = found.step;
    }
    for (i, c) in lesson.challenges.iter().enumerate() {
        let part = format!("challenge “{}”", c.id);
        let mut scenario = lesson.challenge_scenario(i).map_err(|e| fail(part.clone(), e.to_string()))?;
        scenario.seed = seed;
        let mut run = caucus_protocols::build(&scenario).map_err(|e| fail(part.clone(), e.to_string()))?;
        apply_acts(run.as_mut(), &c.solution, &format!("challenges[{i}].solution"))
            .map_err(|e| fail(part.clone(), format!("its solution: {e}")))?;
        run.run_until(scenario.until_us).map_err(|e| fail(part.clone(), e.to_string()))?;
        if met(run.as_mut(), &c.goal).is_none() {
            return Err(fail(part, format!("its solution does not make {} happen", c.goal.describe())));
        }
    }
    Ok(())
}

/// Where a challenge's goal is met: where it holds after at least one input by hand (so that
/// the story's own script does not meet it for the student).
pub fn met(run: &mut dyn DynRun, goal: &Cond) -> Option<crate::Found> {
    let first = run.inputs().first()?.0;
    goal.find(run, first + 1)
}

/// Checks a lesson on seeds `seeds`, stopping at the first failure.
pub fn check(lesson: &Lesson, seeds: std::ops::Range<u64>) -> Result<(), CheckFailure> {
    seeds.into_iter().try_for_each(|seed| check_seed(lesson, seed))
}
