import type { RecordKind } from './records.js'
import type { Trace } from './trace.js'

export interface TraceSummary {
  source: string
  tracer: string | undefined
  records: number
  byKind: Partial<Record<RecordKind, number>>
  entries: { read: number; inBuffer: number | undefined; written: number | undefined }
  cpus: number[]
  tasks: number
  span: { first: number; last: number } | undefined
  lost: number
  complete: boolean
  graph: { roots: number; entriesMissing: number; exitsMissing: number } | undefined
  top: { name: string; count: number }[]
  /** Lines that are not ftrace output kspec knows. */
  problems: number
  /** Why the file is known to end early (its header announced more entries, or its .gz ends early). */
  cutShort?: string
}

/**
 * What a trace holds, at a glance: for `kspec parse` and for golden tests.
 * @example summarize(await loadTrace('trace.txt')).byKind.event
 */
export function summarize(trace: Trace, topN = 5): TraceSummary {
  const byKind: Partial<Record<RecordKind, number>> = {}
  const cpus = new Set<number>()
  const tasks = new Set<string>()
  const counts = new Map<string, number>()
  let first = Infinity
  let last = -Infinity
  const count = (name: string): void => void counts.set(name, (counts.get(name) ?? 0) + 1)
  for (const r of trace.records) {
    byKind[r.kind] = (byKind[r.kind] ?? 0) + 1
    if (r.cpu !== undefined) cpus.add(r.cpu)
    if (r.task !== undefined) tasks.add(`${r.task}-${r.pid}`)
    if (r.ts !== undefined) {
      if (r.ts < first) first = r.ts
      if (r.ts > last) last = r.ts
    }
    if (r.kind === 'function') count(r.func)
    else if (r.kind === 'event') count(r.name)
  }
  if (trace.roots.length > 0) for (const [name, n] of callCounts(trace)) counts.set(name, n)
  const cutShort = trace.problems.find((p) => p.cutShort)?.reason
  const top = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, topN).map(([name, count]) => ({ name, count }))
  return {
    source: trace.source,
    tracer: trace.header.tracer,
    records: trace.records.length,
    byKind,
    entries: { read: trace.header.entriesRead, inBuffer: trace.header.entriesInBuffer, written: trace.header.entriesWritten },
    cpus: [...cpus].sort((a, b) => a - b),
    tasks: tasks.size,
    span: first <= last ? { first, last } : undefined,
    lost: trace.lost,
    complete: trace.complete,
    graph: trace.roots.length > 0 || trace.graphGaps.entriesMissing > 0 ? { roots: trace.roots.length, ...trace.graphGaps } : undefined,
    top,
    problems: trace.problems.filter((p) => !p.cutShort).length,
    ...(cutShort ? { cutShort } : {}),
  }
}

function callCounts(trace: Trace): Map<string, number> {
  const counts = new Map<string, number>()
  for (const r of trace.ofKind('call')) if (r.name) counts.set(r.name, (counts.get(r.name) ?? 0) + 1)
  return counts
}
