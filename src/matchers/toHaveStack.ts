import { framesOf, sameFunction } from '../trace/calls.js'
import type { Stack, TraceRecord } from '../trace/records.js'
import type { Trace } from '../trace/trace.js'
import { describe, where } from './excerpt.js'
import { bounded, layout } from './layout.js'

export interface StackResult {
  pass: boolean
  stacks: TraceRecord[]
  matching: TraceRecord[]
}

/**
 * Some kernel stack holds these frames in this order, innermost first as ftrace prints
 * them (others may sit between).
 * @example evaluateStack(trace, ['__x64_sys_openat', 'do_syscall_64']).pass
 */
export function evaluateStack(trace: Trace, frames: string[]): StackResult {
  const stacks = trace.withStacks()
  const matching = stacks.filter((r) => isSubsequence(frames, framesOf(r)))
  return { pass: matching.length > 0, stacks, matching }
}

function isSubsequence(want: string[], have: Stack): boolean {
  return overlap(want, have) === want.length
}

function overlap(want: string[], have: Stack): number {
  let i = 0
  for (const f of have) if (i < want.length && sameFunction(f, want[i])) i++
  return i
}

export function formatStack(trace: Trace, frames: string[], r: StackResult, negated: boolean): string {
  const hint = `expect(trace)${negated ? '.not' : ''}.toHaveStack(${JSON.stringify(frames)})`
  if (r.stacks.length === 0) {
    return layout(hint, [
      { label: 'Expected', value: `a stack with ${frames.join(' < ')}` },
      { label: 'Received', value: 'no stack traces in the trace' },
      { label: 'Because', value: "stacks are recorded only when asked for: funcStackTrace: true with the function tracer, or options: { stacktrace: true } / a 'stacktrace' trigger on events." },
    ], [], trace)
  }
  const shown = negated ? r.matching : [...r.stacks].sort((a, b) => overlap(frames, framesOf(b)) - overlap(frames, framesOf(a)))
  const best = shown[0]
  return layout(hint, [
    { label: 'Expected', value: `${negated ? 'no' : 'a'} stack with ${frames.join(' < ')}` },
    { label: 'Received', value: `${r.matching.length} of ${r.stacks.length} stacks match` },
  ], [
    `${negated ? 'Matching' : 'Nearest'} stack (${describe(best)}, ${where(best)}):`,
    ...bounded(framesOf(best), (f) => `  ${frames.some((w) => sameFunction(f, w)) ? '✓' : ' '} ${f}`, 12),
  ], trace)
}
