// The strongbox command as an ESM bundle of its TypeScript sources, rebuilt by esbuild whenever a
// source it was built from has changed. Loading each module through tsx's loader (its resolve and
// load hooks run every import, TypeScript or not, through a thread of their own) was most of a
// member's and of every command's start; a bundle is plain JavaScript Node loads by itself.
// Plain JavaScript: this runs before anything can load TypeScript.
import { createHash } from 'node:crypto';
import { accessSync, constants, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A source that esbuild could not build: the command cannot run until it is fixed. */
export class BundleBuildError extends Error {
  constructor(message) {
    super(message);
    this.name = 'BundleBuildError';
  }
}

const BUILDER = fileURLToPath(import.meta.url);
// Outputs of earlier builds stay a day: a process started from one may still load its chunks.
const STALE_OUTPUT_MS = 24 * 60 * 60 * 1000;

/**
 * Each module keeps its own `import.meta.url`, that of its source file: modules find the files
 * beside them (migrations, the explorer's pages, package.json) from there, wherever the bundle is.
 * Each source's modification time and size are taken into `read` before its text is read: a source
 * edited while the build runs then differs from what the manifest records, and the next run builds
 * again, where stats taken after the build recorded the edit as built.
 */
function sourceUrls(read) {
  return {
    name: 'source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const stats = statSync(args.path);
        read.set(args.path, [stats.mtimeMs, stats.size]);
        return {
          contents: (await readFile(args.path, 'utf8')).replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)),
          loader: 'ts',
        };
      });
    },
  };
}

function readManifest(manifestFile) {
  try {
    return JSON.parse(readFileSync(manifestFile, 'utf8'));
  } catch {
    return null;
  }
}

function unchanged([file, mtimeMs, size]) {
  try {
    const stats = statSync(file);
    return stats.mtimeMs === mtimeMs && stats.size === size;
  } catch {
    return false;
  }
}

function writable(folder) {
  try {
    mkdirSync(folder, { recursive: true });
    accessSync(folder, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** Writes a file whole or not at all, so a process loading it beside a concurrent build never reads half of it. */
function writeAtomically(file, contents) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, contents);
  renameSync(partial, file);
}

function firstError(failure) {
  const error = failure.errors?.[0];
  if (!error) return failure.message;
  const where = error.location ? `${error.location.file}:${error.location.line}:${error.location.column}: ` : '';
  return `${where}${error.text}`;
}

async function buildBundle(root, entry, outdir, read) {
  const { build } = await import('esbuild');
  try {
    return await build({
      entryPoints: [entry],
      absWorkingDir: root,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // Packages load from node_modules as they would under tsx; only the project's sources are bundled.
      packages: 'external',
      // Each command's action stays a chunk of its own, loaded when that command runs.
      splitting: true,
      // Error classes and functions keep the names that errors and logs print.
      keepNames: true,
      // For a stack to name the lines of the sources, as under tsx (bin/strongbox.js turns them on).
      sourcemap: true,
      // Names by content: a build never rewrites a file another build wrote, which a process may be loading.
      entryNames: '[name]-[hash]',
      chunkNames: 'chunk-[hash]',
      outdir,
      write: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [sourceUrls(read)],
    });
  } catch (failure) {
    throw new BundleBuildError(`cannot build ${relative(root, entry)}: ${firstError(failure)}`);
  }
}

function removeOldOutputs(outdir, kept) {
  const now = Date.now();
  for (const name of readdirSync(outdir)) {
    const file = join(outdir, name);
    if (kept.has(file) || name === 'manifest.json') continue;
    // Gone meanwhile: another build's partial file, renamed into place.
    const stats = statSync(file, { throwIfNoEntry: false });
    if (stats && now - stats.mtimeMs > STALE_OUTPUT_MS) rmSync(file, { force: true });
  }
}

/**
 * The file URL of the bundle of `entry` (a source of the project at `root`), in a folder of its own
 * under `cacheDir`, built again when any file it was built from (its sources, the project's
 * tsconfig.json and this builder) changed; null when it cannot be written (a read-only install),
 * for the caller to load the sources another way.
 */
export async function freshBundle({ root, entry, cacheDir }) {
  // A folder per entry file: work trees that share one node_modules (a link to it) share its
  // cache, and each must run its own sources.
  const outdir = join(cacheDir, createHash('sha256').update(entry).digest('hex').slice(0, 16));
  const manifestFile = join(outdir, 'manifest.json');
  const manifest = readManifest(manifestFile);
  if (manifest && manifest.inputs.every(unchanged)) return pathToFileURL(join(outdir, manifest.entry)).href;
  if (!writable(outdir)) return null;

  const read = new Map();
  const result = await buildBundle(root, entry, outdir, read);
  const sources = Object.keys(result.metafile.inputs).map((input) => resolve(root, input));
  const inputs = [...sources, join(root, 'tsconfig.json'), BUILDER].map((file) => {
    if (read.has(file)) return [file, ...read.get(file)];
    const stats = statSync(file, { throwIfNoEntry: false });
    return [file, stats?.mtimeMs ?? 0, stats?.size ?? 0];
  });
  for (const output of result.outputFiles) {
    if (!statSync(output.path, { throwIfNoEntry: false })) writeAtomically(output.path, output.contents);
  }
  const entryOutput = Object.keys(result.metafile.outputs).find((output) => resolve(root, result.metafile.outputs[output].entryPoint ?? '') === entry);
  const entryFile = relative(outdir, resolve(root, entryOutput));
  writeAtomically(manifestFile, JSON.stringify({ entry: entryFile, inputs }));
  removeOldOutputs(outdir, new Set(result.outputFiles.map((output) => output.path)));
  return pathToFileURL(join(outdir, entryFile)).href;
}
