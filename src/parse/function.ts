import type { FunctionRecord, Origin } from '../trace/records.js'
import { Finder } from './find.js'

/**
 * A function tracer body: `func <-parent`, with sym-offset (`f+0x4/0xa0`), sym-addr
 * (`f <ffff..>`) and func-no-repeats; undefined when it is not one.
 */
export function functionBody(origin: Origin, body: string, intern: (name: string) => string): FunctionRecord | undefined {
  // Read by hand: the one regular expression for all of it backtracked over every line
  // (two thirds of a function trace's parse).
  let end = body.length
  let repeats: number | undefined
  if (body.charCodeAt(end - 1) === 41 /* ) */) {
    const r = body.lastIndexOf(' (repeats: ')
    if (r !== -1) {
      repeats = parseInt(body.slice(r + 11), 10)
      if (!Number.isInteger(repeats)) return undefined
      end = r
    }
  }
  const arrow = body.indexOf(' <-')
  const head = arrow === -1 || arrow >= end ? end : arrow
  const func = part(body, 0, head)
  if (func === undefined) return undefined
  // Built field by field: a spread of the origin took V8's slow object-cloning path here.
  const rec: FunctionRecord = { kind: 'function', line: origin.line, cpu: origin.cpu, task: origin.task, pid: origin.pid, ts: origin.ts, func: intern(func.name), parent: undefined }
  if (origin.tgid !== undefined) rec.tgid = origin.tgid
  if (origin.flags !== undefined) rec.flags = origin.flags
  if (func.offset) rec.offset = func.offset
  if (head < end) {
    const parent = part(body, head + 3, end)
    if (parent === undefined) return undefined
    rec.parent = intern(parent.name)
    if (parent.offset) rec.parentOffset = parent.offset
  }
  if (repeats !== undefined) rec.repeats = repeats
  return rec
}

/** `name`, `name+0x4/0xa0`, `name <ffff..>` or both, in `s[from, to)`. */
function part(s: string, from: number, to: number): { name: string; offset: string | undefined } | undefined {
  let i = from
  while (i < to) {
    const c = s.charCodeAt(i)
    if (c === 32 || c === 43 /* + */) break
    i++
  }
  if (i === from) return undefined
  const name = s.slice(from, i)
  if (i === to) return { name, offset: undefined }
  const m = DECORATION.exec(s.slice(i, to))
  return m === null ? undefined : { name, offset: m[1] }
}

const DECORATION = /^(\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?$/

const COLON = new Finder(': ')
const PARENT_ARROW = new Finder(' <-')

/** A function tracer body (`func <-parent`) rather than an event that happens to hold ` <-`. */
export function isFunctionLine(s: string, from: number, to: number): boolean {
  return COLON.find(s, from, to) === -1 && PARENT_ARROW.find(s, from, to) !== -1
}
