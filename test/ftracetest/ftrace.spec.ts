// Ports of the kernel's ftrace selftests: test.d/ftrace/*.tc (the function tracers:
// Debian's kernel under QEMU; this machine's kernel refuses them, and these skip, saying so).
import { defineTrace, expect, test } from 'kspec'

test('fgraph-filter.tc: function_graph with set_ftrace_filter schedule records schedule() and no other function', async ({ record }) => {
  const trace = await record(defineTrace({ tracer: 'function_graph', functions: ['schedule'] }), ['sh', '-c', 'sleep 0.1'])
  expect(trace).toCall('schedule')
  const names = new Set(trace.records.filter((r) => r.kind === 'call').map((r) => (r as { name: string }).name))
  expect([...names]).toEqual(['schedule'])
})

test('func-filter-glob.tc: globs in set_ftrace_filter (front, middle, end, both, char class, ?) trace exactly the functions they match', async ({ record }) => {
  const cases: [string, RegExp][] = [
    ['*schedule', /^.*schedule$/],
    ['*schedule*', /^.*schedule.*$/],
    ['schedule*', /^schedule.*$/],
    ['*pin*lock', /^.*pin.*lock$/],
    ['mutex*try*', /^mutex.*try.*/],
    ['sch*ule', /^sch.*ule$/],
    ['sch?dule', /^sch.dule$/],
  ]
  for (const [glob, re] of cases) {
    const trace = await record(defineTrace({ tracer: 'function', functions: [glob] }), ['sh', '-c', 'sleep 0.02; cat /proc/version > /dev/null'])
    // The filter as the kernel holds it: kspec read set_ftrace_filter back and checked it against
    // what was asked; here every function it let through matches the glob, as the .tc's diff does.
    const traced = trace.records.filter((r) => r.kind === 'function').map((r) => (r as { func: string }).func)
    expect(traced.filter((f) => !re.test(f)), glob).toEqual([])
  }
  const schedule = await record(defineTrace({ tracer: 'function', functions: ['sch?dule'] }), ['sh', '-c', 'sleep 0.05'])
  expect(schedule).toCall('schedule')
})

test("func-filter-pid.tc: the function tracer with set_ftrace_pid records only that task's functions", async ({ record }) => {
  const trace = await record(defineTrace({ tracer: 'function', functions: ['schedule', 'vfs_read', 'do_sys_openat2'], scope: 'process' }), ['sh', '-c', 'cat /etc/hostname > /dev/null; sleep 0.02'])
  const pid = trace.workload!.pid
  const fns = trace.records.filter((r) => r.kind === 'function')
  expect(fns.length).toBeGreaterThan(0)
  expect(fns.filter((r) => r.pid !== pid)).toEqual([])
  const tree = await record(defineTrace({ tracer: 'function', functions: ['schedule', 'vfs_read', 'do_sys_openat2'] }), ['sh', '-c', 'cat /etc/hostname > /dev/null; sleep 0.02'])
  expect(tree.records.filter((r) => r.kind === 'function').some((r) => r.pid !== tree.workload!.pid)).toBe(true)
})

test('func_stack_tracer.tc: the max stack tracer records the deepest stack; with stack_trace_filter *lock*, the deepest stack starts in a lock function', async ({ record }) => {
  // The .tc forks up to ten times with the stack tracer on, reading stack_trace each time.
  const forks = ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do ( echo forked > /dev/null ); done']
  const all = await record(defineTrace({ events: ['sched:sched_process_fork'], stackTracer: true }), forks)
  const deepest = all.state!.stack!
  expect(deepest.frames.length).toBeGreaterThan(0)
  expect(deepest.maxSize).toBeGreaterThan(0)
  // Depths never grow from the innermost frame outwards.
  for (let i = 0; i + 1 < deepest.frames.length; i++) expect(deepest.frames[i].depth).toBeGreaterThanOrEqual(deepest.frames[i + 1].depth)
  const locks = await record(defineTrace({ events: ['sched:sched_process_fork'], stackTracer: { functions: ['*lock*'] } }), forks)
  const first = locks.state!.stack!.frames[0]
  expect(first.function).toMatch(/lock/)
  expect(locks).toHaveDeepestStack([first.function])
})
