import type { CallRecord, Stack, TraceRecord } from './records.js'
import type { Trace } from './trace.js'

/**
 * Where knowledge of calls comes from, strongest first: function_graph nesting, stack
 * traces (func_stack_trace, the stacktrace option or trigger), the function tracer's
 * direct `<-parent`.
 */
export type CallEvidence = 'graph' | 'stack' | 'parent' | 'none'

/** Compiler clones keep their function's name with a suffix: `syscall_trace_enter.constprop.0`. */
const CLONE = /(\.(constprop|isra|part|cold|llvm|lto_priv)(\.\d+)?)+$/

/**
 * A name as written in a spec matches the function and its compiler clones.
 * @example sameFunction('syscall_trace_enter.constprop.0', 'syscall_trace_enter') // true
 */
export function sameFunction(actual: string, wanted: string): boolean {
  if (actual === wanted) return true
  if (actual.length <= wanted.length || !actual.startsWith(wanted)) return false
  const bare = bareFunction(actual)
  return bare === wanted || bare.replace(CLONE, '') === wanted
}

/**
 * A function name as printed with the sym-offset and sym-addr options, or with its
 * module, reduced to the name: `kernel_clone+0xc0/0x41c <ffffffff8108a0b0>` → `kernel_clone`,
 * `my_probe+0x3c/0x90 [my_mod]` → `my_probe`.
 */
export function bareFunction(s: string): string {
  return s.replace(/ <[0-9a-f]+>$/, '').replace(/ \[[\w-]+\]$/, '').replace(/\+0x[0-9a-f]+\/0x[0-9a-f]+$/, '')
}

/** One observed call of a function, with what is known of its callers. */
export interface ObservedCall {
  record: TraceRecord
  /** Callers known for this call, innermost first; `complete` when the whole path is known. */
  callers: readonly string[]
  complete: boolean
  /** Microseconds, function_graph only. */
  duration: number | undefined
}

export interface CallQuery {
  evidence: CallEvidence
  calls: ObservedCall[]
}

/**
 * All calls of `fn` the trace shows, from its strongest kind of evidence.
 * @example callsOf(trace, 'do_filp_open').calls.filter((c) => c.callers.includes('__x64_sys_openat'))
 */
export function observeCalls(trace: Trace, fn: string): CallQuery {
  if (trace.roots.length > 0) {
    return { evidence: 'graph', calls: trace.callsOf(fn).map(fromGraph) }
  }
  const stacked = trace.withStacks()
  if (stacked.length > 0) {
    const calls: ObservedCall[] = []
    for (const r of stacked) {
      const frames = framesOf(r)
      const at = frames.findIndex((f) => sameFunction(f, fn))
      if (at !== -1) calls.push({ record: r, callers: frames.slice(at + 1), complete: true, duration: undefined })
    }
    return { evidence: 'stack', calls }
  }
  const hits = trace.ofKind('function')
  if (hits.length > 0) {
    const calls = hits
      .filter((r) => sameFunction(r.func, fn))
      .map((r) => ({ record: r, callers: r.parent ? [r.parent] : [], complete: false, duration: undefined }))
    return { evidence: 'parent', calls }
  }
  return { evidence: 'none', calls: [] }
}

function fromGraph(node: CallRecord): ObservedCall {
  const callers: string[] = []
  let complete = true
  for (let n = node.parent; n; n = n.parent) {
    callers.push(n.name)
    if (n.entryMissing) complete = false
  }
  // A root at depth > 0 started before the trace did: its callers are unknown.
  const root = callers.length === 0 ? node : undefined
  if (root && node.depth > 0) complete = false
  return { record: node, callers, complete, duration: node.exitMissing ? undefined : node.duration }
}

/**
 * A record's kernel stack, innermost first, starting at the function itself: the
 * function tracer's own frames (ftrace trampolines, raw addresses) are dropped, and a
 * function record's `func` is put first when the stack does not already start with it.
 */
export function framesOf(r: TraceRecord): Stack {
  const stack = (r as { stack?: Stack }).stack ?? []
  const frames = stack.filter((f) => !/^0x[0-9a-f]+$/.test(f))
  if (r.kind === 'function' && frames[0] !== r.func) return [r.func, ...frames]
  return frames
}
