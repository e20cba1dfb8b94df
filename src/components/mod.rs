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
    feature = "balance"
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
