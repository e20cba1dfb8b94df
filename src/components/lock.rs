//! The lock pack's panel: the clients and what each believes, the holder with its lease counting
//! down at the service, the contenders the service turned away, the storage's log with stale
//! writes marked as the violations they are, metrics (waits per datacenter, throughput, wasted
//! retries, a fairness chart), presenter shortcuts, and a table comparing the variants on the
//! same seed. Compiled only into the lock pack.

use crate::components::stepped::{use_stepped, Job};
use crate::components::{dc_label, fmt_time, node_chip, node_colour, Part};
use crate::state::{Action, Banner, RunRef};
use caucus_protocols::lock::{self, znode_name, Layout, Lock, Phase, Storage, Summary, Variant, Verdict};
use caucus_sim::{decimal, Input, Micros, NodeId, Run, Scenario, Sim, Status, SEC};
use std::rc::Rc;
use yew::prelude::*;

/// Storage log rows shown (the newest).
const LOG_ROWS: usize = 12;
/// Simulated time each comparison run covers.
const COMPARE_US: Micros = 30 * SEC;

#[derive(Properties, PartialEq)]
pub struct LockProps {
    pub run: RunRef,
    /// Re-render when the run changes.
    pub version: u64,
    pub dispatch: Callback<Action>,
    /// The figure (beside the map) or the rest of the panel (below).
    pub part: Part,
}

#[function_component(LockPanel)]
pub fn lock_panel(p: &LockProps) -> Html {
    let run = p.run.0.borrow();
    let Some(r) = run.as_any().downcast_ref::<Run<Lock>>() else {
        return html! {};
    };
    let sim = r.sim();
    let params = sim.params().clone();
    let Some(layout) = Layout::of(sim.topology(), &params) else {
        return html! {};
    };
    let base = Rc::new(caucus_sim::DynRun::scenario(r).clone());
    let clients = client_rows(sim, &layout);
    if p.part == Part::Rest {
        return html! {
            <>
                { metrics(sim, &layout, &clients) }
                <VariantSettings key={format!("v{}", base.name)} base={base.clone()} variant={params.variant} retry={params.retry} dispatch={p.dispatch.clone()} />
                <Compare key={format!("c{}", base.name)} seed={base.seed} />
            </>
        };
    }
    html! {
        <div class="figure" data-figure="lock">
            <section class="panel lockp" aria-label="Lock: clients, holder and storage">
                <h2>{"Lock"}<span class="sub">{ format!("variant {} · retry {}", params.variant.word(), params.retry.word()) }</span></h2>
                if params.variant == Variant::Zookeeper {
                    { zk_service(sim, &layout) }
                } else {
                    { holder_line(sim, &layout) }
                }
                { overlap_line(&clients) }
                { shortcuts(sim, &clients, &p.dispatch) }
                { clients_table(sim, &clients, &p.dispatch) }
                if params.variant != Variant::Zookeeper {
                    { contenders(sim, &layout) }
                }
                { storage_log(sim, &layout) }
            </section>
        </div>
    }
}

/// What the panel knows of one client.
#[derive(Clone, PartialEq)]
struct ClientRow {
    id: NodeId,
    name: String,
    dc: u16,
    status: Status,
    state: Option<lock::Client>,
    /// Holds by its own belief while the services no longer agree.
    believes_only: bool,
    /// Holds by its belief and the services agree.
    holds: bool,
}

impl ClientRow {
    /// The state word the issue names: waiting, holding, paused, believes it holds…
    fn word(&self) -> String {
        let Some(c) = &self.state else { return self.status.word().to_string() };
        let base = if self.believes_only {
            "believes it holds (the lock passed on)".to_string()
        } else if self.holds {
            match c.phase {
                Phase::Writing => "holding · writing".into(),
                _ => "holding".into(),
            }
        } else {
            match c.phase {
                Phase::Idle => "idle".into(),
                Phase::Acquiring => "waiting · asking".into(),
                Phase::Sleeping => "waiting · sleeping".into(),
                Phase::Waiting => "waiting · for a notification".into(),
                Phase::Working | Phase::Writing => "holding".into(),
            }
        };
        if self.status == Status::Paused {
            format!("paused · {base}")
        } else {
            base
        }
    }
}

