// The live page in a real headless browser (Debian's chromium driven by
// playwright-core): the server starts with a small heap (39 segments of
// 1 MiB: at least 32, so each TTL keeps its own bucket), the page draws one cell per segment, keys written with several
// TTLs show up in the map and the charts, and once they expire their
// segments come back as free. Waits are bounded polls, never timing
// thresholds. Saves a screenshot and prints its path. Skipped, with the
// reason, when no chromium is installed (test/peers.ts).

import t from 'tap';
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { startServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../lib/cli/settings.js';
import { needs, peerCommand } from '../peers.js';

const chromiumNeed = needs('chromium');
const chromiumPath = chromiumNeed.skip === false ? peerCommand('chromium') : undefined;
// Bounded waits below add up to more than .taprc's 120 s on a slow machine;
// the root test's timeout also reaches the runner.
if (chromiumPath) t.setTimeout(300_000);
const MIB = 1024 * 1024;

/** What the page exposes for tests (window.liveState, data-* on <body>). */
interface PageView {
  cells: number;
  segments: number;
  free: number;
  used: number;
  updates: number;
  chartPoints: number;
  buckets: number[];
  expiredFlags: number;
  sets: number;
  expired: number;
  firstUsed: number;
  dpr: number;
  canvas: { width: number; height: number; cols: number; rows: number; s: number };
  pixels: string;
}

/**
 * Read the page's state (window.liveState, data-* on <body>) and a
 * fingerprint of the drawn pixels. Browser code, kept as a string: the test
 * build has no DOM types.
 */
const VIEW_JS = `(() => {
  const d = document.body.dataset;
  const st = window.liveState;
  const canvas = document.getElementById('map');
  const m = st.map;
  const buckets = m ? [...new Set(m.bucket)].filter((b) => b !== 0xffff).sort((a, b) => a - b) : [];
  const expiredFlags = m ? [...m.flags].filter((f, i) => (f & 7) === 1 && m.bucket[i] === 0xffff).length : 0;
  const px = canvas.width > 0 ? canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data : [];
  let hash = 0;
  for (let i = 0; i < px.length; i += 4) hash = (Math.imul(hash, 31) + px[i] + px[i + 1] * 7 + px[i + 2] * 13) | 0;
  const L = st.layout || { cols: 0, rows: 0, s: 0 };
  return {
    cells: Number(d.cells), segments: Number(d.segments), free: Number(d.free), used: Number(d.used),
    updates: Number(d.updates), chartPoints: Number(d.chartPoints), buckets, expiredFlags,
    sets: st.series.sets.reduce((a, b) => a + b, 0),
    expired: st.series.expired.reduce((a, b) => a + b, 0),
    firstUsed: m ? [...m.bucket].findIndex((b) => b !== 0xffff) : -1,
    dpr: window.devicePixelRatio || 1,
    canvas: { width: canvas.width, height: canvas.height, cols: L.cols, rows: L.rows, s: L.s },
    pixels: String(hash),
  };
})()`;

/** Write `count` values of `size` bytes with `ttl`, pipelined with noreply, then wait for the server to have read them all. */
async function writeKeys(port: number, prefix: string, ttl: number, count: number, size: number): Promise<void> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const value = Buffer.alloc(size, 'v');
  for (let i = 0; i < count; i++) {
    socket.write(`set ${prefix}${i} 0 ${ttl} ${size} noreply\r\n`);
    socket.write(value);
    socket.write('\r\n');
  }
  socket.write('get nope\r\n');
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (seen.endsWith('END\r\n')) resolve();
    });
    socket.once('error', reject);
  });
  socket.end();
}

