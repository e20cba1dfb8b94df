//! The root page without a query is an index of the families: each with its lesson and best
//! scenarios, and the featured contrasts. Core pack only (`#[cfg(feature = "core")]`).
//!
//! The index is static, so it is plain HTML in `index.html` (`<div id="index">`), not code: it
//! costs the bundle nothing, shows on the first paint (before the WebAssembly has loaded) and
//! works without it. Its links are relative (`ring/?s=ring-join`, `./?s=heartbeat`), so it works
//! wherever the site is hosted (`/`, `/course/lab/`); `crates/protocols/tests/index_links.rs`
//! checks that every name it links to is a built-in scenario of the page it links to. With a
//! query, scripts in the page remove it before the first paint (index.css is never loaded) and
//! `main` starts the simulator; without one, `main` starts nothing.

/// Whether the page was opened without a query (the index), rather than with a link, a scenario
/// name or `embed=1` (the simulator).
pub fn wanted(query: &str) -> bool {
    query.trim_start_matches('?').is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_empty_query_opens_the_index() {
        assert!(wanted(""));
        assert!(wanted("?"));
        for q in ["?s=heartbeat", "?v=1&s=heartbeat&seed=1", "?embed=1", "?sc=e30"] {
            assert!(!wanted(q), "{q}");
        }
    }
}

/// Lists every lesson, by family, at the top of the index (`<section id="index-lessons">`): the
/// lessons are data compiled in by the build, so a teacher's new lesson file shows up here
/// without editing the page. Built with the DOM's text nodes, never markup from the data.
pub fn render_lessons(entries: &[caucus_lessons::Entry]) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
    let Some(section) = doc.get_element_by_id("index-lessons") else { return };
    let make = |tag: &str, class: &str, text: &str| -> Option<web_sys::Element> {
        let el = doc.create_element(tag).ok()?;
        if !class.is_empty() {
            el.set_class_name(class);
        }
        if !text.is_empty() {
            el.set_text_content(Some(text));
        }
        Some(el)
    };
    let met = crate::browser::met_challenges();
    let build = || -> Option<()> {
        let list = make("ul", "index-cards index-lessons", "")?;
        for family in caucus_lessons::Family::ALL {
            let mine: Vec<_> = entries.iter().filter(|e| e.family == family).collect();
            if mine.is_empty() {
                continue;
            }
            let item = make("li", "", "")?;
            let card = make("article", "index-card", "")?;
            let h = make("h3", "", family.title())?;
            card.append_child(&h).ok()?;
            let lessons = make("ol", "index-lesson-list", "")?;
            for e in mine {
                let li = make("li", "", "")?;
                let a = make("a", "", &e.title)?;
                let dir = family.pack().dir();
                a.set_attribute("href", &format!("{}?lesson={}", if dir.is_empty() { "./" } else { dir }, e.id))
                    .ok()?;
                li.append_child(&a).ok()?;
                let done = met.iter().filter(|m| m.starts_with(&format!("{}/", e.id))).count();
                let mut about = format!("{} chapters", e.chapters);
                if e.challenges > 0 {
                    about += &format!(" · {} challenge{}", e.challenges, if e.challenges == 1 { "" } else { "s" });
                    if done > 0 {
                        about += &format!(" (✓ {done} met)");
                    }
                }
                if !e.summary.is_empty() {
                    let p = make("p", "index-lesson-summary", &e.summary)?;
                    li.append_child(&p).ok()?;
                }
                let p = make("p", "index-lesson-about", &about)?;
                li.append_child(&p).ok()?;
                lessons.append_child(&li).ok()?;
            }
            card.append_child(&lessons).ok()?;
            item.append_child(&card).ok()?;
            list.append_child(&item).ok()?;
        }
        section.append_child(&list).ok()?;
        section.remove_attribute("hidden").ok()?;
        Some(())
    };
    let _ = build();
}
