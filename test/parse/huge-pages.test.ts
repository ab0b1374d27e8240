import { execa } from 'execa'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { generate } from '../../bench/layouts.js'
import { HUGE_PAGES_TUNABLE, withHugePages } from '../../src/parse/huge-pages.js'
import { receivedSettings } from '../../src/config/settings.js'
import { tempDir } from '../helpers.js'

test('the huge-page tunable joins the user GLIBC_TUNABLES, and a hugetlb setting of theirs stands', () => {
  expect(withHugePages(undefined)).toBe('glibc.malloc.hugetlb=1')
  expect(withHugePages('')).toBe('glibc.malloc.hugetlb=1')
  expect(withHugePages('glibc.malloc.arena_max=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1')
  expect(withHugePages('glibc.malloc.hugetlb=0')).toBe('glibc.malloc.hugetlb=0')
  expect(withHugePages('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2')).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=2')
})

test('the kspec/vitest plugin starts its workers, where traces load, with huge pages', async () => {
  const { kspec } = await import('../../src/vitest.js')
  const hook = kspec({ settings: receivedSettings(undefined) }).config as (c: object) => Promise<{ test: { env: Record<string, string> } }>
  const before = process.env.GLIBC_TUNABLES
  try {
    delete process.env.GLIBC_TUNABLES
    expect((await hook({})).test.env).toEqual({ GLIBC_TUNABLES: HUGE_PAGES_TUNABLE })
    process.env.GLIBC_TUNABLES = 'glibc.malloc.arena_max=2'
    expect((await hook({})).test.env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1')
    // The vitest config's own env for the workers wins over the shell's.
    expect((await hook({ test: { env: { GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' } } })).test.env.GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=0')
  } finally {
    if (before === undefined) delete process.env.GLIBC_TUNABLES
    else process.env.GLIBC_TUNABLES = before
  }
})

const THP = '/sys/kernel/mm/transparent_hugepage/enabled'
const thpMode = (() => {
  try {
    return /\[(\w+)\]/.exec(readFileSync(THP, 'utf8'))?.[1]
  } catch {
    return undefined
  }
})()

/**
 * What the tunable buys: a trace's tables in huge pages. Loaded in a process of its own
 * (from dist/, as a test worker loads it; npm test builds it), with and without the
 * tunable: the tables, ~20 MB here, must be mostly huge pages with it (one allocation
 * each: columns apart were too small for more than a page or two) and none without.
 */
test.skipIf(thpMode === undefined || thpMode === 'never')(`a loaded trace's tables are in huge pages with the tunable (THP mode here: ${thpMode ?? 'none'})`, async () => {
  const dir = tempDir('kspec-huge-')
  const file = join(dir, 'events.txt')
  writeFileSync(file, generate('events default', 24e6))
  const index = fileURLToPath(new URL('../../dist/index.js', import.meta.url))
  const script = `
    const { loadTrace } = await import(${JSON.stringify(index)})
    const { readFileSync } = await import('node:fs')
    const t = await loadTrace(${JSON.stringify(file)})
    const huge = /AnonHugePages:\\s+(\\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))
    console.log(JSON.stringify({ events: t.eventNames().length, hugeKb: Number(huge[1]) }))`
  const load = async (tunables: string | undefined) => {
    const env = { ...process.env }
    if (tunables === undefined) delete env.GLIBC_TUNABLES
    else env.GLIBC_TUNABLES = tunables
    const r = await execa('node', ['--input-type=module', '-e', script], { env, extendEnv: false })
    return JSON.parse(r.stdout) as { events: number; hugeKb: number }
  }
  const without = await load(undefined)
  const withTunable = await load(withHugePages(undefined))
  expect(withTunable.events).toBe(without.events)
  // In THP mode `always`, every large mapping may be huge anyway.
  if (thpMode === 'madvise') expect(without.hugeKb).toBe(0)
  expect(withTunable.hugeKb).toBeGreaterThanOrEqual(12 * 1024)
}, 60_000)
