// End-to-end tests of the ring pack (dist/ring/): the replicated store over the simulated network,
// the ring explorer (add, remove and fail nodes and see keys move), hash % N beside it, the load
// chart, key look-up, and the frame times at 64 nodes x 256 virtual nodes x 10,000 keys (printed
// as MEASURE lines, not asserted). Registered by run.mjs.
import { join } from 'node:path';
import { SCREENSHOTS, assert, b64url, clickControl, eq, percentile, stepNo, test, until } from './harness.mjs';

/** Nine nodes in three regions with no scripted clients: only the requests a test sends. */
const QUIET = {
  version: 1,
  name: 'ring-quiet',
  description: 'Nine nodes, no scripted clients.',
  protocol: { name: 'ring' },
  topology: { preset: 'three-regions', nodes_per_dc: 3 },
  seed: 1,
  until_us: 10000000,
};

const explorer = (page) => page.locator('section.ring-explorer');
const moved = (page) => explorer(page).locator('p.moved');
const banner = (page) => page.locator('.banner[role=alert]');
/** Opens "Shape the ring" (the explorer's sliders) when it is closed. */
async function shapeControls(page) {
  const d = explorer(page).locator('details.explore');
  if (!(await d.evaluate((el) => el.open))) await d.locator('summary').click();
}
const followBox = (page) => explorer(page).getByRole('checkbox', { name: /Follow the store/ });

/** Unticks "Follow the store": the explorer's own ring of 12 nodes x 8 virtual nodes. */
async function ownRing(page) {
  await followBox(page).uncheck();
  await until(async () => (await explorer(page).locator('h2 .sub').innerText()).startsWith('12 nodes (12 live) × 8 virtual nodes'), 'the own ring');
}

/** Parses "the ring moved 81 of 1,000 keys (8.1%)… hash % N would move 912 (91.2%)". */
async function movedCounts(page) {
  const text = await moved(page).innerText();
  const num = (s) => Number(s.replaceAll(',', ''));
  const ring = text.match(/the ring moved ([0-9,]+) of ([0-9,]+) keys/);
  const modn = text.match(/hash % N would move ([0-9,]+)/);
  assert(ring && modn, `summary: ${text}`);
  return { text, ring: num(ring[1]), keys: num(ring[2]), modn: num(modn[1]) };
}

test('ring-store', 'requests travel between regions and the store shows their latency', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=400');
  eq(await page.locator('.map svg g.node[role=button]').count(), 9, 'nodes on the map');
  const rows = page.locator('section.ring-store table.requests tbody tr');
  assert((await rows.count()) >= 5, 'latest requests are listed');
  const latency = await rows.first().locator('td.num').innerText();
  assert(/^[0-9]+\.[0-9] ms$/.test(latency), `latency: ${latency}`);
  const text = await page.locator('section.properties').innerText();
  assert(text.includes('Every key has exactly R owners') && text.includes('Minimal movement'), `properties: ${text}`);
  assert(!text.includes('violated'), `nothing violated: ${text}`);
  await t.shot('ring-store', page, { fullPage: true });
});

test('ring-put-get', 'a put from the form is acknowledged; an empty key gets a message', async (t) => {
  const { page } = t;
  // At step 20 every node has started; requests to a node not running yet are refused.
  await t.goto(`ring/?v=1&sc=${b64url(JSON.stringify(QUIET))}&t=20`);
  for (let i = 0; i < 5; i++) await page.keyboard.press('+');
  const form = page.locator('.request-form');
  await form.getByRole('textbox', { name: 'Key' }).fill('');
  await form.getByRole('button', { name: 'Put' }).click();
  await until(async () => (await banner(page).count()) > 0, 'the error banner');
  assert((await banner(page).innerText()).includes('Keys and values are 1 to 64 bytes'), 'the banner explains');
  await form.getByRole('textbox', { name: 'Key' }).fill('user:42');
  await form.getByRole('textbox', { name: 'Value' }).fill('hello');
  await form.getByRole('combobox', { name: 'Coordinator node' }).selectOption('4');
  await form.getByRole('button', { name: 'Put' }).click();
  await clickControl(page, 'Play');
  // Watched as a person would, on screen: a view off screen is not redrawn while playing.
  await page.locator('section.ring-store').scrollIntoViewIfNeeded();
  await until(async () => (await page.locator('section.ring-store').innerText()).includes('put user:42 = hello acknowledged by'),
    'the put to be acknowledged', 20_000);
  await form.getByRole('combobox', { name: 'Coordinator node' }).selectOption('8');
  await form.getByRole('button', { name: 'Get' }).click();
  await page.locator('section.ring-store').scrollIntoViewIfNeeded();
  await until(async () => (await page.locator('section.ring-store').innerText()).includes('get user:42 = hello from'),
    'the get to return the value', 20_000);
  await clickControl(page, 'Pause');
  await t.shot('ring-put-get', page, { fullPage: true });
});

