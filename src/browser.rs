//! The few things the app asks of the browser: the URL, the clipboard, downloads, media queries,
//! and a panic hook that never leaves a dead page.

use wasm_bindgen::JsCast;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// Shows a panic in the page (and the console) instead of freezing silently.
pub fn install_panic_hook() {
    // Through Yew: a plain `std::panic::set_hook` is replaced by Yew's own (console only) when
    // the app renders, which is why the message never showed.
    yew::set_custom_panic_hook(Box::new(|info| {
        let text = format!("Caucus hit a bug and stopped: {info}. Reload the page to start again; the link in the address bar keeps your run.");
        web_sys::console::error_1(&text.clone().into());
        // The page's `#panic` is gone once the app has mounted on <body>: make one then.
        let Some(doc) = web_sys::window().and_then(|w| w.document()) else { return };
        let el = doc.get_element_by_id("panic").or_else(|| {
            let el = doc.create_element("div").ok()?;
            el.set_id("panic");
            el.set_attribute("role", "alert").ok()?;
            doc.body()?.append_child(&el).ok()?;
            Some(el)
        });
        if let Some(el) = el {
            el.set_text_content(Some(&text));
            let _ = el.remove_attribute("hidden");
        }
    }));
}

/// When `pack` is not this page's, opens `query` in its page (`election/?…` from the root, `../?…`
/// back) and returns true; returns false when this page runs it.
pub fn open_in_pack(pack: caucus_protocols::Pack, query: &str) -> bool {
    if pack.compiled_in() {
        return false;
    }
    let up = if crate::state::PACK.dir().is_empty() { "" } else { "../" };
    let mut query = query.trim_start_matches('?');
    // The root page without a query is the index of the families: ask for the core's scenario.
    if query.is_empty() && pack == caucus_protocols::Pack::Core {
        query = "s=heartbeat";
    }
    let url = format!("{up}{}?{query}", pack.dir());
    window().location().assign(&url).is_ok()
}

/// Milliseconds since the page started (to bound work per slice, never to drive a simulation).
pub fn now_ms() -> f64 {
    window().performance().map_or(0.0, |p| p.now())
}

pub fn query() -> String {
    window().location().search().unwrap_or_default()
}

/// Page URL without the query, e.g. `https://host/course/lab/`.
pub fn base_url() -> String {
    let l = window().location();
    format!("{}{}", l.origin().unwrap_or_default(), l.pathname().unwrap_or_default())
}

pub fn replace_query(query: &str) {
    if let Ok(history) = window().history() {
        let path = window().location().pathname().unwrap_or_default();
        let url = if query.is_empty() { path } else { format!("{path}?{query}") };
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&url));
    }
}

pub fn prefers_reduced_motion() -> bool {
    window().match_media("(prefers-reduced-motion: reduce)").ok().flatten().is_some_and(|m| m.matches())
}

/// Asks the clipboard to take `text`; false when there is no clipboard (an insecure page).
/// The promise is not awaited: that would ship an async executor for one call.
pub fn copy_text(text: &str) -> bool {
    let navigator = window().navigator();
    if !js_sys::Reflect::has(&navigator, &"clipboard".into()).unwrap_or(false) {
        return false;
    }
    let _ = navigator.clipboard().write_text(text);
    true
}

/// A scenario's name (or any text) as part of a file name: ASCII letters, digits and `_` stay,
/// every other run of characters (path separators, dots, spaces, control and reserved
/// characters) becomes one `-`; at most 64 characters, `run` when nothing is left.
pub fn file_stem(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 64 {
            break;
        }
    }
    let out = out.trim_matches('-');
    if out.is_empty() {
        "run".to_string()
    } else {
        out.to_string()
    }
}

/// Which parts an embed (`embed=1`) shows, from `panel=` in its URL: a comma list of
/// [`EmbedPanels::NAMES`], e.g. `panel=figure,caption,properties`. The header and the playback
/// controls are always there (an embed must stay operable). Without `panel=`, or when it names
/// nothing known, an embed shows the map, the family's figure, the caption and the properties.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EmbedPanels {
    /// The topology map.
    pub map: bool,
    /// The family's own figure (log grid, ring, lock storage log, phase lanes).
    pub figure: bool,
    /// The sentence saying what just happened.
    pub caption: bool,
    pub properties: bool,
    /// The space-time diagram.
    pub diagram: bool,
    pub log: bool,
    pub inspector: bool,
}

