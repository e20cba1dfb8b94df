// End-to-end tests of "Check every interleaving" on the commit page: the checker runs in its Web
// Worker (caucus-check, fetched on the first check), counts TwoPhase's 288 states as TLC does,
// moves its progress bar on a larger model while the page keeps drawing, cancels, and finds
// 3PC's atomicity violation with its shortest path. Registered by run.mjs.
import { assert, eq, stepNo, test, until } from './harness.mjs';

const panel = '.panel.checker';

/** Opens the commit page at `query` and the checker's settings. */
async function open(t, query = 'commit/?s=commit-3pc') {
  await t.goto(query);
  await t.page.waitForSelector(panel);
  await t.page.locator(panel).scrollIntoViewIfNeeded();
}

async function choose(page, label, value) {
  await page.locator(`${panel} select[aria-label="${label}"]`).selectOption(value);
}

/** The unique states the panel shows. */
async function unique(page) {
  return Number((await page.locator(`${panel} [data-unique]`).getAttribute('data-unique')) ?? -1);
}

async function verdict(page, timeout = 30_000) {
  await until(async () => (await page.locator(`${panel} [data-verdict]`).count()) === 1, 'a verdict', timeout);
  return page.locator(`${panel} [data-verdict]`).getAttribute('data-verdict');
}

test('checker-two-phase', "the worker counts TwoPhase's 288 states with 3 resource managers, as TLC", async (t) => {
  const { page } = t;
  await open(t);
  eq(await page.locator(`${panel} h2`).innerText(), 'Check every interleaving', 'the panel title');
  await choose(page, 'What to check', 'two-phase');
  await choose(page, 'Resource managers in the TwoPhase model', '3');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page), 'holds', 'TwoPhase is consistent');
  eq(await unique(page), 288, 'unique states');
  const text = await page.locator(`${panel} .checker-status`).innerText();
  assert(text.includes('Nothing fails in all 288 unique states within the bounds'), text);
  assert(text.includes('“Consistent”: holds'), text);
  eq(await page.locator(`${panel} progress`).getAttribute('value'), '1.000', 'the bar is full');
  await t.shot('checker-two-phase', page.locator(panel));
  // With symmetry reduction the same model counts its states up to renaming the RMs.
  await page.getByLabel('Symmetry reduction').check();
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  await until(async () => (await unique(page)) === 80, 'the 80 states up to renaming');
  eq(await verdict(page), 'holds', 'still consistent');
  assert((await page.locator(`${panel} .checker-status`).innerText()).includes('symmetry reduction'), 'the bounds say so');
});

