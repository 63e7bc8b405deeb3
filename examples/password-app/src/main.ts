/**
 * Runs the example: `TWOFA_URL=http://127.0.0.1:3000 TWOFA_API_KEY=twofa_... npm start` (PORT, default 4000).
 * A minimal node:http adapter in front of the fetch handler.
 */
import { createServer } from 'node:http';
import { createTwofaClient } from '@twofa/client';
import { createPasswordApp } from './app.ts';

export function listen(handle: (request: Request) => Promise<Response>, port: number) {
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
    }
    const body = chunks.length === 0 ? undefined : Buffer.concat(chunks);
    let response: Response;
    try {
      response = await handle(
        new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
          method: req.method ?? 'GET',
          headers,
          ...(body === undefined || req.method === 'GET' ? {} : { body }),
        }),
      );
    } catch (error) {
      // An error escaping this callback would be an unhandled rejection: the end of the process.
      console.error('request failed:', (error as Error).name);
      response = new Response('Something went wrong. Try again.', { status: 500 });
    }
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  return new Promise<typeof server>((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

if (import.meta.main) {
  const baseUrl = process.env.TWOFA_URL;
  const apiKey = process.env.TWOFA_API_KEY;
  if (!baseUrl || !apiKey) {
    console.error('set TWOFA_URL (the twofa service) and TWOFA_API_KEY (from twofa admin api-key create)');
    process.exit(2);
  }
  const port = Number(process.env.PORT ?? 4000);
  await listen(createPasswordApp({ twofa: createTwofaClient({ baseUrl, apiKey }) }), port);
  console.log(`password app on http://127.0.0.1:${port}`);
}
