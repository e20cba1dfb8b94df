//! Share a run: copy its link, export or import it as a file; or get an <iframe> to embed it.

use crate::browser;
use crate::state::{Action, Banner, Dialog, RunRef};
use caucus_protocols::share::{link_query, Shared, MAX_LINK_CHARS};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct ShareProps {
    pub kind: Dialog,
    pub run: RunRef,
    pub version: u64,
    pub dispatch: Callback<Action>,
}

#[function_component(ShareDialog)]
pub fn share_dialog(p: &ShareProps) -> Html {
    let copied = use_state(|| None::<bool>);
    let focus = crate::components::use_focus_on_open();
    let shared = Shared::of(p.run.0.borrow().as_ref());
    // No link for a run longer than servers accept: its run file carries it instead.
    let link = link_query(p.run.0.borrow().as_ref(), MAX_LINK_CHARS - 40)
        .map(|query| format!("{}?{query}", browser::base_url()));
    let too_long = link.is_none().then(|| {
        html! { <p class="status" role="status">{ "This run is too long for a link: servers refuse links over 8,000 characters. Export it as a run file instead; importing that file opens the same state." }</p> }
    });
    let link = link.unwrap_or_default();
    let close = p.dispatch.reform(|_| Action::SetDialog(None));
    let copy = |text: String| {
        let copied = copied.clone();
        Callback::from(move |_| {
            let copied = copied.clone();
            let text = text.clone();
            copied.set(Some(browser::copy_text(&text)));
        })
    };
    let status = match *copied {
        Some(true) => html! { <p class="status" role="status">{"Copied to the clipboard."}</p> },
        Some(false) => {
            html! { <p class="status" role="status">{"The clipboard is not available here: select the text and copy it."}</p> }
        }
        None => html! {},
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(t) = e.target_dyn_into::<web_sys::HtmlTextAreaElement>() {
            t.select();
        }
    });
    if p.kind == Dialog::Embed {
        let snippet = if link.is_empty() {
            String::new()
        } else {
            embed_snippet(&format!("{link}&embed=1"), &shared.scenario.name)
        };
        return html! {
            <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="embed-title">
                <div class="dialog">
                    <h2 id="embed-title">{"Embed this run"}</h2>
                    <p>{"Paste this into a course page. The embedded view keeps only the essential controls and opens at the current step."}</p>
                    <textarea aria-label="Embed code" readonly=true rows="4" onfocus={select_all} value={snippet.clone()} />
                    <div class="row">
                        <button class="primary" ref={focus.clone()} disabled={link.is_empty()} onclick={copy(snippet)}>{"Copy embed code"}</button>
                        <button onclick={close}>{"Close"}</button>
                    </div>
                    { too_long }
                    { status }
                </div>
            </div>
        };
    }
    let export_run = {
        let file = shared.to_file();
        let name = run_file_name(&shared.scenario.name, shared.scenario.seed);
        Callback::from(move |_| browser::download(&name, "application/json", &file))
    };
    let import = {
        let dispatch = p.dispatch.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            read_file(file, dispatch.clone());
            input.set_value("");
        })
    };
    html! {
        <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="share-title">
            <div class="dialog">
                <h2 id="share-title">{"Share this run"}</h2>
                <p>{ format!(
                    "The link holds the scenario, the seed, {} and the current step ({}). Opening it shows the same state.",
                    match shared.inputs.len() { 0 => "no inputs by hand".to_string(), 1 => "the input you applied".to_string(), n => format!("the {n} inputs you applied") },
                    shared.step
                ) }</p>
                <textarea aria-label="Link to this run" readonly=true rows="3" onfocus={select_all} value={link.clone()} />
                <div class="row">
                    <button class="primary" ref={focus} disabled={link.is_empty()} onclick={copy(link)}>{"Copy link"}</button>
                    <button onclick={export_run}>{"Export run (JSON)"}</button>
                    <label class="button">
                        {"Import run…"}
                        <input type="file" accept=".json,application/json" aria-label="Import a run, trace or scenario file" class="visually-hidden" onchange={import} />
                    </label>
                    <button onclick={close}>{"Close"}</button>
                </div>
                { too_long }
                { status }
            </div>
        </div>
    }
}

