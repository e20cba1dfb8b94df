//! The root page's index (the `<div id="index">` in index.html) links only to scenarios that
//! exist, each on the page that carries it, with relative links (the site may be hosted under a
//! sub-path). Checked here, where every protocol is compiled in (the core pack that shows the
//! index carries only the heartbeat protocol).

use caucus_protocols::{builtin, pack_of_scenario, Pack};

const INDEX_HTML: &str = include_str!("../../../index.html");

/// Every `href="…"` in the index.
fn links() -> Vec<&'static str> {
    let start = INDEX_HTML.find("<div class=\"index\" id=\"index\">").expect("index.html holds the index");
    INDEX_HTML[start..].split("href=\"").skip(1).map(|rest| &rest[..rest.find('"').unwrap()]).collect()
}

#[test]
fn every_linked_scenario_exists_on_the_page_it_links_to() {
    let links = links();
    let mut families = Vec::new();
    let mut scenarios = 0;
    for href in &links {
        assert!(!href.starts_with('/') && !href.contains("//"), "`{href}`: relative links only");
        let (dir, query) = href.split_once('?').unwrap_or((href, ""));
        let dir = dir.trim_start_matches("./");
        let pack =
            [Pack::Core, Pack::Election, Pack::Paxos, Pack::Ring, Pack::Lock, Pack::Commit, Pack::Balance, Pack::Zab]
                .into_iter()
                .find(|p| p.dir() == dir)
                .unwrap_or_else(|| panic!("`{href}`: no page `{dir}`"));
        if query.is_empty() {
            families.push(pack);
            continue;
        }
        let name = query.strip_prefix("s=").unwrap_or_else(|| panic!("`{href}`: a link names a scenario with s="));
        let scenario = builtin(name).unwrap_or_else(|| panic!("`{href}`: `{name}` is not a built-in scenario"));
        assert_eq!(caucus_protocols::pack_of(&scenario.protocol.name), Some(pack), "`{href}`: on another page");
        assert_eq!(pack_of_scenario(name), Some(pack), "`{name}`: its prefix names its family");
        scenarios += 1;
    }
    // Six packs by their folder; the heartbeat family opens with `./?s=heartbeat`.
    assert_eq!(
        families,
        [Pack::Ring, Pack::Lock, Pack::Commit, Pack::Election, Pack::Paxos, Pack::Balance],
        "family links"
    );
    assert!(links.contains(&"./?s=heartbeat"), "the heartbeat family");
    assert_eq!(links.len(), 7 + 27 + 12, "family, scenario and contrast links");
    assert!(scenarios >= 7 * 2 + 10);
}
