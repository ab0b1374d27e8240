import { expect, test } from 'vitest'
import { parseTraceText } from '../../src/parse/load.js'

const trace = (...lines: string[]) => parseTraceText(['# tracer: nop', ...lines].join('\n'))

test("trace-cmd report's `print: tracing_mark_write: TEXT` is the marker TEXT, as in tracefs text", () => {
  const cmd = parseTraceText(['cpus=2', '            bash-10    [000]   100.000001: print:                tracing_mark_write: step one'].join('\n'))
  const fs = trace('            bash-10    [000] .....   100.000001: tracing_mark_write: step one')
  expect(cmd.ofKind('marker').map((m) => m.text)).toEqual(['step one'])
  expect(fs.ofKind('marker').map((m) => m.text)).toEqual(['step one'])
})

test('a TGID column of dashes, however wide, is one unknown for events and markers alike', () => {
  const t = trace(
    '            bash-10    (-----) [000] .....   100.000001: sched_process_exit: comm=bash pid=10 prio=120',
    '            bash-10    (-------) [000] .....   100.000002: tracing_mark_write: hi',
    '            bash-10    (     10) [000] .....   100.000003: tracing_mark_write: there',
  )
  expect([t.ofKind('event')[0].tgid, ...t.ofKind('marker').map((m) => m.tgid)]).toEqual([undefined, undefined, 10])
})

test("old systrace/atrace lines (the write's address as the name) are markers, not events named 0", () => {
  const t = trace(
    '  surfaceflinger-254   [000] ...1  1000.000001: 0: B|254|onMessageReceived',
    '  surfaceflinger-254   [000] ...1  1000.000002: 0: E|254',
    '  surfaceflinger-254   [000] ...1  1000.000003: 0: C|254|VSYNC|5',
  )
  expect(t.ofKind('event')).toEqual([])
  expect(t.ofKind('marker').map((m) => m.text)).toEqual(['B|254|onMessageReceived', 'E|254', 'C|254|VSYNC|5'])
})

test('a marker whose text holds a newline: the next line belongs to its text', () => {
  const t = trace(
    '            bash-10    [000] .....   100.000001: tracing_mark_write: first line',
    'second line',
    'third line',
    '            bash-10    [000] .....   100.000002: tracing_mark_write: next',
  )
  expect(t.problems).toEqual([])
  expect(t.ofKind('marker').map((m) => m.text)).toEqual(['first line\nsecond line\nthird line', 'next'])
})

test('trace_printk lines whose caller is printed with sym-offset or sym-addr are events of that caller', () => {
  const t = trace(
    '          insmod-311   [001] d....    92.000418: my_probe+0x3c/0x90: irq 17 bound',
    '    kworker/1:2-88     [001] .....    93.100200: my_work_fn <ffffffffc0a01234>: queue empty',
    '          insmod-311   [001] d....    92.000419: my_probe: irq 18 bound',
  )
  expect(t.problems).toEqual([])
  expect(t.ofKind('event').map((e) => e.name)).toEqual(['my_probe', 'my_work_fn', 'my_probe'])
})
