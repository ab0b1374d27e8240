// Ports of the kernel's ftrace selftests (tools/testing/selftests/ftrace/test.d/trigger/*.tc),
// one test per .tc, asserting what it asserts. Each .tc forks with `( echo forked )` to fire
// sched_process_fork; here the workload does, in its own recording's instance.
import { defineTrace, expect, test } from 'kspec'

const FORK = 'sched:sched_process_fork'
const fork = (...triggers: string[]) => defineTrace({ events: [{ name: FORK, triggers }] })
// A list, not $(seq …): a command substitution would fork once more.
const forks = (n = 1) => ['sh', '-c', `for i in ${Array.from({ length: n }, (_, i) => i + 1).join(' ')}; do ( echo forked > /dev/null ); done`]

test('trigger-traceonoff.tc: traceoff and traceon on sched_process_fork; bad and duplicate triggers refused', async ({ record }) => {
  expect((await record(fork('traceoff'), forks())).state!.tracingOn).toBe(false)
  const on = defineTrace({ events: [{ name: FORK, triggers: ['traceon'] }], startTracing: false })
  expect((await record(on, forks())).state!.tracingOn).toBe(true)
  for (const bad of ['traceoff:badparam', 'traceoff+0']) await expect(record(fork(bad), ['true'])).rejects.toBeRefused({ errno: 'EINVAL', value: bad })
  // A second traceon, or a traceoff, beside a traceon.
  await expect(record(fork('traceon', 'traceon'), ['true'])).rejects.toBeRefused({ file: /sched_process_fork\/trigger$/, value: 'traceon' })
  await expect(record(fork('traceon', 'traceoff'), ['true'])).rejects.toBeRefused({ file: /sched_process_fork\/trigger$/, value: 'traceoff' })
})

test('trigger-eventonoff.tc: enable_event and disable_event on sched_process_fork switch sched_switch; bad and conflicting triggers refused', async ({ record }) => {
  // sched_switch is not enabled by the declaration: the trigger turns it on at the fork.
  const enable = await record(fork('enable_event:sched:sched_switch'), ['sh', '-c', '( echo forked > /dev/null ); sleep 0.05; sleep 0.05'])
  const [forked] = enable.eventsNamed('sched_process_fork')
  expect(forked).toBeDefined()
  expect(enable).toHaveEvent('sched_switch')
  expect(enable.eventsNamed('sched_switch').every((e) => e.line > forked.line)).toBe(true)
  const disable = defineTrace({ events: ['sched:sched_switch', { name: FORK, triggers: ['disable_event:sched:sched_switch'] }] })
  // One process that yields, forks once, and yields again: a shell would fork for its first sleep
  // (and /usr/bin's python, not a version manager's shim, which is a script that forks).
  const off = await record(disable, ['/usr/bin/python3', '-c', 'import os, time\ntime.sleep(0.05)\npid = os.fork()\nif pid == 0: os._exit(0)\nos.waitpid(pid, 0)\ntime.sleep(0.05)'])
  const [offAt] = off.eventsNamed('sched_process_fork')
  expect(off).toHaveEvent('sched_switch')
  expect(off.eventsNamed('sched_switch').every((e) => e.line < offAt.line)).toBe(true)
  await expect(record(fork('enable_event:nogroup:noevent'), ['true'])).rejects.toBeRefused({ value: 'enable_event:nogroup:noevent' })
  await expect(record(fork('disable_event+1'), ['true'])).rejects.toBeRefused({ errno: 'EINVAL', value: 'disable_event+1' })
  await expect(record(fork('enable_event:sched:sched_switch', 'enable_event:sched:sched_switch'), ['true'])).rejects.toBeRefused({ value: 'enable_event:sched:sched_switch' })
  await expect(record(fork('enable_event:sched:sched_switch', 'disable_event:sched:sched_switch'), ['true'])).rejects.toBeRefused({ value: 'disable_event:sched:sched_switch' })
})

test('trigger-filter.tc: a trigger with a filter fires only when it holds; filters the kernel cannot parse are refused, the rest taken', async ({ record }) => {
  // child_pid is never 0: tracing stays on.
  expect((await record(fork('traceoff if child_pid == 0'), forks())).state!.tracingOn).toBe(true)
  for (const bad of ['traceoff if a', 'traceoff if common_pid=0', 'traceoff if common_pid==b', 'traceoff if common_pid == child_pid']) {
    await expect(record(fork(bad), ['true'])).rejects.toBeRefused({ errno: 'EINVAL', value: bad })
  }
  for (const good of ['traceoff if common_pid == 0', 'traceoff if common_pid <= 0', 'traceoff if common_pid >= 0', 'traceoff if parent_pid >= 0 && child_pid >= 0', 'traceoff if parent_pid >= 0 || child_pid >= 0']) {
    await expect(record(fork(good), ['true'])).resolves.toBeDefined()
  }
})

