import { observeCalls, sameFunction, type CallEvidence, type ObservedCall } from '../trace/calls.js'
import type { CallRecord } from '../trace/records.js'
import type { Trace } from '../trace/trace.js'
import { callPath, describe, rootOf, subtree, where } from './excerpt.js'
import { bounded, layout, type Line } from './layout.js'
import { nearest, plural } from '../text.js'
import { formatDuration } from './duration.js'

export interface ToCallSpec {
  fn: string
  parent?: string
  /** Budget in microseconds for every matching call. */
  atMost?: number
}

export interface ToCallResult {
  pass: boolean
  /** False when the trace can neither prove nor disprove the claim. */
  decided: boolean
  evidence: CallEvidence
  calls: ObservedCall[]
  /** Calls of fn inside parent (all calls when no parent is asked for). */
  matching: ObservedCall[]
  /** Matching calls over the budget. */
  overBudget: ObservedCall[]
  /** Why the trace cannot decide, and what would. */
  undecidedBecause?: string
}

const EVIDENCE: Record<CallEvidence, string> = {
  graph: 'function_graph nesting',
  stack: 'stack traces',
  parent: 'function tracer <-parent',
  none: 'no function calls in the trace',
}

/**
 * Was fn called (inside parent, within a time budget)? Pure: trace in, verdict and
 * evidence out.
 * @example evaluateToCall(trace, { fn: 'do_filp_open', parent: '__x64_sys_openat' }).pass
 */
export function evaluateToCall(trace: Trace, spec: ToCallSpec): ToCallResult {
  const { evidence, calls } = observeCalls(trace, spec.fn)
  const matching = spec.parent === undefined ? calls : calls.filter((c) => c.callers.some((f) => sameFunction(f, spec.parent!)))
  const result: ToCallResult = { pass: false, decided: true, evidence, calls, matching, overBudget: [] }
  if (spec.parent !== undefined && matching.length === 0 && calls.some((c) => !c.complete)) {
    result.decided = false
    result.undecidedBecause =
      evidence === 'parent'
        ? `the function tracer shows only each call's direct caller, so nesting deeper than one level cannot be seen. Record with tracer: 'function_graph' (graphFunctions: ['${spec.parent}']) or funcStackTrace: true to see the whole call path.`
        : `some calls of ${spec.fn} started before the trace did (their callers fell out of the buffer). Use a larger bufferSize or filter with graphFunctions: ['${spec.parent}'].`
    return result
  }
  if (spec.atMost !== undefined) {
    if (evidence !== 'graph' && matching.length > 0) {
      result.decided = false
      result.undecidedBecause = `durations come only from function_graph; this trace has ${EVIDENCE[evidence]}. Record with tracer: 'function_graph'.`
      return result
    }
    result.overBudget = matching.filter((c) => c.duration !== undefined && c.duration > spec.atMost!)
    const timed = matching.filter((c) => c.duration !== undefined)
    result.pass = timed.length > 0 && result.overBudget.length === 0
    if (matching.length > 0 && timed.length === 0) {
      result.decided = false
      result.undecidedBecause = `no call of ${spec.fn} has a known duration (their exits are missing from the trace).`
    }
    return result
  }
  result.pass = matching.length > 0
  return result
}

/** `expect(trace).not.toCall(fn).within(parent).lastingAtMost('200us')` */
export function hintOf(spec: ToCallSpec & { budget?: string }, negated: boolean): string {
  let hint = `expect(trace)${negated ? '.not' : ''}.toCall(${JSON.stringify(spec.fn)})`
  if (spec.parent !== undefined) hint += `.within(${JSON.stringify(spec.parent)})`
  if (spec.budget !== undefined) hint += `.lastingAtMost(${JSON.stringify(spec.budget)})`
  return hint
}

