//! Title, scenario picker, seed, and the share/embed/help buttons.

use crate::state::{Action, Dialog, Snapshot};
use caucus_protocols::builtin_scenarios;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The picker's groups: a label and the protocols whose scenarios it lists.
const FAMILIES: &[(&str, &[&str])] = &[
    ("Failure detection", &["heartbeat"]),
    ("Leader election and consensus: Raft", &["raft"]),
    ("Atomic broadcast: Zab, under ZooKeeper", &["zab"]),
    ("Paxos and the Bully election", &["paxos", "bully"]),
    ("Consistent hashing", &["ring"]),
    ("Locks and leases", &["lock"]),
    ("Distributed transactions", &["commit"]),
    ("Load balancing", &["balance"]),
];

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub snapshot: Rc<Snapshot>,
    pub embed: bool,
    pub dispatch: Callback<Action>,
}

#[function_component(Header)]
pub fn header(p: &HeaderProps) -> Html {
    let s = &p.snapshot;
    if p.embed {
        let full = format!(
            "{}?{}",
            crate::browser::base_url(),
            crate::browser::query().trim_start_matches('?').replace("&embed=1", "")
        );
        return html! {
            <header class="topbar">
                <h1 class="brand">{"Caucus"}</h1>
                <span class="scenario-name">{ &s.scenario_name }</span>
                <a class="open-full" href={full} target="_blank" rel="noopener">{"Open in Caucus ↗"}</a>
            </header>
        };
    }
    let on_scenario = p.dispatch.reform(|e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let name = select.value();
        // Another family's entry opens its page with its first scenario.
        if let Some(pack) = name.strip_prefix("pack:").and_then(caucus_protocols::pack_of) {
            if crate::browser::open_in_pack(pack, "") {
                return Action::SetBanner(crate::state::Banner::info("Opening…"));
            }
        }
        Action::LoadScenario(name)
    });
    let on_seed = p.dispatch.reform(|e: Event| {
        let input: HtmlInputElement = e.target_unchecked_into();
        match input.value().trim().parse::<u64>() {
            Ok(seed) => Action::SetSeed(seed),
            Err(_) => Action::SetBanner(crate::state::Banner::error(
                "The seed must be a whole number from 0 to 18446744073709551615.",
            )),
        }
    });
    let seed = s.seed;
    let new_seed = p.dispatch.reform(move |_| {
        Action::SetSeed(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407) >> 33)
    });
    let open = |d: Dialog| p.dispatch.reform(move |_| Action::SetDialog(Some(d)));
    html! {
        <header class="topbar">
            <h1 class="brand">{"Caucus"}<span class="tagline">{"distributed coordination, step by step"}</span></h1>
            <label class="field">
                <span>{"Scenario"}</span>
                <select aria-label="Scenario" onchange={on_scenario}>
                    { for FAMILIES.iter().map(|(label, protocols)| {
                        let here = caucus_protocols::pack_of(protocols[0]).is_some_and(|p| p.compiled_in());
                        html! {
                            <optgroup label={*label} title={(!here).then_some("Opens the page of this family of protocols")}>
                                if here {
                                    { for builtin_scenarios().into_iter().filter(|sc| protocols.contains(&sc.protocol.name.as_str())).map(|sc| html! {
                                        <option value={sc.name.clone()} selected={sc.name == s.scenario_name} title={sc.description.clone()}>
                                            { &sc.name }
                                        </option>
                                    }) }
                                } else {
                                    <option value={format!("pack:{}", protocols[0])}>{ format!("{} ↗", protocols.join(", ")) }</option>
                                }
                            </optgroup>
                        }
                    }) }
                    if caucus_protocols::builtin(&s.scenario_name).is_none() {
                        <option value="" selected=true disabled=true>{ format!("{} (imported)", s.scenario_name) }</option>
                    }
                </select>
            </label>
            <label class="field seed">
                <span>{"Seed"}</span>
                <input type="number" min="0" aria-label="Seed" value={s.seed.to_string()} onchange={on_seed} />
            </label>
            <button aria-label="New random seed" title="A new seed: the same scenario, other random draws" onclick={new_seed}>{"New seed"}</button>
            <div class="spacer" />
            <button onclick={open(Dialog::Share)}>{"Share…"}</button>
            <button onclick={open(Dialog::Embed)}>{"Embed…"}</button>
            <button aria-label="Keyboard shortcuts and help" title="Help (?)" onclick={open(Dialog::Help)}>{"?"}</button>
            if !s.description.is_empty() { <p class="scenario-description">{ &s.description }</p> }
        </header>
    }
}
