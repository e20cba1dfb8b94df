// End-to-end tests of hostile or broken input (issue: reliability and security): links, big
// topologies, and the panic path. Registered by run.mjs.
import { assert, b64url, eq, press, test, until } from './harness.mjs';

const ready = (page) => page.waitForSelector('.map svg g.node', { timeout: 20_000 });
const banner = (page) => page.locator('.banner[role=alert]');

test('links-decoded', 'link values are percent-decoded; a parameter given twice is refused, and the refused link stays in the address bar', async (t) => {
  const { page } = t;
  await page.goto(`${t.base}?s=heart%62eat-crash&seed=%37`);
  await ready(page);
  eq(await page.locator('header select[aria-label=Scenario]').inputValue(), 'heartbeat-crash', 'a percent-encoded name');
  eq(await page.locator('header input[aria-label=Seed]').inputValue(), '7', 'a percent-encoded seed');
  eq(await banner(page).count(), 0, 'no error');
  const twice = `${t.base}?v=1&s=heartbeat&seed=1&seed=2`;
  await page.goto(twice);
  await ready(page);
  const text = await banner(page).innerText();
  assert(text.includes('`seed=` twice'), `banner: ${text}`);
  await page.waitForTimeout(1500);
  eq(page.url(), twice, 'the link the user followed is still in the address bar');
  await press(page, 'ArrowRight');
  await until(async () => page.url() !== twice, 'the address bar follows the run once it changes', 5_000);
});

test('big-datacenter', '31 and 64 nodes in one datacenter open (the map grows instead of panicking)', async (t) => {
  const { page } = t;
  for (const n of [31, 64]) {
    const sc = { version: 1, name: `h${n}`, protocol: { name: 'heartbeat' }, topology: { preset: 'one-datacenter', placement: [n] } };
    await page.goto(`${t.base}?v=1&sc=${b64url(JSON.stringify(sc))}`);
    await ready(page);
    eq(await page.locator('.map svg g.node').count(), n, `${n} nodes drawn`);
    eq(await page.locator('#panic:not([hidden])').count(), 0, `${n} nodes: no panic`);
    await press(page, 'ArrowRight');
  }
  await t.shot('big-datacenter-64', page);
}, { context: { viewport: { width: 1280, height: 800 } } });

test('panic-shown', 'a panic shows its message on the page, even after the app has mounted', async (t) => {
  const { page } = t;
  t.allowErrors(/unreachable|provoked on purpose|RuntimeError/);
  await page.goto(`${t.base}?s=heartbeat`);
  await ready(page);
  await page.evaluate(() => { try { window.wasmBindings.provoke_panic(); } catch (e) { /* the trap after the hook */ } });
  const box = page.locator('#panic[role=alert]:not([hidden])');
  await box.waitFor({ timeout: 5_000 });
  const text = await box.innerText();
  assert(text.includes('Caucus hit a bug') && text.includes('provoked on purpose'), `the message: ${text}`);
  assert(await box.isVisible(), 'the message is on screen');
  await t.shot('panic-shown', page);
});

test('import-other-family', 'a run file made on another family’s page opens that page with the run', async (t) => {
  const { page } = t;
  const file = JSON.stringify({
    format: 'caucus-run', version: 1, step: 40, inputs: [],
    scenario: { version: 1, name: 'raft-imported', seed: 3, protocol: { name: 'raft' }, topology: { preset: 'three-regions', placement: [2, 2, 1] } },
  });
  await page.goto(`${t.base}?s=heartbeat`);
  await ready(page);
  await page.getByRole('button', { name: 'Share…' }).click();
  await page.getByRole('dialog').locator('input[type=file]').setInputFiles({ name: 'raft.json', mimeType: 'application/json', buffer: Buffer.from(file) });
  await until(async () => new URL(page.url()).pathname.endsWith('/election/'), 'the election page', 20_000);
  await ready(page);
  const text = await page.locator('.banner').innerText();
  assert(text.includes('Imported the run'), `banner: ${text}`);
  assert((await page.locator('header select[aria-label=Scenario]').innerText()).includes('raft-imported'), 'the imported scenario is shown');
  // Reloading the handed-over page does not import twice: the link now carries the run.
  assert(!page.url().includes('import=1'), `the address bar is the run's link: ${page.url()}`);
});

test('link-too-long', 'a run too long for a link keeps the address bar short and the Share dialog offers its file instead', async (t) => {
  const { page } = t;
  // 600 inputs by hand (reordering switched on and off, one per step) make a link of about 15 KB.
  const inputs = Array.from({ length: 600 }, (_, k) => ({ step: k, input: { reorder: { enabled: k % 2 === 0 } } }));
  const file = JSON.stringify({ format: 'caucus-run', version: 1, step: 600, inputs, scenario: { version: 1, name: 'many-inputs', protocol: { name: 'heartbeat' }, topology: { preset: 'one-datacenter', placement: [3] } } });
  await page.goto(`${t.base}?s=heartbeat`);
  await ready(page);
  await page.getByRole('button', { name: 'Share…' }).click();
  await page.getByRole('dialog').locator('input[type=file]').setInputFiles({ name: 'many.json', mimeType: 'application/json', buffer: Buffer.from(file) });
  await until(async () => (await page.locator('.banner').innerText().catch(() => '')).includes('Imported the run'), 'the run is imported', 20_000);
  await press(page, 'ArrowRight');
  await page.waitForTimeout(800);
  assert(page.url().length < 8_100, `the address bar stays under the servers' limit: ${page.url().length} characters`);
  assert(!page.url().includes('&i='), 'the address bar does not carry the inputs');
  await page.getByRole('button', { name: 'Share…' }).click();
  const dialog = page.getByRole('dialog');
  const text = await dialog.innerText();
  assert(text.includes('too long for a link'), `the dialog says why there is no link: ${text}`);
  assert(await dialog.getByRole('button', { name: 'Copy link' }).isDisabled(), 'no link to copy');
  eq(await dialog.getByRole('textbox', { name: 'Link to this run' }).inputValue(), '', 'the link box is empty');
  eq(await dialog.getByRole('button', { name: 'Export run (JSON)' }).count(), 1, 'the run file is offered');
  await t.shot('link-too-long', page);
});
