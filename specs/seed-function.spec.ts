// Seed techniques 1 and 2: the function tracer filtered to __x64_sys_openat, and
// func_stack_trace. Kernels that refuse the function tracer report these as skipped.
import { defineTrace, expect, test } from 'kspec'

test('the function tracer sees openat called from do_syscall_64', async ({ record }) => {
  const trace = await record(defineTrace({ tracer: 'function', functions: ['__x64_sys_openat'] }), 'ls -hl')
  expect(trace).toCall('__x64_sys_openat').within('do_syscall_64')
})

test('func_stack_trace: openat is entered from the syscall entry point', async ({ record }) => {
  const trace = await record(defineTrace({ tracer: 'function', functions: ['__x64_sys_openat'], funcStackTrace: true }), 'ls -hl')
  expect(trace).toHaveStack(['__x64_sys_openat', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
})
