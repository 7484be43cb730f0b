// Real client libraries in other languages (pymemcache, php-memcached,
// Dalli) and twemproxy, driven as the applications that use them do. Each
// client runs one script (test/clients/scripts/) that prints a transcript,
// one `label: value` line per step; a test runs the same script against our
// server and against the real memcached and holds the two transcripts equal
// line by line, then checks a few lines by value so that a script that
// printed nothing, or the same wrong thing twice, still fails.
// Not here: which peers exist (test/peers.ts) or what a script asks.

import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMemcached } from '../integration/helpers/memcached.js';
import { startTestServer } from '../integration/helpers/server.js';
import type { Settings } from '../../lib/cli/settings.js';

/** test/clients/scripts, from source (tap runs the .ts files in place). */
export const SCRIPTS = join(dirname(fileURLToPath(import.meta.url)), 'scripts');

export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run a client script to its end (or kill it after `timeoutMs`). Async on
 * purpose: our server runs in this process, and its main thread must stay
 * free to accept the script's connections.
 */
export function runScript(command: string, args: string[], timeoutMs = 60_000): Promise<ScriptRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The transcript's `label: value` lines, as a map in print order (a repeated label is a script bug: throws). */
export function transcript(stdout: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const at = line.indexOf(': ');
    const label = at < 0 ? line : line.slice(0, at);
    if (lines.has(label)) throw new Error(`transcript label printed twice: ${label}`);
    lines.set(label, at < 0 ? '' : line.slice(at + 2));
  }
  return lines;
}

/**
 * Hold our transcript to memcached's: the same labels in the same order,
 * each with the same value. One assertion per line, so a failure names the
 * step that differs.
 */
export function sameTranscript(t: Test, ours: Map<string, string>, reference: Map<string, string>): void {
  t.same([...ours.keys()], [...reference.keys()], 'the same steps ran, in the same order');
  for (const [label, value] of reference) t.equal(ours.get(label), value, `${label} (memcached: ${value})`);
}

/**
 * The whole single-server check: our server and memcached, the script run
 * against both with `args`, the transcripts held equal, then `expected`
 * lines checked by value. Returns our transcript.
 */
export async function heldToMemcached(t: Test, command: string, script: string, expected: Record<string, string>, args: string[] = []): Promise<Map<string, string>> {
  const servers = await oursAndMemcached(t);
  const ours = await compareScript(t, command, script, servers, args);
  expectLines(t, ours, expected);
  return ours;
}

/** `count` servers of ours (default -t 4), as `host:port`, closed when the test ends. */
export async function ourServers(t: Test, count: number): Promise<ServerSpec[]> {
  const servers: ServerSpec[] = [];
  for (let i = 0; i < count; i++) servers.push(`127.0.0.1:${(await startTestServer(t)).port}`);
  return servers;
}

/** Run `command script ...args` against servers of ours alone, require a clean exit, and return its transcript. */
export async function scriptTranscript(t: Test, command: string, script: string, args: string[]): Promise<Map<string, string>> {
  const run = await runScript(command, [join(SCRIPTS, script), ...args]);
  t.equal(run.code, 0, `the script ran to its end: ${run.stderr}`);
  return transcript(run.stdout);
}

/** Check transcript lines by value, one assertion each (labels missing from `lines` fail too). */
export function expectLines(t: Test, lines: Map<string, string>, expected: Record<string, string>): void {
  for (const [label, value] of Object.entries(expected)) t.equal(lines.get(label), value, label);
}

/** A memcached server address a script takes: `host:port` for TCP, or a unix socket's path. */
export type ServerSpec = string;

/**
 * Our server (in-process, default -t 4 unless `ours` says otherwise, TCP on
 * an ephemeral port) and the real memcached (its unix socket), both closed
 * when the test ends. Callers gate on needs('memcached') first.
 */
export async function oursAndMemcached(
  t: Test,
  opts: { ours?: Partial<Settings>; memcachedArgs?: string[] } = {},
): Promise<{ ours: ServerSpec; memcached: ServerSpec }> {
  const { port } = await startTestServer(t, { maxBytes: 64 * 1024 * 1024, ...opts.ours });
  const real = await startMemcached(['-m', '64', ...(opts.memcachedArgs ?? [])]);
  t.teardown(() => real.stop());
  return { ours: `127.0.0.1:${port}`, memcached: real.path };
}

/**
 * Run `command script ...args server` against both servers and compare.
 * Returns our transcript for the caller's checks by value.
 */
export async function compareScript(
  t: Test,
  command: string,
  script: string,
  servers: { ours: ServerSpec; memcached: ServerSpec },
  args: string[] = [],
): Promise<Map<string, string>> {
  const path = join(SCRIPTS, script);
  const reference = await runScript(command, [path, ...args, servers.memcached]);
  t.equal(reference.code, 0, `the script ran to its end against memcached: ${reference.stderr}`);
  const ours = await runScript(command, [path, ...args, servers.ours]);
  t.equal(ours.code, 0, `the script ran to its end against ours: ${ours.stderr}`);
  const oursLines = transcript(ours.stdout);
  sameTranscript(t, oursLines, transcript(reference.stdout));
  return oursLines;
}
