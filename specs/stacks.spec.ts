// Kernel stacks under events: the `stacktrace` option (every event) and the `stacktrace`
// trigger (one event). Stacks make .within() provable without function_graph.
import { defineTrace, expect, test } from 'kspec'

test('every openat enters through the syscall entry point', async ({ record }) => {
  const trace = await record(defineTrace({ events: ['syscalls:sys_enter_openat'], stacktrace: true }), 'cat /etc/hostname')
  expect(trace).toHaveStack(['do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
  expect(trace).toCall('syscall_trace_enter').within('do_syscall_64')
})

test('exec runs bprm_execve, seen through a stacktrace trigger', async ({ record }) => {
  const exec = defineTrace({ events: [{ name: 'sched:sched_process_exec', triggers: ['stacktrace'] }] })
  const trace = await record(exec, ['true'])
  expect(trace).toHaveEvent('sched_process_exec', { filename: /\/true$/ })
  expect(trace).toCall('bprm_execve').within('do_syscall_64')
})
