import { sameFunction } from '../trace/calls.js'
import type { DeepestStack } from '../trace/state.js'
import type { Trace } from '../trace/trace.js'
import { bounded, layout } from './layout.js'

export interface DeepestStackResult {
  pass: boolean
  stack: DeepestStack
  /** How many of the frames asked for were found, in order. */
  found: number
}

/**
 * The stack tracer's deepest stack holds these frames in this order, innermost first as
 * stack_trace lists them (others may sit between).
 * @example evaluateDeepestStack(trace, ['vfs_read', 'ksys_read']).pass
 */
export function evaluateDeepestStack(trace: Trace, frames: string[]): DeepestStackResult {
  // Nothing to judge is misuse, not a verdict: .not must not pass on it.
  if (trace.state === undefined) throw new TypeError(`expect(trace).toHaveDeepestStack(): ${trace.source} holds no tracing state: the deepest stack is read from a recording (record()), not from a saved trace`)
  const stack = trace.state.stack
  if (stack === undefined) throw new TypeError("expect(trace).toHaveDeepestStack(): this recording did not run the stack tracer; declare it: defineTrace({ …, stackTracer: true }) (or { functions: ['vfs_read'] } for stacks through those)")
  let found = 0
  for (const f of stack.frames) if (found < frames.length && sameFunction(f.function, frames[found])) found++
  return { pass: found === frames.length, stack, found }
}

export function formatDeepestStack(trace: Trace, frames: string[], r: DeepestStackResult, negated: boolean): string {
  const hint = `expect(trace)${negated ? '.not' : ''}.toHaveDeepestStack(${JSON.stringify(frames)})`
  return layout(hint, [
    { label: 'Expected', value: `the deepest stack ${negated ? 'not ' : ''}through ${frames.join(' < ')}` },
    { label: 'Received', value: `${r.stack.frames.length} frames, ${r.stack.maxSize} bytes deep; ${r.found} of the ${frames.length} frames in order` },
    { label: 'Note', value: 'the stack tracer watches every task on the machine: the deepest stack may be another process\'s, unless stackTracer: { functions } limits it' },
  ], [
    'The deepest stack (depth, size, location), innermost first:',
    ...bounded(r.stack.frames, (f) => `  ${frames.some((w) => sameFunction(f.function, w)) ? '✓' : ' '} ${String(f.depth).padStart(6)} ${String(f.size).padStart(5)}  ${f.location}`, 24),
  ], trace)
}
