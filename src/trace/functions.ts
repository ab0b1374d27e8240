import { type Column, NONE, rowAtLine, widenAll } from './columns.js'
import type { FunctionRecord } from './records.js'
import { StackColumn } from './stacks.js'

/**
 * The function tracer's lines (`func <-parent`), in columns: the largest traces there are
 * (every kernel function's every call) are a few typed arrays, not an object per line for
 * the garbage collector to copy. Names and offsets are indices into `strings`; a record
 * object is made for a row when asked for, once.
 */
export class FunctionTable {
  size = 0
  line = new Int32Array(1024)
  cpu = new Int32Array(1024)
  pid = new Int32Array(1024)
  tgid = new Int32Array(1024)
  task = new Int32Array(1024)
  flags = new Int32Array(1024)
  ts = new Float64Array(1024)
  func = new Int32Array(1024)
  /** NONE for a line without `<-parent`. */
  parent = new Int32Array(1024)
  /** sym-offset's `+0x4/0xa0` of the function and of its parent; NONE without. */
  offset = new Int32Array(1024)
  parentOffset = new Int32Array(1024)
  /** The modules sym-offset names after the offsets (`[overlay]`); NONE without. */
  module = new Int32Array(1024)
  parentModule = new Int32Array(1024)
  /** func-no-repeats' `(repeats: N)`; NONE without. */
  repeats = new Int32Array(1024)
  readonly stacks: StackColumn
  readonly userStacks: StackColumn
  readonly #views: (FunctionRecord | undefined)[] = []
  /** Rows the table grows to at once, once it outgrows its first 1024 (set from the file's size). */
  expected = 0

  constructor(readonly strings: readonly string[]) {
    this.stacks = new StackColumn(strings)
    this.userStacks = new StackColumn(strings)
  }

  /** A new row; absent numbers are NONE (ts: NaN). */
  add(line: number, cpu: number | undefined, task: number, pid: number | undefined, tgid: number | undefined, flags: number, ts: number | undefined, func: number, parent: number, offset: number, parentOffset: number, repeats: number, module = NONE, parentModule = NONE): number {
    const i = this.size++
    if (i === this.line.length) this.grow(i + 1)
    this.line[i] = line
    this.cpu[i] = cpu ?? NONE
    this.pid[i] = pid ?? NONE
    this.tgid[i] = tgid ?? NONE
    this.task[i] = task
    this.flags[i] = flags
    this.ts[i] = ts ?? NaN
    this.func[i] = func
    this.parent[i] = parent
    this.offset[i] = offset
    this.parentOffset[i] = parentOffset
    this.module[i] = module
    this.parentModule[i] = parentModule
    this.repeats[i] = repeats
    return i
  }

  /** Appends `rows` rows read elsewhere (the WebAssembly scanner): columns copied whole. */
  appendRows(src: FunctionColumns, rows: number): void {
    if (this.line.length < this.size + rows) this.grow(this.size + rows)
    const base = this.size
    for (const c of FUNCTION_COLUMNS) (this[c] as Int32Array | Float64Array).set(src[c].subarray(0, rows) as never, base)
    this.repeats.fill(NONE, base, base + rows)
    this.size = base + rows
  }

  /** The record of a row: the same object each time it is asked for. */
  view(row: number): FunctionRecord {
    let r = this.#views[row]
    if (r === undefined) {
      const s = this.strings
      const num = (v: number): number | undefined => (v === NONE ? undefined : v)
      const ts = this.ts[row]
      r = { kind: 'function', line: this.line[row], cpu: num(this.cpu[row]), task: this.task[row] === NONE ? undefined : s[this.task[row]], pid: num(this.pid[row]), ts: ts === ts ? ts : undefined, func: s[this.func[row]], parent: undefined }
      if (this.tgid[row] !== NONE) r.tgid = this.tgid[row]
      if (this.flags[row] !== NONE) r.flags = s[this.flags[row]]
      if (this.offset[row] !== NONE) r.offset = s[this.offset[row]]
      if (this.module[row] !== NONE) r.module = s[this.module[row]]
      if (this.parent[row] !== NONE) r.parent = s[this.parent[row]]
      if (this.parentOffset[row] !== NONE) r.parentOffset = s[this.parentOffset[row]]
      if (this.parentModule[row] !== NONE) r.parentModule = s[this.parentModule[row]]
      if (this.repeats[row] !== NONE) r.repeats = this.repeats[row]
      const stack = this.stacks.get(row)
      if (stack !== undefined) r.stack = stack
      const user = this.userStacks.get(row)
      if (user !== undefined) r.userStack = user
      this.#views[row] = r
    }
    return r
  }

  /** The first row at or after `from` whose line is at least `line` (rows are in line order). */
  rowAtLine(line: number, from = 0, to = this.size): number {
    return rowAtLine(this.line, line, from, to)
  }

  private grow(need: number): void {
    const n = Math.max(this.expected > this.line.length ? this.expected : this.line.length * 2, need)
    const names = [...FUNCTION_COLUMNS, 'repeats'] as const
    const wider = widenAll(names.map((c) => this[c]), n)
    names.forEach((c, i) => ((this[c] as Column) = wider[i]))
  }
}

const FUNCTION_COLUMNS = ['line', 'cpu', 'pid', 'tgid', 'task', 'flags', 'ts', 'func', 'parent', 'offset', 'parentOffset', 'module', 'parentModule'] as const

/** Rows in columns, as the scanner gives them. */
export type FunctionColumns = { [C in (typeof FUNCTION_COLUMNS)[number]]: C extends 'ts' ? Float64Array : Int32Array }
