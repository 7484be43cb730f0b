// Workload profiles for the hit-ratio benchmarks, as parameters: the
// figures of Twitter's 2020 production cache clusters (Yang, Yue, Rashmi,
// OSDI'20; twitter/cache-trace stat/2020Mar.md, CC-BY 4.0) that a generator
// needs: mean key and value size, Zipf alpha, op mix, TTL mix, one-hit-
// wonder share and mean frequency. Every cluster whose row has all of them
// and some reads is here (issue 17); the rest are listed as skipped with the
// reason. Only these figures are kept, not the table.
//
// incr and prepend (cluster22, 23, 53) change an item that is present and
// do nothing to one that is not: replayers send them as `replace` of the
// key at its size, which has that effect on the cache's contents.

export type TraceOp = 'get' | 'gets' | 'set' | 'add' | 'cas' | 'delete' | 'incr' | 'prepend';

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
  /** Twitter's production miss ratio for the cluster (NaN when not given); for context only. */
  productionMissRatio: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

/** Why some clusters of the table have no profile. */
export const SKIPPED_CLUSTERS: Readonly<Record<string, string>> = {
  cluster5: 'no figures in the table',
  cluster15: 'set only: no reads, no miss ratio',
  cluster21: 'add only: no reads, no miss ratio',
  cluster43: 'no Zipf alpha',
  cluster46: 'no Zipf alpha',
};

/** Roles of the profiles the default (four-profile) suite and earlier issues named. */
const ROLES: Readonly<Record<string, string>> = {
  cluster52: 'read-heavy, gets/cas/add',
  cluster24: 'short and long TTLs mixed',
  cluster29: 'TTL-heavy (1-2 h)',
  cluster41: 'write-heavy (half sets), reused keys',
  cluster12: 'write-heavy, short TTL, mostly one-hit wonders',
};

function describe(p: Omit<ClusterProfile, 'role'>): string {
  const reads = p.ops.filter(([op]) => op === 'get' || op === 'gets').reduce((s, [, x]) => s + x, 0);
  const shortest = Math.min(...p.ttls.map(([t]) => t));
  const size = p.keySize + p.valueSize;
  return [
    reads >= 0.9 ? 'read-heavy' : reads >= 0.5 ? 'mixed' : 'write-heavy',
    size < 150 ? 'small items' : size > 2000 ? 'large items' : 'mid items',
    p.oneHitWonderRatio >= 0.3 ? 'churn (one-hit wonders)' : p.zipfAlpha < 0.9 ? 'flat popularity' : 'skewed',
    shortest <= 600 ? 'short TTL' : 'long TTL',
  ].join(', ');
}

function p(
  name: string,
  keySize: number,
  valueSize: number,
  zipfAlpha: number,
  ops: Array<[TraceOp, number]>,
  ttls: Array<[number, number]>,
  oneHitWonderRatio: number,
  meanFrequency: number,
  productionMissRatio: number,
): ClusterProfile {
  const fields = { name, keySize, valueSize, zipfAlpha, ops, ttls, oneHitWonderRatio, meanFrequency, productionMissRatio };
  return { ...fields, role: ROLES[name] ?? describe(fields) };
}

