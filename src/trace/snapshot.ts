import { sameFunction } from './calls.js'
import type { CallRecord } from './records.js'
import type { Trace } from './trace.js'

export interface CallTreeOptions {
  /** Only the subtrees rooted at calls of this function. */
  root?: string
  /** Levels below each root to keep (0: the root alone). */
  depth?: number
  /** Keep each distinct tree once, in order of first appearance. */
  unique?: boolean
}

/**
 * A call tree normalized for snapshots: names and nesting only — no durations,
 * addresses, pids, CPUs or timestamps — with runs of identical siblings folded (`×3`).
 * @example callTreeText(trace, { root: '__x64_sys_openat', depth: 2, unique: true })
 */
export function callTreeText(trace: Trace, options: CallTreeOptions = {}): string {
  const roots = options.root === undefined ? trace.roots : trace.callsOf(options.root).filter((c) => !hasAncestor(c, options.root!))
  let trees = roots.map((r) => render(r, 0, options.depth ?? Infinity))
  if (options.unique) trees = [...new Set(trees)]
  return fold(trees).join('\n')
}

function hasAncestor(node: CallRecord, name: string): boolean {
  for (let p = node.parent; p; p = p.parent) if (sameFunction(p.name, name)) return true
  return false
}

function render(node: CallRecord, level: number, depth: number): string {
  const name = node.name
  if (level >= depth || node.children.length === 0) return name
  const children = fold(node.children.map((c) => render(c, level + 1, depth)))
  return [name, ...children.flatMap((c) => c.split('\n').map((l) => `  ${l}`))].join('\n')
}

/** Consecutive identical entries become one, marked `×N` on its first line. */
function fold(items: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < items.length; ) {
    let j = i + 1
    while (j < items.length && items[j] === items[i]) j++
    const n = j - i
    if (n === 1) out.push(items[i])
    else {
      const [first, ...rest] = items[i].split('\n')
      out.push([`${first} ×${n}`, ...rest].join('\n'))
    }
    i = j
  }
  return out
}
