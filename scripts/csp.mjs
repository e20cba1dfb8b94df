// Writes a Content-Security-Policy into every page of a built app (a <meta http-equiv> right
// after the charset, so any static host carries it; tests/e2e/serve.mjs also sends it as a header).
//
//   node scripts/csp.mjs DIST        (scripts/build.sh runs it after trunk)
//
// The pages' few inline scripts (Trunk's loader, which names the hashed bundle, and the index's
// two lines that hide it on a link) are allowed by their SHA-256, computed here from the built
// file, so the policy needs neither 'unsafe-inline' nor 'unsafe-eval' for scripts; WebAssembly
// needs 'wasm-unsafe-eval'. Everything else comes from the page's own origin: the bundle, the
// lessons and essays fetched on demand. Inline styles stay allowed: Yew sets `style` attributes
// (positions, widths), which hashes cannot cover. A page run twice through this keeps one policy.
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The policy for a page whose inline scripts are `scripts` (their exact text). */
export function policy(scripts) {
  const hashes = scripts.map((s) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`);
  return [
    "default-src 'none'",
    `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`.trim(),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "object-src 'none'",
  ].join('; ');
}

const META = /<meta http-equiv=["']?Content-Security-Policy["']? content="[^"]*">/i;

/** The page with its policy written in (or rewritten, if it had one). */
export function withPolicy(html) {
  const bare = html.replace(META, '');
  const scripts = [...bare.matchAll(/<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]);
  const meta = `<meta http-equiv=Content-Security-Policy content="${policy(scripts)}">`;
  const charset = bare.match(/<meta charset=["']?utf-8["']?\s*\/?>/i);
  if (!charset) throw new Error('no <meta charset=utf-8> to put the policy after');
  const at = charset.index + charset[0].length;
  return bare.slice(0, at) + meta + bare.slice(at);
}

/** The policy a built page declares, or null. */
export function declared(html) {
  const m = html.match(/<meta http-equiv=["']?Content-Security-Policy["']? content="([^"]*)">/i);
  return m ? m[1] : null;
}

async function pages(dir) {
  const found = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) found.push(...(await pages(path)));
    else if (e.name === 'index.html') found.push(path);
  }
  return found;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dist = process.argv[2] ?? 'dist';
  const all = await pages(dist);
  if (all.length === 0) throw new Error(`no index.html under ${dist}/`);
  for (const file of all) {
    await writeFile(file, withPolicy(await readFile(file, 'utf8')));
    console.log(`Content-Security-Policy written into ${file}`);
  }
}
