// What `npm test` needs from the system besides Node: checked before any suite runs, so a missing program is
// named with the line that installs it instead of surfacing as `spawn … ENOENT` halfway through the run.
// .ci/run installs the same Debian packages.
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import process from 'node:process';

/** Each requirement: the Debian package that provides it, and where the suites look for it. */
export const REQUIREMENTS = [
  // Multi-instance and Redis suites start their own servers (test/helpers/redis-server.ts).
  {
    name: 'redis-server',
    package: 'redis-server',
    file: process.env.REDIS_SERVER ?? '/usr/bin/redis-server',
  },
  // The dashboard is driven headless through playwright-core (test/integration/dashboard.test.ts).
  { name: 'Chromium', package: 'chromium', file: '/usr/bin/chromium' },
  {
    name: 'the DejaVu fonts Chromium renders with',
    package: 'fonts-dejavu-core',
    file: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  },
  // The README's runnable blocks are run with the tools they name (test/integration/readme.test.ts).
  { name: 'curl', package: 'curl', program: 'curl' },
  { name: 'bash', package: 'bash', program: 'bash' },
];

const usable = (file, mode) => {
  try {
    accessSync(file, mode);
    return true;
  } catch {
    return false;
  }
};

const onPath = (program) =>
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir && usable(path.join(dir, program), constants.X_OK));

/** The requirements this machine lacks. */
export function missingRequirements() {
  return REQUIREMENTS.filter((r) => (r.program ? !onPath(r.program) : !usable(r.file, constants.R_OK)));
}

/** Throws, naming what is missing and the apt-get line that installs it, when anything is. */
export function preflight() {
  const missing = missingRequirements();
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((r) => r.package))].join(' ');
  throw new Error(
    [
      'npm test needs programs this machine lacks:',
      ...missing.map((r) => `  - ${r.name} (${r.program ?? r.file})`),
      `Install them (Debian/Ubuntu): sudo apt-get install -y --no-install-recommends ${packages}`,
      'or point REDIS_SERVER at a redis-server binary elsewhere.',
    ].join('\n'),
  );
}
