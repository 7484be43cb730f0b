// `npm start` runs this first: compile TypeScript when dist/ is missing or
// older than any source file, so a fresh checkout starts with one command.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = ['lib', 'segments', 'protocol'];
const entry = 'dist/lib/cli/main.js';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sourceTime = Math.max(...roots.filter(existsSync).map(newestMtime), statSync('tsconfig.json').mtimeMs);
if (!existsSync(entry) || statSync(entry).mtimeMs < sourceTime) {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
}
