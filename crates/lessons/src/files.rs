//! Lesson files: TOML read into a [`Lesson`] with errors naming the field, and the Markdown of
//! their texts rendered to HTML. Used by the app's build script (which compiles the rendered
//! lessons into each family's page as JSON) and by the CLI; never in the browser.

use crate::{lesson_from_json, Lesson, LessonError};
use std::path::{Path, PathBuf};

/// Reads one lesson from TOML text; `name` (the file) prefixes errors.
pub fn parse(text: &str, name: &str) -> Result<Lesson, LessonError> {
    let value: toml::Value = toml::from_str(text).map_err(|e| {
        let at = e
            .span()
            .map(|s| line_col(text, s.start))
            .map(|(l, c)| format!(" (line {l}, column {c})"))
            .unwrap_or_default();
        LessonError::new("", format!("not valid TOML{at}: {}", e.message())).in_lesson(name)
    })?;
    let json = serde_json::to_value(&value).map_err(|e| LessonError::new("", e.to_string()).in_lesson(name))?;
    let mut lesson = lesson_from_json(json).map_err(|e| e.in_lesson(name))?;
    render(&mut lesson);
    Ok(lesson)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

/// Fills in the HTML of every Markdown text of the lesson.
pub fn render(lesson: &mut Lesson) {
    for ch in &mut lesson.chapters {
        ch.html = markdown(&ch.text);
        if let Some(q) = &mut ch.question {
            q.explain_html = markdown(&q.explain);
            q.ask_html = inline(&q.ask);
        }
        if let Some(t) = &mut ch.task {
            t.ask_html = inline(&t.ask);
            t.hint_html = inline(&t.hint);
        }
    }
    for c in &mut lesson.challenges {
        c.html = markdown(&c.text);
        c.hint_html = inline(&c.hint);
    }
}

/// A little Markdown to HTML. Raw HTML in the text is shown as text, never interpreted: lesson
/// files are content, not code.
pub fn markdown(text: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser};
    let parser = Parser::new_ext(text, Options::ENABLE_STRIKETHROUGH).map(|e| match e {
        Event::Html(h) | Event::InlineHtml(h) => Event::Text(h),
        e => e,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, parser);
    html
}

/// One paragraph of Markdown as inline HTML (no `<p>` around it), for questions and hints.
pub fn inline(text: &str) -> String {
    let html = markdown(text);
    let trimmed = html.trim_end();
    match trimmed.strip_prefix("<p>").and_then(|t| t.strip_suffix("</p>")) {
        Some(inner) if !inner.contains("<p>") => inner.to_string(),
        _ => html,
    }
}

/// Every `*.toml` file under `dir`, sorted by name, each read and validated.
pub fn load_dir(dir: &Path) -> Result<Vec<(PathBuf, Result<Lesson, LessonError>)>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    Ok(paths
        .into_iter()
        .map(|p| {
            let r = load(&p);
            (p, r)
        })
        .collect())
}

/// Reads one lesson file: its id must be its file's name.
pub fn load(path: &Path) -> Result<Lesson, LessonError> {
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let text = std::fs::read_to_string(path)
        .map_err(|e| LessonError::new("", format!("cannot read: {e}")).in_lesson(&name))?;
    let lesson = parse(&text, &name)?;
    let stem = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    if lesson.id != stem {
        return Err(LessonError::new(
            "id",
            format!("is `{}` but the file is {name}: name the file `{}.toml`", lesson.id, lesson.id),
        )
        .in_lesson(&name));
    }
    Ok(lesson)
}
