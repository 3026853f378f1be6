// Map benchmark (prints figures; not a test). Starts its own `freight serve --demo`, then:
//  1. time to first map render: navigation start → map 'load' → first driver circles drawn
//     (performance marks set by the app), three fresh navigations of /map;
//  2. frame rate with 1,000 moving drivers: tops the organization up to 1,000 drivers
//     (POST /api/v1/drivers), then feeds every driver a fix every 2 s through
//     POST /api/v1/tracking/positions (staff gateway batches naming `driver_id`), each driver
//     driving a straight line across Austin at 12 m/s, and counts requestAnimationFrame
//     callbacks in the page over 15 s. (The feed is the bench's own, not `freight simulate`,
//     so every driver moves at a known rate whatever the traces hold.)
// Usage: npm --prefix web run bench:map   (FREIGHT_BIN, CHROMIUM_PATH, BENCH_DRIVERS=1000)
// Chromium runs headless with SwiftShader (software WebGL), so figures are a lower bound for
// a desktop with a GPU.
import { chromium } from '@playwright/test';
import { startFreight } from '../scripts/freight-server.mjs';

const TARGET = Number(process.env.BENCH_DRIVERS ?? 1000);
const FPS_SECONDS = 15;
const server = await startFreight({ maxSeconds: 400 });
const base = server.url;
let browser;
let sim;