/** The failure message for a result, in the shared layout. */
export function formatToCall(trace: Trace, spec: ToCallSpec & { budget?: string }, r: ToCallResult, negated: boolean): string {
  const hint = hintOf(spec, negated)
  const evidence = `(evidence: ${EVIDENCE[r.evidence]})`
  const inside = spec.parent === undefined ? '' : ` inside ${spec.parent}`
  if (!r.decided) {
    return layout(hint, [
      { label: 'Expected', value: `${spec.fn}${negated ? ' never' : ''} called${inside}${spec.budget ? `, each call ≤ ${spec.budget}` : ''}` },
      { label: 'Received', value: `${plural(r.calls.length, 'call')} of ${spec.fn}, undecidable ${evidence}` },
      { label: 'Because', value: r.undecidedBecause! },
    ], callExcerpt(r.calls, r.evidence), trace)
  }
  const lines: Line[] = []
  let excerpt: string[]
  if (negated) {
    const shown = spec.atMost !== undefined ? r.matching.filter((c) => c.duration !== undefined) : r.matching
    lines.push({ label: 'Expected', value: spec.atMost !== undefined ? `some call of ${spec.fn}${inside} to exceed ${spec.budget}` : `${spec.fn} never called${inside}` })
    lines.push({ label: 'Received', value: `${plural(shown.length, 'call')}${inside} ${evidence}` })
    excerpt = callExcerpt(shown, r.evidence)
  } else if (r.calls.length === 0) {
    lines.push({ label: 'Expected', value: `${spec.fn} called at least once${inside}` })
    lines.push({ label: 'Received', value: `0 calls ${evidence}` })
    const near = nearest(spec.fn, trace.names())
    if (near.length > 0) lines.push({ label: 'Did you mean', value: near.join(', ') })
    excerpt = r.evidence === 'none' ? recordsSeen(trace) : seenInstead(trace, r.evidence)
  } else if (r.matching.length === 0) {
    lines.push({ label: 'Expected', value: `${spec.fn} called${inside}` })
    lines.push({ label: 'Received', value: `${plural(r.calls.length, 'call')} of ${spec.fn}, none${inside} ${evidence}` })
    const callers = [...new Set(r.calls.map((c) => c.callers[c.callers.length - 1] ?? '(top)'))]
    lines.push({ label: 'Called from', value: callers.slice(0, 5).join(', ') + (callers.length > 5 ? `, … ${callers.length - 5} more` : '') })
    excerpt = callExcerpt(r.calls, r.evidence)
  } else {
    const timed = r.matching.filter((c) => c.duration !== undefined)
    const worst = timed.reduce((a, c) => Math.max(a, c.duration!), 0)
    lines.push({ label: 'Expected', value: `every call of ${spec.fn}${inside} ≤ ${spec.budget}` })
    lines.push({ label: 'Received', value: `${r.overBudget.length} of ${plural(timed.length, 'call')} over budget, longest ${formatDuration(worst)}` })
    excerpt = callExcerpt([...r.overBudget].sort((a, b) => b.duration! - a.duration!), r.evidence)
  }
  return layout(hint, lines, excerpt, trace)
}

/** The nearest evidence: for graphs, the call subtree around the first call. */
function callExcerpt(calls: ObservedCall[], evidence: CallEvidence): string[] {
  if (calls.length === 0) return []
  if (evidence === 'graph') {
    const first = calls[0].record as CallRecord
    return [
      `Calls (${calls.length}):`,
      ...bounded(calls, (c, i) => `  ${i}: ${callPath(c.record as CallRecord)}${c.duration !== undefined ? `  ${formatDuration(c.duration)}` : ''}  (${where(c.record)})`),
      '',
      `Call tree of the first (${where(first)}):`,
      ...subtree(rootOf(first), first),
    ]
  }
  return [
    `Calls (${calls.length}):`,
    ...bounded(calls, (c, i) => `  ${i}: ${describe(c.record)}${c.callers.length ? `  called from ${c.callers.slice(0, 6).join(' < ')}${c.callers.length > 6 ? ' < …' : ''}` : ''}  (${where(c.record)})`),
  ]
}

/** What the trace did call, when fn is absent: the first call trees or function lines. */
function seenInstead(trace: Trace, evidence: CallEvidence): string[] {
  if (evidence === 'graph') {
    return ['Call tree seen first:', ...subtree(trace.roots[0], undefined, 8), ...(trace.roots.length > 1 ? [`   … ${trace.roots.length - 1} more call trees`] : [])]
  }
  return recordsSeen(trace)
}

function recordsSeen(trace: Trace): string[] {
  if (trace.records.length === 0) return ['The trace holds no records.']
  return ['Records seen first:', ...bounded(trace.records, (r, i) => `  ${i}: ${describe(r)}  (${where(r)})`)]
}
