// Token refresh: access tokens are short-lived, and the page must renew them with the refresh
// token instead of logging the user out. This test runs its own `freight serve --demo` whose
// access tokens live 8 s (FREIGHT_ACCESS_TOKEN_TTL_SECS), waits until the server refuses the
// token the login gave the page, then uses the page: every API call succeeds (no 401), the
// user is still logged in, the page holds a new token pair that the server accepts, and the
// old refresh token, being single-use, is refused.
import { test, expect, PASSWORD, USERS, shot } from './helpers';
// @ts-ignore -- plain ES module shared with the benchmark
import { startFreight } from '../scripts/freight-server.mjs';

const TTL_SECONDS = 8;
let server: { url: string; stop: () => Promise<void> } | undefined;

test.beforeAll(async () => {
  server = await startFreight({ maxSeconds: 240, env: { FREIGHT_ACCESS_TOKEN_TTL_SECS: String(TTL_SECONDS) } });
});
test.afterAll(async () => server?.stop());

interface Stored {
  access_token: string;
  refresh_token: string;
}

test('an expired access token is refreshed and the user stays logged in', async ({ page }) => {
  const base = server!.url;
  const unauthorized: string[] = [];
  const refreshes: number[] = [];
  page.on('response', (r) => {
    const path = new URL(r.url()).pathname;
    if (path === '/api/v1/auth/refresh') refreshes.push(r.status());
    else if (path.startsWith('/api/') && r.status() === 401) unauthorized.push(path);
  });
  const me = (access: string) => fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${access}` } }).then((r) => r.status);
  const stored = () => page.evaluate(() => JSON.parse(localStorage.getItem('freight.session') ?? 'null') as Stored | null);

  await page.goto(`${base}/login`);
  await page.fill('input[name=email]', USERS.dispatcher);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page.getByTestId('who')).toContainText(USERS.dispatcher);
  const first = (await stored())!;
  expect(await me(first.access_token)).toBe(200);

  // The server refuses it once its lifetime (and the server's 5 s leeway) has passed.
  await expect.poll(() => me(first.access_token), { timeout: 30_000, intervals: [1_000] }).toBe(401);

  await page.getByRole('link', { name: 'Shipments' }).click();
  await expect(page.getByTestId('shipments-table').locator('tbody tr[data-id]').first()).toBeVisible();
  await expect(page.getByTestId('who')).toContainText(USERS.dispatcher);
  await expect(page).toHaveURL(/\/shipments$/);

  expect(refreshes.length).toBeGreaterThanOrEqual(1);
  expect(refreshes.every((s) => s === 200)).toBe(true);
  expect(unauthorized).toEqual([]);
  const now = (await stored())!;
  expect(now.access_token).not.toBe(first.access_token);
  expect(now.refresh_token).not.toBe(first.refresh_token);
  expect(await me(now.access_token)).toBe(200);
  const reused = await fetch(`${base}/api/v1/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: first.refresh_token }),
  });
  expect(reused.status).toBe(401);
  await shot(page, 'session-refreshed');
});
