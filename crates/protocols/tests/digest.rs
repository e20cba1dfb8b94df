//! Native half of the determinism check: these digests must equal the ones the browser suite
//! (`tests/web.rs`, run in headless Chromium) computes from the same runs compiled to WebAssembly.
//! The runs and the expected digests live in one place, `tests/common/golden.rs`.

#[path = "../../../tests/common/golden.rs"]
mod golden;

#[test]
fn heartbeat_to_5s_has_the_golden_digest() {
    assert_eq!(golden::heartbeat_5s(), golden::HEARTBEAT_5S);
}

#[test]
fn a_scripted_partition_with_another_seed_has_the_golden_digest() {
    assert_eq!(golden::partition_seed7_8s(), golden::PARTITION_SEED7_8S);
}

#[test]
fn a_restored_link_with_an_input_has_the_golden_digest() {
    assert_eq!(golden::link_crash_4s(), golden::LINK_CRASH_4S);
}

#[test]
fn raft_leader_crash_has_the_golden_digest() {
    assert_eq!(golden::raft_leader_crash_12s(), golden::RAFT_LEADER_CRASH_12S);
}
