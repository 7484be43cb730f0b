// Starts a grow-a-cache server in-process for a test: 127.0.0.1, an
// ephemeral port, log lines kept in memory, closed when the test ends. Its
// threads (-t 4's workers, every server's housekeeping thread) load the
// built files: dist/ is rebuilt first when stale.

import type { Test } from 'tap';
import { startServer } from '../../../lib/server/server.js';
import type { RunningServer, ServerOptions } from '../../../lib/server/server.js';
import { DEFAULT_SETTINGS, EPHEMERAL_PORT } from '../../../lib/cli/settings.js';
import type { Settings } from '../../../lib/cli/settings.js';
import { ensureBuilt } from '../../hardening/helpers/bin.js';

export interface StartedServer {
  server: RunningServer;
  port: number;
  logLines: string[];
}

export async function startTestServer(
  t: Test,
  overrides: Partial<Settings> = {},
  opts: ServerOptions = {},
): Promise<StartedServer> {
  const logLines: string[] = [];
  const settings: Settings = {
    ...DEFAULT_SETTINGS,
    port: EPHEMERAL_PORT,
    listen: ['127.0.0.1'],
    maxBytes: 16 * 1024 * 1024,
    ...overrides,
  };
  // Worker threads and the single loop's housekeeping thread load the built files.
  ensureBuilt();
  const server = await startServer(settings, { logSink: (l) => logLines.push(l), closeTimeoutMs: 2000, ...opts });
  t.teardown(() => server.close());
  return { server, port: server.port, logLines };
}
