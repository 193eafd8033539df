#!/usr/bin/env node
// A tiny static file server for the browser runtime's examples, tests and benchmark.
// No dependencies. Usage:
//
//   node scripts/serve.mjs [--port 8080] [--root DIR] [--coi] [--base /sub/path/]
//                          [--mount /url/prefix=DIR]... [--host 127.0.0.1]
//
//   --coi    send COOP same-origin + COEP require-corp (cross-origin isolation,
//            which SharedArrayBuffer and so the threaded build need)
//   --base   serve ROOT under this URL prefix (anything else is 404)
//   --mount  also serve DIR under the URL path PREFIX (absolute, not under --base),
//            e.g. FASSEG photos that stay outside the repository
//   --cors   serve as a CDN does: any origin may load the files (CORS, and CORP
//            cross-origin so cross-origin isolated pages may too)
//
// Also importable: `const srv = await serve({ root, coi, base, port: 0 }); srv.url; await srv.close();`
// Tests may pass `hold(pathname, n)`: requests for which it returns true (n counts the
// requests for that path so far, from 1) get no answer, as from a server that hangs;
// and `throttle(pathname)`: a number of bytes per second sends that file slowly (a
// slow network), 0 or undefined at full speed; `{ rate, pauseAt, resume }` also stops
// after `pauseAt` bytes until the promise `resume` settles.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

function normBase(base = '/') {
  let b = base.startsWith('/') ? base : `/${base}`;
  if (!b.endsWith('/')) b += '/';
  return b;
}

/** Starts the server; resolves to `{ url, port, close() }`. */
export function serve({ root = '.', port = 8080, host = '127.0.0.1', coi = false, cors = false, base = '/', mounts = [], quiet = true, hold = null, throttle = null } = {}) {
  const seen = new Map();
  base = normBase(base);
  const tables = [
    ...mounts.map(({ prefix, dir }) => ({ prefix: normBase(prefix), dir: path.resolve(dir) })),
    { prefix: base, dir: path.resolve(root) },
  ];
  const server = http.createServer((req, res) => {
    const headers = { 'Cache-Control': 'no-store' };
    if (coi) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
      headers['Cross-Origin-Resource-Policy'] = 'same-origin';
    }
    if (cors) {
      headers['Access-Control-Allow-Origin'] = '*';
      headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
    }
    const send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { ...headers, 'Content-Type': type });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return send(400, 'bad request\n');
    }
    if (pathname.includes('\0')) return send(400, 'bad request\n');
    if (hold) {
      const n = (seen.get(pathname) ?? 0) + 1;
      seen.set(pathname, n);
      if (hold(pathname, n)) return; // no answer; close() ends the connection
    }
    if (`${pathname}/` === base) {
      res.writeHead(301, { ...headers, Location: base });
      return res.end();
    }
    const table = tables.find((t) => pathname.startsWith(t.prefix) || `${pathname}/` === t.prefix);
    if (!table) return send(404, 'not found\n');
    const rel = pathname.slice(table.prefix.length);
    let file = path.resolve(table.dir, `.${path.posix.sep}${rel}`);
    if (file !== table.dir && !file.startsWith(table.dir + path.sep)) return send(403, 'forbidden\n');
    fs.stat(file, (err, st) => {
      if (!err && st.isDirectory()) {
        if (!pathname.endsWith('/')) {
          res.writeHead(301, { ...headers, Location: `${pathname}/` });
          return res.end();
        }
        file = path.join(file, 'index.html');
        st = fs.existsSync(file) ? fs.statSync(file) : null;
      }
      if (err || !st || !st.isFile()) {
        if (!quiet) console.log(`404 ${pathname}`);
        return send(404, 'not found\n');
      }
      res.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'Content-Length': st.size,
      });
      if (req.method === 'HEAD') return res.end();
      const t = throttle?.(pathname);
      const { rate = 0, pauseAt = Infinity, resume = null } = typeof t === 'number' ? { rate: t } : (t ?? {});
      if (!rate && !resume) return fs.createReadStream(file).pipe(res);
      // 16 KiB at a time, each followed by the pause that keeps to `rate`.
      const stream = fs.createReadStream(file, { highWaterMark: 16 * 1024 });
      let sent = 0;
      stream.on('data', (chunk) => {
        stream.pause();
        const before = sent;
        sent += chunk.length;
        if (before < pauseAt && sent >= pauseAt && resume) {
          // Up to pauseAt now, the rest once released.
          const cut = pauseAt - before;
          res.write(chunk.subarray(0, cut));
          resume.then(() => {
            if (cut < chunk.length) res.write(chunk.subarray(cut));
            stream.resume();
          });
          return;
        }
        res.write(chunk);
        setTimeout(() => stream.resume(), rate ? (1000 * chunk.length) / rate : 0);
      });
      stream.on('end', () => res.end());
      res.on('close', () => stream.destroy());
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const actual = server.address().port;
      resolve({
        port: actual,
        url: `http://${host}:${actual}${base}`,
        close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
      });
    });
  });
}

function parseArgs(argv) {
  const o = { port: 8080, root: '.', coi: false, cors: false, base: '/', mounts: [], host: '127.0.0.1', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--port' || a === '-p') o.port = Number(val());
    else if (a === '--root' || a === '-r') o.root = val();
    else if (a === '--coi') o.coi = true;
    else if (a === '--cors') o.cors = true;
    else if (a === '--base') o.base = val();
    else if (a === '--host') o.host = val();
    else if (a === '--mount') {
      const [prefix, ...dir] = val().split('=');
      if (!dir.length) throw new Error('--mount takes PREFIX=DIR');
      o.mounts.push({ prefix, dir: dir.join('=') });
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/serve.mjs [--port N] [--root DIR] [--coi] [--cors] [--base /path/] [--mount /prefix=DIR]... [--host H]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  return o;
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(2);
  }
  const srv = await serve(opts);
  console.log(`serving ${path.resolve(opts.root)} at ${srv.url}${opts.coi ? ' (cross-origin isolated: COOP/COEP)' : ''}`);
  for (const m of opts.mounts) console.log(`  ${normBase(m.prefix)} -> ${path.resolve(m.dir)}`);
}

