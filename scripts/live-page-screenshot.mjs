// Screenshot of the live page from a real run, for the README:
//   npm run build && node scripts/live-page-screenshot.mjs [--out docs/live-page.png] [--memory 256] [--seconds 45]
// Starts the built server (dist/lib/cli/main.js) on loopback ports with
// --metrics-listen, opens the page in headless chromium (playwright-core,
// CHROMIUM env or `chromium` on PATH), drives a mixed load with several TTLs
// (short-lived keys expire during the run, the heap overflows so merges
// evict, gets hit and miss), then saves the page as a PNG.

import { spawn, execFileSync } from 'node:child_process';
import net from 'node:net';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'docs/live-page.png' },
    memory: { type: 'string', default: '256' },
    seconds: { type: 'string', default: '45' },
    width: { type: 'string', default: '1600' },
    height: { type: 'string', default: '1000' },
  },
});

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim();
    } catch {
      // try the next name
    }
  }
  throw new Error('no chromium found (set CHROMIUM=/path/to/chrome)');
}

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never opened`);
}

/** A pipelining client: sets with noreply, gets counted by their END. */
function client(port) {
  const socket = net.connect(port, '127.0.0.1');
  let buffered = '';
  const waiters = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk) => {
    buffered += chunk;
    let at;
    while (waiters.length > 0 && (at = buffered.indexOf('END\r\n')) >= 0) {
      buffered = buffered.slice(at + 5);
      waiters.shift()();
    }
    if (waiters.length === 0) buffered = '';
  });
  return {
    set(key, ttl, bytes) {
      socket.write(`set ${key} 0 ${ttl} ${bytes} noreply\r\n${'v'.repeat(bytes)}\r\n`);
    },
    get(key) {
      socket.write(`get ${key}\r\n`);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () => socket.end(),
  };
}

const port = await freePort();
const metricsPort = await freePort();
const server = spawn(
  process.execPath,
  ['dist/lib/cli/main.js', '-p', String(port), '-l', '127.0.0.1', '-m', args.memory, '--metrics-listen', `127.0.0.1:${metricsPort}`],
  { stdio: ['ignore', 'inherit', 'inherit'] },
);
const browser = await chromium.launch({ executablePath: findChromium(), args: ['--no-sandbox'] });
try {
  await waitForPort(port);
  const page = await browser.newPage({ viewport: { width: Number(args.width), height: Number(args.height) } });
  await page.goto(`http://127.0.0.1:${metricsPort}/`);
  await page.waitForFunction(() => Number(globalThis.document.body.dataset.updates) > 0);

  const c = client(port);
  const memoryBytes = Number(args.memory) * 1024 * 1024;
  // TTL mix: seconds, minutes, an hour, a day, and never.
  const ttls = [6, 12, 45, 300, 3600, 86400, 0];
  const weights = [3, 2, 2, 2, 3, 2, 2];
  const pick = (r) => {
    let sum = weights.reduce((a, b) => a + b, 0) * r;
    for (let i = 0; i < ttls.length; i++) if ((sum -= weights[i]) < 0) return i;
    return ttls.length - 1;
  };
  let n = 0;
  const classOf = [];
  const seconds = Number(args.seconds);
  // Write about 2.5 heaps over the run, so the heap fills, short TTLs expire and merges evict.
  const perSecond = Math.ceil((2.5 * memoryBytes) / seconds / 3000);
  // The load runs in the background in quarter-second steps (smooth per-second rates).
  let running = true;
  const load = (async () => {
    for (let step = 0; running; step++) {
      const started = Date.now();
      const s = step / 4;
      // Ramp the write rate up and down so the charts have a shape.
      const writes = Math.round((perSecond / 4) * (0.4 + 1.2 * Math.sin((Math.PI * s) / seconds) ** 2));
      for (let i = 0; i < writes; i++) {
        const t = pick(Math.random());
        classOf.push(t);
        c.set(`k${t}:${n++}`, ttls[t], 1000 + Math.floor(Math.random() * 4000));
      }
      // Gets skewed towards recent keys: most hit, older ones miss.
      const gets = [];
      for (let i = 0; i < 100; i++) {
        const k = n - 1 - Math.floor(Math.random() * Math.random() * n);
        gets.push(c.get(`k${classOf[k]}:${k}`));
      }
      await Promise.all(gets);
      await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - started))));
    }
  })();
  await page.waitForTimeout(seconds * 1000);
  // Hover a cell so the screenshot shows a segment's details.
  const box = await page.locator('#map').boundingBox();
  if (box) await page.mouse.move(box.x + box.width * 0.37, box.y + box.height * 0.3);
  await page.waitForTimeout(2000);
  await page.screenshot({ path: args.out, fullPage: true });
  running = false;
  await load;
  c.close();
  console.log(`saved ${args.out}`);
} finally {
  await browser.close();
  server.kill('SIGTERM');
}
