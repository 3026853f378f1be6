// Login per role: each demo account lands on its role's home page with the right navigation.
import { test, expect, login, USERS, shot } from './helpers';

const CASES = [
  { role: 'dispatcher', email: USERS.dispatcher, home: '/map', nav: ['Live map', 'Shipments', 'Route planner'] },
  { role: 'admin', email: USERS.admin, home: '/map', nav: ['Live map', 'Shipments', 'Route planner'] },
  { role: 'analyst', email: USERS.analyst, home: '/map', nav: ['Live map', 'Shipments'] },
  { role: 'driver', email: USERS.driver, home: '/stops', nav: ['My stops'] },
  { role: 'customer', email: USERS.customer, home: '/shipments', nav: ['Track', 'Shipments'] },
];

for (const c of CASES) {
  test(`${c.role} logs in and lands on ${c.home}`, async ({ page }) => {
    await login(page, c.email);
    await expect(page).toHaveURL(new RegExp(`${c.home}$`));
    await expect(page.getByTestId('role')).toHaveText(c.role);
    await expect(page.locator('.topbar nav a')).toHaveText(c.nav);
    if (c.role === 'driver') await expect(page.getByTestId('driver-loads')).toBeVisible();
    if (c.role === 'customer') await expect(page.getByTestId('shipments-table').locator('tbody tr').first()).toBeVisible();
    await shot(page, `login-${c.role}`);
  });
}

test('a wrong password is refused with a message', async ({ page }) => {
  await page.goto('/login');
  await page.fill('input[name=email]', USERS.dispatcher);
  await page.fill('input[name=password]', 'not-the-password');
  await page.click('button[type=submit]');
  await expect(page.getByRole('alert')).toBeVisible();
  await expect(page).toHaveURL(/\/login/);
});
