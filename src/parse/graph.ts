import { Finder, find } from './find.js'
import { parseDecimal } from './decimal.js'

/**
 * One function_graph line, in any combination of the funcgraph-* columns:
 *
 *   `  376.101459 |   1)    ls-99    |  ! 106.459 us  |      do_filp_open();`
 *   abstime        cpu   proc          overhead+duration  indented call
 *
 * plus `}` / `} /* f *\/` exits, `/* event *\/` comments, irq markers and the
 * context-switch banner (`1)  a-1  =>  b-2`). Fills a reusable scratch object.
 */
export type GraphKind = 'entry' | 'exit' | 'leaf' | 'comment' | 'irq-enter' | 'irq-exit' | 'switch' | 'rule'

export interface GraphLine {
  kind: GraphKind
  ts: number | undefined
  cpu: number | undefined
  /** `comm-pid` from funcgraph-proc. */
  proc: string | undefined
  duration: number | undefined
  depth: number
  /** Function name (empty for a bare `}`), comment text, or for a switch `from`. */
  text: string
  /** Where a call's name stands in the parsed string, so it can be interned uncut. */
  nameFrom: number
  nameTo: number
  /** For a switch: the task switched to. */
  to: string
}

const SPACE = 32
const CALL = new Finder('()')
const US = new Finder(' us')
const isDigit = (c: number): boolean => c >= 48 && c <= 57
/** Duration marks: `+` >10us, `!` >100us, `#` >1ms, `*` >10ms, `@` >100ms, `$` >1s. */
const isMark = (c: number): boolean => c === 43 || c === 33 || c === 35 || c === 42 || c === 64 || c === 36

function irq(s: string, i: number, out: GraphLine): boolean {
  if (!s.startsWith('==========>', i) && !s.startsWith('<==========', i)) return false
  out.kind = s.charCodeAt(i) === 61 ? 'irq-enter' : 'irq-exit'
  return true
}

/**
 * Parses the line `s[from, to)` — a range, so the caller need not cut each line out of
 * the chunk it read. Returns false when the line is not function_graph output.
 */
export function parseGraphLine(s: string, out: GraphLine, from = 0, to = s.length): boolean {
  let i = skipSpaces(s, from, to)
  if (s.charCodeAt(i) === 45 /* - */ && s.startsWith('------', i)) {
    out.kind = 'rule'
    return true
  }
  out.ts = undefined
  out.cpu = undefined
  out.proc = undefined
  out.duration = undefined
  // abstime: `123.456789 |`
  let j = digits(s, i, to)
  if (j > i && j < to && s.charCodeAt(j) === 46) {
    const k = digits(s, j + 1, to)
    const bar = skipSpaces(s, k, to)
    // `20.123 us |` is a duration (no CPU column), not a timestamp.
    if (bar < to && s.charCodeAt(bar) === 124 /* | */) {
      out.ts = parseDecimal(s, i, k)
      i = skipSpaces(s, bar + 1, to)
      j = digits(s, i, to)
    }
  }
  let afterCpu = -1
  if (j > i && j < to && s.charCodeAt(j) === 41 /* ) */) {
    out.cpu = parseDecimal(s, i, j)
    i = j + 1
    afterCpu = i
  }
  i = skipSpaces(s, i, to)
  if (i >= to) return false
  let c = s.charCodeAt(i)
  const plain = c === 124 || isDigit(c) || (isMark(c) && s.charCodeAt(i + 1) === SPACE)
  if (!plain) {
    const bar = find(s, '|', i, to)
    const arrow = find(s, ' => ', i, to)
    if (arrow !== -1 && bar === -1) {
      out.kind = 'switch'
      out.text = s.slice(i, arrow).trim()
      out.to = s.slice(arrow + 4, to).trim()
      return true
    }
    if (irq(s, i, out)) return true
    // funcgraph-duration off: ` 1) vfs_write() {`, the call one space after the CPU column.
    if (bar === -1 && afterCpu !== -1) return callText(s, afterCpu, trimEnd(s, afterCpu, to), out, 1)
    // funcgraph-proc: `comm-pid` centred, then ` | `
    const procEnd = find(s, ' |', i, to)
    if (procEnd === -1) return false
    out.proc = s.slice(i, procEnd).trim()
    i = skipSpaces(s, procEnd + 2, to)
    if (irq(s, i, out)) return true
    c = s.charCodeAt(i)
  }
  if (c !== 124) {
    // funcgraph-proc without the duration column: the call follows ` | ` at once.
    if (out.proc !== undefined && !isDigit(c) && !(isMark(c) && s.charCodeAt(i + 1) === SPACE)) {
      const after = s.lastIndexOf('|', i) + 1
      return callText(s, after, trimEnd(s, after, to), out, 1)
    }
    if (!isDigit(c)) i = skipSpaces(s, i + 1, to)
    const us = US.find(s, i, Math.min(to, i + 24))
    if (us === -1) return false
    out.duration = parseDecimal(s, i, us)
    if (Number.isNaN(out.duration)) return false
    i = skipSpaces(s, us + 3, to)
    if (i >= to || s.charCodeAt(i) !== 124) return false
  }
  return callText(s, i + 1, trimEnd(s, i + 1, to), out)
}

/** The call text from `i`, after `pad` spaces of the column before it (two after a duration's `|`). */
function callText(s: string, i: number, end: number, out: GraphLine, pad = 2): boolean {
  const start = skipSpaces(s, i, end)
  if (start >= end) return false
  out.depth = Math.max(0, (start - i - pad) >> 1)
  const c = s.charCodeAt(start)
  if (c === 125 /* } */) {
    out.kind = 'exit'
    // funcgraph-tail: `} /* name */` (an unclosed comment runs to the line's end; the
    // search for its close stays inside the line, which may stand in a larger text).
    if (s.startsWith(' /* ', start + 1)) {
      const close = s.lastIndexOf(' */', end - 3)
      out.text = firstWord(s.slice(start + 5, close >= start + 5 ? close : end))
    } else out.text = ''
    return true
  }
  if (c === 47 /* / */ && s.charCodeAt(start + 1) === 42) {
    out.kind = 'comment'
    const text = s.slice(start + 2, end)
    out.text = (text.endsWith('*/') ? text.slice(0, -2) : text).trim()
    return true
  }
  const call = CALL.find(s, start, end)
  if (call === -1) return false
  out.nameFrom = start
  out.nameTo = call
  if (s.charCodeAt(call + 2) === 59 /* ; */) out.kind = 'leaf'
  else if (s.charCodeAt(call + 2) === SPACE && s.charCodeAt(call + 3) === 123 /* { */) out.kind = 'entry'
  else return false
  return true
}

/** funcgraph-retval appends ` = value` inside the tail comment: keep only the name. */
function firstWord(s: string): string {
  const sp = s.indexOf(' ')
  return sp === -1 ? s : s.slice(0, sp)
}

function skipSpaces(s: string, i: number, to: number): number {
  while (i < to && s.charCodeAt(i) === SPACE) i++
  return i
}

function digits(s: string, i: number, to: number): number {
  while (i < to && isDigit(s.charCodeAt(i))) i++
  return i
}

function trimEnd(s: string, from: number, to: number): number {
  let e = to
  while (e > from && (s.charCodeAt(e - 1) === SPACE || s.charCodeAt(e - 1) === 13)) e--
  return e
}

