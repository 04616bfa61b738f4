// `npm run schema`: writes schema/schema.graphql from the code (the committed public contract).
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildGatewaySchema, printGatewaySchema } from '../graphql/schema.js';

const target = path.resolve(process.argv[2] ?? 'schema/schema.graphql');
const sdl = printGatewaySchema(await buildGatewaySchema());
await mkdir(path.dirname(target), { recursive: true });
await writeFile(target, sdl);
process.stdout.write(`wrote ${path.relative(process.cwd(), target)}\n`);
