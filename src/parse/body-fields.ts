import { narrow, type EventTable } from '../trace/events.js'
import type { FieldValue } from '../trace/records.js'
import type { EventFormat, FieldFormat } from './format.js'
import { Finder } from './find.js'
import { NameTable } from './name-table.js'

const ARG_COLON = new Finder(': ')
const ARG_COMMA = new Finder(', ')

/**
 * Event bodies into fields. Three shapes reach here:
 *   `key=value key2="quoted str"`  (tracepoints, kprobes, uprobes; values may hold spaces)
 *   `dfd: 0xffffff9c, filename: 5ac6d1`  (syscall entry: always hex, `0x` optional)
 *   `0x3`  (syscall exit, as the field `ret`)
 */
export function parseFields(body: string, style: 'kv' | 'syscall' | 'ret' | 'switch', format?: EventFormat): Record<string, FieldValue> {
  if (style === 'ret') return { ret: retValue(body, 0, body.length, format?.fields.get('ret')) }
  if (style === 'switch') return traceCmdSwitch(body)
  if (style === 'kv') {
    const raw = splitKeyValues(body)
    const out: Record<string, FieldValue> = {}
    for (const key in raw) out[key] = typeKeyValue(raw[key], format?.fields.get(key))
    return out
  }
  return syscallArgs(body, format)
}

/**
 * A syscall prints the same arguments, in the same order, every time: once its first
 * event is read, the next ones are checked against that list (no search, no hashing of
 * keys) and their values typed straight into the table's pool. Returns where they
 * start, or -1 (nothing kept) when the text differs from the list: the general reading
 * then takes it.
 */
export function syscallArgsInto(s: string, from: number, to: number, keys: readonly string[], table: EventTable): number {
  const start = table.reserve(keys.length)
  if (keys.length === 0) return from >= to ? start : -1
  let i = from
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]
    if (!s.startsWith(key, i) || s.charCodeAt(i + key.length) !== 58 || s.charCodeAt(i + key.length + 1) !== 32) break
    i += key.length + 2
    let end = i
    while (end < to && s.charCodeAt(end) !== 44 /* , */) end++
    table.put(start + k, hexValue(s, i, end, undefined, false))
    if (end < to && s.charCodeAt(end + 1) !== 32) break
    i = end + 2
    if (k === keys.length - 1 && i >= to) return start
  }
  table.used = start
  return -1
}

/**
 * A tracepoint or probe prints the same `key=value` list, in the same order, every time:
 * once an event's first line is read, the next ones are read against its keys, each value
 * typed where it stands (a number in the pool, a string as a span of the chunk: nothing
 * cut out, no object per event). Only the plain shape is taken: single spaces between
 * `key=value`s, values of one word or quoted, sched_switch's `==>`; anything else (a comm
 * with a space, a bracketed note, a key the list lacks) returns -1 and nothing is kept,
 * and the general reading takes the line, so both readings agree on every line.
 */
export function keyValuesInto(s: string, from: number, to: number, keys: readonly string[], formats: readonly (FieldFormat | undefined)[], table: EventTable): number {
  const start = table.reserve(keys.length)
  let i = from
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]
    if (!s.startsWith(key, i) || s.charCodeAt(i + key.length) !== 61 /* = */) break
    i += key.length + 1
    let vFrom = i
    let vTo: number
    if (s.charCodeAt(i) === 34 /* " */) {
      vTo = closingQuote(s, i + 1, to)
      vFrom = i + 1
      i = vTo + 1
    } else {
      while (i < to && s.charCodeAt(i) !== 32) i++
      vTo = i
    }
    if (k === keys.length - 1) {
      if (i !== to) break
    } else {
      if (s.charCodeAt(i) !== 32) break
      i++
      // sched_switch's arrow is punctuation, as the general reading has it.
      if (s.startsWith('==> ', i)) i += 4
    }
    typeInto(s, vFrom, vTo, formats[k], table, start + k)
    if (k === keys.length - 1) return start
  }
  table.used = start
  return -1
}

