import { rowAtLine, widen } from './columns.js'
import type { Stack } from './records.js'

/**
 * The stacks of a table's rows (`<stack trace>` or `<user stack trace>` blocks), keyed
 * by row. The scanner's blocks go in as name ids, in row order (`addIds`): a stack is
 * its frames' ids in one Int32Array, not an array of strings for the collector to copy
 * while the trace loads (a func_stack_trace capture has a stack for every record: its
 * arrays were most of its load). The frames array is made on first access, once. Stacks
 * the parser reads as text go in as arrays (`set`), in any order.
 */
export class StackColumn {
  /** The rows of the stacks kept as ids, ascending; each one's frames are ids[from[k]..from[k + 1]). */
  #rows = new Int32Array(256)
  #from = new Int32Array(257)
  #ids = new Int32Array(1024)
  #count = 0
  /** Stacks given as arrays, and those made from ids when asked for. */
  readonly #arrays = new Map<number, Stack>()
  /** How many of #arrays were given (the rest were made from ids). */
  #given = 0

  /** `strings`: what the ids name. */
  constructor(private readonly strings: readonly string[]) {}

  /**
   * The stack of `row`, its frames the name ids ids[from..to) (copied). A row before the
   * last one kept as ids (not the scanner's order) has its stack kept as an array.
   */
  addIds(row: number, ids: Int32Array, from: number, to: number): void {
    const k = this.#count
    if (k > 0 && row <= this.#rows[k - 1]) {
      this.set(row, Array.from(ids.subarray(from, to), (id) => this.strings[id]))
      return
    }
    if (k + 1 >= this.#rows.length) {
      this.#rows = widen(this.#rows, this.#rows.length * 2)
      this.#from = widen(this.#from, this.#from.length * 2)
    }
    const at = this.#from[k]
    const n = to - from
    if (at + n > this.#ids.length) this.#ids = widen(this.#ids, Math.max(this.#ids.length * 2, at + n))
    const out = this.#ids
    for (let i = 0; i < n; i++) out[at + i] = ids[from + i]
    this.#rows[k] = row
    this.#from[k + 1] = at + n
    this.#count = k + 1
  }

  set(row: number, frames: Stack): void {
    const had = this.#arrays.has(row) || this.#index(row) !== -1
    this.#arrays.set(row, frames)
    if (!had) this.#given++
  }

  get(row: number): Stack | undefined {
    const made = this.#arrays.get(row)
    if (made !== undefined) return made
    const k = this.#index(row)
    if (k === -1) return undefined
    const from = this.#from[k]
    const frames = new Array<string>(this.#from[k + 1] - from)
    for (let i = 0; i < frames.length; i++) frames[i] = this.strings[this.#ids[from + i]]
    this.#arrays.set(row, frames)
    return frames
  }

  /** Stacks held as arrays: given, or made when asked for (for tests: the scanner's stay ids till then). */
  get arrays(): number {
    return this.#arrays.size
  }

  get size(): number {
    return this.#count + this.#given
  }

  /** The rows that have a stack. */
  *keys(): IterableIterator<number> {
    for (let k = 0; k < this.#count; k++) yield this.#rows[k]
    for (const row of this.#arrays.keys()) if (this.#index(row) === -1) yield row
  }

  /** The index of `row` among the stacks kept as ids, or -1. */
  #index(row: number): number {
    const k = rowAtLine(this.#rows, row, 0, this.#count)
    return k < this.#count && this.#rows[k] === row ? k : -1
  }
}
