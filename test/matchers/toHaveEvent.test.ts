import { expect, test } from 'kspec'
import { failure, fixture, shared } from '../helpers.js'

test('partial field match, with values, RegExps, predicates and asymmetric matchers', async () => {
  const trace = await shared('host-6.18/sched_ls.txt')
  expect(trace).toHaveEvent('sched_process_exec', { filename: '/usr/bin/ls' })
  expect(trace).toHaveEvent('sched:sched_process_exec', { filename: /\/ls$/, pid: (p) => Number(p) > 1 })
  expect(trace).toHaveEvent('sched_switch', { next_comm: expect.stringContaining('swapper') })
  expect(trace).toHaveEvent('sched_*')
  expect(trace).not.toHaveEvent('sched_process_exec', { filename: '/usr/bin/vim' })
})

test('numbers compare by value whether or not a format typed them', async () => {
  const trace = await shared('qemu-debian-6.1/tracepoint_openat.txt')
  expect(trace).toHaveEvent('syscalls:sys_enter_openat', { flags: 0x90800 })
  expect(trace).toHaveEvent('sys_exit_openat', { ret: -2 })
  expect(trace).toHaveEvent('sys_exit_openat', { ret: '3' })
})

test('toHaveEventTimes counts matching events', async () => {
  const trace = await shared('qemu-debian-6.1/tracepoint_openat.txt')
  expect(trace).toHaveEventTimes('sys_enter_openat', 12)
  expect(trace).toHaveEventTimes('sys_exit_openat', 9, { ret: -2 })
  expect(trace).not.toHaveEventTimes('sys_exit_openat', 1)
})

test('a failure ranks the nearest events by how many fields match', async () => {
  const trace = await shared('host-6.18/sched_ls.txt')
  expect(failure(() => expect(trace).toHaveEvent('sched_process_exec', { filename: '/usr/bin/cat', pid: 7546 }))).toMatchInlineSnapshot(`
    "expect(trace).toHaveEvent("sched_process_exec", { filename: "/usr/bin/cat", pid: 7546 })

    Expected: at least one event sched_process_exec with { filename: "/usr/bin/cat", pid: 7546 }
    Received: 0 matching events (49 named sched_process_exec)

    Nearest sched_process_exec events:
    ->0: { filename: "/usr/bin/ls", pid: 7546, old_pid: 7546 }  (CPU 0  ls-7546  370.202311  line 15)
      1: { filename: "/usr/bin/cat", pid: 7596, old_pid: 7596 }  (CPU 0  cat-7596  370.585194  line 7629)
      2: { filename: "/usr/bin/cat", pid: 7599, old_pid: 7599 }  (CPU 1  cat-7599  370.589695  line 7747)
      3: { filename: "/usr/bin/cat", pid: 7600, old_pid: 7600 }  (CPU 0  cat-7600  370.590994  line 7763)
      4: { filename: "/usr/bin/cat", pid: 7603, old_pid: 7603 }  (CPU 0  cat-7603  370.592652  line 7803)
      … 44 more

    Trace: <shared>/host-6.18/sched_ls.txt"
  `)
})

test('an unknown event name gets a did-you-mean and the events present', async () => {
  const trace = await shared('host-6.18/sched_ls.txt')
  expect(failure(() => expect(trace).toHaveEvent('sched_swich'))).toMatchInlineSnapshot(`
    "expect(trace).toHaveEvent("sched_swich")

    Expected:     at least one event sched_swich
    Received:     0 events
    Did you mean: sched_switch

    Events in the trace:
      sched_process_fork (58)
      sched_switch (11920)
      sched_process_exec (49)
      sched_wakeup (11458)
      sched_process_exit (58)

    Trace: <shared>/host-6.18/sched_ls.txt"
  `)
})

test('toHaveEventTimes failure prints both counts', async () => {
  const trace = await fixture('host-6.18/uprobe_open.txt')
  expect(failure(() => expect(trace).toHaveEventTimes('libc_open', 2, { path: /^\/etc/ }))).toMatchInlineSnapshot(`
    "expect(trace).toHaveEventTimes("libc_open", 2, { path: /^\\/etc/ })

    Expected: exactly 2 events libc_open with { path: /^\\/etc/ }
    Received: 1 matching event (4 named libc_open)

    Matching events:
      0: libc_open { path: "/etc/hostname", flags: 0 }  (CPU 0  cat-2282  386.370989  line 15)

    Trace: <fixtures>/host-6.18/uprobe_open.txt"
  `)
})

test('misuse: fields that are not an object, a negative count', async () => {
  const trace = await fixture('host-6.18/uprobe_open.txt')
  expect(() => expect(trace).toHaveEvent('libc_open', 'path' as never)).toThrow(TypeError)
  expect(() => expect(trace).toHaveEventTimes('libc_open', -1)).toThrow(/whole number ≥ 0/)
  expect(() => expect({}).toHaveEvent('x')).toThrow(/the subject is not a Trace \(got Object\)/)
})
