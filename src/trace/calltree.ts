import { NONE, rowAtLine, widenAll } from './columns.js'
import type { CallRecord } from './records.js'

/** A task's (or, before any banner, a CPU's) open calls, as rows of the CallTable. */
export interface GraphContext {
  /** Its index in the table's `contexts`, which calls point at. */
  id: number
  key: string
  task: string | undefined
  pid: number | undefined
  open: number[]
  /** Roots an exit without entry may still adopt (depth > 0, since the last depth-0 root). */
  adoptable: number[]
}

/** CallTable flags: the call's entry (or exit) is not in the trace. */
export const ENTRY_MISSING = 1
export const EXIT_MISSING = 2

/**
 * What every call holds, in columns: a million calls are a few typed arrays, not a
 * million objects for the garbage collector to copy. Names are indices into `strings`,
 * contexts into `contexts`; children are found from their parents (childRows).
 * Objects (Call views) are made for a row when asked for, once.
 */
export class CallTable {
  size = 0
  line = new Int32Array(1024)
  cpu = new Int32Array(1024)
  depth = new Int32Array(1024)
  flags = new Uint8Array(1024)
  parent = new Int32Array(1024)
  /**
   * Durations and timestamps (funcgraph-abstime), each made when a call first has one
   * (NaN for none): a trace without them does not fill 16 bytes a call of NaN.
   */
  duration: Float64Array | undefined
  ts: Float64Array | undefined
  name = new Int32Array(1024)
  ctx = new Int32Array(1024)
  readonly contexts: GraphContext[] = []
  /** Children arrays, built when first asked for. */
  readonly children: (CallRecord[] | undefined)[] = []
  readonly #views: (Call | undefined)[] = []
  /** Rows to grow to at once past the first 1024 (set from the size of the file read). */
  expected = 0

  constructor(readonly strings: readonly string[]) {}

  add(line: number, cpu: number | undefined, ts: number | undefined, ctx: number, name: number, depth: number, duration: number | undefined): number {
    const i = this.size++
    if (i === this.line.length) this.grow()
    this.line[i] = line
    this.cpu[i] = cpu ?? NONE
    this.depth[i] = depth
    this.flags[i] = 0
    this.parent[i] = NONE
    if (duration !== undefined || this.duration !== undefined) (this.duration ??= this.column())[i] = duration ?? NaN
    if (ts !== undefined || this.ts !== undefined) (this.ts ??= this.column())[i] = ts ?? NaN
    this.name[i] = name
    this.ctx[i] = ctx
    return i
  }

  /** A float column for the rows there are, NaN in each. */
  private column(): Float64Array {
    const c = new Float64Array(this.line.length)
    c.fill(NaN, 0, this.size)
    return c
  }

  /** A call's duration (its exit was read): in microseconds, or undefined for none. */
  setDuration(row: number, duration: number | undefined): void {
    if (duration !== undefined || this.duration !== undefined) (this.duration ??= this.column())[row] = duration ?? NaN
  }

  /** Appends a child, which takes `parent` as its parent. */
  adopt(parent: number, child: number): void {
    this.parent[child] = parent
    this.#kids = undefined
    // Children arrays made already (asked for while the trees were still being built) stay whole.
    if (this.children.length !== 0) this.children[parent]?.push(this.view(child))
  }

  /**
   * Every call's children, as rows: those of row r are `rows[from[r]]` up to `rows[from[r + 1]]`,
   * in row order (the order they were adopted in: a call is adopted when it is made, and an
   * exit without entry adopts earlier roots in their order when it is made). Built from the
   * parent column on first use, so building the trees writes one link a call, not three.
   */
  #kids: { from: Int32Array; rows: Int32Array } | undefined

  /** The rows of `row`'s children, in order. */
  childRows(row: number): Int32Array {
    let k = this.#kids
    if (k === undefined) {
      const n = this.size
      const from = new Int32Array(n + 1)
      for (let r = 0; r < n; r++) if (this.parent[r] !== NONE) from[this.parent[r] + 1]++
      for (let r = 0; r < n; r++) from[r + 1] += from[r]
      const rows = new Int32Array(from[n])
      const next = from.slice(0, n)
      for (let r = 0; r < n; r++) if (this.parent[r] !== NONE) rows[next[this.parent[r]]++] = r
      this.#kids = k = { from, rows }
    }
    return k.rows.subarray(k.from[row], k.from[row + 1])
  }

