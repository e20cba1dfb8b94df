// The Share dialog's embed snippet, pasted into a course page we do not control: responsive, and
// everything in it escaped (src/components/share.rs).
import { assert, b64url, eq, test } from './harness.mjs';

/** Opens the Embed dialog on `page` (already on a run) and returns the snippet. */
async function snippet(page) {
  await page.getByRole('button', { name: 'Embed…' }).click();
  const code = await page.getByRole('dialog').getByRole('textbox', { name: 'Embed code' }).inputValue();
  await page.getByRole('dialog').getByRole('button', { name: 'Close' }).click();
  return code;
}

/** A course page holding `code`, as a teacher would paste it. */
function host(code) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Course</title></head><body style="margin:0;padding:8px;font-family:sans-serif"><h1>Week 3: failure detectors</h1>
<p>Step through the run below.</p>${code}<p>After the figure.</p></body></html>`;
}

async function frameReady(page) {
  const frame = page.frameLocator('iframe');
  await frame.locator('.map svg g.node').first().waitFor({ timeout: 20_000 });
  return frame;
}

test('embed-responsive', 'the snippet fits a 375 px course page and is 900×560 on a wide one', async (t) => {
  await t.goto('?v=1&s=heartbeat-gc-pause&seed=1&t=40');
  const code = await snippet(t.page);
  assert(!/width="\d|height="\d/.test(code), `no fixed size: ${code}`);
  assert(code.includes('width:100%') && code.includes('aspect-ratio'), `responsive: ${code}`);
  assert(/^<iframe [^\n]*><\/iframe>$/.test(code), `one line, one element: ${code}`);
  const phone = (t.page = await t.newPage({ viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true }));
  await phone.setContent(host(code));
  const frame = await frameReady(phone);
  const width = await phone.evaluate(() => document.scrollingElement.scrollWidth);
  assert(width <= 375, `the course page scrolls sideways: ${width} px at 375 px`);
  const box = await phone.locator('iframe').boundingBox();
  assert(box.width <= 359 && box.width >= 350 && box.height >= 400, `the iframe at 375 px: ${box.width}×${box.height}`);
  assert(await frame.getByRole('button', { name: 'Step forward' }).isVisible(), 'the controls are there at 375 px');
  await t.shot('embed-host-375', phone, { fullPage: true });
  const wide = await t.newPage({ viewport: { width: 1280, height: 800 } });
  await wide.setContent(host(code));
  await frameReady(wide);
  const big = await wide.locator('iframe').boundingBox();
  eq([Math.round(big.width), Math.round(big.height)], [900, 560], 'the iframe on a wide page');
  await t.shot('embed-host-1280', wide);
});

const EVIL = 'lab" onload="window.__pwned=1" x="<b>';

test('embed-escaped', 'a scenario named with quotes and markup: its snippet runs nothing in the host page', async (t) => {
  const { page } = t;
  const scenario = {
    version: 1,
    name: EVIL,
    description: 'A scenario with a hostile name.',
    protocol: { name: 'heartbeat' },
    topology: { preset: 'three-regions', nodes_per_dc: 2 },
    seed: 1,
    until_us: 10_000_000,
  };
  await t.goto(`?v=1&sc=${b64url(JSON.stringify(scenario))}&t=0`);
  eq(await page.locator('.topbar select option:checked').innerText(), `${EVIL} (imported)`, 'the app shows the name as text');
  const code = await snippet(page);
  assert(!code.includes('onload="') && !code.includes('<b>'), `the snippet carries the markup: ${code}`);
  eq(code.match(/"/g).length, 8, `only the snippet's own quotes: ${code}`);
  // Pasted into a course page: nothing runs, and the title reads as the name.
  const hostPage = (t.page = await t.newPage({ viewport: { width: 1000, height: 700 } }));
  await hostPage.addInitScript(() => {
    window.__pwned = undefined;
  });
  await hostPage.setContent(host(code));
  const frame = await frameReady(hostPage);
  eq(await hostPage.evaluate(() => typeof window.__pwned), 'undefined', 'window.__pwned in the host page');
  eq(await hostPage.locator('iframe').count(), 1, 'one element');
  eq(await hostPage.locator('b').count(), 0, 'no <b> in the host page');
  eq(await hostPage.locator('iframe').getAttribute('title'), `Caucus: ${EVIL}`, 'the iframe title is the name, as text');
  eq(await hostPage.locator('iframe').evaluate((f) => f.getAttributeNames().sort()), ['loading', 'src', 'style', 'title'], 'attributes');
  eq(await frame.locator('.scenario-name').innerText(), EVIL, 'the embed shows the name as text');
  await t.shot('embed-escaped-host', hostPage);
  // The exported run's file name keeps none of it either.
  await page.getByRole('button', { name: 'Share…' }).click();
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 10_000 }),
    page.getByRole('dialog').getByRole('button', { name: 'Export run (JSON)' }).click(),
  ]);
  const file = download.suggestedFilename();
  assert(/^caucus-[\w-]+-seed-1\.json$/.test(file), `download name: ${file}`);
  eq(await page.evaluate(() => typeof window.__pwned), 'undefined', 'window.__pwned in the app');
});
