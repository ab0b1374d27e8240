import { EventTable } from '../trace/events.js'
import { EventNames, FormatBook, probeSite, type EventShape } from './event.js'
import { keyValuesInto, parseFields, retValue, syscallArgsInto } from './body-fields.js'
import type { EventFormat, FieldFormat } from './format.js'
import type { FieldValue } from '../trace/records.js'
import { NameTable } from './name-table.js'
import { ENTER, EXIT, PLAIN, SITE, TASK, type ScannerHost } from './scanner.js'

const RET = ['ret']
/** The fields of the wakeup tracers' scheduler entries, as the formats of ftrace's `wakeup` and `context_switch` events name them. */
const SCHED_KEYS = ['prev_pid', 'prev_prio', 'prev_state', 'next_cpu', 'next_pid', 'next_prio', 'next_state', 'next_comm']

/**
 * A scheduler entry's values and places in its text (states: one character; comm from =
 * to: none; body: the entry without the space before it).
 */
export interface SchedEntry {
  wakeup: boolean
  prevPid: number
  prevPrio: number
  prevState: number
  nextCpu: number
  nextPid: number
  nextPrio: number
  nextState: number
  commFrom: number
  commTo: number
  bodyFrom: number
  bodyTo: number
}

export function newSchedEntry(): SchedEntry {
  return { wakeup: false, prevPid: 0, prevPrio: 0, prevState: 0, nextCpu: 0, nextPid: 0, nextPrio: 0, nextState: 0, commFrom: 0, commTo: 0, bodyFrom: 0, bodyTo: 0 }
}
/**
 * The wakeup tracers' own scheduler entries (ftrace's `context_switch` and `wakeup`
 * events, kept from the old sched_switch tracer), printed as
 * `      0:120:R ==> [003]   312:100:R kworker/3:1H` (`+` for a wakeup): read as those
 * events, with the field names of their formats and the next task's name.
 */
const SCHED_ENTRY = /^(\s*)(\d+):\s*(\d+):(\S)\s+(\+|==>)\s+\[(\d+)\]\s+(\d+):\s*(\d+):(\S)(?:\s+(.*))?$/d

/** The scheduler entry `s[from, to)` into `out` (the scanner's schedAt reads the same), or undefined. */
export function readSchedEntry(s: string, from: number, to: number, out: SchedEntry): SchedEntry | undefined {
  const m = SCHED_ENTRY.exec(s.slice(from, to))
  if (m === null) return undefined
  const [, space, prevPid, prevPrio, , arrow, cpu, nextPid, nextPrio, , comm = ''] = m
  const at = m.indices!
  const trimmed = comm.trimEnd()
  out.wakeup = arrow === '+'
  out.prevPid = Number(prevPid)
  out.prevPrio = Number(prevPrio)
  out.prevState = from + at[4][0]
  out.nextCpu = Number(cpu)
  out.nextPid = Number(nextPid)
  out.nextPrio = Number(nextPrio)
  out.nextState = from + at[9][0]
  out.commFrom = trimmed === '' ? to : from + at[10]![0]
  out.commTo = trimmed === '' ? to : out.commFrom + trimmed.length
  out.bodyFrom = from + space.length
  out.bodyTo = to
  return out
}

/** A scheduler entry's fields, read from its body (the entry as printed) when asked for. */
function schedFields(body: string): FieldValue[] {
  const e = readSchedEntry(body, 0, body.length, newSchedEntry())
  if (e === undefined) return []
  const values: FieldValue[] = [e.prevPid, e.prevPrio, body[e.prevState], e.nextCpu, e.nextPid, e.nextPrio, body[e.nextState]]
  if (e.commTo > e.commFrom) values.push(body.slice(e.commFrom, e.commTo))
  return values
}

/** Lines of one event name in a row that its learned keys did not take before it stops being tried. */
const KV_MISSES = 16

/**
 * Events into the event table as the parser finds them: their full names, the formats
 * that type them, and their fields typed at once. A syscall's argument list is learned
 * from its first event, and later events are read against it.
 */
export class EventRows {
  readonly formats = new FormatBook()
  readonly table: EventTable
  readonly names: EventNames
  readonly retLayout: number
  /** The text the last event's body stands in, and its chunk in the table. */
  #chunk: string | undefined
  #chunkIndex = -1
  /** Per event name id: its format (null: none), and the layout learned of its syscall arguments. */
  #formats: (EventFormat | null | undefined)[] = []
  #formatsSeen = -1
  readonly #syscallLayouts: number[] = []

