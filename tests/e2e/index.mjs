// The root page without a query: the index of the families (src/components/index.rs).
import { assert, eq, test, until } from './harness.mjs';

const FAMILIES = ['Hash ring', 'Locks', 'Commit', 'Election', 'Paxos and Bully', 'Load balancing', 'Heartbeat'];
const FAM = 'section[aria-labelledby=index-families]';
/** Lessons per family on the index (lessons/*.toml), in the families' order. */
const LESSONS = {
  'Consistent hashing': 3,
  'Distributed locks': 5,
  'Distributed transactions': 4,
  'Leader election and consensus: Raft': 3,
  'Atomic broadcast: Zab, under ZooKeeper': 3,
  'Consensus without a leader, and a naive election: Paxos and Bully': 3,
  'Load balancing across datacenters': 3,
  'Failure detection': 1,
};

async function openIndex(t, page = t.page) {
  await page.goto(t.base);
  await page.waitForSelector('.index-cards a', { timeout: 20_000 });
  // The lessons are filled in by the app (from the build's lesson index) once it runs.
  await page.waitForSelector('#index-lessons:not([hidden]) .index-lesson-list a', { timeout: 20_000 });
}

/** Every link on the index: where it points (absolute) and its text. */
async function links(page) {
  return page.$$eval('.index a', (as) => as.map((a) => ({ href: a.href, text: a.innerText.trim(), card: a.closest('article').id })));
}

/** Text smaller than 12 px anywhere on the page (none allowed). */
async function tinyText(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.index *')]
      .filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
      .filter((e) => parseFloat(getComputedStyle(e).fontSize) < 12)
      .map((e) => `${e.tagName.toLowerCase()} "${e.textContent.trim().slice(0, 30)}"`),
  );
}

/** Opens `href` in `page` and returns the scenario the simulator shows. */
async function scenarioAt(page, href) {
  await page.goto(href);
  await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
  return page.locator('header select[aria-label=Scenario]').inputValue();
}

test('index-1280', 'the root lists the seven families, their lessons, scenarios and contrasts (1280×800)', async (t) => {
  const { page } = t;
  await openIndex(t);
  eq(await page.locator('.map').count(), 0, 'no simulator on the index');
  eq(await page.locator('h1').count(), 1, 'one h1');
  eq(await page.locator('main').count(), 1, 'a main landmark');
  eq(await page.locator('section h2').allInnerTexts(), ['Lessons', 'Families', 'Featured contrasts'], 'the sections');
  // The lessons come first, one card per family, each lesson with its size.
  const lessonCards = page.locator('#index-lessons article');
  eq(await lessonCards.locator('h3').allInnerTexts(), Object.keys(LESSONS), 'a lesson card per family, in the families\' order');
  for (const card of await lessonCards.all()) {
    const family = await card.locator('h3').innerText();
    eq(await card.locator('ol a').count(), LESSONS[family], `${family}: its lessons`);
    for (const about of await card.locator('.index-lesson-about').allInnerTexts()) {
      assert(/^\d+ chapters/.test(about), `${family}: a lesson says how long it is (${about})`);
    }
  }
  const titles = await page.locator(`${FAM} article h3`).allInnerTexts();
  eq(titles.map((s) => s.replace(/\s*→$/, '')), FAMILIES, 'the family cards, in order');
  for (const card of await page.locator(`${FAM} article`).all()) {
    const n = await card.locator('ul a').count();
    assert(n >= 2 && n <= 4, `2 to 4 scenarios per family, got ${n}`);
    assert((await card.locator('.index-lesson').innerText()).length > 40, 'a one-line lesson');
  }
  const contrasts = page.locator('section:last-of-type article');
  eq(await contrasts.count(), 6, 'six featured contrasts');
  for (const c of await contrasts.all()) eq(await c.locator('a').count(), 2, 'each contrast is two links');
  eq(await tinyText(page), [], 'text under 12 px');
  // Two columns or more at 1280 px, the cards side by side.
  const tops = await page.locator(`${FAM} article`).evaluateAll((as) => as.map((a) => a.getBoundingClientRect().top));
  eq(tops[0], tops[1], 'the first two cards share a row');
  // Keyboard: the first Tab reaches the first lesson (of the first family), with a visible focus ring.
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => ({
    text: document.activeElement.textContent,
    outline: getComputedStyle(document.activeElement).outlineStyle,
  }));
  eq(focused.text, await page.locator('#index-lessons ol a').first().innerText(), 'first Tab stop: the first lesson');
  assert(focused.outline !== 'none', 'the focused link shows a focus ring');
  await t.shot('index-1280x800', page);
  await page.keyboard.press('Shift+Tab');
}, { context: { viewport: { width: 1280, height: 800 } } });

