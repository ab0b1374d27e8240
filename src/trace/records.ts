/** Who produced a record: the common prefix every ftrace text line carries. */
export interface Origin {
  /** 1-based line in the source text, for messages that point at the file. */
  line: number
  cpu: number | undefined
  task: string | undefined
  pid: number | undefined
  tgid?: number
  /** irq-info flags column as printed (`d..2.`, `DBZff`), absent when the option is off. */
  flags?: string
  /** Timestamp as printed, in the trace clock's unit (seconds for `local`/`global`/`mono`). */
  ts: number | undefined
}

export type Stack = readonly string[]

/** A function tracer line: `func <-parent`. */
export interface FunctionRecord extends Origin {
  kind: 'function'
  func: string
  parent: string | undefined
  /** `+0x4/0xa0` when `sym-offset` is on. */
  offset?: string
  /** The module the function is in (`overlay`), which sym-offset prints after the offset (`+0x0/0x80 [overlay]`). */
  module?: string
  parentOffset?: string
  parentModule?: string
  repeats?: number
  stack?: Stack
  userStack?: Stack
}

/** Where a kprobe/uprobe fired: `(sym+off/size)` or, for return probes, `(a <- b)`. */
export interface ProbeSite {
  at: string
  /** The function a return probe returned from. */
  returnedFrom?: string
}

/** A tracepoint, syscall, kprobe/uprobe or any other event with a body. */
export interface EventRecord extends Origin {
  kind: 'event'
  /** `sched_switch`, `syscalls:sys_enter_openat`, or `group:name` when the group is known. */
  name: string
  /** The text after `name: `. */
  body: string
  probe?: ProbeSite
  /** Fields, typed with the event's `format` when one was supplied. Parsed on first use. */
  readonly fields: Readonly<Record<string, FieldValue>>
  stack?: Stack
  userStack?: Stack
}

export type FieldValue = string | number | bigint

/** A `trace_marker` write. */
export interface MarkerRecord extends Origin {
  kind: 'marker'
  text: string
  stack?: Stack
  userStack?: Stack
}

/** `CPU:N [LOST n EVENTS]`, or trace-cmd's `[EVENTS DROPPED]` (count unknown). */
export interface LostRecord extends Origin {
  kind: 'lost'
  count: number | undefined
}

/**
 * The name of a call known only by a bare `}` (its entry fell out of the buffer, and
 * funcgraph-tail was off): no kernel symbol looks like it, so no matcher mistakes it for one.
 */
export const UNKNOWN_FUNCTION = '(unknown)'

/** A function_graph call: an entry with its exit, a leaf, or a half whose other half is missing. */
export interface CallRecord extends Origin {
  kind: 'call'
  /** The function; UNKNOWN_FUNCTION for an exit whose entry is not in the trace and whose name ftrace did not print (a bare `}`). */
  name: string
  /** Depth as indented by the kernel (0 = outermost shown). */
  depth: number
  /** Microseconds, from the exit line or the leaf. */
  duration: number | undefined
  parent: CallRecord | undefined
  children: CallRecord[]
  /** The entry fell out of the buffer: only the exit was seen. */
  entryMissing: boolean
  /** The trace ended (or was cut) before the exit. */
  exitMissing: boolean
}

/** function_graph's context-switch banner: `cpu) a-1 => b-2`. */
export interface SwitchRecord extends Origin {
  kind: 'switch'
  from: string
  to: string
}

/** function_graph's irq markers `==========>` and `<==========`. */
export interface IrqRecord extends Origin {
  kind: 'irq'
  enter: boolean
}

export type TraceRecord =
  | FunctionRecord
  | EventRecord
  | MarkerRecord
  | LostRecord
  | CallRecord
  | SwitchRecord
  | IrqRecord

export type RecordKind = TraceRecord['kind']

/** A line kspec could not read, kept so nothing disappears silently. */
export interface ParseProblem {
  file: string
  line: number
  text: string
  reason: string
  /** Not an unreadable line: the file ends before all it announced (header count, a .gz ending early). */
  cutShort?: true
}
