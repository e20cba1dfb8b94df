//! "How it works": the essays of this pack's protocols (`crates/protocols/essays/*.md`), one
//! collapsible section each. The build script renders the Markdown to HTML (raw HTML in it is
//! escaped, so the HTML is ours); the titles are in the bundle, the bodies (`essays.json` beside
//! it) are fetched the first time a section is opened, so a page that never opens one does not
//! download them. Nothing is parsed as Markdown in the browser.

use serde::Deserialize;
use yew::prelude::*;

/// The titles of the essays of the protocols this pack runs, as the build wrote them.
const TITLES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/essay_titles.json"));

/// One protocol's essay title: `{"protocol": "raft", "title": "Raft"}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Title {
    protocol: String,
    title: String,
}

/// One protocol's essay body: `{"protocol": "raft", "html": "<p>..."}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Body {
    protocol: String,
    html: String,
}

/// The essays' bodies: not asked for yet, on their way, in, or why not.
#[derive(Clone, PartialEq)]
enum Bodies {
    NotAsked,
    Loading,
    In(Vec<Body>),
    Failed(String),
}

/// The titles, or none when the file does not parse (a build fault: show nothing, never panic).
fn titles_of(json: &str) -> Vec<Title> {
    serde_json::from_str(json).unwrap_or_default()
}

/// "How it works": one `<details>` per protocol of this pack, closed until opened. Renders
/// nothing when the pack has no essay.
#[function_component(Essays)]
pub fn essays() -> Html {
    let titles = use_memo((), |_| titles_of(TITLES_JSON));
    let bodies = use_state(|| Bodies::NotAsked);
    if titles.is_empty() {
        return html! {};
    }
    // A click on a summary (or Enter, Space on it) opens its section: fetch the bodies then.
    let onclick = {
        let bodies = bodies.clone();
        Callback::from(move |_: MouseEvent| {
            if !matches!(*bodies, Bodies::NotAsked | Bodies::Failed(_)) {
                return;
            }
            bodies.set(Bodies::Loading);
            let bodies = bodies.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let got = crate::browser::fetch_text("essays.json").await.and_then(|text| {
                    serde_json::from_str::<Vec<Body>>(&text).map_err(|e| format!("essays.json does not parse: {e}"))
                });
                bodies.set(match got {
                    Ok(b) => Bodies::In(b),
                    Err(e) => Bodies::Failed(e),
                });
            });
        })
    };
    let body = |protocol: &str| -> Html {
        match &*bodies {
            Bodies::In(all) => match all.iter().find(|b| b.protocol == protocol) {
                Some(b) => Html::from_html_unchecked(AttrValue::from(b.html.clone())),
                None => html! { <p>{ "This essay is missing from the build." }</p> },
            },
            Bodies::Failed(e) => {
                html! { <p role="alert">{ format!("The essay could not be loaded: {e}. Open it again to retry.") }</p> }
            }
            _ => html! { <p class="essay-loading" role="status">{ "Loading…" }</p> },
        }
    };
    html! {
        <section class="essays" aria-labelledby="essays-h">
            <h2 id="essays-h">{"How it works"}</h2>
            { for titles.iter().map(|t| html! {
                <details class="essay" data-protocol={t.protocol.clone()}>
                    <summary onclick={onclick.clone()}>{ t.title.clone() }</summary>
                    <div class="essay-body">{ body(&t.protocol) }</div>
                </details>
            }) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_file_shows_nothing() {
        assert!(titles_of("not json").is_empty());
        assert_eq!(titles_of(r#"[{"protocol":"lock","title":"Locks"}]"#).len(), 1);
    }

    #[test]
    fn every_pack_has_its_essays_titles() {
        // Every pack has an essay per protocol; the build takes each title from its `# ` line.
        let all = titles_of(TITLES_JSON);
        assert!(!all.is_empty());
        for t in &all {
            assert!(!t.title.is_empty() && !t.title.starts_with('#'), "{}", t.protocol);
        }
    }
}
