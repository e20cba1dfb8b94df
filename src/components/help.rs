//! The help overlay: keys, and what the views show.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

const KEYS: &[(&str, &str)] = &[
    ("Space", "play or pause"),
    ("→", "step: apply the next event"),
    ("←", "step back"),
    ("+ / -", "faster / slower"),
    ("Home / End", "first step / last recorded step"),
    ("] or n", "next moment: the next input, failure or change of role"),
    ("[ or p", "previous moment"),
    (". or Shift+→", "in a lesson: next chapter"),
    (", or Shift+←", "in a lesson: previous chapter"),
    ("f", "open or close the faults drawer (inspector, partitions, links)"),
    ("?", "this help"),
    ("Esc", "close a dialog"),
    ("Tab, Enter", "reach and use every control, node and message"),
];

#[function_component(HelpDialog)]
pub fn help_dialog(p: &HelpProps) -> Html {
    let focus = crate::components::use_focus_on_open();
    let close = p.on_close.reform(|_| ());
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                <table class="keys">
                    { for KEYS.iter().map(|(k, what)| html! { <tr><th scope="row"><kbd>{ *k }</kbd></th><td>{ *what }</td></tr> }) }
                </table>
                <h3>{"How it works"}</h3>
                <p>{"Every run is a deterministic simulation: one seed plus the inputs you apply (crashes, pauses, partitions, dropped messages) reproduce it exactly, so a link or an exported file shows the same run to anyone. Time is simulated; the speed slider sets how much of it passes per real second."}</p>
                <p>{"The map shows datacenters, nodes and messages in flight. Click a node or a message (or press Faults) to open the drawer where you inspect it and apply faults. The properties panel says whether each safety and liveness property holds at the current step; a violation links to the step where it first failed."}</p>
                <button class="primary" ref={focus} onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