test('ring-explorer-add', 'adding a node moves about K/N keys; hash % N moves most of them', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  await ownRing(page);
  const sub = await explorer(page).locator('h2 .sub').innerText();
  assert(sub.startsWith('12 nodes (12 live) × 8 virtual nodes · 1,000 keys'), `explorer: ${sub}`);
  await explorer(page).getByRole('button', { name: 'Add a node' }).click();
  await until(async () => (await moved(page).count()) > 0, 'the movement summary');
  const m = await movedCounts(page);
  assert(m.text.startsWith('n12 joined'), m.text);
  eq(m.keys, 1000, 'keys');
  // Ideal 1000/13 ≈ 77; with 8 virtual nodes the share is lumpy, but far below hash % N's 12/13.
  assert(m.ring > 20 && m.ring < 200, `ring moved ${m.ring}`);
  assert(m.modn > 800, `hash % N moved ${m.modn}`);
  assert((await explorer(page).locator('canvas.ring-canvas').count()) === 2, 'both canvases side by side');
  // The load chart has one bar per live node and states its statistics.
  eq(await explorer(page).locator('.load-chart rect').count(), 13, 'bars');
  assert(/max [0-9]+ · mean 76\.9 · max\/mean [0-9.]+ · standard deviation [0-9.]+/.test(
    await explorer(page).locator('.load-chart figcaption').innerText()), 'load statistics');
  await page.waitForTimeout(1400);
  await t.shot('ring-explorer-add', page, { fullPage: true });
  await explorer(page).screenshot({ path: join(SCREENSHOTS, 'ring-explorer-add-panel.png') });
  // Hover, then the keyboard: the focused key's owner and replicas are written out.
  const canvas = explorer(page).locator('canvas.ring-canvas').first();
  const cbox = await canvas.boundingBox();
  // The top of the key band, scaled to the canvas's size on screen (it shares the row with hash % N).
  await canvas.hover({ position: { x: cbox.width / 2, y: cbox.width * (230 - 150) / 460 } });
  await until(async () => /^key[0-9]+ is at position 0x[0-9a-f]{16}/.test(await explorer(page).locator('p.focus').innerText()), 'hover text');
  await canvas.focus();
  const before = await explorer(page).locator('p.focus').innerText();
  const step = await stepNo(page);
  await page.keyboard.press('ArrowRight');
  const after = await explorer(page).locator('p.focus').innerText();
  assert(after !== before && /Owner n[0-9]+ [●■▲] [a-z-0-9]+; replicas n[0-9]+/.test(after), `keyboard: ${after}`);
  eq(await stepNo(page), step, 'an arrow key on the ring steps through keys, not the simulation');
});

test('ring-explorer-lookup', 'looking up user:42 gives the hand-computed SHA-1 position', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  await explorer(page).getByRole('textbox', { name: 'Look up a key by name' }).fill('user:42');
  const text = await explorer(page).locator('p.focus').innerText();
  assert(text.startsWith('user:42 is at position 0xadf14d23d3caa129'), text);
  // One vnode, three nodes: the owner follows from n0#0 = 781e…, n1#0 = 8b93…, n2#0 = d5d3… by hand.
  await shapeControls(page);
  await explorer(page).getByRole('slider', { name: 'Number of nodes' }).fill('3');
  await explorer(page).getByRole('slider', { name: 'Virtual nodes per node' }).fill('1');
  const three = await explorer(page).locator('p.focus').innerText();
  assert(three.includes('Owner n2 ▲ ap-southeast-1; replicas n0 ● us-east-1, n1 ■ eu-west-1'), three);
  assert(three.includes('Under hash % 3 it would be on n1'), three);
});

