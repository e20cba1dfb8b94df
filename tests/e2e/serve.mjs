// A tiny static file server for dist/ on 127.0.0.1, for the end-to-end tests.
//
//   node tests/e2e/serve.mjs [DIR] [PORT]     (defaults: dist, 0 = any free port)
//
// Prints `serving DIR at http://127.0.0.1:PORT/` once listening, serves `index.html` for `/`, the
// right MIME types (application/wasm for instantiateStreaming), no caching, and each page's
// Content-Security-Policy as a header. Stops on SIGTERM.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { declared } from '../../scripts/csp.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** Serves `dir`; resolves to `{ server, url, close() }`. */
export async function serve(dir = 'dist', port = 0) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw Object.assign(new Error('outside'), { code: 'ENOENT' });
      if ((await stat(file).catch(() => null))?.isDirectory()) {
        // Like a real static host: `/election` redirects to `/election/` so relative links work.
        if (!path.endsWith('/')) {
          const url = new URL(req.url, 'http://x');
          res.writeHead(301, { location: `${path}/${url.search}` });
          res.end();
          return;
        }
        file = join(file, 'index.html');
      }
      const body = await readFile(file);
      const headers = {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      };
      // A page's policy (written in by scripts/csp.mjs) goes out as a header too, as a host would
      // send it; a page built without it (a debug build) is served as it is.
      const csp = extname(file) === '.html' ? declared(body.toString('utf8')) : null;
      if (csp) headers['content-security-policy'] = csp;
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      res.writeHead(e.code === 'ENOENT' || e.code === 'EISDIR' ? 404 : 500, { 'content-type': 'text/plain' });
      res.end(e.code === 'ENOENT' ? 'not found' : String(e));
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', ok);
  });
  const url = `http://127.0.0.1:${server.address().port}/`;
  return { server, url, close: () => new Promise((ok) => server.close(ok)) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2] ?? 'dist';
  const { url, close } = await serve(dir, Number(process.argv[3] ?? 0));
  console.log(`serving ${dir} at ${url}`);
  for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => close().then(() => process.exit(0)));
}
