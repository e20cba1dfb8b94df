//! `caucus`: run scenarios and swarm searches without a browser.
//!
//! ```text
//! caucus list
//! caucus run heartbeat-gc-pause --seed 3 --until 8s --trace run.json
//! caucus swarm heartbeat --seeds 200 --profile pauses
//! caucus moments lock-lease-gc-pause --seed 4
//! caucus lesson list
//! caucus lesson check lock-leases --seeds 100
//! caucus experiment crash-leader raft --trials 500 --timeout 150ms..300ms
//! caucus check two-phase --rms 5
//! caucus check two-phase --rms 12 --symmetry
//! caucus check commit-2pc-coordinator-crash --crashes 1 --liveness
//! ```

use caucus_protocols::{build, builtin, builtin_scenarios, TraceExport};
use caucus_sim::swarm::{FaultProfile, PROFILES};
use caucus_sim::{format_micros, parse_duration, DynRun, Scenario, MS};
use clap::{Parser, Subcommand};
use std::io::{self, Write};
use std::ops::Range;
use std::process::ExitCode;

/// `println!` that returns the error instead of panicking: `caucus run … | head -1` closes the
/// pipe early, and the next write must end the command quietly (see [`Failure::Closed`]).
macro_rules! out {
    ($($arg:tt)*) => {
        writeln!(io::stdout().lock(), $($arg)*)?
    };
}

#[derive(Parser)]
#[command(
    name = "caucus",
    version,
    about = "Distributed coordination, step by step: run Caucus scenarios from the command line"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in scenarios, one per line, name first.
    List,
    /// List the swarm's fault profiles.
    Profiles,
    /// Run a scenario and print a summary; optionally write the trace as JSON.
    Run {
        /// A built-in scenario name or a scenario JSON file.
        scenario: String,
        #[arg(long)]
        seed: Option<u64>,
        /// How long to run, e.g. 10s, 500ms (default: the scenario's `until_us`).
        #[arg(long, value_parser = parse_duration)]
        until: Option<u64>,
        /// Write the trace (format caucus-trace v1) to this file.
        #[arg(long)]
        trace: Option<String>,
    },
    /// Run many seeds with random faults; stop at the first violation and print how to replay it.
    Swarm {
        scenario: String,
        #[arg(long, default_value_t = 100)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 0)]
        from: u64,
        /// A profile name (see `caucus profiles`) or a JSON file of rates.
        #[arg(long, default_value = "default")]
        profile: String,
        /// Where to write the reproducing scenario (default: caucus-finding-<name>-seed-<n>.json).
        #[arg(long)]
        out: Option<String>,
    },
    /// Check every interleaving of a small configuration: breadth first from the initial state,
    /// messages delivered in any order, timers firing at any time, faults within the bounds;
    /// safety in every state, and with --liveness that a good state stays reachable. Prints
    /// `unique states: N` and a shortest path to the first violation (exit status 1).
    Check {
        /// A built-in scenario, a scenario JSON file, or `two-phase` (Gray and Lamport's TwoPhase
        /// specification, the conformance model).
        scenario: String,
        /// two-phase only: how many resource managers (default 3).
        #[arg(long)]
        rms: Option<u16>,
        /// Check the scenario on this many nodes in one datacenter instead of its own topology
        /// (distances do not matter here: every interleaving is tried).
        #[arg(long)]
        nodes: Option<u16>,
        /// Events along any path (0: unbounded).
        #[arg(long, default_value_t = 0)]
        depth: u32,
        /// Crashes along any path.
        #[arg(long, default_value_t = 0)]
        crashes: u8,
        /// Let crashed nodes restart from what they kept.
        #[arg(long)]
        restarts: bool,
        /// Messages lost along any path.
        #[arg(long, default_value_t = 0)]
        drops: u8,
        /// States with more messages in flight are checked but not expanded.
        #[arg(long, default_value_t = 64)]
        in_flight: usize,
        /// Stop after this many unique states.
        #[arg(long, default_value_t = 20_000_000)]
        max_states: u64,
        /// `unordered` (each message delivered at most once) or `duplicating` (messages stay
        /// deliverable, a set); default: duplicating for two-phase, else unordered.
        #[arg(long)]
        network: Option<String>,
        /// Also check liveness: from every reachable state a state where it holds is reachable.
        #[arg(long)]
        liveness: bool,
        /// The highest Raft term or Paxos ballot round a state may reach and still be expanded
        /// (0: unbounded).
        #[arg(long, default_value_t = 0)]
        terms: u32,
        /// Count states that differ only by a renaming of interchangeable nodes (two-phase's
        /// RMs, commit's participants) once: far fewer states, the same verdicts.
        #[arg(long)]
        symmetry: bool,
    },
    /// Print a run's key moments (what lessons start chapters at) and its properties' failures.
    Moments {
        /// A built-in scenario name or a scenario JSON file.
        scenario: String,
        #[arg(long)]
        seed: Option<u64>,
    },
    /// List the lessons or check them on many seeds.
    Lesson {
        #[command(subcommand)]
        which: LessonCommand,
    },
    /// Run many seeded trials of an experiment and print the distribution of its outcome.
    Experiment {
        #[command(subcommand)]
        which: ExperimentKind,
    },
}

