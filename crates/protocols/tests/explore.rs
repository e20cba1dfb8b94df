//! The exhaustive checker against the anchors: Gray and Lamport's TwoPhase has the reachable
//! states TLC and Stateright count.

use caucus_protocols::two_phase::{self, TwoPhase};
use caucus_sim::explore::{Bounds, Explorer, Network};

fn two_phase(rms: u16) -> Explorer<TwoPhase> {
    let bounds = Bounds { network: Network::Duplicating, ..Bounds::default() };
    Explorer::new(two_phase::topology(rms).unwrap(), Default::default(), 1, bounds).unwrap()
}

#[test]
fn two_phase_with_3_rms_has_288_states_as_in_tlc() {
    let mut check = two_phase(3);
    let progress = check.run_to_end();
    assert!(check.found().is_none(), "{:?}", check.found().map(|f| f.failure));
    assert!(check.complete());
    assert_eq!(progress.unique, 288);
}

#[test]
fn two_phase_with_5_rms_has_8832_states_as_in_tlc() {
    let mut check = two_phase(5);
    assert_eq!(check.run_to_end().unique, 8_832);
    assert!(check.complete());
}
