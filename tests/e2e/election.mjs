// End-to-end tests of the election pack (dist/election/: Raft) and the Paxos pack (dist/paxos/:
// Paxos and Bully): routing between packs, Raft's views, the experiment and the presenter
// shortcuts, and Bully's two leaders. Registered by run.mjs.
import { assert, clickControl, eq, stepNo, test, until } from './harness.mjs';

test('pack-routing', 'a Raft link at the root opens the election page; the picker goes both ways', async (t) => {
  const { page } = t;
  // The root page may still be fetching its own bundle when it hands over to election/: the
  // browser aborts that request, which is navigation, not an error.
  t.allowErrors(/_bg\.wasm net::ERR_ABORTED/);
  await t.goto('?v=1&s=raft-leader-crash&seed=2&t=2500');
  await until(async () => page.url().includes('/election/?'), 'the redirect to election/');
  await page.waitForSelector('.map svg g.node');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'raft-leader-crash', 'scenario');
  eq(await stepNo(page), 2500, 'the step of the link');
  eq(await page.locator('.map g.node.leader').count(), 1, 'one leader marked on the map');
  assert((await page.locator('.map g.node.leader').getAttribute('aria-label')).includes('leader'), 'the leader says so in words');
  assert((await page.locator('.log-grid td.entry.committed').count()) >= 5, 'committed entries in the log grid');
  await t.shot('election-raft-leader-crash', page, { fullPage: true });
  // Back to the core pack from the picker.
  await page.locator('header select[aria-label=Scenario]').selectOption('pack:heartbeat');
  await until(async () => !page.url().includes('/election/'), 'the core page');
  await page.waitForSelector('.map svg g.node');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'heartbeat', 'the core default scenario');
});

test('paxos-page', 'Paxos and Bully have their own page: an old election/ link and the picker open it, and back', async (t) => {
  const { page } = t;
  t.allowErrors(/_bg\.wasm net::ERR_ABORTED/);
  // A link made when Paxos was on the election page still opens, on the Paxos page.
  await t.goto('election/?v=1&s=paxos-duel&seed=3&t=40');
  await until(async () => new URL(page.url()).pathname.endsWith('/paxos/'), 'the redirect to paxos/', 20_000);
  await page.waitForSelector('.map svg g.node');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'paxos-duel', 'scenario');
  eq(await stepNo(page), 40, 'the step of the link');
  eq(await page.locator('[data-figure=paxos] table[data-row=acceptors] tbody tr').count(), 4, 'the acceptors table, a row per node');
  eq(await page.title(), 'Caucus: Paxos and the Bully election', 'the page title');
  const essays = await page.locator('section.essays details.essay summary').allInnerTexts();
  eq(essays, ['Single-decree Paxos', 'The Bully election'], 'its essays');
  const groups = await page.locator('header select[aria-label=Scenario] optgroup').evaluateAll((gs) => gs.map((g) => g.label));
  assert(groups.includes('Leader election and consensus: Raft') && groups.includes('Paxos and the Bully election'), `picker groups: ${groups}`);
  await t.shot('paxos-duel', page);
  // The picker's Raft entry opens the election page, whose picker comes back here.
  await page.locator('header select[aria-label=Scenario]').selectOption('pack:raft');
  await until(async () => new URL(page.url()).pathname.endsWith('/election/'), 'the election page', 20_000);
  await page.waitForSelector('.map svg g.node');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'raft', 'Raft\'s first scenario');
  await page.locator('header select[aria-label=Scenario]').selectOption('pack:paxos');
  await until(async () => new URL(page.url()).pathname.endsWith('/paxos/'), 'back on the Paxos page', 20_000);
  await page.waitForSelector('.map svg g.node');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'paxos', 'Paxos\'s first scenario');
});

