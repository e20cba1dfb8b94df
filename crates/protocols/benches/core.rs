//! How fast the core runs, and what time travel costs.
//!
//! `cargo bench -p caucus-protocols --bench core` prints, in one run:
//!
//! - (a) a bare event loop: a `BinaryHeap` of `(time, seq)` events where each popped event pushes
//!   one new event, with as many events and as many pending as the heartbeat run below. It is the
//!   floor: what any discrete-event simulator pays for its queue, with no protocol at all.
//! - (b) the heartbeat protocol on `three-regions` × 5 nodes (15 nodes) with tracing off
//!   (`Sim::apply(Input::Step, &mut ())`), then the same with the safety properties checked after
//!   every step, as the swarm does.
//! - (c) the same with full tracing (`Run::apply`, which also checks safety after every step).
//! - (d) time travel in a 100,000-step traced run: `Run::seek` back to random earlier steps, and
//!   one step back from a checkpoint's worst case.
//! - (e) memory held by a 100,000-step traced run, from a counting global allocator.
//! - (f) Raft on `three-regions` with 5 nodes (2 + 2 + 1, the built-in `raft` scenario: an
//!   election, three commands, then heartbeats), tracing off, with safety checks, and with full
//!   tracing, printed in the same table as the heartbeat figures. Raft's safety checks compare every
//!   pair of running nodes' logs after each step, by prefix fingerprints.
//!
//! Targets: tracing off within 3× of the bare loop and at least 5 million events/s; a step back
//! under 16 ms (one frame at 60 Hz). Each timing is the median of a few repetitions. Throughput
//! is shown by the wall clock and by the thread's CPU clock: on a busy machine the two differ,
//! and the targets are judged on CPU time.
//! `std::time::Instant` is used here, in the bench binary only; the core never reads a clock.

