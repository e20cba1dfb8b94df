//! The few things the app asks of the browser: the URL, the clipboard, downloads, media queries,
//! and a panic hook that never leaves a dead page.

use wasm_bindgen::JsCast;

pub fn window() -> web_sys::Window {
    web_sys::window().expect("a browser window")
}

/// Shows a panic in the page (and the console) instead of freezing silently.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = format!("Caucus hit a bug and stopped: {info}. Reload the page to start again; the link in the address bar keeps your run.");
        web_sys::console::error_1(&text.clone().into());
        if let Some(el) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("panic")) {
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
    let url = format!("{up}{}?{}", pack.dir(), query.trim_start_matches('?'));
    window().location().assign(&url).is_ok()
}

/// Milliseconds since the page started (to bound work per slice, never to drive a simulation).
#[cfg_attr(not(feature = "election"), allow(dead_code))]
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
        let url = format!("{}?{query}", window().location().pathname().unwrap_or_default());
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
