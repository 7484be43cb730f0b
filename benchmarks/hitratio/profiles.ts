// Workload profiles for the hit-ratio benchmark, as parameters: figures of
// four clusters from Twitter's 2020 production cache statistics (Yang, Yue,
// Rashmi, OSDI'20; twitter/cache-trace stat/2020Mar.md, CC-BY 4.0), chosen
// to cover a read-heavy, a mixed short/long TTL, a TTL-heavy and a
// write-heavy cache. Only the figures the generator uses are kept.

export type TraceOp = 'get' | 'gets' | 'set' | 'add' | 'cas' | 'delete';

export interface ClusterProfile {
  name: string;
  /** Why it is in the suite. */
  role: string;
  /** Mean key and value size in bytes. */
  keySize: number;
  valueSize: number;
  zipfAlpha: number;
  /** Operation shares (normalised by the generator). */
  ops: ReadonlyArray<readonly [TraceOp, number]>;
  /** TTLs in seconds with their shares (normalised). */
  ttls: ReadonlyArray<readonly [number, number]>;
  /** Share of objects requested only once, and mean requests per object. */
  oneHitWonderRatio: number;
  meanFrequency: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export const PROFILES: readonly ClusterProfile[] = [
  {
    name: 'cluster52',
    role: 'read-heavy, gets/cas/add',
    keySize: 20,
    valueSize: 273,
    zipfAlpha: 1.2117,
    ops: [['get', 0.91], ['add', 0.04], ['gets', 0.02], ['cas', 0.02]],
    ttls: [[DAY, 0.65], [14 * DAY, 0.27], [12 * HOUR, 0.07]],
    oneHitWonderRatio: 0.1936,
    meanFrequency: 32.6,
  },
  {
    name: 'cluster24',
    role: 'short and long TTLs mixed',
    keySize: 32,
    valueSize: 699,
    zipfAlpha: 1.3726,
    ops: [['get', 0.99]],
    ttls: [[14 * DAY, 0.71], [60, 0.19], [30 * DAY, 0.03], [DAY, 0.02], [HOUR, 0.02]],
    oneHitWonderRatio: 0.0565,
    meanFrequency: 134.8,
  },
  {
    name: 'cluster29',
    role: 'TTL-heavy (1-2 h)',
    keySize: 36,
    valueSize: 799,
    zipfAlpha: 1.2323,
    ops: [['get', 0.86], ['set', 0.13]],
    ttls: [[HOUR, 0.67], [2 * HOUR, 0.33]],
    oneHitWonderRatio: 0.2304,
    meanFrequency: 22.5,
  },
  {
    name: 'cluster41',
    role: 'write-heavy (half sets), reused keys',
    keySize: 44,
    valueSize: 171,
    zipfAlpha: 0.8542,
    ops: [['get', 0.5], ['set', 0.5]],
    ttls: [[8 * HOUR, 0.95], [DAY, 0.05]],
    oneHitWonderRatio: 0,
    meanFrequency: 11.8,
  },
  {
    name: 'cluster12',
    role: 'write-heavy, short TTL, mostly one-hit wonders (not in the default set)',
    keySize: 44,
    valueSize: 1030,
    zipfAlpha: 0.3048,
    ops: [['set', 0.8], ['get', 0.2]],
    ttls: [[300, 0.98], [299, 0.02]],
    oneHitWonderRatio: 0.8143,
    meanFrequency: 1.3,
  },
];

export function profileByName(name: string): ClusterProfile {
  const p = PROFILES.find((x) => x.name === name);
  if (!p) throw new Error(`unknown profile ${name}; known: ${PROFILES.map((x) => x.name).join(', ')}`);
  return p;
}
