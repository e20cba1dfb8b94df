// The layout issue: on every family page the map and the family's figure are on screen together
// at 1280x800, the caption says what each step did, Next moment reaches the point of a story in a
// few presses, and an embed carries the figure and the caption.
import { assert, clickControl, controls, eq, stepNo, test, until } from './harness.mjs';

const FAMILIES = [
  { family: 'heartbeat', page: '', scenario: 'heartbeat-gc-pause' },
  { family: 'election', page: 'election/', scenario: 'raft' },
  { family: 'paxos', page: 'paxos/', scenario: 'paxos-duel' },
  { family: 'ring', page: 'ring/', scenario: 'ring-join' },
  { family: 'lock', page: 'lock/', scenario: 'lock-lease-gc-pause' },
  { family: 'commit', page: 'commit/', scenario: 'commit-2pc-coordinator-crash' },
  { family: 'balance', page: 'balance/', scenario: 'balance-gray-failure' },
];

/** The element's box, and whether it lies wholly inside the viewport. */
async function inViewport(page, selector) {
  return page.locator(selector).first().evaluate((el) => {
    const r = el.getBoundingClientRect();
    const inside = r.width > 0 && r.height > 0 && r.left >= -1 && r.top >= -1 && r.right <= innerWidth + 1 && r.bottom <= innerHeight + 1;
    return { inside, box: [Math.round(r.left), Math.round(r.top), Math.round(r.right), Math.round(r.bottom)], viewport: [innerWidth, innerHeight] };
  });
}

async function caption(page) {
  return (await page.locator('.caption .caption-text').textContent()).trim();
}

/** Waits until the run has been computed to its end (the timeline spans the whole story). */
async function computed(page) {
  await until(async () => (await page.locator('.controls .clock .computing').count()) === 0, 'the run computed ahead', 30_000);
}

for (const { family, page: dir, scenario } of FAMILIES) {
  test(`layout-${family}`, `${family}: map, figure and properties on screen at 1280x800; the caption follows the steps; one column at 375 px`, async (t) => {
    const { page } = t;
    await t.goto(`${dir}?v=1&s=${scenario}`);
    await page.waitForSelector(`[data-figure="${family}"]`);
    const map = await inViewport(page, '.map-panel');
    assert(map.inside, `the map is inside the viewport: ${JSON.stringify(map)}`);
    const figure = await inViewport(page, `[data-figure="${family}"]`);
    assert(figure.inside, `the ${family} figure is inside the viewport: ${JSON.stringify(figure)}`);
    const props = await inViewport(page, 'section.properties h2');
    assert(props.inside, `the properties start inside the viewport: ${JSON.stringify(props)}`);
    eq(await page.locator('.caption [aria-live=polite]').count(), 1, 'the caption is a polite live region');
    await t.shot(`layout-${family}-1280x800`);
    const before = await caption(page);
    const seen = new Set([before]);
    for (let i = 0; i < 6; i++) {
      await clickControl(page, 'Step forward');
      seen.add(await caption(page));
    }
    assert(seen.size >= 3, `the caption changes as the run steps: ${JSON.stringify([...seen])}`);
    await computed(page);
    const next = controls(page).getByRole('button', { name: 'Next moment', exact: true });
    if (await next.isEnabled()) await next.click();
    await t.shot(`layout-${family}-moment-1280x800`);
    // At 375 px the figure comes right after the map.
    await page.setViewportSize({ width: 375, height: 800 });
    const order = await page.evaluate((fam) => {
      const m = document.querySelector('.map-panel').getBoundingClientRect();
      const f = document.querySelector(`[data-figure="${fam}"]`).getBoundingClientRect();
      const p = document.querySelector('section.properties').getBoundingClientRect();
      return { mapBottom: m.bottom, figureTop: f.top, propsTop: p.top, scrollWidth: document.scrollingElement.scrollWidth };
    }, family);
    assert(order.figureTop >= order.mapBottom - 1 && order.figureTop < order.propsTop, `figure right after the map at 375 px: ${JSON.stringify(order)}`);
    assert(order.scrollWidth <= 376, `no horizontal scroll at 375 px: ${order.scrollWidth}`);
    await t.shot(`layout-${family}-375`, page, { fullPage: true });
  }, { context: { viewport: { width: 1280, height: 800 } }, timeout: 90_000 });
}

