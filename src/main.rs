//! Caucus in the browser: a Yew app over the `caucus-sim` core.

mod app;
mod browser;
mod components;
mod state;

fn main() {
    browser::install_panic_hook();
    // A link to a run of a protocol this bundle does not carry opens the page that does.
    let query = browser::query();
    if let Ok(Some(shared)) = caucus_protocols::share::Shared::from_query(&query) {
        if browser::open_in_pack(&shared.scenario.protocol.name, &query) {
            return;
        }
    }
    yew::Renderer::<app::App>::new().render();
}
