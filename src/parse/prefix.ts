import { parseDecimal } from './decimal.js'

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
const isDigit = (c: number): boolean => c >= 48 && c <= 57

/** Parses the default prefix; returns false when the line has none. */
export function parsePrefix(line: string, out: Prefix): boolean {
  let open = line.indexOf('[')
  while (open !== -1) {
    if (open > 0 && line.charCodeAt(open - 1) === SPACE && cpuBracketAt(line, open, out)) {
      return taskBefore(line, open, out) && afterCpu(line, out)
    }
    open = line.indexOf('[', open + 1)
  }
  return false
}

function cpuBracketAt(line: string, open: number, out: Prefix): boolean {
  let i = open + 1
  let cpu = 0
  while (isDigit(line.charCodeAt(i))) cpu = cpu * 10 + line.charCodeAt(i++) - 48
  if (i === open + 1 || line.charCodeAt(i) !== 93 /* ] */) return false
  out.cpu = cpu
  out.body = i + 1
  return true
}

/** `TASK-PID` (task may hold spaces and dashes), optionally followed by `(  TGID)`. */
function taskBefore(line: string, open: number, out: Prefix): boolean {
  let end = open - 1
  while (end >= 0 && line.charCodeAt(end) === SPACE) end--
  out.tgid = undefined
  if (line.charCodeAt(end) === 41 /* ) */) {
    const paren = line.lastIndexOf('(', end)
    if (paren < 0) return false
    const tgid = line.slice(paren + 1, end).trim()
    if (tgid !== '-------') out.tgid = Number(tgid)
    end = paren - 1
    while (end >= 0 && line.charCodeAt(end) === SPACE) end--
  }
  let p = end
  while (p >= 0 && isDigit(line.charCodeAt(p))) p--
  if (p === end || line.charCodeAt(p) !== 45 /* - */) return false
  out.pid = Number(line.slice(p + 1, end + 1))
  let start = 0
  while (line.charCodeAt(start) === SPACE) start++
  out.taskFrom = start
  out.taskTo = p
  return true
}

/** `] FLAGS   TS: ` or `]   TS: ` (no irq-info). */
function afterCpu(line: string, out: Prefix): boolean {
  let i = out.body
  while (line.charCodeAt(i) === SPACE) i++
  let tokenEnd = line.indexOf(' ', i)
  if (tokenEnd === -1) return false
  out.flags = undefined
  if (line.charCodeAt(tokenEnd - 1) !== 58 /* : */) {
    out.flags = ''
    out.flagsFrom = i
    out.flagsTo = tokenEnd
    i = tokenEnd
    while (line.charCodeAt(i) === SPACE) i++
    tokenEnd = line.indexOf(' ', i)
    if (tokenEnd === -1) tokenEnd = line.length
    if (line.charCodeAt(tokenEnd - 1) !== 58) return false
  }
  const ts = parseDecimal(line, i, tokenEnd - 1)
  if (Number.isNaN(ts)) return false
  out.ts = ts
  out.body = tokenEnd + 1
  return true
}


/**
 * latency-format: `%8.8s-%-7d %3d` then the flags glued to the CPU, then ` 20597us : `
 * with a one-character delay mark before the colon.
 */
export function parseLatencyPrefix(line: string, out: Prefix): boolean {
  if (line.length < 22 || line.charCodeAt(8) !== 45) return false
  const pid = Number(line.slice(9, 16))
  const cpu = Number(line.slice(16, 20))
  if (!Number.isInteger(pid) || !Number.isInteger(cpu)) return false
  let i = 20
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