/// Whether the lock services (a majority of them) still hold this client's value unexpired; for
/// ZooKeeper, whether the client's lock node is still the lowest child of `/lock`.
fn services_agree(sim: &Sim<Lock>, layout: &Layout, client: NodeId, value: u64) -> bool {
    if sim.params().variant == Variant::Zookeeper {
        let mine = match sim.state(client) {
            Some(Lock::Client(c)) => c.zk.node.map(|(seq, _)| seq),
            _ => None,
        };
        return match (sim.state(layout.servers[0]), mine) {
            (Some(Lock::Server(srv)), Some(seq)) => {
                srv.zk.nodes.first().is_some_and(|n| n.seq == seq && n.owner == client)
            }
            _ => false,
        };
    }
    let holding = layout
        .servers
        .iter()
        .filter(|&&s| match sim.state(s) {
            Some(Lock::Server(srv)) => srv.held.as_ref().is_some_and(|g| {
                g.client == client && g.value == value && g.expires_at.is_none_or(|t| t > sim.local_time(s))
            }),
            _ => false,
        })
        .count();
    holding > layout.servers.len() / 2
}

fn client_rows(sim: &Sim<Lock>, layout: &Layout) -> Vec<ClientRow> {
    let t = sim.topology();
    layout
        .clients
        .iter()
        .map(|&c| {
            let state = match sim.state(c) {
                Some(Lock::Client(cl)) => Some(cl.clone()),
                _ => None,
            };
            let in_section = state.as_ref().is_some_and(|cl| cl.phase.holds());
            let agree = state.as_ref().is_some_and(|cl| services_agree(sim, layout, c, cl.value));
            ClientRow {
                id: c,
                name: t.nodes[c as usize].name.clone(),
                dc: t.dc_of(c),
                status: sim.status(c),
                believes_only: in_section && !agree,
                holds: in_section && agree,
                state,
            }
        })
        .collect()
}

fn holder_line(sim: &Sim<Lock>, layout: &Layout) -> Html {
    let t = sim.topology();
    let items = layout.servers.iter().map(|&s| {
        let name = &t.nodes[s as usize].name;
        let text = match sim.state(s) {
            None => format!("{name}: {}", sim.status(s).word()),
            Some(Lock::Server(srv)) => match &srv.held {
                None => format!("{name}: free (last token t{})", srv.counter),
                Some(g) => {
                    let left = match g.expires_at {
                        None => "no expiry".to_string(),
                        Some(end) => {
                            let now = sim.local_time(s);
                            if end > now {
                                format!("lease {} left", fmt_time(end - now))
                            } else {
                                "lease over".into()
                            }
                        }
                    };
                    format!("{name}: held by {} with t{} · {left}", t.nodes[g.client as usize].name, g.token)
                }
            },
            Some(_) => String::new(),
        };
        let lease = match sim.state(s) {
            Some(Lock::Server(srv)) => srv.held.as_ref().and_then(|g| {
                let end = g.expires_at?;
                let now = sim.local_time(s);
                let ttl = sim.params().ttl_us.max(1);
                Some(end.saturating_sub(now).min(ttl) as f64 / ttl as f64)
            }),
            _ => None,
        };
        html! {
            <li>
                { text }
                if let Some(f) = lease {
                    <meter class="lease" min="0" max="1" value={decimal(f, 3)} aria-label={format!("Lease left at {name}")} />
                }
            </li>
        }
    });
    html! { <ul class="holders" data-row="services" aria-label="Lock services and their holders">{ for items }</ul> }
}

