import { expect, test } from 'vitest'
import { parseTraceText } from '../../src/parse/load.js'
import type { EventRecord, TraceRecord } from '../../src/trace/records.js'
import { shared } from '../helpers.js'

/**
 * Events live in the event table and become objects on access; the other records are
 * objects from the start. The Trace's queries read the table: each must say what a walk
 * over `records` says.
 */
const LINE = (ts: string, body: string, cpu = '000') => `              ls-8250    [${cpu}] .....  ${ts}: ${body}`
const text = [
  '# tracer: nop',
  LINE('1.000001', 'sys_openat(dfd: 0xffffff9c, filename: 0x1, flags: 0x0, mode: 0x0)'),
  LINE('1.000002', 'tracing_mark_write: step: open'),
  LINE('1.000003', 'sys_openat(dfd: 0xffffff9c, filename: 0x2, flags: 0x0, mode: 0x0)', '001'),
  LINE('1.000004', 'sys_openat -> 0x3', '001'),
  LINE('1.000005', 'sched_switch: prev_comm=ls prev_pid=8250 prev_prio=120 prev_state=S ==> next_comm=swapper/0 next_pid=0 next_prio=120'),
  'CPU:1 [LOST 2 EVENTS]',
  LINE('1.000006', 'tracing_mark_write: step: read'),
  LINE('1.000007', 'sys_read(fd: 0x3, buf: 0x10, count: 0x20)'),
  LINE('1.000008', 'sys_read -> 0x20'),
  LINE('1.000009', 'tracing_mark_write: step: done'),
  LINE('1.000010', 'sys_close(fd: 0x3)'),
].join('\n')

const isEvent = (r: TraceRecord): r is EventRecord => r.kind === 'event'

test('records come in file order, events and other records merged, each event one object', () => {
  const trace = parseTraceText(text)
  expect(trace.records.map((r) => r.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
  expect(trace.records.map((r) => r.kind)).toEqual(['event', 'marker', 'event', 'event', 'event', 'lost', 'marker', 'event', 'event', 'marker', 'event'])
  expect(trace.eventCount).toBe(7)
  // Asked for twice, or by two queries, an event is the same object.
  expect(trace.eventsNamed('sys_exit_openat')[0]).toBe(trace.records[3])
  expect(trace.ofKind('event')).toEqual(trace.records.filter(isEvent))
  expect(trace.ofKind('event').every((e, i) => e === trace.records.filter(isEvent)[i])).toBe(true)
})

test('eventNames counts each name as the records do, in order of first appearance', () => {
  const trace = parseTraceText(text)
  const counted = new Map<string, number>()
  for (const r of trace.records.filter(isEvent)) counted.set(r.name, (counted.get(r.name) ?? 0) + 1)
  expect(trace.eventNames()).toEqual(counted)
  expect([...trace.eventNames().keys()]).toEqual(['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat', 'sched_switch', 'syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'syscalls:sys_enter_close'])
})

test('between() keeps the events and records strictly between two markers, and nests', () => {
  const trace = parseTraceText(text)
  const open = trace.between('step: open', 'step: read')
  expect(open.records.map((r) => r.line)).toEqual([4, 5, 6, 7])
  expect(open.eventCount).toBe(3)
  expect(open.eventsNamed('sys_enter_openat').map((e) => e.fields.filename)).toEqual([2])
  expect(open.eventNames()).toEqual(new Map([['syscalls:sys_enter_openat', 1], ['syscalls:sys_exit_openat', 1], ['sched_switch', 1]]))
  expect(open.ofKind('lost')).toHaveLength(1)
  // To the end of the trace, and a between of a between.
  const rest = trace.between('step: read')
  expect(rest.records.map((r) => r.line)).toEqual([9, 10, 11, 12])
  expect(rest.between('step: done').records.map((r) => r.line)).toEqual([12])
  expect(() => rest.between('step: open')).toThrow(/no trace_marker write "step: open"/)
  expect(() => trace.between('step: read', 'step: open')).toThrow(/no trace_marker write "step: open" after "step: read"/)
})

test('withStacks() gives the records a walk finds carrying a stack, events included', async () => {
  const trace = await shared('host-6.18/tracepoint_openat_stacktrace.txt')
  const walked = trace.records.filter((r) => (r as { stack?: unknown }).stack !== undefined)
  expect(walked.length).toBeGreaterThan(0)
  expect(walked.every(isEvent)).toBe(true)
  expect(trace.withStacks()).toEqual(walked)
})
