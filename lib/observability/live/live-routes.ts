// The live page's HTTP routes on the metrics listener: the page itself at /
// and /ui, its script and style, and its three data endpoints. Every asset
// is embedded in the build (no CDN, works offline); the data endpoints show
// aggregates of segment headers only, never a key or a value.
//
//   GET /, /ui          the page (HTML)
//   GET /ui/app.js      its script;  GET /ui/style.css  its style
//   GET /ui/snapshot    the segment map, binary (segments/segment-map.ts)
//   GET /ui/summary     JSON: shape, TTL buckets, memory, totals, chart ring (?since=N)
//   GET /ui/segment     JSON: one segment's header (?id=N)

import type http from 'node:http';
import type { StatsSources } from '../stats-report.js';
import { LiveData } from './live-data.js';
import { PAGE_HTML } from './page-html.js';
import { PAGE_CSS } from './page-css.js';
import { PAGE_JS } from './page-js.js';

export interface LiveRoutes {
  /** Answer `path` if it is one of the page's; false to let the caller answer. */
  handle(path: string, query: URLSearchParams, req: http.IncomingMessage, res: http.ServerResponse): boolean;
  close(): void;
  readonly data: LiveData;
}

/**
 * Same-origin only: the page loads nothing from elsewhere and is never
 * framed. Inline style attributes carry the script's computed colours.
 */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
};

export function createLiveRoutes(src: StatsSources): LiveRoutes {
  const data = new LiveData(src);
  const assets = new Map<string, { type: string; body: Buffer }>([
    ['/', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
    ['/ui', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
    ['/ui/', { type: 'text/html; charset=utf-8', body: Buffer.from(PAGE_HTML) }],
    ['/ui/app.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(PAGE_JS) }],
    ['/ui/style.css', { type: 'text/css; charset=utf-8', body: Buffer.from(PAGE_CSS) }],
  ]);

  const send = (req: http.IncomingMessage, res: http.ServerResponse, status: number, type: string, body: Buffer | Uint8Array | string): void => {
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': bytes.byteLength, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : bytes);
  };
  const json = (req: http.IncomingMessage, res: http.ServerResponse, status: number, value: unknown): void =>
    send(req, res, status, 'application/json', JSON.stringify(value));
  const failed = (req: http.IncomingMessage, res: http.ServerResponse) => (err: unknown) => {
    if (!res.headersSent) send(req, res, 500, 'text/plain', `live page data failed: ${String(err)}\n`);
  };

  return {
    data,
    close: () => data.stop(),
    handle(path, query, req, res) {
      const asset = assets.get(path);
      if (asset) {
        send(req, res, 200, asset.type, asset.body);
        return true;
      }
      if (!path.startsWith('/ui/')) return false;
      if (path === '/ui/snapshot') {
        data.touch();
        data.map().then((map) => {
          if (map === null) json(req, res, 404, { error: 'this store has no segment headers to draw' });
          else send(req, res, 200, 'application/octet-stream', map.bytes);
        }, failed(req, res));
        return true;
      }
      if (path === '/ui/summary') {
        data.touch();
        data.summary(Number(query.get('since') ?? 0)).then((summary) => json(req, res, 200, summary), failed(req, res));
        return true;
      }
      if (path === '/ui/segment') {
        const detail = data.segment(Number(query.get('id') ?? NaN));
        if (detail === null) json(req, res, 404, { error: 'no such segment' });
        else json(req, res, 200, detail);
        return true;
      }
      return false;
    },
  };
}
