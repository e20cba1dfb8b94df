//! Symmetry reduction (`Bounds::symmetry`): TwoPhase's RMs and 2PC's participants are
//! interchangeable, so the checker counts states up to renaming them. The sorted renaming the
//! checker uses is checked against the least fingerprint of every renaming (TLC's way) and
//! against the orbits of the TLA+ spec's states, enumerated here on their own; paths found stay
//! paths of real events; without symmetry nothing changes.

mod support;

use caucus_protocols::commit::Commit;
use caucus_protocols::two_phase::{self, TwoPhase};
use caucus_protocols::{builtin, check};
use caucus_sim::explore::{Bounds, Explorer, Network};
use caucus_sim::Protocol;
use std::collections::BTreeSet;
use std::hash::Hash;

fn two_phase(rms: u16, symmetry: bool) -> Explorer<TwoPhase> {
    let bounds = Bounds { network: Network::Duplicating, symmetry, ..Bounds::default() };
    Explorer::new(two_phase::topology(rms).unwrap(), Default::default(), 1, bounds).unwrap()
}

/// The built-in `scenario` on `nodes` nodes, as the checker's job builds it.
fn explorer<P: Protocol + Hash + Eq>(scenario: &str, nodes: u16, bounds: Bounds) -> Explorer<P>
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    let s = check::on_nodes(&builtin(scenario).unwrap(), nodes);
    let topology = s.validate().unwrap();
    let params = caucus_sim::run::params_of::<P>(&s, &topology).unwrap();
    let bounds = Bounds { network: check::default_network(&s.protocol.name), ..bounds };
    Explorer::new(topology, params, s.seed, bounds).unwrap()
}

/// Unique states with the sorted renaming and with every renaming: equal when the sorted one
/// merges every pair of states that are renamings of each other.
fn sorted_and_every<P: Protocol + Hash + Eq>(mut sorted: Explorer<P>, mut every: Explorer<P>) -> (u64, u64)
where
    P::Msg: Hash + Eq,
    P::Timer: Hash + Eq,
    P::Durable: Hash,
{
    every.every_renaming().unwrap();
    let (a, b) = (sorted.run_to_end().unique, every.run_to_end().unique);
    assert!(sorted.complete() && every.complete());
    (a, b)
}

#[test]
fn two_phase_with_symmetry_counts_its_states_up_to_renaming_the_rms() {
    for (rms, unique) in [(3, 80), (5, 314)] {
        let mut check = two_phase(rms, true);
        assert_eq!(check.run_to_end().unique, unique, "{rms} RMs");
        assert!(check.complete() && check.found().is_none());
    }
}

#[test]
fn the_sorted_renaming_merges_what_every_renaming_merges() {
    for rms in 1..=4 {
        let (sorted, every) = sorted_and_every(two_phase(rms, true), two_phase(rms, true));
        assert_eq!(sorted, every, "two-phase with {rms} RMs");
    }
    let on = Bounds { symmetry: true, ..Bounds::default() };
    for nodes in [3, 4] {
        let (sorted, every) = sorted_and_every(
            explorer::<Commit>("commit-2pc", nodes, on.clone()),
            explorer("commit-2pc", nodes, on.clone()),
        );
        assert_eq!(sorted, every, "commit-2pc on {nodes} nodes");
    }
    let crash = Bounds { crashes: 1, restarts: true, ..on };
    let (sorted, every) =
        sorted_and_every(explorer::<Commit>("commit-2pc", 3, crash.clone()), explorer("commit-2pc", 3, crash));
    assert_eq!((sorted, every), (4_422, 4_422), "commit-2pc on 3 nodes, a crash and a restart");
}

/// Gray and Lamport's TwoPhase, enumerated on its own: its reachable states, and how many are
/// left up to renaming the RMs. A state is the RMs' states (0 working, 1 prepared, 2 committed,
/// 3 aborted), the TM's (0 init, 1 committed, 2 aborted), `tmPrepared` and the messages
/// (Prepared from each RM as bits, Commit, Abort); up to renaming, it is the sorted list of what
/// each RM is (its state, its bit in `tmPrepared`, its Prepared message) and the rest.
fn spec_counts(rms: usize) -> (usize, usize) {
    type State = (Vec<u8>, u8, u64, u64, bool, bool);
    let init: State = (vec![0; rms], 0, 0, 0, false, false);
    let mut seen = BTreeSet::from([init.clone()]);
    let mut todo = vec![init];
    while let Some((rm, tm, tp, prepared, commit, abort)) = todo.pop() {
        let mut next: Vec<State> = Vec::new();
        if tm == 0 && tp == (1 << rms) - 1 {
            next.push((rm.clone(), 1, tp, prepared, true, abort));
        }
        if tm == 0 {
            next.push((rm.clone(), 2, tp, prepared, commit, true));
        }
        for r in 0..rms {
            let with = |s: u8| {
                let mut rm = rm.clone();
                rm[r] = s;
                rm
            };
            if tm == 0 && prepared & (1 << r) != 0 {
                next.push((rm.clone(), tm, tp | 1 << r, prepared, commit, abort));
            }
            if rm[r] == 0 {
                next.push((with(1), tm, tp, prepared | 1 << r, commit, abort));
                next.push((with(3), tm, tp, prepared, commit, abort));
            }
            if commit {
                next.push((with(2), tm, tp, prepared, commit, abort));
            }
            if abort {
                next.push((with(3), tm, tp, prepared, commit, abort));
            }
        }
        for s in next {
            if seen.insert(s.clone()) {
                todo.push(s);
            }
        }
    }
    let orbits: BTreeSet<_> = seen
        .iter()
        .map(|(rm, tm, tp, prepared, commit, abort)| {
            let mut each: Vec<_> = (0..rms).map(|r| (rm[r], tp >> r & 1, prepared >> r & 1)).collect();
            each.sort_unstable();
            (each, *tm, *commit, *abort)
        })
        .collect();
    (seen.len(), orbits.len())
}

