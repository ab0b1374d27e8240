import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { loadTrace } from '../../src/parse/load.js'
import { tempDir } from '../helpers.js'
import { generate, LAYOUTS } from '../../bench/layouts.js'

type Layout = string

/**
 * No layout may parse in time that grows faster than its input. Both sizes fit in one of
 * loadTrace's 1 MB chunks, where a search that rescans the rest of the chunk for every
 * line (a 63 MB function trace once loaded at ~700 lines a second) is quadratic: 4 × the
 * input then takes ~16 × the time. Linear takes ~4 ×; the bound is 8 ×. Not a timing
 * test: only the ratio of two parses in the same run counts.
 */
const SMALL = 180_000

async function parseMs(file: string): Promise<number> {
  let best = Infinity
  for (let k = 0; k < 3; k++) {
    const t0 = performance.now()
    const trace = await loadTrace(file)
    best = Math.min(best, performance.now() - t0)
    expect(trace.problems).toEqual([])
  }
  return best
}

test.each(Object.keys(LAYOUTS) as Layout[])('%s: 4 × the input takes less than 8 × the time', async (layout) => {
  const dir = tempDir('kspec-linear-')
  const small = join(dir, 'small.txt')
  const large = join(dir, 'large.txt')
  writeFileSync(small, generate(layout, SMALL))
  writeFileSync(large, generate(layout, SMALL * 4))
  const trace = await loadTrace(large)
  expect(trace.recordCount).toBeGreaterThan(1000)
  await parseMs(large)
  const t1 = Math.max(await parseMs(small), 2)
  const t4 = await parseMs(large)
  expect(t4, `${layout}: ${t1.toFixed(1)} ms for ${SMALL} bytes, ${t4.toFixed(1)} ms for 4 ×`).toBeLessThan(8 * t1)
})

/**
 * A trace that starts inside a call: its children come first as roots, then the exit of
 * the call they were in adopts them all. Each adoption took its child out of the roots
 * with a search and splice over them (quadratic in the roots); now they are left out once.
 */
test('function_graph: an exit adopting many earlier roots takes time linear in them', async () => {
  const dir = tempDir('kspec-linear-')
  const text = (n: number) => `# tracer: function_graph\n${' 0)   child();\n'.repeat(n)} 0) } /* parent */\n`
  const timed = async (n: number): Promise<number> => {
    const file = join(dir, `${n}.txt`)
    writeFileSync(file, text(n))
    let best = Infinity
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now()
      const trace = await loadTrace(file)
      best = Math.min(best, performance.now() - t0)
      expect(trace.roots).toHaveLength(1)
      expect(trace.roots[0].children).toHaveLength(n)
    }
    return best
  }
  await timed(40_000)
  const t1 = Math.max(await timed(40_000), 2)
  const t4 = await timed(160_000)
  expect(t4, `${t1.toFixed(1)} ms for 40k roots, ${t4.toFixed(1)} ms for 160k`).toBeLessThan(8 * t1)
})
