// The end-to-end harness: Playwright (playwright-core from the tools folder, never a downloaded
// browser) driving Debian's /usr/bin/chromium, a tiny test runner, and helpers for the app.
//
// Environment:
//   CAUCUS_TOOLS     where scripts/install-tools.sh put node_modules (default ~/.cache/caucus-tools)
//   CAUCUS_E2E_URL   the app's URL; without it, dist/ (or CAUCUS_DIST) is served here on 127.0.0.1
//   CAUCUS_DIST      the folder to serve when CAUCUS_E2E_URL is unset (default dist)
//   CHROMIUM         the browser (default /usr/bin/chromium)
//   E2E_ONLY         run only the tests whose name contains this text
//   E2E_TIMEOUT_MS   per-test timeout (default 60000)
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from './serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const REPO = join(here, '..', '..');
export const SCREENSHOTS = join(here, 'screenshots');

const tools = process.env.CAUCUS_TOOLS || join(homedir(), '.cache', 'caucus-tools');
const require = createRequire(join(tools, 'node_modules', 'noop.js'));
let playwright;
try {
  playwright = require('playwright-core');
} catch (e) {
  console.error(`playwright-core is not installed in ${tools}/node_modules: run bash scripts/install-tools.sh`);
  throw e;
}

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Starts the browser (and the static server when no URL is given). Call `stop()` at the end. */
export async function start() {
  let base = process.env.CAUCUS_E2E_URL;
  let server;
  if (!base) {
    server = await serve(resolve(REPO, process.env.CAUCUS_DIST || 'dist'));
    base = server.url;
  }
  if (!base.endsWith('/')) base += '/';
  // `launch` gives Chromium a fresh, empty --user-data-dir of its own (a temporary folder that
  // Playwright deletes on close), and every test gets its own isolated context in it.
  const chromium = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  return {
    base,
    browser: chromium,
    version: chromium.version(),
    async stop() {
      await chromium.close().catch(() => {});
      if (server) await server.close();
    },
  };
}