test('ring-explorer-fail', 'failing a node moves only its keys; recovering moves them back', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  await ownRing(page);
  await explorer(page).getByRole('combobox', { name: 'Node to remove, fail or recover' }).selectOption('5');
  // Count the animation frames the page asks for while the moved keys hop (none with reduced
  // motion: see ring-reduced-motion).
  await page.evaluate(() => {
    window.__frames = 0;
    const orig = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (f) => { window.__frames++; return orig(f); };
  });
  await explorer(page).getByRole('button', { name: 'Fail' }).click();
  await page.waitForTimeout(400);
  const frames = await page.evaluate(() => window.__frames);
  assert(frames > 5, `the moved keys animate: ${frames} frames requested`);
  const failed = await movedCounts(page);
  assert(failed.text.startsWith('n5 failed'), failed.text);
  const bars = await explorer(page).locator('.load-chart rect').count();
  eq(bars, 11, 'the failed node has no bar');
  await explorer(page).getByRole('button', { name: 'Recover' }).click();
  const back = await movedCounts(page);
  eq(back.ring, failed.ring, 'the same keys move back');
  await explorer(page).getByRole('button', { name: 'Remove' }).click();
  const removed = await movedCounts(page);
  eq(removed.ring, failed.ring, 'removing moves exactly the keys failing did');
});

test('ring-reduced-motion', 'with reduced motion the moved keys are shown at once, not animated', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  await ownRing(page);
  // Count animation frames the page asks for after the click: none beyond the app's own.
  await explorer(page).getByRole('button', { name: 'Add a node' }).click();
  await until(async () => (await moved(page).count()) > 0, 'the movement summary');
  const frames = await page.evaluate(() => new Promise((done) => {
    let n = 0;
    const orig = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (f) => { n++; return orig(f); };
    setTimeout(() => { window.requestAnimationFrame = orig; done(n); }, 400);
  }));
  // Add again and count the frames requested while the (absent) animation would run.
  await explorer(page).getByRole('button', { name: 'Add a node' }).click();
  const during = await page.evaluate(() => new Promise((done) => {
    let n = 0;
    const orig = window.requestAnimationFrame.bind(window);
    window.requestAnimationFrame = (f) => { n++; return orig(f); };
    setTimeout(() => { window.requestAnimationFrame = orig; done(n); }, 400);
  }));
  eq([frames, during], [0, 0], 'animation frames requested with reduced motion');
  assert((await moved(page).innerText()).startsWith('n13 joined'), 'the summary is there at once');
}, { context: { reducedMotion: 'reduce' } });

