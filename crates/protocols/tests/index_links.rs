//! The root page's index (src/components/index_data.rs, plain data) links only to scenarios that
//! exist, each on the page that carries it. Checked here, where every protocol is compiled in
//! (the core pack that shows the index carries only the heartbeat protocol).

#[allow(dead_code)]
#[path = "../../../src/components/index_data.rs"]
mod index_data;

use caucus_protocols::{builtin, pack_of_scenario, Pack};
use index_data::{CONTRASTS, FAMILIES};

fn check(dir: &str, name: &str) {
    let scenario =
        builtin(name).unwrap_or_else(|| panic!("the index links to `{name}`, which is not a built-in scenario"));
    let pack = caucus_protocols::pack_of(&scenario.protocol.name).expect("a registered protocol");
    assert_eq!(pack.dir(), dir, "`{name}` is linked on `{dir}` but runs on `{}`", pack.dir());
    assert_eq!(pack_of_scenario(name), Some(pack), "`{name}`: its prefix names its family");
}

#[test]
fn every_linked_scenario_exists_on_the_page_it_links_to() {
    let mut dirs: Vec<&str> = FAMILIES.iter().map(|f| f.dir).collect();
    for f in FAMILIES {
        assert!((2..=4).contains(&f.scenarios.len()), "{}: two to four scenarios", f.title);
        for (name, _) in f.scenarios {
            check(f.dir, name);
        }
    }
    for c in CONTRASTS {
        assert_ne!(c.sides[0].1, c.sides[1].1, "{}: two different runs", c.title);
        for (dir, name, _) in &c.sides {
            check(dir, name);
        }
    }
    // Every family has its card, once.
    dirs.sort();
    let mut all: Vec<&str> =
        [Pack::Core, Pack::Election, Pack::Ring, Pack::Lock, Pack::Commit].iter().map(|p| p.dir()).collect();
    all.sort();
    assert_eq!(dirs, all);
}
