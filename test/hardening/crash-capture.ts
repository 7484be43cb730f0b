// For tests that run a server in-process: an exception thrown inside a
// connection would end a real server process. Record it instead, and drop
// the connection it left mid-request, so the test can report it and go on.

import type { Test } from 'tap';
import type { RunningServer } from '../../lib/server/server.js';

export function captureCrashes(t: Test, server: RunningServer): string[] {
  const stacks: string[] = [];
  const onCrash = (err: Error): void => {
    stacks.push(err.stack ?? String(err));
    for (const conn of server.connections()) if (conn.state === 'conn_parse_cmd') conn.destroy();
  };
  process.on('uncaughtException', onCrash);
  t.teardown(() => {
    process.off('uncaughtException', onCrash);
  });
  return stacks;
}
