// First the system programs the suites need (preflight.js). Then the build: tests that run the gateway as a
// process (`node dist/main.js`) need it, so `npm run build` runs once before the suites when anything under
// src/ (or web/) is newer than the build.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { preflight } from './preflight.js';

const newest = (dir) => {
  if (!existsSync(dir)) return 0;
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : statSync(full).mtimeMs);
  }
  return latest;
};

export default function globalSetup() {
  preflight();
  const built = existsSync('dist/main.js') ? statSync('dist/main.js').mtimeMs : 0;
  const sources = Math.max(newest('src'), newest('web'), statSync('package.json').mtimeMs);
  if (sources <= built) return;
  try {
    execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit' });
  } catch {
    // Type errors fail `npm run typecheck` on their own; only the process-level tests need the build.
    process.stderr.write('\nnpm run build failed: tests that start dist/main.js will fail.\n');
  }
}
