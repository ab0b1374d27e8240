import { expect, test } from 'kspec'
import { failure, shared } from '../helpers.js'

test('seed technique 2: the stack of __x64_sys_openat holds do_syscall_64 and the entry point', async () => {
  const trace = await shared('qemu-debian-6.1/function_stack_openat.txt')
  expect(trace).toHaveStack(['__x64_sys_openat', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
  expect(trace).toHaveStack(['__x64_sys_openat', 'entry_SYSCALL_64_after_hwframe'])
  expect(trace).not.toHaveStack(['do_syscall_64', '__x64_sys_openat'])
})

test('failure marks the frames of the nearest stack that matched', async () => {
  const trace = await shared('host-6.18/tracepoint_openat_stacktrace.txt')
  expect(failure(() => expect(trace).toHaveStack(['syscall_trace_enter', 'ksys_read']))).toMatchInlineSnapshot(`
    "expect(trace).toHaveStack(["syscall_trace_enter","ksys_read"])

    Expected: a stack with syscall_trace_enter < ksys_read
    Received: 0 of 66 stacks match

    Nearest stack (syscalls:sys_enter_openat dfd: 0xffffff9c, filename: 0x55bd4b53eb80, flags: 0x241, mode: 0x1b6, CPU 0  bash-7532  369.966541  line 13):
        ftrace_syscall_enter
      ✓ syscall_trace_enter
        do_syscall_64
        entry_SYSCALL_64_after_hwframe

    Trace: <shared>/host-6.18/tracepoint_openat_stacktrace.txt"
  `)
})

test('a trace without stacks says how to record them', async () => {
  const trace = await shared('qemu-debian-6.1/function_openat.txt')
  expect(failure(() => expect(trace).toHaveStack(['__x64_sys_openat']))).toMatch(/funcStackTrace: true/)
})

test('frames printed with sym-offset, sym-addr or a module match bare names, in every matcher', async () => {
  const { parseTraceText } = await import('../../src/parse/load.js')
  const trace = parseTraceText([
    '# tracer: function',
    '            bash-10      [000] .....   100.000001: kernel_clone+0x0/0x41c <ffffffff8108a0b0> <-__do_sys_clone+0x1c/0x80 <ffffffff8108a600>',
    '            bash-10      [000] .....   100.000002: <stack trace>',
    ' => kernel_clone+0xc0/0x41c <ffffffff8108a170>',
    ' => __do_sys_clone+0x60/0x80',
    ' => my_helper+0x10/0x20 [my_mod]',
    ' => do_syscall_64+0x38/0x90',
  ].join('\n'))
  expect(trace).toHaveStack(['kernel_clone', '__do_sys_clone'])
  expect(trace).toHaveStack(['my_helper', 'do_syscall_64'])
  expect(trace).toCall('kernel_clone').within('__do_sys_clone')
  expect(trace).toCall('kernel_clone').within('do_syscall_64')
  expect(trace).not.toCall('kernel_clone').within('vfs_read')
})
