import type { ProbeSite } from '../trace/records.js'
import type { EventFormat } from './format.js'
import { Finder, find } from './find.js'
import { NameTable } from './name-table.js'

/** Formats known to the parse, by event name (with or without its system). */
export class FormatBook {
  readonly byName = new Map<string, EventFormat>()
  /** Changes whenever a format is added, for callers that keep answers of their own (EventRows). */
  version = 0
  add(format: EventFormat, system?: string): void {
    this.version++
    this.byName.set(format.name, format)
    if (system) this.byName.set(`${system}:${format.name}`, format)
  }
  get(name: string): EventFormat | undefined {
    return this.byName.get(name) ?? this.byName.get(name.slice(name.indexOf(':') + 1))
  }
}

type Style = 'kv' | 'syscall' | 'ret' | 'switch'

/**
 * Where an event's parts stand in its line: the name as printed (`sys_openat` for a
 * syscall, whose full name `syscalls:sys_enter_openat` the text never says) and the
 * fields text. Positions are indices into the text that was shaped.
 */
export interface EventShape {
  /** `enter`/`exit`: a syscall printed as `sys_x(args)` / `sys_x -> ret`. */
  kind: 'enter' | 'exit' | 'plain'
  nameFrom: number
  nameTo: number
  bodyFrom: number
  bodyTo: number
  style: Style
  /** Where a probe's site stands (`do_sys_openat2+0x0/0x170`, `a <- b`): siteFrom is -1 for none. */
  siteFrom: number
  siteTo: number
}

const COLON = new Finder(': ')
const PAREN = new Finder('(')
const ARROW = new Finder(' -> ')

export const newShape = (): EventShape => ({ kind: 'plain', nameFrom: 0, nameTo: 0, bodyFrom: 0, bodyTo: 0, style: 'kv', siteFrom: -1, siteTo: -1 })

/** A probe's site from its text: `(sym+off/size)`, or `(a <- b)` for a return probe. */
export function probeSite(site: string): ProbeSite {
  const back = site.indexOf(' <- ')
  return back === -1 ? { at: site } : { at: site.slice(0, back), returnedFrom: site.slice(back + 4) }
}

/**
 * Splits the event text `s[from, to)` (`name: rest`, `sys_x(args)`, `sys_x -> ret`) into
 * name and fields text without cutting anything out; undefined when it is not an event.
 */
export function eventShapeAt(s: string, from: number, to: number, out: EventShape): EventShape | undefined {
  out.siteFrom = -1
  // Nearly every event starts with an identifier followed by `(`, ` -> ` or `: `, which
  // decides its shape at once; anything else takes the searches below.
  let j = from
  let c = 0
  while (j < to && isIdentChar((c = s.charCodeAt(j)))) j++
  if (j > from) {
    if (c === 40 /* ( */ && s.charCodeAt(to - 1) === 41) return shaped(out, 'enter', from, j, j + 1, to - 1, 'syscall')
    if (c === 58 /* : */ && s.charCodeAt(j + 1) === 32) return plain(s, from, j, to, out)
    if (c === 32 && s.startsWith(' -> ', j) && isWord(s, j + 4, to)) return shaped(out, 'exit', from, j, j + 4, to, 'ret')
  }
  const colon = COLON.find(s, from, to)
  const paren = PAREN.find(s, from, to)
  if (paren > from && (colon === -1 || paren < colon) && s.charCodeAt(to - 1) === 41 && isIdent(s, from, paren)) {
    return shaped(out, 'enter', from, paren, paren + 1, to - 1, 'syscall')
  }
  if (colon === -1 || paren === -1) {
    const arrow = ARROW.find(s, from, to)
    if (arrow > from && (colon === -1 || arrow < colon) && isIdent(s, from, arrow)) {
      return shaped(out, 'exit', from, arrow, arrow + 4, to, 'ret')
    }
  }
  if (colon <= from) return undefined
  if (isName(s, from, colon)) return plain(s, from, colon, to, out)
  // trace_printk names its caller, with sym-offset (`my_probe+0x3c/0x90: `) or sym-addr
  // (`my_work_fn <ffffffffc0a01234>: `): the event is the caller's, as without them.
  const decorated = DECORATED.exec(s.slice(from, colon))
  if (decorated === null) return undefined
  plain(s, from, colon, to, out)
  out.nameTo = from + decorated[1].length
  return out
}

