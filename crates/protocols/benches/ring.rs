//! How fast the hash ring places keys at the panel's scale.
//!
//! `cargo bench -p caucus-protocols --bench ring` prints, for 64 nodes × 256 virtual nodes
//! (16,384 tokens) over 3 datacenters and 10,000 keys:
//!
//! - building the ring (16,384 SHA-1 tokens, sorted),
//! - hashing the 10,000 keys,
//! - placing every key with R = 3, datacenter-aware, and with `hash % N`,
//! - adding a 65th node and computing exactly which keys move.
//!
//! Each figure is the median of several repetitions. The browser panel does the same work in
//! WebAssembly; the Playwright test prints its frame times (`MEASURE` lines). `std::time::Instant`
//! is used here, in the bench binary only; the core never reads a clock.

use caucus_protocols::ring::{key_position, Assignment, HashRing, Movement, Placement};
use caucus_sim::NodeId;
use std::collections::BTreeSet;
use std::hint::black_box;
use std::time::{Duration, Instant};

const NODES: u16 = 64;
const VNODES: u32 = 256;
const KEYS: usize = 10_000;
const REPEAT: usize = 9;

fn median(mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..REPEAT)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[REPEAT / 2]
}

fn ms(d: Duration) -> String {
    format!("{:8.3} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let members: Vec<(NodeId, u16)> = (0..NODES).map(|n| (n, n % 3)).collect();
    let down = BTreeSet::new();
    println!("caucus ring benchmark: {NODES} nodes x {VNODES} vnodes, {KEYS} keys, R = 3");
    let build = median(|| {
        black_box(HashRing::with_members(VNODES, members.iter().copied()));
    });
    let ring = HashRing::with_members(VNODES, members.iter().copied());
    let hash = median(|| {
        black_box((0..KEYS).map(|i| key_position(&format!("key{i}"))).collect::<Vec<_>>());
    });
    let keys: Vec<u64> = (0..KEYS).map(|i| key_position(&format!("key{i}"))).collect();
    let place = median(|| {
        black_box(Assignment::place(&ring, &keys, 3, true, &down, Placement::Ring));
    });
    let place_plain = median(|| {
        black_box(Assignment::place(&ring, &keys, 3, false, &down, Placement::Ring));
    });
    let mod_n = median(|| {
        black_box(Assignment::place(&ring, &keys, 3, false, &down, Placement::ModN));
    });
    let before = Assignment::place(&ring, &keys, 3, true, &down, Placement::Ring);
    let mut moved = 0;
    let add = median(|| {
        let mut bigger = ring.clone();
        bigger.add(NODES, 1);
        let after = Assignment::place(&bigger, &keys, 3, true, &down, Placement::Ring);
        moved = Movement::between(&before, &after).primary_moved;
    });
    println!("build ring ({} tokens)        {}", ring.tokens().len(), ms(build));
    println!("hash {KEYS} keys                  {}", ms(hash));
    println!("place keys, R=3, dc-aware      {}", ms(place));
    println!("place keys, R=3, plain         {}", ms(place_plain));
    println!("place keys, hash % N           {}", ms(mod_n));
    println!("add node + re-place + diff     {}   ({moved} primaries moved, ideal {})", ms(add), KEYS / 65);
    println!("total build + hash + place     {}", ms(build + hash + place));
}