const STORIES = [
  { page: 'lock/', scenario: 'lock-lease-gc-pause', what: 'the stale write' },
  { page: 'commit/', scenario: 'commit-3pc-partition', what: '3PC atomicity broken' },
  { page: 'paxos/', scenario: 'bully-partition', what: 'two Bully leaders' },
];
for (const { page: dir, scenario, what } of STORIES) {
  test(`moments-${scenario}`, `Next moment reaches ${what} in ${scenario} within 8 presses`, async (t) => {
    const { page } = t;
    await t.goto(`${dir}?v=1&s=${scenario}`);
    await computed(page);
    const marks = await page.locator('.moments .mark.violation').count();
    assert(marks >= 1, `the violation is marked on the timeline (${marks})`);
    let presses = 0;
    while ((await page.locator('section.properties li.property.fails').count()) === 0) {
      assert(presses < 8, `${what} not reached after 8 presses of Next moment (at step ${await stepNo(page)}: "${await caption(page)}")`);
      await clickControl(page, 'Next moment');
      presses++;
    }
    const failing = await page.locator('section.properties li.property.fails strong').allTextContents();
    console.log(`      ${scenario}: ${what} after ${presses} presses of Next moment (step ${await stepNo(page)}; ${failing.join(', ')})`);
    // Previous moment goes back before it.
    await controls(page).getByRole('button', { name: 'Previous moment' }).click();
    eq(await page.locator('section.properties li.property.fails').count(), 0, 'before the violation nothing has failed yet');
    await page.keyboard.press(']');
    assert((await page.locator('section.properties li.property.fails').count()) > 0, 'the ] key jumps to the next moment');
    await t.shot(`moments-${scenario}`);
  }, { context: { viewport: { width: 1280, height: 800 } }, timeout: 90_000 });
}

for (const { family, page: dir, scenario } of FAMILIES) {
  test(`embed-figure-${family}`, `${family}: an embed at 900x560 shows the map, the figure and the caption`, async (t) => {
    const { page } = t;
    await t.goto(`${dir}?v=1&s=${scenario}&embed=1`);
    await page.waitForSelector(`[data-figure="${family}"]`);
    const cap = await inViewport(page, '.caption');
    assert(cap.inside, `the caption is inside the 900x560 embed: ${JSON.stringify(cap)}`);
    // The figure is the embed's main view: it starts on screen and fills what is left of it (a
    // tall one, the lock's tables, scrolls inside the frame).
    for (const sel of [`[data-figure="${family}"]`, '.map-panel']) {
      const { box } = await inViewport(page, sel);
      const shown = Math.min(box[3], 560) - Math.max(box[1], 0);
      assert(box[1] >= 0 && box[1] < 300 && box[0] >= 0 && box[2] <= 901 && shown >= Math.min(250, box[3] - box[1]),
        `${sel} is the embed's view: ${JSON.stringify(box)}`);
    }
    const small = await page.evaluate(() => {
      const out = [];
      for (const el of document.querySelectorAll('body *')) {
        if (!el.childNodes.length || ![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        // SVG text scales with its viewBox: measure the rendered height of the glyphs instead.
        const rendered = el instanceof SVGElement ? r.height / 1.2 : size;
        if (rendered < 11.5) out.push(`${el.tagName.toLowerCase()}.${el.getAttribute('class') ?? ''} "${el.textContent.trim().slice(0, 20)}" ${rendered.toFixed(1)}px`);
      }
      return out.slice(0, 12);
    });
    if (small.length) console.log(`      note: text under 12 px in the ${family} embed: ${small.join('; ')}`);
    await t.shot(`embed-figure-${family}-900x560`);
  }, { context: { viewport: { width: 900, height: 560 } } });
}
