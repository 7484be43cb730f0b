// Reading a tuning override from the environment: the non-negative number
// an operator set, or undefined when the variable is unset, blank or not a
// non-negative finite number (the caller then keeps its default). Used by
// the housekeeper's pace (housekeeper-pace.ts) and the request loops' yield
// budget (loop-yield.ts). Not for flags: those go through lib/cli.

/** The non-negative finite number in env[name], else undefined. */
export function nonNegativeEnvNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}
