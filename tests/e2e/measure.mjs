// Measurements of the built app in headless Chromium (printed, not asserted):
//   - time to first render: navigation start to the first `.map svg` node, fresh context each time
//   - frame times (requestAnimationFrame intervals) while playing: the default scenario, and the
//     largest topology preset (five-regions, 5 nodes per datacenter = 25 nodes, carried in the link
//     with sc=), at 1x and at 10x, and in embed mode (map and properties only) for comparison.
//     Headless Chromium paces frames at 60 Hz: 16.7 ms is the budget. Then each family's page
//     (Raft, ring, lock, commit) on the same preset at 1x and 10x.
//
//   node tests/e2e/measure.mjs     (same environment variables as run.mjs; MEASURE_JSON=path to
//                                   also write the numbers as JSON)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BIG_SCENARIO, b64url, clickControl, controls, inFlight, newPage, percentile, press, start, stepNo } from './harness.mjs';

const RUNS = Number(process.env.MEASURE_LOADS || 5);
const PLAY_MS = Number(process.env.MEASURE_PLAY_MS || 3000);

const big = BIG_SCENARIO;

async function firstRender(env) {
  const { context, page, errors } = await newPage(env);
  await page.addInitScript(() => {
    const seen = () => {
      if (!window.__firstRender && document.querySelector('.map svg g.node')) {
        window.__firstRender = performance.now();
      }
    };
    new MutationObserver(seen).observe(document, { childList: true, subtree: true });
  });
  // The simulator (the bare root is the index of the families).
  await page.goto(env.base + '?s=heartbeat');
  await page.waitForFunction(() => window.__firstRender, null, { timeout: 20_000 });
  const ms = await page.evaluate(() => ({
    render: window.__firstRender,
    dcl: performance.getEntriesByType('navigation')[0]?.domContentLoadedEventEnd,
  }));
  await context.close();
  if (errors.length) throw new Error(errors.join('\n'));
  return ms;
}

/** Plays `query` at speed 10^log10 for PLAY_MS and returns the frame intervals and steps/s. */
async function frames(env, query, log10) {
  const { context, page, errors } = await newPage(env);
  await page.goto(env.base + query);
  await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
  // Each story opens at its own speed: set the one measured.
  await page.getByRole('slider', { name: 'Speed (simulated time per real second)' }).fill(String(log10));
  const nodes = await page.locator('.map svg g.node').count();
  const step0 = await stepNo(page);
  await clickControl(page, 'Play');
  const intervals = await page.evaluate(
    (ms) =>
      new Promise((done) => {
        const times = [];
        const tick = (t) => {
          times.push(t);
          if (t - times[0] < ms) requestAnimationFrame(tick);
          else done(times.slice(1).map((x, i) => x - times[i]));
        };
        requestAnimationFrame(tick);
      }),
    PLAY_MS,
  );
  // A run that ended by itself has stopped playing (and the rest of its frames were idle).
  const ended = (await controls(page).getByRole('button', { name: 'Pause', exact: true }).count()) === 0;
  if (!ended) await clickControl(page, 'Pause');
  const steps = (await stepNo(page)) - step0;
  const flying = await inFlight(page);
  await context.close();
  if (errors.length) throw new Error(errors.join('\n'));
  const total = intervals.reduce((a, b) => a + b, 0);
  return {
    nodes,
    frames: intervals.length,
    p50: percentile(intervals, 50),
    p95: percentile(intervals, 95),
    max: Math.max(...intervals),
    slow: intervals.filter((x) => x > 25).length,
    steps_per_s: Math.round((steps / total) * 1000),
    in_flight_at_pause: flying,
    ended,
  };
}

const env = await start();
const out = { chromium: env.version, first_render_ms: [], play: [] };
try {
  for (let i = 0; i < RUNS; i++) out.first_render_ms.push(await firstRender(env));
  const cases = [
    ['heartbeat (6 nodes)', '?s=heartbeat', 0],
    ['heartbeat (6 nodes)', '?s=heartbeat', 1],
    ['heartbeat, embed (no diagram/log)', '?s=heartbeat&embed=1', 1],
    ['five-regions x5 (25 nodes)', `?v=1&sc=${b64url(JSON.stringify(big))}&t=0`, 0],
    ['five-regions x5 (25 nodes)', `?v=1&sc=${b64url(JSON.stringify(big))}&t=0`, 1],
    ['five-regions x5, embed', `?v=1&sc=${b64url(JSON.stringify(big))}&t=0&embed=1`, 1],
  ];
  // Every family's page on the same largest preset, with its own figure (issue 16).
  // Commit runs its most transactions (100), one every 300 ms: 2PC goes on for the whole measurement.
  const params = { commit: { transactions: 100, gap_us: 300_000 } };
  for (const [pack, protocol] of [['election', 'raft'], ['paxos', 'bully'], ['ring', 'ring'], ['lock', 'lock'], ['commit', 'commit'], ['balance', 'balance']]) {
    const sc = { ...big, name: `${protocol}-25`, description: '', protocol: { name: protocol, params: params[protocol] } };
    for (const log10 of [0, 1]) cases.push([`${protocol} five-regions x5`, `${pack}/?v=1&sc=${b64url(JSON.stringify(sc))}&t=0`, log10]);
  }
  for (const [name, query, log10] of cases) {
    out.play.push({ scenario: name, speed: `${10 ** log10}x`, ...(await frames(env, query, log10)) });
  }
} finally {
  await env.stop();
}

const f = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');
const renders = out.first_render_ms.map((r) => r.render);
console.log(`time to first render (navigation start to the first map node), ${RUNS} fresh loads:`);
console.log(`  median ${f(percentile(renders, 50))} ms, min ${f(Math.min(...renders))} ms, max ${f(Math.max(...renders))} ms` +
  ` (DOMContentLoaded median ${f(percentile(out.first_render_ms.map((r) => r.dcl), 50))} ms)`);
console.log(`\nframe times while playing (${PLAY_MS / 1000} s each; 16.7 ms = 60 Hz):`);
const rows = [['scenario', 'speed', 'frames', 'p50 ms', 'p95 ms', 'max ms', '>25 ms', 'steps/s']];
for (const p of out.play) {
  rows.push([p.scenario + (p.ended ? ' (ended)' : ''), p.speed, String(p.frames), f(p.p50), f(p.p95), f(p.max), String(p.slow), String(p.steps_per_s)]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
for (const [i, r] of rows.entries()) {
  console.log('  ' + r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  if (i === 0) console.log('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
}
if (process.env.MEASURE_JSON) {
  mkdirSync(dirname(process.env.MEASURE_JSON), { recursive: true });
  writeFileSync(process.env.MEASURE_JSON, JSON.stringify(out, null, 2));
}
