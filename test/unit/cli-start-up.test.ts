import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What a module loads as soon as it is loaded: its static imports (not `import type`, not `import()`). */
function staticImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^import\s+(type\s+)?(?:[\s\S]*?\s+from\s+)?'([^']+)';/gm)].filter((match) => !match[1]).map((match) => match[2]!);
}

/** Every module a start of the CLI loads before a command runs, our own by path and libraries by package name. */
function loadedAtStart(entry: string): { own: Set<string>; packages: Set<string> } {
  const own = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (own.has(file)) return;
    own.add(file);
    for (const specifier of staticImports(file)) {
      if (specifier.startsWith('.')) visit(resolve(dirname(file), specifier));
      else if (!specifier.startsWith('node:')) packages.add(specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'));
    }
  };
  visit(resolve(ROOT, entry));
  return { own, packages };
}

// Every CLI call and every member process starts by reading all command definitions (for --help
// and for parse errors); a command's own dependencies load only when it runs (cli/lazy-action.ts).
describe('starting the strongbox command', () => {
  it('loads commander alone of the libraries before a command runs', () => {
    expect([...loadedAtStart('cli/main.ts').packages]).to.deep.equal(['commander']);
  });

  it('loads no action module before a command runs', () => {
    const actions = [...loadedAtStart('cli/main.ts').own].filter((file) => file.includes('/cli/actions/'));
    expect(actions).to.deep.equal([]);
  });
});
