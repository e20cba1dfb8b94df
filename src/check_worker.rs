//! The exhaustive checker's Web Worker: a binary of its own (Trunk `data-type="worker"`), so that
//! the page's bundle carries only the panel (`components/checker.rs`) and the checker is fetched
//! when someone runs a check, built for speed (profile `worker`, opt-level 3) where the page is
//! built for size.
//!
//! The protocol with the page, as plain objects: the worker says `{kind: "ready"}` once it
//! listens; the page posts its task (the JSON of `caucus_protocols::check::Task`: an exhaustive
//! check or a swarm search); the worker runs it in slices and posts `{kind: "progress", progress,
//! ms}` at most every 100 ms (progress as JSON: `Progress` or `SwarmProgress`), then `{kind:
//! "done", report, ms}` (`Report` or `SwarmOutcome` as JSON) or `{kind: "error", message}`.
//! The page cancels by terminating the worker, so the loop never needs to read a message.

use caucus_protocols::check::{Job, Swarming, Task};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

/// Talc, as the page uses (see `main.rs`): faster than dlmalloc at many small allocations.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// States expanded between two looks at the clock.
const SLICE: u64 = 1024;
/// How often progress is posted, in milliseconds.
const EVERY_MS: f64 = 100.0;

fn main() {
    let Ok(scope) = js_sys::global().dyn_into::<DedicatedWorkerGlobalScope>() else {
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let scope = scope.clone();
        move |e: MessageEvent| run(&scope, &e.data().as_string().unwrap_or_default())
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker.
    on_message.forget();
    post(&scope, "ready", &[]);
}

/// Posts `{kind, ...fields}`.
fn post(scope: &DedicatedWorkerGlobalScope, kind: &str, fields: &[(&str, JsValue)]) {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"kind".into(), &kind.into());
    for (k, v) in fields {
        let _ = js_sys::Reflect::set(&message, &(*k).into(), v);
    }
    let _ = scope.post_message(&message);
}

/// Something run in slices: each returns whether it is over, or why it cannot go on.
trait Sliced {
    fn slice(&mut self) -> Result<bool, String>;
    fn progress(&self) -> String;
    fn report(&self) -> String;
    /// Posted beside the report: a swarm's finding as the JSON of the scenario that replays it
    /// (`scenario`, parsed as the page parses any scenario); a check's shortest path as a link's
    /// query on the timed simulator (`link`), or why it could not be replayed (`link_error`).
    fn attachment(&self) -> Option<(&'static str, String)>;
}

impl Sliced for Job {
    fn slice(&mut self) -> Result<bool, String> {
        Ok(self.run(SLICE))
    }
    fn progress(&self) -> String {
        serde_json::to_string(&Job::progress(self)).unwrap_or_default()
    }
    fn report(&self) -> String {
        serde_json::to_string(&Job::report(self)).unwrap_or_default()
    }
    fn attachment(&self) -> Option<(&'static str, String)> {
        Some(match self.timeline()? {
            Ok(query) => ("link", query),
            Err(why) => ("link_error", why),
        })
    }
}

impl Sliced for Swarming {
    fn slice(&mut self) -> Result<bool, String> {
        self.run(1).map_err(|e| e.to_string())
    }
    fn progress(&self) -> String {
        serde_json::to_string(&Swarming::progress(self)).unwrap_or_default()
    }
    fn report(&self) -> String {
        serde_json::to_string(&self.outcome()).unwrap_or_default()
    }
    fn attachment(&self) -> Option<(&'static str, String)> {
        self.outcome().found.and_then(|f| serde_json::to_string(&f.scenario).ok()).map(|s| ("scenario", s))
    }
}

fn start(task: &str) -> Result<Box<dyn Sliced>, String> {
    let task: Task = serde_json::from_str(task).map_err(|e| format!("the request does not parse: {e}"))?;
    Ok(match task {
        Task::Check(request) => {
            let (scenario, bounds) = request.resolve().map_err(|e| e.to_string())?;
            Box::new(Job::start(&scenario, bounds).map_err(|e| e.to_string())?)
        }
        Task::Swarm(request) => Box::new(Swarming::start(&request).map_err(|e| e.to_string())?),
    })
}

fn run(scope: &DedicatedWorkerGlobalScope, task: &str) {
    let clock = scope.performance();
    let now = || clock.as_ref().map_or(0.0, |p| p.now());
    let started = now();
    let mut job = match start(task) {
        Ok(job) => job,
        Err(message) => return post(scope, "error", &[("message", message.into())]),
    };
    let mut last = f64::NEG_INFINITY;
    loop {
        let done = match job.slice() {
            Ok(done) => done,
            Err(message) => return post(scope, "error", &[("message", message.into())]),
        };
        let t = now();
        if done || t - last >= EVERY_MS {
            post(scope, "progress", &[("progress", job.progress().into()), ("ms", (t - started).into())]);
            last = t;
        }
        if done {
            break;
        }
    }
    let mut fields = vec![("report", job.report().into()), ("ms", (now() - started).into())];
    if let Some((key, value)) = job.attachment() {
        fields.push((key, value.into()));
    }
    post(scope, "done", &fields);
}
