#!/usr/bin/env node
/**
 * Runs a consumer's browser bundle (browser-entry.mjs bundled by esbuild) in headless Chromium:
 * serves index.html + the bundle from 127.0.0.1, waits for window.__result, prints it, and fails if
 * the page asked for anything but the bundle (a node:* import left in it would show up here).
 *   node .ci/consumer/browser.mjs BUNDLE.js
 * Needs Debian's chromium (KD_CHROMIUM overrides /usr/bin/chromium) and the repo's playwright-core
 * (shared/BROWSER.md: SwiftShader gives navigator.gpu on a CPU-only machine).
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const bundle = readFileSync(process.argv[2]);
const PAGE = '<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>';
const server = createServer((req, res) => {
  if (req.url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  if (req.url === '/bundle.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.KD_CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--enable-unsafe-webgpu'],
});
let ok = false;
try {
  const page = await browser.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__result, null, { timeout: Number(process.env.KD_BROWSER_TIMEOUT_MS ?? 120000) });
  const r = await page.evaluate(() => window.__result);
  const extra = requests.filter((u) => u !== `${origin}/` && u !== `${origin}/bundle.js`);
  console.log(`Chromium ${browser.version()}: ${r.status}: ${r.log}`);
  if (extra.length) console.log(`the bundle asked for ${extra.join(', ')}: it must be self-contained`);
  ok = r.status === 'PASS' && extra.length === 0;
} finally {
  await browser.close();
  server.close();
}
process.exit(ok ? 0 : 1);
