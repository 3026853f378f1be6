// Playwright global setup: one real `freight serve --demo` for the whole run (see
// scripts/freight-server.mjs), checked to serve the dashboard at `/`; its URL reaches the
// tests through FREIGHT_E2E_URL, and the returned function stops it. With FREIGHT_E2E_URL
// already set, the tests use that server instead (development only).
// @ts-ignore -- plain ES module shared with the benchmark
import { startFreight } from '../scripts/freight-server.mjs';

export default async function globalSetup() {
  // Development only: point the tests at a server you started (fresh demo, rate limits off).
  if (process.env.FREIGHT_E2E_URL) return;
  const server = await startFreight({ maxSeconds: 420 });
  const page = await fetch(`${server.url}/`).then((r) => r.text());
  if (!page.includes('<div id="app">')) {
    await server.stop();
    throw new Error('the freight binary does not serve web/dist at / (build the web app, and a binary with the dashboard route)');
  }
  process.env.FREIGHT_E2E_URL = server.url;
  return server.stop;
}
