import { expect, test } from 'kspec'
import { failure, shared } from '../helpers.js'

test('counts calls at any depth, function tracer hits, or stacks holding the function', async () => {
  expect(await shared('qemu-debian-6.1/graph_openat_depth3.txt')).toCallTimes('do_filp_open', 12)
  expect(await shared('qemu-debian-6.1/function_openat.txt')).toCallTimes('__x64_sys_openat', 12)
  expect(await shared('host-6.18/tracepoint_openat_stacktrace.txt')).toCallTimes('syscall_trace_enter', 33)
  expect(await shared('qemu-debian-6.1/function_openat.txt')).not.toCallTimes('__x64_sys_openat', 11)
})

test('failure prints expected and received counts, and the calls', async () => {
  const trace = await shared('qemu-debian-6.1/function_openat.txt')
  expect(failure(() => expect(trace).toCallTimes('__x64_sys_openat', 3))).toMatchInlineSnapshot(`
    "expect(trace).toCallTimes("__x64_sys_openat", 3)

    Expected number of calls: 3
    Received number of calls: 12

    Calls of __x64_sys_openat:
      0: __x64_sys_openat <-do_syscall_64  (CPU 0  init-1  2.628792  line 13)
      1: __x64_sys_openat <-do_syscall_64  (CPU 0  ls-99  2.633484  line 14)
      2: __x64_sys_openat <-do_syscall_64  (CPU 0  ls-99  2.635606  line 15)
      3: __x64_sys_openat <-do_syscall_64  (CPU 0  ls-99  2.63669  line 16)
      4: __x64_sys_openat <-do_syscall_64  (CPU 0  ls-99  2.637223  line 17)
      … 7 more

    Trace: <shared>/qemu-debian-6.1/function_openat.txt"
  `)
})