#[derive(Subcommand)]
enum LessonCommand {
    /// One lesson per line: id, family, title.
    List {
        /// The folder of lesson files (default: `lessons/` here, else the checkout's).
        #[arg(long)]
        dir: Option<String>,
    },
    /// Validate lesson files and play every chapter's moment, question, task and challenge on
    /// many seeds; fails naming the chapter that does not happen as written.
    Check {
        /// A lesson id or a lesson file (default: every lesson).
        lesson: Option<String>,
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// First seed.
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long)]
        dir: Option<String>,
    },
}

#[derive(Subcommand)]
enum ExperimentKind {
    /// Raft: elect a leader, crash it, and measure the time until a new leader is elected.
    CrashLeader {
        /// A built-in Raft scenario or a scenario JSON file (its script is ignored).
        #[arg(default_value = "raft")]
        scenario: String,
        #[arg(long, default_value_t = 200)]
        trials: u64,
        /// First seed (trial k uses seed + k).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The election timeout range, e.g. 150ms..300ms (default: the scenario's). The heartbeat
        /// then follows the Raft paper's rule: half the minimum timeout.
        #[arg(long)]
        timeout: Option<String>,
        /// Give up on a trial after this long without a new leader.
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        limit: u64,
        /// Also print every trial as CSV (seed,first_leader,recovered_after_us).
        #[arg(long)]
        csv: bool,
    },
    /// Raft: every line of the Raft paper's Figure 16 (crash-leader over ten election timeout
    /// ranges, 1,000 trials each, 100 without randomness), beside the paper's figures.
    #[command(name = "figure-16")]
    Figure16 {
        /// A built-in Raft scenario or a scenario JSON file (its script is ignored).
        #[arg(default_value = "raft-figure-16")]
        scenario: String,
        /// First seed (trial k uses seed + k).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Trials per line instead of the paper's (the line without randomness gets a tenth).
        #[arg(long)]
        trials: Option<u64>,
        #[arg(long, value_parser = parse_duration, default_value = "30s")]
        limit: u64,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match execute(cli.command).and_then(|code| Ok(io::stdout().flush().map(|()| code)?)) {
        Ok(code) => code,
        Err(Failure::Closed) => ExitCode::SUCCESS,
        Err(Failure::Message(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Why a command stopped.
#[derive(Debug)]
enum Failure {
    /// A usage or input error: printed as `error: …`, exit status 2 (as clap's own usage errors).
    Message(String),
    /// Whoever read the output closed it (`caucus run … | head`): nothing more to say, and no
    /// reason to fail.
    Closed,
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Message(message)
    }
}

impl From<&str> for Failure {
    fn from(message: &str) -> Failure {
        Failure::Message(message.into())
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        if e.kind() == io::ErrorKind::BrokenPipe {
            Failure::Closed
        } else {
            Failure::Message(format!("cannot write the output: {e}"))
        }
    }
}

/// The seeds `from..from + count` of a command's `from_flag` and `count_flag`. Refuses no seeds at
/// all (the command would report success having checked nothing) and a range past the largest
/// seed (it would wrap to an empty range, or panic in a debug build).
fn seed_range(from: u64, count: u64, from_flag: &str, count_flag: &str) -> Result<Range<u64>, String> {
    if count == 0 {
        return Err(format!("{count_flag} must be at least 1"));
    }
    let end = from.checked_add(count).ok_or_else(|| {
        format!("{from_flag} {from} plus {count_flag} {count} is past the largest seed ({})", u64::MAX)
    })?;
    Ok(from..end)
}

fn load(name_or_file: &str) -> Result<Scenario, String> {
    if let Some(s) = builtin(name_or_file) {
        return Ok(s);
    }
    if !std::path::Path::new(name_or_file).exists() {
        return Err(format!("`{name_or_file}` is neither a built-in scenario (see `caucus list`) nor a file"));
    }
    let text = std::fs::read_to_string(name_or_file).map_err(|e| format!("cannot read {name_or_file}: {e}"))?;
    Scenario::from_json(&text).map_err(|e| format!("{name_or_file}: {e}"))
}

/// The lessons' folder: `--dir`, else `lessons/` in the working directory, else the checkout's.
fn lessons_dir(dir: Option<String>) -> std::path::PathBuf {
    if let Some(d) = dir {
        return d.into();
    }
    let here = std::path::Path::new("lessons");
    if here.is_dir() {
        return here.into();
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons")
}

fn execute(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::List => {
            for s in builtin_scenarios() {
                out!("{:<28} {:<10} {}", s.name, s.protocol.name, s.description);
            }
        }
        Command::Profiles => {
            for (name, what) in PROFILES {
                out!("{name:<12} {what}");
            }
        }
        Command::Run { scenario, seed, until, trace } => {
            let mut scenario = load(&scenario)?;
            if let Some(seed) = seed {
                scenario.seed = seed;
            }
            let until = until.unwrap_or(scenario.until_us);
            let mut run = build(&scenario).map_err(|e| e.to_string())?;
            let outcome = run.run_until(until);
            summarize(run.as_ref(), until)?;
            if let Some(path) = trace {
                write_trace(run.as_ref(), &path).map_err(|e| format!("cannot write {path}: {e}"))?;
                out!("trace written to {path}");
            }
            if let Err(e) = outcome {
                return Err(format!("the run stopped early: {e}").into());
            }
        }
        Command::Check {
            scenario,
            rms,
            nodes,
            depth,
            crashes,
            restarts,
            drops,
            in_flight,
            max_states,
            network,
            liveness,
            terms,
            symmetry,
        } => {
            use caucus_protocols::check;
            use caucus_sim::explore::{Bounds, Network};
            let scenario = if scenario == caucus_protocols::two_phase::NAME {
                check::two_phase_scenario(rms.unwrap_or(3))
            } else if rms.is_some() {
                return Err("--rms is for the two-phase model only".into());
            } else {
                load(&scenario)?
            };
            let scenario = match nodes {
                Some(0) => return Err("--nodes must be at least 1".into()),
                Some(n) => check::on_nodes(&scenario, n),
                None => scenario,
            };
            let network = match network.as_deref() {
                None => check::default_network(&scenario.protocol.name),
                Some("unordered") => Network::Unordered,
                Some("duplicating") => Network::Duplicating,
                Some(other) => return Err(format!("--network is `unordered` or `duplicating`, not `{other}`").into()),
            };
            if max_states == 0 {
                return Err("--max-states must be at least 1".into());
            }
            let bounds =
                Bounds { depth, crashes, restarts, drops, in_flight, max_states, network, liveness, terms, symmetry };
            let numbering = caucus_protocols::check::numbering(&scenario.protocol.name);
            out!("checking {}: {}", scenario.name, bounds.describe_numbered(numbering));
            if !scenario.script.is_empty() {
                out!("(the scenario's script is not played: the checker tries every fault the bounds allow)");
            }
            let started = std::time::Instant::now();
            let report = check::check(&scenario, bounds, |_| {}).map_err(|e| e.to_string())?;
            let secs = started.elapsed().as_secs_f64();
            let p = report.progress;
            out!("nodes: {}", report.nodes);
            out!("states: {}", p.states);
            out!("unique states: {}", p.unique);
            out!("depth: {}", p.depth);
            out!("time: {secs:.2} s ({:.0} unique states/s, 1 thread)", p.unique as f64 / secs.max(1e-9));
            if p.bounded > 0 {
                out!("not expanded (at the bounds): {}", p.bounded);
            }
            for note in &report.notes {
                out!("{note}");
            }
            match &report.found {
                None => {
                    let what = if report.complete {
                        "every state within the bounds"
                    } else {
                        "the states seen (--max-states stopped the search)"
                    };
                    for (name, kind) in &report.properties {
                        let kind = if *kind == caucus_sim::PropertyKind::Safety || liveness {
                            "holds"
                        } else {
                            "not checked (add --liveness)"
                        };
                        out!("property “{name}”: {kind} in {what}");
                    }
                }
                Some(f) => {
                    out!("property “{}” fails after {} events: {}", f.property, f.path.len(), f.explanation);
                    for (i, step) in f.path.iter().enumerate() {
                        out!("{:>4}. {}", i + 1, step.event);
                        for note in &step.notes {
                            out!("        {note}");
                        }
                    }
                    return Ok(ExitCode::from(1));
                }
            }
        }
        Command::Moments { scenario, seed } => {
            let mut scenario = load(&scenario)?;
            if let Some(seed) = seed {
                scenario.seed = seed;
            }
            let mut run = build(&scenario).map_err(|e| e.to_string())?;
            let outcome = run.run_until(scenario.until_us);
            out!("{} on seed {}: {} steps", scenario.name, scenario.seed, run.head());
            for m in run.moments() {
                let kind =
                    serde_json::to_value(m.kind).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default();
                out!("step {:>7}  {:>10}  {:<9} {}", m.step, format_micros(m.time), kind, m.label);
            }
            for p in run.properties() {
                let state = match &p.first_violation {
                    Some(v) => format!("fails at step {} ({})", v.step, format_micros(v.time)),
                    None => "holds".into(),
                };
                out!("property “{}”: {state}", p.name);
            }
            let roles: Vec<_> = run.roles().iter().map(|r| r.name).collect();
            out!("roles: {}", if roles.is_empty() { "none".into() } else { roles.join(", ") });
            if let Err(e) = outcome {
                return Err(format!("the run stopped early: {e}").into());
            }
        }
        Command::Lesson { which: LessonCommand::List { dir } } => {
            for (path, lesson) in caucus_lessons::files::load_dir(&lessons_dir(dir))? {
                match lesson {
                    Ok(l) => out!("{:<28} {:<10} {}", l.id, l.family.word(), l.title),
                    Err(e) => return Err(format!("{}: {e}", path.display()).into()),
                }
            }
        }
        Command::Lesson { which: LessonCommand::Check { lesson, seeds, from, dir } } => {
            let Range { start: from, end: to } = seed_range(from, seeds, "--from", "--seeds")?;
            let mut lessons = Vec::new();
            match lesson.as_deref() {
                Some(file) if file.ends_with(".toml") => {
                    lessons.push(caucus_lessons::files::load(std::path::Path::new(file)).map_err(|e| e.to_string())?)
                }
                _ => {
                    let mut ids = Vec::new();
                    for (_, l) in caucus_lessons::files::load_dir(&lessons_dir(dir))? {
                        let l = l.map_err(|e| e.to_string())?;
                        if ids.contains(&l.id) {
                            return Err(format!("two lessons have the id `{}`", l.id).into());
                        }
                        ids.push(l.id.clone());
                        if lesson.as_deref().is_none_or(|id| id == l.id) {
                            lessons.push(l);
                        }
                    }
                    if let Some(id) = &lesson {
                        if lessons.is_empty() {
                            return Err(format!("no lesson `{id}` (see `caucus lesson list`)").into());
                        }
                    }
                }
            }
            let mut failed = 0;
            for l in &lessons {
                let outcome = l
                    .validate()
                    .map_err(|e| e.to_string())
                    .and_then(|()| caucus_lessons::check::check(l, from..to).map_err(|f| f.to_string()));
                match outcome {
                    Ok(()) => out!(
                        "ok    {:<28} {} chapters, {} challenges, seeds {from}..{to}",
                        l.id,
                        l.chapters.len(),
                        l.challenges.len()
                    ),
                    Err(e) => {
                        failed += 1;
                        out!("FAIL  {e}");
                    }
                }
            }
            out!("lessons: {} checked, {failed} failed", lessons.len());
            if failed > 0 {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Experiment { which: ExperimentKind::CrashLeader { scenario, trials, seed, timeout, limit, csv } } => {
            let seeds = seed_range(seed, trials, "--seed", "--trials")?;
            if limit == 0 {
                return Err("--limit must be longer than 0 (no trial could elect a new leader)".into());
            }
            let mut base = load(&scenario)?;
            if base.protocol.name != caucus_protocols::raft::NAME {
                let runs = &base.protocol.name;
                return Err(format!("crash-leader needs a Raft scenario; `{}` runs {runs}", base.name).into());
            }
            if let Some(range) = timeout {
                let (lo, hi) = range
                    .split_once("..")
                    .ok_or_else(|| format!("--timeout wants a range like 150ms..300ms, not `{range}`"))?;
                let (lo, hi) = (parse_duration(lo)?, parse_duration(hi)?);
                caucus_protocols::raft::set_timeouts(&mut base.protocol.params, lo, hi);
            }
            base.script.clear();
            let mut times = Vec::new();
            let mut failed = 0;
            if csv {
                out!("seed,first_leader,recovered_after_us");
            }
            for seed in seeds {
                let trial =
                    caucus_protocols::raft::crash_leader_trial(&base, seed, limit).map_err(|e| e.to_string())?;
                if csv {
                    let show = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
                    out!(
                        "{},{},{}",
                        trial.seed,
                        show(trial.first_leader.map(u64::from)),
                        show(trial.recovered_after_us)
                    );
                }
                match trial.recovered_after_us {
                    Some(t) => times.push(t),
                    None => failed += 1,
                }
            }
            print_distribution(&base, trials, &times, failed, limit)?;
        }
        Command::Experiment { which: ExperimentKind::Figure16 { scenario, seed, trials, limit } } => {
            use caucus_protocols::raft;
            let base = load(&scenario)?;
            if base.protocol.name != raft::NAME {
                return Err(
                    format!("figure-16 needs a Raft scenario; `{}` runs {}", base.name, base.protocol.name).into()
                );
            }
            out!("Figure 16 of the Raft paper on {}: time without a leader after the leader crashes", base.name);
            out!(
                "{:<12} {:>6} {:>10} {:>10} {:>10} {:>10} {:>9}   {:<36} ours/paper",
                "timeout",
                "trials",
                "shortest",
                "median",
                "mean",
                "longest",
                "no leader",
                "the paper"
            );
            for line in raft::FIGURE_16 {
                let n = match trials {
                    Some(t) if line.min_ms == line.max_ms => (t / 10).max(1),
                    Some(t) => t,
                    None => line.trials,
                };
                let seeds = seed_range(seed, n, "--seed", "--trials")?;
                let mut run = base.clone();
                raft::set_timeouts(&mut run.protocol.params, line.min_ms * MS, line.max_ms * MS);
                run.script.clear();
                let mut times = Vec::new();
                for seed in seeds {
                    let trial = raft::crash_leader_trial(&run, seed, limit).map_err(|e| e.to_string())?;
                    times.extend(trial.recovered_after_us);
                }
                times.sort_unstable();
                let show = |t: Option<&u64>| t.map_or("-".to_string(), |&t| format_micros(t));
                let mean = (!times.is_empty()).then(|| times.iter().sum::<u64>() / times.len() as u64);
                let ratio = match line.published.compare(&times, n as usize) {
                    Some((paper, ours)) if matches!(line.published, raft::Published::Longer { .. }) => {
                        if ours > paper { "holds" } else { "does not hold" }.to_string()
                    }
                    Some((paper, ours)) if ours.is_finite() => format!("{:.2}", ours / paper),
                    Some(_) => "no leader".to_string(),
                    None => String::new(),
                };
                out!(
                    "{:<12} {:>6} {:>10} {:>10} {:>10} {:>10} {:>9}   {:<36} {ratio}",
                    format!("{}-{} ms", line.min_ms, line.max_ms),
                    n,
                    show(times.first()),
                    show(times.get(n as usize / 2)),
                    show(mean.as_ref()),
                    show(times.last()),
                    n - times.len() as u64,
                    line.published.describe()
                );
            }
        }
        Command::Swarm { scenario, seeds, from, profile, out } => {
            let seeds = seed_range(from, seeds, "--from", "--seeds")?;
            let base = load(&scenario)?;
            let fault_profile = match FaultProfile::named(&profile) {
                Some(p) => p,
                None => {
                    let text = std::fs::read_to_string(&profile).map_err(|_| {
                        let known: Vec<_> = PROFILES.iter().map(|p| p.0).collect();
                        format!("unknown profile `{profile}` (known: {}; or give a JSON file)", known.join(", "))
                    })?;
                    serde_json::from_str(&text).map_err(|e| format!("{profile}: {e}"))?
                }
            };
            let report = caucus_protocols::swarm(&base, &fault_profile, seeds.clone()).map_err(|e| e.to_string())?;
            out!("swarm: {} runs, {} steps, profile {profile}", report.runs, report.steps);
            let Some(finding) = report.finding else {
                out!("no violation found in seeds {}..{}", seeds.start, seeds.end);
                return Ok(ExitCode::SUCCESS);
            };
            let v = &finding.violation;
            out!(
                "VIOLATION of {} ({:?}) with seed {} at step {} ({}):\n  {}",
                v.property,
                v.kind,
                finding.seed,
                v.step,
                format_micros(v.time),
                v.failure.explanation
            );
            let path = out.unwrap_or_else(|| format!("caucus-finding-{}-seed-{}.json", base.name, finding.seed));
            std::fs::write(&path, finding.scenario.to_json()).map_err(|e| format!("cannot write {path}: {e}"))?;
            out!("replay it with:\n  caucus run {path}");
            out!(
                "or search that seed again:\n  caucus swarm {} --profile {profile} --from {} --seeds 1",
                base.name,
                finding.seed
            );
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Percentiles and a text histogram of the time to a new leader.
fn print_distribution(base: &Scenario, trials: u64, times: &[u64], failed: u64, limit: u64) -> io::Result<()> {
    out!(
        "crash-leader on {} ({} nodes), params {}: {trials} trials",
        base.name,
        base.topology.build().map(|t| t.nodes.len()).unwrap_or(0),
        base.protocol.params
    );
    if times.is_empty() {
        out!("no trial elected a new leader within {}", format_micros(limit));
        return Ok(());
    }
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    let pct = |q: usize| sorted[(sorted.len() - 1) * q / 100];
    out!(
        "time to a new leader: min {}  median {}  p90 {}  p99 {}  max {}  ({} of {trials} within {})",
        format_micros(sorted[0]),
        format_micros(pct(50)),
        format_micros(pct(90)),
        format_micros(pct(99)),
        format_micros(*sorted.last().unwrap()),
        sorted.len(),
        format_micros(limit)
    );
    if failed > 0 {
        out!("{failed} trials elected no new leader within {}", format_micros(limit));
    }
    const BINS: u64 = 12;
    let (lo, hi) = (sorted[0], *sorted.last().unwrap());
    let width = ((hi - lo) / BINS + 1).max(1);
    let mut counts = [0usize; BINS as usize];
    for &t in &sorted {
        counts[(((t - lo) / width) as usize).min(BINS as usize - 1)] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1);
    for (i, c) in counts.iter().enumerate() {
        let from = lo + i as u64 * width;
        out!(
            "  {:>10} .. {:>10} {:>5} {}",
            format_micros(from),
            format_micros(from + width),
            c,
            "#".repeat(c * 50 / top)
        );
    }
    Ok(())
}

fn summarize(run: &dyn DynRun, until: u64) -> io::Result<()> {
    let s = run.scenario();
    out!("scenario {} ({}), seed {}, until {}", s.name, s.protocol.name, s.seed, format_micros(until));
    let delivered = (0..run.trace_msg_count() as u64)
        .filter(|&id| matches!(run.trace_msg(id).outcome, caucus_sim::trace::Outcome::Delivered { .. }))
        .count();
    out!(
        "steps {}, messages {} ({} delivered), simulated time {}",
        run.head(),
        run.trace_msg_count(),
        delivered,
        format_micros(run.now())
    );
    let mut violations: Vec<_> = run.violations().to_vec();
    violations.extend(run.check_liveness());
    if violations.is_empty() {
        out!("properties: all hold");
    }
    for v in violations {
        out!(
            "violation: {} ({:?}) at step {} ({}): {}",
            v.property,
            v.kind,
            v.step,
            format_micros(v.time),
            v.failure.explanation
        );
    }
    out!("digest {}", run.digest());
    Ok(())
}

/// Writes the trace record by record: a run at the step limit has a trace of gigabytes.
fn write_trace(run: &dyn DynRun, path: &str) -> io::Result<()> {
    let mut file = io::BufWriter::new(std::fs::File::create(path)?);
    run.write_trace_json(&mut file)?;
    file.flush()
}
