// src/graphql/README.md's rule for where a field resolves, held by a test: the field resolvers of a type sit
// in resolvers/<name>.resolver.ts beside the types/<name>.type.ts that declares it, and mutations sit in
// mutations/ alone.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = 'src/graphql';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

const files = sources(ROOT).map((file) => ({ file, text: readFileSync(file, 'utf8') }));
const declaring = (type: string) =>
  files
    .filter(({ text }) => new RegExp(`^export (abstract )?class ${type}\\b`, 'm').test(text))
    .map(({ file }) => file);

describe('the graphql/ layout', () => {
  it('places the field resolvers of each type beside the file that declares it', () => {
    const misplaced = files.flatMap(({ file, text }) =>
      [...text.matchAll(/@Resolver\(\(\) => (\w+)\)/g)].flatMap(([, type]) => {
        const declared = declaring(type!);
        const expected = declared.map((d) =>
          d.replace('/types/', '/resolvers/').replace(/\.type\.ts$/, '.resolver.ts'),
        );
        // Node is relay/'s interface, resolved there.
        const ok =
          expected.includes(file) ||
          (declared.some((d) => d.includes('/relay/')) && file.includes('/relay/'));
        return ok ? [] : [`${type} resolved in ${file}, declared in ${declared.join(', ') || 'nowhere'}`];
      }),
    );
    expect(misplaced).toEqual([]);
  });

  it('keeps every mutation in mutations/, and field resolvers out of it', () => {
    const wrong = files.flatMap(({ file, text }) => {
      const inMutations = file.includes(`${ROOT}/mutations/`);
      if (inMutations && /@FieldResolver\(/.test(text)) return [`${file} resolves fields`];
      if (!inMutations && /@Mutation\(/.test(text)) return [`${file} declares a mutation`];
      return [];
    });
    expect(wrong).toEqual([]);
  });
});
