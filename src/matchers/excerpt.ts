import type { CallRecord, Origin, TraceRecord } from '../trace/records.js'
import { formatDuration } from './duration.js'

/** `CPU 1  ls-99  2.637223  line 14` — where a record came from. */
export function where(r: Origin): string {
  const parts: string[] = []
  if (r.cpu !== undefined) parts.push(`CPU ${r.cpu}`)
  if (r.task !== undefined) parts.push(r.pid === undefined ? r.task : `${r.task}-${r.pid}`)
  if (r.ts !== undefined) parts.push(String(r.ts))
  parts.push(`line ${r.line}`)
  return parts.join('  ')
}

/** One record as a short line. */
export function describe(r: TraceRecord): string {
  switch (r.kind) {
    case 'function':
      return `${r.func}${r.parent ? ` <-${r.parent}` : ''}`
    case 'event':
      return `${r.name}${r.probe ? ` (${r.probe.at}${r.probe.returnedFrom ? ` <- ${r.probe.returnedFrom}` : ''})` : ''} ${r.body}`.trimEnd()
    case 'marker':
      return `trace_marker: ${r.text}`
    case 'lost':
      return `[LOST ${r.count ?? '?'} EVENTS]`
    case 'call':
      return `${r.name}()${r.duration !== undefined ? ` ${formatDuration(r.duration)}` : ''}`
    case 'switch':
      return `${r.from} => ${r.to}`
    case 'irq':
      return r.enter ? '==========> irq' : '<========== irq'
  }
}

/** The chain of callers of a call, outermost first: `a > b > c`. */
export function callPath(node: CallRecord): string {
  const names: string[] = []
  for (let n: CallRecord | undefined = node; n; n = n.parent) names.push(n.name)
  return names.reverse().join(' > ')
}

/**
 * A call subtree as function_graph prints it, indented, with durations, bounded to
 * `maxLines`; `mark` (the call under discussion) gets `->`.
 */
export function subtree(root: CallRecord, mark?: CallRecord, maxLines = 12): string[] {
  const out: string[] = []
  let hidden = 0
  const visit = (n: CallRecord, depth: number): void => {
    if (out.length >= maxLines) {
      hidden++
    } else {
      const pad = '  '.repeat(depth)
      const text = n.children.length > 0 ? `${n.name}() {` : `${n.name}();`
      const time = n.duration === undefined ? '' : `  ${formatDuration(n.duration)}`
      out.push(`${n === mark ? '->' : '  '} ${pad}${text}${time}`)
    }
    for (const c of n.children) visit(c, depth + 1)
  }
  visit(root, 0)
  if (hidden > 0) out.push(`   … ${hidden} more calls`)
  return out
}

/** The outermost ancestor of a call. */
export function rootOf(node: CallRecord): CallRecord {
  let n = node
  while (n.parent) n = n.parent
  return n
}
