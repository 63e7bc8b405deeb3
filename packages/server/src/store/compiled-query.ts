/**
 * Hot queries built and compiled once. Kysely builds a query as an immutable tree (each `.where()` copies and
 * freezes nodes) and compiles it to SQL on every call: on the code step's dozen statements that was 10-15% of
 * the server's CPU (issue #12), more than running most of them on SQLite. A query here is built once per
 * dialect with marker values in place of the caller's, compiled, and from then on only its parameters change.
 *
 * The rule for a builder: it passes each input value into the query as a value and never computes with it
 * (no arithmetic, comparison or string building in JavaScript: write that in SQL). The first run on each
 * dialect checks the rule: it also builds the query the ordinary way with the real values and refuses to go on
 * if the SQL text or the parameters differ; a marker found in the SQL text or in a computed value is refused
 * too.
 */
import { type Compilable, type CompiledQuery, createQueryId, type Kysely, type QueryResult } from 'kysely';
import type { Database } from './schema.ts';

const MARKER = '\u0000twofa-compiled-query-parameter:';

type Slot = { readonly name: string } | { readonly value: unknown };

interface Template {
  readonly compiled: CompiledQuery;
  readonly slots: readonly Slot[];
  checked: boolean;
}

export interface CompiledOnce<I, O> {
  /** Runs the query on `db` (the database or a transaction) with `input`'s values. */
  execute(db: Kysely<Database>, input: I): Promise<QueryResult<O>>;
}

/** `build` as a query compiled once per dialect (see the rule above). */
export function compiledOnce<I extends Record<string, unknown>, O>(
  build: (db: Kysely<Database>, input: I) => Compilable<O>,
): CompiledOnce<I, O> {
  // One template per dialect adapter (a transaction shares its database's adapter).
  const templates = new WeakMap<object, Template>();
  const markers = new Proxy({} as I, {
    get: (_target, name) => (typeof name === 'string' ? `${MARKER}${name}` : undefined),
  });
  return {
    async execute(db, input) {
      const adapter = db.getExecutor().adapter;
      let template = templates.get(adapter);
      if (template === undefined) {
        template = templateOf(build(db, markers).compile());
        templates.set(adapter, template);
      }
      const parameters = template.slots.map((slot) => ('name' in slot ? input[slot.name] : slot.value));
      if (!template.checked) {
        const direct = build(db, input).compile();
        if (direct.sql !== template.compiled.sql || !sameValues(direct.parameters, parameters)) {
          throw new Error(
            `compiledOnce: the builder computes with its input; it cannot be cached:\n${direct.sql}`,
          );
        }
        template.checked = true;
      }
      const query: CompiledQuery<O> = {
        sql: template.compiled.sql,
        query: template.compiled.query,
        parameters,
        queryId: createQueryId(),
      };
      return db.executeQuery(query);
    },
  };
}

function templateOf(compiled: CompiledQuery): Template {
  if (compiled.sql.includes(MARKER)) throw new Error('compiledOnce: an input went into the SQL text');
  const slots = compiled.parameters.map((value): Slot => {
    if (typeof value === 'string' && value.startsWith(MARKER)) {
      const name = value.slice(MARKER.length);
      return { name };
    }
    if ((typeof value === 'string' && value.includes(MARKER)) || Number.isNaN(value)) {
      throw new Error('compiledOnce: the builder computed a value from its input');
    }
    return { value };
  });
  return { compiled, slots, checked: false };
}

function sameValues(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

/**
 * The named fields of a builder's input, for `.values()`: a builder's input is a stand-in whose fields exist
 * only when read by name, so a whole row cannot be passed as it is.
 */
export function valuesOf<T extends object, K extends keyof T>(input: T, names: readonly K[]): Pick<T, K> {
  return Object.fromEntries(names.map((name) => [name, input[name]])) as Pick<T, K>;
}