test('raft-experiment', 'crash-the-leader trials fill the progress bar and draw the histogram', async (t) => {
  const { page } = t;
  await t.goto('election/?v=1&s=raft&seed=2&t=0');
  await page.getByRole('spinbutton', { name: 'Trials' }).fill('120');
  await page.getByRole('spinbutton', { name: 'Trials' }).dispatchEvent('change');
  await page.getByRole('button', { name: 'Run trials' }).click();
  await until(async () => (await page.locator('.histogram figcaption').count()) > 0, 'the histogram', 20_000);
  await until(async () => (await page.getByRole('button', { name: 'Run trials' }).count()) > 0, 'the trials to finish', 30_000);
  const caption = await page.locator('.histogram figcaption').innerText();
  assert(/^1[0-9]{2} of 120 trials elected a new leader: median [0-9.]+ s/.test(caption), `caption: ${caption}`);
  eq(await page.locator('.experiment progress').getAttribute('value'), '120', 'progress');
  assert((await page.locator('.histogram rect').count()) > 5, 'bars');
});

test('raft-figure-16', 'Figure 16 draws both graphs line by line with progress, never holding a frame; Stop stops it', async (t) => {
  const { page } = t;
  await t.goto('election/?s=raft-figure-16');
  const fig = page.locator('section.fig16');
  await fig.getByRole('heading', { name: 'Raft paper, Figure 16' }).waitFor();
  // Frame intervals on the main thread while the figure runs.
  await page.evaluate(() => {
    window.__frames = [];
    window.__framing = true;
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__framing) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  const started = Date.now();
  await fig.getByRole('button', { name: 'Reproduce Figure 16' }).click();
  const bar = fig.getByRole('progressbar', { name: 'Figure 16 trials done' });
  eq(await bar.getAttribute('max'), '9100', 'trials in all: 100 for 150-150 ms, 1,000 for each of the nine others');
  // Lines appear as they are computed, before the end.
  await until(async () => {
    const value = Number(await bar.getAttribute('value'));
    return value > 0 && value < 9100 && (await fig.locator('[data-graph=top] svg polyline').count()) > 0;
  }, 'a line drawn while the bar is part way', 60_000);
  await until(async () => (await bar.getAttribute('value')) === '9100', 'all 9,100 trials', 120_000);
  await fig.getByRole('button', { name: 'Reproduce Figure 16' }).waitFor();
  const frames = await page.evaluate(() => {
    window.__framing = false;
    return window.__frames.slice(1);
  });
  const longest = Math.max(...frames);
  const sorted = [...frames].sort((a, b) => a - b);
  console.log(`    Figure 16 in ${((Date.now() - started) / 1000).toFixed(1)} s: ${frames.length} frames, p95 ${sorted[Math.floor(sorted.length * 0.95)].toFixed(1)} ms, longest ${longest.toFixed(1)} ms`);
  assert(frames.length > 50, `frames kept coming: ${frames.length}`);
  assert(longest < 100, `no frame held 100 ms or more: the longest took ${longest.toFixed(1)} ms`);
  eq(await fig.locator('[data-graph=top] svg polyline').count(), 6, 'lines in the top graph');
  eq(await fig.locator('[data-graph=bottom] svg polyline').count(), 5, 'lines in the bottom graph');
  for (const graph of ['top', 'bottom']) {
    const svg = fig.locator(`[data-graph=${graph}] svg[role=img]`);
    const label = await svg.getAttribute('aria-label');
    assert(/cumulative percent of trials/.test(label) && /150–300 ms: median [0-9.]+ m?s/.test(label), `${graph} graph label: ${label}`);
    eq(await svg.locator('polyline title').count(), graph === 'top' ? 6 : 5, `a title per line in the ${graph} graph`);
  }
  eq(await fig.locator('tbody tr').count(), 10, 'a table row per line');
  const rows = await fig.locator('tbody tr').allInnerTexts();
  assert(rows[2].includes('median 287 ms') && /[0-9.]+x: (within 1\.5x|more than 1\.5x)/.test(rows[2]), `150-155 ms against the paper: ${rows[2]}`);
  const why = fig.locator('p.why');
  if ((await why.count()) > 0) assert((await why.innerText()).includes('timing noise'), 'the why-note');
  await t.shot('raft-figure-16', fig);
  // Run again and stop it part way: nothing moves after Stop.
  await fig.getByRole('button', { name: 'Reproduce Figure 16' }).click();
  await until(async () => Number(await bar.getAttribute('value')) > 0, 'the second run to start');
  await fig.getByRole('button', { name: 'Stop' }).click();
  const stopped = await bar.getAttribute('value');
  assert(Number(stopped) < 9100, `stopped part way: ${stopped}`);
  await page.waitForTimeout(500);
  eq(await bar.getAttribute('value'), stopped, 'the bar after Stop');
  assert(/Stopped after [0-9,]+ of 9,100 trials/.test(await fig.innerText()), 'it says so');
}, { timeout: 180_000 });

test('raft-presenter', 'partition the leader\'s datacenter, a new leader takes over, safety holds', async (t) => {
  const { page } = t;
  await t.goto('election/?v=1&s=raft&seed=2&t=1500');
  await until(async () => (await page.locator('.map g.node.leader').count()) === 1, 'a leader');
  const old = await page.locator('.map g.node.leader').getAttribute('aria-label');
  await page.getByRole('button', { name: "Partition leader's datacenter" }).click();
  assert((await page.locator('.map .link.cut').count()) > 0, 'the cut is drawn');
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await page.keyboard.press('+');
  await clickControl(page, 'Play');
  await until(async () => {
    const leaders = await page.locator('.map g.node.leader').all();
    for (const l of leaders) if ((await l.getAttribute('aria-label')) !== old) return true;
    return false;
  }, 'a new leader on the majority side', 20_000);
  await clickControl(page, 'Pause');
  const text = await page.locator('section.properties').innerText();
  assert(!text.includes('violated'), `no safety property violated: ${text}`);
  assert(await page.getByRole('button', { name: 'Split vote' }).isEnabled(), 'Split vote is offered');
  await t.shot('election-raft-partition', page, { fullPage: true });
});

test('bully-partition', 'Bully elects two leaders under a partition and the property says so', async (t) => {
  const { page } = t;
  await t.goto('paxos/?v=1&s=bully-partition&seed=1&t=400');
  await until(async () => (await page.locator('section.properties li.property.fails').count()) > 0, 'the violation');
  await page.locator('section.properties').getByRole('button', { name: /Jump to step/ }).click();
  eq(await page.locator('.map g.node.leader').count(), 2, 'two leaders at the violating step');
  await t.shot('election-bully-two-leaders', page, { fullPage: true });
});

test('raft-parameters', 'restart Raft with another cluster size; an impossible one gets a message', async (t) => {
  const { page } = t;
  await t.goto('election/?v=1&s=raft&seed=2&t=0');
  const settings = page.locator('details.settings');
  await settings.locator('summary').click();
  const nodes = settings.getByRole('textbox', { name: 'Nodes per datacenter' });
  await nodes.fill('3,3,1');
  await nodes.dispatchEvent('change');
  await settings.getByRole('checkbox', { name: 'pre-vote' }).check();
  await settings.getByRole('button', { name: 'Restart with these' }).click();
  await until(async () => (await page.locator('.map g.node').count()) === 7, 'seven nodes');
  eq(await page.locator('.banner[role=alert]').count(), 0, 'no error');
  assert(page.url().includes('sc='), `the link carries the edited scenario: ${page.url()}`);
  await page.locator('details.settings summary').click();
  const again = page.locator('details.settings').getByRole('textbox', { name: 'Nodes per datacenter' });
  await again.fill('5,5,5');
  await again.dispatchEvent('change');
  await page.locator('details.settings').getByRole('button', { name: 'Restart with these' }).click();
  await until(async () => (await page.locator('.banner[role=alert]').count()) === 1, 'an error banner');
  assert((await page.locator('.banner[role=alert]').innerText()).includes('cannot run'), 'it says why');
  eq(await page.locator('.map g.node').count(), 7, 'the last good run stays');
});

test('hardware-writes', 'on raft-figure-16 the diagram draws each vote\'s disk write, the log says it, the inspector gives the disk', async (t) => {
  const { page } = t;
  // Step 12 of seed 1: the first candidate has asked for votes and the voters are writing them.
  await t.goto('election/?v=1&s=raft-figure-16&seed=1&t=12');
  await page.waitForSelector('#spacetime-svg .st-write');
  const titles = await page.locator('#spacetime-svg .st-write title').allTextContents();
  assert(titles.some((x) => /^writes its term and vote to disk: [0-9.]+ ms$/.test(x)), `write bars: ${titles.join(' | ')}`);
  // The caption says what the step wrote: the follower writes the new entry before it answers.
  const caption = await page.locator('.caption-text').innerText();
  assert(/, writes its log to disk \([0-9.]+ ms\)$/.test(caption), `caption: ${caption}`);
  // A bar spans the write on the lane: wider than a mark, ending where the vote leaves.
  const width = await page.locator('#spacetime-svg .st-write rect').first().getAttribute('width');
  assert(Number(width) > 2, `a bar, not a dot: ${width}`);
  // The node's disk in the inspector, in words.
  await page.locator('.map svg g.node').nth(1).click();
  const disk = await page.locator('.node-inspector p.disk').innerText();
  assert(disk.startsWith('Disk: a durable write takes 4.00 ms to 12.00 ms.'), `inspector: ${disk}`);
  await t.shot('hardware-writes', page, { fullPage: true });
});

test('zab-partition', 'Zab: the cut-off leader proposes 1.2, steps down, and truncates it when it rejoins the new epoch', async (t) => {
  const { page } = t;
  // Step 450 (about 4.3 s): n4, cut off, has logged lost=1 as 1.2; nobody else has it.
  await t.goto('zab/?v=1&s=zab-partition&seed=1&t=450');
  await page.waitForSelector('[data-figure=zab] table.zab-grid');
  eq(await page.locator('table.zab-grid tbody tr').count(), 5, 'a row per node');
  const n4 = page.locator('table.zab-grid tbody tr').filter({ has: page.locator('th', { hasText: /^n4/ }) });
  assert((await n4.innerText()).includes('leading · epoch 1'), `n4 leads epoch 1: ${await n4.innerText()}`);
  const proposed = n4.locator('td.entry:not(.committed):not(.empty)');
  eq(await proposed.count(), 1, "n4's one proposal not delivered");
  assert((await proposed.getAttribute('title')).includes('lost=1'), await proposed.getAttribute('title'));
  assert((await page.locator('[data-row=sync]').innerText()).includes('n4 sees its followers'), 'the leader’s view of its followers');
  await t.shot('zab-partition-proposed', page);
  // Step 700 (after 7 s): n3 leads epoch 2 and has proposed y=2 as 2.1; n4's 1.2 is not in its history.
  await t.goto('zab/?v=1&s=zab-partition&seed=1&t=700');
  await page.waitForSelector('table.zab-grid');
  assert((await page.locator('[data-figure=zab] h2').innerText()).includes('leader n3 · epoch 2'), await page.locator('[data-figure=zab] h2').innerText());
  const orphan = page.locator('table.zab-grid td.entry.orphan');
  eq(await orphan.count(), 1, 'one proposal marked to be truncated');
  assert((await orphan.getAttribute('title')).includes('truncated'), 'says so in words');
  await t.shot('zab-partition-orphan', page);
  // At the end: n4 truncated 1.2, every node delivered the same history, every property holds.
  await t.goto('zab/?v=1&s=zab-partition&seed=1&t=1406');
  await page.waitForSelector('table.zab-grid');
  eq(await page.locator('table.zab-grid td.entry.orphan').count(), 0, 'nothing left to truncate');
  const delivered = await page.locator('table.zab-grid td.commit').allInnerTexts();
  eq(new Set(delivered).size, 1, `every node delivered as much: ${delivered}`);
  eq(await page.locator('section.properties li.property.fails').count(), 0, 'no property fails');
  await t.shot('zab-partition-end', page, { fullPage: true });
});