test('checker-progress', 'a larger model moves the bar and the counts while frames keep coming; Cancel stops it', async (t) => {
  const { page } = t;
  await open(t);
  await choose(page, 'What to check', 'two-phase');
  await choose(page, 'Resource managers in the TwoPhase model', '8');
  // Frame intervals on the main thread while the worker runs.
  await page.evaluate(() => {
    window.__frames = [];
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__frames.length < 600) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  const seen = [];
  await until(async () => {
    const u = await unique(page);
    if (u > 0 && !seen.includes(u)) seen.push(u);
    return seen.length >= 3;
  }, 'three different counts of unique states while it runs', 30_000);
  const bar = Number(await page.locator(`${panel} progress`).getAttribute('value'));
  assert(bar > 0 && bar < 1, `the bar is part way: ${bar}`);
  assert(seen.every((u, i) => i === 0 || u > seen[i - 1]), `the counts grow: ${seen}`);
  const stats = await page.locator(`${panel} .checker-stats`).innerText();
  for (const word of ['states', 'unique states', 'unique per second', 'depth', 'frontier']) {
    assert(stats.includes(word), `the progress names ${word}: ${stats}`);
  }
  await t.shot('checker-progress', page.locator(panel));
  const frames = await page.evaluate(() => window.__frames.slice(1));
  frames.sort((a, b) => a - b);
  const p95 = frames[Math.floor(frames.length * 0.95)];
  console.log(`    frames on the page while the worker checks: ${frames.length}, p95 ${p95.toFixed(1)} ms`);
  await page.getByRole('button', { name: 'Cancel the check' }).click();
  const text = await page.locator(`${panel} .checker-status`).innerText();
  assert(/^Cancelled after [0-9,]+ unique states/.test(text), `cancelled: ${text}`);
  await page.waitForTimeout(400);
  eq(await page.locator(`${panel} .checker-status`).innerText(), text, 'nothing moves after Cancel');
  await page.getByRole('button', { name: 'Check every interleaving' }).isEnabled();
});

test('checker-3pc', "the checker finds 3PC's atomicity violation by itself, with its shortest path", async (t) => {
  const { page } = t;
  await open(t);
  await choose(page, 'Nodes to check the scenario on', '3');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page), 'fails', 'a violation');
  const found = await page.locator(`${panel} .checker-found`).innerText();
  assert(found.includes('“Atomicity” fails after 9 events'), found);
  const steps = await page.locator(`${panel} .checker-path > li`).allInnerTexts();
  eq(steps.length, 9, 'nine events');
  assert(steps[5].startsWith("n1's decide timer fires"), `step 6: ${steps[5]}`);
  assert(steps[8].includes('n0: commits T1'), `step 9: ${steps[8]}`);
  await t.shot('checker-3pc', page.locator(panel));
  // On a phone the form wraps and the path stays readable: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  const wide = await page.evaluate((sel) => document.querySelector(sel).scrollWidth, panel);
  assert(wide <= 375, `the panel fits 375 px: ${wide}`);
  await t.shot('checker-3pc-375', page.locator(panel));
  // The path opens in the timeline as a run of the page (a link: stepped, inspected, shared).
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.getByRole('button', { name: 'Open this path in the timeline' }).click();
  await until(async () => page.url().includes('sc='), 'the link of the path');
  await page.waitForSelector('.panel.commit .lanes svg');
  const props = await page.locator('.properties, [aria-label^="Properties"]').first().innerText();
  assert(/Atomicity[\s\S]*violated/i.test(props), `Atomicity fails at the cursor: ${props.slice(0, 300)}`);
  const log = await page.locator('.event-log, [aria-label^="Event log"]').first().innerText();
  assert(/decide.*fires next|fire n1's timer/i.test(log), `the forced timer is an input in the log: ${log.slice(0, 600)}`);
  await t.shot('checker-3pc-timeline', page);
});

test('checker-2pc-blocking', '2PC with one crash and liveness: the coordinator\u2019s crash blocks a participant', async (t) => {
  const { page } = t;
  await open(t, 'commit/?s=commit-2pc');
  await choose(page, 'Crashes along any path', '1');
  await page.getByRole('checkbox', { name: 'Check liveness' }).check();
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page), 'fails', 'blocking is a liveness violation');
  const found = await page.locator(`${panel} .checker-found`).innerText();
  assert(found.includes('“Non-blocking” fails after 3 events'), found);
  assert(found.includes('n0 crashes'), found);
  const note = await page.locator(`${panel} .note`).innerText();
  assert(note.startsWith('Termination is not checked'), note);
});

