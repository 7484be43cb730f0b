// Transparent huge pages for the heap when warm restart (-e) is on: the
// server re-executes itself once, in place (process.execve: same PID, same
// arguments, signals and file descriptors), with glibc's malloc tunable
// `glibc.malloc.hugetlb=1`, which makes malloc madvise(MADV_HUGEPAGE) the
// large mappings the heap's SharedArrayBuffers live in.
//
// Why: a restore fills a fresh heap, and on a machine whose transparent
// huge pages are "madvise" only (the kernel default of many distributions
// and VMs), every fresh 4 KiB page costs a fault; 2 MiB pages take 512
// times fewer. Measured on the development VM: first touch of a fresh heap
// about 4 s/GiB with 4 KiB pages, 0.3-1.3 s/GiB with huge pages
// (benchmarks/RESULTS.md, issue 12). Node has no madvise of its own.
//
// Not done when: not Linux, a Node without process.execve, a libc other
// than glibc, huge pages "always" (not needed) or "never" (no use), the
// environment already names glibc.malloc.hugetlb (the operator's choice,
// e.g. =0 to turn this off), or this is already the re-executed process.
// Not here: anything about the image (segments/persist/).

import { readFileSync } from 'node:fs';

/** Set in the re-executed process's environment: never re-execute twice. */
export const REEXEC_MARK = 'GROW_A_CACHE_HUGEPAGES';
const TUNABLE = 'glibc.malloc.hugetlb';

/** What decides the re-execution (read from the machine by hugePageFacts). */
export interface HugePageFacts {
  platform: string;
  /** The content of /sys/kernel/mm/transparent_hugepage/enabled ('' when absent). */
  thpMode: string;
  /** The process runs on glibc. */
  glibc: boolean;
  /** process.execve exists. */
  canExec: boolean;
}

/**
 * The environment to re-execute with, or undefined when the process should
 * go on as it is. Pure: the caller gathers the facts.
 */
export function hugePageEnvironment(env: NodeJS.ProcessEnv, facts: HugePageFacts): NodeJS.ProcessEnv | undefined {
  if (facts.platform !== 'linux' || !facts.canExec || !facts.glibc) return undefined;
  if (!/\[madvise\]/.test(facts.thpMode)) return undefined;
  if (env[REEXEC_MARK] !== undefined) return undefined;
  const tunables = env.GLIBC_TUNABLES ?? '';
  if (tunables.includes(TUNABLE)) return undefined;
  return { ...env, GLIBC_TUNABLES: tunables === '' ? `${TUNABLE}=1` : `${tunables}:${TUNABLE}=1`, [REEXEC_MARK]: '1' };
}

/** Read the facts from this process and machine (cheap: two small files). */
export function hugePageFacts(): HugePageFacts {
  const read = (file: string): string => {
    try {
      return readFileSync(file, 'latin1');
    } catch {
      return '';
    }
  };
  const platform = process.platform;
  const linux = platform === 'linux';
  return {
    platform,
    thpMode: linux ? read('/sys/kernel/mm/transparent_hugepage/enabled') : '',
    // glibc's loader and libc are mapped under these names; musl's is ld-musl.
    glibc: linux && /\/(libc\.so\.6|ld-linux[^/\s]*\.so\.\d)/.test(read('/proc/self/maps')),
    canExec: typeof (process as unknown as { execve?: unknown }).execve === 'function',
  };
}

/**
 * Re-execute this process with huge pages for malloc when hugePageEnvironment
 * says so; returns only when it does not (or the exec failed, which is harmless).
 */
export function reexecWithHugePages(): void {
  const env = hugePageEnvironment(process.env, hugePageFacts());
  if (env === undefined) return;
  const execve = (process as unknown as { execve: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  try {
    execve(process.execPath, [process.execPath, ...process.execArgv, ...process.argv.slice(1)], env);
  } catch {
    // Exec refused (seccomp, a missing binary): run without huge pages.
  }
}
