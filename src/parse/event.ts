import type { EventRecord, FieldValue, ProbeSite, Stack } from '../trace/records.js'
import type { EventFormat } from './format.js'
import { parseFields } from './fields.js'
import { Finder, find } from './find.js'
import { NameTable } from './names.js'

/** Formats known to the parse, looked up lazily when an event's fields are first read. */
export class FormatBook {
  readonly byName = new Map<string, EventFormat>()
  /** Each event name's answer, found or not, so a million events look up a handful. */
  readonly #seen = new Map<string, EventFormat | null>()
  add(format: EventFormat, system?: string): void {
    this.byName.set(format.name, format)
    if (system) this.byName.set(`${system}:${format.name}`, format)
    this.#seen.clear()
  }
  get(name: string): EventFormat | undefined {
    let found = this.#seen.get(name)
    if (found === undefined) this.#seen.set(name, (found = this.byName.get(name) ?? this.byName.get(name.slice(name.indexOf(':') + 1)) ?? null))
    return found ?? undefined
  }
}

type Style = 'kv' | 'syscall' | 'ret' | 'switch'

/** An event line; its fields are parsed (and typed) on first access, then kept. */
export class Event implements EventRecord {
  readonly kind = 'event' as const
  declare stack?: Stack
  declare userStack?: Stack
  declare tgid?: number
  declare flags?: string
  declare probe?: ProbeSite
  #fields: Record<string, FieldValue> | undefined
  constructor(
    readonly line: number,
    readonly cpu: number | undefined,
    readonly task: string | undefined,
    readonly pid: number | undefined,
    readonly ts: number | undefined,
    readonly name: string,
    readonly body: string,
    private readonly style: Style,
    private readonly formats: FormatBook,
  ) {}

  get fields(): Record<string, FieldValue> {
    this.#fields ??= parseFields(this.body, this.style, this.formats.get(this.name), this.name)
    return this.#fields
  }

  toJSON(): object {
    const { formats: _f, style: _s, ...own } = this
    return { ...own, fields: this.fields }
  }
}

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
  probe?: ProbeSite
}

const COLON = new Finder(': ')
const PAREN = new Finder('(')
const ARROW = new Finder(' -> ')

export const newShape = (): EventShape => ({ kind: 'plain', nameFrom: 0, nameTo: 0, bodyFrom: 0, bodyTo: 0, style: 'kv' })

/**
 * Splits the event text `s[from, to)` (`name: rest`, `sys_x(args)`, `sys_x -> ret`) into
 * name and fields text without cutting anything out; undefined when it is not an event.
 */
export function eventShapeAt(s: string, from: number, to: number, out: EventShape): EventShape | undefined {
  out.probe = undefined
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
  if (colon <= from || !isName(s, from, colon)) return undefined
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
      const site = s.slice(rest + 1, close)
      const back = site.indexOf(' <- ')
      out.probe = back === -1 ? { at: site } : { at: site.slice(0, back), returnedFrom: site.slice(back + 4) }
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
 * `sys_enter_openat:` the same name.
 */
export class EventNames {
  readonly #enter = new NameTable()
  readonly #exit = new NameTable()
  /** Full names by the printed name's id in #enter / #exit. */
  readonly #enterNames: string[] = []
  readonly #exitNames: string[] = []
  readonly #traceCmd = new Map<string, string>()
  constructor(readonly names: NameTable) {}

  name(s: string, shape: EventShape): string {
    if (shape.kind === 'plain') {
      const printed = this.names.get(s, shape.nameFrom, shape.nameTo)
      if (!printed.startsWith('sys_enter_') && !printed.startsWith('sys_exit_')) return printed
      let full = this.#traceCmd.get(printed)
      if (full === undefined) this.#traceCmd.set(printed, (full = `syscalls:${printed}`))
      return full
    }
    const enter = shape.kind === 'enter'
    const table = enter ? this.#enter : this.#exit
    const full = enter ? this.#enterNames : this.#exitNames
    const printed = table.id(s, shape.nameFrom, shape.nameTo)
    if (full[printed] === undefined) {
      const bare = table.list[printed]
      full[printed] = this.names.intern(`syscalls:${enter ? 'sys_enter_' : 'sys_exit_'}${bare.startsWith('sys_') ? bare.slice(4) : bare}`)
    }
    return full[printed]
  }
}

function isIdent(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return false
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
