// Starts a real grow-a-cache server for the binary integration tests: on
// 127.0.0.1, an ephemeral port, a manual clock, logs kept in memory. The
// caller closes it (t.teardown).

import { startServer, type RunningServer } from '../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT, type Settings } from '../../lib/cli/settings.js';
import { ManualClock } from './harness.js';

export interface TestServer {
  server: RunningServer;
  port: number;
  clock: ManualClock;
  logLines: string[];
}

export async function startTestServer(overrides: Partial<Settings> = {}): Promise<TestServer> {
  const clock = new ManualClock();
  const logLines: string[] = [];
  const settings: Settings = { ...DEFAULT_SETTINGS, port: EPHEMERAL_PORT, listen: ['127.0.0.1'], maxBytes: 16 * 1024 * 1024, ...overrides };
  const server = await startServer(settings, { clock, logSink: (l) => logLines.push(l), closeTimeoutMs: 1000 });
  return { server, port: server.port, clock, logLines };
}

/** memjs (like other clients) reads credentials and servers from these; tests must not see stray ones. */
export function clearMemcacheEnv(): void {
  for (const name of Object.keys(process.env)) {
    if (/^(MEMCACHIER|MEMCACHE)_/.test(name)) delete process.env[name];
  }
}
