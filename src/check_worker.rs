//! The exhaustive checker's Web Worker: a binary of its own (Trunk `data-type="worker"`), so that
//! the page's bundle carries only the panel (`components/checker.rs`) and the checker is fetched
//! when someone runs a check, built for speed (profile `worker`, opt-level 3) where the page is
//! built for size.
//!
//! The protocol with the page, as plain objects: the worker says `{kind: "ready"}` once it
//! listens; the page posts the request (the JSON of `caucus_protocols::check::Request`); the worker
//! runs it in slices and posts `{kind: "progress", progress, ms}` at most every 100 ms (progress
//! as JSON), then `{kind: "done", report, ms}` (the report as JSON) or `{kind: "error", message}`.
//! The page cancels by terminating the worker, so the loop never needs to read a message.

use caucus_protocols::check::{Job, Request};
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

fn run(scope: &DedicatedWorkerGlobalScope, request: &str) {
    let clock = scope.performance();
    let now = || clock.as_ref().map_or(0.0, |p| p.now());
    let started = now();
    let job = serde_json::from_str::<Request>(request)
        .map_err(|e| format!("the check request does not parse: {e}"))
        .and_then(|r| r.resolve().map_err(|e| e.to_string()))
        .and_then(|(scenario, bounds)| Job::start(&scenario, bounds).map_err(|e| e.to_string()));
    let mut job = match job {
        Ok(job) => job,
        Err(message) => return post(scope, "error", &[("message", message.into())]),
    };
    let mut last = f64::NEG_INFINITY;
    loop {
        let done = job.run(SLICE);
        let t = now();
        if done || t - last >= EVERY_MS {
            let progress = serde_json::to_string(&job.progress()).unwrap_or_default();
            post(scope, "progress", &[("progress", progress.into()), ("ms", (t - started).into())]);
            last = t;
        }
        if done {
            break;
        }
    }
    let report = serde_json::to_string(&job.report()).unwrap_or_default();
    post(scope, "done", &[("report", report.into()), ("ms", (now() - started).into())]);
}
