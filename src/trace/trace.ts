import { sameFunction } from './calls.js'
import type { CallRecord, EventRecord, ParseProblem, RecordKind, TraceRecord } from './records.js'

/** What the header and the text itself say about events that did not make it into the trace. */
export interface Loss {
  /** entries-written − entries-in-buffer: overwritten in the ring buffer. */
  overwritten: number
  /** Sum of `CPU:N [LOST n EVENTS]`. */
  lostEvents: number
  /** trace-cmd's `[EVENTS DROPPED]` lines, whose count is unknown. */
  droppedBlocks: number
  /** The file holds fewer entries than its header announces. */
  truncatedBy: number
}

export interface TraceHeader {
  tracer: string | undefined
  entriesInBuffer: number | undefined
  entriesWritten: number | undefined
  cpus: number | undefined
  latencyFormat: boolean
  /** trace-cmd report text rather than a tracefs `trace` file. */
  traceCmd: boolean
  /** Entries actually read (records plus stack blocks), to set against entriesInBuffer. */
  entriesRead: number
}

/**
 * A parsed trace: its records in file order, the call trees function_graph nesting
 * gives, what is known about loss, and the lines that could not be read.
 */
export class Trace {
  #callsByName: Map<string, CallRecord[]> | undefined
  constructor(
    readonly source: string,
    readonly header: TraceHeader,
    readonly records: TraceRecord[],
    /** function_graph call trees, outermost calls first. */
    readonly roots: CallRecord[],
    readonly loss: Loss,
    readonly problems: ParseProblem[],
    readonly graphGaps: { entriesMissing: number; exitsMissing: number },
  ) {}

  /** Total number of events known lost (not counting trace-cmd blocks of unknown size). */
  get lost(): number {
    return this.loss.overwritten + this.loss.lostEvents + this.loss.truncatedBy
  }

  get complete(): boolean {
    return this.lost === 0 && this.loss.droppedBlocks === 0
  }

  ofKind<K extends RecordKind>(kind: K): Extract<TraceRecord, { kind: K }>[] {
    return this.records.filter((r) => r.kind === kind) as Extract<TraceRecord, { kind: K }>[]
  }

  /** Every function_graph call of `name`, at any depth. */
  callsOf(name: string): CallRecord[] {
    if (this.#callsByName === undefined) {
      const index = new Map<string, CallRecord[]>()
      const walk = (nodes: CallRecord[]): void => {
        for (const n of nodes) {
          let list = index.get(n.name)
          if (list === undefined) index.set(n.name, (list = []))
          list.push(n)
          if (n.children.length > 0) walk(n.children)
        }
      }
      walk(this.roots)
      this.#callsByName = index
    }
    const exact = this.#callsByName.get(name) ?? []
    // Compiler clones (`f.constprop.0`, `f.isra.0`) are calls of f too.
    const clones = [...this.#callsByName.keys()].filter((k) => k !== name && sameFunction(k, name))
    return clones.length === 0 ? exact : [...exact, ...clones.flatMap((k) => this.#callsByName!.get(k)!)].sort((a, b) => a.line - b.line)
  }

  /** Events whose name matches: exact, without its system (`sched_switch`), or a glob (`sched:*`). */
  eventsNamed(pattern: string): EventRecord[] {
    const match = eventMatcher(pattern)
    return this.records.filter((r): r is EventRecord => r.kind === 'event' && match(r.name))
  }

  /**
   * The records between two trace_marker writes (exclusive), as a Trace of their own:
   * to assert on one fenced step of a workload.
   * @example expect(trace.between('step: open', 'step: done')).toHaveEvent('syscalls:sys_enter_openat')
   */
  between(startText: string, endText?: string): Trace {
    const start = this.records.findIndex((r) => r.kind === 'marker' && r.text === startText)
    if (start === -1) throw new TypeError(`trace.between(): no trace_marker write "${startText}" in ${this.source}; markers seen: ${JSON.stringify(this.records.filter((r) => r.kind === 'marker').map((r) => (r as { text: string }).text).slice(0, 5))}`)
    let end = endText === undefined ? this.records.length : this.records.findIndex((r, i) => i > start && r.kind === 'marker' && r.text === endText)
    if (end === -1) throw new TypeError(`trace.between(): no trace_marker write "${endText}" after "${startText}" in ${this.source}`)
    const records = this.records.slice(start + 1, end)
    const roots = this.roots.filter((r) => r.line > this.records[start].line && (end >= this.records.length || r.line < this.records[end].line))
    return new Trace(this.source, this.header, records, roots, this.loss, this.problems, this.graphGaps)
  }

  /** Names of all call-tree functions, function-tracer functions and events, for did-you-mean. */
  names(): Set<string> {
    const out = new Set<string>()
    this.callsOf('')
    for (const k of this.#callsByName!.keys()) if (k) out.add(k)
    for (const r of this.records) {
      if (r.kind === 'function') out.add(r.func)
      else if (r.kind === 'event') out.add(r.name)
    }
    return out
  }
}

/** `sched_switch` matches `sched:sched_switch`; `*` and `?` are globs. */
export function eventMatcher(pattern: string): (name: string) => boolean {
  if (/[*?]/.test(pattern)) {
    const re = new RegExp('^' + pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.') + '$')
    return (name) => re.test(name) || re.test(name.slice(name.indexOf(':') + 1))
  }
  if (pattern.includes(':')) {
    const bare = pattern.slice(pattern.indexOf(':') + 1)
    return (name) => name === pattern || (!name.includes(':') && name === bare)
  }
  return (name) => name === pattern || name.slice(name.indexOf(':') + 1) === pattern
}
