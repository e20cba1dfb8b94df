// End-to-end tests of the built app (dist/) in headless Chromium. Plain node, no test framework:
//
//   node tests/e2e/run.mjs                       serves dist/ itself on 127.0.0.1
//   CAUCUS_E2E_URL=http://127.0.0.1:8080/ node tests/e2e/run.mjs
//   E2E_ONLY=crash node tests/e2e/run.mjs        only the tests whose name contains "crash"
//
// Every test starts from a fresh browser context; console errors, page errors and failed requests
// fail it. Screenshots land in tests/e2e/screenshots/ (see the README there).
import { readFileSync } from 'node:fs';
import {
  BIG_SCENARIO, assert, b64url, clickControl, controls, eq, inFlight, nodeLabels, press, runTests, start, stepNo, simTime, test, until,
} from './harness.mjs';
import './election.mjs';
import './ring.mjs';
import './commit.mjs';
import './balance.mjs';
import './checker.mjs';
import './lock.mjs';
import './layout.mjs';
import './index.mjs';
import './embed.mjs';
import './lesson.mjs';
import './reliability.mjs';

const banner = (page) => page.locator('.banner[role=alert]');

async function stepTimes(page, n) {
  for (let i = 0; i < n; i++) await clickControl(page, 'Step forward');
}

test('load', 'title, map with its nodes, properties panel', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  assert((await page.title()).includes('Caucus'), `title: ${await page.title()}`);
  eq(await page.locator('.map svg g.node[role=button]').count(), 6, 'nodes on the map of the default scenario');
  eq(await page.locator('.map svg g.dc').count(), 3, 'datacenters on the map');
  const label = await page.locator('.map svg').getAttribute('aria-label');
  assert(/3 datacenters, 6 nodes/.test(label), `map label: ${label}`);
  assert(await page.locator('section.properties').isVisible(), 'the properties panel is visible');
  assert((await page.locator('section.properties li.property').count()) > 0, 'properties are listed');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'heartbeat', 'default scenario');
  eq(await stepNo(page), 0, 'step counter at load');
  assert(await controls(page).getByRole('button', { name: 'Step back' }).isDisabled(), 'Back is disabled at step 0');
  eq(await page.locator('#panic').isHidden(), true, 'no panic message');
  await t.shot('desktop-load', page, { fullPage: true });
});

test('play-pause', 'the step counter advances while playing, then stops', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await clickControl(page, 'Play');
  eq(await controls(page).getByRole('button', { name: 'Pause' }).getAttribute('aria-pressed'), 'true', 'pressed');
  await until(async () => (await stepNo(page)) > 5, 'the step counter to advance while playing');
  await page.waitForTimeout(300);
  await clickControl(page, 'Pause');
  const stopped = await stepNo(page);
  const time = await simTime(page);
  await page.waitForTimeout(600);
  eq(await stepNo(page), stopped, 'step counter after pausing');
  eq(await simTime(page), time, 'simulated time after pausing');
  // Paused, the address bar is a link to the run.
  assert(page.url().includes(`t=${stopped}`), `address bar: ${page.url()}`);
  await t.shot('after-play-pause');
});

test('step-back', 'Step is +1, Back is -1, and the map is exactly as before', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await stepTimes(page, 25);
  eq(await stepNo(page), 25, 'after 25 steps');
  const map = await page.locator('.map svg').innerHTML();
  const props = await page.locator('section.properties').innerText();
  const time = await simTime(page);
  await clickControl(page, 'Step forward');
  eq(await stepNo(page), 26, 'after Step');
  assert((await page.locator('.map svg').innerHTML()) !== map, 'one step changes the map');
  await clickControl(page, 'Step back');
  eq(await stepNo(page), 25, 'after Back');
  assert((await controls(page).locator('.clock .step').innerText()).includes('of '), 'the future is kept (the run is computed ahead)');
  eq(await simTime(page), time, 'simulated time after Back');
  eq(await page.locator('section.properties').innerText(), props, 'properties after Back');
  const after = await page.locator('.map svg').innerHTML();
  assert(after === map, 'the map after Step, Back is identical to before');
});

