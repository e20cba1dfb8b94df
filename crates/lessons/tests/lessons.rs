//! Every lesson file parses, validates and plays as written on a few seeds (`caucus lesson
//! check --seeds 100`, run by scripts/test.sh, plays them on more); bad lesson files get errors
//! naming the field.

use caucus_lessons::check::{check, check_seed};
use caucus_lessons::files::{load_dir, parse};
use std::path::Path;

fn lessons_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

#[test]
fn every_lesson_file_parses_validates_and_plays_on_ten_seeds() {
    let files = load_dir(&lessons_dir()).unwrap();
    assert!(!files.is_empty());
    let mut ids = Vec::new();
    for (path, lesson) in files {
        let lesson = lesson.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        lesson.validate().unwrap_or_else(|e| panic!("{e}"));
        assert!(!ids.contains(&lesson.id), "two lessons are `{}`", lesson.id);
        ids.push(lesson.id.clone());
        check(&lesson, 1..11).unwrap_or_else(|f| panic!("{f}"));
        assert!(lesson.chapters.iter().all(|c| !c.html.is_empty()), "{}: rendered", lesson.id);
    }
}

#[test]
fn every_family_has_three_lessons_and_the_heartbeat_one() {
    let files = load_dir(&lessons_dir()).unwrap();
    let lessons: Vec<_> = files.into_iter().filter_map(|(_, l)| l.ok()).collect();
    for family in caucus_lessons::Family::ALL {
        let n = lessons.iter().filter(|l| l.family == family).count();
        let want = if family == caucus_lessons::Family::Heartbeat { 1 } else { 3 };
        assert!(n >= want, "family {}: {n} lessons, want at least {want}", family.word());
    }
}

const GOOD: &str = r#"
id = "t"
title = "T"
family = "lock"
scenario = "lock-lease-gc-pause"
[[chapters]]
title = "One"
text = "Some *text*."
[[chapters]]
title = "Two"
text = "More."
at = { fails = "No write from a stale lock" }
"#;

fn error_of(text: &str) -> String {
    match parse(text, "t.toml").and_then(|l| l.validate().map(|()| l)) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_good_lesson_renders_its_markdown_and_finds_its_moments() {
    let lesson = parse(GOOD, "t.toml").unwrap();
    lesson.validate().unwrap();
    assert_eq!(lesson.chapters[0].html, "<p>Some <em>text</em>.</p>\n");
    check_seed(&lesson, 1).unwrap();
}

#[test]
fn raw_html_in_a_lesson_is_shown_as_text() {
    let lesson = parse(&GOOD.replace("Some *text*.", "<script>alert(1)</script>"), "t.toml").unwrap();
    assert!(!lesson.chapters[0].html.contains("<script>"), "{}", lesson.chapters[0].html);
}

#[test]
fn bad_lessons_name_the_field() {
    let cases = [
        (GOOD.replace("title = \"One\"", "title = 1"), "chapters[0].title"),
        (GOOD.replace("family = \"lock\"", "family = \"locks\""), "family"),
        (GOOD.replace("family = \"lock\"", "family = \"ring\""), "scenario"),
        (GOOD.replace("lock-lease-gc-pause", "lock-nope"), "scenario"),
        (GOOD.replace("No write from a stale lock", "No stale"), "chapters[1].at.fails"),
        (GOOD.replace("text = \"More.\"", "text = \"More.\"\nhighlight = [\"n99\"]"), "chapters[1].highlight[0]"),
        (GOOD.replace("text = \"More.\"", "text = \"More.\"\nhighlight = [\"role:boss\"]"), "chapters[1].highlight[0]"),
        (GOOD.replace("text = \"More.\"", "text = \"More.\"\ncolour = 3"), "chapters[1].colour"),
        (GOOD.replace("at = { fails", "at = { time_s = 1.0, fails"), "chapters[1].at"),
        (GOOD.replace("at = { fails = \"No write from a stale lock\" }", "at = { input = \"explode\" }"), "chapters[1].at.input"),
        (
            GOOD.to_string() + "[chapters.question]\nask = \"?\"\nchoices = [\"a\", \"b\"]\nanswer = 2\nexplain = \"x\"\n",
            "chapters[1].question.answer",
        ),
        (
            GOOD.to_string() + "[chapters.task]\nask = \"x\"\ndone = { input = \"crash\" }\nhint = \"h\"\nsolution = [{ input = { explode = {} } }]\n",
            "chapters[1].task.solution[0].input.explode",
        ),
        (GOOD.replace("id = \"t\"", "id = \"Bad Id\""), "id"),
    ];
    for (text, field) in cases {
        let e = error_of(&text);
        assert!(e.contains(&format!("field `{field}`")), "want field `{field}`, got: {e}");
    }
    assert!(
        error_of("id = \"t\"\ntitle = [").contains("not valid TOML (line 2"),
        "{}",
        error_of("id = \"t\"\ntitle = [")
    );
}

#[test]
fn a_chapter_whose_moment_never_comes_is_named_by_the_check() {
    let text = GOOD.replace("No write from a stale lock", "Every waiting client eventually acquires");
    let lesson = parse(&text, "t.toml").unwrap();
    lesson.validate().unwrap();
    let f = check_seed(&lesson, 1).unwrap_err();
    assert!(f.part.contains("chapter 2 “Two”"), "{f}");
}
