//! Caucus in the browser: a Yew app over the `caucus-sim` core.

mod app;
mod browser;
mod components;
mod history;
mod lesson;
mod state;

/// Talc instead of the default dlmalloc: smaller in the bundle and faster at the simulator's many
/// small allocations (see ARCHITECTURE.md, "Where the bytes go"). The page is single-threaded.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

fn main() {
    browser::install_panic_hook();
    // A link to a run of a protocol this bundle does not carry opens the page that does.
    let query = browser::query();
    // The root page without a query is the index of the families (core pack only).
    #[cfg(feature = "core")]
    if components::index::wanted(&query) {
        components::index::render_lessons(&lesson::index());
        return;
    }
    // A lesson of another family opens on its family's page.
    // A lesson of this family is fetched first; the app renders when it is in (or failed).
    if let Some(id) = lesson::named(&query) {
        match lesson::family_of(&id) {
            Some(family) if family.pack() != state::PACK => {
                if browser::open_in_pack(family.pack(), &query) {
                    return;
                }
            }
            Some(_) => {
                wasm_bindgen_futures::spawn_local(async move {
                    lesson::load(&id).await;
                    yew::Renderer::<app::App>::new().render();
                });
                return;
            }
            None => {}
        }
    }
    let params = caucus_protocols::share::Params::lenient(&query);
    let pack = match params.get("s") {
        Some(name) => caucus_protocols::pack_of_scenario(name),
        None => caucus_protocols::share::Shared::from_query(&query)
            .ok()
            .flatten()
            .and_then(|s| caucus_protocols::pack_of(&s.scenario.protocol.name)),
    };
    if pack.is_some_and(|p| browser::open_in_pack(p, &query)) {
        return;
    }
    yew::Renderer::<app::App>::new().render();
}

/// Panics on purpose: the end-to-end test of the panic path calls it
/// (`window.wasmBindings.provoke_panic()`) to see that the page says so instead of freezing.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn provoke_panic() {
    panic!("provoked on purpose (a test of the panic message)");
}