test('crash-restart', 'crash a node from the inspector, then restart it', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await stepTimes(page, 10); // every node starts at 0 s, one step each
  const n2 = page.getByRole('button', { name: /^n2 in / });
  await n2.click();
  eq(await n2.getAttribute('aria-pressed'), 'true', 'the node is selected');
  assert((await page.locator('.inspector .headline').innerText()).startsWith('n2 in '), 'the inspector shows n2');
  await page.locator('.inspector').getByRole('button', { name: 'Crash', exact: true }).click();
  await until(async () => (await n2.getAttribute('aria-label')).includes('crashed'), 'n2 to be crashed');
  assert((await page.locator('.inspector .headline').innerText()).includes('is crashed'), 'inspector says crashed');
  await t.shot('node-crashed');
  await stepTimes(page, 20);
  assert((await n2.getAttribute('aria-label')).includes('crashed'), 'n2 stays crashed while time passes');
  await page.locator('.inspector').getByRole('button', { name: 'Restart', exact: true }).click();
  await until(async () => !(await n2.getAttribute('aria-label')).includes('crashed'), 'n2 to restart');
  eq(await banner(page).count(), 0, 'no error banner');
});

test('partition-heal', 'partition from the Network panel, then heal', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await stepTimes(page, 10);
  // The Network panel lives in the faults drawer.
  await clickControl(page, 'Faults and inspector');
  const faults = page.locator('section.faults');
  assert(await faults.getByRole('button', { name: 'Heal', exact: true }).isDisabled(), 'Heal disabled without cuts');
  await faults.getByRole('button', { name: 'Partition', exact: true }).click();
  await until(async () => (await page.locator('.map g.link.cut').count()) > 0, 'a cut link on the map');
  const labels = await page.locator('.map g.link .link-label').allTextContents();
  assert(labels.some((l) => l.includes('cut')), `a link label says cut: ${labels.join(' | ')}`);
  await stepTimes(page, 30);
  await t.shot('partitioned', page, { fullPage: true });
  await faults.getByRole('button', { name: 'Heal', exact: true }).click();
  await until(async () => (await page.locator('.map g.link.cut').count()) === 0, 'no cut links after Heal');
  const healed = await page.locator('.map g.link .link-label').allTextContents();
  assert(healed.every((l) => !l.includes('cut')), `labels after heal: ${healed.join(' | ')}`);
});

test('share-link', 'a copied link opens the same run in a new page', async (t) => {
  const { page } = t;
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.base });
  await t.goto('?s=heartbeat');
  await stepTimes(page, 30);
  await page.getByRole('button', { name: /^n1 in / }).click();
  await page.locator('.inspector').getByRole('button', { name: 'Crash', exact: true }).click();
  await stepTimes(page, 40);
  for (let i = 0; i < 5; i++) await clickControl(page, 'Step back');
  const want = {
    step: await stepNo(page),
    time: await simTime(page),
    nodes: await nodeLabels(page),
    msgs: await inFlight(page),
    properties: await page.locator('section.properties').innerText(),
  };
  eq(want.step, 66, 'step before sharing');
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog');
  const link = await dialog.getByRole('textbox', { name: 'Link to this run' }).inputValue();
  assert(link.startsWith(t.base + '?v=1&s=heartbeat&seed=1&t=66&i='), `link: ${link}`);
  await dialog.getByRole('button', { name: 'Copy link' }).click();
  const status = await dialog.locator('[role=status]').innerText();
  if (status.startsWith('Copied')) {
    eq(await page.evaluate(() => navigator.clipboard.readText()), link, 'the clipboard holds the link');
  } else {
    assert(status.includes('not available'), `copy status: ${status}`);
  }
  await t.shot('share-dialog', page);
  const other = await t.newPage();
  await t.goto(link.slice(t.base.length), other);
  eq(await stepNo(other), want.step, 'step in the new page');
  eq(await simTime(other), want.time, 'time in the new page');
  eq(await nodeLabels(other), want.nodes, 'node states in the new page');
  eq(await inFlight(other), want.msgs, 'messages in flight in the new page');
  eq(await other.locator('section.properties').innerText(), want.properties, 'properties in the new page');
  eq(await banner(other).count(), 0, 'no error banner in the new page');
  // Stepping on in both gives the same next state.
  await dialog.getByRole('button', { name: 'Close' }).click();
  await clickControl(page, 'Step forward');
  await clickControl(other, 'Step forward');
  eq(await nodeLabels(other), await nodeLabels(page), 'node states one step later');
});

