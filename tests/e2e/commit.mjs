// End-to-end tests of the commit pack (dist/commit/): 2PC blocking on a crashed coordinator, 3PC
// split by a partition, a saga's compensations, and the presenter shortcuts. Registered by run.mjs.
import { assert, clickControl, eq, press, stepNo, test, until } from './harness.mjs';

test('commit-routing', 'a 3PC link at the root opens the commit page', async (t) => {
  const { page } = t;
  t.allowErrors(/_bg\.wasm net::ERR_ABORTED/);
  await t.goto('?v=1&s=commit-3pc&seed=1&t=42');
  await until(async () => page.url().includes('/commit/?'), 'the redirect to commit/');
  await page.waitForSelector('.panel.commit .lanes svg');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'commit-3pc', 'scenario');
  eq(await stepNo(page), 42, 'the step of the link');
  const sub = await page.locator('.panel.commit h2 .sub').innerText();
  assert(/^T1 committed after [0-9.]+ ms, every node done after [0-9.]+ ms$/.test(sub), `summary: ${sub}`);
  eq(await page.locator('.panel.commit .lanes .band').count(), 3, 'three phases in the lanes');
  await t.shot('commit-3pc', page, { fullPage: true });
});

test('commit-2pc-blocked', '2PC participants stay in doubt while the coordinator is down, then abort', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-2pc-coordinator-crash&seed=1&t=53');
  await page.waitForSelector('.panel.commit .in-doubt');
  const items = await page.locator('.panel.commit .in-doubt li').allInnerTexts();
  // The five in one line: the same transaction, the same reason.
  eq(items.length, 1, `one line for the five participants in doubt: ${items.join(' | ')}`);
  assert(items[0].includes('blocked: n0 is down'), `they say why: ${items[0]}`);
  assert(/n1, n2, n3, n4, n5 in doubt about T1 for 3\.[0-9]+ s/.test(items[0]), `who, and for how long: ${items[0]}`);
  const label = await page.locator('.map g.node').nth(4).getAttribute('aria-label');
  assert(label.includes('in doubt'), `the map says so too: ${label}`);
  const machine = await page.locator('.machine svg').getAttribute('aria-label');
  assert(machine.includes('n1 in doubt') && machine.includes('n5 in doubt'), `state machine: ${machine}`);
  eq(await page.locator('.machine .state.on').count(), 1, 'one state highlighted');
  assert((await page.locator('.wal-table').innerText()).includes('down: log on disk'), 'n0 is down with its log');
  // The distance table counts the log forces: the decision with logs on network disks.
  const heads = await page.locator('table.distance thead th').allInnerTexts();
  eq(heads[heads.length - 1], 'decision, disk logs', 'the disk column');
  const one = await page.locator('table.distance tbody tr').first().locator('td').allInnerTexts();
  assert(one[2] === '6.19 ms' && one[4] === '14.50 ms', `one datacenter, free and on disks: ${one.join(' | ')}`);
  await t.shot('commit-2pc-in-doubt', page, { fullPage: true });
  // On: n0 restarts at 4 s, presumes abort, and nobody is in doubt any more.
  await press(page, 'ArrowRight', 15);
  await until(async () => (await page.locator('.panel.commit .in-doubt-none').count()) === 1, 'the in-doubt list to empty');
  assert((await page.locator('.panel.commit h2 .sub').innerText()).startsWith('T1 aborted after'), 'T1 aborted');
});

test('commit-3pc-partition', 'a partition splits 3PC and the atomicity property names the nodes', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-3pc-partition&seed=1&t=51');
  await until(async () => (await page.locator('section.properties li.property.fails').count()) > 0, 'the violation');
  const text = await page.locator('section.properties').innerText();
  assert(text.includes('n1 committed T1 while n4 aborted it: a partition split 3PC'), `properties: ${text}`);
  const machine = await page.locator('.machine svg').getAttribute('aria-label');
  assert(machine.includes('n1 committed') && machine.includes('n4 aborted'), `state machine: ${machine}`);
  eq(await page.locator('.machine .state.on').count(), 2, 'committed and aborted both highlighted');
  await t.shot('commit-3pc-partition', page, { fullPage: true });
});

test('commit-saga', 'a failed saga step is compensated in reverse; the lanes show it', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-saga-compensate&seed=1&t=14');
  await page.waitForSelector('.panel.commit .lanes svg');
  const visible = await page.locator('.panel.commit .in-doubt.visible').innerText();
  assert(visible.includes('S1 is half done: others can already see T1 at n1, T2 at n2'), `half a saga is visible: ${visible}`);
  await press(page, 'ArrowRight', 12);
  eq(await stepNo(page), 26, 'the end of the saga');
  eq(await page.locator('.panel.commit h2').evaluate((h) => h.firstChild.textContent), 'Saga', 'title');
  const lanes = await page.locator('.panel.commit .lanes svg').innerHTML();
  for (const word of ['compensated', 'failed', 'done']) assert(lanes.includes(`>${word}<`), `lanes show ${word}`);
  const machine = await page.locator('.machine svg').getAttribute('aria-label');
  assert(machine.includes('n3 compensated') && machine.includes('n4 failed') && machine.includes('n5 not asked'), `machine: ${machine}`);
  const wal = await page.locator('.wal-table tbody tr').first().innerText();
  assert(/T4 failed.*C3 done.*C2 done.*C1 done/s.test(wal), `orchestrator log: ${wal}`);
  await t.shot('commit-saga-compensate', page, { fullPage: true });
});

