// The WebAssembly side of scripts/bench.sh: loads the benchmark page (bench/index.html, built by
// Trunk as the release bundle is) in headless Chromium and runs each Raft workload, printing
// `wasm <mode>: <events per second>` as the native side prints its line.
//
//   CAUCUS_DIST=<the bench page's folder> node tests/e2e/bench.mjs [EVENTS] [REPEATS]
import { newPage, start } from './harness.mjs';

const events = Number(process.argv[2] || 300_000);
const repeats = Number(process.argv[3] || 5);
const env = await start();
try {
  const { context, page, errors } = await newPage(env);
  await page.goto(env.base);
  await page.waitForFunction(() => window.wasmBindings && window.wasmBindings.bench, null, { timeout: 30_000 });
  for (const mode of ['untraced', 'traced']) {
    let best = Infinity;
    let reached = 0;
    for (let i = 0; i < repeats; i++) {
      const [ms, at] = await page.evaluate(([m, n]) => Array.from(window.wasmBindings.bench(m, n)), [mode, events]);
      best = Math.min(best, ms);
      reached = at;
    }
    console.log(`wasm ${mode}: ${Math.round(events / (best / 1000))} events/s (${events} events, best of ${repeats}, simulated time ${reached} µs)`);
  }
  if (errors.length) throw new Error(errors.join('\n'));
  await context.close();
} finally {
  await env.stop();
}