/// Escapes text for HTML, attribute values included (`&`, `<`, `>`, `"`, `'`): what goes into a
/// snippet that a teacher pastes into a page we do not control.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One line of HTML that embeds `src`: as wide as its container up to 900 px, 900 by 560 in
/// shape (never shorter than 420 px, so that a phone still shows the map and the controls).
/// `name` is the scenario's, which a link may set to anything: it is escaped like `src`.
pub fn embed_snippet(src: &str, name: &str) -> String {
    format!(
        "<iframe src=\"{}\" title=\"Caucus: {}\" loading=\"lazy\" style=\"display:block;width:100%;max-width:900px;aspect-ratio:900/560;min-height:420px;border:0\"></iframe>",
        escape_html(src),
        escape_html(name)
    )
}

/// `caucus-NAME-seed-N.json`, the name reduced to a safe file name (a scenario's name may hold
/// slashes, dots or control characters).
pub fn run_file_name(name: &str, seed: u64) -> String {
    format!("caucus-{}-seed-{seed}.json", browser::file_stem(name))
}

/// Reads a chosen file and loads the run it describes, or says why it cannot.
fn read_file(file: web_sys::File, dispatch: Callback<Action>) {
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let r = reader.clone();
    // Freed by wasm-bindgen once it has run.
    let onload = Closure::once_into_js(move || {
        let text = r.result().ok().and_then(|v| v.as_string()).unwrap_or_default();
        // A run of another family opens on that family's page.
        let elsewhere = Shared::from_file(&text)
            .ok()
            .and_then(|s| caucus_protocols::pack_of(&s.scenario.protocol.name))
            .filter(|p| !p.compiled_in());
        if let Some(pack) = elsewhere {
            if browser::import_in_pack(pack, &text) {
                return;
            }
        }
        match Shared::from_file(&text).and_then(|s| s.restore()) {
            Ok(run) => {
                dispatch.emit(Action::Load(run, Banner::info("Imported the run.")));
                dispatch.emit(Action::SetDialog(None));
            }
            Err(e) => {
                // Close the dialog first: the message must not sit behind it.
                dispatch.emit(Action::SetDialog(None));
                dispatch.emit(Action::SetBanner(Banner::error(format!(
                    "That file could not be imported: {e}. The current run is unchanged."
                ))));
            }
        }
    });
    reader.set_onload(Some(onload.unchecked_ref()));
    let _ = reader.read_as_text(&file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_snippet_escapes_what_it_carries() {
        let s = embed_snippet("https://h/x/?v=1&sc=abc&embed=1", "lab\" onload=\"alert(1)\" x='<b>&");
        assert_eq!(s.matches('"').count(), 8, "only our own quotes: {s}");
        assert!(!s.contains('\'') && !s.contains("<b>"), "{s}");
        assert!(s.contains("title=\"Caucus: lab&quot; onload=&quot;alert(1)&quot; x=&#39;&lt;b&gt;&amp;\""), "{s}");
        assert!(s.contains("src=\"https://h/x/?v=1&amp;sc=abc&amp;embed=1\""), "{s}");
        assert!(s.contains("width:100%") && s.contains("aspect-ratio") && !s.contains("width=\""), "responsive: {s}");
        assert_eq!(s.lines().count(), 1, "one line");
    }

    #[test]
    fn run_file_names_are_safe() {
        assert_eq!(run_file_name("heartbeat-gc-pause", 3), "caucus-heartbeat-gc-pause-seed-3.json");
        assert_eq!(run_file_name("../../etc/passwd", 1), "caucus-etc-passwd-seed-1.json");
        assert_eq!(run_file_name("a\\b\u{0}c\nd:e*f?g", 1), "caucus-a-b-c-d-e-f-g-seed-1.json");
        assert_eq!(run_file_name("", 1), "caucus-run-seed-1.json");
    }
}
