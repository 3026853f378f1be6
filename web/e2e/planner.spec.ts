// Route planning end to end: pick booked shipments and two drivers, optimize, see two routes
// with numbered stops and the savings, accept, and find the loads assigned on the board.
// The loads are made for the test so that one driver cannot serve them all: two in the north
// (Round Rock → Georgetown) and two in the south (Buda → Kyle), with the same tight windows.
// A search time above the server's direct-answer limit (5 s; `planning::service::SYNC_SECONDS`)
// sends the same kind of problem to the background: the API answers 202 with the plan's URL,
// the page shows it running and polls that URL until the proposal is there.
import { test, expect, login, USERS, token, call, shot } from './helpers';

const at = (minutes: number) => new Date(Math.ceil(Date.now() / 60_000) * 60_000 + minutes * 60_000).toISOString();
const stop = (address: string, lat: number, lon: number, from: number, to: number) => ({
  address,
  lat,
  lon,
  window: { start: at(from), end: at(to) },
  service_minutes: 10,
});

async function bookTestLoads(tok: string): Promise<number[]> {
  const customers = await call<{ data: { id: number }[] }>(tok, 'GET', '/customers?limit=1');
  const customer_id = customers.body.data[0].id;
  const loads = [
    [stop('2 Round Rock Ave, Round Rock, TX', 30.5083, -97.6789, 60, 90), stop('1 Main St, Georgetown, TX', 30.6333, -97.678, 90, 180)],
    [stop('3 Round Rock Ave, Round Rock, TX', 30.5102, -97.6822, 60, 90), stop('9 Main St, Georgetown, TX', 30.6402, -97.6771, 90, 180)],
    [stop('1 Main St, Buda, TX', 30.0852, -97.8403, 60, 90), stop('1 Center St, Kyle, TX', 29.9891, -97.8772, 90, 180)],
    [stop('7 Main St, Buda, TX', 30.0811, -97.8431, 60, 90), stop('5 Center St, Kyle, TX', 29.9921, -97.8741, 90, 180)],
  ];
  const ids: number[] = [];
  for (const [i, [pickup, delivery]] of loads.entries()) {
    const r = await call<{ id: number }>(tok, 'POST', '/shipments', {
      customer_id,
      reference: `E2E-PLAN-${Date.now()}-${i}`,
      weight_kg: 200,
      volume_m3: 1,
      pallets: 1,
      status: 'booked',
      pickup,
      delivery,
    });
    expect(r.status).toBe(201);
    ids.push(r.body.id);
  }
  return ids;
}

