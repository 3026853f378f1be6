// The live map draws every demo driver, and a marker moves when a fix is ingested: a new
// driver (which the demo fleet does not move) gets one fix, appears, then a second fix ~1 km
// away a few seconds later, and the rendered circle glides there — part-way points of the line
// are drawn on the way, and it ends on the fix itself, read back from the drawn tiles, not from
// our state. The second fix lies inside a geofence made for the test, which is drawn on the
// map, and the resulting `enter` event shows in the side feed.
// A driver's status changed through the API (an edit, a shift ending and starting) recolours
// its circle — the pixel on screen — and lists the change in the side feed, with no reload and
// no new read of the driver list: it comes over the live feed.
import { test, expect, login, USERS, token, call, shot, markerPixel, sameColor } from './helpers';

test('the map shows the demo drivers and a marker moves after a fix is ingested', async ({ page }) => {
  const tok = await token(USERS.dispatcher);
  const latest = await call<unknown[]>(tok, 'GET', '/tracking/latest');
  expect(latest.body.length).toBeGreaterThanOrEqual(50);

  const fence = await call(tok, 'POST', '/tracking/geofences', {
    name: 'E2E Depot',
    circle: { lat: 30.276, lon: -97.74, radius_m: 300 },
  });
  expect(fence.status).toBe(201);

  await login(page, USERS.dispatcher);
  await expect(page).toHaveURL(/\/map$/);
  const map = page.getByTestId('live-map');
  await expect(map).toHaveAttribute('data-map-loaded', 'true');
  await expect.poll(async () => Number(await map.getAttribute('data-geofences'))).toBeGreaterThanOrEqual(1);
  await expect.poll(async () => Number(await map.getAttribute('data-drivers'))).toBeGreaterThanOrEqual(latest.body.length);
  await expect.poll(() => page.evaluate(() => window.__freightMap?.renderedCount() ?? 0)).toBeGreaterThanOrEqual(latest.body.length);

  const created = await call<{ id: number }>(tok, 'POST', '/drivers', {
    name: 'E2E Mover',
    status: 'on_route',
    home_base: { lat: 30.27, lon: -97.74 },
    onboarded_on: '2026-01-01',
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  const fix = (lat: number, lon: number, secondsAgo: number) => ({
    driver_id: id,
    lat,
    lon,
    accuracy: 5,
    speed: 12,
    timestamp: new Date(Date.now() - secondsAgo * 1000).toISOString(),
  });
  const first = await call(tok, 'POST', '/tracking/positions', [fix(30.2672, -97.7431, 90)]);
  expect(first.body).toMatchObject({ accepted: 1 });
  // Metres between the rendered circle and a point (tile quantization is a few metres).
  const offBy = async (lon: number, lat: number) => {
    const ll = await page.evaluate((i) => window.__freightMap!.renderedCoords(i), id);
    if (!ll) return Infinity;
    return Math.hypot((ll[0] - lon) * 96_000, (ll[1] - lat) * 111_000);
  };
  await expect.poll(() => offBy(-97.7431, 30.2672)).toBeLessThan(25);

  // Give the next fix an update interval worth gliding over, and record every drawn frame.
  await page.waitForTimeout(3_000);
  await page.evaluate((i) => {
    const w = window as unknown as { __samples: [number, number][] };
    w.__samples = [];
    const tick = () => {
      const c = window.__freightMap?.renderedCoords(i);
      if (c) w.__samples.push(c);
      if (w.__samples.length < 5_000) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, id);
  const second = await call(tok, 'POST', '/tracking/positions', [fix(30.2760, -97.7400, 0)]);
  expect(second.body).toMatchObject({ accepted: 1 });
  await expect.poll(() => offBy(-97.74, 30.276)).toBeLessThan(25);
  const samples = await page.evaluate(() => (window as unknown as { __samples: [number, number][] }).__samples);
  const metres = (a: [number, number], lon: number, lat: number) => Math.hypot((a[0] - lon) * 96_000, (a[1] - lat) * 111_000);
  const between = samples.filter((c) => metres(c, -97.7431, 30.2672) > 100 && metres(c, -97.74, 30.276) > 100);
  expect(between.length, 'part-way positions drawn while gliding').toBeGreaterThan(0);
  // The demo's own fences (downtown zone) may report this driver too; look for E2E Depot's.
  const enter = page
    .getByTestId('event-feed')
    .locator('li', { hasText: 'E2E Mover' })
    .filter({ hasText: 'E2E Depot' })
    .filter({ hasText: 'enter' });
  await expect(enter).toHaveCount(1);
  await shot(page, 'live-map');

  // One click from the map: the driver panel opens with the track.
  const px = await page.evaluate((i) => {
    const m = window.__freightMap!.map;
    const ll = window.__freightMap!.renderedCoords(i)!;
    const p = m.project(ll);
    return { x: p.x, y: p.y };
  }, id);
  await map.click({ position: px });
  await expect(page.getByTestId('driver-panel')).toContainText('E2E Mover');
  await expect(page.getByTestId('driver-panel')).toContainText('fixes in the last');
  await shot(page, 'live-map-driver-panel');
});

test('a driver status change recolours its marker and shows in the side feed, without a reload', async ({ page }) => {
  const tok = await token(USERS.dispatcher);
  const created = await call<{ id: number }>(tok, 'POST', '/drivers', {
    name: 'E2E Status',
    status: 'available',
    home_base: { lat: 30.27, lon: -97.74 },
    onboarded_on: '2026-01-01',
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  // West of town, away from the demo fleet, so no other circle covers this one.
  const placed = await call(tok, 'POST', '/tracking/positions', [
    { driver_id: id, lat: 30.33, lon: -97.93, accuracy: 5, timestamp: new Date().toISOString() },
  ]);
  expect(placed.body).toMatchObject({ accepted: 1 });

  await login(page, USERS.dispatcher);
  await expect(page.getByTestId('live-map')).toHaveAttribute('data-map-loaded', 'true');
  const AVAILABLE = '#1f9d55';
  const ON_BREAK = '#d97706';
  const OFF_DUTY = '#6b7280';
  await expect.poll(() => markerPixel(page, id).then((p) => sameColor(p, AVAILABLE))).toBe(true);

  // From here on the page must not reload or re-read drivers: the changes come over the feed.
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  const reads: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.startsWith('/api/v1/drivers')) reads.push(r.url());
  });

  const edit = async (status: string) => {
    const current = await call<{ version: number }>(tok, 'GET', `/drivers/${id}`);
    const r = await fetch(`${process.env.FREIGHT_E2E_URL}/api/v1/drivers/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/merge-patch+json', 'if-match': `"${current.body.version}"` },
      body: JSON.stringify({ status }),
    });
    expect(r.status).toBe(200);
  };
  const feedLine = (text: string) => page.getByTestId('event-feed').locator(`li[data-driver="${id}"]`, { hasText: text });

  await edit('on_break');
  await expect.poll(() => markerPixel(page, id).then((p) => sameColor(p, ON_BREAK))).toBe(true);
  await expect(feedLine('on break')).toContainText('E2E Status');
  await expect(feedLine('on break')).toContainText('was available');

  // A shift started (on break → available) and ended (available → off duty).
  expect((await call(tok, 'POST', `/drivers/${id}/sessions`, {})).status).toBe(201);
  await expect.poll(() => markerPixel(page, id).then((p) => sameColor(p, AVAILABLE))).toBe(true);
  expect((await call(tok, 'POST', `/drivers/${id}/sessions/end`, {})).status).toBe(200);
  await expect.poll(() => markerPixel(page, id).then((p) => sameColor(p, OFF_DUTY))).toBe(true);
  await expect(feedLine('off duty')).toContainText('was available');
  await expect(page.getByTestId('legend')).toContainText('off duty');

  expect(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(true);
  expect(reads, 'driver reads after the page loaded').toEqual([]);
  await shot(page, 'live-map-status');
});
