// End-to-end tests of hostile or broken input (issue: reliability and security): links, big
// topologies, and the panic path. Registered by run.mjs.
import { readFileSync } from 'node:fs';
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

// Every page of the app, each opened on its default scenario (the root without a query is the
// index of families, opened first).
const PAGES = ['?s=heartbeat', 'ring/', 'lock/', 'commit/', 'election/'];

test('csp-no-network', 'every page carries a Content-Security-Policy without unsafe-eval, breaks none of it, and asks the network for nothing after load but what it fetches on demand from its own origin', async (t) => {
  const { page } = t;
  const origin = new URL(t.base).origin;
  const violations = [];
  await page.exposeFunction('cspViolation', (v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => window.cspViolation(`${e.violatedDirective} ${e.blockedURI}`));
  });
  const index = await page.goto(t.base);
  await page.locator('#index').waitFor();
  assert((index.headers()['content-security-policy'] ?? '').includes("default-src 'none'"), 'the index page has its policy');
  for (const path of PAGES) {
    const requests = [];
    const onRequest = (r) => requests.push(r.url());
    page.on('request', onRequest);
    const response = await page.goto(`${t.base}${path}`);
    await ready(page);
    const header = response.headers()['content-security-policy'] ?? '';
    const meta = await page.locator('meta[http-equiv=Content-Security-Policy]').getAttribute('content');
    for (const [where, csp] of [['header', header], ['meta', meta]]) {
      assert(csp.includes("default-src 'none'") && csp.includes("'wasm-unsafe-eval'"), `/${path} ${where}: ${csp}`);
      assert(!csp.includes("'unsafe-eval'") && !/script-src[^;]*'unsafe-inline'/.test(csp), `/${path} ${where} allows eval or inline scripts: ${csp}`);
    }
    const loaded = requests.length;
    // A person's first minute: play, step, the faults drawer, the Share dialog, the essay.
    await page.getByRole('button', { name: 'Play' }).first().click();
    await page.waitForTimeout(1500);
    await press(page, ' ');
    await press(page, 'ArrowRight');
    await page.getByRole('button', { name: /^Faults/ }).first().click();
    await press(page, 'Escape');
    await page.getByRole('button', { name: 'Share…' }).click();
    await page.getByRole('dialog').waitFor();
    await press(page, 'Escape');
    const essay = page.getByRole('button', { name: 'How it works' });
    if (await essay.count()) await essay.first().click();
    await page.waitForTimeout(500);
    page.off('request', onRequest);
    for (const url of requests) assert(url.startsWith(origin) || url.startsWith('data:') || url.startsWith('blob:'), `/${path} asked another origin: ${url}`);
    const after = requests.slice(loaded).filter((u) => !u.startsWith('data:'));
    const onDemand = after.filter((u) => !/\/essays\.json$/.test(u));
    eq(onDemand, [], `/${path}: requests after load besides the essays`);
  }
  eq(violations, [], 'policy violations');
}, { timeout: 120_000 });

// The fixed corpus of hostile links and files, shared with the native fuzz tests
// (crates/protocols/tests/fuzz.rs): on every page, each is refused with a message in the banner
// (naming the field where the corpus says) and the app keeps its last good state, or it opens;
// nothing panics, nothing injected runs.
const CORPUS = JSON.parse(readFileSync(new URL('../corpus/hostile.json', import.meta.url), 'utf8'));
const corpusQuery = (e) => (e.scenario ? `v=1&sc=${b64url(JSON.stringify(e.scenario))}` : e.query);
const noPanic = async (page, what) => {
  eq(await page.locator('#panic:not([hidden])').count(), 0, `${what}: no panic`);
  eq(await page.evaluate(() => window.pwned ?? null), null, `${what}: nothing injected ran`);
};

test('hostile-links', 'every hostile link of the corpus, on every page: refused with a message naming the field, or opened; never a panic', async (t) => {
  const { page } = t;
  for (const path of PAGES) {
    const prefix = path.startsWith('?') ? '' : path;
    for (const e of CORPUS.links) {
      const what = `/${prefix}?${e.why}`;
      await page.goto(`${t.base}${prefix}?${corpusQuery(e)}`);
      await ready(page);
      await noPanic(page, what);
      const alert = banner(page);
      if (e.expect === 'refused') {
        await alert.waitFor({ timeout: 5_000 }).catch(() => {});
        const text = (await alert.count()) ? await alert.innerText() : '';
        assert(text.length > 0, `${what}: refused with a message`);
        if (e.message) assert(text.includes(e.message), `${what}: the message names \`${e.message}\`: ${text}`);
      } else if (e.scenario) {
        // It opens (a limit it may reach later is told in a banner, as for any run).
        const shown = await page.locator('header select[aria-label=Scenario]').innerText();
        assert(shown.includes(e.scenario.name), `${what}: the scenario is shown: ${shown}`);
      } else {
        eq(await alert.count(), 0, `${what}: opens without an error`);
      }
      // The page still works: a step forward, and nothing broke.
      await press(page, 'ArrowRight');
      await noPanic(page, what);
    }
  }
}, { timeout: 400_000 });

test('hostile-files', 'every hostile run file of the corpus, imported on every page: refused with a message and the run unchanged, or opened', async (t) => {
  const { page } = t;
  for (const path of PAGES) {
    await page.goto(`${t.base}${path}`);
    await ready(page);
    for (const e of CORPUS.files) {
      const what = `/${path} ${e.why}`;
      await press(page, 'ArrowRight');
      // The last file's message goes first, so the one read below is this file's.
      const dismiss = page.getByRole('button', { name: 'Dismiss message' });
      while (await dismiss.count()) await dismiss.first().click();
      const before = await page.locator('header select[aria-label=Scenario]').inputValue();
      const link = await page.evaluate(() => location.search);
      await page.getByRole('button', { name: 'Share…' }).click();
      const text = e.json === undefined ? e.text : JSON.stringify(e.json);
      await page.getByRole('dialog').locator('input[type=file]').setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(text) });
      // A run of another family is handed over to its page first, and judged there.
      const pathname = new URL(page.url()).pathname;
      await until(async () => (await page.locator('.banner').count()) > 0 || new URL(page.url()).pathname !== pathname, `${what}: an answer`, 15_000);
      const moved = new URL(page.url()).pathname !== pathname;
      if (moved) await ready(page);
      await page.locator('.banner').first().waitFor({ timeout: 10_000 });
      await noPanic(page, what);
      const message = await page.locator('.banner').first().innerText();
      if (e.expect === 'refused') {
        assert(message.includes('could not be imported'), `${what}: refused: ${message}`);
        if (e.message) assert(message.includes(e.message), `${what}: the message names \`${e.message}\`: ${message}`);
        if (!moved) {
          eq(await page.locator('header select[aria-label=Scenario]').inputValue(), before, `${what}: the scenario is unchanged`);
          eq(await page.evaluate(() => location.search), link, `${what}: the run is unchanged`);
        }
      } else {
        assert(message.includes('Imported'), `${what}: opens: ${message}`);
      }
      if (moved) {
        await page.goto(`${t.base}${path}`);
        await ready(page);
        continue;
      }
      if (await page.getByRole('dialog').count()) await press(page, 'Escape');
    }
  }
}, { timeout: 200_000 });
