// End-to-end tests of the balance pack (dist/balance/): the backends' cards, the latency chart and
// histogram, a gray failure and a crash as the balancers see them, the buttons that make a
// backend slow, the strategy picker and the comparison. Registered by run.mjs.
import { assert, eq, stepNo, test, until } from './harness.mjs';

const cards = (page) => page.locator('.balancep .backends li.backend');
const card = (page, node) => page.locator(`.balancep .backends li.backend[data-node="${node}"]`);

test('balance-round-robin', 'six backends share the load; latency over time and as a histogram', async (t) => {
  const { page } = t;
  await t.goto('balance/?v=1&s=balance&seed=1&t=3000');
  await page.waitForSelector('[data-figure="balance"] .backends');
  eq(await cards(page).count(), 6, 'a card per backend');
  eq(await stepNo(page), 3000, 'the step of the link');
  const head = await page.locator('.balancep h2').innerText();
  assert(head.startsWith('Round robin'), `title: ${head}`);
  assert(/\d+ requests · \d+ answered · \d+ waiting · p50 [0-9.]+ ms · p99 [0-9.]+ ms/.test(head), `headline: ${head}`);
  for (const c of await cards(page).all()) {
    const text = await c.innerText();
    assert(text.includes('healthy') && text.includes('✓ up for every balancer'), `a healthy card: ${text}`);
    const share = Number(/\((\d+)%\)/.exec(text)[1]);
    assert(share >= 15 && share <= 18, `round robin gives each about a sixth: ${text}`);
  }
  const chart = page.locator('[data-row="latency"] svg');
  const label = await chart.getAttribute('aria-label');
  assert(/the last second's p50 [0-9.]+ ms, p99 [0-9.]+ ms; target 1(\.000)? s/.test(label), `chart label: ${label}`);
  const p50 = await chart.locator('polyline.p50').getAttribute('points');
  assert(p50.split(' ').length >= 8, `a point per second: ${p50}`);
  eq(await page.locator('[data-row="histogram"] tbody tr').count(), 7, 'seven latency ranges');
  const counts = await page.locator('[data-row="histogram"] tbody td.num').allInnerTexts();
  const answered = Number(/(\d+) answered/.exec(head)[1]);
  eq(counts.reduce((a, b) => a + Number(b), 0), answered, 'the histogram counts every answered request');
  await t.shot('balance-round-robin-1280x800');
  await page.setViewportSize({ width: 375, height: 800 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  assert(wide <= 376, `no sideways scrolling at 375 px: ${wide}`);
  await t.shot('balance-round-robin-375', page, { fullPage: true });
});

test('balance-gray-failure', 'a slow backend passes its health checks, fills its queue and turns requests away', async (t) => {
  const { page } = t;
  await t.goto('balance/?v=1&s=balance-gray-failure&seed=1&t=2750');
  await page.waitForSelector('[data-figure="balance"] .backends');
  const n3 = card(page, 3);
  const text = await n3.innerText();
  assert(text.includes('10× slower (gray failure)'), `n3 is slow: ${text}`);
  assert(text.includes('✓ up for every balancer'), `and every balancer believes it up: ${text}`);
  assert(/turned away \d+/.test(text), `it turns requests away: ${text}`);
  const bar = await n3.locator('.queue-bar').getAttribute('aria-label');
  eq(bar, 'n3: 30 queued, 1 of 1 serving', 'its queue is full');
  assert((await n3.getAttribute('class')).includes('slow'), 'marked slow');
  await t.shot('balance-gray-failure-1280x800');
  // Recover by hand: the card says healthy again.
  await card(page, 3).getByRole('button', { name: 'Make n3 fast again' }).click();
  await until(async () => (await card(page, 3).innerText()).includes('healthy'), 'n3 to be healthy again');
  const hist = await page.locator('[data-row="histogram"] tbody tr.over').count();
  assert(hist >= 1, 'ranges at or past the target are marked');
});

test('balance-crash', 'the balancers mark a crashed backend down and the card says who believes what', async (t) => {
  const { page } = t;
  await t.goto('balance/?v=1&s=balance-backend-crash&seed=1&t=1320');
  await page.waitForSelector('[data-figure="balance"] .backends');
  let text = await card(page, 6).innerText();
  assert(text.includes('✕ crashed'), `n6 crashed: ${text}`);
  assert(text.includes('✕ down for n5'), `only n5 has noticed yet: ${text}`);
  await t.goto('balance/?v=1&s=balance-backend-crash&seed=1&t=1400');
  await page.waitForSelector('[data-figure="balance"] .backends');
  text = await card(page, 6).innerText();
  assert(text.includes('✕ down for n1, n5, n9'), `every balancer has: ${text}`);
  eq(await card(page, 6).getByRole('button', { name: 'Restart n6' }).count(), 1, 'a restart button on its card');
  await card(page, 7).getByRole('button', { name: 'Crash n7' }).click();
  await until(async () => (await card(page, 7).innerText()).includes('✕ crashed'), 'n7 crashed by hand');
  eq(await page.locator('section.properties li.property.fails').count(), 0, 'no property fails');
});

test('balance-compare', 'the comparison runs every strategy on the run; the herd fails its p99, two choices do not', async (t) => {
  const { page } = t;
  await t.goto('balance/?v=1&s=balance-stale-load&seed=1&t=200');
  await page.waitForSelector('[data-figure="balance"] .backends');
  await page.getByRole('button', { name: 'Compare strategies' }).click();
  const rows = page.locator('table.compare tbody tr');
  await until(async () => (await rows.count()) === 6, 'six strategies compared', 30_000);
  const herd = await rows.filter({ hasText: 'Least loaded' }).innerText();
  assert(herd.includes('(this run)') && herd.includes('⚠ p99 under target once healthy fails'), `the herd: ${herd}`);
  const two = await rows.filter({ hasText: 'Power of two' }).innerText();
  assert(two.includes('✓ every property holds'), `two choices: ${two}`);
  await page.locator('.compare-panel').scrollIntoViewIfNeeded();
  await t.shot('balance-compare-1280x800');
  // Restart under another strategy: same scenario, another title.
  await page.locator('details.settings summary', { hasText: 'Strategy' }).click();
  await page.getByRole('combobox', { name: 'Strategy' }).selectOption('power_of_two');
  await page.getByRole('button', { name: 'Restart with this strategy' }).click();
  await until(async () => (await page.locator('.balancep h2').innerText()).startsWith('Power of two choices'), 'the new strategy');
  eq(await stepNo(page), 0, 'restarted at step 0');
});

test('balance-lesson', 'the herd lesson opens on the balance page and outlines the backends it talks about', async (t) => {
  const { page } = t;
  await t.goto('balance/?lesson=balance-herd');
  const lesson = page.locator('section.lesson-card');
  await lesson.waitFor({ timeout: 20_000 });
  const text = await lesson.innerText();
  assert(text.includes('Least loaded, by report'), `the first chapter: ${text}`);
  await until(
    async () => (await page.locator('[data-row="backends"]').evaluate((e) => getComputedStyle(e).outlineStyle)) === 'dashed',
    'the backends outlined',
  );
  await t.shot('balance-lesson-1280x800');
});
