// End-to-end tests of the lesson player (src/components/lesson.rs, src/lesson.rs): every family's
// first lesson walked from its first chapter to its last, a question answered by stepping on, a
// challenge met by faults by hand, and a lesson embedded at 900×560 worked by keyboard alone.
// Registered by run.mjs.
import { assert, eq, press, test, until } from './harness.mjs';

const card = (page) => page.locator('section.lesson-card');
const chapterNo = async (page) => Number(await card(page).getAttribute('data-chapter'));

/** The lessons the index lists, by family card: [{ family, href, title }]. */
async function indexLessons(page) {
  await page.locator('#index-lessons li a').first().waitFor({ timeout: 20_000 });
  return page.evaluate(() =>
    [...document.querySelectorAll('#index-lessons article')].map((a) => ({
      family: a.querySelector('h3').textContent,
      lessons: [...a.querySelectorAll('li a')].map((l) => ({ href: l.getAttribute('href'), title: l.textContent })),
    })),
  );
}

/** Waits until the chapter shown has found its moment on the run (the run is computed ahead). */
async function chapterReady(page) {
  await until(async () => (await page.locator('.chapter-wait').count()) === 0, 'the chapter’s moment', 20_000);
}

test('lesson-index', 'the root page lists the lessons of every family, each linking to its page', async (t) => {
  const { page } = t;
  await page.goto(t.base);
  const families = await indexLessons(page);
  assert(families.length >= 5, `families with lessons: ${JSON.stringify(families)}`);
  for (const f of families) {
    const want = f.family === 'Failure detection' ? 1 : 3;
    assert(f.lessons.length >= want, `${f.family}: ${f.lessons.length} lessons`);
    for (const l of f.lessons) assert(/^(\.\/|[a-z]+\/)\?lesson=[a-z0-9-]+$/.test(l.href), `relative lesson link: ${l.href}`);
  }
  await t.shot('lesson-index', page, { fullPage: true });
});

test('lesson-walk', 'each family’s first lesson, from its first chapter to its last with Next chapter', async (t) => {
  const { page } = t;
  await page.goto(t.base);
  const families = await indexLessons(page);
  for (const f of families) {
    const first = f.lessons[0];
    await t.goto(first.href);
    await card(page).waitFor({ timeout: 20_000 });
    eq(await chapterNo(page), 1, `${first.title}: opens at chapter 1`);
    const total = await card(page).locator('.chapter-dot').count();
    assert(total >= 3, `${first.title}: ${total} chapters`);
    const captions = new Set();
    const titles = new Set();
    let looked = 0;
    for (let k = 1; k <= total; k++) {
      await chapterReady(page);
      eq(await chapterNo(page), k, `${first.title}: chapter shown`);
      titles.add(await card(page).locator('.chapter h3').innerText());
      captions.add(await page.locator('.caption-text').first().innerText());
      looked += await page.locator('.map g.node.look').count();
      looked += await page.evaluate(() => (document.querySelector('style[data-look]')?.textContent ?? '').length);
      if (k < total) await card(page).getByRole('button', { name: 'Next chapter' }).click();
    }
    eq(titles.size, total, `${first.title}: every chapter has its own title`);
    assert(captions.size >= 3, `${first.title}: the caption changes as the chapters move the run (${[...captions].join(' | ')})`);
    assert(looked > 0, `${first.title}: some chapter highlights something`);
    assert(await card(page).getByRole('button', { name: 'Next chapter' }).isDisabled(), 'Next chapter is disabled at the last');
    await card(page).getByRole('button', { name: 'Previous chapter' }).click();
    eq(await chapterNo(page), total - 1, `${first.title}: Previous chapter goes back`);
    await t.shot(`lesson-walk-${first.href.replace(/[^a-z0-9]+/g, '-')}`, page);
  }
});

test('lesson-question', 'a question is answered by stepping on: the answer shows when its moment comes', async (t) => {
  const { page } = t;
  await t.goto('lock/?lesson=lock-leases');
  await card(page).waitFor({ timeout: 20_000 });
  // Chapter 3 asks what the service does during the pause.
  for (let k = 1; k < 3; k++) {
    await chapterReady(page);
    await card(page).getByRole('button', { name: 'Next chapter' }).click();
  }
  await chapterReady(page);
  const q = card(page).locator('.question');
  assert(await q.isVisible(), 'the question is asked');
  eq(await card(page).locator('.answer').count(), 0, 'no answer before its moment');
  await q.getByRole('button', { name: /grants the lock to another client/ }).click();
  assert((await q.innerText()).includes('step on'), `asks to step on: ${await q.innerText()}`);
  // Step on with the keyboard until the lease runs out: the answer is revealed.
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await until(async () => {
    await press(page, 'ArrowRight');
    return (await card(page).locator('.answer').count()) > 0;
  }, 'the answer', 20_000);
  const answer = await card(page).locator('.answer').first().innerText();
  assert(answer.includes('You predicted it') && answer.includes('only knows time'), `answer: ${answer}`);
  await t.shot('lesson-question-answered', page);
});

test('lesson-challenge', 'a challenge met by faults by hand: the property grades it and the browser remembers', async (t) => {
  const { page } = t;
  await t.goto('lock/?lesson=lock-leases&chapter=7');
  await card(page).waitFor({ timeout: 20_000 });
  await chapterReady(page);
  const challenge = card(page).locator('li.challenge').first();
  await challenge.getByRole('button', { name: /^Try the challenge/ }).click();
  await until(async () => (await page.locator('header select[aria-label=Scenario]').inputValue()) === 'lock-lease', 'the challenge’s scenario');
  // Step until a client holds the lock, then pause it before it writes (the presenter shortcut).
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await until(async () => {
    await press(page, 'ArrowRight');
    return (await page.locator('table.clients tr.holds').count()) > 0;
  }, 'a holder', 20_000);
  await page.getByRole('button', { name: 'GC-pause the holder 2 s' }).click();
  await until(async () => (await challenge.locator('.challenge-met').count()) > 0, 'the challenge met', 20_000);
  assert((await challenge.innerText()).includes('✓ Met'), `challenge: ${await challenge.innerText()}`);
  const stored = await page.evaluate(() => localStorage.getItem('caucus-challenges'));
  assert(stored.includes('lock-leases/stale-write-by-hand'), `remembered: ${stored}`);
  await t.shot('lesson-challenge-met', page);
});

