import { chai, expect, Snapshots } from 'vitest'
import { callTreeText, type CallTreeOptions } from '../trace/snapshot.js'
import type { TraceRecord } from '../trace/records.js'
import type { FieldExpectation, FieldsExpectation } from './expectations.js'
import { CallChain, capture } from './chain.js'
import { assertCount, assertName, assertTrace } from './misuse.js'
import { formatComplete } from './toBeComplete.js'
import { evaluateRefusal, formatRefusal, type RefusalExpectation } from './toBeRefused.js'
import { evaluateHistogram, formatHistogram } from './toHaveHistogramEntry.js'
import { evaluateCallOrder, formatCallOrder } from './toCallInOrder.js'
import { evaluateCallTimes, formatCallTimes } from './toCallTimes.js'
import { evaluateEvents, formatEvents } from './toHaveEvent.js'
import { evaluateStack, formatStack } from './toHaveStack.js'
import { evaluateDeepestStack, formatDeepestStack } from './toHaveDeepestStack.js'
import { evaluateReturn, formatReturn } from './toReturnFrom.js'
import type { Trace } from '../trace/trace.js'

export type { FieldExpectation, FieldsExpectation }
export { CallChain }

/** kspec's matchers, as they appear on `expect(trace)`. */
export interface TraceMatchers<R = unknown> {
  /** fn was called; narrow with `.within(parent)` and `.lastingAtMost('200us')`. */
  toCall(fn: string): CallChain
  toCallTimes(fn: string, times: number): R
  toCallInOrder(fns: string[]): R
  toHaveEvent(name: string, fields?: FieldsExpectation): R
  toHaveEventTimes(name: string, times: number, fields?: FieldsExpectation): R
  toHaveStack(frames: string[]): R
  /**
   * The stack tracer's deepest kernel stack (declared with `stackTracer`) holds these
   * frames, innermost first; its size is `trace.state.stack.maxSize`.
   * @example expect(trace).toHaveDeepestStack(['vfs_read', 'ksys_read'])
   */
  toHaveDeepestStack(frames: string[]): R
  /** A kretprobe/uretprobe on fn, or sys_exit_<fn>, returned (value). Not `toReturn`: vitest's spy matcher owns that name. */
  toReturnFrom(fn: string, value?: FieldExpectation): R
  toBeComplete(): R
  /**
   * On a rejection (`await expect(record(decl, w)).rejects.toBeRefused({ … })`): the kernel
   * refused a tracefs write, with the file, errno, error_log message, caret or value given.
   * A skip (a declaration the kernel cannot run) still skips the test.
   */
  toBeRefused(expected?: RefusalExpectation): R
  /**
   * An entry of a histogram trigger's table on `event`, as its `hist` file printed it at the
   * end of the recording, whose key fields (and values) match partially.
   * @example expect(trace).toHaveHistogramEntry('sched:sched_process_exec', { comm: 'cat' }, { hitcount: (n) => Number(n) >= 1 })
   */
  toHaveHistogramEntry(event: string, key?: FieldsExpectation, values?: FieldsExpectation): R
  /**
   * The normalized call tree matches the stored snapshot (`-u` updates it); `perKernel`
   * keeps one snapshot per kernel release, for trees that differ between kernels.
   */
  toMatchCallTreeSnapshot(options?: CallTreeSnapshotOptions): R
  toMatchInlineCallTreeSnapshot(options?: CallTreeSnapshotOptions, snapshot?: string): R
  toMatchInlineCallTreeSnapshot(snapshot?: string): R
}

export interface CallTreeSnapshotOptions extends CallTreeOptions {
  perKernel?: boolean
}

declare module 'vitest' {
  interface Matchers<T = any> extends TraceMatchers<T> {}
}

let installed = false

