// `npm run trusted-documents [dir]`: prints the manifest of trusted operations (name and SHA-256 of the
// canonical text) that an allow-listed client may send by hash. Default folder: sdk/operations.
import { loadTrustedDocuments } from '../server/trusted-documents.js';

const trusted = loadTrustedDocuments(process.argv[2] ?? 'sdk/operations');
const manifest = Object.fromEntries(trusted.operations.map((o) => [o.name, o.hash]));
process.stdout.write(`${JSON.stringify(manifest, null, 2)}\n`);
