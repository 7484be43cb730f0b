// The Docker image, checked without a Docker engine: the Dockerfile's
// stages and runtime settings read statically, and docker-entrypoint.sh run
// under /bin/sh with a stand-in `node` that prints the arguments it got.

import t from 'tap';
import { execFileSync } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const entrypoint = join(root, 'docker-entrypoint.sh');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions grouped by stage; comments dropped, continuations joined. */
function parseStages(text: string): Array<{ from: string; name: string | undefined; body: Instruction[] }> {
  const joined = text.replace(/\\\n/g, ' ');
  const stages: Array<{ from: string; name: string | undefined; body: Instruction[] }> = [];
  for (const raw of joined.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [, op = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const upper = op.toUpperCase();
    if (upper === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: m?.[1] ?? args, name: m?.[2], body: [] });
    } else if (stages.length > 0) {
      stages[stages.length - 1]!.body.push({ op: upper, args });
    }
  }
  return stages;
}

const stages = parseStages(dockerfile);
const build = stages[0]!;
const runtime = stages[stages.length - 1]!;
const args = (stage: typeof runtime, op: string): string[] => stage.body.filter((i) => i.op === op).map((i) => i.args);

t.test('two stages: build with dev dependencies, runtime without', async (t) => {
  t.equal(stages.length, 2);
  t.equal(build.name, 'build');
  t.ok(args(build, 'RUN').some((r) => /\bnpm ci\b/.test(r) && !r.includes('--omit=dev')), 'build stage installs dev dependencies');
  t.ok(args(build, 'RUN').some((r) => /\btsc\b|npm run build/.test(r)), 'build stage compiles TypeScript');
  t.ok(args(runtime, 'RUN').some((r) => /\bnpm ci\b.*--omit=dev/.test(r)), 'runtime installs production dependencies only');
  const copies = args(runtime, 'COPY');
  t.ok(copies.some((c) => c.startsWith('--from=build') && c.includes('dist')), 'runtime takes dist/ from the build stage');
  t.notOk(copies.some((c) => /^\.\s|^\.\/?\s/.test(c)), 'runtime does not copy the whole context');
  t.notOk(copies.some((c) => c.includes('node_modules')), 'node_modules never copied from the build stage');
});

t.test('both stages build on a Node slim image that satisfies package.json engines', async (t) => {
  const engines = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
  const minimum = Number(/^>=\s*(\d+)/.exec(engines)?.[1]);
  t.ok(minimum >= 24, `engines ${engines} asks for Node 24 or newer`);
  const arg = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)?.[1] ?? '';
  const m = /^node:(\d+)-(?:[a-z]+-)?slim$/.exec(arg);
  t.ok(m, `default image ${arg} is a node:<major>[-<debian>]-slim image`);
  t.ok(Number(m?.[1]) >= minimum, `image Node ${m?.[1]} >= engines minimum ${minimum}`);
  t.same(stages.map((s) => s.from), ['${NODE_IMAGE}', '${NODE_IMAGE}'], 'both stages use that image');
});

t.test('runtime: memcache user 11211, NODE_ENV, port, init, entrypoint', async (t) => {
  t.same(args(runtime, 'USER'), ['memcache']);
  const runs = args(runtime, 'RUN').join(' ');
  t.match(runs, /groupadd [^&]*--gid 11211 memcache/);
  t.match(runs, /useradd [^&]*--uid 11211 [^&]*--gid memcache[^&]* memcache/);
  t.match(runs, /apt-get install [^&]*\btini\b/);
  t.same(args(runtime, 'EXPOSE'), ['11211']);
  t.ok(args(runtime, 'ENV').some((e) => /^NODE_ENV[= ]production$/.test(e)));
  const entry = JSON.parse(args(runtime, 'ENTRYPOINT')[0] ?? 'null') as string[];
  t.same(entry, ['/usr/bin/tini', '--', 'docker-entrypoint.sh']);
  t.same(JSON.parse(args(runtime, 'CMD')[0] ?? 'null'), ['grow-a-cache']);
  t.ok(args(runtime, 'COPY').some((c) => c.startsWith('docker-entrypoint.sh ')));
  // USER comes after every RUN, so nothing is installed as the service user.
  const lastRun = runtime.body.map((i) => i.op).lastIndexOf('RUN');
  t.ok(runtime.body.findIndex((i) => i.op === 'USER') > lastRun);
  t.notOk(args(runtime, 'HEALTHCHECK').length, 'no HEALTHCHECK (docker-library policy)');
});

t.test('.dockerignore keeps local builds and dependencies out of the context', async (t) => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  for (const entry of ['node_modules', 'dist', '.git', '.tap']) t.ok(ignored.includes(entry), entry);
  for (const needed of ['lib', 'segments', 'protocol', 'package.json', 'package-lock.json', 'tsconfig.json', 'docker-entrypoint.sh'])
    t.notOk(ignored.includes(needed), `${needed} stays in the context`);
});

t.test('docker-entrypoint.sh passes memcached-style flags to the server', async (t) => {
  const dir = t.testdir({});
  const fakeNode = join(dir, 'node');
  writeFileSync(fakeNode, '#!/bin/sh\nprintf "node"\nfor a in "$@"; do printf " [%s]" "$a"; done\n');
  chmodSync(fakeNode, 0o755);
  const run = (...argv: string[]): string =>
    execFileSync('/bin/sh', [entrypoint, ...argv], { env: { PATH: `${dir}:/usr/bin:/bin` }, encoding: 'utf8' });
  const server = 'node [/app/dist/lib/cli/main.js]';

  t.equal(run('grow-a-cache'), `${server} [-l] [0.0.0.0]`, 'default CMD listens on every interface');
  t.equal(run('-m', '256'), `${server} [-l] [0.0.0.0] [-m] [256]`, 'flags alone run the server');
  t.equal(run('-vv', '-c', '10'), `${server} [-l] [0.0.0.0] [-vv] [-c] [10]`);
  t.equal(run('memcached', '-m', '64'), `${server} [-l] [0.0.0.0] [-m] [64]`, 'the official image command name works');
  t.equal(run('-m', '64', '-l', '127.0.0.1'), `${server} [-m] [64] [-l] [127.0.0.1]`, 'a user -l wins');
  t.equal(run('--listen=10.0.0.1'), `${server} [--listen=10.0.0.1]`);
  t.equal(run('-l10.0.0.1'), `${server} [-l10.0.0.1]`);
  t.equal(run('-s', '/tmp/mc.sock'), `${server} [-s] [/tmp/mc.sock]`, 'a unix socket gets no TCP listener');
  t.equal(run('--lock-memory'), `${server} [-l] [0.0.0.0] [--lock-memory]`, '--lock-memory is not --listen');
  t.equal(run('echo', 'hello world'), 'hello world\n', 'anything else runs as given');
});

t.test('docker-entrypoint.sh is executable POSIX sh', async (t) => {
  execFileSync('/bin/sh', ['-n', entrypoint]);
  t.match(readFileSync(entrypoint, 'utf8'), /^#!\/bin\/sh\n/);
  t.ok(statSync(entrypoint).mode & 0o111, 'has the executable bit (COPY keeps it)');
});
