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
  const f = functionShapeAt(s, from, to, SHAPE)
  if (f === undefined) return undefined
  // Built field by field: a spread of the origin took V8's slow object-cloning path here.
  const rec: FunctionRecord = { kind: 'function', line, cpu, task, pid, ts, func: name(s, from, f.funcTo), parent: undefined }
  if (tgid !== undefined) rec.tgid = tgid
  if (flags !== undefined) rec.flags = flags
  if (f.offsetTo > f.funcTo) rec.offset = s.slice(f.funcTo, f.offsetTo)
  if (f.moduleFrom !== -1) rec.module = s.slice(f.moduleFrom, f.moduleTo)
  if (f.parentFrom !== -1) {
    rec.parent = name(s, f.parentFrom, f.parentTo)
    if (f.parentOffsetTo > f.parentTo) rec.parentOffset = s.slice(f.parentTo, f.parentOffsetTo)
    if (f.parentModuleFrom !== -1) rec.parentModule = s.slice(f.parentModuleFrom, f.parentModuleTo)
  }
  if (f.repeats !== -1) rec.repeats = f.repeats
  return rec
}

/**
 * Where a function tracer body's parts stand in `s`: the function `[from, funcTo)`, its
 * sym-offset `[funcTo, offsetTo)` (empty without) and the module sym-offset names after
 * it (moduleFrom -1 for none), the parent likewise (parentFrom -1 for none),
 * func-no-repeats' count (-1 for none).
 */
export interface FunctionShape {
  funcTo: number
  offsetTo: number
  moduleFrom: number
  moduleTo: number
  parentFrom: number
  parentTo: number
  parentOffsetTo: number
  parentModuleFrom: number
  parentModuleTo: number
  repeats: number
}

/** A scratch shape for functionShapeAt to fill. */
export const newFunctionShape = (): FunctionShape => ({ funcTo: 0, offsetTo: 0, moduleFrom: -1, moduleTo: -1, parentFrom: -1, parentTo: -1, parentOffsetTo: -1, parentModuleFrom: -1, parentModuleTo: -1, repeats: -1 })

const SHAPE = newFunctionShape()

/** A function tracer body `s[from, to)` (`func <-parent`, sym-offset, sym-addr, func-no-repeats) into `out`; undefined when it is not one. */
export function functionShapeAt(s: string, from: number, to: number, out: FunctionShape): FunctionShape | undefined {
  // Read by hand: the one regular expression for all of it backtracked over every line
  // (two thirds of a function trace's parse).
  let end = to
  out.repeats = -1
  if (s.charCodeAt(end - 1) === 41 /* ) */) {
    const r = s.lastIndexOf(' (repeats: ', end)
    if (r >= from) {
      const repeats = parseInt(s.slice(r + 11, end), 10)
      if (!Number.isInteger(repeats)) return undefined
      out.repeats = repeats
      end = r
    }
  }
  const arrow = s.indexOf(' <-', from)
  const head = arrow === -1 || arrow >= end ? end : arrow
  const funcEnd = nameEnd(s, from, head)
  if (funcEnd === from) return undefined
  out.moduleFrom = -1
  const offsetTo = funcEnd === head ? funcEnd : decoration(s, funcEnd, head, out, false)
  if (offsetTo === -1) return undefined
  out.funcTo = funcEnd
  out.offsetTo = offsetTo
  out.parentFrom = -1
  if (head < end) {
    const parentEnd = nameEnd(s, head + 3, end)
    if (parentEnd === head + 3) return undefined
    out.parentModuleFrom = -1
    const parentOffsetTo = parentEnd === end ? parentEnd : decoration(s, parentEnd, end, out, true)
    if (parentOffsetTo === -1) return undefined
    out.parentFrom = head + 3
    out.parentTo = parentEnd
    out.parentOffsetTo = parentOffsetTo
  }
  return out
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

/**
 * What follows a name: `+0x4/0xa0` (with the module after it, ` [overlay]`, for a module's
 * function), ` <ffff..>` or both; where the offset ends (`from` for none), -1 when it is
 * neither. The module's place goes in `out`, as the function's or (`parent`) its parent's.
 */
function decoration(s: string, from: number, to: number, out: FunctionShape, parent: boolean): number {
  const m = DECORATION.exec(s.slice(from, to))
  if (m === null) return -1
  const offsetTo = from + (m[1]?.length ?? 0)
  if (m[2] !== undefined) {
    const moduleFrom = offsetTo + 2
    const moduleTo = moduleFrom + m[2].length
    if (parent) {
      out.parentModuleFrom = moduleFrom
      out.parentModuleTo = moduleTo
    } else {
      out.moduleFrom = moduleFrom
      out.moduleTo = moduleTo
    }
  }
  return offsetTo
}

const DECORATION = /^(?:(\+0x[0-9a-f]+\/0x[0-9a-f]+)(?: \[([\w-]+)\])?)?(?: <[0-9a-f]+>)?$/

const COLON = new Finder(': ')
const PARENT_ARROW = new Finder(' <-')

/** A function tracer body (`func <-parent`) rather than an event that happens to hold ` <-`. */
export function isFunctionLine(s: string, from: number, to: number): boolean {
  return COLON.find(s, from, to) === -1 && PARENT_ARROW.find(s, from, to) !== -1
}
