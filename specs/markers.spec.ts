// A trace_marker-fenced step: the workload marks where a step begins and ends, and the
// assertion looks only between the marks. A command workload writes its marks to the
// file $KSPEC_TRACE_MARKER names (its recording's trace_marker), so it runs wherever the
// kernel under test does: on this machine or in a guest under QEMU.
import { defineTrace, expect, test } from 'kspec'

const exits = defineTrace({ events: ['sched:sched_process_exec', 'sched:sched_process_exit'] })

test('the fenced step runs exactly one program', async ({ record }) => {
  const trace = await record(exits, [
    'sh',
    '-c',
    '/bin/true; echo "step: hostname" > "$KSPEC_TRACE_MARKER"; cat /etc/hostname; echo "step: done" > "$KSPEC_TRACE_MARKER"; /bin/true',
  ])
  const step = trace.between('step: hostname', 'step: done')
  expect(step).toHaveEventTimes('sched_process_exec', 1, { filename: /\/cat$/ })
  // sh itself, /bin/true, cat, /bin/true (echo is a builtin of the shell).
  expect(trace).toHaveEventTimes('sched_process_exec', 4)
})
