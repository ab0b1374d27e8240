import type { TracingState } from './state.js'
import { sameFunction } from './calls.js'
import { globRegExp } from './glob.js'
import type { CallTable } from './calltree.js'
import type { EventTable } from './events.js'
import type { FunctionTable } from './functions.js'
import type { CallRecord, EventRecord, MarkerRecord, ParseProblem, RecordKind, Stack, TraceRecord } from './records.js'

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
  /** The file ends early, by how much unknown (a truncated .gz): why, in words. */
  cutShort?: string
}

/** What was lost, in words: `3 overwritten in the ring buffer, 1 reported as [LOST n EVENTS]`. */
export function describeLoss(l: Loss): string {
  const parts: string[] = []
  if (l.overwritten) parts.push(`${l.overwritten} overwritten in the ring buffer`)
  if (l.lostEvents) parts.push(`${l.lostEvents} reported as [LOST n EVENTS]`)
  if (l.droppedBlocks) parts.push(`${l.droppedBlocks} [EVENTS DROPPED] block(s) of unknown size`)
  if (l.truncatedBy) parts.push(`${l.truncatedBy} missing from a file cut short`)
  if (l.cutShort) parts.push(`the file is cut short: ${l.cutShort}`)
  return parts.join(', ')
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

type Table = EventTable | CallTable | FunctionTable

/** Rows `from` to `to` of a column table (events, calls or function tracer lines), in file order. */
export interface Rows<T extends Table> {
  table: T
  from: number
  to: number
}

/** The records a Trace holds: events, function_graph calls and function tracer lines as rows of their tables, the rest as objects. */
export interface TraceRecords {
  /** Records that are in no table, in file order. */
  objects: TraceRecord[]
  events?: Rows<EventTable>
  calls?: Rows<CallTable>
  functions?: Rows<FunctionTable>
}

const count = (rows: Rows<Table> | undefined): number => (rows === undefined ? 0 : rows.to - rows.from)

/** The rows whose lines lie in [first, last), from `rows`; `last` may be Infinity. */
function rowsWithin<T extends Table>(rows: Rows<T> | undefined, first: number, last: number): Rows<T> | undefined {
  if (rows === undefined) return undefined
  const { table, from, to } = rows
  return { table, from: table.rowAtLine(first, from, to), to: last === Infinity ? to : table.rowAtLine(last, from, to) }
}

/**
 * A parsed trace: its records in file order, the call trees function_graph nesting
 * gives, what is known about loss, and the lines that could not be read. Events and
 * calls stay in their tables until asked for: queries (`eventsNamed`, `ofKind`) make
 * objects for what they return only, and `records` makes them all, once.
 */
export class Trace {
  #callsByName: Map<string, CallRecord[]> | undefined
  #records: TraceRecord[] | undefined
  readonly #held: TraceRecords
  /** The release of the kernel that recorded it (`uname -r`), when kspec recorded it. */
  kernel: string | undefined
  /** The kernel's tracing state the recording left (tracing_on, histograms), when kspec recorded it. */
  state: TracingState | undefined
  constructor(
    readonly source: string,
    readonly header: TraceHeader,
    held: TraceRecords,
    /** function_graph call trees, outermost calls first (or what makes them, on first use). */
    roots: CallRecord[] | (() => CallRecord[]),
    readonly loss: Loss,
    readonly problems: ParseProblem[],
    readonly graphGaps: { entriesMissing: number; exitsMissing: number },
  ) {
    this.#held = held
    this.#roots = roots
  }

  #roots: CallRecord[] | (() => CallRecord[])

  /** function_graph call trees, outermost calls first. */
  get roots(): CallRecord[] {
    if (typeof this.#roots === 'function') this.#roots = this.#roots()
    return this.#roots
  }

  /** Every record, in file order: the tables' rows and the other records merged by line. */
  get records(): TraceRecord[] {
    if (this.#records === undefined) {
      const { objects, events, calls, functions } = this.#held
      this.#records = count(events) + count(calls) + count(functions) === 0 ? objects : merged(objects, [events, calls, functions])
    }
    return this.#records
  }

  /** How many events the trace holds, without making their records. */
  get eventCount(): number {
    return count(this.#held.events)
  }

  /** How many function_graph calls the trace holds, without making their records. */
  get callCount(): number {
    return count(this.#held.calls)
  }

  /** Total number of events known lost (not counting trace-cmd blocks of unknown size). */
  get lost(): number {
    return this.loss.overwritten + this.loss.lostEvents + this.loss.truncatedBy
  }

  get complete(): boolean {
    return this.lost === 0 && this.loss.droppedBlocks === 0 && !this.loss.cutShort
  }

  /** How many records (events, calls, function tracer lines, others) the trace holds, without making them. */
  get recordCount(): number {
    const h = this.#held
    return h.objects.length + count(h.events) + count(h.calls) + count(h.functions)
  }

  ofKind<K extends RecordKind>(kind: K): Extract<TraceRecord, { kind: K }>[] {
    if (kind === 'event') return this.#events(() => true) as Extract<TraceRecord, { kind: K }>[]
    if (kind === 'call') {
      const calls = this.#held.calls
      const out: TraceRecord[] = []
      if (calls !== undefined) for (let i = calls.from; i < calls.to; i++) out.push(calls.table.view(i))
      return out as Extract<TraceRecord, { kind: K }>[]
    }
    const objects = this.#held.objects.filter((r) => r.kind === kind)
    if (kind === 'function') return merged(objects, [this.#held.functions]) as Extract<TraceRecord, { kind: K }>[]
    return objects as Extract<TraceRecord, { kind: K }>[]
  }

  /** Records that carry a kernel stack, in file order. */
  withStacks(): TraceRecord[] {
    const { objects, events, functions } = this.#held
    const stacked = objects.filter((r) => (r as { stack?: Stack }).stack !== undefined)
    const rows: TraceRecord[] = []
    for (const held of [events, functions]) {
      if (held === undefined || held.table.stacks.size === 0) continue
      const { table, from, to } = held
      for (const row of table.stacks.keys()) if (row >= from && row < to) rows.push(table.view(row))
    }
    return rows.length === 0 ? stacked : [...stacked, ...rows].sort((a, b) => a.line - b.line)
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
    return this.#events(eventMatcher(pattern))
  }

  /** Each event name the trace holds, with how many events carry it, in order of first appearance. */
  eventNames(): Map<string, number> {
    const counts = new Map<string, number>()
    if (this.#held.events === undefined) return counts
    const { table, from, to } = this.#held.events
    const byId: number[] = []
    for (let i = from; i < to; i++) byId[table.name[i]] = (byId[table.name[i]] ?? 0) + 1
    for (let i = from; i < to; i++) {
      const id = table.name[i]
      if (byId[id] !== 0) counts.set(table.strings[id], byId[id])
      byId[id] = 0
    }
    return counts
  }

  /** Events whose name passes `match`, each name tested once. */
  #events(match: (name: string) => boolean): EventRecord[] {
    const out: EventRecord[] = []
    if (this.#held.events === undefined) return out
    const { table, from, to } = this.#held.events
    const verdict: (boolean | undefined)[] = []
    for (let i = from; i < to; i++) {
      const id = table.name[i]
      let ok = verdict[id]
      if (ok === undefined) verdict[id] = ok = match(table.strings[id])
      if (ok) out.push(table.view(i))
    }
    return out
  }

  /**
   * The records between two trace_marker writes (exclusive), as a Trace of their own:
   * to assert on one fenced step of a workload.
   * @example expect(trace.between('step: open', 'step: done')).toHaveEvent('syscalls:sys_enter_openat')
   */
  between(startText: string, endText?: string): Trace {
    const { objects, events, calls, functions } = this.#held
    const markers = objects.filter((r): r is MarkerRecord => r.kind === 'marker')
    const start = markers.find((r) => r.text === startText)
    if (start === undefined) throw new TypeError(`trace.between(): no trace_marker write "${startText}" in ${this.source}; markers seen: ${JSON.stringify(markers.map((r) => r.text).slice(0, 5))}`)
    const end = endText === undefined ? undefined : markers.find((r) => r.line > start.line && r.text === endText)
    if (endText !== undefined && end === undefined) throw new TypeError(`trace.between(): no trace_marker write "${endText}" after "${startText}" in ${this.source}`)
    const last = end?.line ?? Infinity
    const inside = (r: { line: number }): boolean => r.line > start.line && r.line < last
    const held = { objects: objects.filter(inside), events: rowsWithin(events, start.line + 1, last), calls: rowsWithin(calls, start.line + 1, last), functions: rowsWithin(functions, start.line + 1, last) }
    const part = new Trace(this.source, this.header, held, this.roots.filter(inside), this.loss, this.problems, this.graphGaps)
    part.kernel = this.kernel
    part.state = this.state
    return part
  }

  /** Names of all call-tree functions, function-tracer functions and events, for did-you-mean. */
  names(): Set<string> {
    const out = new Set<string>()
    this.callsOf('')
    for (const k of this.#callsByName!.keys()) if (k) out.add(k)
    for (const r of this.#held.objects) if (r.kind === 'function') out.add(r.func)
    const functions = this.#held.functions
    if (functions !== undefined) for (let i = functions.from; i < functions.to; i++) out.add(functions.table.strings[functions.table.func[i]])
    for (const name of this.eventNames().keys()) out.add(name)
    return out
  }
}

/** Objects (in file order) and the tables' rows, merged by line into records. */
function merged(objects: readonly TraceRecord[], tables: (Rows<Table> | undefined)[]): TraceRecord[] {
  const held = tables.filter((t): t is Rows<Table> => t !== undefined && t.to > t.from)
  const next = held.map((t) => t.from)
  const n = objects.length + held.reduce((a, t) => a + t.to - t.from, 0)
  const out: TraceRecord[] = new Array(n)
  let o = 0
  for (let k = 0; k < n; k++) {
    let best = -1
    let bestLine = o < objects.length ? objects[o].line : Infinity
    for (let t = 0; t < held.length; t++) {
      const line = next[t] < held[t].to ? held[t].table.line[next[t]] : Infinity
      if (line < bestLine) {
        best = t
        bestLine = line
      }
    }
    out[k] = best === -1 ? objects[o++] : held[best].table.view(next[best]++)
  }
  return out
}

/** `sched_switch` matches `sched:sched_switch`; `*` and `?` are globs. */
export function eventMatcher(pattern: string): (name: string) => boolean {
  if (/[*?]/.test(pattern)) {
    const re = globRegExp(pattern)
    return (name) => re.test(name) || re.test(name.slice(name.indexOf(':') + 1))
  }
  if (pattern.includes(':')) {
    const bare = pattern.slice(pattern.indexOf(':') + 1)
    return (name) => name === pattern || (!name.includes(':') && name === bare)
  }
  return (name) => name === pattern || name.slice(name.indexOf(':') + 1) === pattern
}
