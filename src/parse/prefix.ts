import { parseDecimal } from './decimal.js'
import { Finder } from './find.js'

const BRACKET = new Finder('[')

/**
 * The common prefix of ftrace's text output, in every form the kernel prints it:
 *
 *   `            bash-7532    [000] d..2.   370.202008: body`        (default)
 *   `            bash-2033    (   2033) [001] .....   376.049049: `  (record-tgid)
 *   `              sh-2043    [001]    376.101459: body`              (irq-info off)
 *   `      sh-2046      1..... 20597us : body`                        (latency-format)
 *
 * Parsing fills a reusable scratch object so the hot loop allocates nothing but the record.
 */
export interface Prefix {
  /** Where the task name and the flags stand in the line, so they can be interned uncut. */
  taskFrom: number
  taskTo: number
  flagsFrom: number
  flagsTo: number
  pid: number
  tgid: number | undefined
  cpu: number
  flags: string | undefined
  ts: number
  /** Index of the first character of the body. */
  body: number
}

const SPACE = 32
const isBlank = (c: number): boolean => c === SPACE || c === 9
const isDigit = (c: number): boolean => c >= 48 && c <= 57

/** Parses the default prefix; returns false when the line has none. */
export function parsePrefix(line: string, out: Prefix): boolean {
  return parsePrefixAt(line, 0, line.length, out)
}

/**
 * The same, for the line `s[from, to)` of a larger text: nothing is cut out, and every
 * position it reports is an index into `s`.
 */
export function parsePrefixAt(s: string, from: number, to: number, out: Prefix): boolean {
  if (atColumns(s, from, to, out)) return afterCpu(s, to, out)
  for (let open = BRACKET.find(s, from, to); open !== -1; open = BRACKET.find(s, open + 1, to)) {
    if (open > from && s.charCodeAt(open - 1) === SPACE && cpuBracketAt(s, open, to, out)) {
      return taskBefore(s, from, open, out) && afterCpu(s, to, out)
    }
  }
  return false
}

/**
 * The layout the kernel prints by default, `%16s-%-7d [%03d] `, read at its columns:
 * the same answer as the search below whenever it applies (a longer task name or a
 * record-tgid column moves the bracket, and the search takes over).
 */
function atColumns(s: string, from: number, to: number, out: Prefix): boolean {
  if (to - from < 34 || s.charCodeAt(from + 16) !== 45 || s.charCodeAt(from + 25) !== 91 || s.charCodeAt(from + 29) !== 93) return false
  let pid = 0
  let i = from + 17
  for (; i < from + 24 && isDigit(s.charCodeAt(i)); i++) pid = pid * 10 + s.charCodeAt(i) - 48
  if (i === from + 17) return false
  for (; i < from + 25; i++) if (s.charCodeAt(i) !== SPACE) return false
  let cpu = 0
  for (i = from + 26; i < from + 29; i++) {
    const c = s.charCodeAt(i)
    if (!isDigit(c)) return false
    cpu = cpu * 10 + c - 48
  }
  let start = from
  while (start < from + 16 && isBlank(s.charCodeAt(start))) start++
  if (start === from + 16) return false
  out.taskFrom = start
  out.taskTo = from + 16
  out.pid = pid
  out.tgid = undefined
  out.cpu = cpu
  out.body = from + 30
  return true
}

function cpuBracketAt(s: string, open: number, to: number, out: Prefix): boolean {
  let i = open + 1
  let cpu = 0
  while (i < to && isDigit(s.charCodeAt(i))) cpu = cpu * 10 + s.charCodeAt(i++) - 48
  if (i === open + 1 || i >= to || s.charCodeAt(i) !== 93 /* ] */) return false
  out.cpu = cpu
  out.body = i + 1
  return true
}

/** `TASK-PID` (task may hold spaces and dashes), optionally followed by `(  TGID)`. */
function taskBefore(s: string, from: number, open: number, out: Prefix): boolean {
  let end = open - 1
  while (end >= from && s.charCodeAt(end) === SPACE) end--
  out.tgid = undefined
  if (end >= from && s.charCodeAt(end) === 41 /* ) */) {
    const paren = s.lastIndexOf('(', end)
    if (paren < from) return false
    // `(-------)`, or fewer dashes in narrower columns: the tgid is unknown.
    const tgid = Number(s.slice(paren + 1, end))
    if (Number.isInteger(tgid)) out.tgid = tgid
    end = paren - 1
    while (end >= from && s.charCodeAt(end) === SPACE) end--
  }
  let p = end
  let pid = 0
  let scale = 1
  while (p >= from && isDigit(s.charCodeAt(p))) {
    pid += (s.charCodeAt(p--) - 48) * scale
    scale *= 10
  }
  if (p === end || p < from || s.charCodeAt(p) !== 45 /* - */) return false
  out.pid = pid
  // Padding before the task: spaces, or a tab where a tool indented the line (trappy's test traces).
  let start = from
  while (isBlank(s.charCodeAt(start))) start++
  out.taskFrom = start
  out.taskTo = p
  return true
}

