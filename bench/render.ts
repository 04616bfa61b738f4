// `npm run bench:render`: rewrites docs/benchmarks.md from the saved results, without measuring again
// (after editing the text the renderer produces).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { queriesResultSchema } from './queries.result.js';
import { writeQueriesSection } from './queries.render.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const raw: unknown = JSON.parse(readFileSync(path.join(repoRoot, 'bench/results/queries.json'), 'utf8'));
await writeQueriesSection(repoRoot, queriesResultSchema.parse(raw));
