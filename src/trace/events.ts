import { NONE, rowAtLine, widenAll } from './columns.js'
import type { EventRecord, FieldValue, ProbeSite, Stack } from './records.js'
import { StackColumn } from './stacks.js'

/** What a pool place holds (EventTable.kinds); the scanner writes them too (src/parse/layout.ts, POOL_*). */
export const VALUE = 0
export const SPAN = 1
/** A whole number as a span: decimal digits past 15, or hex past 13 (a kernel pointer), made a bigint or number when read. */
export const WIDE = 2

/** A row whose fields are an object kept aside rather than a run of values in the pool. */
const OWN_OBJECT = -1

/** The keys a run of values in the pool stands for, in order, and how to make them an object. */
export interface FieldLayout {
  readonly keys: readonly string[]
  readonly make: (values: readonly FieldValue[]) => Record<string, FieldValue>
  /** The values read from the row's body when its fields are asked for: the pool holds none of them. */
  readonly read?: (body: string) => FieldValue[]
}

/**
 * Every event of a trace, in columns: 400k events are a few typed arrays, not 800k
 * objects (the event and its fields) for the garbage collector to copy. Fields are typed
 * while the trace is read; numbers sit in one Float64Array pool, each row pointing at its
 * run and at the layout (keys) that names it. What is not a safe number (strings,
 * bigints) sits in a map beside the pool, marked there by NaN, which no typed value is.
 * Record objects (EventView) are made only when asked for, once per row.
 */
export class EventTable {
  size = 0
  line = new Int32Array(1024)
  cpu = new Int32Array(1024)
  pid = new Int32Array(1024)
  tgid = new Int32Array(1024)
  /** Indices into `strings`. */
  task = new Int32Array(1024)
  flags = new Int32Array(1024)
  name = new Int32Array(1024)
  ts = new Float64Array(1024)
  /** The body is `chunks[chunk].slice(bodyFrom, bodyTo)`: cut out only when read. */
  chunk = new Int32Array(1024)
  bodyFrom = new Int32Array(1024)
  bodyTo = new Int32Array(1024)
  layout = new Int32Array(1024)
  /** A probe's site, as an index into `sites`; NONE for other events. */
  site = new Int32Array(1024)
  readonly sites: ProbeSite[] = []
  /** Where a row's values start in the pool. */
  at = new Int32Array(1024)
  values = new Float64Array(4096)
  /**
   * Per pool place, what its value is: a number (VALUE; NaN there means one in `special`),
   * or SPAN: a string that stands in the row's chunk, kept as `from * 2^16 + length` and
   * cut out only when the fields are made (sched_switch's comms, a kprobe's strings).
   */
  kinds = new Uint8Array(4096)
  used = 0
  readonly special = new Map<number, FieldValue>()
  readonly objects = new Map<number, Record<string, FieldValue>>()
  readonly stacks: StackColumn
  readonly userStacks: StackColumn
  readonly layouts: FieldLayout[] = []
  readonly #layoutIds = new Map<string, number>()
  /** Texts the bodies stand in; ASCII bytes until a body of theirs is first read. */
  readonly chunks: (string | Uint8Array)[] = []
  readonly #views: (EventView | undefined)[] = []

  /**
   * Rows the table grows to at once, once it outgrows its first 1024: set from the size
   * of the file being read, so a large trace fills its columns without copying them at
   * each doubling (new memory is slow to touch on this kind of VM).
   */
  expected = 0

  /** `strings` holds the task, flags and event names the columns point at. */
  constructor(readonly strings: readonly string[]) {
    this.stacks = new StackColumn(strings)
    this.userStacks = new StackColumn(strings)
  }

  /** A new row; its fields follow with `typed` or `own`. Undefined numbers are stored as NONE/NaN. */
  add(line: number, cpu: number | undefined, task: number, pid: number | undefined, tgid: number | undefined, flags: number, ts: number | undefined, name: number, chunk: number, bodyFrom: number, bodyTo: number): number {
    const i = this.size++
    if (i === this.line.length) this.grow()
    this.line[i] = line
    this.cpu[i] = cpu ?? NONE
    this.task[i] = task
    this.pid[i] = pid ?? NONE
    this.tgid[i] = tgid ?? NONE
    this.flags[i] = flags
    this.ts[i] = ts ?? NaN
    this.name[i] = name
    this.chunk[i] = chunk
    this.bodyFrom[i] = bodyFrom
    this.bodyTo[i] = bodyTo
    this.layout[i] = OWN_OBJECT
    this.site[i] = NONE
    return i
  }

  /** The layout of these keys, made once. */
  layoutOf(keys: readonly string[]): number {
    const key = keys.join(',')
    let id = this.#layoutIds.get(key)
    if (id === undefined) {
      id = this.layouts.length
      this.layouts.push({ keys, make: maker(keys) })
      this.#layoutIds.set(key, id)
    }
    return id
  }

