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

// The function trigger ports check the instance's files from inside the workload, as the
// .tc scripts do between their steps; a check that fails exits with its own status.
const checks = (script: string) => ['sh', '-c', `I="$KSPEC_INSTANCE"; ${script}`]

test('func_traceonoff_triggers.tc: schedule:traceoff stops tracing, schedule:traceon starts it, schedule:traceoff:3 fires three times only', async ({ record }) => {
  const offDecl = defineTrace({ events: ['sched:*'], functionTriggers: ['schedule:traceoff'] })
  const off = await record(offDecl, checks(
    // Stopped: the trace no longer grows, and tracing_on reads 0.
    'sleep 0.1; a=$(grep -vc "^#" "$I/trace"); sleep 0.1; b=$(grep -vc "^#" "$I/trace"); [ "$a" = "$b" ] || exit 11; [ "$(cat "$I/tracing_on")" = 0 ] || exit 12',
  ))
  expect(off.workload!.exitCode).toBe(0)
  expect(off.state!.tracingOn).toBe(false)
  expect(off.state!.functionTriggers).toEqual(['schedule:traceoff:unlimited'])
  // The same declaration again gets an arming of its own: a reused one kept the spent
  // trigger, which stopped tracing before the barrier (EBADF).
  const again = await record(offDecl, ['sleep', '0.1'])
  expect(again.state!.tracingOn).toBe(false)
  const on = await record(defineTrace({ events: ['sched:*'], functionTriggers: ['schedule:traceon'], startTracing: false }), checks('sleep 0.1; [ "$(cat "$I/tracing_on")" = 1 ] || exit 13'))
  expect(on.workload!.exitCode).toBe(0)
  expect(on.state!.tracingOn).toBe(true)
  expect(on).toHaveEvent('sched:sched_switch')
  const thrice = await record(defineTrace({ events: ['sched:sched_switch'], functionTriggers: ['schedule:traceoff:3'] }), checks(
    'for i in 1 2 3; do sleep 0.1; [ "$(cat "$I/tracing_on")" = 0 ] || exit 2$i; echo 1 > "$I/tracing_on"; done; sleep 0.1; [ "$(cat "$I/tracing_on")" = 1 ] || exit 24',
  ))
  expect(thrice.workload!.exitCode).toBe(0)
  expect(thrice.state!.functionTriggers).toEqual(['schedule:traceoff:count=0'])
  // A count drops only when the trigger did something: once off, tracing stays off (the README's example).
  const once = await record(defineTrace({ events: ['sched:*'], functionTriggers: ['schedule:traceoff:3'] }), ['sleep', '0.1'])
  expect(once.state!.tracingOn).toBe(false)
  expect(once.state!.functionTriggers).toEqual(['schedule:traceoff:count=2'])
})

test('func-filter-stacktrace.tc: kernel_clone:stacktrace is listed as unlimited and records a stack when the workload forks', async ({ record }) => {
  const trace = await record(defineTrace({ events: ['sched:sched_process_fork'], functionTriggers: ['kernel_clone:stacktrace'] }), ['sh', '-c', '( echo forked > /dev/null ); sleep 0.1'])
  expect(trace.state!.functionTriggers).toEqual(['kernel_clone:stacktrace:unlimited'])
  expect(trace.withStacks().length).toBeGreaterThan(0)
})

test('func_event_triggers.tc: schedule:enable_event and disable_event switch sched_switch each time, or three times with :3', async ({ record }) => {
  // As in the .tc, each check follows a sleep in which schedule ran and fired the trigger,
  // and the workload then switches the event back; the enable file reads `1*`/`0*` once a
  // trigger holds it. disable_event starts from sched_switch enabled by the declaration.
  const loop = (back: 0 | 1, switched: string, n: number, after: string) =>
    checks(`E="$I/events/sched/sched_switch/enable"; for i in ${Array.from({ length: n }, (_, i) => i + 1).join(' ')}; do sleep 0.1; [ "$(cat "$E")" = "${switched}" ] || exit 3$i; echo ${back} > "$E"; done; sleep 0.1; [ "$(cat "$E")" = "${after}" ] || exit 39`)
  for (const [command, back, switched, idle, events] of [['enable', 0, '1*', '0*', []], ['disable', 1, '0*', '1*', ['sched:sched_switch']]] as const) {
    const decl = (trigger: string) => defineTrace({ events: ['sched:sched_process_exit', ...events], functionTriggers: [trigger] })
    const always = await record(decl(`schedule:${command}_event:sched:sched_switch`), loop(back, switched, 5, switched))
    expect(always.workload!.exitCode, `${command}: ${always.workload!.stderr}`).toBe(0)
    const thrice = await record(decl(`schedule:${command}_event:sched:sched_switch:3`), loop(back, switched, 3, idle))
    expect(thrice.workload!.exitCode, `${command}:3: ${thrice.workload!.stderr}`).toBe(0)
  }
})

test("func-filter-notrace-pid.tc: set_ftrace_notrace_pid leaves the workload's process out of the function tracer, not its child", async ({ record }) => {
  // The .tc's second half (one pid in both set_ftrace_pid and set_ftrace_notrace_pid) has no
  // scope of its own here: a scope names the processes traced or those left out, not both.
  const decl = defineTrace({ tracer: 'function', functions: ['do_execve*', 'kernel_clone'], scope: { except: 'process' } })
  const trace = await record(decl, ['sh', '-c', 'sleep 0.01 & echo $!; wait'])
  const shell = trace.workload!.pid
  const child = Number(trace.workload!.stdout.trim())
  expect(trace.ofKind('function').filter((f) => f.pid === shell)).toEqual([])
  // The shell's fork is its own (left out); the child's exec is recorded.
  expect(trace.ofKind('function').some((f) => f.pid === child && f.func.startsWith('do_execve'))).toBe(true)
})
