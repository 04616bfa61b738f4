// `npm run bench:render`: rewrites every bench's section of docs/benchmarks.md from the saved results in
// bench/results/, without measuring again (after editing the text a renderer produces).
import { renderIngest } from './ingest/render.js';
import { readResult, repoRoot } from './lib/docs.js';
import { queriesResultSchema } from './queries/result.js';
import { writeQueriesSection } from './queries/render.js';
import { scaleOutResultSchema } from './scale-out/result.js';
import { writeScaleOutSection } from './scale-out/render.js';
import { soakResultSchema } from './soak/result.js';
import { writeSoakSection } from './soak/render.js';
import { subscriptionsResultSchema } from './subscriptions/result.js';
import { writeSubscriptionsSection } from './subscriptions/render.js';

await writeQueriesSection(repoRoot, readResult('queries', queriesResultSchema));
const subscriptions = readResult('subscriptions', subscriptionsResultSchema);
await writeSubscriptionsSection(repoRoot, subscriptions);
await writeScaleOutSection(repoRoot, readResult('scale-out', scaleOutResultSchema), subscriptions);
await writeSoakSection(repoRoot, readResult('soak', soakResultSchema));
await renderIngest(repoRoot);
