//! The help overlay: keys, and what the views show.

use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct HelpProps {
    pub on_close: Callback<()>,
}

/// The keys and what the views show, as markup: static text costs the pages less than a virtual
/// node per element.
const BODY: &str = r#"<table class="keys"><tr><th scope="row"><kbd>Space</kbd></th><td>play or pause</td></tr><tr><th scope="row"><kbd>→</kbd></th><td>step: apply the next event</td></tr><tr><th scope="row"><kbd>←</kbd></th><td>step back</td></tr><tr><th scope="row"><kbd>+ / -</kbd></th><td>faster / slower</td></tr><tr><th scope="row"><kbd>Home / End</kbd></th><td>first step / last recorded step</td></tr><tr><th scope="row"><kbd>] or n</kbd></th><td>next moment: the next input, failure or change of role</td></tr><tr><th scope="row"><kbd>[ or p</kbd></th><td>previous moment</td></tr><tr><th scope="row"><kbd>. or Shift+→</kbd></th><td>in a lesson: next chapter</td></tr><tr><th scope="row"><kbd>, or Shift+←</kbd></th><td>in a lesson: previous chapter</td></tr><tr><th scope="row"><kbd>f</kbd></th><td>open or close the faults drawer (inspector, partitions, links)</td></tr><tr><th scope="row"><kbd>?</kbd></th><td>this help</td></tr><tr><th scope="row"><kbd>Esc</kbd></th><td>close a dialog</td></tr><tr><th scope="row"><kbd>Tab, Enter</kbd></th><td>reach and use every control, node and message</td></tr></table><h3>How it works</h3><p>Every run is a deterministic simulation: one seed plus the inputs you apply (crashes, pauses, partitions, dropped messages) reproduce it exactly, so a link or an exported file shows the same run to anyone. Time is simulated; the speed slider sets how much of it passes per real second.</p><p>The map shows datacenters, nodes and messages in flight. Click a node or a message (or press Faults) to open the drawer where you inspect it and apply faults. The properties panel says whether each safety and liveness property holds at the current step; a violation links to the step where it first failed.</p>"#;

#[function_component(HelpDialog)]
pub fn help_dialog(p: &HelpProps) -> Html {
    let focus = crate::components::use_focus_on_open();
    let close = p.on_close.reform(|_| ());
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title">
            <div class="dialog">
                <h2 id="help-title">{"Keyboard shortcuts"}</h2>
                { Html::from_html_unchecked(AttrValue::Static(BODY)) }
                <button class="primary" ref={focus} onclick={close}>{"Close"}</button>
            </div>
        </div>
    }
}
