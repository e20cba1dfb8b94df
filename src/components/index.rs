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
