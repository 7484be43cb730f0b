// The two servers compared: the Debian memcached started with -t 1, and
// grow-a-cache from dist/lib/cli/main.js, both with memcached's command-line
// flags. A spec turns (port, memory) into a command line.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { userInfo } from 'node:os';

export interface ServerSpec {
  /** Short name used in tables: 'memcached' or 'grow-a-cache'. */
  name: string;
  command: string;
  args(port: number, memoryMb: number): string[];
}

/** memcached's flags as used for both servers: loopback, one thread, no UDP. */
export function memcachedFlags(port: number, memoryMb: number): string[] {
  return ['-U', '0', '-l', '127.0.0.1', '-p', String(port), '-m', String(memoryMb), '-t', '1'];
}

export function memcachedSpec(binary = 'memcached'): ServerSpec {
  // memcached refuses to start as root unless told which user to run as.
  const asRoot = process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
  return { name: 'memcached', command: binary, args: (port, mb) => [...memcachedFlags(port, mb), ...asRoot] };
}

/** dist/lib/cli/main.js, found relative to this compiled file (dist/benchmarks/servers/). */
export const oursEntry = fileURLToPath(new URL('../../lib/cli/main.js', import.meta.url));

export function oursAvailable(): boolean {
  return existsSync(oursEntry);
}

export interface OursOptions {
  /** Directory for `node --cpu-prof` output, or undefined for no profile. */
  cpuProfDir?: string | undefined;
  /** Extra node flags (e.g. --max-old-space-size). */
  nodeFlags?: readonly string[];
  /** Node binary to run ours with (`--ours-node`); default: the one running the benchmark. */
  nodeBinary?: string | undefined;
}

export function oursSpec(options: OursOptions = {}): ServerSpec {
  const nodeFlags = [...(options.nodeFlags ?? [])];
  if (options.cpuProfDir) nodeFlags.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  return {
    name: 'grow-a-cache',
    command: options.nodeBinary ?? process.execPath,
    args: (port, mb) => [...nodeFlags, oursEntry, ...memcachedFlags(port, mb)],
  };
}

/**
 * A stand-in for "ours" given as a command line (`--ours-cmd memcached`):
 * an A/A run of memcached against itself shows how noisy the machine is.
 */
export function commandSpec(name: string, commandLine: string): ServerSpec {
  const [command, ...base] = commandLine.trim().split(/\s+/);
  if (!command) throw new Error('empty server command');
  const asRoot = command.endsWith('memcached') && process.getuid?.() === 0 ? ['-u', userInfo().username] : [];
  return { name, command, args: (port, mb) => [...base, ...memcachedFlags(port, mb), ...asRoot] };
}
