// The live dashboard at `/` and GraphiQL at `/graphql` (for browsers): the static pages web/ builds into
// dist/web (`npm run build`), served from memory, and `/dashboard.json`, which tells the dashboard whether the
// embedded emulator runs (then it offers buttons that run billwerk flows). Both pages call /graphql like any
// client, with the key they were given.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type FastifyInstance, type FastifyRequest } from 'fastify';

export interface DashboardOptions {
  /** Whether the gateway runs against the embedded emulator: the page then offers flow buttons. */
  emulator: boolean;
  /** The built page (index.html and assets/). @default dist/web of this package */
  assetsDir?: string;
}

/** What `/dashboard.json` answers. */
export interface DashboardInfo {
  emulator: boolean;
}

/** src/server and dist/server both sit two levels below the package root. */
export const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.ttf': 'font/ttf',
  '.woff2': 'font/woff2',
};

/**
 * A browser opening /graphql (HTML preferred, no GraphQL query in the URL) gets GraphiQL; GraphQL clients,
 * GET queries included, reach Apollo as before.
 */
function wantsIde(request: FastifyRequest): boolean {
  if (request.method !== 'GET') return false;
  const [pathname, search = ''] = request.url.split('?', 2);
  if (pathname !== '/graphql' || new URLSearchParams(search).has('query')) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

interface Asset {
  body: Buffer;
  type: string;
}

/** Every file of the build, read once: a fixed set of names, so no request path ever reaches the disk. */
function readAssets(dir: string, prefix = ''): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const name = `${prefix}/${entry.name}`;
    if (entry.isDirectory()) {
      for (const [child, asset] of readAssets(full, name)) assets.set(child, asset);
      continue;
    }
    const type = CONTENT_TYPES[path.extname(entry.name)];
    if (type) assets.set(name, { body: readFileSync(full), type });
  }
  return assets;
}

const NOT_BUILT = 'The browser pages are not built: run `npm run build` (npm start does).\n';

export function registerDashboard(app: FastifyInstance, options: DashboardOptions): void {
  const dir = options.assetsDir ?? DEFAULT_ASSETS_DIR;
  const assets = existsSync(path.join(dir, 'index.html')) ? readAssets(dir) : new Map<string, Asset>();
  const info: DashboardInfo = { emulator: options.emulator };

  app.get('/dashboard.json', async (_request, reply) => reply.header('cache-control', 'no-store').send(info));
  app.get('/', async (_request, reply) => {
    const page = assets.get('/index.html');
    if (!page) {
      return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    }
    return reply.type(page.type).header('cache-control', 'no-cache').send(page.body);
  });
  // Before Apollo's route: the same path answers GraphQL requests.
  app.addHook('onRequest', async (request, reply) => {
    if (!wantsIde(request)) return;
    const page = assets.get('/graphiql.html');
    if (!page) return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.type(page.type).header('cache-control', 'no-cache').send(page.body);
  });
  for (const [name, asset] of assets) {
    if (name === '/index.html' || name === '/graphiql.html') continue;
    // Vite names bundles by content hash, so they may be cached for good.
    const cache = name.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    app.get(name, async (_request, reply) =>
      reply.type(asset.type).header('cache-control', cache).send(asset.body),
    );
  }
}
