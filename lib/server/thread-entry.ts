// Where the server's threads (worker-main.ts, housekeeper-main.ts) load
// from, and the Worker options they need. Not the threads' data or messages
// (thread-protocol.ts).
//
// Run from the TypeScript sources (the tests' loader), each thread would
// compile the sources again, seconds per thread, so threads run the built
// files instead (`npm test` builds first; test helpers build when stale),
// without the loader.

const FROM_SOURCE = import.meta.url.endsWith('.ts');

/** Options for every `new Worker` of the server: no loader when the sources run. */
export const THREAD_OPTIONS: { execArgv?: string[] } = FROM_SOURCE ? { execArgv: [] } : {};

/** The built entry file of thread `name` (e.g. 'worker-main'). */
export function threadEntry(name: string): URL {
  return FROM_SOURCE ? new URL(`../../dist/lib/server/${name}.js`, import.meta.url) : new URL(`./${name}.js`, import.meta.url);
}
