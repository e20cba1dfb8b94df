//! "How it works": the essays of this pack's protocols (`crates/protocols/essays/*.md`), one
//! collapsible section each. The build script renders the Markdown to HTML (raw HTML in it is
//! escaped, so the HTML is ours) and writes `OUT_DIR/essays.json`; nothing is parsed as Markdown
//! in the browser.

use serde::Deserialize;
use yew::prelude::*;

/// The essays of the protocols this pack runs, as the build wrote them.
const ESSAYS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/essays.json"));

/// One protocol's essay: `{"protocol": "raft", "html": "<h1>Raft</h1>..."}`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Essay {
    protocol: String,
    html: String,
}

/// The essays, or none when the file does not parse (a build fault: show nothing, never panic).
fn essays_of(json: &str) -> Vec<Essay> {
    serde_json::from_str(json).unwrap_or_default()
}

/// The essay's title (the text of its first heading, else the protocol's name) and its body; a
/// heading that opens the essay is taken out of the body, since the summary already shows it.
fn split_title(essay: &Essay) -> (String, String) {
    let html = essay.html.trim_start();
    let Some((start, text_start, text_end, end)) = first_heading(html) else {
        return (essay.protocol.clone(), essay.html.clone());
    };
    let title = plain_text(&html[text_start..text_end]);
    let title = if title.trim().is_empty() { essay.protocol.clone() } else { title.trim().to_string() };
    let body = if start == 0 { html[end..].to_string() } else { html.to_string() };
    (title, body)
}

/// The first `<hN>...</hN>`: where its tag starts, its content starts and ends, and where it ends.
fn first_heading(html: &str) -> Option<(usize, usize, usize, usize)> {
    let mut from = 0;
    while let Some(i) = html[from..].find("<h") {
        let start = from + i;
        let level = html.as_bytes().get(start + 2).copied().filter(|b| (b'1'..=b'6').contains(b));
        if let Some(level) = level {
            let open_end = start + html[start..].find('>')? + 1;
            let close = format!("</h{}>", level as char);
            let text_end = open_end + html[open_end..].find(&close)?;
            return Some((start, open_end, text_end, text_end + close.len()));
        }
        from = start + 2;
    }
    None
}

/// The text of an HTML fragment: tags dropped, the entities the Markdown renderer writes decoded.
fn plain_text(fragment: &str) -> String {
    let mut text = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&#39;", "'").replace("&amp;", "&")
}

/// "How it works": one `<details>` per protocol of this pack, closed until opened. Renders
/// nothing when the pack has no essay.
#[function_component(Essays)]
pub fn essays() -> Html {
    let essays = use_memo((), |_| {
        essays_of(ESSAYS_JSON).iter().map(|e| (e.protocol.clone(), split_title(e))).collect::<Vec<_>>()
    });
    if essays.is_empty() {
        return html! {};
    }
    html! {
        <section class="essays" aria-labelledby="essays-h">
            <h2 id="essays-h">{"How it works"}</h2>
            { for essays.iter().map(|(protocol, (title, body))| html! {
                <details class="essay" data-protocol={protocol.clone()}>
                    <summary>{ title.clone() }</summary>
                    <div class="essay-body">{ Html::from_html_unchecked(AttrValue::from(body.clone())) }</div>
                </details>
            }) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn essay(html: &str) -> Essay {
        Essay { protocol: "raft".into(), html: html.into() }
    }

    #[test]
    fn the_opening_heading_is_the_title_and_leaves_the_body() {
        let (title, body) = split_title(&essay("<h1>Raft &amp; <code>pre-vote</code></h1>\n<p>Terms.</p>\n"));
        assert_eq!(title, "Raft & pre-vote");
        assert_eq!(body.trim(), "<p>Terms.</p>");
    }

    #[test]
    fn without_a_heading_the_protocol_names_it() {
        let (title, body) = split_title(&essay("<p>Terms.</p>"));
        assert_eq!((title.as_str(), body.as_str()), ("raft", "<p>Terms.</p>"));
        // A later heading names it but stays in the body.
        let (title, body) = split_title(&essay("<p>x</p><h2>Why</h2>"));
        assert_eq!((title.as_str(), body.as_str()), ("Why", "<p>x</p><h2>Why</h2>"));
    }

    #[test]
    fn a_broken_file_shows_nothing() {
        assert!(essays_of("not json").is_empty());
        assert_eq!(essays_of(r#"[{"protocol":"lock","html":"<p>a</p>"}]"#).len(), 1);
    }

    #[test]
    fn the_built_essays_parse() {
        // Every pack has an essay per protocol; the build renders them from crates/protocols/essays.
        let all = essays_of(ESSAYS_JSON);
        assert!(!all.is_empty());
        for e in &all {
            let (title, body) = split_title(e);
            assert!(!title.is_empty() && !body.contains("<h1>"), "{}", e.protocol);
        }
    }
}
