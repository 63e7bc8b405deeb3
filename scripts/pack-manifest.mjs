// prepack/postpack of each package: the repository's package.json points at the TypeScript sources (Node 24
// runs them as they are, so the workspace needs no build); the packed one must point at dist/, because Node
// refuses to strip types under node_modules and TypeScript refuses .ts files from a dependency (TS5097).
//
//   node ../../scripts/pack-manifest.mjs publish   rewrites package.json, keeping the original beside it
//   node ../../scripts/pack-manifest.mjs restore   puts the original back, byte for byte
//
// One rule: `./src/X.ts` becomes `./dist/X.js`, with `./dist/X.d.ts` as the `types` condition in exports.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

const MANIFEST = 'package.json';
const BACKUP = 'package.json.repo';
const SOURCE = /^\.\/src\/(.+)\.ts$/;

const mode = process.argv[2];
if (mode === 'restore') {
  if (existsSync(BACKUP)) renameSync(BACKUP, MANIFEST);
} else if (mode === 'publish') {
  if (existsSync(BACKUP)) {
    fail(`${BACKUP} exists: an earlier pack did not finish; check it, then move it back to ${MANIFEST}`);
  }
  const text = readFileSync(MANIFEST, 'utf8');
  const manifest = JSON.parse(text);
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const path = sourcePath(target, `exports["${subpath}"]`);
    manifest.exports[subpath] = { types: `./dist/${path}.d.ts`, default: `./dist/${path}.js` };
  }
  for (const [name, target] of Object.entries(manifest.imports ?? {})) {
    manifest.imports[name] = `./dist/${sourcePath(target, `imports["${name}"]`)}.js`;
  }
  writeFileSync(BACKUP, text);
  writeFileSync(MANIFEST, `${JSON.stringify(manifest, null, 2)}\n`);
} else {
  fail('usage: pack-manifest.mjs publish|restore');
}

function sourcePath(target, field) {
  const match = typeof target === 'string' ? SOURCE.exec(target) : null;
  if (!match) fail(`${MANIFEST} ${field} must be "./src/<file>.ts", found ${JSON.stringify(target)}`);
  return match[1];
}

function fail(message) {
  process.stderr.write(`pack-manifest: ${message}\n`);
  process.exit(1);
}
