import { execFileSync } from 'node:child_process'
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { generate, LAYOUTS } from '../../bench/layouts.js'
import { loadTrace, parseTraceText } from '../../src/parse/load.js'
import { FILE_CHUNK, readFileChunks } from '../../src/parse/lines.js'
import { TraceParser } from '../../src/parse/parser.js'
import type { Trace } from '../../src/trace/trace.js'
import { tempDir } from '../helpers.js'

type Layout = keyof typeof LAYOUTS

/**
 * loadTrace reads a plain file a MiB at a time into the same memory whenever the trace
 * keeps none of the last chunk (function and function_graph lines become numbers), and
 * into new memory when it does (events' bodies are read from it later). So the line a
 * chunk ends in the middle of must be copied before the next chunk overwrites it, and a
 * kept chunk must never be read into again: either mistake reads the file wrong, here
 * against the same text parsed whole.
 */
const same = (trace: Trace, whole: Trace): void => {
  expect(trace.problems).toEqual(whole.problems)
  expect(trace.recordCount).toBe(whole.recordCount)
  // A call's parent and children are named by their lines (they are records of the same list).
  const flat = (t: Trace): string => JSON.stringify(t.records, (k, v) => (k === 'parent' ? v?.line : k === 'children' ? v.map((c: { line: number }) => c.line) : v))
  expect(flat(trace)).toBe(flat(whole))
}

test.each(['function', 'function sym-offset sym-addr', 'function func_stack_trace', 'function_graph', 'function_graph proc abstime tail', 'events default', 'events tracepoints', 'kprobe events'] as Layout[])(
  '%s: a file of several chunks reads as its text whole',
  async (layout) => {
    const dir = tempDir('kspec-chunks-')
    const text = generate(layout, 3.5 * FILE_CHUNK)
    const file = join(dir, 'trace.txt')
    writeFileSync(file, text)
    const trace = await loadTrace(file)
    expect(trace.recordCount).toBeGreaterThan(10000)
    same(trace, parseTraceText(text))
  },
)

test('a line longer than a chunk, between function lines, is read whole', async () => {
  const dir = tempDir('kspec-chunks-')
  const fn = generate('function', FILE_CHUNK / 2).replace('# tracer: function\n#\n', '')
  const text = `# tracer: function\n#\n${fn}# ${'x'.repeat(2.5 * FILE_CHUNK)}\n${fn}`
  const file = join(dir, 'trace.txt')
  writeFileSync(file, text)
  const trace = await loadTrace(file)
  same(trace, parseTraceText(text))
  expect(trace.recordCount).toBe(2 * (fn.match(/\n/g)?.length ?? 0))
})

test('a file that gets shorter while it is read is an error, not a trace of what was there', async () => {
  const dir = tempDir('kspec-chunks-')
  const file = join(dir, 'trace.txt')
  writeFileSync(file, generate('events default', 2 * FILE_CHUNK))
  const read = readFileChunks(file, (_bytes, again) => {
    truncateSync(file, 100)
    again()
    return false
  })
  await expect(read).rejects.toThrow(/trace.txt: the file got shorter while it was read .*load it when nothing is writing it/)
})

test('a file that grows while it is read: what it had at the start and what came after both read right', async () => {
  // readFileChunks puts its copies in one allocation of the size the file had at the
  // start; a chunk past it needs memory of its own (else it would be cut, or overrun).
  const dir = tempDir('kspec-chunks-')
  const file = join(dir, 'trace.txt')
  const first = generate('events default', 1.5 * FILE_CHUNK)
  const more = generate('events default', 2.2 * FILE_CHUNK).replace('# tracer: nop\n#\n', '')
  writeFileSync(file, first)
  const parser = new TraceParser(file)
  let grown = false
  await readFileChunks(file, (bytes, again) => {
    if (!grown) appendFileSync(file, more)
    grown = true
    return parser.feed(bytes, again)
  })
  same(parser.finish(), parseTraceText(first + more))
})

test('a named pipe (which cannot be read twice) reads as the same text', async () => {
  const dir = tempDir('kspec-chunks-')
  const text = generate('events default', 2.5 * FILE_CHUNK)
  const fifo = join(dir, 'pipe')
  execFileSync('mkfifo', [fifo])
  const writer = writeFile(fifo, text)
  const trace = await loadTrace(fifo)
  await writer
  same(trace, parseTraceText(text))
})

test('a file the kernel prints anew at each read (tracefs, /proc: size 0) is copied, not read again', async () => {
  let chunks = 0
  await readFileChunks('/proc/self/status', (bytes, again) => {
    chunks++
    // A read again would still be under way here, into memory of its own.
    expect(again().equals(bytes)).toBe(true)
    return false
  })
  expect(chunks).toBeGreaterThan(0)
})

test('a chunk fed without again() and kept does not make the next one, fed with it, point at the wrong bytes', () => {
  const events = generate('events default', 3 * FILE_CHUNK)
  const cut = events.indexOf('\n', 1.5 * FILE_CHUNK) + 1
  const parser = new TraceParser('<generated>')
  // The first half kept as it is (no again), the second copied by again().
  expect(parser.feed(Buffer.from(events.slice(0, cut)))).toBe(true)
  const second = Buffer.from(events.slice(cut))
  expect(parser.feed(second, () => Buffer.from(second))).toBe(false)
  same(parser.finish(), parseTraceText(events))
})