#[allow(dead_code)]
impl EmbedPanels {
    /// What `embed=1` shows without `panel=`.
    pub const DEFAULT: EmbedPanels = EmbedPanels {
        map: true,
        figure: true,
        caption: true,
        properties: true,
        diagram: false,
        log: false,
        inspector: false,
    };
    /// The names `panel=` understands, in the order [`EmbedPanels::to_param`] writes them.
    pub const NAMES: [&'static str; 7] = ["map", "figure", "caption", "properties", "diagram", "log", "inspector"];

    fn slot(&mut self, name: &str) -> Option<&mut bool> {
        Some(match name {
            "map" => &mut self.map,
            "figure" => &mut self.figure,
            "caption" => &mut self.caption,
            "properties" => &mut self.properties,
            "diagram" => &mut self.diagram,
            "log" => &mut self.log,
            "inspector" => &mut self.inspector,
            _ => return None,
        })
    }

    /// Reads `panel=` from a query (with or without `?`; `,` may come as `%2C`). Unknown names
    /// are ignored; a repeated `panel=` adds to the list.
    pub fn from_query(query: &str) -> EmbedPanels {
        let mut panels = EmbedPanels::default();
        let mut any = false;
        let params = caucus_protocols::share::Params::lenient(query);
        for value in params.all("panel") {
            for name in value.split(',') {
                if let Some(slot) = panels.slot(name.trim()) {
                    *slot = true;
                    any = true;
                }
            }
        }
        if any {
            panels
        } else {
            EmbedPanels::DEFAULT
        }
    }

    /// `panel=map,properties` for these panels (to append to an embed link); empty when they are
    /// the default.
    pub fn to_param(self) -> String {
        if self == EmbedPanels::DEFAULT {
            return String::new();
        }
        let mut copy = self;
        let names: Vec<&str> = Self::NAMES.into_iter().filter(|n| copy.slot(n).is_some_and(|b| *b)).collect();
        format!("panel={}", names.join(","))
    }
}

/// Offers `contents` as a file download.
pub fn download(filename: &str, mime: &str, contents: &str) {
    let parts = js_sys::Array::of1(&contents.into());
    let bag = web_sys::BlobPropertyBag::new();
    bag.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &bag) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Some(doc) = window().document() {
        if let Ok(a) = doc.create_element("a") {
            let a: web_sys::HtmlAnchorElement = a.unchecked_into();
            a.set_href(&url);
            a.set_download(filename);
            a.click();
        }
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embed_panels_come_from_the_query() {
        let p = EmbedPanels::from_query("?v=1&s=lock-lease&embed=1&panel=figure,caption,properties");
        assert_eq!(p, EmbedPanels { figure: true, caption: true, properties: true, ..EmbedPanels::default() });
        assert_eq!(p.to_param(), "panel=figure,caption,properties");
        assert_eq!(EmbedPanels::from_query(&format!("embed=1&{}", p.to_param())), p, "round trip");
        assert_eq!(EmbedPanels::from_query("embed=1"), EmbedPanels::DEFAULT);
        assert_eq!(EmbedPanels::from_query("panel=nonsense,"), EmbedPanels::DEFAULT);
        assert_eq!(EmbedPanels::DEFAULT.to_param(), "");
        let p = EmbedPanels::from_query("panel=map%2Cdiagram&panel=log,bogus");
        assert_eq!(p, EmbedPanels { map: true, diagram: true, log: true, ..EmbedPanels::default() });
    }

    #[test]
    fn downloads_get_safe_names() {
        assert_eq!(file_stem("../x/.bashrc"), "x-bashrc");
        assert_eq!(file_stem("a\u{202e}b\tc"), "a-b-c");
        assert_eq!(file_stem(&"k".repeat(300)).len(), 64);
        assert_eq!(file_stem("..."), "run");
    }
}

/// Where met challenges are remembered (`lesson/challenge` ids, one per line).
const CHALLENGES_KEY: &str = "caucus-challenges";

fn storage() -> Option<web_sys::Storage> {
    // Storage can be refused (a sandboxed frame, private mode): progress is then not kept.
    window().local_storage().ok().flatten()
}

/// The challenges met on an earlier visit, as `lesson/challenge`.
/// The text of `url` (relative to the page), fetched; the error says what went wrong in words.
pub async fn fetch_text(url: &str) -> Result<String, String> {
    use wasm_bindgen_futures::JsFuture;
    let said = |e: wasm_bindgen::JsValue| e.as_string().unwrap_or_else(|| format!("{url} could not be read"));
    let response =
        JsFuture::from(window().fetch_with_str(url)).await.map_err(|_| format!("{url} could not be fetched"))?;
    let response: web_sys::Response = response.dyn_into().map_err(said)?;
    if !response.ok() {
        return Err(format!("{url} answered HTTP {}", response.status()));
    }
    let text = JsFuture::from(response.text().map_err(said)?).await.map_err(said)?;
    text.as_string().ok_or_else(|| format!("{url} is not text"))
}

pub fn met_challenges() -> Vec<String> {
    let text = storage().and_then(|s| s.get_item(CHALLENGES_KEY).ok().flatten()).unwrap_or_default();
    text.lines().map(String::from).filter(|l| !l.is_empty()).collect()
}

/// Remembers a challenge met; never required (a refused storage keeps nothing).
pub fn remember_challenge(id: &str) {
    let mut all = met_challenges();
    if !all.iter().any(|c| c == id) {
        all.push(id.to_string());
        if let Some(s) = storage() {
            let _ = s.set_item(CHALLENGES_KEY, &all.join("\n"));
        }
    }
}

/// Where a run file made for another family waits while its page opens (this tab only).
const IMPORT_KEY: &str = "caucus-import";

/// Opens the page of `pack` with the run file `text`, handed over through this tab's session
/// storage (a file can be far longer than a link may be). False when that cannot be done.
pub fn import_in_pack(pack: caucus_protocols::Pack, text: &str) -> bool {
    let Some(session) = window().session_storage().ok().flatten() else { return false };
    if session.set_item(IMPORT_KEY, text).is_err() {
        return false;
    }
    open_in_pack(pack, "import=1")
}

/// The run file another page handed over with [`import_in_pack`], taken (read once).
pub fn take_import() -> Option<String> {
    let session = window().session_storage().ok().flatten()?;
    let text = session.get_item(IMPORT_KEY).ok().flatten()?;
    let _ = session.remove_item(IMPORT_KEY);
    Some(text)
}