test('ring-scale', '64 nodes x 256 virtual nodes x 10,000 keys: frame times while keys move', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  const clickStart = Date.now();
  await shapeControls(page);
  await explorer(page).getByRole('button', { name: 'Scale: 64 nodes, 256 virtual nodes, 10,000 keys' }).click();
  await until(async () => (await explorer(page).locator('h2 .sub').innerText()).startsWith('64 nodes (64 live) × 256 virtual nodes · 10,000 keys'), 'the big ring');
  const buildMs = Date.now() - clickStart;
  const measure = async (button) => {
    // Frame intervals from the click until the animation (1.2 s) is over.
    const ready = page.evaluate(() => new Promise((done) => {
      const times = [];
      const start = performance.now();
      const tick = (t) => {
        times.push(t);
        if (t - start < 1500) requestAnimationFrame(tick); else done(times);
      };
      requestAnimationFrame(tick);
    }));
    const t0 = Date.now();
    await explorer(page).getByRole('button', { name: button }).click();
    const clickMs = Date.now() - t0;
    const times = await ready;
    const gaps = times.slice(1).map((t, i) => t - times[i]);
    return { clickMs, gaps };
  };
  await explorer(page).getByRole('combobox', { name: 'Node to remove, fail or recover' }).selectOption('7');
  const fail = await measure('Fail');
  const m = await movedCounts(page);
  assert(m.ring > 60 && m.ring < 320, `failing one of 64 moves about 1/64 of 10,000 keys: ${m.ring}`);
  assert(m.modn > 9000, `hash % N: ${m.modn}`);
  await page.waitForTimeout(300);
  await t.shot('ring-scale', page, { fullPage: true });
  await explorer(page).screenshot({ path: join(SCREENSHOTS, 'ring-scale-explorer.png') });
  const remove = await measure('Remove');
  for (const [what, r] of [['fail', fail], ['remove', remove]]) {
    const g = r.gaps.slice(2); // the first frames hold the click's recomputation
    console.log(`MEASURE ring-scale ${what}: 64x256x10000, click ${r.clickMs} ms, ${r.gaps.length} frames in 1.5 s, ` +
      `frame interval median ${percentile(g, 50).toFixed(1)} ms, p95 ${percentile(g, 95).toFixed(1)} ms, ` +
      `max ${Math.max(...g).toFixed(1)} ms (first ${r.gaps.slice(0, 2).map((x) => x.toFixed(1)).join(', ')} ms)`);
  }
  console.log(`MEASURE ring-scale build: 64x256x10000 ring, keys and both placements drawn in ${buildMs} ms (click to text)`);
});

test('ring-follow', 'the explorer follows the store: n8 joining moves about a ninth of the keys; a manual change stops following', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring-join&seed=1&t=0');
  assert(await followBox(page).isChecked(), 'following the store by default in a ring scenario');
  const sub = explorer(page).locator('h2 .sub');
  assert((await sub.innerText()).startsWith('8 nodes (8 live) × 16 virtual nodes · 1,000 keys · R = 3'), `the store's ring: ${await sub.innerText()}`);
  eq(await moved(page).count(), 0, 'no change yet');
  // The store's datacenters, not the explorer's own nI mod 3: n3 is in eu-west-1.
  const options = await explorer(page).getByRole('combobox', { name: 'Node to remove, fail or recover' }).innerText();
  assert(options.includes('n3 ■ eu-west-1') && options.includes('n2 ● us-east-1'), options);
  // About 3 simulated seconds a real second, so that the join at 3 s comes soon.
  await page.getByRole('slider', { name: 'Speed (simulated time per real second)' }).fill('0.5');
  await clickControl(page, 'Play');
  await until(async () => (await sub.innerText()).startsWith('9 nodes (9 live)'), 'n8 in the explorer', 30_000);
  await clickControl(page, 'Pause');
  const m = await movedCounts(page);
  assert(m.text.startsWith('n8 joined (in the simulated store):'), m.text);
  eq(m.keys, 1000, 'keys');
  // Ideal 1000/9 ≈ 111; only the keys n8 now owns move.
  assert(m.ring > 40 && m.ring < 250, `ring moved ${m.ring}`);
  assert(m.modn > 700, `hash % N moved ${m.modn}`);
  await page.waitForTimeout(1400);
  await explorer(page).screenshot({ path: join(SCREENSHOTS, 'ring-follow-explorer.png') });
  // A manual change stops following; the store's later steps leave the explorer alone.
  await explorer(page).getByRole('button', { name: 'Add a node' }).click();
  assert(!(await followBox(page).isChecked()), 'a manual change stops following');
  assert((await moved(page).innerText()).startsWith('n9 joined'), 'the manual change is shown');
  assert((await sub.innerText()).startsWith('10 nodes (10 live)'), await sub.innerText());
  // Ticking it again shows the store's ring at once.
  await followBox(page).check();
  await until(async () => (await sub.innerText()).startsWith('9 nodes (9 live) × 16 virtual nodes'), 'the store again');
});