t.test('the live page in headless chromium', chromiumNeed, async (t) => {
  const { chromium } = await import('playwright-core');
  const server = await startServer({
    ...DEFAULT_SETTINGS,
    port: EPHEMERAL_PORT,
    listen: ['127.0.0.1'],
    maxBytes: 40 * MIB,
    metricsListen: '127.0.0.1:0',
  });
  t.teardown(() => server.close());
  const browser = await chromium.launch({ executablePath: chromiumPath!, args: ['--no-sandbox'] });
  t.teardown(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  await page.goto(`http://127.0.0.1:${server.metricsPort}/`);

  const view = (): Promise<PageView> => page.evaluate(VIEW_JS) as Promise<PageView>;
  /** Poll the page until `ok` holds, for at most `seconds`; returns the last view. */
  const waitFor = async (what: string, ok: (v: PageView) => boolean, seconds = 30): Promise<PageView> => {
    const until = Date.now() + seconds * 1000;
    let v = await view();
    while (!ok(v) && Date.now() < until) {
      await page.waitForTimeout(200);
      v = await view();
    }
    t.ok(ok(v), `${what} (within ${seconds} s)`, { view: { ...v, pixels: undefined } });
    return v;
  };

  const segments = server.context.sources.store.shape().segmentsTotal;
  const first = await waitFor('the page has drawn a first snapshot', (v) => v.updates >= 1 && v.cells > 0);
  t.equal(first.cells, segments, `one cell per segment (${segments})`);
  t.equal(first.segments, segments, 'the summary agrees');
  t.equal(first.free, segments, 'all free before any write');
  const { cols, rows, s } = first.canvas;
  t.ok(cols * rows >= segments && cols * (rows - 1) < segments, `the grid holds the cells with no empty row (${cols}x${rows})`);
  t.equal(first.canvas.width, cols * s, 'canvas as wide as the grid');
  t.equal(await page.locator('#bucket-rows').innerText(), 'no segment in use');

  // Three TTL classes: two short-lived (about two segments each) and one
  // that never expires. TTLs leave a slow, shared machine time to draw them.
  await writeKeys(server.port, 'short:', 10, 150, 10_000);
  await writeKeys(server.port, 'medium:', 20, 150, 10_000);
  await writeKeys(server.port, 'forever:', 0, 40, 10_000);
  const filled = await waitFor('the map shows the three TTL buckets', (v) => v.buckets.length === 3 && v.used >= 5);
  t.not(filled.pixels, first.pixels, 'the map was redrawn differently');
  t.equal(filled.cells, segments, 'still one cell per segment');
  await waitFor('the sets chart saw the writes', (v) => v.sets > 0 && v.chartPoints > first.chartPoints);
  t.equal(await page.locator('#bucket-rows tr').count(), 3, 'the TTL bucket table lists three buckets');
  t.match(await page.locator('#bucket-rows').innerText(), /never expires/);

  // Hover a used cell: its details appear.
  const box = (await page.locator('#map').boundingBox())!;
  const cell = filled.canvas.s / filled.dpr;
  const at = filled.firstUsed;
  await page.mouse.move(box.x + ((at % cols) + 0.5) * cell, box.y + (Math.floor(at / cols) + 0.5) * cell);
  await page.locator('#tip').waitFor({ state: 'visible', timeout: 10_000 });
  // The details come from /ui/segment a moment later.
  let tip = '';
  for (let i = 0; i < 50 && !/created/.test(tip); i++) {
    await page.waitForTimeout(200);
    tip = await page.locator('#tip').innerText();
  }
  t.match(tip, new RegExp(`segment ${at}\\b`), 'the tooltip names the hovered segment');
  t.match(tip, /TTL bucket/);
  t.match(tip, /live\s+\d+ items/);

  const artifactDir = path.join(process.cwd(), '.tap', 'live-page');
  fs.mkdirSync(artifactDir, { recursive: true });
  const shotFilled = path.join(artifactDir, 'filled.png');
  await page.screenshot({ path: shotFilled, fullPage: true });
  t.comment(`screenshot: ${shotFilled}`);
  await page.mouse.move(0, 0);

  // The colour switch redraws the map.
  const beforeSwitch = await view();
  await page.click('#mode-live');
  const switched = await waitFor('live-fraction colouring redraws the map', (v) => v.pixels !== beforeSwitch.pixels, 10);
  t.not(switched.pixels, beforeSwitch.pixels);
  await page.click('#mode-ttl');

  // The short-lived keys expire: the sweep frees their segments and the page shows them free, marked expired.
  const expired = await waitFor(
    'the expired segments come back as free',
    (v) => v.buckets.length === 1 && v.free === segments - v.used && v.used <= 2 && v.expiredFlags >= 3 && v.expired > 0,
    60,
  );
  t.ok(expired.free >= segments - 2, `${expired.free} of ${segments} free again`);
  t.ok(expired.expired > 0, 'the expired-items chart rose above zero');
  const shotExpired = path.join(artifactDir, 'expired.png');
  await page.screenshot({ path: shotExpired, fullPage: true });
  t.comment(`screenshot: ${shotExpired}`);
  t.same(pageErrors, [], 'no script errors in the page');
});
