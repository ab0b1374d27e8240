import { expect, test } from 'vitest'
import { TraceParser } from '../../src/parse/parser.js'
import { generate } from '../../bench/layouts.js'

/**
 * A large trace's tables grow to what the rows read so far project for the whole text
 * (TraceParser.project, before each batch the scanner read goes in), not by doubling from
 * a guess: new memory is slow to touch on this kind of VM, and each doubling touches the
 * table again. Fed in loadTrace's 1 MB chunks, a table grows once past its first 1024
 * rows and ends within a quarter of its rows (or at the first guess from the file's
 * size, when that was more).
 */
const MB = 1 << 20

interface Columns {
  size: number
  line: Int32Array
  expected: number
}

/** Feeds `layout` text of `bytes` in loadTrace's 1 MB chunks, counting the times `room(parser)` changed. */
function feedCounting(layout: string, bytes: number, room: (p: TraceParser) => number): { parser: TraceParser; grown: number; room: number } {
  const text = Buffer.from(generate(layout, bytes))
  const parser = new TraceParser('<generated>')
  parser.expect(text.length)
  let grown = 0
  let last = room(parser)
  for (let i = 0; i < text.length; i += MB) {
    parser.feed(text.subarray(i, i + MB))
    if (room(parser) !== last) grown++
    last = room(parser)
  }
  expect(parser.finish().problems).toEqual([])
  return { parser, grown, room: last }
}

async function read(layout: string, bytes: number, table: (p: TraceParser) => Columns): Promise<{ rows: number; room: number; grown: number; guess: number }> {
  let guess: number | undefined
  const { parser, grown, room } = feedCounting(layout, bytes, (p) => {
    guess ??= table(p).expected
    return table(p).line.length
  })
  return { rows: table(parser).size, room, grown, guess: guess! }
}

test.each([
  ['function_graph no duration', (p: TraceParser) => (p as unknown as { tree: { table: Columns } }).tree.table],
  ['events tracepoints', (p: TraceParser) => (p as unknown as { events: Columns }).events],
  ['function', (p: TraceParser) => (p as unknown as { functions: Columns }).functions],
])('%s: the table grows once, past its first 1024 rows, to within a quarter of its rows', async (layout, table) => {
  const { rows, room, grown, guess } = await read(layout, 8 * MB, table)
  expect(rows).toBeGreaterThan(40_000)
  // The first guess, from the file's size, may be more: memory never touched costs nothing.
  expect(room).toBeLessThanOrEqual(Math.max(rows * 1.25, guess))
  // From its first 1024 rows straight to what the first batch read projects.
  expect(grown).toBeLessThanOrEqual(1)
})

/**
 * The event table's pool of field values grows the same way: to what the values per row
 * so far project. It doubled from a guess of three values a row, so events of more
 * (sched_switch has seven, a bprint eleven) grew it twice or more, copying it each time.
 */
test.each(['events tracepoints', 'events default', 'kprobe events', 'trace-cmd report -l bprint'])('%s: the pool of field values grows once, to within a quarter of what it holds', async (layout) => {
  const pool = (p: TraceParser) => (p as unknown as { events: { values: Float64Array; used: number } }).events
  const { parser, grown, room } = feedCounting(layout, 8 * MB, (p) => pool(p).values.length)
  const t = pool(parser)
  expect(t.used).toBeGreaterThan(100_000)
  expect(grown).toBeLessThanOrEqual(1)
  expect(room).toBeLessThanOrEqual(t.used * 1.25)
})

/**
 * The wakeup tracers' scheduler entries keep no values in the pool: their eight fields
 * are read from the entry as printed when asked for. In the pool they were 72 bytes an
 * entry, against ~40 of text (a generated latency trace, half of whose lines are such
 * entries, read at 2.2 × the fastest layout's time per byte).
 */
test('scheduler entries keep no values in the pool: their fields are read from their text when asked for', () => {
  const text = Buffer.from(generate('latency tracer (preemptoff)', 2 * MB))
  const parser = new TraceParser('<generated>')
  parser.expect(text.length)
  for (let i = 0; i < text.length; i += MB) parser.feed(text.subarray(i, i + MB))
  const trace = parser.finish()
  expect(trace.problems).toEqual([])
  const entries = trace.eventsNamed('context_switch')
  expect(entries.length).toBeGreaterThan(10_000)
  expect((parser as unknown as { events: { used: number } }).events.used).toBe(0)
  expect(entries[7].fields).toEqual({ prev_pid: 0, prev_prio: 120, prev_state: 'R', next_cpu: 3, next_pid: 312 + (7 % 9), next_prio: 100, next_state: 'R', next_comm: 'kworker/3:1H' })
  expect(trace.eventsNamed('context_switch').filter((e) => e.fields.next_pid === 320 && e.fields.next_comm === 'kworker/3:1H').length).toBeGreaterThan(1000)
})
