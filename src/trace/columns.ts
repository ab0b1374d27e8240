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

/**
 * Copies of `columns` with room for n entries each, carved from one allocation (an
 * absent column stays absent). A large trace's columns are then one mapping, which
 * transparent huge pages can back where glibc's malloc asks for them: see "Fresh memory
 * is slow here" in docs/DESIGN.md (apart, each column was a mapping of its own, too
 * small and unaligned for more than one huge page).
 */
export function widenAll<T extends readonly (Column | undefined)[]>(columns: T, n: number): T {
  const room = (a: Column) => Math.ceil((n * a.BYTES_PER_ELEMENT) / 8) * 8
  // Widest first: every column's start stays aligned to its element.
  const order = columns.map((_, i) => i).sort((a, b) => (columns[b]?.BYTES_PER_ELEMENT ?? 0) - (columns[a]?.BYTES_PER_ELEMENT ?? 0))
  let bytes = 0
  for (const a of columns) if (a !== undefined) bytes += room(a)
  const buffer = new ArrayBuffer(bytes)
  const out: (Column | undefined)[] = new Array(columns.length)
  let at = 0
  for (const i of order) {
    const a = columns[i]
    if (a === undefined) continue
    const b = new (a.constructor as new (buffer: ArrayBuffer, offset: number, length: number) => Column)(buffer, at, n)
    b.set(a as never)
    out[i] = b
    at += room(a)
  }
  return out as unknown as T
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
