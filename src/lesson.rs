//! The lesson player's state: which lesson, which chapter, where each chapter starts on the run
//! as it stands (recomputed whenever the recorded history changes), the student's answers, the
//! challenge being tried and the ones met. The lessons themselves are data written by `build.rs`:
//! every lesson's index entry is in the bundle; a lesson itself (`lessons/<id>.json` beside the
//! bundle) is fetched when a `?lesson=` page opens, before the app first renders.

use caucus_lessons::check::{apply_acts, met};
use caucus_lessons::{Cond, Entry, Family, Found, Lesson};
use caucus_sim::{DynRun, NodeId};
use std::rc::Rc;

const INDEX_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/lesson_index.json"));

thread_local! {
    /// The lesson this page opened with, once fetched (or why it could not be).
    static LOADED: std::cell::RefCell<Option<(String, Result<Lesson, String>)>> = const { std::cell::RefCell::new(None) };
}

/// Fetches lesson `id` of this pack (checked when built: a file that does not parse fails the
/// build) and keeps it for [`loaded`].
pub async fn load(id: &str) {
    let got = match crate::browser::fetch_text(&format!("lessons/{id}.json")).await {
        Ok(text) => serde_json::from_str::<Lesson>(&text).map_err(|e| format!("lessons/{id}.json does not parse: {e}")),
        Err(e) => Err(e),
    };
    LOADED.with(|l| *l.borrow_mut() = Some((id.to_string(), got)));
}

/// Lesson `id` as [`load`] left it: `None` when it was not loaded (no such lesson here).
pub fn loaded(id: &str) -> Option<Result<Lesson, String>> {
    LOADED.with(|l| l.borrow().as_ref().filter(|(i, _)| i == id).map(|(_, r)| r.clone()))
}

/// Every lesson of every family, for the index and for links to another family's lesson.
pub fn index() -> Vec<Entry> {
    serde_json::from_str(INDEX_JSON).unwrap_or_default()
}

/// The lesson a query names (`lesson=`), if any.
pub fn named(query: &str) -> Option<String> {
    caucus_protocols::share::Params::lenient(query).get("lesson").filter(|v| !v.is_empty()).map(str::to_string)
}

/// The chapter a query names (`chapter=`, from 1), if any.
pub fn chapter_param(query: &str) -> Option<usize> {
    caucus_protocols::share::Params::lenient(query).get("chapter").and_then(|v| v.parse().ok())
}

/// The family page that has a lesson: for a link to a lesson of another family.
pub fn family_of(id: &str) -> Option<Family> {
    index().into_iter().find(|e| e.id == id).map(|e| e.family)
}

/// The lesson a page plays: shared, never changed once loaded, so two are equal when they are
/// the same one (a pointer compare, not the whole lesson on every frame).
#[derive(Clone)]
pub struct Shared(Rc<Lesson>);

impl PartialEq for Shared {
    fn eq(&self, other: &Shared) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::ops::Deref for Shared {
    type Target = Lesson;
    fn deref(&self) -> &Lesson {
        &self.0
    }
}

#[derive(Clone, PartialEq)]
pub struct Play {
    pub lesson: Shared,
    /// The chapter shown (from 0).
    pub chapter: usize,
    /// Where each chapter starts on the run as it stands; `None`: not (yet) in the recorded run.
    pub starts: Vec<Option<Found>>,
    /// The simulated time at each chapter's start (found with `starts`, not per frame).
    pub times: Vec<Option<caucus_sim::Micros>>,
    /// Where each chapter's question is revealed.
    pub reveals: Vec<Option<u64>>,
    /// Where each chapter's task was done.
    pub done: Vec<Option<u64>>,
    /// The student's choice for each chapter's question.
    pub answers: Vec<Option<usize>>,
    /// The challenge being tried, and where each one was met (this run or, from the browser's
    /// storage, an earlier visit: `Some(None)`).
    pub challenge: Option<usize>,
    pub met: Vec<Option<Option<u64>>>,
    /// The contrast run of the chapter shown, with the chapter it belongs to.
    pub contrast: Option<(usize, crate::state::RunRef)>,
    /// A chapter was asked for before the run computed ahead reached its start: go there when
    /// it is found.
    pub pending: bool,
}

impl Play {
    pub fn new(lesson: Lesson, chapter: usize) -> Play {
        let n = lesson.chapters.len();
        let stored = crate::browser::met_challenges();
        let met = lesson
            .challenges
            .iter()
            .map(|c| stored.contains(&format!("{}/{}", lesson.id, c.id)).then_some(None))
            .collect();
        Play {
            chapter: chapter.min(n.saturating_sub(1)),
            starts: vec![None; n],
            times: vec![None; n],
            reveals: vec![None; n],
            done: vec![None; n],
            answers: vec![None; n],
            challenge: None,
            met,
            contrast: None,
            pending: false,
            lesson: Shared(Rc::new(lesson)),
        }
    }