test('checker-swarm', 'a swarm in the worker finds 3PC split by a partition and loads that run into the timeline', async (t) => {
  const { page } = t;
  await open(t);
  await choose(page, 'What to check', 'swarm');
  await choose(page, 'Fault profile', 'partitions');
  await choose(page, 'Seeds to run', '1000');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page), 'fails', 'a seed fails');
  const found = await page.locator(`${panel} .checker-found`).innerText();
  const m = /“Atomicity” fails on seed (\d+) at step (\d+)/.exec(found);
  assert(m, `the finding names the property, seed and step: ${found}`);
  const runs = await page.locator(`${panel} [data-runs]`).getAttribute('data-runs');
  eq(runs, m[1], 'it stopped at the first seed that fails (seeds start at 1)');
  await t.shot('checker-swarm', page.locator(panel));
  await page.getByRole('button', { name: `Load seed ${m[1]} into the timeline` }).click();
  await until(async () => (await page.locator('[role=status], .banner').allInnerTexts()).join(' ').includes(`Seed ${m[1]} with`), 'the banner');
  const banner = (await page.locator('[role=status], .banner').allInnerTexts()).join(' ');
  assert(banner.includes(`“Atomicity” fails at step ${m[2]}`), banner);
  const props = await page.locator('.properties, [aria-label^="Properties"]').first().innerText();
  assert(/Atomicity[\s\S]*(violated|fails)/i.test(props), `the properties panel shows it at the cursor: ${props.slice(0, 300)}`);
  await t.shot('checker-swarm-loaded', page);
});

test('next-events', 'what can happen next: deliver any message in flight, fire a timer now, and branch from the past', async (t) => {
  const { page } = t;
  const next = '.panel.next-events';
  await t.goto('commit/?v=1&s=commit-3pc&seed=1&t=6');
  await page.waitForSelector(next);
  eq(await stepNo(page), 6, 'the step of the link');
  // n0's begin timer is pending: fire it now instead of waiting for it.
  const begin = page.locator(`${next} button[aria-label^="Fire n0's timer"]`).first();
  await begin.click();
  await until(async () => (await stepNo(page)) === 8, 'the input and its step');
  const sent = await page.locator(`${next} .next-list`).first().locator('li').count();
  assert(sent >= 5, `n0 asked every participant: ${sent} messages in flight`);
  // Deliver the last one listed, not the earliest: any order.
  const last = page.locator(`${next} button[aria-label^="Deliver message"]`).last();
  const label = await last.getAttribute('aria-label');
  const id = /#(\d+)/.exec(label)[1];
  await last.click();
  await until(async () => (await stepNo(page)) === 10, 'delivered');
  const gone = await page.locator(`${next} button[aria-label="Deliver message #${id} now"]`).count();
  eq(gone, 0, `message #${id} is no longer in flight`);
  await t.shot('next-events', page.locator(next));
  // Back two steps and choose another message: a new branch from step 8.
  await page.getByRole('button', { name: 'Step back' }).click();
  await page.getByRole('button', { name: 'Step back' }).click();
  await until(async () => (await stepNo(page)) === 8, 'back at step 8');
  await page.locator(`${next} button[aria-label^="Deliver message"]`).first().click();
  await until(async () => (await stepNo(page)) === 10, 'the other branch');
  eq(await page.locator(`${next} button[aria-label="Deliver message #${id} now"]`).count(), 1, `on this branch #${id} is still in flight`);
});