/** A page in a fresh context, with console errors, page errors and failed requests collected. */
export async function newPage(env, options = {}) {
  const context = await env.browser.newContext({
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
    ...options,
  });
  const errors = [];
  const warnings = [];
  const watch = (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      if (m.type() === 'warning') warnings.push(`console.warn: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('requestfailed', (r) => {
      // A download's blob: URL is revoked at once; that is not a failure of the app.
      if (!r.url().startsWith('blob:')) errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
  };
  context.on('page', watch);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.setDefaultNavigationTimeout(20_000);
  return { context, page, errors, warnings };
}

// ------------------------------------------------------------------------------------------------
// A tiny runner

const tests = [];
/**
 * Registers a test. `name` is short: the screenshot of the test's last state (of `t.page`) is
 * screenshots/NAME.png. `context` holds options for the first page's browser context (viewport,
 * reducedMotion...).
 */
export function test(name, description, fn, { timeout, context } = {}) {
  tests.push({ name, description, fn, timeout, context });
}

export class Failure extends Error {}
export function assert(cond, message) {
  if (!cond) throw new Failure(message);
}
export function eq(actual, expected, message) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Failure(`${message}: expected ${e}, got ${a}`);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, fail) => {
      timer = setTimeout(() => fail(new Failure(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Runs the registered tests. Each gets `t` with `t.page` (a fresh page; more with `t.newPage()`;
 * assign `t.page` to choose which page the final screenshot shows),
 * `t.goto(query)`, `t.shot(name)` and `t.allowErrors(regex)`. Console errors, page errors and
 * failed requests fail a test unless allowed. The last state of every test's page is saved as
 * screenshots/NAME.png. Returns the number of failures.
 */
export async function runTests(env) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const only = process.env.E2E_ONLY;
  const defaultTimeout = Number(process.env.E2E_TIMEOUT_MS || 60_000);
  const results = [];
  const warned = new Map();
  for (const { name, description, fn, timeout, context } of tests) {
    if (only && !name.includes(only)) continue;
    const started = Date.now();
    const pages = [];
    const allowed = [];
    const t = {
      env,
      base: env.base,
      async newPage(options) {
        const p = await newPage(env, options);
        pages.push(p);
        return p.page;
      },
      async goto(query = '', page = t.page) {
        await page.goto(env.base + query);
        await page.waitForSelector('.map svg g.node', { timeout: 20_000 });
      },
      async shot(shotName, page = t.page, options = {}) {
        await page.screenshot({ path: join(SCREENSHOTS, `${shotName}.png`), ...options });
      },
      allowErrors(re) {
        allowed.push(re);
      },
    };
    t.page = await t.newPage(context);
    let error;
    try {
      await withTimeout(fn(t), timeout ?? defaultTimeout, name);
    } catch (e) {
      error = e;
    }
    // The state each test ends in, for people to look at (and to see what a failure looked like).
    await t.page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true }).catch(() => {});
    const errors = pages.flatMap((p) => p.errors).filter((e) => !allowed.some((re) => re.test(e)));
    for (const p of pages) await p.context.close().catch(() => {});
    if (!error && errors.length) error = new Failure(`errors in the page:\n      ${errors.join('\n      ')}`);
    for (const p of pages) for (const w of p.warnings) warned.set(w, [...(warned.get(w) ?? []), name]);
    const ms = Date.now() - started;
    results.push({ name, ok: !error, ms });
    if (error) {
      console.log(`  \x1b[31m✗\x1b[0m ${name}: ${description} (${ms} ms)\n      ${error instanceof Failure ? error.message : error.stack}`);
    } else {
      console.log(`  \x1b[32m✓\x1b[0m ${name}: ${description} (${ms} ms)`);
    }
  }
  for (const [w, names] of warned) {
    console.log(`  note (not a failure): ${w}\n    (in ${[...new Set(names)].join(', ')})`);
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`\n${results.length - failed} passed, ${failed} failed (screenshots in tests/e2e/screenshots/)`);
  if (results.length === 0) {
    console.log(`no test matches E2E_ONLY=${only}`);
    return 1;
  }
  return failed;
}

// ------------------------------------------------------------------------------------------------
// The app

/** The step counter (`step 12`, or `step 12 of 40 recorded`): 12. */
export async function stepNo(page) {
  const text = await page.locator('.controls .clock .step').textContent();
  const m = /step (\d+)/.exec(text);
  if (!m) throw new Failure(`no step number in "${text}"`);
  return Number(m[1]);
}

export async function simTime(page) {
  return (await page.locator('.controls .clock .time').textContent()).trim();
}

/** Messages in flight, from the map's label ("3 datacenters, 6 nodes, 12 messages in flight"). */
export async function inFlight(page) {
  const label = await page.locator('.map svg').first().getAttribute('aria-label');
  const m = /(\d+) messages? in flight/.exec(label ?? '');
  if (!m) throw new Failure(`no message count in the map's label "${label}"`);
  return Number(m[1]);
}

export async function nodeLabels(page) {
  return page.$$eval('.map g.node', (els) => els.map((e) => e.getAttribute('aria-label')));
}

export function controls(page) {
  return page.locator('section.controls');
}

export async function clickControl(page, name) {
  await controls(page).getByRole('button', { name, exact: true }).click();
}

/** Waits until `fn()` is truthy (polling), or fails with `what`. */
export async function until(fn, what, timeout = 10_000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Failure(`waited ${timeout} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Presses a key `n` times with the page body focused (the app's shortcuts). */
export async function press(page, key, n = 1) {
  for (let i = 0; i < n; i++) await page.keyboard.press(key);
}

/** base64url without padding, as the app's links use. */
export function b64url(text) {
  return Buffer.from(text, 'utf8').toString('base64url');
}

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values, p) {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The largest preset topology (five regions x 5 nodes), carried in links with `sc=`. */
export const BIG_SCENARIO = {
  version: 1,
  name: 'heartbeat-25',
  description: 'Twenty-five nodes in five regions (the largest preset topology).',
  protocol: { name: 'heartbeat' },
  topology: { preset: 'five-regions', nodes_per_dc: 5 },
  seed: 1,
  until_us: 600_000_000,
};