    /// Finds every chapter's start, question's reveal and task's completion on the run as it is
    /// recorded now, and whether the challenge being tried is met. Returns the challenge met by
    /// this call, if any.
    pub fn locate(&mut self, run: &mut dyn DynRun) -> Option<usize> {
        let chapters = &self.lesson.chapters;
        let mut from = 0;
        for (i, ch) in chapters.iter().enumerate() {
            let found = ch.at.find(run, from);
            if let Some(f) = &found {
                from = f.step;
            }
            self.starts[i] = found;
            // Later chapters only come after this one: without it they are not found either.
            if self.starts[i].is_none() {
                for j in i..chapters.len() {
                    self.starts[j] = None;
                }
                break;
            }
        }
        self.times = self.starts.iter().map(|f| f.as_ref().map(|f| time_at(run, f.step))).collect();
        for (i, ch) in chapters.iter().enumerate() {
            let Some(start) = self.starts[i].as_ref().map(|f| f.step) else {
                self.reveals[i] = None;
                self.done[i] = None;
                continue;
            };
            self.reveals[i] = ch.question.as_ref().and_then(|q| {
                let next = chapters.get(i + 1).map(|c| c.at.clone());
                let reveal = q.reveal.clone().or(next).unwrap_or(Cond { end: true, ..Default::default() });
                reveal.find(run, start).map(|f| f.step)
            });
            self.done[i] = ch.task.as_ref().and_then(|t| t.done.find(run, start)).map(|f| f.step);
        }
        let c = self.challenge?;
        if matches!(self.met[c], Some(Some(_))) {
            return None;
        }
        let found = met(run, &self.lesson.challenges[c].goal)?;
        let first_time = self.met[c].is_none();
        self.met[c] = Some(Some(found.step));
        crate::browser::remember_challenge(&format!("{}/{}", self.lesson.id, self.lesson.challenges[c].id));
        first_time.then_some(c)
    }

    /// The chapter shown after the cursor moved by stepping or playing: the next chapter once
    /// the run reaches its start (when it starts later than this one), the previous one when the
    /// run went back before this one's start.
    pub fn follow(&mut self, cursor: u64) -> bool {
        let start = |i: usize| self.starts.get(i).and_then(|f| f.as_ref()).map(|f| f.step);
        let before = self.chapter;
        while let (Some(here), Some(next)) = (start(self.chapter), start(self.chapter + 1)) {
            if next > here && cursor >= next {
                self.chapter += 1;
            } else {
                break;
            }
        }
        while self.chapter > 0 && start(self.chapter).is_some_and(|s| cursor < s) {
            self.chapter -= 1;
        }
        self.chapter != before
    }

    /// Nodes to highlight now: the chapter's `nN`, `role:NAME` (whoever has it in the state
    /// shown) and `moment` (the nodes of its start).
    pub fn look(&self, run: &dyn DynRun) -> Vec<NodeId> {
        let ch = &self.lesson.chapters[self.chapter];
        let mut nodes = Vec::new();
        for h in &ch.highlight {
            if h == "moment" {
                if let Some(f) = &self.starts[self.chapter] {
                    nodes.extend(f.nodes.iter().copied());
                }
            } else if let Some(role) = h.strip_prefix("role:") {
                nodes.extend(run.with_role(role));
            } else if let Some(n) = h.strip_prefix('n').and_then(|n| n.parse::<NodeId>().ok()) {
                nodes.push(n);
            }
        }
        nodes.sort_unstable();
        nodes.dedup();
        nodes.retain(|&n| (n as usize) < run.topology().nodes.len());
        nodes
    }

    /// The rows of the figure the chapter highlights (`row:NAME`).
    pub fn rows(&self) -> Vec<String> {
        self.lesson.chapters[self.chapter]
            .highlight
            .iter()
            .filter_map(|h| h.strip_prefix("row:").map(String::from))
            .collect()
    }

    /// Applies the chapter's task's solution from the cursor ("Show me").
    pub fn show_me(&self, run: &mut dyn DynRun) -> Result<(), String> {
        let Some(task) = &self.lesson.chapters[self.chapter].task else {
            return Err("This chapter has no task.".into());
        };
        if let Some(start) = self.starts[self.chapter].as_ref().map(|f| f.step) {
            if run.cursor() < start {
                run.seek(start);
            }
        }
        apply_acts(run, &task.solution, "solution").map(|_| ()).map_err(|e| e.message)
    }
}

/// The simulated time after `step` steps of the recorded run.
fn time_at(run: &dyn DynRun, step: u64) -> caucus_sim::Micros {
    match step {
        0 => 0,
        s if (s as usize) <= run.trace_len() => run.trace_step(s as usize - 1).time,
        _ => run.now(),
    }
}
