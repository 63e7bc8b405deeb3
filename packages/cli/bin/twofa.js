#!/usr/bin/env node
// The `twofa` executable. Checks the Node.js version first, in plain JavaScript, then loads the command:
// src/bin.ts in the repository, dist/bin.js once packed (package.json's "#main", rewritten by prepack).
import { requireNode } from './require-node.js';

requireNode(process.argv[2] === 'serve' ? 'twofa serve' : 'twofa');
import('#main');