/** A key=value value `s[from, to)` typed as typeKeyValue types it, into pool place `at`. */
function typeInto(s: string, from: number, to: number, f: FieldFormat | undefined, table: EventTable, at: number): void {
  const c = s.charCodeAt(from)
  if (f?.string || !(c === 45 || (c >= 48 && c <= 57)) || to - from >= 65536) {
    if (to - from < 65536) return table.putSpan(at, from, to - from)
    return table.put(at, s.slice(from, to))
  }
  // Decimal, as Number() reads it, while it stays exact.
  let i = c === 45 ? from + 1 : from
  if (i < to && to - i <= 15) {
    let v = 0
    for (; i < to; i++) {
      const d = s.charCodeAt(i) - 48
      if (d < 0 || d > 9) break
      v = v * 10 + d
    }
    if (i === to) return table.putNumber(at, c === 45 ? -v : v)
  }
  // 0x hex without a signed format, of up to 13 digits: exact too.
  if (c === 48 && s.charCodeAt(from + 1) === 120 && !f?.signed) {
    const v = hexAt(s, from, to)
    if (v !== undefined) return table.putNumber(at, v)
  }
  const v = typeKeyValue(s.slice(from, to), f)
  if (typeof v === 'string') table.putSpan(at, from, to - from)
  else table.put(at, v)
}

/** A syscall exit's value `s[from, to)`: signed, as `ret` always is. */
export function retValue(s: string, from: number, to: number, f: FieldFormat | undefined): FieldValue {
  while (from < to && s.charCodeAt(from) <= 32) from++
  while (to > from && s.charCodeAt(to - 1) <= 32) to--
  return hexValue(s, from, to, f, true)
}

/** Field names, one string each however many events carry them: cheaper keys, less garbage. */
const KEYS = new NameTable()

/** Syscall arguments, typed in one pass: hex digits are read where they stand. */
function syscallArgs(s: string, format: EventFormat | undefined): Record<string, FieldValue> {
  const out: Record<string, FieldValue> = {}
  const to = s.length
  let i = 0
  while (i < to) {
    const colon = ARG_COLON.find(s, i, to)
    if (colon === -1) break
    let end = ARG_COMMA.find(s, colon + 2, to)
    if (end === -1) end = to
    const key = KEYS.get(s, i, colon)
    out[key] = hexValue(s, colon + 2, end, format?.fields.get(key), false)
    i = end + 2
  }
  return out
}

/** The hex value `s[from, to)`: read in place when no format types it, else by its C type. */
function hexValue(s: string, from: number, to: number, f: FieldFormat | undefined, signed: boolean): FieldValue {
  if (f === undefined) {
    const v = hexAt(s, from, to) ?? hex64At(s, from, to, signed)
    if (v !== undefined) return v
  }
  return typeHex(s.slice(from, to), f, signed)
}

function splitKeyValues(body: string): Record<string, string> {
  const out: Record<string, string> = {}
  let key: string | undefined
  let i = 0
  const n = body.length
  while (i < n) {
    while (body.charCodeAt(i) === 32) i++
    if (i >= n) break
    const eq = keyAt(body, i)
    if (eq !== -1) {
      key = body.slice(i, eq)
      i = eq + 1
      if (body.charCodeAt(i) === 34 /* " */) {
        const close = closingQuote(body, i + 1)
        out[key] = body.slice(i + 1, close)
        i = close + 1
        continue
      }
      const end = tokenEnd(body, i)
      out[key] = body.slice(i, end)
      i = end
      continue
    }
    // A bracketed note after a value (`vec=3 [action=NET_RX]`): its own field, so the
    // value before it still types as a number (`vec: 3, action: 'NET_RX'`), or
    // `<key>_note` when it is no `k=v`.
    if (body.charCodeAt(i) === 91 /* [ */ && key !== undefined) {
      const close = body.indexOf(']', i)
      if (close !== -1 && (close + 1 === n || body.charCodeAt(close + 1) === 32)) {
        const inner = body.slice(i + 1, close)
        const eq = keyAt(inner, 0)
        if (eq !== -1) out[inner.slice(0, eq)] = inner.slice(eq + 1)
        else out[`${key}_note`] = inner
        i = close + 1
        continue
      }
    }
    const end = tokenEnd(body, i)
    // A word that is not `key=` continues the previous value (`prev_comm=Web Content`);
    // `==>` in sched_switch is punctuation, not data.
    const word = body.slice(i, end)
    if (key !== undefined && word !== '==>') out[key] += ' ' + word
    i = end
  }
  return out
}