  /**
   * A layout whose rows keep no values in the pool: `read` takes them from the body when
   * the fields are asked for (rows of it are typed at -1). For events whose every field
   * is a few characters of a short body (the wakeup tracers' scheduler entries: eight
   * values, 72 bytes of pool, against a body of ~40).
   */
  readLayout(keys: readonly string[], read: (body: string) => FieldValue[]): number {
    this.layouts.push({ keys, make: maker(keys), read })
    return this.layouts.length - 1
  }

  /**
   * Room for n values (of `pendingRows` rows not yet in the table); returns where they
   * start. Writing stops with `typed` or is dropped by `used = start`.
   */
  reserve(n: number, pendingRows = 0): number {
    const start = this.used
    if (start + n > this.values.length) {
      // To what the values per row so far project for the rows expected (a bprint may
      // carry 11, a syscall exit one), a tenth more; by doubling only when that
      // projection fell short (each growth touches it all again).
      const rows = Math.max(this.size + pendingRows, 1)
      const projected = Math.ceil((Math.max(this.expected, rows) * (start + n) * 1.1) / rows)
      const size = Math.max(start + n, projected > this.values.length ? projected : this.values.length * 2)
      ;[this.values, this.kinds] = widenAll([this.values, this.kinds] as const, size)
    }
    this.used = start + n
    return start
  }

  /** Puts one value at a pool index: a number in the pool, anything else beside it. */
  put(index: number, v: FieldValue): void {
    this.kinds[index] = VALUE
    if (typeof v === 'number' && v === v) this.values[index] = v
    else {
      this.values[index] = NaN
      this.special.set(index, v)
    }
  }

  /** A number at a pool index (never NaN). */
  putNumber(index: number, v: number): void {
    this.kinds[index] = VALUE
    this.values[index] = v
  }

  /** A string at a pool index that is `length` characters at `from` of the row's chunk. */
  putSpan(index: number, from: number, length: number): void {
    this.kinds[index] = SPAN
    this.values[index] = from * 65536 + length
  }

  /** The row's fields are the values reserved at `start`, named by the layout. */
  typed(row: number, layout: number, start: number): void {
    this.layout[row] = layout
    this.at[row] = start
  }

  /** The row's fields as an object of their own (key=value events). */
  own(row: number, fields: Record<string, FieldValue>): void {
    this.layout[row] = OWN_OBJECT
    this.objects.set(row, fields)
  }

  /** A row's fields as a new object. */
  fieldsOf(row: number): Record<string, FieldValue> {
    const id = this.layout[row]
    if (id === OWN_OBJECT) return this.objects.get(row) ?? {}
    const layout = this.layouts[id]
    if (layout.read !== undefined) return layout.make(layout.read(this.body(row)))
    const n = layout.keys.length
    const start = this.at[row]
    const out = scratch
    out.length = n
    for (let k = 0; k < n; k++) {
      const v = this.values[start + k]
      const kind = this.kinds[start + k]
      if (kind !== VALUE) {
        const from = Math.floor(v / 65536)
        const text = this.text(row).slice(from, from + (v % 65536))
        out[k] = kind === SPAN ? text : wide(text)
      } else out[k] = v === v ? v : this.special.get(start + k)!
    }
    return layout.make(out)
  }

  /** The number of fields a row has, without making them. */
  fieldCount(row: number): number {
    const id = this.layout[row]
    return id === OWN_OBJECT ? Object.keys(this.objects.get(row) ?? {}).length : this.layouts[id].keys.length
  }

  body(row: number): string {
    return this.text(row).slice(this.bodyFrom[row], this.bodyTo[row])
  }

  /** The text a row stands in. */
  private text(row: number): string {
    return this.chunkText(this.chunk[row])
  }

  /** Chunk k as text (made once from its bytes). */
  chunkText(k: number): string {
    let text = this.chunks[k]
    if (typeof text !== 'string') this.chunks[k] = text = Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('latin1')
    return text
  }

  /**
   * Appends `rows` rows read elsewhere (the WebAssembly scanner) from the ASCII bytes
   * registered as chunk `chunk`: columns copied whole, their values after the pool's.
   */
  appendRows(src: RowColumns, rows: number, values: number, chunk: number): void {
    while (this.line.length < this.size + rows) this.grow()
    const base = this.size
    for (const c of ROW_COLUMNS) (this[c] as Int32Array | Float64Array).set(src[c].subarray(0, rows) as never, base)
    this.chunk.fill(chunk, base, base + rows)
    const start = this.reserve(values, rows)
    this.values.set(src.pool.subarray(0, values), start)
    this.kinds.set(src.kinds.subarray(0, values), start)
    this.size = base + rows
  }

