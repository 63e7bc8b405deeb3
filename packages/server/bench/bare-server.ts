/**
 * The ceiling: bare `node:http` doing the least a code step must do (read a urlencoded form, answer 302).
 * Run as its own process by the bench: `node bare-server.ts <port>`; prints "listening" when ready.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('bare-server: the first argument must be the TCP port\n');
  process.exit(2);
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const code = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('code');
    response.writeHead(302, { Location: code === null ? '/verify' : '/', 'Content-Length': '0' });
    response.end();
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => server.close(() => process.exit(0)));
