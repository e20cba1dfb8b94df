//! Compiles the lessons (`lessons/*.toml`) and the protocols' essays
//! (`crates/protocols/essays/*.md`) for the page: parsed, checked and rendered from Markdown
//! here, so the browser gets JSON and HTML and carries no TOML or Markdown parser.
//!
//! Into the bundle (`OUT_DIR`): `lesson_index.json` (every lesson's id, family, title and size:
//! the index and links to another family's lesson) and `essay_titles.json` (this pack's essays'
//! titles, for their collapsed sections). Beside the bundle, fetched only when needed:
//! `lessons/<id>.json` (one lesson, whole, when a `?lesson=` page opens) and `essays.json` (the
//! essays' bodies, when "How it works" is opened). Those go to
//! `<target>/wasm32-unknown-unknown/<profile>/caucus-pages/<pack>/`, which the Trunk hook
//! `scripts/trunk-pages.sh` copies into the pack's dist folder. A lesson file that does not parse
//! fails the build with its field named; `caucus lesson check` plays them on many seeds.

use caucus_lessons::files::{load_dir, markdown};
use caucus_lessons::{Entry, Family};
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let lessons_dir = root.join("lessons");
    let essays_dir = root.join("crates/protocols/essays");
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=crates/protocols/essays");
    let feature = |f: &str| std::env::var_os(format!("CARGO_FEATURE_{}", f.to_uppercase())).is_some();
    let family = if feature("election") {
        Family::Election
    } else if feature("paxos") {
        Family::Paxos
    } else if feature("ring") {
        Family::Ring
    } else if feature("lock") {
        Family::Lock
    } else if feature("commit") {
        Family::Commit
    } else if feature("balance") {
        Family::Balance
    } else if feature("zab") {
        Family::Zab
    } else {
        Family::Heartbeat
    };
    let mut mine = Vec::new();
    let mut index = Vec::new();
    let files = load_dir(&lessons_dir).unwrap_or_else(|e| panic!("{e}"));
    for (path, lesson) in files {
        let lesson = lesson.unwrap_or_else(|e| panic!("lesson file {}: {e}", path.display()));
        if index.iter().any(|e: &Entry| e.id == lesson.id) {
            panic!("two lessons have the id `{}`", lesson.id);
        }
        let mut entry = Entry::of(&lesson);
        if family != Family::Heartbeat {
            // Only the root page (the core pack) lists the lessons; other packs route by id.
            entry.summary.clear();
            entry.title.clear();
        }
        index.push(entry);
        if lesson.family == family {
            mine.push(without_sources(lesson));
        }
    }
    let protocols: &[&str] = match family {
        Family::Heartbeat => &["heartbeat"],
        Family::Election => &["raft"],
        Family::Paxos => &["paxos", "bully"],
        Family::Ring => &["ring"],
        Family::Lock => &["lock"],
        Family::Commit => &["commit"],
        Family::Balance => &["balance"],
        Family::Zab => &["zab"],
    };
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_path_buf();
    let pack = match family {
        Family::Heartbeat => "core",
        Family::Election => "election",
        Family::Paxos => "paxos",
        Family::Ring => "ring",
        Family::Lock => "lock",
        Family::Commit => "commit",
        Family::Balance => "balance",
        Family::Zab => "zab",
    };
    // OUT_DIR is <target>/<triple>/<profile>/build/<crate>-<hash>/out.
    let pages = out.ancestors().nth(3).expect("OUT_DIR is inside the target folder").join("caucus-pages").join(pack);
    let _ = std::fs::remove_dir_all(&pages);
    std::fs::create_dir_all(pages.join("lessons")).unwrap_or_else(|e| panic!("cannot create {}: {e}", pages.display()));
    let mut titles = Vec::new();
    let mut bodies = Vec::new();
    for p in protocols {
        let path = essays_dir.join(format!("{p}.md"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        // The essay's first line, `# Title`, names its section; the rest is its body.
        let (title, body) = match text.split_once('\n') {
            Some((first, rest)) if first.starts_with("# ") => (first[2..].trim().to_string(), rest),
            _ => (p.to_string(), text.as_str()),
        };
        titles.push(serde_json::json!({ "protocol": p, "title": plain(&title) }));
        bodies.push(serde_json::json!({ "protocol": p, "html": markdown(body) }));
    }
    let write = |dir: &Path, name: &str, value: &dyn erased::Json| {
        let path = dir.join(name);
        std::fs::write(&path, value.json()).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()))
    };
    for lesson in mine {
        write(&pages.join("lessons"), &format!("{}.json", lesson.id), &lesson);
    }
    write(&pages, "essays.json", &bodies);
    write(&out, "lesson_index.json", &index);
    write(&out, "essay_titles.json", &titles);
}

/// A heading's Markdown as plain text: the code marks and emphasis dropped.
fn plain(md: &str) -> String {
    md.chars().filter(|c| !matches!(c, '`' | '*' | '_')).collect()
}

/// The lesson as the page needs it: the Markdown is already rendered to HTML, so its sources
/// are left out (they stay required, and checked, in the files).
fn without_sources(mut lesson: caucus_lessons::Lesson) -> caucus_lessons::Lesson {
    lesson.summary.clear(); // the index's, which has its own copy
    for ch in &mut lesson.chapters {
        ch.text.clear();
        if let Some(q) = &mut ch.question {
            q.ask.clear();
            q.explain.clear();
        }
        if let Some(t) = &mut ch.task {
            t.ask.clear();
            t.hint.clear();
        }
    }
    for c in &mut lesson.challenges {
        c.text.clear();
        c.hint.clear();
    }
    lesson
}

mod erased {
    pub trait Json {
        fn json(&self) -> String;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).expect("lessons serialize")
        }
    }
}