test('trigger-stacktrace.tc: a stacktrace trigger on sched_process_fork records the kernel stack; bad and duplicate triggers refused', async ({ record }) => {
  const trace = await record(fork('stacktrace'), forks())
  const [forked] = trace.eventsNamed('sched_process_fork')
  expect(forked).toBeDefined()
  expect(trace.withStacks().length).toBeGreaterThan(0)
  expect(trace).toHaveStack(['kernel_clone'])
  await expect(record(fork('stacktrace:foo'), ['true'])).rejects.toBeRefused({ errno: 'EINVAL', value: 'stacktrace:foo' })
  await expect(record(fork('stacktrace', 'stacktrace'), ['true'])).rejects.toBeRefused({ value: 'stacktrace' })
})

test('trigger-hist.tc: keys and values, compound keys, a string key, a sort key', async ({ record }) => {
  const basic = await record(fork('hist:keys=parent_pid:vals=child_pid'), forks(10))
  expect(basic).toHaveHistogramEntry(FORK, { parent_pid: (v) => Number(v) > 0 }, { child_pid: (v) => Number(v) > 0 })
  const compound = await record(fork('hist:keys=parent_pid,child_pid'), forks(10))
  expect(compound).toHaveHistogramEntry(FORK, { parent_pid: (v) => Number(v) > 0, child_pid: (v) => Number(v) > 0 })
  // The forking shell's comm is sh, as /proc/$$/comm says in the .tc.
  const byComm = await record(fork('hist:keys=parent_comm'), forks(10))
  expect(byComm).toHaveHistogramEntry(FORK, { parent_comm: 'sh' }, { hitcount: 10 })
  const sorted = await record(fork('hist:keys=parent_pid,child_pid:sort=child_pid.ascending'), forks(10))
  const children = sorted.state!.histograms[FORK][0].entries.map((e) => Number(e.key.child_pid))
  expect(children).toHaveLength(10)
  expect(children).toEqual([...children].sort((a, b) => a - b))
})

test('trigger-multihist.tc: two histograms on one event; a named histogram shared by two events', async ({ record }) => {
  const two = await record(fork('hist:keys=parent_pid:vals=child_pid', 'hist:keys=parent_comm:vals=child_pid'), forks(10))
  expect(two.state!.histograms[FORK]).toHaveLength(2)
  expect(two).toHaveHistogramEntry(FORK, { parent_pid: (v) => Number(v) > 0 }, { child_pid: (v) => Number(v) > 0 })
  expect(two).toHaveHistogramEntry(FORK, { parent_comm: 'sh' })
  const named = defineTrace({ events: [{ name: FORK, triggers: ['hist:name=test_hist:keys=common_pid'] }, { name: 'sched:sched_process_exit', triggers: ['hist:name=test_hist:keys=common_pid'] }] })
  const shared = await record(named, forks(10))
  const [a] = shared.state!.histograms[FORK]
  const [b] = shared.state!.histograms['sched:sched_process_exit']
  expect(a.trigger).toMatch(/test_hist/)
  // The same histogram, whichever event's hist file prints it.
  expect(b.entries).toEqual(a.entries)
  expect(b.totals).toEqual(a.totals)
})

test('trigger-hist-mod.tc: the execname, hex, syscall and log2 modifiers', async ({ record }) => {
  const execname = await record(fork('hist:keys=common_pid.execname'), forks(10))
  expect(execname).toHaveHistogramEntry(FORK, { common_pid: /^sh\b/ })
  const hex = await record(fork('hist:keys=parent_pid.hex'), forks(10))
  const shell = hex.eventsNamed('sched_process_fork')[0]
  expect(hex).toHaveHistogramEntry(FORK, { parent_pid: Number(shell.fields.pid).toString(16) })
  const syscall = await record(defineTrace({ events: [{ name: 'raw_syscalls:sys_exit', triggers: ['hist:keys=id.syscall'] }] }), forks(10))
  expect(syscall).toHaveHistogramEntry('raw_syscalls:sys_exit', { id: /^(unknown_|sys_)/ })
  const log2 = await record(defineTrace({ events: [{ name: 'kmem:kmalloc', triggers: ['hist:keys=bytes_req.log2'] }] }), forks(10))
  expect(log2).toHaveHistogramEntry('kmem:kmalloc', { bytes_req: /^~ 2\^\d+$/ })
})

test('trigger-trace-marker-hist.tc: a hist trigger on ftrace:print counts ten trace_marker writes', async ({ record }) => {
  const marks = await record(defineTrace({ events: [{ name: 'ftrace:print', triggers: ['hist:keys=common_pid'] }] }), ['sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10; do echo hello > "$KSPEC_TRACE_MARKER"; done'])
  expect(marks).toHaveHistogramEntry('ftrace:print', { common_pid: marks.workload!.pid }, { hitcount: 10 })
})