// name, key B, value B, Zipf alpha, ops, TTLs (s), one-hit-wonder share, mean frequency, production miss ratio
export const PROFILES: readonly ClusterProfile[] = [
  p('cluster1', 80, 267, 2.6774, [['get', 0.99]], [[240, 1]], 0.0001, 26574.9, 0.0043),
  p('cluster2', 21, 68, 1.4908, [['get', 1]], [[4 * DAY, 0.59], [2 * DAY, 0.41]], 0.0001, 934.5, 0.0017),
  p('cluster3', 19, 120, 1.6414, [['get', 0.99]], [[7 * DAY, 1]], 0.1566, 91.4, 0.0049),
  p('cluster4', 67, 2439, 1.1004, [['get', 0.93], ['set', 0.07]], [[60, 0.39], [300, 0.24], [HOUR, 0.13], [600, 0.12], [4 * HOUR, 0.09], [DAY, 0.03]], 0.2933, 26.5, 0.3941),
  p('cluster6', 44, 252, 1.882, [['get', 0.98], ['set', 0.02]], [[520, 0.03], [510, 0.03], [490, 0.03], [590, 0.03], [540, 0.03], [550, 0.03], [570, 0.02], [500, 0.02], [580, 0.02], [596, 0.02]], 0.0063, 327.3, 0.0268),
  p('cluster7', 17, 1936, 1.0666, [['get', 0.82], ['set', 0.18]], [[1.8 * HOUR, 0.28], [1.7 * HOUR, 0.24], [1.9 * HOUR, 0.23], [1.6 * HOUR, 0.13], [2 * HOUR, 0.12]], 0.0001, 72.9, 0.2004),
  p('cluster8', 23, 9497, 1.7366, [['set', 0.5], ['get', 0.5]], [[1380, 0.95], [1379, 0.05]], 0.0034, 1532.6, 0.0197),
  p('cluster9', 32, 39, 1.6796, [['get', 0.99]], [[2 * HOUR, 0.79], [1.4 * HOUR, 0.02], [1.1 * HOUR, 0.02], [1.9 * HOUR, 0.02], [1.6 * HOUR, 0.02], [1.2 * HOUR, 0.02], [1.8 * HOUR, 0.02], [1.5 * HOUR, 0.02], [1.7 * HOUR, 0.02], [1.3 * HOUR, 0.02]], 0.085, 463.9, 0.0101),
  p('cluster10', 22, 2333, 0, [['add', 0.5], ['get', 0.5]], [[2 * HOUR, 1]], 0.0008, 2, 0.9925),
  p('cluster11', 24, 170, 1.4891, [['get', 0.96], ['add', 0.02], ['gets', 0.01], ['cas', 0.01]], [[5 * DAY, 0.97], [20, 0.03]], 0.0618, 45.7, 0.0047),
  p('cluster12', 44, 1030, 0.3048, [['set', 0.8], ['get', 0.2]], [[300, 0.98], [299, 0.02]], 0.8143, 1.3, 0.0058),
  p('cluster13', 44, 4266, 0.4565, [['get', 0.38], ['set', 0.62]], [[300, 0.97], [299, 0.03]], 0.6439, 1.6, 0.5299),
  p('cluster14', 96, 414, 1.2959, [['get', 0.65], ['delete', 0.22], ['set', 0.13]], [[DAY, 1]], 0.1094, 35.4, 0.1218),
  p('cluster16', 18, 115, 1.7862, [['get', 0.93], ['set', 0.04], ['add', 0.01]], [[HOUR, 0.99]], 0.0189, 277, 0.0728),
  p('cluster17', 19, 212, 2.1106, [['get', 0.99]], [[5 * DAY, 1]], 0.3887, 60.8, 0.0002),
  p('cluster18', 18, 37, 2.0994, [['get', 0.96], ['add', 0.01], ['gets', 0.01], ['cas', 0.01]], [[12 * HOUR, 1]], 0.0071, 660.5, 0.002),
  p('cluster19', 42, 101, 0.735, [['get', 0.75], ['set', 0.25]], [[7.5 * HOUR, 0.08], [7.4 * HOUR, 0.07], [6.6 * HOUR, 0.07], [7.2 * HOUR, 0.07], [6.7 * HOUR, 0.07], [7 * HOUR, 0.07], [7.1 * HOUR, 0.07], [6.8 * HOUR, 0.07], [6.9 * HOUR, 0.07], [7.3 * HOUR, 0.06]], 0.0746, 4.7, 0.4549),
  p('cluster20', 26, 55, 1.3699, [['get', 0.96], ['add', 0.03]], [[5 * DAY, 0.99]], 0.6154, 29.7, 0.0079),
  p('cluster22', 54, 4, 0.7624, [['get', 0.72], ['incr', 0.18], ['set', 0.1]], [[DAY, 0.85], [HOUR, 0.11], [1800, 0.03]], 0.4148, 4.3, 0.875),
  p('cluster23', 35, 224, 0.274, [['set', 0.31], ['get', 0.36], ['incr', 0.3], ['delete', 0.02]], [[120, 0.93], [2700, 0.05], [5, 0.03]], 0.0117, 3.9, 0.0259),
  p('cluster24', 32, 699, 1.3726, [['get', 0.99]], [[14 * DAY, 0.71], [60, 0.19], [30 * DAY, 0.03], [DAY, 0.02], [HOUR, 0.02]], 0.0565, 134.8, 0.0087),
  p('cluster25', 49, 28, 0.9929, [['get', 0.95], ['add', 0.02], ['gets', 0.02], ['cas', 0.02]], [[30 * DAY, 0.99]], 0.0322, 662.7, 0.0002),
  p('cluster26', 122, 1745, 0.6299, [['get', 0.71], ['set', 0.29]], [[60, 0.67], [120, 0.1], [360, 0.09], [600, 0.06], [660, 0.03], [180, 0.02]], 0.0011, 13, 0.4469),
  p('cluster27', 66, 8, 1.065, [['get', 0.85], ['set', 0.15]], [[92.6 * DAY, 0.28], [DAY, 0.25], [HOUR, 0.2], [4 * HOUR, 0.18], [6 * HOUR, 0.06], [12 * HOUR, 0.02]], 0.2221, 9, 0.8061),
  p('cluster28', 45, 85, 1.503, [['get', 0.91], ['set', 0.03], ['add', 0.03]], [[3 * HOUR, 0.56], [1.2 * DAY, 0.43]], 0.2713, 66.2, 0.0027),
  p('cluster29', 36, 799, 1.2323, [['get', 0.86], ['set', 0.13]], [[HOUR, 0.67], [2 * HOUR, 0.33]], 0.2304, 22.5, 0.2242),
  p('cluster30', 22, 689, 1.4259, [['get', 0.99]], [[12 * HOUR, 0.36], [10.2 * HOUR, 0.04], [11.8 * HOUR, 0.04], [9.7 * HOUR, 0.03], [10.6 * HOUR, 0.03], [11.5 * HOUR, 0.03], [11 * HOUR, 0.03], [11.3 * HOUR, 0.03], [11.7 * HOUR, 0.03], [11.9 * HOUR, 0.03]], 0.0277, 154.4, 0.0083),
  p('cluster31', 41, 15, 0, [['set', 0.94], ['get', 0.06]], [[60, 1]], 0.9406, 1.1, 0.0022),
  p('cluster32', 41, 138, 0, [['set', 0.98], ['get', 0.02]], [[60, 1]], 0.9756, 1, 0.0047),
  p('cluster33', 24, 1118, 1.354, [['get', 0.99], ['set', 0.01]], [[10.7 * HOUR, 0.05], [11.2 * HOUR, 0.05], [11.7 * HOUR, 0.04], [11.6 * HOUR, 0.04], [11.5 * HOUR, 0.04], [10.9 * HOUR, 0.04], [11.3 * HOUR, 0.04], [10.6 * HOUR, 0.04], [9.8 * HOUR, 0.04], [11.1 * HOUR, 0.04]], 0.0099, 254.5, 0.0106),
  p('cluster34', 33, 322, 1.1401, [['get', 0.94], ['set', 0.06]], [[10.6 * HOUR, 0.04], [10.5 * HOUR, 0.04], [11.1 * HOUR, 0.04], [9.8 * HOUR, 0.04], [11.2 * HOUR, 0.04], [10.7 * HOUR, 0.04], [9.7 * HOUR, 0.04], [10 * HOUR, 0.04], [10.1 * HOUR, 0.03], [10.4 * HOUR, 0.03]], 0.0026, 49.4, 0.0819),
  p('cluster35', 19, 1796, 0, [['get', 0.96], ['set', 0.04]], [[60, 1]], 0.3101, 14.8, 0.3542),
  p('cluster36', 23, 78, 1.2169, [['get', 0.93], ['add', 0.04], ['gets', 0.01], ['cas', 0.01]], [[30 * DAY, 1]], 0.024, 46.8, 0.0375),
  p('cluster37', 72, 20134, 0.4251, [['set', 0.37], ['get', 0.63]], [[20, 0.91], [300, 0.06], [2 * HOUR, 0.02], [600, 0.01]], 0.1488, 3.8, 0.5938),
  p('cluster38', 41, 185, 0, [['set', 0.94], ['get', 0.06]], [[60, 1]], 0.9406, 1.1, 0.0022),
  p('cluster39', 41, 80, 0, [['set', 0.94], ['get', 0.06]], [[60, 1]], 0.9406, 1.1, 0.0022),
  p('cluster40', 44, 155, 0.8551, [['set', 0.5], ['get', 0.5]], [[8 * HOUR, 0.95], [DAY, 0.05]], 0.001, 11.8, 0.1843),
  p('cluster41', 44, 171, 0.8542, [['get', 0.5], ['set', 0.5]], [[8 * HOUR, 0.95], [DAY, 0.05]], 0, 11.8, 0.1831),
  p('cluster42', 40, 4703, 1.5974, [['get', 0.96], ['add', 0.04]], [[600, 0.82], [300, 0.16], [6 * HOUR, 0.02]], 0.0005, 229.9, 0.0485),
  p('cluster44', 25, 22, 1.4084, [['get', 0.98], ['add', 0.01]], [[30 * DAY, 1]], 0.2024, 60.5, 0.0083),
  p('cluster45', 10, 120, 0.6372, [['add', 0.15], ['get', 0.85]], [[15 * DAY, 1]], 0.4874, 2.9, 0.3685),
  p('cluster47', 44, 267, 2.0637, [['get', 1]], [[2 * DAY, 1]], 0.0428, 838.6, 0.0009),
  p('cluster48', 44, 70, 0.8191, [['set', 0.35], ['get', 0.65]], [[DAY, 1]], 0.4428, 3.5, 0.2253),
  p('cluster49', 44, 10658, 1.5095, [['set', 0.43], ['get', 0.57]], [[DAY, 0.99], [24 * HOUR, 0.01]], 0.0088, 154.2, 0.1273),
  p('cluster50', 18, 67485, 1.2816, [['get', 0.52], ['set', 0.48]], [[900, 0.73], [1200, 0.24], [1199, 0.03]], 0.0786, 22.1, 0.459),
  p('cluster51', 44, 221, 1.9745, [['get', 0.9], ['set', 0.1]], [[2 * DAY, 1]], 0.0565, 814.8, 0.0212),
  p('cluster52', 20, 273, 1.2117, [['get', 0.91], ['add', 0.04], ['gets', 0.02], ['cas', 0.02]], [[DAY, 0.65], [14 * DAY, 0.27], [12 * HOUR, 0.07]], 0.1936, 32.6, 0.0189),
  p('cluster53', 36, 9213, 1.2061, [['get', 0.89], ['set', 0.03], ['prepend', 0.09]], [[30 * DAY, 0.66], [21 * DAY, 0.34]], 0.1319, 27.6, 0.0788),
  p('cluster54', 19, 246, 1.611, [['get', 0.97], ['set', 0.03]], [[3.8 * HOUR, 0.13], [3.3 * HOUR, 0.13], [3.4 * HOUR, 0.13], [3.9 * HOUR, 0.12], [3.5 * HOUR, 0.12], [3.6 * HOUR, 0.12], [3.7 * HOUR, 0.11], [4 * HOUR, 0.07], [3.2 * HOUR, 0.06]], 0.5483, 9.8, 0.0253),
];

export function profileByName(name: string): ClusterProfile {
  const found = PROFILES.find((x) => x.name === name);
  if (!found) throw new Error(`unknown profile ${name}; known: ${PROFILES.map((x) => x.name).join(', ')}`);
  return found;
}