#[test]
fn the_counts_are_the_orbits_of_the_specs_states() {
    for rms in 1..=6u16 {
        let (states, orbits) = spec_counts(rms as usize);
        assert_eq!(two_phase(rms, false).run_to_end().unique, states as u64, "{rms} RMs, no symmetry");
        assert_eq!(two_phase(rms, true).run_to_end().unique, orbits as u64, "{rms} RMs, symmetry");
    }
    assert_eq!(spec_counts(3), (288, 80));
}

#[test]
fn without_symmetry_the_counts_stay_the_specs() {
    let mut off = two_phase(3, false);
    assert_eq!(off.run_to_end().unique, 288);
    assert!(!off.bounds().describe().contains("symmetry"));
    assert_eq!(two_phase(5, false).run_to_end().unique, 8_832);
    assert!(two_phase(3, true).bounds().describe().ends_with("symmetry reduction"));
    // Bounds written before the field existed read as off.
    let bounds: Bounds = serde_json::from_str(r#"{"depth": 3}"#).unwrap();
    assert!(!bounds.symmetry);
}

#[test]
fn a_violation_found_under_symmetry_is_a_path_of_real_events() {
    let s = check::on_nodes(&builtin("commit-3pc").unwrap(), 3);
    let bounds = |symmetry| Bounds { network: check::default_network(&s.protocol.name), symmetry, ..Bounds::default() };
    let off = check::check(&s, bounds(false), |_| {}).unwrap();
    let on = check::check(&s, bounds(true), |_| {}).unwrap();
    let (f, g) = (off.found.unwrap(), on.found.expect("3PC is not atomic, whatever the nodes are called"));
    assert_eq!(g.property, "Atomicity");
    // Breadth first over representatives is still breadth first: the path is as short.
    assert_eq!(g.path.len(), f.path.len());
    assert!(on.progress.unique < off.progress.unique, "{} {}", on.progress.unique, off.progress.unique);
    assert!(on.bounds.contains("symmetry reduction"), "{}", on.bounds);
    // The path replays on the timed simulator, from the scenario's own start, to the violation.
    let run = support::replayed(&s, bounds(true));
    let atomicity = run.properties().into_iter().find(|p| p.name == "Atomicity").unwrap();
    assert!(atomicity.now.is_err(), "the replay ends in the violation");
}

#[test]
fn a_liveness_failure_under_symmetry_replays_too() {
    let s = check::on_nodes(&builtin("commit-2pc").unwrap(), 3);
    let bounds = Bounds {
        network: check::default_network(&s.protocol.name),
        crashes: 1,
        liveness: true,
        symmetry: true,
        ..Bounds::default()
    };
    let report = check::check(&s, bounds.clone(), |_| {}).unwrap();
    let f = report.found.expect("2PC blocks, whatever the nodes are called");
    assert_eq!(f.property, "Non-blocking");
    assert_eq!(f.path.len(), 3);
    let run = support::replayed(&s, bounds);
    assert!(run.inputs().iter().any(|(_, i)| matches!(i, caucus_sim::Input::Crash { node: 0 })));
}

#[test]
fn symmetry_where_no_nodes_are_interchangeable_is_refused_naming_the_field() {
    for (scenario, nodes) in [("raft", 3), ("commit-saga", 3)] {
        let s = check::on_nodes(&builtin(scenario).unwrap(), nodes);
        let bounds = Bounds { network: check::default_network(&s.protocol.name), symmetry: true, ..Bounds::default() };
        let e = check::check(&s, bounds, |_| {}).unwrap_err();
        assert_eq!(e.field, "bounds");
        assert!(e.to_string().contains("bounds.symmetry"), "{e}");
    }
    let mut off = two_phase(3, false);
    assert!(off.every_renaming().is_err());
}