test('embed', '?embed=1 has controls and the map, no diagram and no log', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await stepTimes(page, 12);
  await page.getByRole('button', { name: 'Embed…' }).click();
  const code = await page.getByRole('dialog').getByRole('textbox', { name: 'Embed code' }).inputValue();
  const src = /src="([^"]+)"/.exec(code)?.[1]?.replaceAll('&amp;', '&');
  assert(src && src.includes('&embed=1') && src.includes('t=12'), `embed code: ${code}`);
  await t.shot('embed-dialog', page);
  for (const query of ['?embed=1', src.slice(t.base.length)]) {
    const p = await t.newPage({ viewport: { width: 900, height: 560 } });
    await t.goto(query, p);
    eq(await p.locator('.app.embed').count(), 1, `${query}: embed layout`);
    eq(await p.locator('.diagram-panel').count(), 0, `${query}: no space-time diagram`);
    eq(await p.locator('section.log').count(), 0, `${query}: no event log`);
    assert(await controls(p).getByRole('button', { name: 'Play' }).isVisible(), `${query}: Play is there`);
    assert(await controls(p).getByRole('button', { name: 'Step forward' }).isVisible(), `${query}: Step is there`);
    assert(await p.getByRole('link', { name: /Open in Caucus/ }).isVisible(), `${query}: a link to the full app`);
    const before = await stepNo(p);
    await clickControl(p, 'Step forward');
    eq(await stepNo(p), before + 1, `${query}: Step works`);
    await t.shot(query === '?embed=1' ? 'embed-900x560' : 'embed-from-snippet-900x560', p);
  }
});

test('malformed-links', 'an error banner, no page error, and the default scenario runs', async (t) => {
  for (const [query, why] of [
    ['?v=1&s=nope', /unknown scenario `nope`/],
    ['?v=1&s=heartbeat&i=garbage', /garbled|invalid/],
  ]) {
    const page = (t.page = await t.newPage());
    await t.goto(query, page);
    const alert = banner(page);
    await alert.waitFor({ timeout: 5000 });
    const text = await alert.innerText();
    assert(text.includes('could not be opened') && why.test(text), `${query}: banner says ${text}`);
    eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'heartbeat', `${query}: default`);
    eq(await page.locator('.map g.node').count(), 6, `${query}: the default map`);
    await clickControl(page, 'Play');
    await until(async () => (await stepNo(page)) > 3, `${query}: playing the default scenario`);
    await clickControl(page, 'Pause');
    await t.shot(query.includes('nope') ? 'malformed-link-unknown-scenario' : 'malformed-link-garbage-inputs', page);
    await alert.getByRole('button', { name: 'Dismiss message' }).click();
    eq(await alert.count(), 0, `${query}: the banner can be dismissed`);
  }
});

