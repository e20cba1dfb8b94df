//! Fuzzing what arrives from outside: links (`Shared::from_query`) and run files
//! (`Shared::from_file`), as random text and as byte-level mutations of good ones, every family.
//! Each must come back as a run or as an error, never a panic; what opens must replay exactly
//! (its link, made again, opens the same state). A fixed seed keeps a failure reproducible:
//! proptest prints the shrunk input.

use caucus_protocols::share::Shared;
use caucus_protocols::{build, builtin};
use caucus_sim::{DynRun, Input};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

fn fixed_seed(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(20_261_202), ..Config::default() }
}

/// A run of each family with inputs by hand, a partition and a step to look at.
fn good_runs() -> Vec<Box<dyn DynRun>> {
    [
        "heartbeat-crash",
        "raft-leader-crash",
        "zab-leader-crash",
        "ring",
        "lock-lease-gc-pause",
        "commit-2pc-coordinator-crash",
    ]
    .iter()
    .map(|name| {
        let mut run = build(&builtin(name).unwrap_or_else(|| panic!("{name} is built in"))).unwrap();
        for _ in 0..30 {
            run.apply(Input::Step).unwrap();
        }
        run.apply(Input::Crash { node: 1 }).unwrap();
        for _ in 0..10 {
            run.apply(Input::Step).unwrap();
        }
        run.seek(20);
        run
    })
    .collect()
}

/// Good links and run files, one of each per family; the scenario carried inline in half.
fn corpus() -> (Vec<String>, Vec<String>) {
    let mut links = Vec::new();
    let mut files = Vec::new();
    for run in good_runs() {
        let mut shared = Shared::of(run.as_ref());
        links.push(shared.to_query());
        files.push(shared.to_file());
        shared.scenario.description.push_str(" (edited)");
        links.push(shared.to_query());
        files.push(shared.to_file());
    }
    (links, files)
}

#[derive(Clone, Debug)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    Flip(usize, u8),
}

fn any_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..8).prop_map(|(at, n)| Edit::Delete(at, n)),
        (
            any::<usize>(),
            prop::sample::select(vec![
                "&",
                "=",
                "%",
                "%FF",
                "&v=2",
                "&t=",
                "&i=",
                "-",
                "\"",
                "}",
                "[",
                "0",
                "99999999999999999999",
                "\u{e9}"
            ])
            .prop_map(str::to_string)
        )
            .prop_map(|(at, s)| Edit::Insert(at, s)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Flip(at, b)),
    ]
}

/// Applies byte-level edits, keeping the text valid UTF-8 (a browser hands us a string).
fn edited(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for e in edits {
        let at = |i: usize| if bytes.is_empty() { 0 } else { i % bytes.len() };
        match e {
            Edit::Delete(i, n) => {
                let from = at(*i);
                let to = (from + n).min(bytes.len());
                bytes.drain(from..to);
            }
            Edit::Insert(i, s) => {
                let from = at(*i);
                bytes.splice(from..from, s.bytes());
            }
            Edit::Flip(i, b) => {
                if !bytes.is_empty() {
                    let i = at(*i);
                    bytes[i] = *b;
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Opens a shared run the way the page does; what opens must give a link that opens the same.
fn open(shared: Result<Option<Shared>, String>) {
    let Ok(Some(shared)) = shared else { return };
    let Ok(run) = shared.restore() else { return };
    let again = Shared::of(run.as_ref());
    let reopened = Shared::from_query(&again.to_query()).expect("our own link parses").expect("names a run");
    let run2 = reopened.restore().expect("our own link opens");
    assert_eq!(run2.cursor(), run.cursor());
    assert_eq!(run2.now(), run.now());
}

proptest! {
    #![proptest_config(fixed_seed(400))]

    #[test]
    fn random_queries_are_errors_or_runs_never_panics(text in "[a-z=&%0-9A-F_.-]{0,120}") {
        open(Shared::from_query(&text));
    }

    #[test]
    fn mutated_links_are_errors_or_runs_never_panics(which in any::<usize>(), edits in prop::collection::vec(any_edit(), 1..5)) {
        let (links, _) = corpus();
        let link = &links[which % links.len()];
        open(Shared::from_query(&edited(link, &edits)));
    }

    #[test]
    fn mutated_run_files_are_errors_or_runs_never_panics(which in any::<usize>(), edits in prop::collection::vec(any_edit(), 1..5)) {
        let (_, files) = corpus();
        let file = &files[which % files.len()];
        open(Shared::from_file(&edited(file, &edits)).map(Some));
    }

    #[test]
    fn random_text_as_a_run_file_is_an_error(text in "\\PC{0,200}") {
        prop_assert!(Shared::from_file(&text).is_err());
    }
}

#[test]
fn the_corpus_opens_unedited() {
    let (links, files) = corpus();
    for link in &links {
        assert!(Shared::from_query(link).unwrap().unwrap().restore().is_ok(), "{link}");
    }
    for file in &files {
        assert!(Shared::from_file(file).unwrap().restore().is_ok());
    }
}

/// The fixed corpus of hostile links and files (`tests/corpus/hostile.json`, also run in Chromium
/// on every page by the e2e tests): each is refused with a message naming what is wrong, or
/// opens, as its entry says; none panics.
#[test]
fn the_hostile_corpus_is_refused_or_opens_as_it_says() {
    use base64::Engine as _;
    let corpus: serde_json::Value = serde_json::from_str(include_str!("../../../tests/corpus/hostile.json")).unwrap();
    let mut wrong = Vec::new();
    let mut check = |kind: &str, entry: &serde_json::Value, outcome: Result<Box<dyn DynRun>, String>| {
        let why = entry["why"].as_str().unwrap();
        match (entry["expect"].as_str().unwrap(), outcome) {
            ("opens", Ok(_)) => {}
            ("refused", Err(e)) => {
                if let Some(m) = entry["message"].as_str() {
                    if !e.contains(m) {
                        wrong.push(format!("{kind} `{why}`: the message does not name `{m}`: {e}"));
                    }
                }
            }
            (expect, Ok(_)) => wrong.push(format!("{kind} `{why}`: opens, expected {expect}")),
            (expect, Err(e)) => wrong.push(format!("{kind} `{why}`: refused ({e}), expected {expect}")),
        }
    };
    for entry in corpus["links"].as_array().unwrap() {
        let query = match &entry["scenario"] {
            serde_json::Value::Null => entry["query"].as_str().unwrap().to_string(),
            sc => format!("v=1&sc={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sc.to_string())),
        };
        let outcome = Shared::from_query(&query)
            .and_then(|s| s.ok_or_else(|| "names no run".to_string()))
            .and_then(|s| s.restore());
        check("link", entry, outcome);
    }
    for entry in corpus["files"].as_array().unwrap() {
        let text = match &entry["json"] {
            serde_json::Value::Null => entry["text"].as_str().unwrap().to_string(),
            json => json.to_string(),
        };
        check("file", entry, Shared::from_file(&text).and_then(|s| s.restore()));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
