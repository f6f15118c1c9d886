import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import sourceFiles from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BundleBuildError, freshBundle } from '../../bin/cli-bundle.js';

describe('the bundle the strongbox command runs from', function () {
  this.timeout(30_000);
  const root = mkdtempSync(join(tmpdir(), 'strongbox-bundle-'));
  const entry = join(root, 'entry.ts');
  const lazy = join(root, 'lazy.ts');
  const cacheDir = join(root, 'cache');
  const bundle = () => freshBundle({ root, entry, cacheDir });
  /** The manifest beside a bundle's entry file. */
  const manifestOf = (url: string) => join(dirname(fileURLToPath(url)), 'manifest.json');
  /** A new module of each bundle: ESM caches a module by its URL, so the query tells two loads apart. */
  let loads = 0;
  const load = async (url: string) => (await import(`${url}?load=${loads++}`)) as { seen: () => Promise<number>; url: string };

  before(() => {
    writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext' } }));
    writeFileSync(entry, "export const url: string = import.meta.url;\nexport async function seen(): Promise<number> {\n  return (await import('./lazy.ts')).value;\n}\n");
    writeFileSync(lazy, 'export const value: number = 1;\n');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('builds once and serves the same files while no source changes', async () => {
    const first = await bundle();
    const manifest = statSync(manifestOf(first!)).mtimeMs;
    expect(await bundle()).to.equal(first);
    expect(statSync(manifestOf(first!)).mtimeMs).to.equal(manifest);
    expect(await (await load(first!)).seen()).to.equal(1);
  });

  it('gives each module the import.meta.url of its source file', async () => {
    expect((await load((await bundle())!)).url).to.equal(pathToFileURL(entry).href);
  });

  it('builds again once a source changes, a module loaded lazily included, and runs the changed code', async () => {
    const before = await bundle();
    writeFileSync(lazy, 'export const value: number = 22;\n');
    const after = await bundle();
    expect(after).to.not.equal(before);
    expect(await (await load(after!)).seen()).to.equal(22);
  });

  it('builds again at its next run when a source is edited while the build reads the sources', async () => {
    // The edit lands right after the build has read the source: the bundle holds the text before it.
    const readSource = sourceFiles.readFile;
    sourceFiles.readFile = (async (...args: Parameters<typeof readSource>) => {
      const text = await readSource(...args);
      if (args[0] === lazy) writeFileSync(lazy, 'export const value: number = 4444;\n');
      return text;
    }) as typeof readSource;
    syncBuiltinESMExports();
    writeFileSync(lazy, 'export const value: number = 333;\n');
    let during: string | null;
    try {
      during = await bundle();
    } finally {
      sourceFiles.readFile = readSource;
      syncBuiltinESMExports();
    }
    expect(await (await load(during!)).seen()).to.equal(333);
    expect(await (await load((await bundle())!)).seen()).to.equal(4444);
    writeFileSync(lazy, 'export const value: number = 22;\n');
  });

  it('refuses a source esbuild cannot parse, naming its file and line, and keeps the last bundle', async () => {
    const last = await bundle();
    const manifest = readFileSync(manifestOf(last!), 'utf8');
    writeFileSync(lazy, 'export const value: number = ;\n');
    const failure = await bundle().then(
      () => null,
      (error: unknown) => error,
    );
    expect(failure).to.be.instanceOf(BundleBuildError);
    expect((failure as Error).message).to.match(/^cannot build entry\.ts: lazy\.ts:1:\d+: /);
    expect(readFileSync(manifestOf(last!), 'utf8')).to.equal(manifest);
    writeFileSync(lazy, 'export const value: number = 22;\n');
    expect(await bundle()).to.equal(last);
  });

  it('maps a stack to the lines of the sources, also once only a comment has moved them', async () => {
    const source = join(root, 'failing.ts');
    const failingLine = async () => {
      const failing = await freshBundle({ root, entry: source, cacheDir });
      const run = spawnSync(process.execPath, ['--enable-source-maps', '--input-type=module', '-e', `(await import(${JSON.stringify(failing)})).fail()`], { encoding: 'utf8' });
      return new RegExp(`${source.replaceAll('.', '\\.')}:(\\d+):`).exec(run.stderr)?.[1];
    };
    const failing = "export function fail(): never {\n  throw new Error('failed here');\n}\n";
    writeFileSync(source, `type Unused = number;\n${failing}`);
    expect(await failingLine()).to.equal('3');
    writeFileSync(source, `// moved\ntype Unused = number;\n${failing}`);
    expect(await failingLine()).to.equal('4');
  });

  it('keeps apart the bundles of two trees of the same sources that share a cache folder', async () => {
    const other = mkdtempSync(join(tmpdir(), 'strongbox-bundle-'));
    try {
      writeFileSync(join(other, 'tsconfig.json'), readFileSync(join(root, 'tsconfig.json')));
      writeFileSync(join(other, 'entry.ts'), readFileSync(entry));
      writeFileSync(join(other, 'lazy.ts'), 'export const value: number = 333;\n');
      const otherBundle = await freshBundle({ root: other, entry: join(other, 'entry.ts'), cacheDir });
      expect(await (await load(otherBundle!)).seen()).to.equal(333);
      expect(await (await load((await bundle())!)).seen()).to.equal(22);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('removes, at its next build, the outputs no build names that were written over a day before', async () => {
    const folder = dirname(fileURLToPath((await bundle())!));
    const dayAndMinuteAgo = new Date(Date.now() - 24 * 60 * 60 * 1000 - 60_000);
    const stale = join(folder, 'chunk-STALE.js');
    const recent = join(folder, 'chunk-RECENT.js');
    writeFileSync(stale, '');
    writeFileSync(recent, '');
    utimesSync(stale, dayAndMinuteAgo, dayAndMinuteAgo);
    writeFileSync(lazy, 'export const value: number = 23;\n');
    const current = await bundle();
    expect(existsSync(stale)).to.equal(false);
    expect(existsSync(recent)).to.equal(true);
    expect(await (await load(current!)).seen()).to.equal(23);
  });

  it('answers null, building nothing, where the bundle cannot be written', async () => {
    const notAFolder = join(root, 'file');
    writeFileSync(notAFolder, '');
    expect(await freshBundle({ root, entry, cacheDir: join(notAFolder, 'cache') })).to.equal(null);
  });
});

describe('bin/strongbox.js', function () {
  this.timeout(30_000);
  const repo = fileURLToPath(new URL('../..', import.meta.url));
  // A tree of its own beside the repository's: the entry point as shipped, sources written here.
  const tree = mkdtempSync(join(tmpdir(), 'strongbox-bin-'));
  const run = () => spawnSync(process.execPath, [join(tree, 'bin', 'strongbox.js')], { encoding: 'utf8' });

  before(() => {
    for (const file of ['strongbox.js', 'cli-bundle.js']) cpSync(join(repo, 'bin', file), join(tree, 'bin', file));
    mkdirSync(join(tree, 'node_modules'));
    symlinkSync(join(repo, 'node_modules', 'esbuild'), join(tree, 'node_modules', 'esbuild'));
    writeFileSync(join(tree, 'tsconfig.json'), '{}');
    mkdirSync(join(tree, 'cli'));
  });
  after(() => rmSync(tree, { recursive: true, force: true }));

  it('runs the CLI from its bundle', () => {
    writeFileSync(join(tree, 'cli', 'main.ts'), "const said: string = 'ran';\nconsole.log(said);\n");
    const ran = run();
    expect({ status: ran.status, stdout: ran.stdout, stderr: ran.stderr }).to.deep.equal({ status: 0, stdout: 'ran\n', stderr: '' });
  });

  it('ends with exit 2 and one line naming the file and line esbuild cannot build', () => {
    writeFileSync(join(tree, 'cli', 'main.ts'), 'console.log(;\n');
    const refused = run();
    expect(refused.status).to.equal(2);
    expect(refused.stdout).to.equal('');
    expect(refused.stderr).to.match(/^strongbox: cannot build cli\/main\.ts: cli\/main\.ts:1:12: [^\n]+\n$/);
  });
});