/// The ZooKeeper-like service: its sessions with the time each has left, and the children of
/// `/lock` in sequence order, the lowest holding the lock and each other watching the node
/// just before it (the chain that wakes one waiter per release).
fn zk_service(sim: &Sim<Lock>, layout: &Layout) -> Html {
    let t = sim.topology();
    let s = layout.servers[0];
    let name = |n: NodeId| t.nodes[n as usize].name.clone();
    let Some(Lock::Server(srv)) = sim.state(s) else {
        return html! {
            <p class="holders" data-row="services">{ format!("{}: {} (the ZooKeeper service)", name(s), sim.status(s).word()) }</p>
        };
    };
    let zk = &srv.zk;
    let now = sim.local_time(s);
    let timeout = sim.params().session_timeout_us.max(1);
    let sessions = zk.sessions.iter().map(|x| {
        let since = now.saturating_sub(x.last_ping);
        let left = timeout.saturating_sub(since);
        html! {
            <li>
                { format!("s{} {} · pinged {} ago", x.id, name(x.client), fmt_time(since)) }
                <meter class="lease" min="0" max={timeout.to_string()} value={left.to_string()}
                    aria-label={format!("Session s{} of {}: {} left before it expires", x.id, name(x.client), fmt_time(left))} />
            </li>
        }
    });
    let nodes = zk.nodes.iter().enumerate().map(|(i, n)| {
        let watcher = zk.watches.iter().find(|w| w.seq == n.seq).map(|w| name(w.watcher));
        let role = if i == 0 {
            "◆ lowest: holds the lock".to_string()
        } else {
            let before = &zk.nodes[i - 1];
            let watching = zk.watches.iter().any(|w| w.watcher == n.owner && w.seq == before.seq);
            if watching {
                format!("waits: watches {}", znode_name(before.seq))
            } else {
                "waits: setting its watch".to_string()
            }
        };
        let class = classes!((i == 0).then_some("first"));
        html! {
            <li class={class}>
                <code>{ znode_name(n.seq) }</code>
                { " " }{ node_chip(n.owner, &name(n.owner), None) }
                <span class="czxid">{ format!("czxid {}", n.czxid) }</span>
                <span class="zrole">{ role }</span>
                if let Some(w) = watcher {
                    <span class="watched">{ format!("watched by {w}") }</span>
                }
            </li>
        }
    });
    let herd = match zk.max_fires {
        0 => "no watch has fired yet".to_string(),
        1 => "each deletion fired one watch: no herd".to_string(),
        m => format!("⚠ one deletion fired {m} watches: a herd"),
    };
    html! {
        <div class="zk" data-row="services">
            <h3>{ format!("{}: ZooKeeper-like service", name(s)) }
                <span class="sub">{ format!("zxid {} · {} release{}, {} wake-up{} · {herd}", srv.counter, srv.releases,
                    if srv.releases == 1 { "" } else { "s" }, srv.wakeups, if srv.wakeups == 1 { "" } else { "s" }) }</span></h3>
            <div class="zk-cols">
                <div data-row="znodes">
                    <h4>{"Children of /lock (ephemeral, sequential)"}</h4>
                    if zk.nodes.is_empty() {
                        <p class="hint">{"None: nobody holds or wants the lock."}</p>
                    } else {
                        <ol class="znodes" aria-label="Lock nodes in sequence order">{ for nodes }</ol>
                    }
                </div>
                <div data-row="sessions">
                    <h4>{ format!("Sessions (timeout {}; {} expired)", fmt_time(timeout), zk.sessions_expired) }</h4>
                    <ul class="holders sessions" aria-label="Sessions and the time each has left">{ for sessions }</ul>
                </div>
            </div>
        </div>
    }
}

fn overlap_line(clients: &[ClientRow]) -> Html {
    let inside: Vec<&ClientRow> =
        clients.iter().filter(|c| c.state.as_ref().is_some_and(|s| s.phase.holds())).collect();
    if inside.len() < 2 {
        return html! {};
    }
    let names: Vec<String> = inside.iter().map(|c| c.name.clone()).collect();
    html! {
        <p class="overlap" data-row="overlap" role="status">
            <strong>{"⚠ Overlapping critical sections: "}</strong>
            { format!("{} each believe they hold the lock right now. ", names.join(" and ")) }
            { "Whichever writes last with an older token makes a stale write; fencing would reject it." }
        </p>
    }
}

