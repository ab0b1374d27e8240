import type { EventRecord, FieldValue } from '../trace/records.js'
import type { Trace } from '../trace/trace.js'
import { where } from './excerpt.js'
import { valueMatches, type FieldExpectation } from './expectations.js'
import { bounded, layout } from './layout.js'
import { nearest } from '../text.js'

export interface ReturnResult {
  pass: boolean
  returns: { event: EventRecord; value: FieldValue | undefined }[]
  matching: EventRecord[]
}

/**
 * Return events of `fn`: a kretprobe/uretprobe named fn (or `fn_ret`, as kretprobe() and
 * uretprobe() name them) or returning from fn
 * (`(caller+0x.. <- fn)`), or the syscall exit `syscalls:sys_exit_<fn>`. The value is the
 * `ret` field, else the probe's only field (`$retval` under any name).
 */
export function evaluateReturn(trace: Trace, fn: string, expected?: FieldExpectation): ReturnResult {
  const sysName = `syscalls:sys_exit_${fn.replace(/^(__x64_)?sys_/, '')}`
  const returns = trace
    .ofKind('event')
    .filter((e) => e.name === sysName || e.name === fn || e.name === `${fn}_ret` || e.probe?.returnedFrom === fn || e.probe?.returnedFrom?.split('+')[0] === fn)
    .filter((e) => e.probe === undefined || e.probe.returnedFrom !== undefined)
    .map((event) => ({ event, value: returnValue(event) }))
  const matching = returns.filter((r) => r.value !== undefined && (expected === undefined || valueMatches(r.value, expected))).map((r) => r.event)
  return { pass: matching.length > 0, returns, matching }
}

function returnValue(e: EventRecord): FieldValue | undefined {
  const f = e.fields
  if ('ret' in f) return f.ret
  const keys = Object.keys(f)
  return keys.length === 1 ? f[keys[0]] : undefined
}

export function formatReturn(trace: Trace, fn: string, expected: FieldExpectation | undefined, r: ReturnResult, negated: boolean): string {
  const shown = expected === undefined ? '' : `, ${typeof expected === 'function' ? `[predicate ${expected.name || 'anonymous'}]` : String(expected)}`
  const hint = `expect(trace)${negated ? '.not' : ''}.toReturnFrom(${JSON.stringify(fn)}${shown})`
  const lines = [
    { label: 'Expected', value: `${negated ? 'no' : 'a'} return of ${fn}${expected === undefined ? '' : ` with ${shown.slice(2)}`}` },
    { label: 'Received', value: `${r.returns.length} returns, ${r.matching.length} matching` },
  ]
  if (r.returns.length === 0) {
    lines.push({ label: 'Because', value: `returns are seen through a kretprobe/uretprobe on ${fn} ($retval) or the syscalls:sys_exit_* event` })
    const names = [...trace.eventNames().keys()]
    const near = nearest(fn, names)
    if (near.length) lines.push({ label: 'Did you mean', value: near.join(', ') })
  }
  const list = negated ? r.returns.filter((x) => r.matching.includes(x.event)) : r.returns
  const excerpt = list.length ? ['Returns:', ...bounded(list, (x, i) => `  ${i}: ${x.event.name} → ${typeof x.value === 'bigint' ? `${x.value}n` : JSON.stringify(x.value)}  (${where(x.event)})`)] : []
  return layout(hint, lines, excerpt, trace)
}
