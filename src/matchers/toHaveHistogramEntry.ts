import type { Histogram, HistogramEntry } from '../trace/state.js'
import type { Trace } from '../trace/trace.js'
import { valueMatches, type FieldsExpectation } from './expectations.js'
import { layout } from './layout.js'

export interface HistogramResult {
  pass: boolean
  /** The event's histograms, when the recording has any. */
  histograms: Histogram[]
  matching: HistogramEntry[]
}

const fieldsOf = (actual: Record<string, string | number>, expected: FieldsExpectation | undefined): boolean =>
  expected === undefined || Object.keys(expected).every((k) => k in actual && valueMatches(actual[k], expected[k]))

/**
 * An entry of a histogram trigger's table on `event` (`sched:sched_process_exec` or
 * `sched_process_exec`) whose key fields and values match partially, as `hist` printed it
 * at the end of the recording.
 * @example evaluateHistogram(trace, 'sched_process_exec', { comm: 'cat' }, { hitcount: 1 })
 */
export function evaluateHistogram(trace: Trace, event: string, key: FieldsExpectation | undefined, values: FieldsExpectation | undefined): HistogramResult {
  if (typeof event !== 'string' || event === '') throw new TypeError(`expect(trace).toHaveHistogramEntry(): expected an event name ('sched:sched_process_exec'), got ${JSON.stringify(event)}`)
  // Nothing to judge is misuse, not a verdict: .not must not pass on it.
  if (trace.state === undefined) throw new TypeError(`expect(trace).toHaveHistogramEntry(): ${trace.source} holds no tracing state: histograms are read from a recording (record()), not from a saved trace`)
  const names = Object.keys(trace.state.histograms)
  const name = names.find((n) => n === event || n.endsWith(`:${event}`))
  if (name === undefined) throw new TypeError(`expect(trace).toHaveHistogramEntry(): no hist trigger was set on ${event} in this recording${names.length ? ` (histograms of: ${names.join(', ')})` : ''}; declare one: events: [{ name: '${event.includes(':') ? event : `<system>:${event}`}', triggers: ['hist:keys=…'] }]`)
  const histograms = trace.state.histograms[name]
  const matching = histograms.flatMap((h) => h.entries).filter((e) => fieldsOf(e.key, key) && fieldsOf(e.values, values))
  return { pass: matching.length > 0, histograms, matching }
}

const show = (o: Record<string, unknown> | undefined): string =>
  o === undefined ? '' : `{ ${Object.entries(o).map(([k, v]) => `${k}: ${v instanceof RegExp ? String(v) : typeof v === 'function' ? '(predicate)' : JSON.stringify(v)}`).join(', ')} }`

export function formatHistogram(trace: Trace, event: string, key: FieldsExpectation | undefined, values: FieldsExpectation | undefined, r: HistogramResult, negated: boolean): string {
  const hint = `expect(trace)${negated ? '.not' : ''}.toHaveHistogramEntry(${[JSON.stringify(event), show(key) || 'undefined', show(values)].filter(Boolean).join(', ')})`
  const entries = r.histograms.flatMap((h) => h.entries)
  const what = `${negated ? 'no' : 'an'} entry of ${event}'s histogram${key ? ` keyed ${show(key)}` : ''}${values ? ` with ${show(values)}` : ''}`
  const shown = negated ? r.matching : entries
  const table = r.histograms.flatMap((h) => [`  ${h.trigger}`, ...h.entries.slice(0, 20).map((e) => `    ${show(e.key)} ${show(e.values)}`), ...(h.entries.length > 20 ? [`    … ${h.entries.length - 20} more`] : []), `    Totals: hits ${h.totals.hits}, entries ${h.totals.entries}, dropped ${h.totals.dropped}`])
  const lines = [
    { label: 'Expected', value: what },
    { label: 'Received', value: `${shown.length} ${negated ? 'matching ' : ''}entr${shown.length === 1 ? 'y' : 'ies'}` },
  ]
  return layout(hint, lines, ['The histogram, as hist printed it:', ...table], trace)
}