fn shortcuts(sim: &Sim<Lock>, clients: &[ClientRow], dispatch: &Callback<Action>) -> Html {
    // The holder the service agrees with; else one that only believes it holds.
    let holder = clients.iter().find(|c| c.holds).or_else(|| clients.iter().find(|c| c.believes_only)).map(|c| c.id);
    let up = holder.is_some_and(|h| sim.status(h) == Status::Up);
    let act = |input: Option<Input>| {
        dispatch.reform(move |_| match input.clone() {
            Some(i) => Action::Apply(i),
            None => Action::SetBanner(Banner::error("Nobody holds the lock right now.")),
        })
    };
    let pause = act(holder.map(|node| Input::Pause { node, duration_us: 2 * SEC }));
    let skew = act(holder.map(|node| Input::Skew { node, by_us: -2_000_000 }));
    let crash = act(holder.map(|node| Input::Crash { node }));
    let zk = sim.params().variant == Variant::Zookeeper;
    let pause_why = if zk {
        "Stop the holder for 2 s, as a long GC pause would: it stops pinging, its session expires and its lock node goes, while it still believes it holds the lock"
    } else {
        "Stop the holder for 2 s, as a long GC pause would: its lease runs out while it still believes it holds the lock"
    };
    let crash_why = match sim.params().variant {
        Variant::Setnx => "Crash the holder: without expiry nobody can take the lock again",
        Variant::Zookeeper => {
            "Crash the holder: its session expires, its ephemeral node is deleted and the next waiter's watch fires"
        }
        _ => "Crash the holder: its lease runs out and the lock passes on",
    };
    html! {
        <div class="row presenter" role="group" aria-label="Presenter shortcuts">
            <button onclick={pause} disabled={!up} title={pause_why}>{"GC-pause the holder 2 s"}</button>
            <button onclick={skew} disabled={!up} title="Jump the holder's clock 2 s back: by its clock its work and lease last 2 s longer">{"Holder's clock −2 s"}</button>
            <button onclick={crash} disabled={!up} title={crash_why}>{"Crash the holder"}</button>
        </div>
    }
}

fn clients_table(sim: &Sim<Lock>, clients: &[ClientRow], dispatch: &Callback<Action>) -> Html {
    let t = sim.topology();
    let instances = sim.params().instances as usize;
    let multi = sim.params().variant == Variant::Redlock;
    let zk = sim.params().variant == Variant::Zookeeper;
    let rows = clients.iter().map(|c| {
        let dc = &t.datacenters[c.dc as usize].name;
        let (token, lease, acq, wasted, wait) = match &c.state {
            None => (String::new(), String::new(), String::new(), String::new(), String::new()),
            Some(s) => {
                let token = if s.phase.holds() { s.token.label(if multi { instances } else { 1 }) } else { String::new() };
                let lease = if zk {
                    match s.zk.session {
                        Some(id) => format!("s{id}"),
                        None if s.zk.connecting => "connecting".into(),
                        None => "none".into(),
                    }
                } else {
                    match (s.phase.holds(), s.valid_until) {
                    (true, Some(end)) => {
                        let now = sim.local_time(c.id);
                        if end > now { format!("{} left", fmt_time(end - now)) } else { "over".into() }
                    }
                    (true, None) => "no expiry".into(),
                    _ => String::new(),
                    }
                };
                let wait = s.stats.total_wait_us.checked_div(s.stats.acquisitions).map(fmt_time).unwrap_or_default();
                (token, lease, s.stats.acquisitions.to_string(), s.stats.failed_attempts.to_string(), wait)
            }
        };
        let idle = c.status == Status::Up && c.state.as_ref().is_some_and(|s| s.phase == Phase::Idle);
        let node = c.id;
        let acquire = dispatch.reform(move |_| {
            Action::Apply(Input::Request { node, request: serde_json::to_value(lock::Request::Acquire).unwrap_or_default() })
        });
        let class = classes!(
            c.believes_only.then_some("believes"),
            c.holds.then_some("holds"),
            (c.status != Status::Up).then_some("down")
        );
        html! {
            <tr class={class}>
                <th scope="row">{ node_chip(c.id, &c.name, None) }</th>
                <td>{ dc_label(c.dc, dc) }</td>
                <td class="word">{ c.word() }</td>
                <td>{ token }</td>
                <td>{ lease }</td>
                <td class="num">{ acq }</td>
                <td class="num">{ wasted }</td>
                <td class="num">{ wait }</td>
                <td><button class="small" disabled={!idle} onclick={acquire} aria-label={format!("{} takes the lock now", c.name)}>{"acquire"}</button></td>
            </tr>
        }
    });
    html! {
        <div class="scroll" data-row="clients"><table class="state-table clients">
            <caption>{"Clients: what each believes. \"Believes it holds\" means its own clock says it holds the lock but the lock service has let it go."}</caption>
            <thead><tr>
                <th scope="col">{"client"}</th><th scope="col">{"datacenter"}</th><th scope="col">{"state"}</th>
                <th scope="col">{ if zk { "token (czxid)" } else { "token" } }</th><th scope="col">{ if zk { "session" } else { "lease (its clock)" } }</th><th scope="col">{"acquired"}</th>
                <th scope="col">{"wasted retries"}</th><th scope="col">{"mean wait"}</th><th scope="col">{"request"}</th>
            </tr></thead>
            <tbody>{ for rows }</tbody>
        </table></div>
    }
}