use caucus_protocols::heartbeat::{Heartbeat, Params};
use caucus_protocols::raft::Raft;
use caucus_sim::run::CHECKPOINT_EVERY;
use caucus_sim::{DynRun, Input, PropertyKind, Run, Scenario, Sim, TopologySpec};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// Counts live and peak heap bytes. One relaxed atomic add per allocation: a few nanoseconds,
/// and the untraced simulator barely allocates per step.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Relaxed) + layout.size();
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            let live = LIVE.fetch_add(new_size, Relaxed) + new_size;
            LIVE.fetch_sub(layout.size(), Relaxed);
            PEAK.fetch_max(live, Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Steps (events) per throughput measurement.
const EVENTS: u64 = 3_000_000;
/// Steps in the traced run used for time travel and memory.
const TRACED: u64 = 100_000;
const SEEKS: usize = 200;
const REPEAT: usize = 3;

fn main() {
    let scenario = fifteen_nodes();
    println!("caucus core benchmark: heartbeat, three-regions x 5 nodes (15 nodes), {EVENTS} events per run");
    println!("(median of {REPEAT} repetitions; build profile `bench`: opt-level 3, thin LTO)\n");

    // (b) first, to learn how many events are pending in the heartbeat run.
    let mut pending = 0;
    let untraced = median(|| {
        let mut sim = new_sim(&scenario);
        let t = time_both(|| {
            for _ in 0..EVENTS {
                sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
            }
        });
        pending = sim.in_flight_count() + sim.topology().nodes.len();
        t
    });
    let checked = median(|| {
        let mut sim = new_sim(&scenario);
        let mut failures = 0;
        let t = time_both(|| {
            for _ in 0..EVENTS {
                sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
                failures += sim.check(PropertyKind::Safety).len();
            }
        });
        assert_eq!(failures, 0, "a calm run violates nothing");
        t
    });

    // (a)
    let bare = median(|| bare_event_loop(EVENTS, pending));

    // (c)
    let traced = median(|| {
        let mut run = Run::<Heartbeat>::new(scenario.clone()).expect("valid");
        let t = time_both(|| {
            for _ in 0..EVENTS / 3 {
                assert_eq!(run.apply(Input::Step), Ok(true));
            }
        });
        t * 3
    });

    // (f)
    let raft = raft_five_nodes();
    let raft_untraced = median(|| {
        let mut sim = raft_sim(&raft);
        time_both(|| {
            for _ in 0..EVENTS {
                sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
            }
        })
    });
    let raft_checked = median(|| {
        let mut sim = raft_sim(&raft);
        let mut failures = 0;
        let t = time_both(|| {
            for _ in 0..EVENTS {
                sim.apply(Input::Step, &mut ()).expect("within limits").expect("never idle");
                failures += sim.check(PropertyKind::Safety).len();
            }
        });
        assert_eq!(failures, 0, "a calm Raft run violates nothing");
        t
    });
    let raft_traced = median(|| {
        let mut run = Run::<Raft>::new(raft.clone()).expect("valid");
        let t = time_both(|| {
            for _ in 0..EVENTS / 3 {
                assert_eq!(run.apply(Input::Step), Ok(true));
            }
        });
        assert_eq!(run.violations(), &[]);
        t * 3
    });

    let rate = |d: Duration| EVENTS as f64 / d.as_secs_f64();
    let row = |label: &str, t: Timing| {
        let cpu = t.cpu.map_or("n/a".to_string(), |c| per_second(rate(c)));
        println!("{label:<46} {:>16} {:>16}", per_second(rate(t.wall)), cpu);
    };
    println!("{:<46} {:>16} {:>16}", "events per second", "wall clock", "on-CPU");
    row(&format!("(a) bare event loop ({pending} pending)"), bare);
    row("(b) heartbeat, tracing off", untraced);
    row("    heartbeat, tracing off + safety checks", checked);
    row("(c) heartbeat, full tracing (Run::apply)", traced);
    row("(f) raft, 5 nodes (2+2+1), tracing off", raft_untraced);
    row("    raft, tracing off + safety checks", raft_checked);
    row("    raft, full tracing (Run::apply)", raft_traced);
    let cpu_or_wall = |t: Timing| t.cpu.unwrap_or(t.wall);
    let ratio = cpu_or_wall(untraced).as_secs_f64() / cpu_or_wall(bare).as_secs_f64();
    println!("    tracing off / bare loop (on-CPU): {ratio:.2}x slower");

    // (d) and (e)
    let before = LIVE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let mut run = Run::<Heartbeat>::new(scenario.clone()).expect("valid");
    for _ in 0..TRACED {
        assert_eq!(run.apply(Input::Step), Ok(true));
    }
    let held = LIVE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    let seeks = random_seeks(&mut run);
    let seek_mean = seeks.iter().sum::<Duration>() / SEEKS as u32;
    let (seek_p99, seek_max) = (seeks[SEEKS * 99 / 100], seeks[SEEKS - 1]);
    let one_back = one_step_back(&mut run);

    println!("\n(d) time travel in a {TRACED}-step traced run (checkpoint every {CHECKPOINT_EVERY} steps)");
    println!(
        "    seek to {SEEKS} random earlier steps: mean {}, p99 {}, max {}",
        ms(seek_mean),
        ms(seek_p99),
        ms(seek_max)
    );
    println!("    one step back at the worst offset (checkpoint + {} steps): {}", CHECKPOINT_EVERY - 1, ms(one_back));
    let trace_bytes = run.trace_bytes();
    let sim_bytes = checkpoint_bytes(&run);
    let checkpoints = (TRACED / CHECKPOINT_EVERY + 1) as usize;
    println!("\n(e) memory for {TRACED} traced steps ({} messages)", run.trace_msg_count());
    println!("    live heap held by the run (counting allocator): {}", mib(held));
    println!("    peak heap while recording:                      {}", mib(peak));
    println!("    trace (DynRun::trace_bytes):                    {}", mib(trace_bytes));
    println!("    checkpoints: {checkpoints} x ~{} = {}", kib(sim_bytes), mib(checkpoints * sim_bytes));
    println!("    per traced step: {:.0} bytes", held as f64 / TRACED as f64);
    println!(
        "    (a trace step is {} bytes, a trace message {} bytes, before Vec growth slack)",
        std::mem::size_of::<caucus_sim::trace::TraceStep<Heartbeat>>(),
        std::mem::size_of::<caucus_sim::trace::TraceMsg<caucus_protocols::heartbeat::Msg>>()
    );

    println!("\ntargets");
    let off_ok = ratio <= 3.0 && rate(cpu_or_wall(untraced)) >= 5e6;
    println!("    tracing off within 3x of bare and >= 5M events/s (on-CPU): {}", verdict(off_ok));
    println!(
        "    step back under 16 ms (max of random seeks and worst single step): {}",
        verdict(seek_max.max(one_back) < Duration::from_millis(16))
    );
}

fn fifteen_nodes() -> Scenario {
    let mut scenario = caucus_protocols::builtin("heartbeat").expect("built-in");
    scenario.topology = TopologySpec::preset("three-regions", 5);
    scenario.seed = 42;
    scenario
}

/// The built-in `raft` scenario: 5 nodes over three regions, an election and three commands.
fn raft_five_nodes() -> Scenario {
    caucus_protocols::builtin("raft").expect("built-in")
}

fn raft_sim(scenario: &Scenario) -> Sim<Raft> {
    let topology = scenario.topology.build().expect("valid topology");
    let params = caucus_sim::run::params_of::<Raft>(scenario, &topology).expect("valid parameters");
    Sim::new(topology, params, scenario.seed, scenario.script.clone())
}

fn new_sim(scenario: &Scenario) -> Sim<Heartbeat> {
    let topology = scenario.topology.build().expect("valid topology");
    Sim::new(topology, Params::default(), scenario.seed, Vec::new())
}

/// A queue of `(time, seq)` events, `pending` at a time: each pop pushes one event a little later.
fn bare_event_loop(events: u64, pending: usize) -> Timing {
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut queue = BinaryHeap::with_capacity(pending + 1);
    let mut seq = 0u64;
    for _ in 0..pending {
        seq += 1;
        queue.push(Reverse((next() % 100_000, seq)));
    }
    let mut checksum = 0u64;
    let t = time_both(|| {
        for _ in 0..events {
            let Reverse((now, s)) = queue.pop().expect("never empty");
            checksum = checksum.wrapping_add(s);
            seq += 1;
            // Latencies like the three-regions links: 0.4 ms to ~115 ms.
            queue.push(Reverse((now + 400 + next() % 115_000, seq)));
        }
    });
    black_box(checksum);
    t
}

/// The times of `SEEKS` seeks from the head back to random earlier steps, sorted.
fn random_seeks(run: &mut Run<Heartbeat>) -> Vec<Duration> {
    let head = DynRun::head(run);
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut times = Vec::with_capacity(SEEKS);
    for _ in 0..SEEKS {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let target = rng % head;
        run.seek(head);
        let t = time(|| run.seek(target));
        assert_eq!(run.cursor(), target);
        times.push(t);
    }
    times.sort();
    times
}

/// The slowest single step back: from just after a checkpoint's last replayable step.
fn one_step_back(run: &mut Run<Heartbeat>) -> Duration {
    let target = 100 * CHECKPOINT_EVERY + CHECKPOINT_EVERY - 1;
    let t = median(|| {
        run.seek(target + 1);
        let t = time_both(|| run.seek(target));
        assert_eq!(run.cursor(), target);
        t
    });
    t.wall
}

/// Heap bytes of one checkpoint: a clone of the current state, measured by the allocator.
fn checkpoint_bytes(run: &Run<Heartbeat>) -> usize {
    let before = LIVE.load(Relaxed);
    let copy = run.sim().clone();
    let bytes = LIVE.load(Relaxed) - before + std::mem::size_of::<Sim<Heartbeat>>();
    drop(black_box(copy));
    bytes
}

fn time(f: impl FnOnce()) -> Duration {
    let start = Instant::now();
    f();
    start.elapsed()
}

/// Wall-clock and on-CPU time of `f`. On a shared machine the wall clock also counts time the
/// thread spent waiting for a core; the thread's CPU clock does not.
fn time_both(f: impl FnOnce()) -> Timing {
    let (cpu, start) = (thread_cpu_time(), Instant::now());
    f();
    Timing { wall: start.elapsed(), cpu: thread_cpu_time().zip(cpu).map(|(end, start)| end - start) }
}

#[derive(Clone, Copy, Debug)]
struct Timing {
    wall: Duration,
    cpu: Option<Duration>,
}

impl std::ops::Mul<u32> for Timing {
    type Output = Timing;
    fn mul(self, k: u32) -> Timing {
        Timing { wall: self.wall * k, cpu: self.cpu.map(|c| c * k) }
    }
}

/// The median wall time and the median CPU time of `REPEAT` runs.
fn median(mut f: impl FnMut() -> Timing) -> Timing {
    let runs: Vec<Timing> = (0..REPEAT).map(|_| f()).collect();
    let mid = |mut v: Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    let cpu: Option<Vec<Duration>> = runs.iter().map(|t| t.cpu).collect();
    Timing { wall: mid(runs.iter().map(|t| t.wall).collect()), cpu: cpu.map(mid) }
}

#[cfg(target_os = "linux")]
fn thread_cpu_time() -> Option<Duration> {
    #[repr(C)]
    struct Timespec {
        tv_sec: i64,
        tv_nsec: i64,
    }
    extern "C" {
        fn clock_gettime(clock: i32, ts: *mut Timespec) -> i32;
    }
    const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
    let mut ts = Timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; the call only writes to it.
    let ok = unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    ok.then(|| Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_time() -> Option<Duration> {
    None
}

fn per_second(rate: f64) -> String {
    format!("{:.2} M events/s", rate / 1e6)
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn kib(bytes: usize) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn mib(bytes: usize) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "MISSED"
    }
}