test('optimize two routes and accept them; the board shows them assigned', async ({ page }) => {
  const ids = await bookTestLoads(await token(USERS.dispatcher));
  await login(page, USERS.dispatcher);
  await page.getByRole('link', { name: 'Route planner' }).click();
  const shipments = page.getByTestId('plan-shipments');
  for (const id of ids) await shipments.locator(`input[data-id="${id}"]`).check();
  const drivers = page.getByTestId('plan-drivers').locator('input[type=checkbox]');
  await drivers.nth(0).check();
  await drivers.nth(1).check();
  await page.getByTestId('optimize').click();

  const result = page.getByTestId('plan-result');
  await expect(result).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
  const routes = result.getByTestId('route');
  await expect(routes).toHaveCount(2);
  await expect(result.getByTestId('savings')).toContainText('saves');
  const stops = await page.getByTestId('plan-map').getAttribute('data-stops');
  expect(Number(stops)).toBeGreaterThanOrEqual(4);
  await expect(page.locator('.stop-num')).toHaveCount(Number(stops));
  await shot(page, 'route-plan');

  // Shipments in the proposal, by driver, from the route lists.
  const planned = await routes.evaluateAll((divs) =>
    divs.map((d) => ({
      driver: Number(d.getAttribute('data-driver')),
      ids: [...new Set([...d.querySelectorAll('li a')].map((a) => Number(a.getAttribute('href')!.split('/').pop())))],
    })),
  );
  expect(planned.every((r) => r.ids.length >= 1)).toBe(true);
  expect(planned.flatMap((r) => r.ids).sort()).toEqual([...ids].sort());

  await page.getByTestId('accept').click();
  await expect(page.getByTestId('accepted')).toBeVisible();
  await shot(page, 'route-plan-accepted');

  // The API agrees, and the board (filtered by each route's driver) shows its loads assigned.
  const tok = await token(USERS.dispatcher);
  for (const r of planned) {
    for (const id of r.ids) {
      const s = await call<{ status: string; driver: { id: number } | null }>(tok, 'GET', `/shipments/${id}`);
      expect(s.body.status).toBe('assigned');
      expect(s.body.driver?.id).toBe(r.driver);
    }
  }
  for (const r of planned) {
    await page.goto(`/shipments?status=assigned&driver_id=${r.driver}`);
    const table = page.getByTestId('shipments-table');
    for (const id of r.ids) {
      const row = table.locator(`tr[data-id="${id}"]`);
      await expect(row).toHaveAttribute('data-status', 'assigned');
      await expect(row.locator('td.driver')).not.toHaveText('—');
    }
  }
  await shot(page, 'board-after-plan');

  // Each route's driver logs in and sees the stops in the planned order.
  for (const r of planned) {
    const d = await call<{ email: string }>(tok, 'GET', `/drivers/${r.driver}`);
    await page.getByTestId('logout').click();
    await expect(page).toHaveURL(/\/login/);
    await login(page, d.body.email);
    await expect(page).toHaveURL(/\/stops$/);
    const list = page.getByTestId('stop-list');
    await expect(list.locator('li').first()).toBeVisible();
    const refs = await Promise.all(r.ids.map(async (id) => (await call<{ reference: string }>(tok, 'GET', `/shipments/${id}`)).body.reference));
    // The references show once the driver's loads have loaded (the list draws first).
    for (const ref of refs) await expect(list).toContainText(ref);
  }
  await shot(page, 'driver-stops');
});

test('a long optimization answers 202 and the page polls the plan until it is done', async ({ page }) => {
  const ids = await bookTestLoads(await token(USERS.dispatcher));
  await login(page, USERS.dispatcher);
  await page.getByRole('link', { name: 'Route planner' }).click();
  const shipments = page.getByTestId('plan-shipments');
  for (const id of ids) await shipments.locator(`input[data-id="${id}"]`).check();
  const drivers = page.getByTestId('plan-drivers').locator('input[type=checkbox]');
  await drivers.nth(0).check();
  await drivers.nth(1).check();
  await page.getByLabel('Search time (s)').fill('6');

  const polls: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'GET' && new URL(r.url()).pathname.startsWith('/api/v1/routes/plans/')) polls.push(new URL(r.url()).pathname);
  });
  const optimized = page.waitForResponse((r) => r.url().endsWith('/api/v1/routes/optimize'));
  await page.getByTestId('optimize').click();
  const reply = await optimized;
  expect(reply.status()).toBe(202);
  const accepted = (await reply.json()) as { status: string; result_url: string; result: unknown };
  expect(accepted.status).toBe('running');
  expect(accepted.result).toBeNull();

  const running = page.getByTestId('plan-status');
  await expect(running).toHaveAttribute('data-status', 'running');
  await expect(running).toContainText('in the background');
  await shot(page, 'route-plan-running');

  const result = page.getByTestId('plan-result');
  await expect(result).toHaveAttribute('data-status', 'completed', { timeout: 30_000 });
  await expect(result.getByTestId('route')).toHaveCount(2);
  await expect(result.getByTestId('savings')).toContainText('saves');
  await expect(page.getByTestId('accept')).toBeEnabled();
  // Several polls of the URL the 202 named, the last one finding the plan completed.
  expect(polls.length).toBeGreaterThanOrEqual(2);
  expect(new Set(polls)).toEqual(new Set([accepted.result_url]));
});