test('keyboard', 'Tab to the controls, arrows, Space, ? and Escape', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  const play = controls(page).locator('button.primary');
  let tabs = 0;
  while (!(await play.evaluate((b) => b === document.activeElement))) {
    assert(++tabs <= 30, 'Tab reaches the Play button within 30 presses');
    await page.keyboard.press('Tab');
  }
  await t.shot('keyboard-focus-on-play', page);
  await press(page, 'ArrowRight', 8);
  eq(await stepNo(page), 8, 'ArrowRight steps');
  await press(page, 'ArrowLeft', 3);
  eq(await stepNo(page), 5, 'ArrowLeft steps back');
  const slow = await controls(page).locator('.speed output').innerText();
  await press(page, '=', 6); // faster: six quarter-decades up from the story's own speed
  assert((await controls(page).locator('.speed output').innerText()) !== slow, `the speed label changes after six presses of = (from ${slow})`);
  await page.keyboard.press('Space');
  await until(async () => (await play.getAttribute('aria-pressed')) === 'true', 'Space to start playing');
  await until(async () => (await stepNo(page)) > 10, 'playing after Space');
  await page.keyboard.press('Space');
  await until(async () => (await play.getAttribute('aria-pressed')) === 'false', 'Space to pause');
  const paused = await stepNo(page);
  await page.keyboard.press('?');
  const help = page.getByRole('dialog');
  await help.waitFor({ timeout: 5000 });
  assert((await help.innerText()).includes('Keyboard shortcuts'), 'the help dialog');
  await t.shot('help-dialog', page);
  await page.keyboard.press('ArrowRight');
  eq(await stepNo(page), paused, 'shortcuts other than Escape are off while a dialog is open');
  await page.keyboard.press('Escape');
  await until(async () => (await page.getByRole('dialog').count()) === 0, 'Escape to close the help');
  await page.keyboard.press('ArrowRight');
  eq(await stepNo(page), paused + 1, 'ArrowRight after closing the help');
  // Nodes are reachable with Tab and selected with Enter.
  const node = page.locator('.map g.node').first();
  await node.focus();
  await page.keyboard.press('Enter');
  eq(await node.getAttribute('aria-pressed'), 'true', 'Enter selects a focused node');
  assert((await page.locator('.inspector h3').count()) > 0, 'the inspector shows the node');
});

test('mobile-375', '375 px wide: no horizontal scrollbar', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat', page);
  await stepTimes(page, 30);
  const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
  await t.shot('mobile-375-viewport', page);
  // The outermost elements that reach past the right edge (and are not inside a box that clips
  // or scrolls them, like the map panel), to say what to fix.
  const wide = await page.evaluate(() => {
    const past = (e) => e.getBoundingClientRect().right > 376;
    const clipped = (e) => {
      for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible' && !past(a)) return true;
      }
      return false;
    };
    return [...document.querySelectorAll('body *')]
      .filter((e) => past(e) && !(e.parentElement && past(e.parentElement)) && !clipped(e))
      .slice(0, 6)
      .map((e) => {
        const r = e.getBoundingClientRect();
        const cls = [...e.classList].join('.');
        return `${e.tagName.toLowerCase()}${cls ? '.' + cls : ''} (${Math.round(r.width)} px wide, right edge ${Math.round(r.right)})`;
      });
  });
  assert(width <= 376 && wide.length === 0,
    `page scroll width ${width} px at a 375 px viewport; past the edge: ${wide.join(', ') || 'nothing visible'}`);
}, { context: { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true } });

test('reduced-motion', 'prefers-reduced-motion: playing still advances steps', async (t) => {
  const { page } = t;
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await t.goto('?s=heartbeat', page);
  eq(await page.evaluate(() => matchMedia('(prefers-reduced-motion: reduce)').matches), true, 'emulated');
  await clickControl(page, 'Play');
  await page.waitForTimeout(1700);
  const played = await stepNo(page);
  await clickControl(page, 'Pause');
  assert(played >= 2 && played <= 5, `one step per half second: ${played} steps in 1.7 s`);
}, { context: { reducedMotion: 'reduce' } });

