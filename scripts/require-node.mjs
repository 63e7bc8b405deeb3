// `node scripts/require-node.mjs "npm test"`: exits 2 with one line on Node.js < 24, before npm start or
// npm test loads TypeScript an older Node.js cannot run. The rule lives with the twofa command's own check.
import { requireNode } from '../packages/cli/bin/require-node.js';

requireNode(process.argv[2] || 'twofa');
