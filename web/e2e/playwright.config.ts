// Browser tests against a real `freight serve --demo` (started by global-setup.ts) in
// Debian's Chromium (/usr/bin/chromium or CHROMIUM_PATH); Playwright never downloads browsers.
// Run: `npm --prefix web run e2e` (FREIGHT_BIN names the binary; default ../target/debug/freight).
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts/,
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  retries: 0,
  timeout: 60_000,
  globalTimeout: 360_000,
  expect: { timeout: 15_000 },
  reporter: [['list']],
  outputDir: '../test-results',
  use: {
    headless: true,
    viewport: { width: 1400, height: 850 },
    actionTimeout: 15_000,
    navigationTimeout: 20_000,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      // WebGL through SwiftShader: the map needs it and CI machines have no GPU.
      args: ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
    },
  },
});