  /** The record of a row: the same object each time it is asked for. */
  view(row: number): EventView {
    return (this.#views[row] ??= new EventView(this, row))
  }

  /** The first row at or after `from` whose line is at least `line` (rows are in line order). */
  rowAtLine(line: number, from = 0, to = this.size): number {
    return rowAtLine(this.line, line, from, to)
  }

  private grow(): void {
    const n = this.expected > this.line.length ? this.expected : this.line.length * 2
    ;[this.line, this.cpu, this.pid, this.tgid, this.task, this.flags, this.name, this.ts, this.chunk, this.bodyFrom, this.bodyTo, this.layout, this.site, this.at] = widenAll(
      [this.line, this.cpu, this.pid, this.tgid, this.task, this.flags, this.name, this.ts, this.chunk, this.bodyFrom, this.bodyTo, this.layout, this.site, this.at] as const,
      n,
    )
  }
}

const ROW_COLUMNS = ['line', 'cpu', 'pid', 'tgid', 'task', 'flags', 'name', 'ts', 'bodyFrom', 'bodyTo', 'layout', 'site', 'at'] as const

/** Rows in columns, as the scanner gives them; `at` already counts from the pool's end. */
export type RowColumns = { [C in (typeof ROW_COLUMNS)[number]]: C extends 'ts' ? Float64Array : Int32Array } & { pool: Float64Array; kinds: Uint8Array }

const scratch: FieldValue[] = []

/** A WIDE value's text as a key=value field types it: a number while it is a safe integer, else a bigint. */
function wide(text: string): FieldValue {
  return narrow(BigInt(text))
}

/** A bigint as a number when it is a safe integer. */
export function narrow(big: bigint): FieldValue {
  return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(big) : big
}

/** An object literal made for these keys, so every object of a layout shares one shape. */
function maker(keys: readonly string[]): FieldLayout['make'] {
  // Only names that are plain identifiers go into generated code.
  if (keys.length > 0 && keys.length <= 16 && keys.every((k) => /^[A-Za-z_]\w*$/.test(k) && k !== '__proto__')) {
    try {
      return new Function('v', `return { ${keys.map((k, i) => `${k}: v[${i}]`).join(', ')} }`) as FieldLayout['make']
    } catch {
      // Code generation is off (--disallow-code-generation-from-strings): build by hand.
    }
  }
  return (v) => {
    const out: Record<string, FieldValue> = {}
    for (let k = 0; k < keys.length; k++) out[keys[k]] = v[k]
    return out
  }
}

/**
 * An event: a view of its row in the EventTable. Its fields object is made on first
 * use and kept.
 */
export class EventView implements EventRecord {
  declare kind: 'event'
  readonly #t: EventTable
  readonly #i: number
  #fields: Record<string, FieldValue> | undefined
  constructor(t: EventTable, i: number) {
    this.#t = t
    this.#i = i
  }

  get line(): number {
    return this.#t.line[this.#i]
  }
  get cpu(): number | undefined {
    const cpu = this.#t.cpu[this.#i]
    return cpu === NONE ? undefined : cpu
  }
  get task(): string | undefined {
    const task = this.#t.task[this.#i]
    return task === NONE ? undefined : this.#t.strings[task]
  }
  get pid(): number | undefined {
    const pid = this.#t.pid[this.#i]
    return pid === NONE ? undefined : pid
  }
  get tgid(): number | undefined {
    const tgid = this.#t.tgid[this.#i]
    return tgid === NONE ? undefined : tgid
  }
  get flags(): string | undefined {
    const flags = this.#t.flags[this.#i]
    return flags === NONE ? undefined : this.#t.strings[flags]
  }
  get ts(): number | undefined {
    const ts = this.#t.ts[this.#i]
    return ts === ts ? ts : undefined
  }
  get name(): string {
    return this.#t.strings[this.#t.name[this.#i]]
  }
  get body(): string {
    return this.#t.body(this.#i)
  }
  get probe(): ProbeSite | undefined {
    const site = this.#t.site[this.#i]
    return site === NONE ? undefined : this.#t.sites[site]
  }
  get stack(): Stack | undefined {
    return this.#t.stacks.get(this.#i)
  }
  get userStack(): Stack | undefined {
    return this.#t.userStacks.get(this.#i)
  }
  get fields(): Record<string, FieldValue> {
    return (this.#fields ??= this.#t.fieldsOf(this.#i))
  }

  /** What the event says, in the order `kspec parse --json` prints it; absent parts left out. */
  toJSON(): object {
    const out: Record<string, unknown> = { kind: this.kind, line: this.line, cpu: this.cpu, task: this.task, pid: this.pid, ts: this.ts, name: this.name, body: this.body }
    for (const key of ['flags', 'probe', 'tgid', 'stack', 'userStack'] as const) {
      const v = this[key]
      if (v !== undefined) out[key] = v
    }
    out.fields = this.fields
    return out
  }

  [Symbol.for('nodejs.util.inspect.custom')](): object {
    return this.toJSON()
  }
}
Object.defineProperty(EventView.prototype, 'kind', { value: 'event', enumerable: true })