test('index-links', 'every link on the index opens its page with that scenario selected', async (t) => {
  const { page } = t;
  await openIndex(t);
  const all = await links(page);
  const lessons = Object.values(LESSONS).reduce((a, b) => a + b, 0);
  eq(all.length, lessons + 7 + 27 + 12, 'links on the index');
  const base = new URL(t.base);
  for (const { href, text } of all) {
    const url = new URL(href);
    assert(url.origin === base.origin && url.pathname.startsWith(base.pathname), `${text}: stays on the site (${href})`);
  }
  // Clicking: each family's heading opens its page (its first scenario), a scenario link that one.
  const dirs = { 'Hash ring': 'ring/', Locks: 'lock/', Commit: 'commit/', Election: 'election/', 'Paxos and Bully': 'paxos/', 'Load balancing': 'balance/', Heartbeat: '' };
  const defaults = { 'Hash ring': 'ring', Locks: 'lock-lease', Commit: 'commit-2pc', Election: 'raft', 'Paxos and Bully': 'paxos', 'Load balancing': 'balance', Heartbeat: 'heartbeat' };
  for (const family of FAMILIES) {
    await openIndex(t);
    await page.locator('article h3 a', { hasText: family }).click();
    await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
    assert(new URL(page.url()).pathname === base.pathname + dirs[family], `${family}: on ${page.url()}`);
    eq(await page.locator('header select[aria-label=Scenario]').inputValue(), defaults[family], `${family}: its page`);
  }
  await openIndex(t);
  await page.getByRole('link', { name: /GC pause outlives the lease/ }).click();
  await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'lock-lease-gc-pause', 'clicked scenario');
  assert(new URL(page.url()).pathname === base.pathname + 'lock/', `on the lock page: ${page.url()}`);
  // Every scenario link, followed: the page shows the scenario the link names.
  for (const { href } of all) {
    const name = new URL(href).searchParams.get('s');
    if (!name) continue;
    eq(await scenarioAt(page, href), name, `${href}`);
    eq(await page.locator('.banner[role=alert]').count(), 0, `${href}: no error banner`);
  }
}, { timeout: 240_000, context: { viewport: { width: 1280, height: 800 } } });

test('index-375', 'the index at 375 px: one column, no horizontal scroll, every link reachable', async (t) => {
  const { page } = t;
  await openIndex(t);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert(width <= 375, `scroll width ${width} px at 375 px`);
  const lefts = await page.locator(`${FAM} article`).evaluateAll((as) => as.map((a) => Math.round(a.getBoundingClientRect().left)));
  assert(lefts.every((l) => l === lefts[0]), `one column: ${lefts}`);
  eq(await tinyText(page), [], 'text under 12 px');
  // Touch targets: every link at least 24 px tall.
  const small = await page.$$eval('.index a', (as) => as.filter((a) => a.getBoundingClientRect().height < 24).map((a) => a.innerText));
  eq(small, [], 'links shorter than 24 px');
  await t.shot('index-375x812', page, { fullPage: true });
  await page.getByRole('link', { name: /2PC commit-2pc-coordinator-crash/ }).click();
  await until(async () => (await page.locator('.map svg g.node').count()) > 0, 'the commit page', 20_000);
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'commit-2pc-coordinator-crash', 'contrast link at 375 px');
}, { timeout: 90_000, context: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true } });
