//! Compiles the lessons (`lessons/*.toml`) and the protocols' essays
//! (`crates/protocols/essays/*.md`) into the page: parsed, checked and rendered from Markdown
//! here, so the browser gets JSON and HTML and carries no TOML or Markdown parser.
//!
//! Writes to `OUT_DIR`: `lessons.json` (the lessons of this pack's family, whole),
//! `lesson_index.json` (every lesson's id, family and title: the index and other packs link to
//! them) and `essays.json` (this pack's protocols' essays). A lesson file that does not parse
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
    } else if feature("ring") {
        Family::Ring
    } else if feature("lock") {
        Family::Lock
    } else if feature("commit") {
        Family::Commit
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
        index.push(Entry::of(&lesson));
        if lesson.family == family {
            mine.push(lesson);
        }
    }
    let protocols: &[&str] = match family {
        Family::Heartbeat => &["heartbeat"],
        Family::Election => &["raft", "paxos", "bully"],
        Family::Ring => &["ring"],
        Family::Lock => &["lock"],
        Family::Commit => &["commit"],
    };
    let mut essays = Vec::new();
    for p in protocols {
        let path = essays_dir.join(format!("{p}.md"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            essays.push(serde_json::json!({ "protocol": p, "html": markdown(&text) }));
        }
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).to_path_buf();
    let write = |name: &str, value: &dyn erased::Json| {
        std::fs::write(out.join(name), value.json()).unwrap_or_else(|e| panic!("cannot write {name}: {e}"))
    };
    write("lessons.json", &mine);
    write("lesson_index.json", &index);
    write("essays.json", &essays);
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