const DECORATED = /^([A-Za-z_][\w.]*)(?:\+0x[0-9a-f]+\/0x[0-9a-f]+)?(?: <[0-9a-f]+>)?$/

/** `name: rest`, the colon at `colon`: tracepoints, probes, trace-cmd's syscalls. */
function plain(s: string, from: number, colon: number, to: number, out: EventShape): EventShape {
  let rest = colon + 2
  while (rest < to && s.charCodeAt(rest) === 32) rest++
  // trace-cmd report names syscall events as they are and prints them its own way.
  if (s.startsWith('sys_enter_', from)) return shaped(out, 'plain', from, colon, rest, to, 'syscall')
  if (s.startsWith('sys_exit_', from)) return shaped(out, 'plain', from, colon, rest, to, 'ret')
  const sched = colon - from === 12 && s.startsWith('sched_switch', from)
  shaped(out, 'plain', from, colon, rest, to, sched && find(s, 'prev_comm=', rest, to) === -1 ? 'switch' : 'kv')
  if (s.charCodeAt(rest) === 40 /* ( */) {
    const close = find(s, ')', rest, to)
    if (close !== -1) {
      // Read where it stands: the events' table interns sites, which repeat line after line.
      out.siteFrom = rest + 1
      out.siteTo = close
      out.bodyFrom = close + 1
      while (out.bodyFrom < to && s.charCodeAt(out.bodyFrom) === 32) out.bodyFrom++
    }
  }
  return out
}

function shaped(out: EventShape, kind: EventShape['kind'], nameFrom: number, nameTo: number, bodyFrom: number, bodyTo: number, style: Style): EventShape {
  out.kind = kind
  out.nameFrom = nameFrom
  out.nameTo = nameTo
  out.bodyFrom = bodyFrom
  out.bodyTo = bodyTo
  out.style = style
  return out
}

/**
 * Event names by their place in a line, interned: `sys_openat(` becomes
 * `syscalls:sys_enter_openat` once per syscall, not once per line, and trace-cmd's
 * `sys_enter_openat:` the same name. Names are given as their index in `names.list`.
 */
export class EventNames {
  readonly #enter = new NameTable()
  readonly #exit = new NameTable()
  /** Full names' ids by the printed name's id in #enter / #exit / names. */
  readonly #enterIds: number[] = []
  readonly #exitIds: number[] = []
  readonly #plainIds: number[] = []
  constructor(readonly names: NameTable) {}

  id(s: string, shape: EventShape): number {
    if (shape.kind === 'plain') return this.#full(this.names.id(s, shape.nameFrom, shape.nameTo))
    const enter = shape.kind === 'enter'
    const table = enter ? this.#enter : this.#exit
    const printed = table.id(s, shape.nameFrom, shape.nameTo)
    return (enter ? this.#enterIds : this.#exitIds)[printed] ?? this.syscall(enter, table.list[printed])
  }

  /** The id `id()` gives an event printed as `printed: ` (trace-cmd's `sys_enter_x` is `syscalls:sys_enter_x`). */
  plain(printed: string): number {
    return this.#full(this.names.idOf(printed))
  }

  #full(printed: number): number {
    let full = this.#plainIds[printed]
    if (full === undefined) {
      const name = this.names.list[printed]
      full = this.#plainIds[printed] = name.startsWith('sys_enter_') || name.startsWith('sys_exit_') ? this.names.idOf(`syscalls:${name}`) : printed
    }
    return full
  }

  /** The id `id()` gives a syscall entry (or exit) printed as `printed`. */
  syscall(enter: boolean, printed: string): number {
    const table = enter ? this.#enter : this.#exit
    const full = enter ? this.#enterIds : this.#exitIds
    const id = table.idOf(printed)
    if (full[id] === undefined) full[id] = this.names.idOf(`syscalls:${enter ? 'sys_enter_' : 'sys_exit_'}${printed.startsWith('sys_') ? printed.slice(4) : printed}`)
    return full[id]
  }
}

const isIdentChar = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95

function isIdent(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isIdentChar(s.charCodeAt(i))) return false
  return to > from
}

/** Letters and digits only, as a syscall's return value prints (`0x3`, `fffffffffffffffe`). */
function isWord(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122))) return false
  }
  return to > from
}

/** Event names may carry a group (`my_grp:probe`) or dots (`foo.isra.0`). */
function isName(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 58 || c === 45)) return false
  }
  return to > from
}