fn contenders(sim: &Sim<Lock>, layout: &Layout) -> Html {
    let t = sim.topology();
    let first = layout.servers[0];
    let list = match sim.state(first) {
        Some(Lock::Server(s)) => s.contenders.clone(),
        _ => Vec::new(),
    };
    let names: Vec<String> = list.iter().map(|&c| t.nodes[c as usize].name.clone()).collect();
    let text = if names.is_empty() { "nobody".to_string() } else { names.join(" → ") };
    html! {
        <p class="queue" data-row="contenders">
            <strong>{ format!("Contenders at {}: ", t.nodes[first as usize].name) }</strong>
            <span class="names">{ text }</span>
            <span class="hint">{" (turned away since the last grant, in order. Redis keeps no queue: whoever asks first after the release wins.)"}</span>
        </p>
    }
}

fn storage_of(sim: &Sim<Lock>, node: NodeId) -> Option<Storage> {
    match (sim.state(node), sim.durable(node)) {
        (Some(Lock::Storage(s)), _) => Some(s.clone()),
        (None, Some(lock::Durable::Storage(s))) => Some(s),
        _ => None,
    }
}

fn storage_log(sim: &Sim<Lock>, layout: &Layout) -> Html {
    let t = sim.topology();
    let Some(s) = storage_of(sim, layout.storage) else { return html! {} };
    let instances = layout.servers.len();
    let first = s.log.len().saturating_sub(LOG_ROWS);
    let rows = s.log.iter().enumerate().skip(first).map(|(i, e)| {
        let (class, verdict) = match e.verdict {
            Verdict::Accepted => ("ok", "accepted".to_string()),
            Verdict::AcceptedStale => {
                ("stale", "⚠ ACCEPTED — stale lock: a newer holder had already written (violation)".to_string())
            }
            Verdict::Rejected => ("rejected", "✕ rejected by fencing: older token".to_string()),
        };
        html! {
            <tr class={class}>
                <td class="num">{ s.dropped + i as u64 + 1 }</td>
                <td>{ node_chip(e.client, &t.nodes[e.client as usize].name, None) }</td>
                <td>{ e.token.label(instances) }</td>
                <td>{ verdict }</td>
                <td class="num">{ fmt_time(e.at_us) }</td>
            </tr>
        }
    });
    let summary = format!(
        "{} accepted, {} rejected, {} stale write{} accepted",
        s.accepted,
        s.rejected,
        s.stale_accepted,
        if s.stale_accepted == 1 { "" } else { "s" }
    );
    html! {
        <div class="storage" data-row="storage">
            <h3>{ format!("Storage log at {}", t.nodes[layout.storage as usize].name) }<span class="sub">{ summary }</span></h3>
            if s.log.is_empty() {
                <p class="hint">{"No writes yet."}</p>
            } else {
                <div class="scroll"><table class="state-table log">
                    <caption>{ if sim.params().variant == Variant::Fencing {
                        "The storage checks tokens: a write older than one it accepted is rejected."
                    } else if sim.params().zxid_fencing {
                        "The storage checks each write's czxid, the zxid of the transaction that created the writer's lock node: a write older than one it accepted is rejected."
                    } else {
                        "The storage does not check tokens; they are shown so that you can see which writes came from a stale lock."
                    } }</caption>
                    <thead><tr><th scope="col">{"#"}</th><th scope="col">{"client"}</th><th scope="col">{"token"}</th><th scope="col">{"verdict"}</th><th scope="col">{"at (storage clock)"}</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table></div>
            }
        </div>
    }
}

