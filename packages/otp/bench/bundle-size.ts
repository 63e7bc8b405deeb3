/**
 * What each library adds to a browser bundle: esbuild (bundle, minify, tree-shake, platform browser, ESM)
 * of an entry importing it, measured minified and gzip-compressed (level 9). Two entries per library:
 * everything it exports (`export *`), and only what TOTP login needs (generate and verify).
 */
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

export interface BundleSize {
  readonly library: string;
  readonly entry: string;
  readonly minifiedBytes: number;
  readonly gzipBytes: number;
}

const ENTRIES: readonly { library: string; entry: string; source: string }[] = [
  { library: 'twofa', entry: 'everything', source: "export * from '@twofa/otp';" },
  { library: 'otpauth', entry: 'everything', source: "export * from 'otpauth';" },
  { library: 'otplib', entry: 'everything', source: "export * from 'otplib';" },
  { library: 'twofa', entry: 'TOTP', source: "export { generateTOTP, verifyTOTP } from '@twofa/otp';" },
  { library: 'otpauth', entry: 'TOTP', source: "export { Secret, TOTP } from 'otpauth';" },
  { library: 'otplib', entry: 'TOTP', source: "export { generateSync, verifySync } from 'otplib';" },
];

export async function measureBundleSizes(): Promise<BundleSize[]> {
  const sizes: BundleSize[] = [];
  for (const { library, entry, source } of ENTRIES) {
    const result = await build({
      stdin: { contents: source, resolveDir: import.meta.dirname, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]?.contents ?? new Uint8Array();
    sizes.push({
      library,
      entry,
      minifiedBytes: code.length,
      gzipBytes: gzipSync(code, { level: 9 }).length,
    });
  }
  return sizes;
}