test('trigger-snapshot.tc: a snapshot trigger on sched_process_fork takes a snapshot holding the fork; bad and duplicate triggers refused', async ({ record }) => {
  // The .tc forks once, then sets the trigger, then forks again: the snapshot holds the
  // first fork. An unconditional trigger runs before its event is written, and kspec sets
  // the trigger before the workload runs, so here the trigger waits for the second fork by
  // its parent's name: the workload renames itself between the two.
  const trace = await record(fork('snapshot:1 if parent_comm == "second"'), ['sh', '-c', '( echo forked > /dev/null ); printf second > /proc/$$/comm; ( echo forked > /dev/null )'])
  // (The format's parent_comm prints as comm=.) The swap took the first fork out of the main buffer.
  expect(trace.state!.snapshot).toHaveEvent('sched_process_fork', { comm: 'sh' })
  expect(trace).not.toHaveEvent('sched_process_fork', { comm: 'sh' })
  await expect(record(fork('snapshot+1'), ['true'])).rejects.toBeRefused({ errno: 'EINVAL', value: 'snapshot+1' })
  await expect(record(fork('snapshot', 'snapshot'), ['true'])).rejects.toBeRefused({ file: /sched_process_fork\/trigger$/, value: 'snapshot' })
})

test('trigger-onmatch-action-hist.tc: a synthetic wakeup_latency event fired by an onmatch action, with a histogram of its own holding the woken task', async ({ record }) => {
  // The .tc pings; here the woken task is sleep, five times over.
  const latency = defineTrace({
    syntheticEvents: ['wakeup_latency u64 lat; pid_t pid; char comm[16]'],
    events: [
      { name: 'sched:sched_wakeup', triggers: ['hist:keys=pid:ts0=common_timestamp.usecs if comm=="sleep"'] },
      { name: 'sched:sched_switch', triggers: ['hist:keys=next_pid:wakeup_lat=common_timestamp.usecs-$ts0:onmatch(sched.sched_wakeup).wakeup_latency($wakeup_lat,next_pid,next_comm) if next_comm=="sleep"'] },
      { name: 'synthetic:wakeup_latency', triggers: ['hist:keys=comm,pid,lat:wakeup_lat=lat:sort=lat'] },
    ],
  })
  const trace = await record(latency, ['sh', '-c', 'for i in 1 2 3 4 5; do sleep 0.01; done'])
  expect(trace).toHaveHistogramEntry('synthetic:wakeup_latency', { comm: 'sleep' })
  expect(trace).toHaveEvent('wakeup_latency', { comm: 'sleep' })
})

test('trigger-onmax-action-hist.tc: an onmax action saves the fields of the switch to the longest-waiting task, shown in sched_switch\'s histogram', async ({ record }) => {
  const onmax = defineTrace({
    syntheticEvents: ['wakeup_latency u64 lat; pid_t pid; char comm[16]'],
    events: [
      { name: 'sched:sched_waking', triggers: ['hist:keys=pid:ts0=common_timestamp.usecs if comm=="sleep"'] },
      { name: 'sched:sched_switch', triggers: ['hist:keys=next_pid:wakeup_lat=common_timestamp.usecs-$ts0:onmax($wakeup_lat).save(next_comm,prev_pid,prev_prio,prev_comm) if next_comm=="sleep"'] },
    ],
  })
  const trace = await record(onmax, ['sh', '-c', 'for i in 1 2 3; do sleep 0.01; done'])
  // The .tc greps the hist file for "max:"; here the entry's saved values are read apart.
  const [switches] = trace.state!.histograms['sched:sched_switch']
  expect(switches.entries.length).toBeGreaterThan(0)
  expect(switches.entries.some((e) => typeof e.values.max === 'number' && e.saved?.next_comm === 'sleep')).toBe(true)
})

// The woken task changes priority between two runs: `nice -n 1` (the .tc pings, then pings niced).
const SLEEPS_THEN_NICED = ['sh', '-c', 'for i in 1 2 3; do sleep 0.01; done; nice -n 1 sh -c "for i in 1 2 3; do sleep 0.01; done"']

test("trigger-onchange-action-hist.tc: an onchange action on the woken task's priority records the change in sched_waking's histogram", async ({ record }) => {
  const onchange = defineTrace({ events: [{ name: 'sched:sched_waking', triggers: ['hist:keys=comm:newprio=prio:onchange($newprio).save(comm,prio) if comm=="sleep"'] }] })
  const trace = await record(onchange, SLEEPS_THEN_NICED)
  // The .tc greps the hist file for "changed:".
  const [waking] = trace.state!.histograms['sched:sched_waking']
  expect(waking.entries.some((e) => e.key.comm === 'sleep' && typeof e.values.changed === 'number')).toBe(true)
})

test('trigger-snapshot-action-hist.tc: an onchange action that takes a snapshot: the change in the histogram, the woken task in the snapshot', async ({ record }) => {
  const snapshotAction = defineTrace({ events: ['sched:*', { name: 'sched:sched_waking', triggers: ['hist:keys=comm:newprio=prio:onchange($newprio).save(comm,prio):onchange($newprio).snapshot() if comm=="sleep"'] }] })
  const trace = await record(snapshotAction, SLEEPS_THEN_NICED)
  const [waking] = trace.state!.histograms['sched:sched_waking']
  expect(waking.entries.some((e) => typeof e.values.changed === 'number')).toBe(true)
  // The .tc greps the snapshot for "comm=ping": read without `snapshot: true`, since the action fills it.
  expect(trace.state!.snapshot).toHaveEvent('sched_waking', { comm: 'sleep' })
})
