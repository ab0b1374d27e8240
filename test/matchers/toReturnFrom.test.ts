import { expect, test } from 'kspec'
import { failure, fixture, shared } from '../helpers.js'

test('kretprobe: returns from the function the probe sat on', async () => {
  const trace = await shared('qemu-debian-6.1/kprobe_openat.txt')
  expect(trace).toReturnFrom('do_filp_open')
  expect(trace).toReturnFrom('do_filp_open_ret', (v) => typeof v === 'bigint')
})

test('uretprobe $retval, and syscall exits by syscall name', async () => {
  const u = await fixture('host-6.18/uprobe_open.txt')
  expect(u).toReturnFrom('libc_open_ret', -1)
  expect(u).toReturnFrom('libc_open_ret', 3)
  const t = await shared('host-6.18/tracepoint_openat.txt')
  expect(t).toReturnFrom('openat', 3)
  expect(t).toReturnFrom('sys_openat', -2)
  expect(t).not.toReturnFrom('openat', -13)
})

test('failure lists the returns seen', async () => {
  const t = await shared('qemu-debian-6.1/tracepoint_openat.txt')
  expect(failure(() => expect(t).toReturnFrom('openat', -13))).toMatchInlineSnapshot(`
    "expect(trace).toReturnFrom("openat", -13)

    Expected: a return of openat with -13
    Received: 12 returns, 0 matching

    Returns:
      0: syscalls:sys_exit_openat → 3  (CPU 1  init-1  22.049171  line 14)
      1: syscalls:sys_exit_openat → 3  (CPU 1  ls-112  22.055469  line 16)
      2: syscalls:sys_exit_openat → -2  (CPU 1  ls-112  22.05683  line 18)
      3: syscalls:sys_exit_openat → -2  (CPU 1  ls-112  22.056873  line 20)
      4: syscalls:sys_exit_openat → -2  (CPU 1  ls-112  22.056953  line 22)
      … 7 more

    Trace: <shared>/qemu-debian-6.1/tracepoint_openat.txt"
  `)
  expect(failure(() => expect(t).toReturnFrom('do_filp_open'))).toMatch(/kretprobe\/uretprobe on do_filp_open/)
})
