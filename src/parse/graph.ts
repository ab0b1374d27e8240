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
  /** For a switch: the task switched to. */
  to: string
}

const SPACE = 32
const isDigit = (c: number): boolean => c >= 48 && c <= 57
/** Duration marks: `+` >10us, `!` >100us, `#` >1ms, `*` >10ms, `@` >100ms, `$` >1s. */
const isMark = (c: number): boolean => c === 43 || c === 33 || c === 35 || c === 42 || c === 64 || c === 36

function irq(line: string, i: number, out: GraphLine): boolean {
  if (!line.startsWith('==========>', i) && !line.startsWith('<==========', i)) return false
  out.kind = line.charCodeAt(i) === 61 ? 'irq-enter' : 'irq-exit'
  return true
}

/** Returns false when the line is not function_graph output. */
export function parseGraphLine(line: string, out: GraphLine): boolean {
  let i = 0
  while (line.charCodeAt(i) === SPACE) i++
  if (line.charCodeAt(i) === 45 /* - */ && line.startsWith('------', i)) {
    out.kind = 'rule'
    return true
  }
  out.ts = undefined
  out.cpu = undefined
  out.proc = undefined
  out.duration = undefined
  // abstime: `123.456789 |`
  let j = i
  while (isDigit(line.charCodeAt(j))) j++
  if (j > i && line.charCodeAt(j) === 46) {
    let k = j + 1
    while (isDigit(line.charCodeAt(k))) k++
    const bar = skipSpaces(line, k)
    // `20.123 us |` is a duration (no CPU column), not a timestamp.
    if (line.charCodeAt(bar) === 124 /* | */) {
      out.ts = Number(line.slice(i, k))
      i = skipSpaces(line, bar + 1)
      j = i
      while (isDigit(line.charCodeAt(j))) j++
    }
  }
  if (j > i && line.charCodeAt(j) === 41 /* ) */) {
    out.cpu = Number(line.slice(i, j))
    i = j + 1
  }
  i = skipSpaces(line, i)
  let c = line.charCodeAt(i)
  const plain = c === 124 || isDigit(c) || (isMark(c) && line.charCodeAt(i + 1) === SPACE)
  if (!plain) {
    const arrow = line.indexOf(' => ', i)
    if (arrow !== -1 && line.indexOf('|', i) === -1) {
      out.kind = 'switch'
      out.text = line.slice(i, arrow).trim()
      out.to = line.slice(arrow + 4).trim()
      return true
    }
    if (irq(line, i, out)) return true
    // funcgraph-proc: `comm-pid` centred, then ` | `
    const bar = line.indexOf(' |', i)
    if (bar === -1) return false
    out.proc = line.slice(i, bar).trim()
    i = skipSpaces(line, bar + 2)
    if (irq(line, i, out)) return true
    c = line.charCodeAt(i)
  }
  if (c !== 124) {
    if (!isDigit(c)) i = skipSpaces(line, i + 1)
    const us = line.indexOf(' us', i)
    if (us === -1) return false
    out.duration = parseDecimal(line, i, us)
    if (Number.isNaN(out.duration)) return false
    i = skipSpaces(line, us + 3)
    if (line.charCodeAt(i) !== 124) return false
  }
  return callText(line, i + 1, out)
}

function callText(line: string, i: number, out: GraphLine): boolean {
  const start = skipSpaces(line, i)
  out.depth = Math.max(0, (start - i - 2) >> 1)
  const end = trimEnd(line)
  if (line.charCodeAt(start) === 125 /* } */) {
    out.kind = 'exit'
    const tail = line.indexOf('/* ', start)
    out.text = tail === -1 ? '' : firstWord(line.slice(tail + 3, line.lastIndexOf(' */')))
    return true
  }
  if (line.startsWith('/*', start)) {
    out.kind = 'comment'
    const text = line.slice(start + 2, end)
    out.text = (text.endsWith('*/') ? text.slice(0, -2) : text).trim()
    return true
  }
  const call = line.indexOf('()', start)
  if (call === -1) return false
  out.text = line.slice(start, call)
  if (line.charCodeAt(call + 2) === 59 /* ; */) out.kind = 'leaf'
  else if (line.startsWith(' {', call + 2)) out.kind = 'entry'
  else return false
  return true
}

/** funcgraph-retval appends ` ret=...` inside the tail comment: keep only the name. */
function firstWord(s: string): string {
  const sp = s.indexOf(' ')
  return sp === -1 ? s : s.slice(0, sp)
}

function skipSpaces(s: string, i: number): number {
  while (s.charCodeAt(i) === SPACE) i++
  return i
}

function trimEnd(s: string): number {
  let e = s.length
  while (e > 0 && (s.charCodeAt(e - 1) === SPACE || s.charCodeAt(e - 1) === 13)) e--
  return e
}

/** `106.459` without allocating a substring. */
function parseDecimal(s: string, from: number, to: number): number {
  let v = 0
  let i = from
  while (i < to && isDigit(s.charCodeAt(i))) v = v * 10 + s.charCodeAt(i++) - 48
  if (i === from) return NaN
  if (i < to && s.charCodeAt(i) === 46) {
    let scale = 1
    i++
    while (i < to && isDigit(s.charCodeAt(i))) {
      v = v * 10 + s.charCodeAt(i++) - 48
      scale *= 10
    }
    v /= scale
  }
  return i === to ? v : NaN
}
