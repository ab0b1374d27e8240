import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { expect, test } from 'vitest'
import { TraceParser } from '../../src/parse/parser.js'
import type { Trace } from '../../src/trace/trace.js'
import { FIXTURES, SHARED } from '../helpers.js'

/**
 * key=value events (tracepoints, probes) are read against the keys their name's first line
 * had, their values typed where they stand (src/parse/body-fields.ts keyValuesInto); any
 * line of another shape goes the general way. Both readings must give the same fields,
 * on every real trace here and on lines made to sit on the edge between them.
 */
function parse(text: string, learn: boolean): Trace {
  const parser = new TraceParser('<text>')
  parser.learnKeys = learn
  parser.feed(text)
  return parser.finish()
}

const fields = (t: Trace) => JSON.stringify(t.ofKind('event').map((e) => ({ line: e.line, name: e.name, fields: e.fields, probe: e.probe })), (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f)
    return statSync(p).isDirectory() ? files(p) : /\.(txt|trace|report)(\.gz)?$/.test(f) ? [p] : []
  })
}

test('every real trace here reads the same fields with learned keys as without', () => {
  const all = [...files(SHARED).filter((f) => !f.includes('/bench/')), ...files(FIXTURES)]
  expect(all.length).toBeGreaterThan(20)
  let events = 0
  for (const f of all) {
    const raw = readFileSync(f)
    const text = (f.endsWith('.gz') ? gunzipSync(raw) : raw).toString('latin1')
    const learned = parse(text, true)
    expect(fields(learned), f).toBe(fields(parse(text, false)))
    events += learned.eventCount
  }
  expect(events).toBeGreaterThan(10_000)
})

test('lines on the edge of the learned reading come out as the general reading has them', () => {
  const line = (i: number, body: string) => `            bash-${1000 + i}    [001] d..2.   ${100 + i}.000001: ${body}`
  const bodies = [
    'sched_switch: prev_comm=bash prev_pid=1000 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120',
    'sched_switch: prev_comm=Web Content prev_pid=1001 prev_prio=120 prev_state=R+ ==> next_comm=kworker/u8:2 next_pid=7 next_prio=120',
    'sched_switch: prev_comm=a  b prev_pid=1002 prev_prio=-1 prev_state=D ==> next_comm= next_pid=0 next_prio=120',
    'sched_switch: prev_comm=bash prev_pid=1003 prev_prio=120 prev_state=S ==> next_comm=swapper/1 next_pid=0 next_prio=120 ',
    'softirq_raise: vec=3 [action=NET_RX]',
    'softirq_raise: vec=9 [action=RCU]',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=-100 fname="/usr/lib/a b" flags=0x8000',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=-100 fname="grep "a b" c" flags=0x8000',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=18446744073709551615 fname="123" flags=0xffffffffffffffff',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=007 fname="" flags=0x',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=-0 fname="x"y flags=12abc',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=1 dfd=2 fname="x" flags=1',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=1 fname="x" flags=1 extra=2',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=1 fname="x"',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=1 fname="x" flags=9007199254740993',
    'myprobe: (do_sys_openat2+0x0/0x170) dfd=- fname=- flags=-',
  ]
  const text = '# tracer: nop\n#\n' + bodies.map((b, i) => line(i, b)).join('\n') + '\n'
  const learned = parse(text, true)
  expect(fields(learned)).toBe(fields(parse(text, false)))
  // The learned reading took the plain lines: their fields sit in the pool, strings as spans.
  expect(learned.eventsNamed('myprobe')[0].fields).toEqual({ dfd: -100, fname: '/usr/lib/a b', flags: 0x8000 })
  expect(learned.eventsNamed('sched_switch')[1].fields).toMatchObject({ prev_comm: 'Web Content', prev_state: 'R+' })
})
