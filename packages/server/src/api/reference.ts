/**
 * The API reference page (/api/docs), rendered on the server from the OpenAPI document: no script, no
 * assets from a CDN, only the site's own stylesheet. Every value goes through hono/html's escaping.
 */
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

interface Document {
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, Operation> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

const pretty = (value: unknown) => JSON.stringify(value, null, 2);

/** `document` is the OpenAPI document the API serves (read as far as this page needs). */
export function referencePage(document: object): Promise<HtmlEscapedString> | HtmlEscapedString {
  const doc = document as Document;
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods ?? {}).map(([method, op]) => ({ path, method, op })),
  );
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${doc.info.title} ${doc.info.version}</title>
<link rel="stylesheet" href="/static/app.css">
</head>
<body>
<main class="reference">
<h1>${doc.info.title} <small>${doc.info.version}</small></h1>
<p>${doc.info.description ?? ''}</p>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Operations</h2>
<ul>
${operations.map(({ path, method, op }) => html`<li><a href="#${method}-${path}"><code>${method.toUpperCase()} ${path}</code></a> ${op.summary ?? ''}</li>`)}
</ul>
${operations.map(
  ({ path, method, op }) => html`<section id="${method}-${path}">
<h2><code>${method.toUpperCase()} ${path}</code></h2>
<p><strong>${op.summary ?? ''}</strong></p>
${op.description ? html`<p>${op.description}</p>` : ''}
${
  op.parameters?.length
    ? html`<h3>Parameters</h3><ul>${op.parameters.map(
        (p) =>
          html`<li><code>${p.name}</code> (${p.in}${p.required ? ', required' : ''}) ${p.description ?? ''}</li>`,
      )}</ul>`
    : ''
}
${
  op.requestBody?.content
    ? html`<h3>Request body</h3><pre><code>${pretty(op.requestBody.content['application/json']?.schema)}</code></pre>`
    : ''
}
<h3>Responses</h3>
<ul>${Object.entries(op.responses ?? {}).map(
    ([status, r]) =>
      html`<li><code>${status}</code> ${r.description ?? ''}${
        r.content ? html` <code>${schemaName(r.content['application/json']?.schema)}</code>` : ''
      }</li>`,
  )}</ul>
</section>`,
)}
<h2>Schemas</h2>
${Object.entries(doc.components?.schemas ?? {}).map(
  ([name, schema]) =>
    html`<section id="schema-${name}"><h3>${name}</h3><pre><code>${pretty(schema)}</code></pre></section>`,
)}
</main>
</body>
</html>`;
}

function schemaName(schema: unknown): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  return ref === undefined ? '' : ref.replace('#/components/schemas/', '');
}
