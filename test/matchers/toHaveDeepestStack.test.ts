import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'kspec'
import { parseStackTrace } from '../../src/parse/stack-trace.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { FIXTURES, failure, shared } from '../helpers.js'

const table = readFileSync(join(FIXTURES, 'state/stack_trace-debian-6.1.txt'), 'utf8')

describe('the stack tracer\'s deepest stack', () => {
  test('stack_trace reads into frames, innermost first, each with its depth, size and bare function', () => {
    const stack = parseStackTrace(table, '3408\n')
    expect(stack.maxSize).toBe(3408)
    expect(stack.frames).toHaveLength(33)
    expect(stack.frames[0]).toEqual({ depth: 3408, size: 48, location: '_raw_spin_trylock+0x5/0x40', function: '_raw_spin_trylock' })
    expect(stack.frames.at(-1)).toEqual({ depth: 176, size: 176, location: 'entry_SYSCALL_64_after_hwframe+0x6e/0xd8', function: 'entry_SYSCALL_64_after_hwframe' })
    // Each frame's depth is the next one's plus its own size.
    for (let i = 0; i + 1 < stack.frames.length; i++) expect(stack.frames[i].depth - stack.frames[i].size).toBe(stack.frames[i + 1].depth)
  })

  test('toHaveDeepestStack passes on frames in order, fails with the stack shown', async () => {
    const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
    trace.state = { tracingOn: true, histograms: {}, probes: [], stack: parseStackTrace(table, '3408') }
    expect(trace).toHaveDeepestStack(['get_page_from_freelist', '__alloc_pages'])
    expect(trace).not.toHaveDeepestStack(['__alloc_pages', 'get_page_from_freelist'])
    const message = failure(() => expect(trace).toHaveDeepestStack(['vfs_read']))
    expect(message).toContain('Expected: the deepest stack through vfs_read')
    expect(message).toContain('33 frames, 3408 bytes deep; 0 of the 1 frames in order')
    expect(message).toMatch(/ 3408 +48 +_raw_spin_trylock\+0x5\/0x40/)
  })

  test('nothing to judge is misuse: a saved trace, or a recording without the stack tracer', async () => {
    const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
    expect(() => expect(trace).not.toHaveDeepestStack(['vfs_read'])).toThrow(/holds no tracing state/)
    trace.state = { tracingOn: true, histograms: {}, probes: [] }
    expect(() => expect(trace).not.toHaveDeepestStack(['vfs_read'])).toThrow(/did not run the stack tracer; declare it: defineTrace\(\{ …, stackTracer: true \}\)/)
    expect(() => expect(trace).toHaveDeepestStack([])).toThrow(/pass the frames to find/)
  })

  test('a declaration of the stack tracer alone records something; an empty function list names the fix', () => {
    expect(defineTrace({ stackTracer: true }).stackTracer).toBe(true)
    expect(() => defineTrace({ stackTracer: { functions: [] } })).toThrow(/name at least one function, or write stackTracer: true/)
    expect(() => defineTrace({})).toThrow(/choose a tracer, events, kprobes, uprobes, eprobes, fprobes, function triggers or the stack tracer/)
  })
})
