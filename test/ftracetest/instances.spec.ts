// Ports of the kernel's ftrace selftests: test.d/instances/*.tc. The instances are the
// subject: the workload creates and removes them beside its own recording's
// ($KSPEC_INSTANCE/..), and kspec's checks after the test (no instance left, the kernel
// healthy: no oops or warning in its log, no new taint) judge what it left.
import { defineTrace, expect, test } from 'kspec'

test('instance.tc: five loops creating and removing the same three instances at once leave none behind, and the names work again after', async ({ record }) => {
  const script = [
    'cd "$KSPEC_INSTANCE/.."',
    'mkdir slam_x && rmdir slam_x || exit 10',
    // The loops stop when told, after a whole round: the .tc kills them (kill -1), and a killed
    // loop's last mkdir, a process of its own, ran on after the cleanup below and made slam_x
    // again (CI, under load: `mkdir: cannot create directory 'slam_x': File exists`).
    'stop=/tmp/kspec-slam-stop-$$',
    'slam() { while [ ! -e $stop ]; do mkdir slam_x; mkdir slam_y; mkdir slam_z; rmdir slam_x; rmdir slam_y; rmdir slam_z; done 2>/dev/null; }',
    'slam & p1=$!; slam & p2=$!; slam & p3=$!; slam & p4=$!; slam & p5=$!',
    'ls -lR > /dev/null; sleep 1',
    'touch $stop; wait $p1 $p2 $p3 $p4 $p5; rm -f $stop',
    // A loop killed between its mkdir and rmdir leaves its instance: the .tc's last step removes them.
    'rmdir slam_x slam_y slam_z 2>/dev/null',
    'mkdir slam_x slam_y slam_z || exit 11',
    'ls slam_x slam_y slam_z > /dev/null || exit 12',
    'rmdir slam_x slam_y slam_z || exit 13',
    'for d in slam_x slam_y slam_z; do [ -d $d ] && exit 14; done; exit 0',
  ].join('\n')
  const trace = await record(defineTrace({ events: ['sched:sched_process_exit'] }), ['sh', '-c', script], { timeoutMs: 60_000 })
  expect(trace.workload!.exitCode, trace.workload!.stderr).toBe(0)
  expect(trace).toHaveEvent('sched_process_exit')
})

test('instance-event.tc: an instance created and removed while others enable its events and read its trace, then a function trigger in an instance removed with it', async ({ record }) => {
  const script = [
    'cd "$KSPEC_INSTANCE/.."',
    // Told to stop rather than killed, as in instance.tc's port: no command of a loop runs on after it.
    'stop=/tmp/kspec-slam-stop-$$',
    'slam() { while [ ! -e $stop ]; do mkdir ev_foo 2>/dev/null; rmdir ev_foo 2>/dev/null; done; }',
    'readit() { while [ ! -e $stop ]; do cat ev_foo/trace > /dev/null 2>&1; done; }',
    'setit() { while [ ! -e $stop ]; do echo 1 > ev_foo/events/sched/sched_switch/enable; done 2>/dev/null; }',
    'slam & p1=$!; setit & p2=$!; readit & p3=$!',
    'sleep 1; touch $stop; wait $p1 $p2 $p3; rm -f $stop',
    'rmdir ev_foo 2>/dev/null',
    'mkdir ev_foo && ls ev_foo > /dev/null && rmdir ev_foo || exit 11',
    '[ -d ev_foo ] && exit 12',
    // A function trigger set in an instance goes with it (this host refuses the function tracer: the write fails, nothing is set).
    'mkdir ev_foo; echo "schedule:enable_event:sched:sched_switch" > ev_foo/set_ftrace_filter 2>/dev/null; rmdir ev_foo || exit 13',
    'grep -q "schedule:enable_event:sched:sched_switch" ../set_ftrace_filter && exit 14; exit 0',
  ].join('\n')
  const trace = await record(defineTrace({ events: ['sched:sched_process_exit'] }), ['sh', '-c', script], { timeoutMs: 60_000 })
  expect(trace.workload!.exitCode, trace.workload!.stderr).toBe(0)
})