/** Adds kspec's matchers to vitest's `expect`; importing `kspec` does this once. */
export function installMatchers(): void {
  if (installed) return
  installed = true
  chai.use((c, utils) => {
    utils.addMethod(c.Assertion.prototype, 'toCall', function toCall(this: Chai.AssertionStatic, fn: string) {
      const trace = assertTrace(utils.flag(this, 'object'), 'toCall')
      assertName(fn, 'toCall')
      return new CallChain(trace, fn, Boolean(utils.flag(this, 'negate')), capture(toCall), utils.flag(this, 'vitest-test'), Boolean(utils.flag(this, 'soft')))
    })
  })
  expect.extend({
    toCallTimes(subject: unknown, fn: string, times: number) {
      const trace = assertTrace(subject, 'toCallTimes')
      assertName(fn, 'toCallTimes')
      assertCount(times, 'toCallTimes')
      const r = evaluateCallTimes(trace, fn, times)
      return { pass: r.pass, message: () => formatCallTimes(trace, fn, times, r.calls, this.isNot), actual: r.calls.length, expected: times }
    },
    toCallInOrder(subject: unknown, fns: string[]) {
      const trace = assertTrace(subject, 'toCallInOrder')
      if (!Array.isArray(fns) || fns.length < 2) throw new TypeError('expect(trace).toCallInOrder(): pass an array of at least two function names, e.g. ["getname", "do_filp_open"].')
      fns.forEach((f) => assertName(f, 'toCallInOrder'))
      const r = evaluateCallOrder(trace, fns)
      return { pass: r.pass, message: () => formatCallOrder(trace, fns, r, this.isNot) }
    },
    toHaveEvent(subject: unknown, name: string, fields?: FieldsExpectation) {
      const trace = assertTrace(subject, 'toHaveEvent')
      assertName(name, 'toHaveEvent', 'event name')
      assertFields(fields, 'toHaveEvent')
      const r = evaluateEvents(trace, name, fields)
      return { pass: r.pass, message: () => formatEvents(trace, name, fields, r, this.isNot) }
    },
    toHaveEventTimes(subject: unknown, name: string, times: number, fields?: FieldsExpectation) {
      const trace = assertTrace(subject, 'toHaveEventTimes')
      assertName(name, 'toHaveEventTimes', 'event name')
      assertCount(times, 'toHaveEventTimes')
      assertFields(fields, 'toHaveEventTimes')
      const r = evaluateEvents(trace, name, fields, times)
      return { pass: r.pass, message: () => formatEvents(trace, name, fields, r, this.isNot, times), actual: r.matching.length, expected: times }
    },
    toHaveStack(subject: unknown, frames: string[]) {
      const trace = assertTrace(subject, 'toHaveStack')
      if (!Array.isArray(frames) || frames.length === 0) throw new TypeError('expect(trace).toHaveStack(): pass the frames to find, innermost first, e.g. ["__x64_sys_openat", "do_syscall_64"].')
      frames.forEach((f) => assertName(f, 'toHaveStack', 'frame name'))
      const r = evaluateStack(trace, frames)
      return { pass: r.pass, message: () => formatStack(trace, frames, r, this.isNot) }
    },
    toHaveDeepestStack(subject: unknown, frames: string[]) {
      const trace = assertTrace(subject, 'toHaveDeepestStack')
      if (!Array.isArray(frames) || frames.length === 0) throw new TypeError('expect(trace).toHaveDeepestStack(): pass the frames to find, innermost first, e.g. ["vfs_read", "ksys_read"].')
      frames.forEach((f) => assertName(f, 'toHaveDeepestStack', 'frame name'))
      const r = evaluateDeepestStack(trace, frames)
      return { pass: r.pass, message: () => formatDeepestStack(trace, frames, r, this.isNot) }
    },
    toReturnFrom(subject: unknown, fn: string, value?: FieldExpectation) {
      const trace = assertTrace(subject, 'toReturnFrom')
      assertName(fn, 'toReturnFrom')
      const r = evaluateReturn(trace, fn, value)
      return { pass: r.pass, message: () => formatReturn(trace, fn, value, r, this.isNot) }
    },
    toMatchCallTreeSnapshot(subject: unknown, options: CallTreeSnapshotOptions = {}) {
      const trace = assertTrace(subject, 'toMatchCallTreeSnapshot')
      return Snapshots.toMatchSnapshot.call(this, treeOf(trace, options), kernelHint(trace, options))
    },
    toMatchInlineCallTreeSnapshot(subject: unknown, optionsOrSnapshot?: CallTreeSnapshotOptions | string, snapshot?: string) {
      const trace = assertTrace(subject, 'toMatchInlineCallTreeSnapshot')
      const options = typeof optionsOrSnapshot === 'object' ? optionsOrSnapshot : {}
      const inline = typeof optionsOrSnapshot === 'string' ? optionsOrSnapshot : snapshot
      return Snapshots.toMatchInlineSnapshot.call(this, treeOf(trace, options), inline)
    },
    toHaveHistogramEntry(subject: unknown, event: string, key?: FieldsExpectation, values?: FieldsExpectation) {
      const trace = assertTrace(subject, 'toHaveHistogramEntry')
      const r = evaluateHistogram(trace, event, key, values)
      return { pass: r.pass, message: () => formatHistogram(trace, event, key, values, r, this.isNot) }
    },
    toBeRefused(subject: unknown, expected?: RefusalExpectation) {
      const r = evaluateRefusal(subject, expected)
      return { pass: r.pass, message: () => formatRefusal(expected ?? {}, r, this.isNot) }
    },
    toBeComplete(subject: unknown) {
      const trace = assertTrace(subject, 'toBeComplete')
      return { pass: trace.complete, message: () => formatComplete(trace, this.isNot) }
    },
  })
  expect.addEqualityTesters([recordEquality])
}