fn metrics(sim: &Sim<Lock>, layout: &Layout, clients: &[ClientRow]) -> Html {
    let t = sim.topology();
    let stats: Vec<(NodeId, u16, lock::ClientStats)> = clients
        .iter()
        .filter_map(|c| {
            let s = match (&c.state, sim.durable(c.id)) {
                (Some(s), _) => s.stats.clone(),
                (None, Some(lock::Durable::Client(s))) => s,
                _ => return None,
            };
            Some((c.id, c.dc, s))
        })
        .collect();
    let per_dc = t.datacenters.iter().filter_map(|d| {
        let mine: Vec<&lock::ClientStats> = stats.iter().filter(|(_, dc, _)| *dc == d.id).map(|(_, _, s)| s).collect();
        if mine.is_empty() {
            return None;
        }
        let acq: u64 = mine.iter().map(|s| s.acquisitions).sum();
        let waited: u64 = mine.iter().map(|s| s.total_wait_us).sum();
        let wasted: u64 = mine.iter().map(|s| s.failed_attempts).sum();
        Some(html! {
            <tr>
                <th scope="row">{ dc_label(d.id, &d.name) }</th>
                <td class="num">{ mine.len() }</td>
                <td class="num">{ acq }</td>
                <td class="num">{ waited.checked_div(acq).map(fmt_time).unwrap_or_else(|| "–".into()) }</td>
                <td class="num">{ wasted }</td>
            </tr>
        })
    });
    let accepted = storage_of(sim, layout.storage).map_or(0, |s| s.accepted);
    let now = sim.now().max(1);
    let per_min = accepted as f64 * 60.0 * SEC as f64 / now as f64;
    let wasted: u64 = stats.iter().map(|(_, _, s)| s.failed_attempts).sum();
    let acquired: u64 = stats.iter().map(|(_, _, s)| s.acquisitions).sum();
    html! {
        <section class="panel lock-metrics" aria-label="Lock metrics">
            <h2>{"Metrics"}</h2>
            <p class="figures">
                <span>{ format!("Throughput: {accepted} writes in {} ({} per minute)", fmt_time(sim.now()), decimal(per_min, 1)) }</span>
                <span>{ format!("Wasted retries: {wasted} (for {acquired} acquisitions)") }</span>
            </p>
            if stats.is_empty() {
                <p class="hint">{"No client has started yet."}</p>
            } else {
            <table class="state-table">
                <caption>{"Acquisition latency per client datacenter: from wanting the lock to holding it. Clients near the lock service win more often."}</caption>
                <thead><tr><th scope="col">{"datacenter"}</th><th scope="col">{"clients"}</th><th scope="col">{"acquisitions"}</th><th scope="col">{"mean wait"}</th><th scope="col">{"wasted retries"}</th></tr></thead>
                <tbody>{ for per_dc }</tbody>
            </table>
            }
            { fairness(sim, &stats) }
        </section>
    }
}

/// Acquisitions per client as SVG bars, each labelled with its count and datacenter.
fn fairness(sim: &Sim<Lock>, stats: &[(NodeId, u16, lock::ClientStats)]) -> Html {
    if stats.is_empty() {
        return html! {};
    }
    let t = sim.topology();
    let top = stats.iter().map(|(_, _, s)| s.acquisitions).max().unwrap_or(0).max(1) as f64;
    let (w, row) = (560.0, 20.0);
    let left = 160.0;
    let h = row * stats.len() as f64 + 6.0;
    let bars = stats.iter().enumerate().map(|(i, (id, dc, s))| {
        let y = 3.0 + i as f64 * row;
        let bw = s.acquisitions as f64 / top * (w - left - 50.0);
        let label = format!("{} ({})", t.nodes[*id as usize].name, dc_label(*dc, &t.datacenters[*dc as usize].name));
        html! {
            <g>
                <text x="4" y={decimal(y + 13.0, 1)}>{ label.clone() }</text>
                <rect x={decimal(left, 1)} y={decimal(y + 2.0, 1)} width={decimal(bw.max(1.0), 1)} height={decimal(row - 6.0, 1)}
                    style={format!("fill:{}", node_colour(*id))}>
                    <title>{ format!("{label}: {} acquisitions", s.acquisitions) }</title>
                </rect>
                <text x={decimal(left + bw + 4.0, 1)} y={decimal(y + 13.0, 1)}>{ s.acquisitions }</text>
            </g>
        }
    });
    let counts: Vec<String> =
        stats.iter().map(|(id, _, s)| format!("{} {}", t.nodes[*id as usize].name, s.acquisitions)).collect();
    html! {
        <figure class="fairness scroll">
            <svg viewBox={format!("0 0 {} {}", w as u32, h as u32)} role="img"
                aria-label={format!("Fairness: acquisitions per client. {}", counts.join(", "))}>
                { for bars }
            </svg>
            <figcaption>{"Fairness: acquisitions per client (bar colour = the client's own colour, as on the map; its name and datacenter on the left)."}</figcaption>
        </figure>
    }
}

