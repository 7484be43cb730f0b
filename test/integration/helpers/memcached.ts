// Starts the real memcached (Debian's 1.6.18), the reference our replies are
// checked against. It listens on a unix socket in a fresh temporary
// directory (memcached's -p 0 means "no TCP", not "any port"), so no port
// has to be guessed and nothing else can collide with it.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memcachedVersion, peerCommand } from '../../peers.js';

export interface RealMemcached {
  /** Unix socket path to connect to. */
  path: string;
  version: string;
  stop(): Promise<void>;
}

/**
 * Callers gate on test/peers.ts needs('memcached') or needs('memcached-oracle')
 * first. `env`: variables added to this process's environment for it.
 */
export async function startMemcached(args: string[] = [], env: Record<string, string> = {}): Promise<RealMemcached> {
  const dir = mkdtempSync(join(tmpdir(), 'gac-memcached-'));
  const path = join(dir, 'memcached.sock');
  // As root memcached insists on -u; root keeps access to the socket file.
  const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
  const child: ChildProcess = spawn(peerCommand('memcached'), ['-U', '0', '-s', path, ...user, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  // Never leave a memcached behind, even when the test process ends abruptly.
  const reap = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  // Ready once the socket accepts a connection.
  await new Promise<void>((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        reject(new Error(`memcached exited: ${stderr}`));
        return;
      }
      const probe = net.connect(path);
      probe.once('connect', () => {
        probe.destroy();
        resolve();
      });
      probe.once('error', () => setTimeout(attempt, 20));
    };
    attempt();
  });
  return {
    path,
    version: memcachedVersion() ?? '',
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) {
          rmSync(dir, { recursive: true, force: true });
          resolve();
          return;
        }
        child.once('exit', () => {
          rmSync(dir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
