import type { EventRecord, FieldValue, ProbeSite, Stack } from '../trace/records.js'
import type { EventFormat } from './format.js'
import { parseFields } from './fields.js'

/** Formats known to the parse, looked up lazily when an event's fields are first read. */
export class FormatBook {
  readonly byName = new Map<string, EventFormat>()
  add(format: EventFormat, system?: string): void {
    this.byName.set(format.name, format)
    if (system) this.byName.set(`${system}:${format.name}`, format)
  }
  get(name: string): EventFormat | undefined {
    return this.byName.get(name) ?? this.byName.get(name.slice(name.indexOf(':') + 1))
  }
}

type Style = 'kv' | 'syscall' | 'ret' | 'switch'

/** An event line; its fields are parsed (and typed) on first access, then kept. */
export class Event implements EventRecord {
  readonly kind = 'event' as const
  stack?: Stack
  userStack?: Stack
  tgid?: number
  flags?: string
  probe?: ProbeSite
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
    this.#fields ??= parseFields(this.body, this.style, this.formats.get(this.name))
    return this.#fields
  }

  toJSON(): object {
    const { formats: _f, style: _s, ...own } = this
    return { ...own, fields: this.fields }
  }
}

export interface EventShape {
  name: string
  body: string
  style: Style
  probe?: ProbeSite
}

/**
 * Splits an event body (`name: rest`, `sys_x(args)`, `sys_x -> ret`) into name and fields
 * text; returns undefined when the text is not an event.
 */
export function eventShape(text: string, out: EventShape = { name: '', body: '', style: 'kv' }): EventShape | undefined {
  out.probe = undefined
  const colon = text.indexOf(': ')
  const paren = text.indexOf('(')
  if (paren > 0 && (colon === -1 || paren < colon) && text.charCodeAt(text.length - 1) === 41 && isIdent(text, 0, paren)) {
    out.name = syscallName('sys_enter_', text.slice(0, paren))
    out.body = text.slice(paren + 1, -1)
    out.style = 'syscall'
    return out
  }
  if (colon === -1 || paren === -1) {
    const arrow = text.indexOf(' -> ')
    if (arrow > 0 && (colon === -1 || arrow < colon) && isIdent(text, 0, arrow)) {
      out.name = syscallName('sys_exit_', text.slice(0, arrow))
      out.body = text.slice(arrow + 4)
      out.style = 'ret'
      return out
    }
  }
  if (colon <= 0 || !isName(text, 0, colon)) return undefined
  let rest = colon + 2
  while (text.charCodeAt(rest) === 32) rest++
  const name = text.slice(0, colon)
  out.name = name
  out.body = text.slice(rest)
  // trace-cmd report names syscall events as they are and prints them its own way.
  if (name.startsWith('sys_enter_') || name.startsWith('sys_exit_')) {
    out.name = `syscalls:${name}`
    out.style = name.startsWith('sys_enter_') ? 'syscall' : 'ret'
    return out
  }
  out.style = name === 'sched_switch' && !text.includes('prev_comm=', rest) ? 'switch' : 'kv'
  if (text.charCodeAt(rest) === 40 /* ( */) {
    const close = text.indexOf(')', rest)
    if (close !== -1) {
      const site = text.slice(rest + 1, close)
      const back = site.indexOf(' <- ')
      out.probe = back === -1 ? { at: site } : { at: site.slice(0, back), returnedFrom: site.slice(back + 4) }
      out.body = text.slice(close + 1).trimStart()
    }
  }
  return out
}

const syscallNames = new Map<string, string>()

/** `sys_openat` → `syscalls:sys_enter_openat`, built once per syscall rather than per line. */
function syscallName(kind: 'sys_enter_' | 'sys_exit_', printed: string): string {
  const key = kind + printed
  let name = syscallNames.get(key)
  if (name === undefined) syscallNames.set(key, (name = `syscalls:${kind}${printed.startsWith('sys_') ? printed.slice(4) : printed}`))
  return name
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
