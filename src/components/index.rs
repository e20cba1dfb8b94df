//! The root page without a query: an index of the families, each with its lesson and best
//! scenarios, and the featured contrasts. Core pack only (`#[cfg(feature = "core")]`).
//!
//! The page is static, so it is rendered once as an HTML string from plain data
//! ([`index_data`](data)) and inserted into the body: no component tree, which keeps the core
//! pack's bundle small. Links are relative (`ring/?s=ring-join`, `./?s=heartbeat`), so the index
//! works wherever the site is hosted (`/`, `/course/lab/`). Every value is HTML-escaped although
//! all of it is our own text.

#[path = "index_data.rs"]
pub mod data;

use super::share::escape_html;
use data::{CONTRASTS, FAMILIES};

/// The link to a built-in scenario on the page in `dir` (empty: this page).
pub fn scenario_href(dir: &str, name: &str) -> String {
    let dir = if dir.is_empty() { "./" } else { dir };
    format!("{dir}?s={name}")
}

/// The whole index as HTML.
pub fn render() -> String {
    let e = escape_html;
    let mut out = String::with_capacity(8192);
    out += "<div class=\"index\"><header class=\"index-head\"><h1>Caucus <span class=\"index-tagline\">distributed coordination, step by step</span></h1>\
        <p>Real protocols run on a simulated network of datacenters. Pick a family and a scenario, then step forward and back, \
        crash a node, pause it, cut a region off, and watch which guarantee breaks and when. A link shows the same run to a whole class.</p></header>\
        <main class=\"index-main\"><section aria-labelledby=\"index-families\"><h2 id=\"index-families\">Families</h2><ul class=\"index-cards\">";
    for (k, f) in FAMILIES.iter().enumerate() {
        let home = if f.dir.is_empty() { scenario_href("", f.scenarios[0].0) } else { f.dir.to_string() };
        out += &format!(
            "<li><article class=\"index-card\" aria-labelledby=\"index-f{k}\"><h3 id=\"index-f{k}\"><a href=\"{}\">{}</a></h3>\
             <p class=\"index-covers\">{}</p><p class=\"index-lesson\">{}</p><ul class=\"index-scenarios\" aria-label=\"{} scenarios\">",
            e(&home),
            e(f.title),
            e(f.covers),
            e(f.lesson),
            e(f.title)
        );
        for (name, what) in f.scenarios {
            out += &format!(
                "<li><a href=\"{}\">{} <code>{}</code></a></li>",
                e(&scenario_href(f.dir, name)),
                e(what),
                e(name)
            );
        }
        out += "</ul></article></li>";
    }
    out += "</ul></section><section aria-labelledby=\"index-contrasts\"><h2 id=\"index-contrasts\">Featured contrasts</h2>\
        <p class=\"index-note\">Broken beside correct: open both, same seed, same fault.</p><ul class=\"index-cards\">";
    for (k, c) in CONTRASTS.iter().enumerate() {
        out += &format!(
            "<li><article class=\"index-card index-contrast\" aria-labelledby=\"index-c{k}\"><h3 id=\"index-c{k}\">{}</h3><p class=\"index-pair\">",
            e(c.title)
        );
        for (i, (dir, name, label)) in c.sides.iter().enumerate() {
            if i > 0 {
                out += "<span class=\"index-bar\" aria-hidden=\"true\">|</span>";
            }
            out += &format!("<a href=\"{}\">{} <code>{}</code></a>", e(&scenario_href(dir, name)), e(label), e(name));
        }
        out += &format!("</p><p class=\"index-lesson\">{}</p></article></li>", e(c.compare));
    }
    out += "</ul></section></main></div>";
    out
}

/// Puts the index into the page's body.
pub fn mount() {
    if let Some(body) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.body()) {
        let _ = body.insert_adjacent_html("beforeend", &render());
    }
}

/// Whether the page was opened without a query (the index), rather than with a link, a scenario
/// name or `embed=1` (the simulator).
pub fn wanted(query: &str) -> bool {
    query.trim_start_matches('?').is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_links_every_family_and_contrast() {
        let html = render();
        for f in FAMILIES {
            assert!(html.contains(f.title), "{}", f.title);
            assert!((2..=4).contains(&f.scenarios.len()), "{}: 2 to 4 scenarios", f.title);
            for (name, _) in f.scenarios {
                assert!(html.contains(&format!("href=\"{}\"", scenario_href(f.dir, name))), "{name}");
            }
        }
        assert!(html.contains("href=\"./?s=heartbeat-gc-pause\""));
        assert!(html.contains("href=\"lock/?s=lock-fencing-gc-pause\""));
        // Relative links only: the site may live under a sub-path.
        assert!(!html.contains("href=\"/"), "no absolute links");
        assert_eq!(html.matches("<a ").count(), html.matches("</a>").count());
    }

    #[test]
    fn only_an_empty_query_opens_the_index() {
        assert!(wanted(""));
        assert!(wanted("?"));
        for q in ["?s=heartbeat", "?v=1&s=heartbeat&seed=1", "?embed=1", "?sc=e30"] {
            assert!(!wanted(q), "{q}");
        }
    }
}
