// Summarises a V8 .cpuprofile (from `node --cpu-prof`) into the functions
// with the most self time: what the server's owners should look at first.

import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

export interface Hotspot {
  functionName: string;
  /** File (repository-relative when under `root`) and 1-based line. */
  location: string;
  selfShare: number;
}

export interface ProfileSummary {
  totalSamples: number;
  /** Share of samples in (idle): the server waiting for the network. */
  idleShare: number;
  /** Self time per function, sorted, (idle) excluded; shares of the busy (non-idle) samples. */
  hotspots: Hotspot[];
}

const sourceMaps = new Map<string, SourceMap | null>();

/** The .ts file and line a compiled dist/*.js position came from, via its .js.map; undefined if none. */
function originalPosition(path: string, line: number, column: number): { path: string; line: number } | undefined {
  let map = sourceMaps.get(path);
  if (map === undefined) {
    map = null;
    try {
      if (existsSync(path + '.map')) map = new SourceMap(JSON.parse(readFileSync(path + '.map', 'utf8')));
    } catch {
      map = null;
    }
    sourceMaps.set(path, map);
  }
  if (map === null) return undefined;
  const entry = map.findEntry(line, column) as { originalSource?: string; originalLine?: number };
  if (!entry.originalSource || entry.originalLine === undefined) return undefined;
  const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(path), entry.originalSource);
  return { path: source, line: entry.originalLine };
}

function shortLocation(url: string, line: number, column: number, root: string): string {
  if (url === '') return '(native)';
  let path = url.startsWith('file://') ? fileURLToPath(url) : url;
  if (path.endsWith('.js')) {
    const original = originalPosition(path, line, column);
    if (original) {
      path = original.path;
      line = original.line;
    }
  }
  if (root && path.startsWith(root)) path = path.slice(root.length).replace(/^\//, '');
  return `${path}:${line + 1}`;
}

export function summarizeProfile(profile: CpuProfile, root = ''): ProfileSummary {
  const hits = new Map<number, number>();
  if (profile.samples && profile.samples.length > 0) {
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  } else {
    for (const n of profile.nodes) hits.set(n.id, n.hitCount ?? 0);
  }
  let total = 0;
  for (const h of hits.values()) total += h;
  const byFunction = new Map<string, Hotspot>();
  let idle = 0;
  for (const node of profile.nodes) {
    const h = hits.get(node.id) ?? 0;
    if (h === 0) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += h;
      continue;
    }
    const location = shortLocation(node.callFrame.url, node.callFrame.lineNumber, node.callFrame.columnNumber ?? 0, root);
    const key = `${name}@${location}`;
    const spot = byFunction.get(key) ?? { functionName: name, location, selfShare: 0 };
    spot.selfShare += h;
    byFunction.set(key, spot);
  }
  const busy = total - idle;
  const hotspots = [...byFunction.values()].map((s) => ({ ...s, selfShare: busy > 0 ? s.selfShare / busy : 0 }));
  hotspots.sort((a, b) => b.selfShare - a.selfShare);
  return { totalSamples: total, idleShare: total > 0 ? idle / total : 0, hotspots };
}

export function summarizeProfileFile(path: string, root = ''): ProfileSummary {
  return summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, root);
}

export function renderHotspots(title: string, summary: ProfileSummary, top = 15): string {
  const lines = [
    `${title}: ${summary.totalSamples} samples, ${(summary.idleShare * 100).toFixed(1)}% idle; shares of the busy samples`,
    '',
    '| self % | function | file |',
    '|-------:|----------|------|',
    ...summary.hotspots.slice(0, top).map((h) => `| ${(h.selfShare * 100).toFixed(1)} | ${h.functionName} | ${h.location} |`),
  ];
  return lines.join('\n');
}
