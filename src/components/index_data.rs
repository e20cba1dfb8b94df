//! What the root page lists: each family with its lesson and best scenarios, and the featured
//! contrasts. Plain data and nothing else (no imports): `crates/protocols/tests/index_links.rs`
//! includes this file to check, with every protocol compiled in, that each name is a built-in
//! scenario of the page it links to.

/// A family of protocols: its page, what it is, what a student learns there, where to start.
pub struct Family {
    pub title: &'static str,
    /// What it covers, in the protocols' own names.
    pub covers: &'static str,
    /// The page's folder, relative to the root page: `ring/`; empty for the core pack (this page).
    pub dir: &'static str,
    /// What a student learns there, in plain words.
    pub lesson: &'static str,
    /// The best scenarios: (built-in name, what it shows).
    pub scenarios: &'static [(&'static str, &'static str)],
}

/// Two runs to open side by side and one sentence on what to compare.
pub struct Contrast {
    pub title: &'static str,
    pub compare: &'static str,
    /// (page folder, built-in name, short label) for each side.
    pub sides: [(&'static str, &'static str, &'static str); 2],
}

pub const FAMILIES: &[Family] = &[
    Family {
        title: "Hash ring",
        covers: "consistent hashing",
        dir: "ring/",
        lesson: "How to spread keys over many machines so that adding or losing one moves only its share of the keys, not nearly all of them.",
        scenarios: &[
            ("ring", "Quorum reads and writes across three regions"),
            ("ring-join", "A node joins and takes only its share"),
            ("ring-mod-n", "The same join with hash % N"),
            ("ring-sloppy", "Sloppy quorums under a partition"),
        ],
    },
    Family {
        title: "Locks",
        covers: "Redis-style locks, leases, fencing tokens, Redlock",
        dir: "lock/",
        lesson: "Why a lock with a timeout is not enough: a paused holder wakes up still believing it holds the lock, and only a token the storage checks keeps its stale write out.",
        scenarios: &[
            ("lock-lease-gc-pause", "A GC pause outlives the lease"),
            ("lock-fencing-gc-pause", "The same pause, stopped by fencing"),
            ("lock-redlock-gc-pause", "Redlock and the same pause"),
            ("lock-setnx-crash", "No expiry: the holder crashes, nobody gets in"),
        ],
    },
    Family {
        title: "Commit",
        covers: "two-phase commit, three-phase commit, sagas",
        dir: "commit/",
        lesson: "How several machines all commit or all abort: why two-phase commit gets stuck when its coordinator dies, what three-phase commit pays to avoid that, and how a saga undoes instead.",
        scenarios: &[
            ("commit-2pc", "Two-phase commit, all vote yes"),
            ("commit-2pc-coordinator-crash", "The coordinator crashes: everyone waits"),
            ("commit-3pc-partition", "3PC under a partition breaks atomicity"),
            ("commit-saga-compensate", "A saga step fails and is undone"),
        ],
    },
    Family {
        title: "Election",
        covers: "Raft, Paxos, Bully",
        dir: "election/",
        lesson: "How a group agrees on one leader and one order of commands while nodes crash and networks split, and why needing a majority is what keeps it safe.",
        scenarios: &[
            ("raft-leader-crash", "Raft: the leader crashes, a new one is elected"),
            ("raft-partition-leader-dc", "Raft: the leader's region is cut off"),
            ("paxos-duel", "Paxos: two proposers duel forever"),
            ("bully-partition", "Bully: a partition makes two leaders"),
        ],
    },
    Family {
        title: "Heartbeat",
        covers: "failure detector",
        dir: "",
        lesson: "Why a computer cannot tell a dead peer from a slow one: a timeout can only suspect, so a long pause makes a healthy node look failed.",
        scenarios: &[
            ("heartbeat", "Six nodes beat and watch each other"),
            ("heartbeat-gc-pause", "A GC pause: suspected, yet never failed"),
            ("heartbeat-partition", "A region cut off, then healed"),
        ],
    },
];

pub const CONTRASTS: &[Contrast] = &[
    Contrast {
        title: "Lease vs fencing under the same GC pause",
        compare: "The holder pauses for 2 s on the same seed: watch the storage log when it wakes and writes with its old token, accepted with a lease alone, rejected with fencing.",
        sides: [
            ("lock/", "lock-lease-gc-pause", "Lease only"),
            ("lock/", "lock-fencing-gc-pause", "Lease + fencing"),
        ],
    },
    Contrast {
        title: "2PC vs 3PC with a coordinator crash",
        compare: "The coordinator crashes before the votes return: in 2PC every participant stays in doubt until it restarts; in 3PC each one aborts on its own.",
        sides: [
            ("commit/", "commit-2pc-coordinator-crash", "2PC"),
            ("commit/", "commit-3pc-coordinator-crash", "3PC"),
        ],
    },
    Contrast {
        title: "Consistent hashing vs hash % N",
        compare: "The same node joins the same store: compare the fraction of keys that change owner against the ideal K/N.",
        sides: [("ring/", "ring-join", "Consistent hashing"), ("ring/", "ring-mod-n", "hash % N")],
    },
    Contrast {
        title: "Raft with and without pre-vote",
        compare: "A node cut off for 7 s comes back: without pre-vote its inflated term forces the healthy leader to step down; with pre-vote it simply follows.",
        sides: [
            ("election/", "raft-rejoin-no-prevote", "Without pre-vote"),
            ("election/", "raft-rejoin-prevote", "With pre-vote"),
        ],
    },
];
