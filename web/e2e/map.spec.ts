// The live map draws every demo driver, and a marker moves when a fix is ingested: a new
// driver (which the demo fleet does not move) gets one fix, appears, then a second fix ~1 km
// away, and the rendered circle follows — read back from the drawn tiles, not from our state.
// The second fix lies inside a geofence made for the test, which is drawn on the map, and the
// resulting `enter` event shows in the side feed.
import { test, expect, login, USERS, token, call, shot } from './helpers';

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

  const second = await call(tok, 'POST', '/tracking/positions', [fix(30.2760, -97.7400, 0)]);
  expect(second.body).toMatchObject({ accepted: 1 });
  await expect.poll(() => offBy(-97.74, 30.276)).toBeLessThan(25);
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
