/**
 * Writes src/api-types.ts from the OpenAPI document the server builds from its route schemas, so the
 * client's types are the API's. `npm run generate -w packages/client` after changing a schema; the test
 * test/api-types.test.ts fails while the file is out of date.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiTypesSource } from './api-types-source.ts';

const target = join(import.meta.dirname, '..', 'src', 'api-types.ts');
writeFileSync(target, await apiTypesSource());
console.log(`wrote ${target}`);
