import type { FunctionRecord, Origin } from '../trace/records.js'
import { Finder } from './find.js'

/**
 * A function tracer body: `func <-parent`, with sym-offset (`f+0x4/0xa0`), sym-addr
 * (`f <ffff..>`) and func-no-repeats; undefined when it is not one.
 */
export function functionBody(origin: Origin, body: string, intern: (name: string) => string): FunctionRecord | undefined {
  const m = /^(\S+?)(\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?(?: <-(\S+?)(\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?)?(?: \(repeats: (\d+).*\))?$/.exec(body)
  if (!m) return undefined
  const rec: FunctionRecord = { ...origin, kind: 'function', func: intern(m[1]), parent: m[3] === undefined ? undefined : intern(m[3]) }
  if (m[2]) rec.offset = m[2]
  if (m[4]) rec.parentOffset = m[4]
  if (m[5]) rec.repeats = Number(m[5])
  return rec
}

const COLON = new Finder(': ')
const PARENT_ARROW = new Finder(' <-')

/** A function tracer body (`func <-parent`) rather than an event that happens to hold ` <-`. */
export function isFunctionLine(s: string, from: number, to: number): boolean {
  return COLON.find(s, from, to) === -1 && PARENT_ARROW.find(s, from, to) !== -1
}
