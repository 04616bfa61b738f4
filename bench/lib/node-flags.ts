// The node flags `npm start` runs the gateway with (package.json's start script), so that each benchmark's
// gateway process runs as users run it. The baselines keep node's defaults: they stand for a server
// written by hand, which would not have them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { repoRoot } from './docs.js';

const packageSchema = z.object({ scripts: z.object({ start: z.string() }) });

/** The `--…` options between `node` and the entry file in `npm start`, e.g. `['--initial-old-space-size=192']`. */
export function gatewayNodeFlags(): string[] {
  const pkg = packageSchema.parse(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')));
  const command = /\bnode((?:\s+--\S+)*)\s+dist\/main\.js/.exec(pkg.scripts.start);
  if (!command) throw new Error(`npm start does not run node dist/main.js: ${pkg.scripts.start}`);
  return command[1]!.split(/\s+/).filter(Boolean);
}
