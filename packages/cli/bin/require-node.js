// Plain JavaScript that any Node.js with ES modules can parse (checked with 14 and 16): it runs before
// code that Node.js < 24 cannot load, so the user reads what to do instead of ERR_UNKNOWN_FILE_EXTENSION.

/** The oldest Node.js major version twofa's command, server and tests run on. */
export const MINIMUM_NODE_MAJOR = 24;

/**
 * On an older Node.js, prints one line saying that `what` needs Node.js 24 and how to get it, and exits
 * with status 2 (a usage error, as the CLI's). Otherwise returns.
 */
export function requireNode(what) {
  const found = process.versions.node;
  if (Number(found.split('.')[0]) >= MINIMUM_NODE_MAJOR) return;
  const major = MINIMUM_NODE_MAJOR;
  // The npm registry carries Node.js itself as node-<os>-<arch>, installable without root.
  const withoutRoot =
    process.platform === 'linux' || process.platform === 'darwin'
      ? `, or without root: npm install --prefix ~/.node${major} node-${process.platform}-${process.arch}@${major}` +
        ` && export PATH="$HOME/.node${major}/node_modules/.bin:$PATH"`
      : '';
  process.stderr.write(
    `${what} needs Node.js ${major} or newer (found v${found}); install it from https://nodejs.org${withoutRoot}\n`,
  );
  process.exit(2);
}
