import type { EventRecord } from '../trace/records.js'
import type { Trace } from '../trace/trace.js'
import { where } from './excerpt.js'
import { fieldsMatch, matchScore, showExpected, showFields, type FieldsExpectation } from './expectations.js'
import { bounded, layout } from './layout.js'
import { nearest, plural } from '../text.js'

export interface EventResult {
  pass: boolean
  named: EventRecord[]
  matching: EventRecord[]
}

/**
 * Events named `name` (exact, without system, or a glob) whose fields partially match.
 * @example evaluateEvents(trace, 'sched_switch', { next_comm: 'ls' }).matching.length
 */
export function evaluateEvents(trace: Trace, name: string, fields: FieldsExpectation | undefined, times?: number): EventResult {
  const named = trace.eventsNamed(name)
  const matching = named.filter((e) => fieldsMatch(e, fields))
  return { pass: times === undefined ? matching.length > 0 : matching.length === times, named, matching }
}

export function formatEvents(trace: Trace, name: string, fields: FieldsExpectation | undefined, r: EventResult, negated: boolean, times?: number): string {
  const matcher = times === undefined ? 'toHaveEvent' : 'toHaveEventTimes'
  const args = [JSON.stringify(name), ...(times === undefined ? [] : [String(times)]), ...(fields ? [showExpected(fields)] : [])]
  const hint = `expect(trace)${negated ? '.not' : ''}.${matcher}(${args.join(', ')})`
  const what = `${name}${fields ? ` with ${showExpected(fields)}` : ''}`
  const expected = times === undefined ? `${negated ? 'no' : 'at least one'} event ${what}` : `${negated ? 'not ' : ''}exactly ${plural(times, 'event')} ${what}`
  const received = fields ? `${plural(r.matching.length, 'matching event')} (${r.named.length} named ${name})` : plural(r.named.length, 'event')
  const lines = [
    { label: 'Expected', value: expected },
    { label: 'Received', value: received },
  ]
  let excerpt: string[]
  if (negated || r.matching.length > 0) {
    excerpt = ['Matching events:', ...bounded(r.matching, (e, i) => `  ${i}: ${e.name} ${showFields(e)}  (${where(e)})`)]
  } else if (r.named.length > 0) {
    const ranked = [...r.named].sort((a, b) => matchScore(b, fields) - matchScore(a, fields))
    excerpt = [`Nearest ${name} events:`, ...bounded(ranked, (e, i) => `${i === 0 ? '->' : '  '}${i}: ${showFields(e)}  (${where(e)})`)]
  } else {
    const counts = trace.eventNames()
    const names = [...counts.keys()]
    const near = nearest(name, names)
    if (near.length > 0) lines.push({ label: 'Did you mean', value: near.join(', ') })
    excerpt = names.length ? ['Events in the trace:', ...bounded(names, (n) => `  ${n} (${counts.get(n)})`)] : ['The trace holds no events.']
  }
  return layout(hint, lines, excerpt, trace)
}