test('history-tree', 'choices made earlier start branches the page keeps as a tree; switching rebuilds each where it was left', async (t) => {
  const { page } = t;
  const next = '.panel.next-events';
  const tree = `${next} .branch-tree`;
  await t.goto('commit/?v=1&s=commit-3pc&seed=1&t=6');
  await page.waitForSelector(next);
  eq(await page.locator(tree).count(), 0, 'no tree before the first choice');
  await page.locator(`${next} button[aria-label^="Fire n0's timer"]`).first().click();
  await until(async () => (await stepNo(page)) === 8, 'the timer fired and stepped');
  const last = page.locator(`${next} button[aria-label^="Deliver message"]`).last();
  const id = /#(\d+)/.exec(await last.getAttribute('aria-label'))[1];
  await last.click();
  await until(async () => (await stepNo(page)) === 10, 'delivered');
  // Two choices forward on one line: one branch off the scenario's own run.
  await page.waitForSelector(tree);
  let items = await page.locator(`${tree} li`).allInnerTexts();
  eq(items.length, 2, `the run and one branch: ${items}`);
  assert(items[0].startsWith("The scenario's own run"), items[0]);
  assert(/At step 6: fire n0's begin now, then 1 more choice/.test(items[1]) && items[1].includes('you are here'), items[1]);
  // Back to step 8 and deliver another message first: a second branch, under the first.
  await page.getByRole('button', { name: 'Step back' }).click();
  await page.getByRole('button', { name: 'Step back' }).click();
  await until(async () => (await stepNo(page)) === 8, 'back at step 8');
  await page.locator(`${next} button[aria-label^="Deliver message"]`).first().click();
  await until(async () => (await stepNo(page)) === 10, 'the other order');
  items = await page.locator(`${tree} li`).allInnerTexts();
  eq(items.length, 3, `three lines: ${items}`);
  assert(/At step 8: deliver .+ now/.test(items[2]) && items[2].includes('you are here'), items[2]);
  eq(await page.locator(`${tree} li[aria-current="true"]`).count(), 1, 'the current branch is marked for screen readers');
  const indent = async (k) => page.locator(`${tree} li`).nth(k).evaluate((li) => parseFloat(getComputedStyle(li).marginLeft));
  assert((await indent(2)) > (await indent(1)) && (await indent(1)) > (await indent(0)), 'each branch under the one it left');
  await t.shot('history-tree', page.locator(next));
  // Switch to the first branch: rebuilt at step 8, where it was left, and it delivers #id.
  await page.getByRole('button', { name: "Switch to branch 2: At step 6: fire n0's begin now" }).click();
  await until(async () => (await stepNo(page)) === 8, 'the first branch, at the step it was left');
  await page.getByRole('button', { name: 'Step forward' }).click();
  await page.getByRole('button', { name: 'Step forward' }).click();
  await until(async () => (await stepNo(page)) === 10, 'its own next steps');
  eq(await page.locator(`${next} button[aria-label="Deliver message #${id} now"]`).count(), 0, `on the first branch #${id} was delivered`);
  assert(page.url().includes('i='), 'the link carries the branch\'s inputs');
  // And back to the scenario's own run: no inputs by hand.
  await page.getByRole('button', { name: "Switch to branch 1: The scenario's own run" }).click();
  await until(async () => (await stepNo(page)) === 6, "the scenario's own run, at step 6");
  await until(async () => !page.url().includes('i='), 'its link has no inputs');
  eq(await page.locator(`${tree} li`).count(), 3, 'every branch is still there');
});

test('next-events-pages', 'what can happen next is on the heartbeat, lock, ring, Raft and Paxos pages too, and fires any timer now', async (t) => {
  const { page } = t;
  for (const query of ['?v=1&s=heartbeat&seed=1&t=12', 'lock/?v=1&s=lock-lease&seed=1&t=20', 'ring/?v=1&s=ring&seed=1&t=20', 'election/?v=1&s=raft&seed=1&t=20', 'paxos/?v=1&s=paxos&seed=1&t=5']) {
    await t.goto(query);
    await page.waitForSelector('.panel.next-events');
    const before = await stepNo(page);
    const fire = page.locator('.panel.next-events button[aria-label^="Fire "]');
    assert((await fire.count()) > 0, `${query}: pending timers are listed`);
    // The last one listed: not the timer the clock would pick next.
    await fire.last().click();
    await until(async () => (await stepNo(page)) === before + 2, `${query}: the input and its step`);
  }
  await t.shot('next-events-ring', page.locator('.panel.next-events'));
});

test('checker-raft', 'on the Raft page the checker is bounded by terms and depth, and says every property holds within them', async (t) => {
  const { page } = t;
  await open(t, 'election/?s=raft');
  const models = await page.locator(`${panel} select[aria-label="What to check"] option`).allInnerTexts();
  assert(!models.some((m) => m.includes('TwoPhase')), `no TwoPhase model off the commit page: ${models}`);
  eq(await page.locator(`${panel} select[aria-label^="Terms"]`).inputValue(), '2', 'two terms by default');
  await choose(page, 'Terms: the highest a node may reach', '1');
  await choose(page, 'Events along any path', '8');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page, 60_000), 'holds', 'Raft is safe within the bounds');
  assert((await unique(page)) > 100, `unique states: ${await unique(page)}`);
  const text = await page.locator(`${panel} .checker-status`).innerText();
  for (const property of ['Election safety', 'Log matching', 'Leader completeness', 'State machine safety']) {
    assert(text.includes(`“${property}”: holds`), `${property}: ${text}`);
  }
  await t.shot('checker-raft', page.locator(panel));
});

