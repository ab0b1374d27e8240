import { observeCalls } from '../trace/calls.js'
import type { TraceRecord } from '../trace/records.js'
import type { Trace } from '../trace/trace.js'
import { describe, where } from './excerpt.js'
import { layout } from './layout.js'

export interface OrderResult {
  pass: boolean
  /** The call matched for each name, as far as the order held. */
  matched: TraceRecord[]
  /** Index of the first name that could not be found after the previous one. */
  brokenAt: number
  /** For the name that broke the order: its first call anywhere, if any. */
  firstOfBroken: TraceRecord | undefined
}

/** Position in time: tracefs prints records merged by time, so file order is time order. */
const at = (r: TraceRecord): number => r.line

/**
 * The functions were called in this order: some call of each comes after the matched
 * call of the one before it (a subsequence, other calls may interleave).
 */
export function evaluateCallOrder(trace: Trace, names: string[]): OrderResult {
  const matched: TraceRecord[] = []
  let after = -Infinity
  for (let i = 0; i < names.length; i++) {
    const calls = observeCalls(trace, names[i]).calls.map((c) => c.record).sort((a, b) => at(a) - at(b))
    const next = calls.find((r) => at(r) > after)
    if (!next) return { pass: false, matched, brokenAt: i, firstOfBroken: calls[0] }
    matched.push(next)
    after = at(next)
  }
  return { pass: true, matched, brokenAt: -1, firstOfBroken: undefined }
}

export function formatCallOrder(trace: Trace, names: string[], r: OrderResult, negated: boolean): string {
  const hint = `expect(trace)${negated ? '.not' : ''}.toCallInOrder(${JSON.stringify(names)})`
  const excerpt = r.matched.map((rec, i) => `  ${i}: ${names[i]}: ${describe(rec)}  (${where(rec)})`)
  if (!r.pass) {
    const broken = names[r.brokenAt]
    excerpt.push(r.firstOfBroken ? `->${r.brokenAt}: ${broken}: only before that, first at ${where(r.firstOfBroken)}` : `->${r.brokenAt}: ${broken}: never called`)
  }
  return layout(hint, [
    { label: 'Expected', value: `${negated ? 'not ' : ''}${names.join(' → ')}` },
    { label: 'Received', value: r.pass ? 'in that order' : `order holds up to ${r.brokenAt === 0 ? 'nothing' : names[r.brokenAt - 1]}, then ${names[r.brokenAt]} ${r.firstOfBroken ? 'comes only earlier' : 'is never called'}` },
  ], ['Calls matched in order:', ...excerpt], trace)
}
