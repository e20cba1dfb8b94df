//! Faults on datacenters: partitions (both ways or one way), heal, and each link's latency and loss.

use crate::state::{Action, Cut, Snapshot};
use caucus_sim::{decimal, DcId, Endpoint, Input};
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct FaultsProps {
    pub snapshot: Rc<Snapshot>,
    pub dispatch: Callback<Action>,
}

#[function_component(FaultsPanel)]
pub fn faults_panel(p: &FaultsProps) -> Html {
    let s = &p.snapshot;
    let t = &s.topology;
    let dcs = t.datacenters.len() as DcId;
    let side_a = use_state(|| 0 as DcId);
    // `None` on side B means "every other datacenter".
    let side_b = use_state(|| None::<DcId>);
    let one_way = use_state(|| false);
    let link_from = use_state(|| 0 as DcId);
    let link_to = use_state(|| if dcs > 1 { 1 } else { 0 } as DcId);
    let latency_ms = use_state(|| None::<f64>);
    let loss_pct = use_state(|| 0.0f64);

    let pick = |state: UseStateHandle<DcId>| {
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            state.set(sel.value().parse().unwrap_or(0));
        })
    };
    let dc_options = |selected: DcId| {
        t.datacenters
            .iter()
            .map(move |d| html! { <option value={d.id.to_string()} selected={d.id == selected}>{ &d.name }</option> })
            .collect::<Html>()
    };
    let partition = {
        let (a, b, one_way) = (*side_a, *side_b, *one_way);
        let others: Vec<Endpoint> = (0..dcs).filter(|&x| x != a).map(Endpoint::Dc).collect();
        p.dispatch.reform(move |_| {
            let b = match b {
                Some(b) => vec![Endpoint::Dc(b)],
                None => others.clone(),
            };
            Action::Apply(Input::Partition { a: vec![Endpoint::Dc(a)], b, one_way })
        })
    };
    let current = s.link(*link_from, *link_to);
    let shown_latency = latency_ms.unwrap_or(current.latency_us as f64 / 1000.0);
    let set_link = {
        let (from, to, loss) = (*link_from, *link_to, *loss_pct);
        let jitter = current.jitter_us as i64;
        p.dispatch.reform(move |_| {
            Action::Apply(Input::SetLink {
                from,
                to,
                latency_us: (shown_latency * 1000.0).round() as i64,
                jitter_us: jitter,
                loss_ppm: crate::components::clamp((loss * 10_000.0).round(), 0.0, 1_000_000.0) as u32,
                one_way: false,
            })
        })
    };
    let any_cut = s.cut.iter().any(|c| *c != Cut::None);
    html! {
        <section class="panel faults" aria-label="Network faults">
            <h2>{"Network"}</h2>
            if dcs > 1 {
                <fieldset>
                    <legend>{"Partition"}</legend>
                    <div class="row">
                        <label class="inline"><span>{"Cut"}</span>
                            <select aria-label="Partition side A" onchange={pick(side_a.clone())}>{ dc_options(*side_a) }</select></label>
                        <label class="inline"><span>{"from"}</span>
                            <select aria-label="Partition side B" onchange={{
                                let side_b = side_b.clone();
                                Callback::from(move |e: Event| {
                                    let sel: HtmlSelectElement = e.target_unchecked_into();
                                    side_b.set(sel.value().parse().ok());
                                })
                            }}>
                                <option value="all" selected={side_b.is_none()}>{"every other datacenter"}</option>
                                { for t.datacenters.iter().filter(|d| d.id != *side_a).map(|d| html! {
                                    <option value={d.id.to_string()} selected={*side_b == Some(d.id)}>{ &d.name }</option>
                                }) }
                            </select></label>
                    </div>
                    <div class="row">
                        <label class="inline"><input type="checkbox" checked={*one_way} onchange={{
                            let one_way = one_way.clone();
                            Callback::from(move |e: Event| one_way.set(e.target_unchecked_into::<HtmlInputElement>().checked()))
                        }} /><span>{"one way only (A cannot send to B)"}</span></label>
                    </div>
                    <div class="row">
                        <button onclick={partition}>{"Partition"}</button>
                        <button disabled={!any_cut} onclick={p.dispatch.reform(|_| Action::Apply(Input::Heal))}>{"Heal"}</button>
                        <button title="Heal partitions, restore links, restart crashed nodes, end pauses, reset clocks"
                            onclick={p.dispatch.reform(|_| Action::Apply(Input::HealAll))}>{"Heal everything"}</button>
                    </div>
                </fieldset>
            } else {
                <div class="row">
                    <button onclick={p.dispatch.reform(|_| Action::Apply(Input::HealAll))}>{"Heal everything"}</button>
                </div>
            }
            <fieldset>
                <legend>{"Link latency and loss"}</legend>
                <div class="row">
                    <label class="inline"><span>{"From"}</span>
                        <select aria-label="Link from datacenter" onchange={pick(link_from.clone())}>{ dc_options(*link_from) }</select></label>
                    <label class="inline"><span>{"to"}</span>
                        <select aria-label="Link to datacenter" onchange={pick(link_to.clone())}>{ dc_options(*link_to) }</select></label>
                </div>
                <div class="row">
                    <label class="inline"><span>{"one-way ms"}</span>
                        <input type="number" min="0" step="0.1" aria-label="One-way latency in milliseconds" value={decimal(shown_latency, 1)}
                            onchange={{
                                let latency_ms = latency_ms.clone();
                                Callback::from(move |e: Event| {
                                    let v = e.target_unchecked_into::<HtmlInputElement>().value_as_number();
                                    latency_ms.set((v.is_finite() && v >= 0.0).then_some(v))
                                })
                            }} /></label>
                    <label class="inline"><span>{"loss %"}</span>
                        <input type="number" min="0" max="100" step="1" aria-label="Loss in percent" value={decimal(*loss_pct, 0)}
                            onchange={{
                                let loss_pct = loss_pct.clone();
                                Callback::from(move |e: Event| {
                                    let v = e.target_unchecked_into::<HtmlInputElement>().value_as_number();
                                    loss_pct.set(if v.is_finite() { crate::components::clamp(v, 0.0, 100.0) } else { 0.0 })
                                })
                            }} /></label>
                    <button onclick={set_link}>{"Set link"}</button>
                </div>
            </fieldset>
        </section>
    }
}