test('checker-bully', "on the Paxos page the checker finds Bully's two leaders by itself, with its shortest path", async (t) => {
  const { page } = t;
  await open(t, 'paxos/?s=bully');
  eq(await page.locator(`${panel} select[aria-label^="Terms"], ${panel} select[aria-label^="Ballot"]`).count(), 0, 'Bully has no terms to bound');
  await choose(page, 'Nodes to check the scenario on', '3');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page), 'fails', 'a violation');
  const found = await page.locator(`${panel} .checker-found`).innerText();
  assert(found.includes('“At most one leader” fails after'), found);
  await page.getByRole('button', { name: 'Open this path in the timeline' }).click();
  await until(async () => page.url().includes('sc='), 'the link of the path');
  await page.waitForSelector('[data-figure=paxos]');
  const props = await page.locator('.properties').first().innerText();
  assert(/At most one leader[\s\S]*violated/i.test(props), `the property fails at the cursor: ${props.slice(0, 300)}`);
  await t.shot('checker-bully-timeline', page);
});

test('checker-lock', "on the lock page the checker finds the lease's stale write by itself, and fencing holds in every interleaving", async (t) => {
  const { page } = t;
  await open(t, 'lock/?s=lock-lease-gc-pause');
  eq(await page.locator(`${panel} select[aria-label="Nodes to check the scenario on"]`).inputValue(), '4', 'service, storage and two clients');
  eq(await page.locator(`${panel} select[aria-label^="Lock tokens"]`).inputValue(), '2', 'two tokens by default');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page, 60_000), 'fails', 'the lease writes stale');
  const found = await page.locator(`${panel} .checker-found`).innerText();
  assert(found.includes('“No write from a stale lock” fails after 11 events'), found);
  await t.shot('checker-lock', page.locator(panel));
  await page.getByRole('button', { name: 'Open this path in the timeline' }).click();
  await until(async () => page.url().includes('sc='), 'the link of the path');
  await page.waitForSelector('[data-figure=lock]');
  const props = await page.locator('.properties').first().innerText();
  assert(/No write from a stale lock[\s\S]*violated/i.test(props), `the property fails at the cursor: ${props.slice(0, 300)}`);
  const description = await page.locator('.scenario-description').innerText();
  assert(/shortest path/.test(description) && /11 events on 4 nodes/.test(description), `the path says what it is, not the scenario's story: ${description}`);
  // The same bounds on fencing: no interleaving writes stale.
  await open(t, 'lock/?s=lock-fencing');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page, 90_000), 'holds', 'fencing is safe within the bounds');
  const text = await page.locator(`${panel} .checker-status`).innerText();
  assert(text.includes('“No write from a stale lock”: holds'), text);
  assert((await unique(page)) > 1000, `unique states: ${await unique(page)}`);
});

test('checker-paxos', 'on the Paxos page a check bounded by ballot rounds holds', async (t) => {
  const { page } = t;
  await open(t, 'paxos/?s=paxos');
  eq(await page.locator(`${panel} select[aria-label^="Ballot rounds"]`).inputValue(), '2', 'two rounds by default');
  await choose(page, 'Ballot rounds: the highest a node may reach', '1');
  await choose(page, 'Events along any path', '8');
  await page.getByRole('button', { name: 'Check every interleaving' }).click();
  eq(await verdict(page, 60_000), 'holds', 'Paxos is safe within the bounds');
  const text = await page.locator(`${panel} .checker-status`).innerText();
  assert(text.includes('“At most one value is chosen”: holds'), text);
});
