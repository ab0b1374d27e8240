import { observeCalls, type ObservedCall } from '../trace/calls.js'
import type { Trace } from '../trace/trace.js'
import { describe, where } from './excerpt.js'
import { bounded, layout } from './layout.js'
import { nearest } from '../text.js'

/**
 * Exactly `n` calls of fn (any depth in function_graph, hits of the function tracer, or
 * stacks that hold it).
 */
export function evaluateCallTimes(trace: Trace, fn: string, n: number): { pass: boolean; calls: ObservedCall[] } {
  const { calls } = observeCalls(trace, fn)
  return { pass: calls.length === n, calls }
}

export function formatCallTimes(trace: Trace, fn: string, n: number, calls: ObservedCall[], negated: boolean): string {
  const lines = [
    { label: 'Expected number of calls', value: `${negated ? 'not ' : ''}${n}` },
    { label: 'Received number of calls', value: String(calls.length) },
  ]
  if (calls.length === 0) {
    const near = nearest(fn, trace.names())
    if (near.length) lines.push({ label: 'Did you mean', value: near.join(', ') })
  }
  const excerpt = calls.length ? [`Calls of ${fn}:`, ...bounded(calls, (c, i) => `  ${i}: ${describe(c.record)}  (${where(c.record)})`)] : []
  return layout(`expect(trace)${negated ? '.not' : ''}.toCallTimes(${JSON.stringify(fn)}, ${n})`, lines, excerpt, trace)
}