// ---- switching variants ---------------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct SettingsProps {
    base: Rc<Scenario>,
    variant: Variant,
    retry: lock::Retry,
    dispatch: Callback<Action>,
}

/// Restarts the scenario with another variant or retry strategy (same topology, seed and faults).
#[function_component(VariantSettings)]
fn variant_settings(p: &SettingsProps) -> Html {
    let variant = use_state(|| p.variant);
    let retry = use_state(|| p.retry);
    let on_variant = {
        let variant = variant.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(x) = Variant::ALL.into_iter().find(|x| x.word() == v) {
                variant.set(x);
            }
        })
    };
    let on_retry = {
        let retry = retry.clone();
        Callback::from(move |e: Event| {
            let v = e.target_unchecked_into::<web_sys::HtmlSelectElement>().value();
            if let Some(x) = RETRIES.into_iter().find(|x| x.word() == v) {
                retry.set(x);
            }
        })
    };
    let apply = {
        let (variant, retry) = (*variant, *retry);
        let base = p.base.clone();
        p.dispatch.reform(move |_| {
            let mut scenario = (*base).clone();
            let mut params = match scenario.protocol.params.clone() {
                serde_json::Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            params.insert("variant".into(), serde_json::json!(variant.word()));
            params.insert("retry".into(), serde_json::json!(retry.word()));
            scenario.protocol.params = serde_json::Value::Object(params);
            if !scenario.name.ends_with("-edited") {
                scenario.name = format!("{}-edited", scenario.name);
                scenario.description = format!("With edited parameters. Originally: {}", scenario.description);
            }
            match caucus_protocols::build(&scenario) {
                Ok(run) => Action::Load(run, Banner::info("Restarted with the variant and retry strategy you chose.")),
                Err(e) => Action::SetBanner(Banner::error(format!("This combination cannot run here: {e}"))),
            }
        })
    };
    html! {
        <details class="panel settings">
            <summary>{"Variant and retry strategy"}</summary>
            <div class="row">
                <label class="field"><span>{"Variant"}</span>
                    <select aria-label="Variant" onchange={on_variant}>
                        { for Variant::ALL.iter().map(|v| html! { <option value={v.word()} selected={*v == *variant}>{ v.word() }</option> }) }
                    </select></label>
                <label class="field"><span>{"Retry"}</span>
                    <select aria-label="Retry strategy" onchange={on_retry}>
                        { for RETRIES.iter().map(|r| html! { <option value={r.word()} selected={*r == *retry}>{ r.word() }</option> }) }
                    </select></label>
                <button onclick={apply}>{"Restart with these"}</button>
            </div>
            <p class="hint">{"Same topology, seed and faults. The zookeeper variant makes n0 a ZooKeeper-like service (sessions, sequential nodes, watches): each waiter watches its predecessor instead of retrying. Redlock needs at least seven nodes (five lock services, the storage, a client); the roles are dealt round-robin over the datacenters, so a fault scripted for a client may hit another node."}</p>
        </details>
    }
}

const RETRIES: [lock::Retry; 3] = [lock::Retry::Fixed, lock::Retry::Backoff, lock::Retry::Notify];

// ---- comparing variants ---------------------------------------------------------------------

#[derive(Properties, PartialEq)]
struct CompareProps {
    seed: u64,
}