  /** `strings` interns the names the table points at (shared with the rest of the parser). */
  constructor(readonly strings: NameTable) {
    this.table = new EventTable(strings.list)
    this.names = new EventNames(strings)
    this.retLayout = this.table.layoutOf(RET)
  }

  /** Per name id: 1 a marker's name, 0 not (decided once per name). */
  readonly #markers: number[] = []

  /**
   * A trace_marker write: `tracing_mark_write:`, trace-cmd's `print:`, or what old
   * kernels print for it (the write's address as the name: `0: B|1234|name`, atrace's
   * systrace lines).
   */
  isMarker(name: number): boolean {
    let m = this.#markers[name]
    if (m === undefined) {
      const n = this.strings.list[name]
      m = this.#markers[name] = n === 'tracing_mark_write' || n === 'print' || /^(\d+|0x[0-9a-f]+|[0-9a-f]{16})$/.test(n) ? 1 : 0
    }
    return m === 1
  }

  /** Per name id: 1 trace-cmd's name for a trace_printk (`bprint`, `bputs`), 0 not. */
  readonly #printks: number[] = []

  isPrintk(name: number): boolean {
    let m = this.#printks[name]
    if (m === undefined) {
      const n = this.strings.list[name]
      m = this.#printks[name] = n === 'bprint' || n === 'bputs' ? 1 : 0
    }
    return m === 1
  }

  /** The event `name` whose shape was just found in `s`: a row of the table, its fields typed now. */
  add(s: string, shape: EventShape, name: number, line: number, cpu: number | undefined, task: number, pid: number | undefined, tgid: number | undefined, flags: number, ts: number | undefined): number {
    const t = this.table
    const row = t.add(line, cpu, task, pid, tgid, flags, ts, name, this.chunkOf(s), shape.bodyFrom, shape.bodyTo)
    if (shape.siteFrom !== -1) t.site[row] = this.siteId(s, shape.siteFrom, shape.siteTo)
    const format = this.formatOf(name)
    if (shape.style === 'ret') {
      const at = t.reserve(1)
      t.put(at, retValue(s, shape.bodyFrom, shape.bodyTo, format?.fields.get('ret')))
      t.typed(row, this.retLayout, at)
      return row
    }
    const learnable = shape.style === 'syscall' && format === undefined
    const layout = learnable ? this.#syscallLayouts[name] : undefined
    if (layout !== undefined) {
      const at = syscallArgsInto(s, shape.bodyFrom, shape.bodyTo, t.layouts[layout].keys, t)
      if (at !== -1) {
        t.typed(row, layout, at)
        return row
      }
    }
    // key=value events (tracepoints, probes): read against the keys their first line had.
    const kv = shape.style === 'kv' && this.learning
    const known = kv ? this.#kvLayouts[name] : undefined
    if (known !== undefined && known !== -1) {
      const layout = t.layouts[known]
      const at = keyValuesInto(s, shape.bodyFrom, shape.bodyTo, layout.keys, this.fieldFormats(name, known, format), t)
      if (at !== -1) {
        t.typed(row, known, at)
        this.#kvMisses[name] = 0
        return row
      }
    }
    const fields = parseFields(s.slice(shape.bodyFrom, shape.bodyTo), shape.style, format)
    // A syscall's argument list is learned from its first event (and again when it differs).
    if (learnable) this.#syscallLayouts[name] = t.layoutOf(Object.keys(fields))
    else if (kv) this.learnKeys(name, fields)
    t.own(row, fields)
    return row
  }

  /** The table's chunk for the text `s`: the last one, or a new one. */
  private chunkOf(s: string): number {
    if (s !== this.#chunk) {
      this.#chunk = s
      this.#chunkIndex = this.table.chunks.push(s) - 1
    }
    return this.#chunkIndex
  }

  /** The layouts of scheduler entries, without and with the next task's comm. */
  #schedLayouts: number[] = []
  /** The ids of `context_switch` and `wakeup`. */
  readonly #schedNames: number[] = []

