import { describeLoss, type Trace } from '../trace/trace.js'

/** The number of candidates or excerpt lines a failure shows before `… N more`. */
export const MAX_SHOWN = 5

export interface Line {
  label: string
  value: string
}

/**
 * One layout for every kspec failure: a hint line, a blank line, aligned labels
 * (`Expected:` / `Received:`), then the excerpt, a loss note and the trace's path.
 */
export function layout(hint: string, lines: Line[], excerpt: string[], trace: Trace): string {
  const width = Math.max(...lines.map((l) => l.label.length)) + 1
  const out = [hint, '', ...lines.map((l) => `${(l.label + ':').padEnd(width + 1)}${l.value}`)]
  if (excerpt.length > 0) out.push('', ...excerpt)
  if (!trace.complete) out.push('', lossNote(trace))
  out.push('', `Trace: ${trace.source}`)
  return out.join('\n')
}

/** A verdict over an incomplete trace must say so. */
export function lossNote(trace: Trace): string {
  return `Note: this trace is incomplete (${describeLoss(trace.loss)}); a larger bufferSize or a narrower filter keeps every event.`
}

/** Shows at most MAX_SHOWN items, then `… N more`. */
export function bounded<T>(items: readonly T[], show: (item: T, index: number) => string, max = MAX_SHOWN): string[] {
  const out = items.slice(0, max).map(show)
  if (items.length > max) out.push(`  … ${items.length - max} more`)
  return out
}

/** Close names, for did-you-mean: edit distance ≤ a third of the length, or a shared stem. */
export function nearest(name: string, candidates: Iterable<string>, max = 3): string[] {
  const scored: [string, number][] = []
  for (const c of candidates) {
    const d = distance(name, c)
    if (d <= Math.max(2, Math.floor(name.length / 3)) || (name.length >= 5 && (c.includes(name) || name.includes(c) && c.length >= 5))) {
      scored.push([c, d])
    }
  }
  return scored.sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0])).slice(0, max).map((s) => s[0])
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99
  const row = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1))
      prev = cur
    }
  }
  return row[b.length]
}

export const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`
