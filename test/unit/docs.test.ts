// The documentation stays true where a machine can check it: the README's configuration table names exactly
// the variables src/config.ts reads, and every relative link in the README and docs/ leads to a file.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENT_VARIABLES } from '../../src/config.js';

const README = 'README.md';
const MARKDOWN = [
  README,
  ...readdirSync('docs')
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The lines of a section, from its `## title` to the next heading of the same level. */
function section(text: string, title: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(`## ${title}`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

describe('the README configuration table', () => {
  const rows = section(readFileSync(README, 'utf8'), 'Configuration').filter((line) =>
    line.startsWith('| `'),
  );
  const documented = rows.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]),
  );

  it('lists every variable src/config.ts reads, and no other', () => {
    expect([...documented].sort()).toEqual([...ENVIRONMENT_VARIABLES].sort());
  });

  it('lists each variable once', () => {
    expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
  });
});

describe('relative links', () => {
  it.each(MARKDOWN)('in %s lead to files in the repository', (file) => {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)]
      .map((m) => m[1]!)
      .filter((target) => !/^[a-z][a-z+.-]*:/i.test(target) && !target.startsWith('#'));
    const broken = targets.filter(
      (target) => !existsSync(path.join(path.dirname(file), target.split('#')[0]!)),
    );
    expect(broken).toEqual([]);
  });
});
