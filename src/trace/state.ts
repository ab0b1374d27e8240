import type { Trace } from './trace.js'

/**
 * The kernel's tracing state as a recording left it, read before kspec tore anything down:
 * what an ftrace user checks beside the trace itself (whether a trigger turned tracing off,
 * what a histogram trigger counted).
 */
export interface TracingState {
  /** tracing_on right after the workload, before kspec turned it off: false when a `traceoff` trigger fired. */
  tracingOn: boolean
  /** Each event's histograms (its `hist` file), by the event's full name (`sched:sched_process_exec`). */
  histograms: Record<string, Histogram[]>
  /** The recording's probes as kprobe_events and uprobe_events list them (`p:kspec_1_1/kernel_clone kernel_clone arg1=$stack`). */
  probes: string[]
  /** The function triggers as set_ftrace_filter lists them at the end of the run (`schedule:traceoff:count=0`), when the declaration has any. */
  functionTriggers?: string[]
  /** The snapshot buffer as the run left it, parsed (`snapshot: true`, or a snapshot trigger); empty when nothing took a snapshot. */
  snapshot?: Trace
  /** The stack tracer's deepest kernel stack while the workload ran (`stackTracer` in the declaration). */
  stack?: DeepestStack
}

/**
 * The deepest kernel stack the stack tracer saw (`stack_max_size`, `stack_trace`). The
 * stack tracer watches every task on the machine, so the deepest stack may be another's.
 */
export interface DeepestStack {
  /** Bytes of stack in use at the deepest point (stack_max_size), without the stack tracer's own frame: the innermost frame's depth may exceed it. */
  maxSize: number
  /** Innermost first, as stack_trace lists them. */
  frames: StackFrame[]
}

export interface StackFrame {
  /** Bytes of stack in use from this frame outwards (the Depth column). */
  depth: number
  /** Bytes this frame itself uses (the Size column). */
  size: number
  /** As printed: `vfs_read+0x5/0x1e0`. */
  location: string
  /** The function alone: `vfs_read`. */
  function: string
}

/** One histogram trigger's table, as the event's `hist` file prints it. */
export interface Histogram {
  /** The trigger as the kernel describes it: `hist:keys=comm:vals=hitcount:sort=hitcount:size=2048 [active]`. */
  trigger: string
  entries: HistogramEntry[]
  totals: { hits: number; entries: number; dropped: number }
}

export interface HistogramEntry {
  /** The key's fields: numbers where the kernel printed a number, text otherwise (`comm: cat`; `call_site: [ffffffff8124c0d5] kmalloc_trace+0x25/0x90` keeps its text). */
  key: Record<string, string | number>
  /** The values: `hitcount`, each `vals=` field, and an onmax/onchange action's `max`/`changed`. */
  values: Record<string, number>
  /** The text an onmax/onchange action's `.save(…)` kept with the entry (`next_comm: cyclictest`), printed on the lines under it; its numbers join `values`. */
  saved?: Record<string, string>
}
