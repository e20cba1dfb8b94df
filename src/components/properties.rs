//! Each property, whether it holds at the current step, and where it first failed.

use crate::components::fmt_time;
use crate::state::{Action, Snapshot};
use caucus_sim::PropertyKind;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct PropertiesProps {
    pub snapshot: Rc<Snapshot>,
    pub dispatch: Callback<Action>,
}

#[function_component(PropertiesPanel)]
pub fn properties_panel(p: &PropertiesProps) -> Html {
    let s = &p.snapshot;
    let rows = s.properties.iter().map(|prop| {
        // A safety property that failed at or before this step stays failed: "always" cannot
        // hold again. Liveness that does not hold yet is pending, not violated.
        let failed_before = prop.first_violation.as_ref().filter(|v| v.step <= s.cursor);
        let (class, mark, verdict) = match (&prop.now, prop.kind, failed_before) {
            (Err(_), PropertyKind::Safety, _) => ("fails", "✗", "violated".to_string()),
            (Ok(()), PropertyKind::Safety, Some(v)) => ("fails", "✗", format!("violated at step {}", v.step)),
            (Ok(()), PropertyKind::Safety, None) => ("holds", "✓", "holds".to_string()),
            (Ok(()), PropertyKind::Liveness, _) => ("holds", "✓", "holds now".to_string()),
            (Err(_), PropertyKind::Liveness, _) => ("pending", "…", "not yet".to_string()),
        };
        let kind = match prop.kind {
            PropertyKind::Safety => "safety",
            PropertyKind::Liveness => "liveness",
        };
        // The run is computed ahead: a failure later in the recorded history is a mark on the
        // timeline, not news here (a lesson asks before it shows).
        let first = failed_before.map(|v| {
            let step = v.step;
            let here = step == s.cursor;
            html! {
                <div class="violation">
                    <p>{ format!("First failed at step {} ({}): {}", v.step, fmt_time(v.time), v.failure.explanation) }</p>
                    if !here {
                        <button onclick={p.dispatch.reform(move |_| Action::Seek(step))}>{ format!("Jump to step {step}") }</button>
                    }
                </div>
            }
        });
        let now = prop.now.as_ref().err().filter(|_| failed_before.is_none() || prop.kind == PropertyKind::Liveness);
        html! {
            <li class={classes!("property", class)}>
                <div class="verdict">
                    <span class="mark" aria-hidden="true">{ mark }</span>
                    <strong>{ &prop.name }</strong>
                    <span class="kind">{ kind }</span>
                    <span class="state">{ verdict }</span>
                </div>
                <p class="description">{ &prop.description }</p>
                if let Some(f) = now { <p class="why">{ &f.explanation }</p> }
                { for first }
            </li>
        }
    });
    html! {
        <section class="panel properties" aria-label="Properties">
            <h2>{ format!("Properties · {}", s.protocol) }</h2>
            <ul>{ for rows }</ul>
        </section>
    }
}
