//! One component per file; each takes a snapshot and callbacks. A pack's own panel module is
//! declared under its feature (`#[cfg(feature = "ring")] pub mod ring;`), so that the other packs
//! never compile it.

#[cfg(feature = "balance")]
pub mod balance;
pub mod caption;
#[cfg(feature = "check")]
pub mod checker;
#[cfg(feature = "commit")]
pub mod commit;
pub mod controls;
pub mod diagram;
#[cfg(feature = "election")]
pub mod election;
pub mod essay;
pub mod faults;
#[cfg(feature = "election")]
pub mod figure16;
pub mod header;
#[cfg(not(any(
    feature = "election",
    feature = "paxos",
    feature = "ring",
    feature = "lock",
    feature = "commit",
    feature = "balance",
    feature = "zab"
)))]
pub mod heartbeat;
pub mod help;
#[cfg(feature = "core")]
pub mod index;
pub mod inspector;
pub mod lesson;
#[cfg(feature = "lock")]
pub mod lock;
pub mod log;
pub mod map;
#[cfg(feature = "next")]
pub mod next_events;
#[cfg(feature = "paxos")]
pub mod paxos;
pub mod properties;
#[cfg(feature = "ring")]
pub mod ring;
pub mod share;
pub mod state_view;
#[cfg(any(feature = "lock", feature = "balance"))]
pub mod stepped;
#[cfg(feature = "zab")]
pub mod zab;

use caucus_sim::Micros;

/// `x` kept within `lo..=hi` (NaN gives `lo`). Not `f64::clamp`: its panic message prints both
/// bounds with `{:?}`, which links the whole float formatter (about 6 KB gzip) into every page
/// that calls it, and a page never needs it.
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

#[cfg(feature = "next")]
pub use caucus_sim::run::timer_words;

use yew::prelude::*;

/// Which part of a family's panel to render: its figure (beside the map, `data-figure`) or the
/// rest (settings, experiments, comparisons: below).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    Figure,
    Rest,
}

/// Moves keyboard focus into a dialog when it opens (`autofocus` does not apply to elements
/// inserted after the page loaded).
/// Term (Raft) or epoch (Zab) colours; the number is written in every cell too.
#[cfg(any(feature = "election", feature = "zab"))]
pub fn term_colour(term: u64) -> &'static str {
    const COLOURS: &[&str] = &["#dbeafe", "#dcfce7", "#fef3c7", "#ede9fe", "#fce7f3", "#cffafe", "#ecfccb", "#fee2e2"];
    COLOURS[term as usize % COLOURS.len()]
}

/// Cuts datacenter `dc` off from every other datacenter.
#[cfg(any(feature = "election", feature = "zab"))]
pub fn partition_dc(t: &caucus_sim::Topology, dc: caucus_sim::DcId) -> caucus_sim::Input {
    let others = t.datacenters.iter().filter(|d| d.id != dc).map(|d| caucus_sim::Endpoint::Dc(d.id)).collect();
    caucus_sim::Input::Partition { a: vec![caucus_sim::Endpoint::Dc(dc)], b: others, one_way: false }
}

/// Whether the element behind `node` is on screen or within a quarter of a screen of it, kept by an
/// IntersectionObserver (true until it first reports, and while there is no element). While
/// playing, a view off screen is not redrawn ([`use_frozen`]): drawing what nobody sees cost the
/// full pages their 60 Hz. The element is looked up after every render, so a view that is
/// replaced (a lesson's contrast, say) is followed. A margin of a whole screen kept the
/// space-time diagram (10,000 elements at 25 nodes) drawing every frame just below a 900 px
/// window; a quarter is still met before a scroll shows the view.
#[hook]
pub fn use_on_screen(node: &NodeRef) -> bool {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    type Watch = (web_sys::IntersectionObserver, Closure<dyn Fn(js_sys::Array)>, Option<web_sys::Element>);
    let on = use_state_eq(|| true);
    let watch = use_mut_ref(|| None::<Watch>);
    {
        let (node, on, watch) = (node.clone(), on.clone(), watch.clone());
        use_effect(move || {
            let el = node.cast::<web_sys::Element>();
            let mut w = watch.borrow_mut();
            if w.is_none() {
                let set = on.clone();
                let seen = Closure::<dyn Fn(js_sys::Array)>::new(move |entries: js_sys::Array| {
                    if let Some(e) = entries.iter().last() {
                        set.set(e.unchecked_into::<web_sys::IntersectionObserverEntry>().is_intersecting());
                    }
                });
                let init = web_sys::IntersectionObserverInit::new();
                init.set_root_margin("25% 0px");
                if let Ok(o) = web_sys::IntersectionObserver::new_with_options(seen.as_ref().unchecked_ref(), &init) {
                    *w = Some((o, seen, None));
                }
            }
            if let Some((o, _, seen)) = w.as_mut() {
                if *seen != el {
                    if let Some(old) = seen.as_ref() {
                        o.unobserve(old);
                    }
                    match &el {
                        Some(e) => o.observe(e),
                        None => on.set(true),
                    }
                    *seen = el;
                }
            }
        });
    }
    {
        let watch = watch.clone();
        use_effect_with((), move |_| {
            move || {
                if let Some((o, _, _)) = watch.borrow_mut().take() {
                    o.disconnect();
                }
            }
        });
    }
    *on
}

