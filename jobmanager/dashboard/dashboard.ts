/**
 * The web dashboard the JobManager serves at `/`: static files beside this module (index.html,
 * app.js, style.css; the build copies them into dist/), vanilla JS with no external URLs, polling
 * the REST API every second.
 *
 *   #/            TaskManagers (slots used/total) and jobs (name, state, uptime)
 *   #/jobs/<id>   the job's graph as SVG with live records/s and back-pressure, vertex watermarks and lag,
 *                 SVG charts of records/s, back-pressure and watermark lag over the last minutes (kept
 *                 in the page), its subtasks, checkpoint summary and history (when GET
 *                 /jobs/:id/checkpoints answers), exceptions, and a Cancel button
 *
 * Every string that comes from the API is put into the page as text (textContent, createTextNode,
 * setAttribute) — never parsed as HTML — and the Content-Security-Policy admits only the JobManager's
 * own script and style, and requests to the JobManager itself.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

export const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Read once, on first request; a build without them is a packaging bug, so it throws. */
let files: Map<string, Buffer> | undefined;
function load(): Map<string, Buffer> {
  files ??= new Map(Object.keys(DASHBOARD_FILES).map((name) => [name, readFileSync(join(__dirname, name))]));
  return files;
}

/** `name` is one of DASHBOARD_FILES (the REST routes only match those). */
export function serveDashboard(name: string, _req: IncomingMessage, res: ServerResponse): void {
  const body = load().get(name)!;
  res.writeHead(200, {
    'content-type': DASHBOARD_FILES[name],
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(body);
}
