//! Sharing a run: as a link (URL query) and as a JSON file.
//!
//! A run is its scenario, the inputs applied by hand (each with its step) and the step being
//! looked at; replaying the inputs reproduces it exactly. Links are versioned (`v=1`) and name a
//! built-in scenario when they can (`s=heartbeat-gc-pause&seed=3`), else carry the scenario:
//!
//! `?v=1&s=NAME&seed=N&t=STEP&i=INPUTS` or `?v=1&sc=SCENARIO&t=STEP&i=INPUTS`
//!
//! or, typed by hand, `?s=NAME` (a built-in scenario, no version needed), where INPUTS and
//! SCENARIO are base64url (no padding) of compact JSON: `[[step, input], ...]`
//! and the scenario. The file format is `{"format": "caucus-run", "version": 1, "scenario",
//! "inputs": [{"step", "input"}], "step"}`.

use crate::{build, builtin};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use caucus_sim::limits::MAX_INPUTS;
use caucus_sim::{DynRun, Input, Scenario};
use serde::{Deserialize, Serialize};

/// A link's query, keys and values percent-decoded (`s=heart%62eat` is `heartbeat`), in order.
/// A key given twice is refused rather than one of them silently winning, except those that
/// list things ([`Params::REPEATABLE`]: each `panel=` adds to the embed's panels).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Keys a link may repeat.
    pub const REPEATABLE: &'static [&'static str] = &["panel"];

    /// Reads `query` (with or without its `?`).
    pub fn parse(query: &str) -> Result<Params, String> {
        let decode = |text: &str| -> Result<String, String> {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|t| t.into_owned())
                .map_err(|_| format!("the link's `{text}` is not text once percent-decoded"))
        };
        let mut params: Vec<(String, String)> = Vec::new();
        for part in query.trim_start_matches('?').split('&').filter(|p| !p.is_empty()) {
            let (key, value) = part.split_once('=').unwrap_or((part, ""));
            let (key, value) = (decode(key)?, decode(value)?);
            if params.iter().any(|(k, _)| *k == key) && !Params::REPEATABLE.contains(&key.as_str()) {
                return Err(format!("the link gives `{key}=` twice: which one was meant?"));
            }
            params.push((key, value));
        }
        Ok(Params(params))
    }

    /// Like [`Params::parse`], but a malformed query reads as empty (for routing and options;
    /// [`Shared::from_query`] reports what is wrong with it).
    pub fn lenient(query: &str) -> Params {
        Params::parse(query).unwrap_or_default()
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (a repeatable one), in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0.iter().filter(move |(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The parameters, in the link's order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// The link format this build writes and reads.
pub const LINK_VERSION: u32 = 1;
/// Steps a shared run may ask to replay (keeps a malicious link from freezing the tab).
pub const MAX_SHARED_STEPS: u64 = 500_000;
/// Characters a link to a run may have. Servers refuse longer requests (nginx's default buffer
/// for a request line is 8 KB; Node's, the bundled server's, 16 KB for all the headers: HTTP
/// 431), so a run past this travels as a run file instead.
pub const MAX_LINK_CHARS: usize = 8_000;

#[derive(Clone, Debug, PartialEq)]
pub struct Shared {
    pub scenario: Scenario,
    pub inputs: Vec<(u64, Input)>,
    pub step: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RunFile {
    #[allow(dead_code)]
    format: String,
    version: u32,
    scenario: serde_json::Value,
    #[serde(default)]
    inputs: Vec<FileInput>,
    #[serde(default)]
    step: u64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileInput {
    step: u64,
    input: Input,
}

impl Shared {
    /// Captures the state of a run.
    pub fn of(run: &dyn DynRun) -> Shared {
        Shared { scenario: run.scenario().clone(), inputs: run.inputs().to_vec(), step: run.cursor() }
    }

    /// The query string (without `?`) of a link to this run, however long.
    pub fn to_query(&self) -> String {
        query_of(&self.scenario, &self.inputs, self.step, usize::MAX).expect("no limit")
    }

    /// Reads a link's query. `Ok(None)` when the query names no run (open the default).
    pub fn from_query(query: &str) -> Result<Option<Shared>, String> {
        let params = Params::parse(query)?;
        let get = |key: &str| params.get(key).map(str::to_string);
        let (version, name, sc) = (get("v"), get("s"), get("sc"));
        if version.is_none() && name.is_none() && sc.is_none() {
            return Ok(None);
        }
        match version.as_deref() {
            Some(v) if v == LINK_VERSION.to_string() => {}
            Some(v) => return Err(format!("this link is version {v}, and this Caucus reads version {LINK_VERSION}")),
            // A short link to a built-in scenario, as the index and people write them:
            // `?s=raft-leader-crash` (and optionally `&seed=`, `&t=`). Names are stable.
            None if sc.is_none() && get("i").is_none() => {}
            None => return Err("this link has no version (v=): it was not made by Caucus".into()),
        }
        let mut scenario = match (name, sc) {
            (Some(name), None) => {
                builtin(&name).ok_or_else(|| format!("the link names an unknown scenario `{name}`"))?
            }
            (None, Some(sc)) => {
                let json = decode(&sc, "scenario")?;
                Scenario::from_json(&json).map_err(|e| format!("the link's scenario is invalid: {e}"))?
            }
            _ => return Err("the link must name a scenario with s= or carry one with sc=, not both".into()),
        };
        if let Some(seed) = get("seed") {
            scenario.seed = seed.parse().map_err(|_| format!("the link's seed `{seed}` is not a number"))?;
        }
        let inputs: Vec<(u64, Input)> = match get("i") {
            Some(i) => serde_json::from_str(&decode(&i, "inputs")?)
                .map_err(|e| format!("the link's inputs are invalid: {e}"))?,
            None => Vec::new(),
        };
        let step = match get("t") {
            Some(t) => t.parse().map_err(|_| format!("the link's step `{t}` is not a number"))?,
            None => 0,
        };
        Ok(Some(Shared { scenario, inputs, step }))
    }

    pub fn to_file(&self) -> String {
        #[derive(Serialize)]
        struct RunFileOut<'a> {
            format: &'static str,
            version: u32,
            scenario: &'a Scenario,
            inputs: Vec<FileInput>,
            step: u64,
        }
        let inputs = self.inputs.iter().map(|(step, input)| FileInput { step: *step, input: input.clone() }).collect();
        let file = RunFileOut {
            format: "caucus-run",
            version: LINK_VERSION,
            scenario: &self.scenario,
            inputs,
            step: self.step,
        };
        caucus_sim::scenario::pretty(&file)
    }

    /// Reads a run file; a bare scenario file is accepted too.
    ///
    /// Typed parts are decoded with `serde_json::from_str` only (never `from_value`), so the
    /// browser bundle carries one copy of each deserializer.
    pub fn from_file(text: &str) -> Result<Shared, String> {
        #[derive(Deserialize)]
        struct Probe {
            format: Option<String>,
            protocol: Option<serde::de::IgnoredAny>,
        }
        let probe: Probe = match serde_json::from_str(text) {
            Ok(p) => p,
            Err(e) if e.is_syntax() || e.is_eof() => return Err(format!("the file is not JSON: {e}")),
            Err(_) => return Err("this file is not a Caucus run, trace or scenario".into()),
        };
        let (scenario, inputs, step) = match (probe.format.as_deref(), probe.protocol.is_some()) {
            (Some("caucus-run"), _) => {
                let file: RunFile = serde_json::from_str(text).map_err(|e| format!("the run file is invalid: {e}"))?;
                if file.version != LINK_VERSION {
                    return Err(format!(
                        "this run file is version {}, and this Caucus reads version {LINK_VERSION}",
                        file.version
                    ));
                }
                (file.scenario, file.inputs, file.step)
            }
            (Some("caucus-trace"), _) => {
                return Err(
                    "this is a trace (for reading and tools); import the run file instead (Share… → Export run)".into(),
                )
            }
            (Some(other), _) => return Err(format!("this is a `{other}` file, not a Caucus run")),
            (None, true) => {
                let scenario = Scenario::from_json(text).map_err(|e| format!("the scenario is invalid: {e}"))?;
                return Ok(Shared { scenario, inputs: Vec::new(), step: 0 });
            }
            (None, false) => return Err("this file is not a Caucus run, trace or scenario".into()),
        };
        let scenario =
            Scenario::from_json(&scenario.to_string()).map_err(|e| format!("the run's scenario is invalid: {e}"))?;
        Ok(Shared { scenario, inputs: inputs.into_iter().map(|f| (f.step, f.input)).collect(), step })
    }

    /// Rebuilds the run: replays the inputs at their steps and moves to `step`.
    pub fn restore(&self) -> Result<Box<dyn DynRun>, String> {
        if self.step > MAX_SHARED_STEPS || self.inputs.iter().any(|(s, _)| *s > MAX_SHARED_STEPS) {
            return Err(format!("the run asks for more than {MAX_SHARED_STEPS} steps"));
        }
        if self.inputs.len() > MAX_INPUTS {
            return Err(format!("the run has {} inputs by hand, over the limit of {MAX_INPUTS}", self.inputs.len()));
        }
        if let Some((k, (field, why))) =
            self.inputs.iter().enumerate().find_map(|(k, (_, input))| Some((k, input.check_bounds().err()?)))
        {
            return Err(format!("inputs[{k}].{field}: {why}"));
        }
        let mut run = build(&self.scenario).map_err(|e| format!("the scenario is invalid: {e}"))?;
        for (k, (step, input)) in self.inputs.iter().enumerate() {
            if *step < run.cursor() {
                return Err(format!("input {k} is out of order (step {step})"));
            }
            advance(run.as_mut(), *step)?;
            run.apply(input.clone()).map_err(|e| format!("input {k} at step {step} cannot be applied: {e}"))?;
        }
        advance(run.as_mut(), self.step)?;
        run.seek(self.step);
        Ok(run)
    }
}

/// The query (without `?`) of a link to `run`, or `None` when it would be longer than `max`
/// characters. The work stops there, so a run of any size costs at most about `max` (the page
/// rewrites its address after every step).
pub fn link_query(run: &dyn DynRun, max: usize) -> Option<String> {
    query_of(run.scenario(), run.inputs(), run.cursor(), max)
}

fn query_of(scenario: &Scenario, inputs: &[(u64, Input)], step: u64, max: usize) -> Option<String> {
    // base64 writes 4 characters for every 3 bytes of JSON.
    let room = |q: &str, key: &str| max.saturating_sub(q.len() + key.len()) / 4 * 3;
    let mut q = format!("v={LINK_VERSION}");
    let same_as_builtin = builtin(&scenario.name).is_some_and(|mut b| {
        b.seed = scenario.seed;
        b == *scenario
    });
    if same_as_builtin {
        q += &format!("&s={}&seed={}", scenario.name, scenario.seed);
    } else {
        // A valid scenario is bounded (its description, its script); a script longer than a link
        // could hold is not even written out.
        if scenario.script.len().saturating_mul(16) > max {
            return None;
        }
        let json = serde_json::to_string(scenario).expect("scenarios serialize");
        if json.len() > room(&q, "&sc=") {
            return None;
        }
        q += "&sc=";
        q += &URL_SAFE_NO_PAD.encode(json);
    }
    q += &format!("&t={step}");
    if !inputs.is_empty() {
        // The same bytes as `to_string(inputs)`, written entry by entry to stop at the limit.
        let room = room(&q, "&i=");
        let mut json = String::from("[");
        for (k, entry) in inputs.iter().enumerate() {
            if k > 0 {
                json.push(',');
            }
            json += &serde_json::to_string(entry).expect("inputs serialize");
            if json.len() + 1 > room {
                return None;
            }
        }
        json.push(']');
        q += "&i=";
        q += &URL_SAFE_NO_PAD.encode(json);
    }
    (q.len() <= max).then_some(q)
}

fn advance(run: &mut dyn DynRun, step: u64) -> Result<(), String> {
    while run.head() < step {
        run.seek(run.head());
        if !run.apply(Input::Step).map_err(|e| e.to_string())? {
            return Err(format!("the run ends at step {}, before step {step}", run.head()));
        }
    }
    Ok(())
}

fn decode(text: &str, what: &str) -> Result<String, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .map_err(|_| format!("the link's {what} are garbled (not base64url)"))?;
    String::from_utf8(bytes).map_err(|_| format!("the link's {what} are garbled (not UTF-8)"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn link_values_are_percent_decoded_and_a_key_twice_is_refused() {
        let shared = Shared::from_query("?s=heart%62eat&seed=%37").unwrap().unwrap();
        assert_eq!((shared.scenario.name.as_str(), shared.scenario.seed), ("heartbeat", 7));
        let err = Shared::from_query("?s=heartbeat&seed=1&seed=2").unwrap_err();
        assert!(err.contains("`seed=` twice"), "{err}");
        let err = Shared::from_query("?s=%FF").unwrap_err();
        assert!(err.contains("not text"), "{err}");
        assert_eq!(Params::lenient("?a=1&a=2"), Params::default());
        assert_eq!(Params::parse("embed=1&&panel=figure%2Clog").unwrap().get("panel"), Some("figure,log"));
    }
    use super::*;
    use crate::TraceExport;
    use caucus_sim::Endpoint;

    fn sample() -> Box<dyn DynRun> {
        let mut run = build(&builtin("heartbeat").unwrap()).unwrap();
        for _ in 0..40 {
            run.apply(Input::Step).unwrap();
        }
        run.apply(Input::Crash { node: 2 }).unwrap();
        for _ in 0..30 {
            run.apply(Input::Step).unwrap();
        }
        run.apply(Input::Partition { a: vec![Endpoint::Dc(0)], b: vec![Endpoint::Dc(1)], one_way: true }).unwrap();
        for _ in 0..20 {
            run.apply(Input::Step).unwrap();
        }
        run.seek(50);
        run
    }

    #[test]
    fn a_run_too_long_for_a_link_has_none_and_costs_no_more_than_the_limit() {
        let mut run = build(&builtin("heartbeat").unwrap()).unwrap();
        for k in 0..600 {
            run.apply(Input::Reorder { enabled: k % 2 == 0 }).unwrap();
        }
        assert!(Shared::of(run.as_ref()).to_query().len() > MAX_LINK_CHARS);
        assert_eq!(link_query(run.as_ref(), MAX_LINK_CHARS), None);
        // A short run's link is the same whichever way it is made.
        let short = sample();
        assert_eq!(link_query(short.as_ref(), MAX_LINK_CHARS), Some(Shared::of(short.as_ref()).to_query()));
        // The limit is exact: a link of n characters fits in n, not in n - 1.
        let n = Shared::of(short.as_ref()).to_query().len();
        assert!(link_query(short.as_ref(), n).is_some() && link_query(short.as_ref(), n - 1).is_none());
    }

    #[test]
    fn a_run_with_too_many_inputs_or_an_input_over_the_limits_is_refused() {
        let scenario = builtin("heartbeat").unwrap();
        let many = Shared { scenario: scenario.clone(), inputs: vec![(0, Input::Heal); MAX_INPUTS + 1], step: 0 };
        let err = many.restore().err().unwrap();
        assert!(err.contains("over the limit of 10000"), "{err}");
        let long =
            Shared { scenario, inputs: vec![(3, Input::Pause { node: 0, duration_us: 7_200_000_000 })], step: 5 };
        let err = long.restore().err().unwrap();
        assert!(err.starts_with("inputs[0].pause.duration_us"), "{err}");
    }

    #[test]
    fn a_link_reproduces_the_same_state() {
        let run = sample();
        let query = Shared::of(run.as_ref()).to_query();
        assert!(query.starts_with("v=1&s=heartbeat&seed=1&t=50&i="), "{query}");
        let back = Shared::from_query(&query).unwrap().unwrap().restore().unwrap();
        assert_eq!(back.cursor(), 50);
        assert_eq!(back.nodes(), run.nodes());
        assert_eq!(back.in_flight(), run.in_flight());
        assert_eq!(back.inputs(), run.inputs(), "the recorded future travels too");
        // Plain steps after the last input need not travel: stepping on recreates them.
        assert_eq!(back.head(), 72);
    }

    #[test]
    fn a_custom_scenario_travels_inside_the_link() {
        let mut scenario = builtin("heartbeat").unwrap();
        scenario.name = "mine".into();
        scenario.until_us = 3_000_000;
        let shared = Shared { scenario: scenario.clone(), inputs: vec![], step: 3 };
        let q = shared.to_query();
        assert!(q.contains("&sc="));
        assert_eq!(Shared::from_query(&q).unwrap().unwrap(), shared);
    }

    #[test]
    fn files_round_trip_and_foreign_files_are_refused() {
        let run = sample();
        let shared = Shared::of(run.as_ref());
        assert_eq!(Shared::from_file(&shared.to_file()).unwrap(), shared);
        assert!(Shared::from_file("{\"format\":\"har\"}").unwrap_err().contains("`har`"));
        assert!(Shared::from_file("[1,2]").unwrap_err().contains("not a Caucus"));
        assert!(Shared::from_file("not json").unwrap_err().contains("not JSON"));
        assert!(Shared::from_file(&run.trace_json()).unwrap_err().contains("import the run file"));
    }

    #[test]
    fn malformed_links_are_explained() {
        let err = |q: &str| Shared::from_query(q).unwrap_err();
        assert_eq!(Shared::from_query("").unwrap(), None);
        assert_eq!(Shared::from_query("?embed=1").unwrap(), None);
        assert!(err("v=9&s=heartbeat").contains("version 9"));
        assert!(err("sc=e30").contains("no version"));
        assert!(err("s=heartbeat&i=W10").contains("no version"));
        let short = Shared::from_query("?s=heartbeat-gc-pause").unwrap().unwrap();
        assert_eq!(short.scenario, builtin("heartbeat-gc-pause").unwrap(), "a short link needs no version");
        assert_eq!(Shared::from_query("s=heartbeat&seed=4").unwrap().unwrap().scenario.seed, 4);
        assert!(err("v=1&s=nope").contains("unknown scenario `nope`"));
        assert!(err("v=1&s=heartbeat&seed=x").contains("seed"));
        assert!(err("v=1&s=heartbeat&i=%%%").contains("garbled"));
        assert!(err("v=1&sc=e30").contains("invalid"));
        let crash_twice = URL_SAFE_NO_PAD.encode(r#"[[5,{"crash":{"node":1}}],[6,{"crash":{"node":1}}]]"#);
        let shared = Shared::from_query(&format!("v=1&s=heartbeat&i={crash_twice}")).unwrap().unwrap();
        assert!(shared.restore().err().unwrap().contains("already crashed"));
        let too_far = Shared::from_query("v=1&s=heartbeat&t=99999999").unwrap().unwrap();
        assert!(too_far.restore().err().unwrap().contains("more than"));
    }
}