  /** The record of a row: the same object each time it is asked for. */
  view(row: number): Call {
    return (this.#views[row] ??= new Call(this, row))
  }

  /** The first row at or after `from` whose line is at least `line` (rows are in line order). */
  rowAtLine(line: number, from = 0, to = this.size): number {
    return rowAtLine(this.line, line, from, to)
  }

  private grow(): void {
    const n = this.expected > this.line.length ? this.expected : this.line.length * 2
    // Durations and timestamps stay absent in a graph printed without them.
    ;[this.line, this.cpu, this.depth, this.flags, this.parent, this.name, this.ctx, this.duration, this.ts] = widenAll(
      [this.line, this.cpu, this.depth, this.flags, this.parent, this.name, this.ctx, this.duration, this.ts] as const,
      n,
    )
  }
}

/**
 * A function_graph call: a view of its row in the CallTable. Task and pid are read from
 * the context the call ran in; children from the links, their array built on first use.
 */
class Call implements CallRecord {
  declare kind: 'call'
  readonly #t: CallTable
  readonly #i: number
  constructor(t: CallTable, i: number) {
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
  get ts(): number | undefined {
    const ts = this.#t.ts?.[this.#i] ?? NaN
    return ts === ts ? ts : undefined
  }
  get name(): string {
    return this.#t.strings[this.#t.name[this.#i]]
  }
  get depth(): number {
    return this.#t.depth[this.#i]
  }
  get task(): string | undefined {
    return this.#t.contexts[this.#t.ctx[this.#i]].task
  }
  get pid(): number | undefined {
    return this.#t.contexts[this.#t.ctx[this.#i]].pid
  }
  /** Microseconds, from the exit line or the leaf. */
  get duration(): number | undefined {
    const d = this.#t.duration?.[this.#i] ?? NaN
    return d === d ? d : undefined
  }
  get parent(): CallRecord | undefined {
    const p = this.#t.parent[this.#i]
    return p === NONE ? undefined : this.#t.view(p)
  }
  get entryMissing(): boolean {
    return (this.#t.flags[this.#i] & ENTRY_MISSING) !== 0
  }
  get exitMissing(): boolean {
    return (this.#t.flags[this.#i] & EXIT_MISSING) !== 0
  }

  get children(): CallRecord[] {
    const t = this.#t
    let kids = t.children[this.#i]
    if (kids === undefined) {
      kids = []
      for (const c of t.childRows(this.#i)) kids.push(t.view(c))
      t.children[this.#i] = kids
    }
    return kids
  }

  toJSON(): object {
    const out: Record<string, unknown> = { kind: this.kind, line: this.line, cpu: this.cpu, task: this.task, pid: this.pid, name: this.name, depth: this.depth, duration: this.duration, parent: this.parent, children: this.children, entryMissing: this.entryMissing, exitMissing: this.exitMissing }
    if (this.ts !== undefined) out.ts = this.ts
    return out
  }

  /** console.log shows what the call says, with its parent and children by line. */
  [Symbol.for('nodejs.util.inspect.custom')](): object {
    const { parent, children, ...own } = this.toJSON() as { parent?: CallRecord; children: CallRecord[] }
    return { ...own, parent: parent && `${parent.name}() at line ${parent.line}`, children: children.map((c) => `${c.name}() at line ${c.line}`) }
  }
}
Object.defineProperty(Call.prototype, 'kind', { value: 'call', enumerable: true })

/** `comm-pid` as banners and funcgraph-proc print it; `cpuN` when no task is known. */
export function splitTask(proc: string): [string | undefined, number | undefined] {
  const dash = proc.lastIndexOf('-')
  const pid = Number(proc.slice(dash + 1))
  if (dash > 0 && Number.isInteger(pid)) return [proc.slice(0, dash), pid]
  return /^cpu\d*$/.test(proc) ? [undefined, undefined] : [proc, undefined]
}