/** `] FLAGS   TS: ` or `]   TS: ` (no irq-info). */
function afterCpu(s: string, to: number, out: Prefix): boolean {
  let i = out.body
  while (i < to && s.charCodeAt(i) === SPACE) i++
  let tokenEnd = i
  while (tokenEnd < to && s.charCodeAt(tokenEnd) !== SPACE) tokenEnd++
  if (tokenEnd === to) return false
  out.flags = undefined
  if (s.charCodeAt(tokenEnd - 1) !== 58 /* : */) {
    out.flags = ''
    out.flagsFrom = i
    out.flagsTo = tokenEnd
    i = tokenEnd
    while (i < to && s.charCodeAt(i) === SPACE) i++
    tokenEnd = i
    while (tokenEnd < to && s.charCodeAt(tokenEnd) !== SPACE) tokenEnd++
    if (s.charCodeAt(tokenEnd - 1) !== 58) return false
  }
  const ts = parseDecimal(s, i, tokenEnd - 1)
  if (Number.isNaN(ts)) return false
  out.ts = ts
  out.body = tokenEnd + 1
  return true
}

/**
 * latency-format: `%8.8s-%-7d %3d` (`%-5d` before Linux 5.x) then the flags glued to the
 * CPU, then ` 20597us : ` with a one-character delay mark (` `, `+`, `!`, …) before the colon.
 */
export function parseLatencyPrefix(line: string, out: Prefix): boolean {
  if (line.length < 22 || line.charCodeAt(8) !== 45) return false
  let i = 9
  let pid = 0
  while (isDigit(line.charCodeAt(i))) pid = pid * 10 + line.charCodeAt(i++) - 48
  if (i === 9 || line.charCodeAt(i) !== SPACE) return false
  while (line.charCodeAt(i) === SPACE) i++
  const cpuFrom = i
  let cpu = 0
  while (isDigit(line.charCodeAt(i))) cpu = cpu * 10 + line.charCodeAt(i++) - 48
  if (i === cpuFrom) return false
  const flagsEnd = line.indexOf(' ', i)
  if (flagsEnd === -1) return false
  out.flags = ''
  out.flagsFrom = i
  out.flagsTo = flagsEnd
  i = flagsEnd
  while (line.charCodeAt(i) === SPACE) i++
  const us = line.indexOf('us', i)
  const colon = line.indexOf(': ', us)
  if (us === -1 || colon === -1 || colon > us + 4) return false
  out.ts = Number(line.slice(i, us))
  if (Number.isNaN(out.ts)) return false
  let t = 0
  while (line.charCodeAt(t) === SPACE) t++
  out.taskFrom = t
  out.taskTo = 8
  out.pid = pid
  out.tgid = undefined
  out.cpu = cpu
  out.body = colon + 2
  return true
}

/**
 * `trace-cmd report -l` (latency columns): the CPU and the flags glued, no brackets:
 * `bash-4127    1d..2. 8812.003344: body`.
 */
const TRACE_CMD_LATENCY = /^\s*(.*?)-(\d+)\s+(\d+)([^\s\d][^\s]*)\s+(\d+\.\d+):\s/
/**
 * The same where the timestamp fills its column and meets the flags: trace-cmd prints the
 * record's raw clock value (`%12llu`, nanoseconds of the trace clock) when its seconds
 * format does not apply, and its five latency flags then touch it:
 * `trace-cm-6973    2d..4.259445106948920: body`. The number is kept as printed.
 */
const TRACE_CMD_LATENCY_GLUED = /^\s*(.*?)-(\d+)\s+(\d+)([^\s\d]\S{4})(\d{12,}):\s/

export function parseTraceCmdLatencyPrefix(line: string, out: Prefix): boolean {
  const m = TRACE_CMD_LATENCY.exec(line) ?? TRACE_CMD_LATENCY_GLUED.exec(line)
  if (m === null) return false
  out.taskFrom = line.indexOf(m[1])
  out.taskTo = out.taskFrom + m[1].length
  out.pid = Number(m[2])
  out.tgid = undefined
  out.cpu = Number(m[3])
  out.flags = ''
  out.flagsFrom = m.index + m[0].indexOf(m[3] + m[4]) + m[3].length
  out.flagsTo = out.flagsFrom + m[4].length
  out.ts = Number(m[5])
  out.body = m[0].length
  return true
}