test('ring-follow-crash', 'a node crashed in the run is drawn failed in the explorer and its keys move to the next nodes', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=20');
  const sub = explorer(page).locator('h2 .sub');
  assert((await sub.innerText()).startsWith('9 nodes (9 live)'), await sub.innerText());
  await page.getByRole('button', { name: /^n4 in / }).click();
  await page.locator('.inspector').getByRole('button', { name: 'Crash', exact: true }).click();
  await until(async () => (await sub.innerText()).startsWith('9 nodes (8 live)'), 'n4 failed in the explorer');
  const m = await movedCounts(page);
  assert(m.text.startsWith('n4 failed (crashed in the simulated store'), m.text);
  // With 9 nodes a crash moves about a ninth of the keys, hash % N most of them.
  assert(m.ring > 40 && m.ring < 250 && m.modn > 700, `moved ${m.ring}, hash % N ${m.modn}`);
  const options = await explorer(page).getByRole('combobox', { name: 'Node to remove, fail or recover' }).innerText();
  assert(options.includes('n4 ■ eu-west-1 (failed)'), options);
});

test('ring-sloppy', 'sloppy quorums under a partition: the read property reports the divergence', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring-sloppy&seed=1&t=600');
  await until(async () => (await page.locator('section.properties li.property.fails').count()) > 0, 'the violation');
  const text = await page.locator('section.properties').innerText();
  assert(text.includes('Reads see the last acknowledged write') && text.includes('sloppy quorum'), text);
  assert((await page.locator('section.ring-store').innerText()).includes('sloppy'), 'fallback writes are marked in the store');
  await t.shot('ring-sloppy', page, { fullPage: true });
});

test('ring-leave', 'the leave button takes a node out of every ring view', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=50');
  const row = page.locator('section.ring-store tbody tr').filter({ has: page.locator('th', { hasText: /^n4$/ }) });
  await row.getByRole('button', { name: 'n4 leaves the ring' }).click();
  await clickControl(page, 'Play');
  await row.scrollIntoViewIfNeeded();
  await until(async () => (await row.innerText()).includes('outside'), 'n0 to see n4 outside', 20_000);
  await clickControl(page, 'Pause');
  assert(await row.getByRole('button', { name: 'n4 joins the ring' }).isVisible(), 'n4 can join again');
  const text = await page.locator('section.properties').innerText();
  assert(!text.includes('violated'), `nothing violated: ${text}`);
});

test('ring-mobile', 'on a phone the ring fits the screen and hovering still finds keys', async (t) => {
  const { page } = t;
  await t.goto('ring/?v=1&s=ring&seed=1&t=0');
  const canvas = explorer(page).locator('canvas.ring-canvas').first();
  const box = await canvas.boundingBox();
  assert(box.width <= 375 && Math.abs(box.width - box.height) < 2, `canvas ${box.width} x ${box.height}`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  // The top of the key band, scaled to the canvas's size on screen.
  await canvas.hover({ position: { x: box.width / 2, y: box.width * (230 - 150) / 460 } });
  await until(async () => /^key[0-9]+ is at position/.test(await explorer(page).locator('p.focus').innerText()), 'hover text');
  // Straight above the centre is position 0 (the top of the ring): the nearest key is close to it.
  const text = await explorer(page).locator('p.focus').innerText();
  assert(/is at position 0x(0[0-7]|f[89a-f])/.test(text), `the key under the pointer: ${text}`);
  await explorer(page).scrollIntoViewIfNeeded();
  await t.shot('ring-mobile', page);
}, { context: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true } });

test('ring-routing', 'a ring link at the site root opens the ring page at the same step', async (t) => {
  const { page } = t;
  // The root page may still be fetching its own bundle when it hands over: that is navigation.
  t.allowErrors(/_bg\.wasm net::ERR_ABORTED/);
  await t.goto('?v=1&s=ring-join&seed=1&t=300');
  await until(async () => page.url().includes('/ring/?'), 'the redirect to ring/');
  await page.waitForSelector('section.ring-store');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'ring-join', 'scenario');
  const row = page.locator('section.ring-store tbody tr').filter({ has: page.locator('th', { hasText: /^n8$/ }) });
  assert((await row.innerText()).includes('outside'), 'n8 starts outside the ring');
});
