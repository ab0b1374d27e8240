import { expect, test } from 'vitest'
import { readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CallRecord, TraceRecord } from '../../src/trace/records.js'
import type { Trace } from '../../src/trace/trace.js'
import { FIXTURES, SHARED, fixture, shared, tempDir } from '../helpers.js'
import { generate } from '../../bench/layouts.js'
import { loadTrace, parseTraceText } from '../../src/parse/load.js'

/** A call tree as `name(children…)`, to compare shapes. */
/** A call's flags and duration as a plain object (call records are views of table rows). */
const pick = (c: CallRecord) => ({ duration: c.duration, entryMissing: c.entryMissing, exitMissing: c.exitMissing })
const shape = (n: CallRecord): string => (n.children.length ? `${n.name}(${n.children.map(shape).join(',')})` : n.name)

test('depth-limited graph: 13 trees, do_filp_open nested in __x64_sys_openat > do_sys_openat2', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(trace.roots).toHaveLength(13)
  expect(shape(trace.roots[1])).toBe('__x64_sys_openat(do_sys_openat2(getname,get_unused_fd_flags,do_filp_open,fd_install,putname))')
  const calls = trace.callsOf('do_filp_open')
  expect(calls).toHaveLength(12)
  expect(calls[0]).toMatchObject({ cpu: 1, depth: 2, duration: 201.44, line: 10 })
  expect(trace.roots[1]).toMatchObject({ duration: 234.309, exitMissing: false, entryMissing: false })
  expect(trace.graphGaps).toEqual({ entriesMissing: 0, exitsMissing: 0 })
})

test('full graph: every entry has its exit, children durations fit in the parent', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_full.txt')
  const walk = (n: CallRecord): void => {
    expect(n.duration).toBeDefined()
    const inner = n.children.reduce((s, c) => s + (c.duration ?? 0), 0)
    expect(inner).toBeLessThanOrEqual(n.duration! + 1e-6)
    n.children.forEach(walk)
  }
  trace.roots.forEach(walk)
  expect(new Set(trace.callsOf('path_openat').map((c) => c.parent?.name))).toEqual(new Set(['do_filp_open']))
})

test('funcgraph-abstime, -proc and -tail columns: calls per task, with times', async () => {
  const trace = await fixture('constructed/graph_proc_abstime_tail.txt')
  expect(trace.roots.map(shape)).toEqual(['__x64_sys_openat(do_sys_openat2(getname,do_filp_open))', '__x64_sys_read(vfs_read)'])
  expect(trace.roots[0]).toMatchObject({ task: 'ls', pid: 99, cpu: 0, ts: 100.000001, duration: 21 })
  expect(trace.roots[1]).toMatchObject({ task: 'cat', pid: 100, cpu: 1, duration: 4 })
})

test('a context switch parks open calls until the task runs again, on another CPU', async () => {
  const trace = await fixture('constructed/graph_switch_park.txt')
  const [openat, read, schedule] = trace.roots
  expect(shape(openat)).toBe('__x64_sys_openat(do_sys_openat2(getname,do_filp_open))')
  expect(openat).toMatchObject({ task: 'ls', pid: 99, duration: 130 })
  expect(openat.children[0].children[1]).toMatchObject({ name: 'do_filp_open', cpu: 1, task: 'ls' })
  expect(shape(read)).toBe('__x64_sys_read(vfs_read)')
  expect(read).toMatchObject({ task: 'cat', pid: 100, duration: 5 })
  expect(schedule).toMatchObject({ name: 'schedule', exitMissing: true })
  expect(trace.ofKind('switch').map((s) => `${s.cpu}: ${s.from} => ${s.to}`)).toEqual(['0: ls-99 => cat-100', '1: <idle>-0 => ls-99'])
  expect(trace.graphGaps).toEqual({ entriesMissing: 0, exitsMissing: 1 })
})

test('irq markers and every duration mark', async () => {
  const trace = await fixture('constructed/graph_irq_marks.txt')
  expect(trace.ofKind('irq').map((r) => r.enter)).toEqual([true, false])
  const durations = trace.roots[0].children.map((c) => [c.name, c.duration])
  expect(durations).toEqual([
    ['__sysvec_apic_timer_interrupt', 5],
    ['path_openat', 15],
    ['link_path_walk', 150],
    ['lookup_fast', 1500],
    ['lookup_slow', 15000],
    ['schedule', 150000],
    ['msleep', 1500000],
  ])
})

test('exits whose entries fell out of the buffer adopt the calls before them', async () => {
  const trace = await fixture('constructed/graph_orphans.txt')
  expect(trace.roots.map(shape)).toEqual(['(unknown)((unknown)(path_openat(mutex_unlock,dput)),putname)', '__x64_sys_close(filp_close,fput)'])
  // A bare `}` names no function: no call is named '' (matchers and snapshots read the name as it is).
  expect(trace.roots[0]).toMatchObject({ name: '(unknown)', entryMissing: true, duration: 12 })
  expect(trace.ofKind('call').filter((c) => c.name === '')).toEqual([])
  expect(trace.roots[0].children[0].children[0]).toMatchObject({ name: 'path_openat', entryMissing: true, duration: 5 })
  expect(trace.callsOf('fput')[0]).toMatchObject({ exitMissing: true })
  expect(trace.graphGaps).toEqual({ entriesMissing: 3, exitsMissing: 2 })
})

