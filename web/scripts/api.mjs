// Refreshes the API contract: writes web/openapi.json exactly as `freight openapi` prints it
// (CI compares the two), then regenerates src/api/schema.d.ts with openapi-typescript.
// FREIGHT_BIN names the binary (default ../target/debug/freight); with FREIGHT_URL set, the
// document is read from a running server's /api/v1/openapi.json instead.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const out = fileURLToPath(new URL('../openapi.json', import.meta.url));
let doc;
if (process.env.FREIGHT_URL) {
  doc = await fetch(`${process.env.FREIGHT_URL}/api/v1/openapi.json`).then((r) => r.text());
} else {
  const bin = process.env.FREIGHT_BIN ?? fileURLToPath(new URL('../../target/debug/freight', import.meta.url));
  doc = execFileSync(bin, ['openapi'], { encoding: 'utf8', maxBuffer: 64 << 20 });
}
JSON.parse(doc); // fail loudly on anything that is not JSON
writeFileSync(out, doc);
execFileSync('npx', ['openapi-typescript', 'openapi.json', '-o', 'src/api/schema.d.ts'], {
  cwd: fileURLToPath(new URL('..', import.meta.url)),
  stdio: 'inherit',
});