/** Where the `=` of a `key=` at `i` is (before `to`), or -1. */
function keyAt(s: string, i: number, to = s.length): number {
  const c = s.charCodeAt(i)
  if (!((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95)) return -1
  for (let j = i + 1; j < to; j++) {
    const d = s.charCodeAt(j)
    if (d === 61 /* = */) return j
    if (!((d >= 48 && d <= 57) || (d >= 65 && d <= 90) || (d >= 97 && d <= 122) || d === 95 || d === 46)) return -1
  }
  return -1
}

function tokenEnd(s: string, i: number): number {
  const sp = s.indexOf(' ', i)
  return sp === -1 ? s.length : sp
}

/**
 * Where a quoted value ends. The kernel prints strings unescaped (`arg1="grep "a b" c"`):
 * the value runs to the last quote before the next ` key=` or the end of the text.
 */
function closingQuote(s: string, i: number, to = s.length): number {
  for (let j = s.indexOf('"', i); j !== -1 && j < to; j = s.indexOf('"', j + 1)) {
    if (j + 1 === to) return j
    if (s.charCodeAt(j + 1) === 32) {
      let k = j + 1
      while (k < to && s.charCodeAt(k) === 32) k++
      if (k === to || keyAt(s, k, to) !== -1) return j
    }
  }
  return to
}

/** A hex number of up to 13 digits (`0x` optional) between from and to, else undefined. */
function hexAt(s: string, from: number, to: number): number | undefined {
  if (s.charCodeAt(from) === 48 && s.charCodeAt(from + 1) === 120) from += 2
  if (to - from > 13 || to === from) return undefined
  let v = 0
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i)
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1
    if (d < 0) return undefined
    v = v * 16 + d
  }
  return v
}

/**
 * 14 to 16 hex digits (`0x` optional) as a number when it is exactly one, read as two
 * 32-bit halves; `signed` reads it as a two's-complement int64 (a syscall's `ret`:
 * `0xffffffffffffffc3` is -61). Undefined leaves it to the BigInt path.
 */
function hex64At(s: string, from: number, to: number, signed: boolean): number | undefined {
  if (s.charCodeAt(from) === 48 && s.charCodeAt(from + 1) === 120) from += 2
  const n = to - from
  if (n < 14 || n > 16) return undefined
  const hi = hexAt(s, from, to - 8)
  const lo = hexAt(s, to - 8, to)
  if (hi === undefined || lo === undefined) return undefined
  // Safe integers: |v| < 2^53, so the high half must stay below 2^21.
  if (signed && n === 16 && hi >= 0x80000000) return hi - 0x100000000 > -0x200000 ? (hi - 0x100000000) * 0x100000000 + lo : undefined
  return hi < 0x200000 ? hi * 0x100000000 + lo : undefined
}

const INT32 = /^(int|s32|pid_t)$/

/** Syscall values are printed in hex whatever their type; `int` args and `ret` carry a sign. */
function typeHex(text: string, f: FieldFormat | undefined, isRet: boolean): FieldValue {
  const hex = text.startsWith('0x') ? text.slice(2) : text
  if (hex.length === 0 || !/^[0-9a-fA-F]+$/.test(hex)) return text
  const int32 = f !== undefined && INT32.test(f.type)
  if (hex.length <= 13) {
    const v = parseInt(hex, 16)
    return int32 && v >= 2 ** 31 && v < 2 ** 32 ? v - 2 ** 32 : v
  }
  const big = BigInt('0x' + hex)
  if (int32) return narrow(BigInt.asIntN(32, big))
  return narrow(isRet || f?.signed ? BigInt.asIntN(64, big) : big)
}

function typeKeyValue(text: string, f: FieldFormat | undefined): FieldValue {
  if (f?.string) return text
  const c = text.charCodeAt(0)
  if (!(c === 45 || (c >= 48 && c <= 57))) return text
  if (/^-?\d+$/.test(text)) {
    const v = Number(text)
    return Number.isSafeInteger(v) ? v : BigInt(text)
  }
  if (/^0x[0-9a-fA-F]+$/.test(text)) {
    const big = BigInt(text)
    return narrow(f?.signed ? BigInt.asIntN(f.size * 8, big) : big)
  }
  return text
}

/** trace-cmd's own sched_switch text: `ls:8250 [120] X ==> swapper/0:0 [120]`. */
function traceCmdSwitch(body: string): Record<string, FieldValue> {
  const m = /^(.*):(\d+) \[(-?\d+)\] (\S+) ==> (.*):(\d+) \[(-?\d+)\]/.exec(body)
  if (!m) return {}
  return { prev_comm: m[1], prev_pid: Number(m[2]), prev_prio: Number(m[3]), prev_state: m[4], next_comm: m[5], next_pid: Number(m[6]), next_prio: Number(m[7]) }
}
