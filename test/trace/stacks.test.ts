import { expect, test } from 'vitest'
import { generate } from '../../bench/layouts.js'
import { TraceParser } from '../../src/parse/parser.js'
import { StackColumn } from '../../src/trace/stacks.js'

test('a stack column holds stacks as ids in row order, arrays given in any order, and makes each array once', () => {
  const strings = ['a', 'b', 'c', 'd']
  const s = new StackColumn(strings)
  const ids = Int32Array.of(9, 0, 1, 2, 9)
  s.addIds(3, ids, 1, 4)
  s.addIds(7, ids, 2, 3)
  // Before the last row kept as ids: kept as an array.
  s.addIds(5, ids, 3, 4)
  s.set(1, ['x'])
  expect(s.arrays).toBe(2)
  expect(s.size).toBe(4)
  expect(s.get(3)).toEqual(['a', 'b', 'c'])
  expect(s.get(3)).toBe(s.get(3))
  expect(s.get(7)).toEqual(['b'])
  expect(s.get(5)).toEqual(['c'])
  expect(s.get(1)).toEqual(['x'])
  expect(s.get(4)).toBeUndefined()
  expect([...s.keys()].sort((a, b) => a - b)).toEqual([1, 3, 5, 7])
  // A stack given for a row that has one replaces it, and is not counted twice.
  s.set(7, ['y'])
  expect(s.get(7)).toEqual(['y'])
  expect(s.size).toBe(4)
  // Many, past the first allocation.
  const big = new StackColumn(strings)
  for (let row = 0; row < 5000; row++) big.addIds(row, Int32Array.of(row % 4, (row + 1) % 4), 0, 2)
  expect(big.size).toBe(5000)
  expect(big.get(4999)).toEqual(['d', 'a'])
  expect(big.get(2)).toEqual(['c', 'd'])
})

test("a func_stack_trace text's stacks stay ids while it loads, and read as the parser reads them", () => {
  const text = generate('function func_stack_trace', 2e6)
  const read = (scanning: 'auto' | 'never') => {
    const parser = new TraceParser('<generated>')
    parser.scanning = scanning
    // As loadTrace feeds a file: bytes, a MiB at a time (the scanner reads bytes).
    const bytes = Buffer.from(text)
    for (let i = 0; i < bytes.length; i += 1 << 20) parser.feed(bytes.subarray(i, i + (1 << 20)))
    const trace = parser.finish()
    return { trace, stacks: (parser as unknown as { functions: { stacks: StackColumn } }).functions.stacks }
  }
  const scanned = read('auto')
  expect(scanned.stacks.size).toBeGreaterThan(5000)
  // Only the few blocks the parser read (one a chunk's end cut off from its owner) are arrays.
  expect(scanned.stacks.arrays).toBeLessThan(scanned.stacks.size / 100)
  const frames = (t: ReturnType<typeof read>) => JSON.stringify(t.trace.withStacks().map((r) => [r.line, (r as { stack?: unknown }).stack]))
  expect(frames(scanned)).toBe(frames(read('never')))
  expect(scanned.stacks.arrays).toBe(scanned.stacks.size)
})
