// Failure bookkeeping for fuzz runs: failures are grouped by a signature
// (what broke, not the bytes that broke it) so a run reports each distinct
// bug once, with a count and the first case that showed it.

export interface FailureExample {
  signature: string;
  count: number;
  /** Seed and case number to replay, when known. */
  seed: number;
  caseIndex: number;
  detail: string;
  /** The input, base64, cut to a few KB. */
  inputBase64: string;
}

const MAX_EXAMPLE_BYTES = 4096;
/** Distinct signatures kept; a run that finds more has bigger problems. */
const MAX_SIGNATURES = 200;

export class FailureLog {
  private readonly bySignature = new Map<string, FailureExample>();
  total = 0;

  record(signature: string, seed: number, caseIndex: number, detail: string, input: Buffer): void {
    this.total++;
    const seen = this.bySignature.get(signature);
    if (seen !== undefined) {
      seen.count++;
      return;
    }
    if (this.bySignature.size >= MAX_SIGNATURES) return;
    this.bySignature.set(signature, {
      signature,
      count: 1,
      seed,
      caseIndex,
      detail,
      inputBase64: input.subarray(0, MAX_EXAMPLE_BYTES).toString('base64'),
    });
  }

  get unique(): FailureExample[] {
    return [...this.bySignature.values()];
  }
}

/** A stable signature for a thrown error: its type, message without numbers, and top frame. */
export function errorSignature(err: unknown): string {
  if (!(err instanceof Error)) return `non-error ${typeof err}`;
  const frame = (err.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  const where = frame.replace(/^\s*at\s+/, '').replace(/:\d+:\d+\)?$/, '').replace(/\(.*[\\/]/, '(');
  return `${err.name}: ${err.message.replace(/\d+/g, 'N').slice(0, 120)} @ ${where}`;
}
