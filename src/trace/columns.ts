/** What the column tables (EventTable, CallTable) share. */

export type Column = Int32Array | Uint8Array | Float64Array

/** An absent number in an Int32 column (no CPU, no pid, no parent, no name). */
export const NONE = -1

/** A copy of `a` with room for n entries. */
export function widen<T extends Column>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n)
  b.set(a)
  return b
}

/** The first row in [from, to) whose line is at least `line`; `lines` must be in order there. */
export function rowAtLine(lines: Int32Array, line: number, from: number, to: number): number {
  let lo = from
  let hi = to
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (lines[mid] < line) lo = mid + 1
    else hi = mid
  }
  return lo
}
