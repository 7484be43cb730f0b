// Types for the part of yargs 18 the CLI uses. yargs 18 ships no
// declarations for its Node entry point (and @types/yargs describes 17), so
// this states just what lib/cli/cli-options.ts relies on.

declare module 'yargs' {
  export interface OptionSpec {
    alias?: string | string[];
    type?: 'string' | 'boolean' | 'count' | 'number' | 'array';
    describe?: string;
  }

  export interface Argv {
    option(key: string, spec: OptionSpec): Argv;
    parserConfiguration(config: Record<string, boolean>): Argv;
    strict(enabled?: boolean): Argv;
    strictOptions(enabled?: boolean): Argv;
    help(enabled: boolean): Argv;
    version(enabled: boolean): Argv;
    exitProcess(enabled: boolean): Argv;
    showHelpOnFail(enabled: boolean): Argv;
    fail(handler: (message: string | undefined, error: Error | undefined) => void): Argv;
    parseSync(): Record<string, unknown> & { _: Array<string | number> };
  }

  export default function yargs(args: readonly string[]): Argv;
}
