// `node --import ./record-modules.mjs ...`: appends the URL of every module the process loads (ESM and
// CommonJS alike, through Node.js's in-thread module hooks) to the file named by TWOFA_RECORD_MODULES.
import { appendFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.TWOFA_RECORD_MODULES;
if (file) {
  registerHooks({
    load(url, context, nextLoad) {
      appendFileSync(file, `${url}\n`);
      return nextLoad(url, context);
    },
  });
}