async function api(tok, method, path, body) {
  const r = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { ...(tok ? { authorization: `Bearer ${tok}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

try {
  const { access_token: tok } = await api(null, 'POST', '/auth/login', { email: 'admin@infamousfreight.demo', password: 'freight-demo' });
  let existing = 0;
  for (let cursor; ; ) {
    const page = await api(tok, 'GET', `/drivers?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    existing += page.data.length;
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const missing = Math.max(0, TARGET - existing);
  const t0 = Date.now();
  for (let i = 0; i < missing; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, missing - i) }, (_, k) =>
        api(tok, 'POST', '/drivers', {
          name: `Bench Driver ${i + k + 1}`,
          status: ['available', 'on_route', 'on_break'][(i + k) % 3],
          home_base: { lat: 30.27, lon: -97.74 },
          onboarded_on: '2026-01-01',
        }),
      ),
    );
  }
  console.log(`drivers: ${existing} demo + ${missing} created in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', 'dispatch@infamousfreight.demo');
  await page.fill('input[name=password]', 'freight-demo');
  await page.click('button[type=submit]');
  await page.waitForURL(/\/map$/);

  const firstRender = async () => {
    await page.goto(`${base}/map`);
    await page.waitForFunction(() => performance.getEntriesByName('freight:drivers-drawn').length > 0, null, { timeout: 30_000 });
    return page.evaluate(() => ({
      dcl: performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd,
      create: performance.getEntriesByName('freight:map-create').at(-1).startTime,
      load: performance.getEntriesByName('freight:map-load')[0].startTime,
      drawn: performance.getEntriesByName('freight:drivers-drawn')[0].startTime,
      drivers: Number(document.querySelector('[data-drivers]')?.getAttribute('data-drivers')),
    }));
  };
  const report = (name, r) =>
    console.log(
      `${name}: map load ${r.load.toFixed(0)} ms, drivers drawn ${r.drawn.toFixed(0)} ms ` +
        `(${r.drivers} drivers; scripts ready ${r.dcl.toFixed(0)} ms, map created ${r.create.toFixed(0)} ms)`,
    );
  for (let i = 0; i < 3; i++) report(`first map render #${i + 1}${i === 0 ? ' (cold cache)' : ''}`, await firstRender());

  // Every driver of the organization, moving: 1/8 of them get a fix every 250 ms.
  const ids = [];
  for (let cursor; ; ) {
    const page = await api(tok, 'GET', `/drivers?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    ids.push(...page.data.map((d) => d.id));
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  const movers = ids.map((id, i) => {
    const a = (i * 2.399963) % (2 * Math.PI); // golden-angle spread of headings
    const r = 0.02 + ((i * 7919) % 1000) / 1000 * 0.12;
    return { id, lat: 30.28 + r * Math.sin(a), lon: -97.74 + r * Math.cos(a), dLat: Math.cos(a), dLon: -Math.sin(a) };
  });
  let tick = 0;
  let fed = 0;
  let feeding = true;
  const feeder = (async () => {
    while (feeding) {
      const slice = movers.filter((_, i) => i % 8 === tick % 8);
      tick++;
      const now = new Date().toISOString();
      const batch = slice.map((m) => {
        m.lat += (m.dLat * 24) / 111_000; // 12 m/s for 2 s
        m.lon += (m.dLon * 24) / 96_000;
        return { driver_id: m.id, lat: m.lat, lon: m.lon, speed: 12, accuracy: 5, timestamp: now };
      });
      const started = Date.now();
      const reply = await api(tok, 'POST', '/tracking/positions', batch).catch((e) => ({ accepted: 0, error: String(e) }));
      fed += reply.accepted ?? 0;
      await new Promise((r) => setTimeout(r, Math.max(0, 250 - (Date.now() - started))));
    }
  })();
  sim = { stop: async () => ((feeding = false), await feeder) };
  const drawn = await page
    .waitForFunction((n) => Number(document.querySelector('[data-drivers]')?.getAttribute('data-drivers')) >= n, TARGET * 0.95, { timeout: 25_000, polling: 500 })
    .then(() => true, () => false);
  const onMap = await page.evaluate(() => Number(document.querySelector('[data-drivers]')?.getAttribute('data-drivers')));
  if (!drawn) console.log(`warning: only ${onMap} drivers on the map after 25 s of feeding`);

  const r = await page.evaluate(async (seconds) => {
    const hook = window.__freightMap;
    const before = hook.snapshot();
    const f0 = hook.flushes;
    let renders = 0;
    const countRender = () => renders++;
    hook.map.on('render', countRender);
    const gaps = [];
    const frames = await new Promise((res) => {
      let n = 0;
      let last = performance.now();
      const start = last;
      const tick = (t) => {
        n++;
        gaps.push(t - last);
        last = t;
        if (t - start < seconds * 1000) requestAnimationFrame(tick);
        else res({ n, secs: (t - start) / 1000 });
      };
      requestAnimationFrame(tick);
    });
    hook.map.off('render', countRender);
    const after = hook.snapshot();
    let moved = 0;
    for (const [id, ll] of Object.entries(after)) {
      const b = before[id];
      if (b && (b[0] !== ll[0] || b[1] !== ll[1])) moved++;
    }
    gaps.sort((a, b) => a - b);
    return {
      fps: frames.n / frames.secs,
      updatesPerSec: (hook.flushes - f0) / frames.secs,
      rendersPerSec: renders / frames.secs,
      p95: gaps[Math.floor(gaps.length * 0.95)],
      worst: gaps[gaps.length - 1],
      moved,
      drivers: Object.keys(after).length,
    };
  }, FPS_SECONDS);
  console.log(
    `frame rate with ${r.drivers} drivers on the map (${r.moved} moved during the window): ` +
      `${r.fps.toFixed(1)} fps over ${FPS_SECONDS} s, map redraws ${r.updatesPerSec.toFixed(1)}/s ` +
      `(${r.rendersPerSec.toFixed(1)} map renders/s), ` +
      `frame gap p95 ${r.p95.toFixed(1)} ms, worst ${r.worst.toFixed(0)} ms`,
  );
  console.log(`fixes accepted during the run: ${fed}`);
  if (process.env.BENCH_PROFILE) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.start');
    await new Promise((r) => setTimeout(r, 6000));
    const { profile } = await cdp.send('Profiler.stop');
    const self = new Map();
    const dt = profile.timeDeltas;
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const n = byId.get(id);
      const key = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`;
      self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0) / 1000);
    });
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    console.log(`main-thread profile over 6 s (total sampled ${total.toFixed(0)} ms):`);
    for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${v.toFixed(0).padStart(6)} ms  ${k}`);
  }
  report('first map render with every driver placed, feed running', await firstRender());

  // Context for the figure above: the same page with the feed stopped, once forced to repaint
  // every frame (the machine's ceiling for drawing this map) and once left alone ("idle": the
  // demo fleet still reports every 5 s and its markers glide, so the map still redraws).
  feeding = false;
  await sim.stop();
  await new Promise((r) => setTimeout(r, 2000));
  const ceiling = await page.evaluate(async (seconds) => {
    const fps = async () => {
      let n = 0;
      const t0 = performance.now();
      await new Promise((res) => {
        const f = (t) => (n++, t - t0 < seconds * 1000 ? requestAnimationFrame(f) : res());
        requestAnimationFrame(f);
      });
      return n / ((performance.now() - t0) / 1000);
    };
    const m = window.__freightMap.map;
    m.repaint = true;
    const forced = await fps();
    m.repaint = false;
    return { forced, idle: await fps() };
  }, 5);
  console.log(
    `same map, feed stopped: ${ceiling.forced.toFixed(1)} fps when forced to repaint every frame ` +
      `(this machine's ceiling), ${ceiling.idle.toFixed(1)} fps idle`,
  );
} finally {
  await sim?.stop();
  await browser?.close();
  await server.stop();
}
