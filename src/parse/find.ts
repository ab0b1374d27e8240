/**
 * Finds a pattern inside the line `s[from, to)` of a megabyte-sized chunk, with the
 * native indexOf, without ever rescanning: an indexOf for something a line lacks runs on
 * into the lines after it, so the position it found is kept and serves every later line
 * up to it. Lines are read in order, so each pattern scans each chunk about once.
 * @example const paren = new Finder('('); paren.find(chunk, lineStart, lineEnd)
 */
export class Finder {
  /**
   * Two searches kept, for the last two texts searched: the parser asks about the chunk
   * and about a line cut out of it in turn (a function tracer's body), and one slot
   * would throw the chunk's search away at every line: an indexOf over the rest of a
   * megabyte per line (a 63 MB function trace read at ~700 lines a second).
   */
  #s: string | undefined
  #from = 0
  #at = -1
  #s2: string | undefined
  #from2 = 0
  #at2 = -1
  constructor(readonly pattern: string) {}

  find(s: string, from: number, to: number): number {
    if (s !== this.#s) {
      if (s === this.#s2) {
        // Swap the slots: the one asked about is the first.
        ;[this.#s, this.#s2] = [this.#s2, this.#s]
        ;[this.#from, this.#from2] = [this.#from2, this.#from]
        ;[this.#at, this.#at2] = [this.#at2, this.#at]
      } else {
        this.#s2 = this.#s
        this.#from2 = this.#from
        this.#at2 = this.#at
        this.#s = undefined
      }
    }
    if (s !== this.#s || from < this.#from || (this.#at !== -1 && this.#at < from)) {
      this.#s = s
      this.#from = from
      this.#at = s.indexOf(this.pattern, from)
    }
    const at = this.#at
    return at !== -1 && at + this.pattern.length <= to ? at : -1
  }
}

/**
 * indexOf that never looks past `to`, for patterns searched out of order.
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
