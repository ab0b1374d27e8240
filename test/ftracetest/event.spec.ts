// Ports of the kernel's ftrace selftests: test.d/event/*.tc and 00basic/trace_marker.tc, one
// test per .tc, asserting what it asserts. `yield` in the .tc (ping or sleep) is a short
// sleep here: the workload gives up the CPU, so sched_switch fires for it.
import { defineTrace, expect, test } from 'kspec'

const YIELD = 'sleep 0.01; sleep 0.01'
const nothing = defineTrace({ events: ['sched:sched_process_exec'] })

test('event-enable.tc: sched_switch recorded when enabled through set_event or its enable file, and not once disabled', async ({ record }) => {
  expect(await record(defineTrace({ events: ['sched:sched_switch'] }), ['sh', '-c', YIELD])).toHaveEvent('sched_switch')
  const byFile = await record(nothing, ['sh', '-c', `echo 1 > "$KSPEC_INSTANCE/events/sched/sched_switch/enable"; ${YIELD}`])
  expect(byFile).toHaveEvent('sched_switch')
  const off = await record(defineTrace({ events: ['sched:sched_switch'] }), ['sh', '-c', `echo 0 > "$KSPEC_INSTANCE/events/sched/sched_switch/enable"; echo disabled > "$KSPEC_TRACE_MARKER"; ${YIELD}`])
  expect(off.between('disabled')).not.toHaveEvent('sched_switch')
})

test('subsystem-enable.tc: the sched subsystem on through its enable file records sched_switch, and not once off', async ({ record }) => {
  const on = await record(nothing, ['sh', '-c', `echo 1 > "$KSPEC_INSTANCE/events/sched/enable"; ${YIELD}`])
  expect(on).toHaveEvent('sched_switch')
  expect(on).toHaveEvent('sched_process_exit')
  const off = await record(nothing, ['sh', '-c', `echo 1 > "$KSPEC_INSTANCE/events/sched/enable"; echo 0 > "$KSPEC_INSTANCE/events/sched/enable"; echo disabled > "$KSPEC_TRACE_MARKER"; ${YIELD}`])
  expect(off.between('disabled')).not.toHaveEvent('sched:*')
})

test('toplevel-enable.tc: every event on through events/enable records sched_switch, and none once off', async ({ record }) => {
  // Every event of the workload's processes: a buffer overwritten at its start is expected, and not what this asserts.
  const nothing = defineTrace({ events: ['sched:sched_process_exec'], bufferSizeKb: 8192, allowLoss: true })
  const on = await record(nothing, ['sh', '-c', `echo 1 > "$KSPEC_INSTANCE/events/enable"; ${YIELD}; echo 0 > "$KSPEC_INSTANCE/events/enable"`])
  expect(on).toHaveEvent('sched_switch')
  const off = await record(nothing, ['sh', '-c', `echo 1 > "$KSPEC_INSTANCE/events/enable"; echo 0 > "$KSPEC_INSTANCE/events/enable"; echo disabled > "$KSPEC_TRACE_MARKER"; ${YIELD}`])
  const after = off.between('disabled')
  expect(after.records.filter((r) => r.kind === 'event')).toEqual([])
})

test("event-pid.tc: a pid in set_event_pid without event-fork records only that task's switches; with event-fork, its children's too", async ({ record }) => {
  const own = await record(defineTrace({ events: ['sched:sched_switch'], scope: 'process' }), ['sh', '-c', `${YIELD}; echo $$ > /dev/null`])
  const switches = own.eventsNamed('sched_switch')
  expect(switches.length).toBeGreaterThan(0)
  const pid = own.workload!.pid
  expect(switches.every((e) => Number(e.fields.prev_pid) === pid || Number(e.fields.next_pid) === pid)).toBe(true)
  const tree = await record(defineTrace({ events: ['sched:sched_switch'] }), ['sh', '-c', YIELD])
  const tpid = tree.workload!.pid
  expect(tree.eventsNamed('sched_switch').some((e) => Number(e.fields.prev_pid) !== tpid && Number(e.fields.next_pid) !== tpid)).toBe(true)
})

test('trace_marker.tc: a marker longer than a sub-buffer is broken in two, and the whole string is found in the pieces', async ({ record }) => {
  // The .tc's arithmetic: a string as long as a page's data, which the marker's meta data makes overflow.
  const script = [
    'size=$(sed -ne "s/^.*data.*size:\\([0-9][0-9]*\\).*/\\1/p" "$KSPEC_INSTANCE/events/header_page")',
    'str=$(printf -- "X%.0s" $(seq $((size - 2))))',
    'printf %s "$str" > "$KSPEC_TRACE_MARKER"',
    'printf %s "$str"',
  ].join('; ')
  const trace = await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['sh', '-c', script])
  const str = trace.workload!.stdout
  expect(str.length).toBeGreaterThan(1000)
  const markers = trace.records.filter((r) => r.kind === 'marker').map((r) => (r as { text: string }).text)
  expect(markers.length).toBeGreaterThan(1)
  expect(markers[0]).not.toBe(str)
  expect(markers.join('')).toBe(str)
})

