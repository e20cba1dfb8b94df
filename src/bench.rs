//! The simulator as the release bundle compiles it, for `scripts/bench.sh`: a binary of its own
//! (`bench/index.html`, built by Trunk with the election pack's features, profile and wasm-opt
//! flags) exporting the workloads of `caucus_protocols::bench`, timed with the page's clock.
//! The page carries none of it.

use caucus_protocols::bench::{Mode, Workload};
use wasm_bindgen::prelude::wasm_bindgen;

/// Talc, as the page uses (see `main.rs`).
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {}

/// Runs `events` steps of the Raft workload (`mode`: "untraced" or "traced") and returns
/// `[milliseconds, simulated time reached in µs]`; the workload is built before the clock starts.
#[wasm_bindgen]
pub fn bench(mode: &str, events: u32) -> Result<Vec<f64>, String> {
    let mode = Mode::parse(mode).ok_or_else(|| format!("mode: expected untraced or traced, not {mode:?}"))?;
    let perf = web_sys::window().and_then(|w| w.performance()).ok_or("no performance clock")?;
    let mut work = Workload::raft(mode);
    let started = perf.now();
    let reached = work.run(events);
    Ok(vec![perf.now() - started, reached as f64])
}
