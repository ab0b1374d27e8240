import type { FunctionRecord, Origin } from '../trace/records.js'
import { Finder } from './find.js'

/**
 * A function tracer body, `s[from, to)`: `func <-parent`, with sym-offset (`f+0x4/0xa0`),
 * sym-addr (`f <ffff..>`) and func-no-repeats; undefined when it is not one. Names are
 * read where they stand (`name(s, from, to)` interns the range), so a line costs one
 * record and no strings of its own.
 */
export function functionBody(origin: Origin, s: string, from: number, to: number, name: (s: string, from: number, to: number) => string): FunctionRecord | undefined {
  return functionAt(origin.line, origin.cpu, origin.task, origin.pid, origin.ts, origin.tgid, origin.flags, s, from, to, name)
}

/** functionBody with the prefix's fields as they were parsed: no origin object per line (a third of a function trace's parse was the collector's). */
export function functionAt(line: number, cpu: number | undefined, task: string | undefined, pid: number | undefined, ts: number | undefined, tgid: number | undefined, flags: string | undefined, s: string, from: number, to: number, name: (s: string, from: number, to: number) => string): FunctionRecord | undefined {
  // Read by hand: the one regular expression for all of it backtracked over every line
  // (two thirds of a function trace's parse).
  let end = to
  let repeats: number | undefined
  if (s.charCodeAt(end - 1) === 41 /* ) */) {
    const r = s.lastIndexOf(' (repeats: ', end)
    if (r >= from) {
      repeats = parseInt(s.slice(r + 11, end), 10)
      if (!Number.isInteger(repeats)) return undefined
      end = r
    }
  }
  const arrow = s.indexOf(' <-', from)
  const head = arrow === -1 || arrow >= end ? end : arrow
  const funcEnd = nameEnd(s, from, head)
  if (funcEnd === from) return undefined
  const funcOffset = funcEnd === head ? undefined : decoration(s, funcEnd, head)
  if (funcOffset === null) return undefined
  // Built field by field: a spread of the origin took V8's slow object-cloning path here.
  const rec: FunctionRecord = { kind: 'function', line, cpu, task, pid, ts, func: name(s, from, funcEnd), parent: undefined }
  if (tgid !== undefined) rec.tgid = tgid
  if (flags !== undefined) rec.flags = flags
  if (funcOffset) rec.offset = funcOffset
  if (head < end) {
    const parentEnd = nameEnd(s, head + 3, end)
    if (parentEnd === head + 3) return undefined
    const parentOffset = parentEnd === end ? undefined : decoration(s, parentEnd, end)
    if (parentOffset === null) return undefined
    rec.parent = name(s, head + 3, parentEnd)
    if (parentOffset) rec.parentOffset = parentOffset
  }
  if (repeats !== undefined) rec.repeats = repeats
  return rec
}

/** Where a name in `s[from, to)` ends: at a space, a `+` (sym-offset) or `to`. */
function nameEnd(s: string, from: number, to: number): number {
  let i = from
  while (i < to) {
    const c = s.charCodeAt(i)
    if (c === 32 || c === 43 /* + */) break
    i++
  }
  return i
}

/** What follows a name: `+0x4/0xa0`, ` <ffff..>` or both; the offset (or undefined), null when it is neither. */
function decoration(s: string, from: number, to: number): string | undefined | null {
  const m = DECORATION.exec(s.slice(from, to))
  return m === null ? null : m[1]
}

const DECORATION = /^(\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?$/

const COLON = new Finder(': ')
const PARENT_ARROW = new Finder(' <-')

/** A function tracer body (`func <-parent`) rather than an event that happens to hold ` <-`. */
export function isFunctionLine(s: string, from: number, to: number): boolean {
  return COLON.find(s, from, to) === -1 && PARENT_ARROW.find(s, from, to) !== -1
}
