// Create a shipment through the form: the API's validation errors appear beside the fields
// they name; corrected, it is created and its page opens. Then an edit goes through with the
// ETag (If-Match) and shows on the detail page; a driver and vehicle are assigned from the
// detail page; finally the shipment is cancelled.
import { test, expect, login, USERS, shot, token, call } from './helpers';

test('create a shipment: a validation error is shown beside its field, then it is created', async ({ page }) => {
  await login(page, USERS.dispatcher);
  await page.getByRole('link', { name: 'Shipments' }).click();
  await page.getByTestId('new-shipment').click();
  const form = page.getByTestId('shipment-form');
  await expect(form.locator('select[name=customer_id] option')).not.toHaveCount(1);
  await form.locator('select[name=customer_id]').selectOption({ index: 1 });
  await form.locator('input[name=reference]').fill(`E2E-${Date.now()}`);
  await form.locator('input[name=weight_kg]').fill('60000');
  await form.locator('input[name="pickup.address"]').fill('1100 Congress Ave, Austin, TX 78701');
  await form.locator('input[name="pickup.lat"]').fill('30.2747');
  await form.locator('input[name="pickup.lon"]').fill('-97.7404');
  await form.locator('input[name="delivery.address"]').fill('');
  await form.locator('input[name="delivery.lat"]').fill('30.3265');
  await form.locator('input[name="delivery.lon"]').fill('-97.7129');
  await page.getByTestId('save').click();

  const weightLabel = form.locator('label', { has: page.locator('input[name=weight_kg]') });
  await expect(weightLabel.locator('.field-error')).toContainText('exceeds the maximum');
  const addressLabel = form.locator('label', { has: page.locator('input[name="delivery.address"]') });
  await expect(addressLabel.locator('.field-error')).toContainText('must not be empty');
  await expect(page).toHaveURL(/\/shipments\/new$/);
  await shot(page, 'shipment-form-errors');

  await form.locator('input[name=weight_kg]').fill('800');
  await form.locator('input[name="delivery.address"]').fill('6101 Airport Blvd, Austin, TX 78752');
  await page.getByTestId('save').click();
  await expect(page).toHaveURL(/\/shipments\/\d+$/);
  await expect(page.getByTestId('shipment-detail')).toContainText('800 kg');
  await expect(form.locator('.field-error')).toHaveCount(0);

  // Edit (sends If-Match with the ETag) and see the change.
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(form.locator('input[name=weight_kg]')).toHaveValue('800');
  await form.locator('input[name=weight_kg]').fill('950');
  await form.locator('textarea[name=notes]').fill('Edited by the browser test');
  await page.getByTestId('save').click();
  await expect(page.getByTestId('shipment-detail')).toContainText('950 kg');
  await expect(page.getByTestId('shipment-detail')).toContainText('Edited by the browser test');

  // Assign a driver and a vehicle big enough for the load.
  const assign = page.getByTestId('assign-form');
  await expect(assign.locator('select[name=driver_id] option')).not.toHaveCount(1);
  await expect(assign.locator('select[name=vehicle_id] option')).not.toHaveCount(1);
  const driverName = (await assign.locator('select[name=driver_id] option').nth(1).innerText()).split(' (')[0];
  await assign.locator('select[name=driver_id]').selectOption({ index: 1 });
  const vehicle = await assign.locator('select[name=vehicle_id] option').evaluateAll((opts) =>
    opts.map((o) => ({ value: (o as HTMLOptionElement).value, kg: Number(/(\d+) kg/.exec(o.textContent ?? '')?.[1] ?? 0) })).find((o) => o.kg >= 1000)?.value,
  );
  expect(vehicle).toBeTruthy();
  await assign.locator('select[name=vehicle_id]').selectOption(vehicle!);
  await assign.getByRole('button', { name: 'Assign' }).click();
  await expect(page.getByTestId('status')).toHaveText('assigned');
  await expect(page.getByTestId('driver')).toContainText(driverName);
  await shot(page, 'shipment-detail');

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Cancel shipment' }).click();
  await expect(page.getByTestId('status')).toHaveText('cancelled');
  await expect(page.getByTestId('history')).toContainText('cancelled from the dashboard');
});

test('the board filters by status and text and pages with the cursor', async ({ page }) => {
  await login(page, USERS.dispatcher);
  await page.goto('/shipments');
  const rows = page.getByTestId('shipments-table').locator('tbody tr[data-id]');
  await expect(rows).toHaveCount(25);
  const first = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  await page.getByTestId('next-page').click();
  await expect(page.getByText('Page 2')).toBeVisible();
  await expect.poll(async () => (await rows.first().getAttribute('data-id')) ?? '').not.toBe(first[0]);
  const second = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  expect(second.filter((id) => first.includes(id))).toEqual([]);

  await page.locator('select[name=status]').selectOption('in_transit');
  await expect(page).toHaveURL(/status=in_transit/);
  await expect(page.getByText('Page 1')).toBeVisible();
  await expect(rows.first()).toBeVisible();
  await expect.poll(() => rows.evaluateAll((trs) => trs.every((tr) => tr.getAttribute('data-status') === 'in_transit'))).toBe(true);

  // Text search (with the status filter still on) shows exactly what the API finds.
  const tok = await token(USERS.dispatcher);
  const found = await call<{ data: { id: number }[] }>(tok, 'GET', '/shipments?q=fragile&status=in_transit&limit=25');
  expect(found.body.data.length).toBeGreaterThan(0);
  await page.fill('input[name=q]', 'fragile');
  await page.press('input[name=q]', 'Enter');
  await expect(page).toHaveURL(/q=fragile/);
  await expect
    .poll(() => rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-id')))))
    .toEqual(found.body.data.map((s) => s.id));
  await shot(page, 'board-filtered');
});
