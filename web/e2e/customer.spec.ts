// Tenancy inside an organization: a customer sees only its own shipments on the board, and
// another customer's shipment stays invisible by search and by direct URL (the API answers 404).
import { test, expect, login, USERS, token, call, shot } from './helpers';

test("a customer cannot see another customer's shipment", async ({ page }) => {
  const customerTok = await token(USERS.customer);
  const me = await call<{ customer_id: number }>(customerTok, 'GET', '/auth/me');
  const staff = await token(USERS.dispatcher);
  const all = await call<{ data: { id: number; reference: string; customer_id: number }[] }>(staff, 'GET', '/shipments?limit=200');
  const foreign = all.body.data.find((s) => s.customer_id !== me.body.customer_id)!;
  expect(foreign).toBeTruthy();

  await login(page, USERS.customer);
  await expect(page).toHaveURL(/\/shipments$/);
  const rows = page.getByTestId('shipments-table').locator('tbody tr[data-id]');
  await expect(rows.first()).toBeVisible();
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))));
  for (const id of ids) {
    const s = await call<{ customer_id: number }>(staff, 'GET', `/shipments/${id}`);
    expect(s.body.customer_id).toBe(me.body.customer_id);
  }
  expect(ids).not.toContain(foreign.id);

  // Search by the other customer's reference: nothing.
  await page.fill('input[name=q]', foreign.reference);
  await page.press('input[name=q]', 'Enter');
  await expect(page).toHaveURL(new RegExp(`q=${foreign.reference}`));
  await expect(page.getByTestId('shipments-table')).toContainText('No shipments match');

  // Direct URL: not found, and nothing of it is shown.
  await page.goto(`/shipments/${foreign.id}`);
  await expect(page.getByTestId('not-found')).toBeVisible();
  await expect(page.locator('body')).not.toContainText(foreign.reference);
  await shot(page, 'customer-foreign-shipment');

  // Its own shipment opens.
  await page.goto(`/shipments/${ids[0]}`);
  await expect(page.getByTestId('shipment-detail')).toBeVisible();
  await shot(page, 'customer-own-shipment');

});

test('a customer tracks exactly the drivers carrying its loads', async ({ page }) => {
  // customer2 has loads under way in the demo data (customer1 has none).
  const tok = await token(USERS.customer2);
  const staff = await token(USERS.dispatcher);
  const mine = await call<{ data: { driver?: { id: number } | null }[] }>(tok, 'GET', '/shipments?status=picked_up,in_transit,assigned&limit=200');
  const carriers = new Set(mine.body.data.flatMap((s) => (s.driver ? [s.driver.id] : [])));
  const visible = await call<{ driver_id: number }[]>(tok, 'GET', '/tracking/latest');
  const everyone = await call<unknown[]>(staff, 'GET', '/tracking/latest');
  expect(visible.body.length).toBeGreaterThan(0);
  expect(visible.body.length).toBeLessThan(everyone.body.length);
  expect(visible.body.every((p) => carriers.has(p.driver_id))).toBe(true);

  await login(page, USERS.customer2);
  await page.getByRole('link', { name: 'Track' }).click();
  const map = page.getByTestId('live-map');
  await expect(map).toHaveAttribute('data-map-loaded', 'true');
  await expect.poll(async () => Number((await map.getAttribute('data-drivers')) ?? 0)).toBe(visible.body.length);
  await expect.poll(() => page.evaluate(() => window.__freightMap?.renderedCount() ?? 0)).toBe(visible.body.length);
  await shot(page, 'customer-tracking-map');
});
