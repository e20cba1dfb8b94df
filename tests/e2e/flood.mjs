// Profiles a run that floods the network (a heartbeat every 8 µs, the fastest the limits accept on
// three regions; 1 µs is refused up front) played at 10x: frame
// intervals, the longest task, when the limit stops it, and how long Step back takes after.
//   CAUCUS_E2E_URL=... node tests/e2e/flood.mjs   (PROFILE=path.cpuprofile to also save a CPU profile)
import { writeFileSync } from 'node:fs';
import { b64url, clickControl, newPage, percentile, start, stepNo } from './harness.mjs';

const sc = { version: 1, name: 'flood', protocol: { name: 'heartbeat', params: { interval_us: 8, timeout_us: 500000 } }, topology: { preset: 'three-regions' }, until_us: 1000000 };
const env = await start();
const base = env.base;
const { context, page } = await newPage(env);
await page.goto(`${base}?v=1&sc=${b64url(JSON.stringify(sc))}`);
await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
await page.getByRole('slider', { name: 'Speed (simulated time per real second)' }).fill('1');
const cdp = await context.newCDPSession(page);
if (process.env.PROFILE) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
  await cdp.send('Profiler.start');
}
const t0 = Date.now();
await clickControl(page, 'Play');
const res = await page.evaluate(() => new Promise((done) => {
  const times = [];
  const t0 = performance.now();
  const tick = (t) => {
    times.push(t);
    const banner = document.querySelector('.banner');
    const stopped = banner && /messages in flight|Paused|stops/.test(banner.textContent);
    if (!stopped && t - t0 < 30000) requestAnimationFrame(tick);
    else done({ intervals: times.slice(1).map((x, i) => x - times[i]), total: t - t0, banner: banner ? banner.textContent : '' });
  };
  requestAnimationFrame(tick);
}));
if (process.env.PROFILE) {
  const { profile } = await cdp.send('Profiler.stop');
  writeFileSync(process.env.PROFILE, JSON.stringify(profile));
}
const iv = res.intervals;
console.log(`played ${res.total.toFixed(0)} ms until: ${res.banner.slice(0, 120)}`);
console.log(`frames ${iv.length}, p50 ${percentile(iv, 50).toFixed(1)} ms, p95 ${percentile(iv, 95).toFixed(1)} ms, longest ${Math.max(...iv).toFixed(0)} ms`);
console.log(`step ${await stepNo(page)}`);
const b0 = Date.now();
await page.keyboard.press('ArrowLeft');
await page.waitForFunction(() => true);
const before = await stepNo(page);
console.log(`Back took ${Date.now() - b0} ms (step ${before})`);
await context.close();
await env.stop();
