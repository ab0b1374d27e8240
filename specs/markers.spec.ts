// A trace_marker-fenced step: the workload marks where a step begins and ends, and the
// assertion looks only between the marks.
import { execFileSync } from 'node:child_process'
import { defineTrace, expect, test } from 'kspec'

const exits = defineTrace({ events: ['sched:sched_process_exec', 'sched:sched_process_exit'] })

test('the fenced step runs exactly one program', async ({ record }) => {
  const trace = await record(exits, async ({ mark }) => {
    execFileSync('true')
    await mark('step: hostname')
    execFileSync('cat', ['/etc/hostname'])
    await mark('step: done')
    execFileSync('true')
  })
  const step = trace.between('step: hostname', 'step: done')
  expect(step).toHaveEventTimes('sched_process_exec', 1, { filename: /\/cat$/ })
  expect(trace).toHaveEventTimes('sched_process_exec', 3)
})
