// `npm run build` in a package: a clean dist/ from `tsc -b tsconfig.build.json` (which first brings the
// packages it references up to date, so @twofa/cli builds @twofa/otp and @twofa/server's declarations),
// then every file under src/ that is not TypeScript (the server's static/) copied beside the JS.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const tsPackage = require.resolve('typescript/package.json');
const tsc = join(dirname(tsPackage), JSON.parse(readFileSync(tsPackage, 'utf8')).bin.tsc);

rmSync('dist', { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
cpSync('src', 'dist', { recursive: true, filter: (source) => !source.endsWith('.ts') });