test('events and markers printed as comments, funcgraph-retval values', async () => {
  const trace = await fixture('constructed/graph_comments.txt')
  expect(trace.ofKind('marker').map((m) => m.text)).toEqual(['kspec step: open'])
  const sw = trace.eventsNamed('sched_switch')
  expect(sw[0].fields).toMatchObject({ prev_comm: 'ls', prev_pid: 99, next_comm: 'swapper/0' })
  expect(shape(trace.roots[0])).toBe('__x64_sys_openat(getname)')
  expect(trace.roots[0].duration).toBe(30)
})

test('without the CPU and overhead columns', async () => {
  const trace = await fixture('constructed/graph_nocpu.txt')
  expect(trace.roots.map(shape)).toEqual(['__x64_sys_openat(getname,do_filp_open)'])
  expect(trace.roots[0]).toMatchObject({ cpu: undefined, duration: 25 })
})

test('108 MB unfiltered graph: trees balanced or their gaps counted', async () => {
  const trace = await shared('bench/qemu-graph-2.2M-lines.txt.gz')
  expect(trace.problems).toEqual([])
  let calls = 0
  let open = 0
  let orphans = 0
  let badParents = 0
  const walk = (n: CallRecord): void => {
    calls++
    if (n.exitMissing) open++
    if (n.entryMissing) orphans++
    for (const c of n.children) {
      if (c.parent !== n) badParents++
      walk(c)
    }
  }
  trace.roots.forEach(walk)
  expect(badParents).toBe(0)
  expect(calls).toBe(trace.ofKind('call').length)
  expect({ open, orphans }).toEqual({ open: trace.graphGaps.exitsMissing, orphans: trace.graphGaps.entriesMissing })
  // Checked by hand: CPU 0's idle task first runs at line 1293935, inside schedule_idle and
  // do_idle entered before the capture (2 exits without entry); CPU 1's idle task is switched
  // out at the end inside both (2 entries without exit). With one context for every CPU's
  // `<idle>-0`, those exits had closed the other CPU's calls (18 and 32).
  expect(trace.graphGaps).toEqual({ entriesMissing: 20, exitsMissing: 34 })
  expect(trace.ofKind('switch').length).toBeGreaterThan(0)
})

/** What a record says, calls by their parent's and children's lines: comparable across parses. */
const said = (r: TraceRecord): string => {
  if (r.kind !== 'call') return JSON.stringify(r)
  const { line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing } = r
  return JSON.stringify({ line, cpu, task, pid, ts, name, depth, duration, entryMissing, exitMissing, parent: r.parent?.line, children: r.children.map((c) => c.line) })
}

/** The reader worker and its WebAssembly scanner run from dist/ and asm/build (npm test builds them). */
async function twoThreads(file: string): Promise<Trace> {
  const { parseGraphInParallel } = await import('../../dist/parse/parallel.js' as string)
  const { TraceParser } = await import('../../dist/parse/parser.js' as string)
  return parseGraphInParallel(file, new TraceParser(file))
}

test('on two cores (the reader worker, its scanner) the 108 MB graph gives the same trees as on one', async () => {
  const file = join(SHARED, 'bench/qemu-graph-2.2M-lines.txt.gz')
  const two = await twoThreads(file)
  // From the sources, loadTrace has no built worker to start: this is the one-thread parse.
  const one = await shared('bench/qemu-graph-2.2M-lines.txt.gz')
  expect(two.callCount).toBe(one.callCount)
  expect(two.records.length).toBe(one.records.length)
  expect(two.graphGaps).toEqual(one.graphGaps)
  expect(two.roots.length).toBe(one.roots.length)
  let differ = 0
  for (let i = 0; i < one.records.length; i++) if (said(one.records[i]) !== said(two.records[i])) differ++
  expect(differ).toBe(0)
}, 120_000)

test.each(['function_graph', 'function_graph no duration', 'function_graph proc abstime tail'] as const)(
  '%s: a plain file of several chunks reads the same through the reader worker (chunks and batches reused), its call table grown once',
  async (layout) => {
    const dir = tempDir('kspec-graph-')
    const file = join(dir, 'trace.txt')
    const text = generate(layout, 6 << 20)
    writeFileSync(file, text)
    const { parseGraphInParallel } = await import('../../dist/parse/parallel.js' as string)
    const { TraceParser } = await import('../../dist/parse/parser.js' as string)
    const parser = new TraceParser(file)
    parser.expect(text.length)
    // Counted on the instance: each growth past the first 1024 rows touches the table again.
    const table = parser.tree.table
    const grow = table.grow.bind(table)
    let grown = 0
    table.grow = () => {
      grown++
      grow()
    }
    const two: Trace = await parseGraphInParallel(file, parser)
    const one = parseTraceText(text)
    expect(two.callCount).toBeGreaterThan(50_000)
    expect(two.records.map(said)).toEqual(one.records.map(said))
    expect(grown).toBe(1)
    expect(table.line.length).toBeLessThanOrEqual(Math.max(two.callCount * 1.25, text.length / 70))
  },
  60_000,
)

