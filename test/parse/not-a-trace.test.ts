import { execa } from 'execa'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { expect, test } from 'vitest'
import { TraceFileError } from '../../src/errors.js'
import { loadTrace } from '../../src/parse/load.js'
import { FIXTURES, SHARED, tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const GRAPH = join(ROOT, 'specs/traces/graph_openat_depth3.txt')
const refused = (path: string) => loadTrace(path).then(() => 'loaded', (e) => e as Error)

test('an empty file, /dev/null and a binary are not traces: an error, never a complete trace', async () => {
  const dir = tempDir('kspec-notrace-')
  writeFileSync(join(dir, 'empty.txt'), '')
  for (const path of [join(dir, 'empty.txt'), '/dev/null']) {
    const err = await refused(path)
    expect(err).toBeInstanceOf(TraceFileError)
    expect((err as Error).message).toBe(`${path}: no ftrace records and no ftrace header in it (it is empty): this is not a trace. loadTrace reads tracefs trace or trace_pipe text and trace-cmd report output, plain or .gz`)
  }
  const ls = await refused('/bin/ls')
  expect(ls).toBeInstanceOf(TraceFileError)
  expect((ls as Error).message).toMatch(/^\/bin\/ls: (no ftrace records and no ftrace header in it, only \d+ line\(s\) that are not ftrace output \(the first at \/bin\/ls:1\)|\d+ line\(s\) are not ftrace output)/)
  // A log that is mostly not trace lines, with one line that reads as one.
  writeFileSync(join(dir, 'log.txt'), ['hello', 'world', '  cat-1 [000] ..... 1.000000: sys_openat(dfd: 1)', 'more', 'text'].join('\n'))
  expect(((await refused(join(dir, 'log.txt'))) as Error).message).toMatch(/log\.txt: 4 line\(s\) are not ftrace output \(the first at .*log\.txt:1\) against 1 trace record\(s\)/)
})

test('a header with no records is an empty trace, complete: what a quiet workload gives', async () => {
  const dir = tempDir('kspec-quiet-')
  writeFileSync(join(dir, 'quiet.txt'), '# tracer: nop\n#\n# entries-in-buffer/entries-written: 0/0   #P:2\n')
  const trace = await loadTrace(join(dir, 'quiet.txt'))
  expect([trace.recordCount, trace.complete]).toEqual([0, true])
})

test('.gz: truncated is incomplete with what it held; corrupt and empty are errors naming the file', async () => {
  const dir = tempDir('kspec-gz-')
  const text = readFileSync(join(SHARED, 'host-6.18/sched_ls.txt'))
  const whole = gzipSync(text)
  const truncated = join(dir, 'cut.txt.gz')
  writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length * 0.6)))
  const cut = await loadTrace(truncated)
  expect(cut.complete).toBe(false)
  expect(cut.loss.cutShort).toBe('the .gz ends early (unexpected end of file); what it held was read')
  expect(cut.recordCount).toBeGreaterThan(0)
  writeFileSync(join(dir, 'full.txt.gz'), whole)
  expect((await loadTrace(join(dir, 'full.txt.gz'))).complete).toBe(true)

  const corrupt = join(dir, 'corrupt.txt.gz')
  copyFileSync(join(SHARED, 'qemu-debian-6.1/function_openat.txt'), corrupt)
  const err = await refused(corrupt)
  expect(err).toBeInstanceOf(TraceFileError)
  expect((err as Error).message).toBe(`${corrupt}: not a readable gzip file (incorrect header check): it is corrupt, or not gzip at all; gunzip -t ${corrupt} says more`)
  const empty = join(dir, 'empty.txt.gz')
  writeFileSync(empty, '')
  expect(((await refused(empty)) as Error).message).toBe(`${empty}: the file is empty, so not a gzip file: the trace was never written, or written elsewhere`)
})

test('a folder that is not an artifact folder, and a missing path, get a message instead of an ENOENT stack', async () => {
  expect(((await refused(FIXTURES)) as Error).message).toBe(`loadTrace: ${FIXTURES} is a folder without trace.txt, so not a kspec artifact folder (kspec-artifacts/<spec>/<test>/): pass a trace file, or the folder a failed test named`)
  expect(((await refused('/nonexistent/kspec.txt')) as Error).message).toMatch(/^loadTrace: cannot read \/nonexistent\/kspec\.txt \(ENOENT\)/)
})

test('kspec parse: not a trace or a corrupt .gz is a message and exit 1, never a stack trace; cut short is said apart', async () => {
  const dir = tempDir('kspec-parse-')
  const run = (...a: string[]) => execa('node', ['bin/kspec.js', 'parse', ...a], { cwd: ROOT, reject: false })
  const devnull = await run('/dev/null')
  expect([devnull.exitCode, devnull.stderr]).toEqual([1, 'kspec parse: /dev/null: no ftrace records and no ftrace header in it (it is empty): this is not a trace. loadTrace reads tracefs trace or trace_pipe text and trace-cmd report output, plain or .gz'])
  const corrupt = join(dir, 'x.gz')
  writeFileSync(corrupt, 'not gzip')
  const bad = await run(corrupt)
  expect(bad.exitCode).toBe(1)
  expect(bad.stderr).toMatch(/^kspec parse: .*x\.gz: not a readable gzip file/)
  expect(bad.stderr).not.toMatch(/\n\s+at /)
  const whole = gzipSync(readFileSync(GRAPH))
  writeFileSync(join(dir, 'cut.gz'), whole.subarray(0, whole.length - 40))
  const cut = await run(join(dir, 'cut.gz'))
  expect(cut.stdout).toContain('cut short: the .gz ends early (unexpected end of file); what it held was read')
  expect(cut.stdout).toMatch(/lost: {5}0 events — the trace is incomplete/)
  // Large enough for the two-thread graph reader: the same, from its worker.
  const big = readFileSync(join(SHARED, 'bench/qemu-graph-2.2M-lines.txt.gz'))
  writeFileSync(join(dir, 'big.txt.gz'), big.subarray(0, 5_000_000))
  const parallel = await run(join(dir, 'big.txt.gz'))
  expect(parallel.exitCode).toBe(1)
  expect(parallel.stdout).toContain('cut short: the .gz ends early (unexpected end of file); what it held was read')
  expect(parallel.stdout).not.toContain('unreadable line')
  writeFileSync(join(dir, 'big-corrupt.txt.gz'), Buffer.concat([big.subarray(0, 3_000_000), Buffer.alloc(100_000, 7), big.subarray(3_100_000)]))
  const corrupt2 = await run(join(dir, 'big-corrupt.txt.gz'))
  expect(corrupt2.exitCode).toBe(1)
  expect(corrupt2.stderr).toMatch(/^kspec parse: .*big-corrupt\.txt\.gz: not a readable gzip file \(/)
}, 60_000)

test('kspec parse --json | head -1: a reader that stops early ends kspec quietly, with status 0', async () => {
  const r = await execa('bash', ['-c', 'set -o pipefail; node bin/kspec.js parse --json ../shared/traces/host-6.18/sched_ls.txt | head -1'], { cwd: ROOT, reject: false })
  expect(r.stderr).toBe('')
  expect(r.exitCode).toBe(0)
  expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'event' })
})
