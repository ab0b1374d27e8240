/**
 * indexOf that never looks past `to`. Lines are ranges of a megabyte-sized chunk: an
 * unbounded indexOf for something a line lacks would scan the rest of the chunk.
 * @example find('ab(c\nd(', '(', 0, 2) // -1
 */
export function find(s: string, pattern: string, from: number, to: number): number {
  const first = pattern.charCodeAt(0)
  const last = to - pattern.length
  for (let i = from; i <= last; i++) {
    if (s.charCodeAt(i) === first && (pattern.length === 1 || s.startsWith(pattern, i))) return i
  }
  return -1
}
