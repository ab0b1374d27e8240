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
function lossNote(trace: Trace): string {
  return `Note: this trace is incomplete (${describeLoss(trace.loss)}); a larger bufferSize or a narrower filter keeps every event.`
}

/** Shows at most MAX_SHOWN items, then `… N more`. */
export function bounded<T>(items: readonly T[], show: (item: T, index: number) => string, max = MAX_SHOWN): string[] {
  const out = items.slice(0, max).map(show)
  if (items.length > max) out.push(`  … ${items.length - max} more`)
  return out
}
