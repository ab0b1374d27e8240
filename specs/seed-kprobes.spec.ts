// Seed technique 5: kprobes. __x64_sys_openat takes a pt_regs pointer on x86-64, so the
// seed's `dfd=$arg1` reads garbage there; probe do_sys_openat2, whose arguments are the
// syscall's own.
import { defineTrace, expect, kprobe, kretprobe, test } from 'kspec'

const openat = defineTrace({
  kprobes: [kprobe('do_sys_openat2', { dfd: '$arg1:s32', fname: '+0($arg2):string' }), kretprobe('do_sys_openat2', { ret: '$retval:s64' })],
})

test('the filename the workload opens reaches do_sys_openat2', async ({ record }) => {
  const trace = await record(openat, 'cat /proc/version')
  expect(trace).toHaveEvent('do_sys_openat2', { dfd: -100, fname: '/proc/version' })
  expect(trace).toReturnFrom('do_sys_openat2', (fd) => Number(fd) >= 3)
})