test('gc-pause', 'a property violation and its "Jump to step" button', async (t) => {
  const { page } = t;
  await t.goto('?v=1&s=heartbeat-gc-pause&seed=1');
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'heartbeat-gc-pause', 'scenario');
  await press(page, '=', 6); // from 1/30x to 1x: the pause starts at 2 s
  await clickControl(page, 'Play');
  const violation = page.locator('section.properties .violation');
  await violation.first().waitFor({ timeout: 20_000 });
  await page.waitForTimeout(500);
  await clickControl(page, 'Pause');
  const text = await violation.first().innerText();
  const target = Number(/First failed at step (\d+)/.exec(text)?.[1]);
  assert(target > 0, `the violation names its step: ${text}`);
  assert((await stepNo(page)) > target, 'paused past the first violation');
  await t.shot('gc-pause-after-violation', page, { fullPage: true });
  const jump = violation.first().getByRole('button', { name: `Jump to step ${target}` });
  await jump.click();
  eq(await stepNo(page), target, 'the step counter after Jump');
  eq(await violation.getByRole('button').count(), 0, 'no Jump button at that step');
  const failing = page.locator('section.properties li.property.fails');
  assert((await failing.count()) > 0, 'the property is shown as failing at that step');
  assert(/violated/.test(await failing.first().innerText()), 'and says violated');
  assert((await page.locator('.map g.node.violating').count()) > 0, 'the nodes involved are highlighted');
  await t.shot('gc-pause-at-violation', page, { fullPage: true });
});

test('import', 'a malformed file shows an error; an exported run imports back', async (t) => {
  const { page } = t;
  await t.goto('?s=heartbeat');
  await stepTimes(page, 20);
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog');
  const input = dialog.locator('input[type=file]');
  await input.setInputFiles({ name: 'broken.json', mimeType: 'application/json', buffer: Buffer.from('{ not json') });
  await banner(page).waitFor({ timeout: 5000 });
  const text = await banner(page).innerText();
  assert(text.includes('could not be imported') && text.includes('not JSON'), `banner: ${text}`);
  eq(await dialog.count(), 0, 'a failed import closes the dialog so its message is not hidden behind it');
  await t.shot('import-malformed', page);
  await page.getByRole('button', { name: 'Share…' }).click();
  await input.setInputFiles({ name: 'other.json', mimeType: 'application/json', buffer: Buffer.from('{"format":"har"}') });
  await until(async () => (await banner(page).innerText()).includes('`har`'), 'a foreign file to be refused');
  eq(await stepNo(page), 20, 'the run is unchanged');
  // Export, then import the file back into another page.
  await page.getByRole('button', { name: 'Share…' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 10_000 }),
    dialog.getByRole('button', { name: 'Export run (JSON)' }).click(),
  ]);
  const file = await download.path();
  const json = JSON.parse(readFileSync(file, 'utf8'));
  eq([json.format, json.version, json.step], ['caucus-run', 1, 20], 'the exported file');
  const other = await t.newPage();
  await t.goto('?s=heartbeat', other);
  await other.getByRole('button', { name: 'Share…' }).click();
  await other.getByRole('dialog').locator('input[type=file]').setInputFiles(file);
  await until(async () => (await other.getByRole('dialog').count()) === 0, 'the dialog to close after importing');
  eq(await stepNo(other), 20, 'the imported run is at its step');
  eq(await nodeLabels(other), await nodeLabels(page), 'the imported run has the same nodes');
  assert((await other.locator('.banner').innerText()).includes('Imported'), 'an info banner says so');
});

test('custom-scenario-link', 'a 25-node five-regions scenario carried in the link (sc=) opens and plays', async (t) => {
  const { page } = t;
  const scenario = BIG_SCENARIO;
  await t.goto(`?v=1&sc=${b64url(JSON.stringify(scenario))}&t=0`);
  eq(await page.locator('.map g.node').count(), 25, 'nodes');
  eq(await page.locator('.map g.dc').count(), 5, 'datacenters');
  await press(page, '=', 4);
  await clickControl(page, 'Play');
  await until(async () => (await inFlight(page)) > 100, 'messages in flight');
  await clickControl(page, 'Pause');
  await t.shot('five-regions-25-nodes', page, { fullPage: true });
  const text = await page.locator('header select[aria-label=Scenario]').evaluate((s) => s.selectedOptions[0].text);
  assert(text.includes('heartbeat-25'), `the picker names the imported scenario: ${text}`);
});

const env = await start();
console.log(`end-to-end tests against ${env.base} (Chromium ${env.version})`);
let failed = 1;
try {
  failed = await runTests(env);
} finally {
  await env.stop();
}
process.exit(failed ? 1 : 0);
