// Shared pieces of the browser tests: the server URL from global setup, logging in through
// the login form, calling the API directly (to arrange data or check what the UI shows),
// reading a map marker's colour off the screen, and saving screenshots under e2e/screenshots/.
import { test as base, expect, type Page } from '@playwright/test';
import { fileURLToPath } from 'node:url';

export const PASSWORD = 'freight-demo';
export const USERS = {
  admin: 'admin@infamousfreight.demo',
  dispatcher: 'dispatch@infamousfreight.demo',
  analyst: 'analyst@infamousfreight.demo',
  driver: 'driver1@infamousfreight.demo',
  customer: 'customer1@infamousfreight.demo',
  customer2: 'customer2@infamousfreight.demo',
} as const;

export const test = base.extend<{ server: string }>({
  server: async ({}, use) => {
    const url = process.env.FREIGHT_E2E_URL;
    if (!url) throw new Error('FREIGHT_E2E_URL is not set: global setup did not run');
    await use(url);
  },
  baseURL: async ({}, use) => use(process.env.FREIGHT_E2E_URL),
});
export { expect };

export async function login(page: Page, email: string) {
  await page.goto('/login');
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await expect(page.getByTestId('who')).toContainText(email);
}

export async function token(email: string): Promise<string> {
  const r = await fetch(`${process.env.FREIGHT_E2E_URL}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (!r.ok) throw new Error(`login ${email}: ${r.status}`);
  return ((await r.json()) as { access_token: string }).access_token;
}

export async function call<T = any>(tok: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const r = await fetch(`${process.env.FREIGHT_E2E_URL}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${tok}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: fileURLToPath(new URL(`./screenshots/${name}.png`, import.meta.url)) });
}

/** The on-screen colour (r, g, b) at the centre of a driver's drawn circle: a 1-pixel
 *  screenshot, decoded by the browser. Null while the driver is not drawn. */
export async function markerPixel(page: Page, driverId: number): Promise<[number, number, number] | null> {
  const at = await page.evaluate((i) => {
    const m = window.__freightMap;
    const ll = m?.renderedCoords(i);
    if (!m || !ll) return null;
    const p = m.map.project(ll);
    const box = m.map.getContainer().getBoundingClientRect();
    return { x: Math.floor(box.left + p.x), y: Math.floor(box.top + p.y) };
  }, driverId);
  if (!at) return null;
  const png = await page.screenshot({ clip: { x: at.x, y: at.y, width: 1, height: 1 } });
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const [r, gr, b] = g.getImageData(0, 0, 1, 1).data;
    return [r, gr, b] as [number, number, number];
  }, png.toString('base64'));
}

/** Whether a pixel is `hex` (#rrggbb), within a few levels per channel. */
export function sameColor(pixel: [number, number, number] | null, hex: string): boolean {
  if (!pixel) return false;
  const want = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return pixel.every((v, i) => Math.abs(v - want[i]) <= 12);
}