test('every function_graph capture and variant reads the same through the reader worker as on one thread', async () => {
  const files = [
    ...['graph_openat_depth3.txt', 'graph_openat_full.txt'].map((f) => join(SHARED, 'qemu-debian-6.1', f)),
    ...readdirSync(join(FIXTURES, 'constructed')).filter((f) => f.startsWith('graph_')).map((f) => join(FIXTURES, 'constructed', f)),
  ]
  expect(files.length).toBeGreaterThan(6)
  for (const file of files) {
    const two = await twoThreads(file)
    const one = await loadTrace(file)
    expect({ file, records: two.records.map(said), problems: two.problems, gaps: two.graphGaps }).toEqual({ file, records: one.records.map(said), problems: one.problems, gaps: one.graphGaps })
  }
}, 60_000)

test('durations read back exactly as printed, short or long; children come in order, each knowing its parent', () => {
  const trace = parseTraceText(
    [
      '# tracer: function_graph',
      ' 0)               |  outer() {',
      ' 0)   1.234 us    |    a();',
      ' 0) $ 2000000.5 us |    b();',
      ' 0)   0.1 us      |    c();',
      ' 0)   0.0001 us   |    d();',
      ' 0) ! 123.456 us  |  }',
    ].join('\n'),
  )
  const [outer] = trace.roots
  expect(outer.duration).toBe(123.456)
  expect(outer.children.map((c) => [c.name, c.duration, c.parent === outer])).toEqual([
    ['a', 1.234, true],
    ['b', 2000000.5, true],
    ['c', 0.1, true],
    ['d', 0.0001, true],
  ])
  expect(outer.children[0].children).toEqual([])
})

test('a call shows what it says when logged: its fields, parent and children by line', async () => {
  const { inspect } = await import('node:util')
  const trace = parseTraceText(['# tracer: function_graph', ' 0)               |  outer() {', ' 0)   1.000 us    |    a();', ' 0)   9.000 us    |  }'].join('\n'))
  const shown = inspect(trace.roots[0].children[0])
  expect(shown).toContain("name: 'a'")
  expect(shown).toContain('duration: 1')
  expect(shown).toContain("parent: 'outer() at line 2'")
})

test('an exit is matched by the name in its comment, or by its indentation: never to another open call', async () => {
  const trace = await fixture('constructed/graph_tail_mismatch.txt')
  const [read, write, write2] = trace.roots
  // `} /* security_file_permission */` (entry not in the trace) leaves vfs_read open: it lasts 159 ms, not 0.6 us.
  expect(shape(read)).toBe('ksys_read(vfs_read(rw_verify_area,new_sync_read(ext4_file_read_iter)),security_file_permission)')
  expect(pick(trace.callsOf('vfs_read')[0])).toMatchObject({ duration: 159000, entryMissing: false, exitMissing: false })
  expect(pick(trace.callsOf('ksys_read')[0])).toMatchObject({ duration: 159100, exitMissing: false })
  expect(pick(trace.callsOf('security_file_permission')[0])).toMatchObject({ entryMissing: true, duration: 0.6 })
  expect(trace.callsOf('new_sync_read')[0].parent?.name).toBe('vfs_read')
  // A bare `}` at ksys_write's indentation closes ksys_write; vfs_write's own exit was lost.
  expect(shape(write)).toBe('ksys_write(vfs_write(rw_verify_area))')
  expect(pick(trace.callsOf('ksys_write')[0])).toMatchObject({ duration: 2, exitMissing: false })
  expect(pick(trace.callsOf('vfs_write')[0])).toMatchObject({ exitMissing: true })
  // A bare `}` deeper than anything open: its entry is not in the trace, and ksys_write stays open for its own.
  expect(shape(write2)).toBe('ksys_write((unknown))')
  expect(pick(trace.callsOf('ksys_write')[1])).toMatchObject({ duration: 3, exitMissing: false })
  expect(trace.graphGaps).toEqual({ entriesMissing: 2, exitsMissing: 1 })
})

test('with the duration column off (funcgraph-duration cleared), with and without funcgraph-proc', async () => {
  const trace = await fixture('constructed/graph_noduration.txt')
  expect(trace.problems).toEqual([])
  expect(trace.roots.map(shape)).toEqual(['vfs_write(rw_verify_area,new_sync_write(ext4_file_write_iter))', 'vfs_read(rw_verify_area)'])
  expect(trace.graphGaps).toEqual({ entriesMissing: 0, exitsMissing: 0 })
  expect(trace.roots[1]).toMatchObject({ task: 'ls', pid: 99 })
})
