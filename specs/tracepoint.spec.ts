// Seed technique 4: the syscalls:sys_enter_openat tracepoint, fields typed with its
// `format` (dfd is an int: AT_FDCWD reads -100, not 0xffffff9c).
import { defineTrace, expect, test } from 'kspec'

const openat = defineTrace({
  events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'],
})

test('ls -hl opens files relative to the working directory', async ({ record }) => {
  const trace = await record(openat, 'ls -hl /')
  expect(trace).toHaveEvent('syscalls:sys_enter_openat', { dfd: -100, flags: (f) => (Number(f) & 0o2000000) !== 0 })
  expect(trace).toReturnFrom('openat', (fd) => Number(fd) >= 3)
  expect(trace).toBeComplete()
})

test('a missing file fails with ENOENT', async ({ record }) => {
  const trace = await record(openat, ['cat', '/nonexistent/kspec'])
  expect(trace).toReturnFrom('openat', -2)
})

test('only the workload is traced', async ({ record }) => {
  const trace = await record(openat, 'cat /etc/hostname')
  const tasks = new Set(trace.ofKind('event').map((e) => e.task))
  expect([...tasks].every((t) => t === 'sh' || t === 'cat')).toBe(true)
})