test('trace_pipe.tc: reading trace does not consume the buffer, reading trace_pipe does', async ({ record }) => {
  const script = [
    'echo "test input 1" > "$KSPEC_TRACE_MARKER"',
    'grep -q "test input 1" "$KSPEC_INSTANCE/trace"',
    'grep -q "test input 1" "$KSPEC_INSTANCE/trace"',
    'head -n 1 "$KSPEC_INSTANCE/trace_pipe" | grep -q "test input 1"',
    '! grep -q "test input 1" "$KSPEC_INSTANCE/trace"',
  ].join(' && ')
  // Nothing but markers: the .tc's instance is empty when it writes, so the marker is trace_pipe's first line.
  const quiet = defineTrace({ events: [{ name: 'sched:sched_process_exec', filter: 'pid < 0' }] })
  const trace = await record(quiet, ['sh', '-c', script])
  expect(trace.workload?.exitCode, trace.workload?.stderr).toBe(0)
  // Consumed by the workload's read of trace_pipe, so not in what kspec read after it.
  expect(trace.records.filter((r) => r.kind === 'marker')).toEqual([])
})

test('snapshot.tc: taking a snapshot allocates the buffer and leaves tracing_on as it was, off or on', async ({ record }) => {
  const script = [
    'echo 0 > "$KSPEC_INSTANCE/tracing_on"',
    'echo 1 > "$KSPEC_INSTANCE/snapshot"',
    'grep -q "Snapshot is allocated" "$KSPEC_INSTANCE/snapshot" || exit 11',
    '[ "$(cat "$KSPEC_INSTANCE/tracing_on")" = 0 ] || exit 12',
    'echo 1 > "$KSPEC_INSTANCE/tracing_on"',
    'echo "in the snapshot" > "$KSPEC_TRACE_MARKER"',
    'echo 1 > "$KSPEC_INSTANCE/snapshot"',
    '[ "$(cat "$KSPEC_INSTANCE/tracing_on")" = 1 ] || exit 13',
  ].join('; ')
  const trace = await record(defineTrace({ events: ['sched:sched_process_exit'], snapshot: true }), ['sh', '-c', script])
  expect(trace.workload?.exitCode, trace.workload?.stderr).toBe(0)
  // The second snapshot swapped the marker out of the main buffer into the snapshot.
  expect(trace.state!.snapshot!.ofKind('marker').map((m) => m.text)).toEqual(['in the snapshot'])
  expect(trace.ofKind('marker')).toEqual([])
  // The README's example: the workload's snapshot holds the fork before it.
  const forked = await record(defineTrace({ events: ['sched:sched_process_fork'], snapshot: true }), ['sh', '-c', '( true ); echo 1 > "$KSPEC_INSTANCE/snapshot"'])
  expect(forked.state!.snapshot).toHaveEvent('sched_process_fork')
  expect(forked).not.toHaveEvent('sched_process_fork')
})


test("event-no-pid.tc: set_event_notrace_pid leaves out the workload's process, and with event-fork its children too, while others' events are recorded", async ({ record }) => {
  // The workload forks a child (its pid on stdout) and waits: `yield` of the .tc.
  const script = ['sh', '-c', 'sleep 0.05 & echo $!; wait']
  // Not sched: a sched_switch is kept when either task it names is traced, as the .tc says
  // (it enables other systems for that reason).
  const events = ['syscalls:sys_enter_write', 'syscalls:sys_enter_wait4', 'syscalls:sys_enter_clock_nanosleep', 'syscalls:sys_enter_nanosleep', 'timer:*']
  const alone = await record(defineTrace({ events, scope: { except: 'process' } }), script)
  const shell = alone.workload!.pid
  const child = Number(alone.workload!.stdout.trim())
  expect(alone.records.filter((r) => r.pid === shell)).toEqual([])
  // Without event-fork the child is not left out: its sleep is recorded, and others' events too.
  expect(alone.records.some((r) => r.pid === child)).toBe(true)
  expect(alone.records.some((r) => r.pid !== undefined && r.pid !== shell && r.pid !== child)).toBe(true)
  const tree = await record(defineTrace({ events, scope: { except: 'workload' } }), script)
  const [treeShell, treeChild] = [tree.workload!.pid, Number(tree.workload!.stdout.trim())]
  expect(tree.records.filter((r) => r.pid === treeShell || r.pid === treeChild)).toEqual([])
  expect(tree.records.some((r) => r.pid !== undefined)).toBe(true)
})

test('snapshot1.tc: a snapshot taken while tracing_cpumask traces no CPU leaves the buffers usable once the mask is back', async ({ record }) => {
  const script = [
    'I="$KSPEC_INSTANCE"',
    'mask=$(cat "$I/tracing_cpumask")',
    'echo 0 > "$I/tracing_cpumask"',
    'echo 1 > "$I/snapshot"',
    'echo "$mask" > "$I/tracing_cpumask"',
    'echo 1 > "$I/tracing_on"',
    'echo "test input 1" > "$KSPEC_TRACE_MARKER"',
    'grep -q "test input 1" "$I/trace" || exit 11',
  ].join('; ')
  const trace = await record(defineTrace({ events: ['sched:sched_process_exit'], snapshot: true }), ['sh', '-c', script])
  expect(trace.workload?.exitCode, trace.workload?.stderr).toBe(0)
  expect(trace.ofKind('marker').map((m) => m.text)).toEqual(['test input 1'])
})