/// `value` while `live`, else the value of the last render that was live. Given a component's
/// `Html`, the frozen one carries the same props, so Yew skips that component's render.
#[hook]
pub fn use_frozen<T: Clone + 'static>(live: bool, value: T) -> T {
    let kept = use_mut_ref(|| value.clone());
    if live {
        *kept.borrow_mut() = value.clone();
        value
    } else {
        kept.borrow().clone()
    }
}

#[hook]
pub fn use_focus_on_open() -> NodeRef {
    let node = use_node_ref();
    {
        let node = node.clone();
        use_effect_with((), move |_| {
            if let Some(el) = node.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        });
    }
    node
}

/// Simulated time for people, compact: `1.234 s`, `40.2 ms`.
pub fn fmt_time(us: Micros) -> String {
    caucus_sim::format_micros(us)
}

/// A count with thousands separators: `1,234,567`.
pub fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One identity colour per node, the same in every view (map, diagram lanes, ring, tables,
/// charts): dark enough for 4.5:1 contrast on white and for white text on it (5:1 or more), and
/// ordered so that the first few nodes differ most. Node 12 and up reuse the colours; their
/// names are always written beside them (colour is never the only signal), and the map marks
/// the second round with an inner ring. The same list is in `static/style.css` as
/// `--node-0` to `--node-11` (a test keeps them equal).
pub const NODE_COLOURS: [&str; 12] = [
    "#1d4ed8", "#c2410c", "#047857", "#7e22ce", "#0e7490", "#be123c", "#4d7c0f", "#a21caf", "#92400e", "#4338ca",
    "#0f766e", "#be185d",
];

pub fn node_colour(id: u16) -> &'static str {
    NODE_COLOURS[id as usize % NODE_COLOURS.len()]
}

/// The colour as RGB bytes, for the ring's pixel buffer.
#[cfg_attr(not(feature = "ring"), allow(dead_code))]
pub fn node_rgb(id: u16) -> [u8; 3] {
    let hex = node_colour(id).as_bytes();
    let byte = |i: usize| {
        let d = |c: u8| (c as char).to_digit(16).unwrap_or(0) as u8;
        d(hex[i]) * 16 + d(hex[i + 1])
    };
    [byte(1), byte(3), byte(5)]
}

/// Which round of the palette a node is in (0 for n0 to n11): drawn as a mark where it matters.
pub fn node_round(id: u16) -> usize {
    id as usize / NODE_COLOURS.len()
}

/// A datacenter is shown one way everywhere: its glyph and its name (`▲ ap-southeast-1`), and on
/// the map the box that holds its nodes. The glyphs are also the ring's token shapes.
pub const DC_GLYPHS: [&str; 8] = ["●", "■", "▲", "▼", "◐", "▣", "◉", "◈"];

pub fn dc_glyph(dc: u16) -> &'static str {
    DC_GLYPHS[dc as usize % DC_GLYPHS.len()]
}

/// `▲ ap-southeast-1`: how a node's datacenter is written wherever a node is listed.
pub fn dc_label(glyph_of: u16, name: &str) -> String {
    format!("{} {name}", dc_glyph(glyph_of))
}

/// A node's name with its colour swatch and, when given, its datacenter (`■ n3 ▲ ap-southeast-1`).
pub fn node_chip(id: u16, name: &str, dc: Option<(u16, &str)>) -> Html {
    html! {
        <span class="node-chip" data-node={id.to_string()}>
            <span class="swatch" aria-hidden="true" style={format!("background:{}", node_colour(id))} />
            <span class="name">{ name }</span>
            if let Some((d, dc_name)) = dc { <span class="dc-tag">{ dc_label(d, dc_name) }</span> }
        </span>
    }
}

/// [`node_chip`] without a datacenter, as markup text, for views written as text.
pub fn node_chip_markup(id: u16, name: &str) -> String {
    format!(
        r#"<span class="node-chip" data-node="{id}"><span class="swatch" aria-hidden="true" style="background:{}"></span><span class="name">{}</span></span>"#,
        node_colour(id),
        esc(name)
    )
}

/// Text for markup written by hand: `&`, `<` and `>` escaped (names, labels and the commands
/// users type).
pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod palette_tests {
    use super::*;

    #[test]
    fn the_stylesheet_has_the_same_node_colours() {
        let css = include_str!("../../static/style.css");
        for (i, c) in NODE_COLOURS.iter().enumerate() {
            assert!(css.contains(&format!("--node-{i}: {c};")), "--node-{i} should be {c}");
        }
    }

    #[test]
    fn rgb_matches_the_hex() {
        assert_eq!(node_rgb(0), [0x1d, 0x4e, 0xd8]);
        assert_eq!(node_rgb(13), [0xc2, 0x41, 0x0c]);
        assert_eq!(node_round(13), 1);
    }
}