/**
 * toEqual on records compares what they say, not their own properties: calls and events
 * keep most of it in getters (columns, lazily parsed fields) that deep equality would skip.
 */
function recordEquality(this: { equals(a: unknown, b: unknown, testers?: unknown[]): boolean }, a: unknown, b: unknown, testers: unknown[]): boolean | undefined {
  const va = recordView(a)
  const vb = recordView(b)
  if (va === undefined || vb === undefined) return undefined
  return this.equals(va, vb, testers)
}

function recordView(r: unknown): object | undefined {
  if (typeof r !== 'object' || r === null || typeof (r as { toJSON?: unknown }).toJSON !== 'function') return undefined
  const rec = r as TraceRecord
  if (rec.kind === 'call') {
    const { line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing, children } = rec
    return { kind: 'call', line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing, parentLine: rec.parent?.line, children }
  }
  if (rec.kind === 'event') {
    const { line, cpu, task, pid, tgid, flags, ts, name, body, fields, probe, stack, userStack } = rec
    return { kind: 'event', line, cpu, task, pid, tgid, flags, ts, name, body, fields, probe, stack, userStack }
  }
  return undefined
}

function assertFields(fields: unknown, matcher: string): void {
  if (fields !== undefined && (typeof fields !== 'object' || fields === null || Array.isArray(fields))) {
    throw new TypeError(`expect(trace).${matcher}(): fields must be an object such as { prev_comm: 'ls' }, got ${JSON.stringify(fields)}.`)
  }
}

function treeOf(trace: Trace, options: CallTreeSnapshotOptions): string {
  if (trace.roots.length === 0) throw new TypeError('expect(trace).toMatchCallTreeSnapshot(): the trace has no call tree; record it with tracer: \'function_graph\'.')
  if (options.depth !== undefined && (!Number.isInteger(options.depth) || options.depth < 0)) throw new TypeError(`expect(trace).toMatchCallTreeSnapshot(): depth must be a whole number ≥ 0, got ${options.depth}.`)
  return callTreeText(trace, options)
}

function kernelHint(trace: Trace, options: CallTreeSnapshotOptions): string | undefined {
  return options.perKernel && trace.kernel ? `kernel ${trace.kernel}` : undefined
}