  /**
   * A wakeup tracer's scheduler entry (`0:120:R ==> [003]   312:100:R kworker/3:1H`), `e`'s
   * places in the text `chunk` (or the table's chunk of that index): the `wakeup` or
   * `context_switch` event, its fields named as the formats of those events name them.
   */
  schedEntry(chunk: string | number, e: SchedEntry, line: number, cpu: number, task: number, pid: number, tgid: number | undefined, flags: number, ts: number): number {
    const t = this.table
    const k = typeof chunk === 'string' ? this.chunkOf(chunk) : chunk
    const name = (this.#schedNames[e.wakeup ? 1 : 0] ??= this.names.plain(e.wakeup ? 'wakeup' : 'context_switch'))
    const row = t.add(line, cpu, task, pid, tgid, flags, ts, name, k, e.bodyFrom, e.bodyTo)
    const comm = e.commTo > e.commFrom
    const format = this.formatOf(name)
    if (format !== undefined) {
      // A trace that came with the events' formats: its fields typed by them, as any event's.
      const text = t.chunkText(k)
      const values = [e.prevPid, e.prevPrio, text[e.prevState], e.nextCpu, e.nextPid, e.nextPrio, text[e.nextState], text.slice(e.commFrom, e.commTo)]
      t.own(row, parseFields(SCHED_KEYS.slice(0, comm ? 8 : 7).map((key, i) => `${key}=${values[i]}`).join(' '), 'kv', format))
      return row
    }
    // Read from the body when asked for: real latency traces have a handful, a generated
    // one is half of them, and eight values in the pool are 72 bytes to touch each.
    t.typed(row, (this.#schedLayouts[comm ? 1 : 0] ??= t.readLayout(SCHED_KEYS.slice(0, comm ? 8 : 7), schedFields)), -1)
    return row
  }

  /** Whether key=value lines are read against learned keys (tests compare both readings). */
  learning = true
  /** Per event name id: the layout its key=value lines are read against (-1: none, not again). */
  readonly #kvLayouts: number[] = []
  /** Lines of the name the layout did not take, in a row: past MISSES, the name's lines go the general way only. */
  readonly #kvMisses: number[] = []
  /** Per layout id: its keys' formats (typing), for the format book's version they were made for. */
  #kvFormats = new Map<number, (FieldFormat | undefined)[]>()
  #kvFormatsSeen = -1

  /** The keys an event's line had, as the layout its next lines are read against; a name whose lines keep differing stops being tried. */
  private learnKeys(name: number, fields: Record<string, FieldValue>): void {
    const known = this.#kvLayouts[name]
    if (known === -1) return
    if (known !== undefined && (this.#kvMisses[name] = (this.#kvMisses[name] ?? 0) + 1) > KV_MISSES) {
      this.#kvLayouts[name] = -1
      return
    }
    const keys = Object.keys(fields)
    if (keys.length === 0 || keys.length > 64) return
    this.#kvLayouts[name] = this.table.layoutOf(keys)
  }

  private fieldFormats(name: number, layout: number, format: EventFormat | undefined): readonly (FieldFormat | undefined)[] {
    if (this.#kvFormatsSeen !== this.formats.version) {
      this.#kvFormats.clear()
      this.#kvFormatsSeen = this.formats.version
    }
    // Layouts are shared by every event with the same keys; their formats may differ: keyed by both.
    const key = layout * 65536 + name
    let f = this.#kvFormats.get(key)
    if (f === undefined) this.#kvFormats.set(key, (f = this.table.layouts[layout].keys.map((k) => format?.fields.get(k))))
    return f
  }

  /** Probe sites by their text, each made once: a kprobe's repeats on every line. */
  readonly #siteNames = new NameTable()

  private siteId(s: string, from: number, to: number): number {
    const id = this.#siteNames.id(s, from, to)
    if (id === this.table.sites.length) this.table.sites.push(probeSite(this.#siteNames.list[id]))
    return id
  }

  formatOf(name: number): EventFormat | undefined {
    if (this.#formatsSeen !== this.formats.version) {
      this.#formats = []
      this.#formatsSeen = this.formats.version
    }
    let f = this.#formats[name]
    if (f === undefined) f = this.#formats[name] = this.formats.get(this.strings.list[name]) ?? null
    return f ?? undefined
  }

  /**
   * What the scanner asks for: the same ids, and the same layouts, as reading the text
   * gives. Events the parser treats apart are left to it: those a format types, markers,
   * trace_printk's trace-cmd names. Those `checked` names (scheduler events while
   * kspec's pids are known) come back as -2 - id: the scanner leaves their lines that
   * name those pids.
   */
  scannerHost(checked: (name: number) => boolean): ScannerHost {
    return {
      intern: (kind, text) => {
        if (kind === TASK) return this.strings.idOf(text)
        if (kind === SITE) return this.siteId(text, 0, text.length)
        const id = kind === PLAIN ? this.names.plain(text) : this.names.syscall(kind === ENTER, text)
        if (kind === ENTER || kind === EXIT) return this.formatOf(id) === undefined ? id : -1
        if (this.formatOf(id) !== undefined || this.isMarker(id) || this.isPrintk(id)) return -1
        return checked(id) ? -2 - id : id
      },
      layout: (keys) => (new Set(keys).size === keys.length ? this.table.layoutOf(keys) : -1),
    }
  }
}
