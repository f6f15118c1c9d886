#!/usr/bin/env node
// Runs the TypeScript CLI from a bundle of its sources, rebuilt when they change, so that users need
// no build step; through tsx when the bundle has nowhere to be written.
import { fileURLToPath } from 'node:url';
import { BundleBuildError, freshBundle } from './cli-bundle.js';

const root = fileURLToPath(new URL('..', import.meta.url));
let bundle;
try {
  bundle = await freshBundle({ root, entry: fileURLToPath(new URL('../cli/main.ts', import.meta.url)), cacheDir: fileURLToPath(new URL('../node_modules/.cache/strongbox-bundles/', import.meta.url)) });
} catch (error) {
  if (!(error instanceof BundleBuildError)) throw error;
  console.error(`strongbox: ${error.message}`);
  process.exit(2);
}
if (bundle) {
  // Stacks of internal errors name lines of the TypeScript sources, not of the bundle's chunks.
  process.setSourceMapsEnabled(true);
  await import(bundle);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
