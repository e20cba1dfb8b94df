//! Caucus in the browser: a Yew app over the `caucus-sim` core.

mod app;
mod browser;
mod components;
mod state;

fn main() {
    browser::install_panic_hook();
    // A link to a run of a protocol this bundle does not carry opens the page that does.
    let query = browser::query();
    let named = query.trim_start_matches('?').split('&').find_map(|kv| kv.strip_prefix("s="));
    let protocol = match named.and_then(caucus_protocols::pack_of_scenario) {
        Some(pack) => caucus_protocols::PROTOCOLS.iter().find(|p| p.pack == pack).map(|p| p.name.to_string()),
        None => caucus_protocols::share::Shared::from_query(&query).ok().flatten().map(|s| s.scenario.protocol.name),
    };
    if protocol.is_some_and(|p| browser::open_in_pack(&p, &query)) {
        return;
    }
    yew::Renderer::<app::App>::new().render();
}
