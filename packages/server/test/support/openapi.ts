/**
 * Contract checks: a response of the API against the OpenAPI document it serves. The operation is found by
 * method and path template, the status must be one it declares, and a JSON body must match the declared
 * schema (JSON Schema 2020-12, as OpenAPI 3.1 uses, checked by Ajv).
 */
import assert from 'node:assert/strict';
import type { ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under Node's ESM interop its function is the default export's `default`.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv2020) => void }).default;

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components?: object;
}

export interface ContractChecker {
  /** Asserts that the response fits the document; returns the operation's path template (or undefined). */
  check(method: string, path: string, status: number, body: unknown): string | undefined;
  /** Every `METHOD template status` seen, to show which operations and statuses a suite reached. */
  readonly seen: Set<string>;
}

export function contractChecker(doc: OpenApiDocument): ContractChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  const compiled = new Map<string, ValidateFunction>();
  const templates = Object.keys(doc.paths).map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
  }));
  const seen = new Set<string>();
  return {
    seen,
    check(method, path, status, body) {
      const pathname = path.split('?')[0]!;
      const template = templates.find((t) => t.pattern.test(pathname))?.template;
      if (template === undefined) return undefined;
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (operation === undefined) return undefined;
      const declared = operation.responses[String(status)];
      assert.ok(
        declared,
        `${method} ${template} answered ${status}, which the OpenAPI document does not declare`,
      );
      seen.add(`${method} ${template} ${status}`);
      const schema = declared.content?.['application/json']?.schema;
      if (schema === undefined) {
        assert.equal(body, undefined, `${method} ${template} ${status} declares no body but sent one`);
        return template;
      }
      const key = `${method} ${template} ${status}`;
      let validate = compiled.get(key);
      if (validate === undefined) {
        validate = ajv.compile({ ...schema, components: doc.components });
        compiled.set(key, validate);
      }
      assert.ok(
        validate(body),
        `${key}: the body does not match the document: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
      return template;
    },
  };
}
