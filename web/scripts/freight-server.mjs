// Starts a real `freight serve --demo` on a free loopback port in a fresh temporary directory
// (its own SQLite file), waits for /api/health, and returns { url, dir, bin, stop }. Shared by
// the browser tests' global setup and the map benchmark. Rate limits are off: the tests log
// in many times from one IP, which the auth tier forbids. The server runs under coreutils
// `timeout`, so it stops by itself even if whoever started it dies.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, openSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export async function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * @param {{ maxSeconds: number, env?: Record<string, string>, args?: string[] }} opts
 */
export async function startFreight(opts) {
  const bin = resolve(process.env.FREIGHT_BIN ?? fileURLToPath(new URL('../../target/debug/freight', import.meta.url)));
  if (!existsSync(bin)) throw new Error(`freight binary not found at ${bin} (set FREIGHT_BIN or run cargo build)`);
  const dir = mkdtempSync(join(tmpdir(), 'freight-web-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log = openSync(join(dir, 'server.log'), 'a');
  const child = spawn(
    'timeout',
    ['-s', 'TERM', String(opts.maxSeconds), bin, 'serve', '--demo', '--addr', `127.0.0.1:${port}`, '--osmand-addr', 'off', ...(opts.args ?? [])],
    {
      cwd: dir,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        DATABASE_URL: `sqlite://${join(dir, 'freight.db')}`,
        FREIGHT_RATE_LIMITS: 'off',
        FREIGHT_JWT_SECRET: 'e2e-only-secret-e2e-only-secret-0123456789',
        ...opts.env,
      },
    },
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`freight exited early (code ${child.exitCode}); see ${dir}/server.log`);
    try {
      const r = await fetch(`${url}/api/health`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`freight did not become healthy within 60 s; see ${dir}/server.log`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => {
        const t = setTimeout(() => (child.kill('SIGKILL'), r(null)), 5_000);
        child.once('exit', () => (clearTimeout(t), r(null)));
      });
    }
    if (!process.env.FREIGHT_KEEP_TMP) rmSync(dir, { recursive: true, force: true });
  };
  return { url, dir, bin, stop };
}