test('commit-presenter', 'vote no by hand, begin by hand, restart as a saga, bad input gets a message', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-2pc&seed=1&t=6');
  await page.waitForSelector('.panel.commit .presenter');
  await page.getByRole('combobox', { name: 'Participant that will vote no' }).selectOption({ label: 'n2' });
  await page.getByRole('button', { name: 'votes no on T1' }).click();
  await press(page, 'ArrowRight', 40);
  await until(async () => (await page.locator('.panel.commit h2 .sub').innerText()).startsWith('T1 aborted'), 'T1 aborted');
  const lanes = await page.locator('.panel.commit .lanes svg').innerHTML();
  assert(lanes.includes('✗ no'), 'the no vote is marked on its message');
  await page.getByRole('button', { name: 'Begin T2' }).click();
  await press(page, 'ArrowRight', 40);
  await until(async () => (await page.locator('.panel.commit h2 .sub').innerText()).startsWith('T2 committed'), 'T2 committed');
  const settings = page.locator('details.settings');
  await settings.locator('summary').click();
  await settings.getByRole('combobox', { name: 'Variant' }).selectOption('saga');
  await settings.getByRole('button', { name: 'Restart with these' }).click();
  await until(async () => (await page.locator('.panel.commit h2').innerText()).startsWith('Saga'), 'the saga');
  eq(await page.locator('.banner[role=alert]').count(), 0, 'no error');
  await page.locator('details.settings summary').click();
  const count = page.locator('details.settings').getByRole('spinbutton', { name: 'Transactions' });
  await count.fill('500');
  await count.dispatchEvent('change');
  await page.locator('details.settings').getByRole('button', { name: 'Restart with these' }).click();
  await until(async () => (await page.locator('.banner[role=alert]').count()) === 1, 'an error banner');
  assert((await page.locator('.banner[role=alert]').innerText()).includes('transactions must be between 1 and 100'), 'it says why');
  assert((await page.locator('.panel.commit h2').innerText()).startsWith('Saga'), 'the last good run stays');
});

test('commit-work-timeout', 'a coordinator crash before the vote blocks nobody: each participant aborts alone', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-2pc-work-timeout&seed=1&t=18');
  await page.waitForSelector('.panel.commit .lanes svg');
  const machine = await page.locator('.machine svg').getAttribute('aria-label');
  for (const n of ['n1', 'n2', 'n3', 'n4', 'n5']) assert(machine.includes(`${n} aborted`), `${n} aborted alone: ${machine}`);
  eq(await page.locator('.panel.commit .in-doubt-none').count(), 1, 'nobody in doubt');
  const lanes = await page.locator('.panel.commit .lanes svg').innerHTML();
  assert(lanes.includes('>work, then voting<') && lanes.includes('>down<'), 'the coordinator lane shows the work phase and the crash');
});

test('commit-lanes-still', 'as a transaction runs, the lanes keep their time axis and a mask moves with now', async (t) => {
  const { page } = t;
  await t.goto('commit/?v=1&s=commit-3pc&seed=1&t=0');
  await page.waitForSelector('.panel.commit');
  // On to the step where T1 begins.
  for (let i = 0; i < 40 && (await page.locator('.panel.commit .lanes svg').count()) === 0; i++) {
    const step = await stepNo(page);
    await press(page, 'ArrowRight');
    await until(async () => (await stepNo(page)) === step + 1, 'the next step');
  }
  // Step by step through the open transaction: where now is, and what the axis says.
  const samples = [];
  for (let i = 0; i < 30; i++) {
    const step = await stepNo(page);
    samples.push(
      await page.evaluate(() => [
        document.querySelector('.lanes svg g[transform]')?.getAttribute('transform'),
        [...document.querySelectorAll('.lanes .tick')].map((e) => e.textContent).join(' | '),
      ]),
    );
    await press(page, 'ArrowRight');
    await until(async () => (await stepNo(page)) === step + 1, 'the next step');
  }
  const changes = (k) => samples.filter((s, i) => i > 0 && s[k] !== samples[i - 1][k]).length;
  assert(changes(0) >= 12, `now moved at ${changes(0)} of ${samples.length - 1} steps`);
  // The axis steps out as the transaction grows (1, 1.5, 2, 3, 5, 7 times a power of ten).
  assert(changes(1) * 2 <= changes(0), `the axis changed at ${changes(1)} of ${samples.length - 1} steps: ${[...new Set(samples.map((s) => s[1]))].join(' / ')}`);
  // The line of now is the mask's left edge: nothing after now shows.
  const mask = await page.locator('.lanes rect.future').boundingBox();
  const now = await page.locator('.lanes line.now').boundingBox();
  assert(mask && now && Math.abs(mask.x - now.x) < 2, 'the line of now is the left edge of the mask');
});