test('lesson-embed-keyboard', 'a lesson embedded at 900×560, worked by keyboard alone', async (t) => {
  const page = (t.page = await t.newPage({ viewport: { width: 900, height: 560 } }));
  await page.goto(`${t.base}lock/?lesson=lock-leases&embed=1`);
  await card(page).waitFor({ timeout: 20_000 });
  eq(await chapterNo(page), 1, 'opens at chapter 1');
  // The keys listen once the first render's effects have run: on a loaded machine a key pressed
  // the moment the card shows can come before that, so press again only if nothing happened.
  await until(async () => {
    if ((await chapterNo(page)) === 1) {
      await press(page, '.');
      await page.waitForTimeout(600);
    }
    return (await chapterNo(page)) === 2;
  }, '. goes to the next chapter', 15_000);
  await chapterReady(page);
  eq(await chapterNo(page), 2, '. goes to the next chapter');
  await press(page, 'Shift+ArrowRight');
  await chapterReady(page);
  eq(await chapterNo(page), 3, 'Shift+→ too');
  await press(page, ',');
  eq(await chapterNo(page), 2, ', goes back');
  await press(page, '.');
  await chapterReady(page);
  // Reach the first choice by Tab and answer with Enter.
  let reached = false;
  for (let i = 0; i < 60 && !reached; i++) {
    await press(page, 'Tab');
    reached = await page.evaluate(() => document.activeElement?.classList.contains('choice'));
  }
  assert(reached, 'Tab reaches the question’s choices');
  await press(page, 'Enter');
  assert((await card(page).locator('.choice.picked').count()) === 1, 'Enter picks a choice');
  await page.evaluate(() => document.activeElement.blur());
  await until(async () => {
    await press(page, 'ArrowRight');
    return (await card(page).locator('.answer').count()) > 0;
  }, 'the answer by stepping with →', 20_000);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  assert(width <= 900, `no sideways scroll in the embed: ${width}`);
  await t.shot('lesson-embed-900x560', page);
});

test('lesson-shots', 'every lesson opens at its last chapter from a link (screenshots for people to look at)', async (t) => {
  const { page } = t;
  await page.goto(t.base);
  const families = await indexLessons(page);
  for (const f of families) {
    for (const l of f.lessons) {
      await page.goto(`${t.base}${l.href}&chapter=99`);
      await card(page).waitFor({ timeout: 20_000 });
      // A chapter after a task starts only once the student has done it: then the card says so.
      // One look at the page (the note can go between two separate queries).
      await until(() => page.evaluate(() => !document.querySelector('.chapter-wait')?.textContent.includes('still being computed')), 'the run computed', 20_000);
      const total = await card(page).locator('.chapter-dot').count();
      eq(await chapterNo(page), total, `${l.title}: chapter=99 opens the last chapter`);
      await t.shot(`lesson-${l.href.split('lesson=')[1]}-last`, page);
    }
  }
}, { timeout: 180_000 });

test('essays', '"How it works" shows each protocol’s essay, fetched when first opened', async (t) => {
  const { page } = t;
  const fetched = [];
  page.on('request', (r) => { if (r.url().endsWith('/essays.json')) fetched.push(r.url()); });
  await page.goto(`${t.base}election/?s=raft`);
  await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
  const sections = page.locator('section.essays details.essay');
  eq(await sections.locator('summary').allInnerTexts(), ['Raft'], 'one section per protocol of the pack, titled');
  eq(fetched.length, 0, 'no essay is downloaded before one is opened');
  const raft = sections.filter({ hasText: 'Raft' }).first();
  await raft.locator('summary').focus();
  await press(page, 'Enter');
  await until(async () => (await raft.locator('.essay-body p').count()) > 3, 'the Raft essay', 20_000);
  assert((await raft.locator('.essay-body').innerText()).includes('term'), 'the essay talks about terms');
  eq(await raft.locator('.essay-body h1').count(), 0, 'the title is not repeated in the body');
  eq(fetched.length, 1, 'the essays are fetched once');
  await page.locator('section.essays').scrollIntoViewIfNeeded();
  await t.shot('essays-raft', page);
  // A lesson page whose lesson cannot be fetched says so and still runs.
  t.allowErrors(/404|Failed to load resource/);
  await page.route('**/lessons/raft-basics.json', (route) => route.fulfill({ status: 404, body: 'gone' }));
  await page.goto(`${t.base}election/?lesson=raft-basics`);
  await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
  const banner = await page.locator('.banner[role=alert]').innerText();
  assert(/could not be loaded/.test(banner) && banner.includes('404'), `banner: ${banner}`);
  eq(await card(page).count(), 0, 'no lesson card without the lesson');
});

test('lesson-seed', 'a lesson link with &seed= plays the lesson on that seed', async (t) => {
  const { page } = t;
  await page.goto(`${t.base}lock/?lesson=lock-leases&seed=7`);
  await card(page).waitFor({ timeout: 20_000 });
  eq(await page.locator('header input[aria-label=Seed]').inputValue(), '7', 'the seed the link names');
  eq(await chapterNo(page), 1, 'from the first chapter');
});
