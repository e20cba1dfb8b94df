//! Caucus in the browser: a Yew app over the `caucus-sim` core.

mod app;
mod browser;
mod components;
mod state;

fn main() {
    browser::install_panic_hook();
    yew::Renderer::<app::App>::new().render();
}