/// Runs each compared scenario for [`COMPARE_US`] without a trace and tabulates them, one
/// scenario per turn of the event loop so that the page stays responsive.
#[function_component(Compare)]
fn compare(p: &CompareProps) -> Html {
    let job: Job<Summary> = {
        let seed = p.seed;
        Rc::new(move |i| {
            let name = lock::COMPARED[i];
            caucus_protocols::builtin(name)
                .ok_or_else(|| format!("{name} is not a built-in scenario of this page"))
                .and_then(|s| lock::summarize(&s, seed, COMPARE_US).map_err(|e| format!("{name} cannot run: {e}")))
        })
    };
    let (progress, start) = use_stepped(lock::COMPARED.len(), job);
    let state = progress.borrow();
    let running = state.running();
    let rows = match (&state.error, state.started) {
        (Some(e), _) => Some(Err(e.clone())),
        (None, true) => Some(Ok(state.rows.clone())),
        (None, false) => None,
    };
    let table = match &rows {
        None => html! {},
        Some(Err(e)) => html! { <p class="why" role="alert">{ e }</p> },
        Some(Ok(rows)) => {
            let body = rows.iter().map(|r| {
                let verdict = if r.stale_accepted > 0 {
                    format!(
                        "⚠ {} stale write{} accepted",
                        r.stale_accepted,
                        if r.stale_accepted == 1 { "" } else { "s" }
                    )
                } else if !r.starving.is_empty() {
                    "⚠ clients wait forever".to_string()
                } else if r.writes_rejected > 0 {
                    format!(
                        "safe: {} stale write{} rejected",
                        r.writes_rejected,
                        if r.writes_rejected == 1 { "" } else { "s" }
                    )
                } else {
                    "safe".to_string()
                };
                let bad = r.stale_accepted > 0 || !r.starving.is_empty();
                html! {
                    <tr class={classes!(bad.then_some("bad"))}>
                        <th scope="row">{ &r.scenario }</th>
                        <td>{ r.variant.word() }</td>
                        <td>{ r.retry.word() }</td>
                        <td class="num">{ r.acquisitions }</td>
                        <td class="num">{ r.failed_attempts }</td>
                        <td class="num">{ fmt_time(r.mean_wait_us) }</td>
                        <td class="num">{ format!("{}%", r.fairness_percent()) }</td>
                        <td class="num">{ match r.wakeups_per_release_tenths() {
                            None => "– (polls)".to_string(),
                            Some(t) if t > 10 => format!("⚠ {}.{} herd", t / 10, t % 10),
                            Some(t) => format!("{}.{}", t / 10, t % 10),
                        } }</td>
                        <td class="num">{ r.writes_accepted }</td>
                        <td>{ verdict }</td>
                    </tr>
                }
            });
            html! {
                <div class="scroll"><table class="state-table compare">
                    <caption>{ format!("Each built-in scenario run for {} with seed {} (the faults are scripted for it), without a trace. Fairness is Jain's index of the acquisitions per client: 100% when all got the lock equally often.", fmt_time(COMPARE_US), p.seed) }</caption>
                    <thead><tr>
                        <th scope="col">{"scenario"}</th><th scope="col">{"variant"}</th><th scope="col">{"retry"}</th>
                        <th scope="col">{"acquisitions"}</th><th scope="col">{"wasted retries"}</th><th scope="col">{"mean wait"}</th>
                        <th scope="col"><abbr title="Jain's fairness index of the acquisitions per client: 100% when every client got the lock equally often">{"fairness"}</abbr></th>
                        <th scope="col"><abbr title="Clients woken per release (notifications sent, watches fired). Above 1 is a thundering herd: all wake, one wins, the rest ask in vain">{"wake-ups per release"}</abbr></th>
                        <th scope="col">{"writes accepted"}</th><th scope="col">{"outcome"}</th>
                    </tr></thead>
                    <tbody>{ for body }</tbody>
                </table></div>
            }
        }
    };
    html! {
        <section class="panel compare-panel" aria-label="Compare the variants">
            <h2>{"Compare the variants side by side"}</h2>
            <p class="hint">{"The same seed, each variant with and without its fault: how many acquisitions, how many wasted requests, how many clients each release woke (a herd above one), and whether the storage accepted a stale write."}</p>
            <button onclick={start} disabled={running}>{"Compare variants"}</button>
            if running {
                <span class="hint" role="status">{ format!(" running {} of {}…", state.rows.len() + 1, lock::COMPARED.len()) }</span>
            }
            { table }
        </section>
    }
}
