//! One component per file; each takes a snapshot and callbacks. A pack's own panel module is
//! declared under its feature (`#[cfg(feature = "ring")] pub mod ring;`), so that the other packs
//! never compile it.

#[cfg(feature = "commit")]
pub mod commit;
pub mod controls;
pub mod diagram;
#[cfg(feature = "election")]
pub mod election;
pub mod faults;
pub mod header;
pub mod help;
#[cfg(feature = "core")]
pub mod index;
pub mod inspector;
#[cfg(feature = "lock")]
pub mod lock;
pub mod log;
pub mod map;
pub mod properties;
#[cfg(feature = "ring")]
pub mod ring;
pub mod share;

use caucus_sim::Micros;
use yew::prelude::*;

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

/// A colour per datacenter (paired with text labels everywhere: colour is never the only signal).
pub const DC_COLOURS: &[&str] =
    &["#2563eb", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626"];

pub fn dc_colour(dc: u16) -> &'static str {
    DC_COLOURS[dc as usize % DC_COLOURS.len()]
}
