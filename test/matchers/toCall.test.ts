import { describe, expect, test } from 'kspec'
import { CallChain } from '../../src/matchers/chain.js'
import { evaluateToCall } from '../../src/matchers/toCall.js'
import { failure, fixture, shared, strip } from '../helpers.js'

const graph = () => shared('qemu-debian-6.1/graph_openat_depth3.txt')

describe('expect(trace).toCall(fn).within(parent), as designed', () => {
  test('passes on function_graph nesting, through intermediate calls', async () => {
    const trace = await graph()
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat')
    expect(trace).toCall('do_filp_open').within('do_sys_openat2')
    expect(trace).toCall('do_filp_open')
  })

  test('.not negates the whole chain: called, but never inside the parent', async () => {
    const trace = await graph()
    expect(trace).not.toCall('do_filp_open').within('getname')
    expect(trace).not.toCall('vfs_read')
  })

  test('a failing bare toCall names the nearest functions and shows what was called', async () => {
    const trace = await graph()
    expect(failure(() => expect(trace).toCall('do_filp_opn'))).toMatchInlineSnapshot(`
      "expect(trace).toCall("do_filp_opn")

      Expected:     do_filp_opn called at least once
      Received:     0 calls (evidence: function_graph nesting)
      Did you mean: do_filp_open

      Call tree seen first:
         mutex_unlock();  106.459 us
         … 12 more call trees

      Trace: <shared>/qemu-debian-6.1/graph_openat_depth3.txt"
    `)
  })

  test('a failing within lists the calls with their paths and the nearest subtree', async () => {
    const trace = await graph()
    expect(failure(() => expect(trace).toCall('do_filp_open').within('__x64_sys_open'))).toMatchInlineSnapshot(`
      "expect(trace).toCall("do_filp_open").within("__x64_sys_open")

      Expected:    do_filp_open called inside __x64_sys_open
      Received:    12 calls of do_filp_open, none inside __x64_sys_open (evidence: function_graph nesting)
      Called from: __x64_sys_openat

      Calls (12):
        0: __x64_sys_openat > do_sys_openat2 > do_filp_open  201.44 us  (CPU 1  line 10)
        1: __x64_sys_openat > do_sys_openat2 > do_filp_open  139.558 us  (CPU 0  line 19)
        2: __x64_sys_openat > do_sys_openat2 > do_filp_open  241.57 us  (CPU 0  line 28)
        3: __x64_sys_openat > do_sys_openat2 > do_filp_open  56.494 us  (CPU 0  line 37)
        4: __x64_sys_openat > do_sys_openat2 > do_filp_open  48.262 us  (CPU 0  line 46)
        … 7 more

      Call tree of the first (CPU 1  line 10):
         __x64_sys_openat() {  234.309 us
           do_sys_openat2() {  230.604 us
             getname();  14.081 us
             get_unused_fd_flags();  2.975 us
      ->     do_filp_open();  201.44 us
             fd_install();  1.362 us
             putname();  1.903 us

      Trace: <shared>/qemu-debian-6.1/graph_openat_depth3.txt"
    `)
  })

  test('the failure points at the spec line', async () => {
    const trace = await graph()
    let frame = ''
    try {
      expect(trace).toCall('do_filp_open').within('ksys_read')
    } catch (e) {
      frame = (e as Error).stack!.split('\n').find((l) => l.includes('    at ')) ?? ''
    }
    expect(frame).toContain('toCall.test.ts:')
  })

  test('a negated chain that fails is recorded on the running test', async () => {
    const trace = await graph()
    const test = { promises: [] as Promise<unknown>[] }
    new CallChain(trace, 'do_filp_open', true, new Error('site'), test).within('__x64_sys_openat')
    expect(test.promises).toHaveLength(1)
    await expect(test.promises[0]).rejects.toThrow(/expect\(trace\)\.not\.toCall\("do_filp_open"\)\.within\("__x64_sys_openat"\)/)
    const ok = { promises: [] as Promise<unknown>[] }
    new CallChain(trace, 'do_filp_open', true, new Error('site'), ok).within('getname')
    await expect(ok.promises[0]).resolves.toBeUndefined()
  })
})

describe('evidence: graph, else stacks, else the direct parent', () => {
  test('stack traces prove nesting at any depth', async () => {
    const trace = await shared('qemu-debian-6.1/function_stack_openat.txt')
    expect(evaluateToCall(trace, { fn: '__x64_sys_openat', parent: 'entry_SYSCALL_64_after_hwframe' })).toMatchObject({ pass: true, evidence: 'stack' })
    expect(trace).toCall('__x64_sys_openat').within('entry_SYSCALL_64_after_hwframe')
    expect(trace).not.toCall('__x64_sys_openat').within('ksys_read')
  })

  test('event stacks (the stacktrace option) count as call evidence too', async () => {
    const trace = await shared('host-6.18/tracepoint_openat_stacktrace.txt')
    expect(trace).toCall('syscall_trace_enter').within('do_syscall_64')
  })

  test('the function tracer proves a direct parent', async () => {
    const trace = await shared('qemu-debian-6.1/function_openat.txt')
    expect(trace).toCall('__x64_sys_openat').within('do_syscall_64')
  })

  test('but cannot disprove deeper nesting: the failure says which option would', async () => {
    const trace = await shared('qemu-debian-6.1/function_openat.txt')
    expect(failure(() => expect(trace).toCall('__x64_sys_openat').within('entry_SYSCALL_64_after_hwframe'))).toMatchInlineSnapshot(`
      "expect(trace).toCall("__x64_sys_openat").within("entry_SYSCALL_64_after_hwframe")

      Expected: __x64_sys_openat called inside entry_SYSCALL_64_after_hwframe
      Received: 12 calls of __x64_sys_openat, undecidable (evidence: function tracer <-parent)
      Because:  the function tracer shows only each call's direct caller, so nesting deeper than one level cannot be seen. Record with tracer: 'function_graph' (graphFunctions: ['entry_SYSCALL_64_after_hwframe']) or funcStackTrace: true to see the whole call path.

      Calls (12):
        0: __x64_sys_openat <-do_syscall_64  called from do_syscall_64  (CPU 0  init-1  2.628792  line 13)
        1: __x64_sys_openat <-do_syscall_64  called from do_syscall_64  (CPU 0  ls-99  2.633484  line 14)
        2: __x64_sys_openat <-do_syscall_64  called from do_syscall_64  (CPU 0  ls-99  2.635606  line 15)
        3: __x64_sys_openat <-do_syscall_64  called from do_syscall_64  (CPU 0  ls-99  2.63669  line 16)
        4: __x64_sys_openat <-do_syscall_64  called from do_syscall_64  (CPU 0  ls-99  2.637223  line 17)
        … 7 more

      Trace: <shared>/qemu-debian-6.1/function_openat.txt"
    `)
    const r = evaluateToCall(trace, { fn: '__x64_sys_openat', parent: 'entry_SYSCALL_64_after_hwframe' })
    expect(r).toMatchObject({ decided: false, evidence: 'parent' })
  })

  test('a trace without calls says so', async () => {
    const trace = await shared('host-6.18/tracepoint_openat.txt')
    expect(failure(() => expect(trace).toCall('do_filp_open'))).toMatchInlineSnapshot(`
      "expect(trace).toCall("do_filp_open")

      Expected: do_filp_open called at least once
      Received: 0 calls (evidence: no function calls in the trace)

      Records seen first:
        0: syscalls:sys_enter_openat dfd: 0xffffff9c, filename: 0x55bd4b57c160, flags: 0x241, mode: 0x1b6  (CPU 0  bash-7532  369.9069  line 13)
        1: syscalls:sys_exit_openat 0x3  (CPU 0  bash-7532  369.906911  line 14)
        2: syscalls:sys_enter_openat dfd: 0xffffff9c, filename: 0x7f9a432eb0b1, flags: 0x80000, mode: 0  (CPU 1  ls-7536  369.908131  line 15)
        3: syscalls:sys_exit_openat 0x3  (CPU 1  ls-7536  369.908135  line 16)
        4: syscalls:sys_enter_openat dfd: 0xffffff9c, filename: 0x7f9a432b81e0, flags: 0x80000, mode: 0  (CPU 1  ls-7536  369.908148  line 17)
        … 87 more

      Trace: <shared>/host-6.18/tracepoint_openat.txt"
    `)
  })
})

describe('.lastingAtMost(budget)', () => {
  test('passes when every matching call fits the budget', async () => {
    const trace = await graph()
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat').lastingAtMost('1ms')
    expect(trace).not.toCall('do_filp_open').lastingAtMost('200us')
  })

  test('fails with the calls over budget, longest first', async () => {
    const trace = await graph()
    expect(failure(() => expect(trace).toCall('do_filp_open').within('__x64_sys_openat').lastingAtMost('200us'))).toMatchInlineSnapshot(`
      "expect(trace).toCall("do_filp_open").within("__x64_sys_openat").lastingAtMost("200us")

      Expected: every call of do_filp_open inside __x64_sys_openat ≤ 200us
      Received: 2 of 12 calls over budget, longest 241.57 us

      Calls (2):
        0: __x64_sys_openat > do_sys_openat2 > do_filp_open  241.57 us  (CPU 0  line 28)
        1: __x64_sys_openat > do_sys_openat2 > do_filp_open  201.44 us  (CPU 1  line 10)

      Call tree of the first (CPU 0  line 28):
         __x64_sys_openat() {  304.404 us
           do_sys_openat2() {  293.297 us
             getname();  13.59 us
             get_unused_fd_flags();  5.748 us
      ->     do_filp_open();  241.57 us
             put_unused_fd();  10.777 us
             putname();  2.524 us

      Trace: <shared>/qemu-debian-6.1/graph_openat_depth3.txt"
    `)
  })

  test('needs function_graph durations', async () => {
    const trace = await shared('qemu-debian-6.1/function_openat.txt')
    expect(failure(() => expect(trace).toCall('__x64_sys_openat').lastingAtMost('1ms'))).toMatch(/durations come only from function_graph/)
  })
})

describe('misuse is a TypeError naming the fix', () => {
  test.each([
    ['not a Trace', () => expect('trace.txt').toCall('f'), /the subject is not a Trace \(got string\)/],
    ['a promise', () => expect(Promise.resolve()).toCall('f'), /did you forget to await it\?/],
    ['an empty name', async () => expect(await graph()).toCall(''), /expected a non-empty function name/],
    ['an empty parent', async () => expect(await graph()).toCall('do_filp_open').within(' '), /non-empty parent function name/],
    ['a malformed duration', async () => expect(await graph()).toCall('do_filp_open').lastingAtMost('200'), /malformed duration "200": write a number with a unit/],
    ['within twice', async () => expect(await graph()).toCall('do_filp_open').within('__x64_sys_openat').within('b'), /call \.within\(\) once/],
  ])('%s', async (_, fn, message) => {
    await expect(async () => fn()).rejects.toThrow(TypeError)
    await expect(async () => fn()).rejects.toThrow(message)
  })
})

test('messages carry the loss note when the trace is incomplete', async () => {
  const trace = await fixture('constructed/function_variants.txt')
  expect(strip(failure(() => expect(trace).toCall('vfs_read')))).toContain('Note: this trace is incomplete (3 overwritten in the ring buffer, 3 reported as [LOST n EVENTS])')
})

describe('toCall under vitest conventions, like every other matcher', () => {
  let after = false
  test.fails('expect.soft(trace).toCall(...) records its failure and the test goes on (this test fails, as it should)', async () => {
    const trace = await graph()
    expect.soft(trace).toCall('no_such_function').within('__x64_sys_openat')
    after = true
  })
  test('…the line after the soft failure ran', () => {
    expect(after).toBe(true)
  })
  test('a passing soft chain records nothing', async () => {
    const trace = await graph()
    expect.soft(trace).toCall('do_filp_open').within('__x64_sys_openat')
    expect.soft(trace).not.toCall('vfs_read')
  })
  test('toCall counts for expect.assertions, as a matcher of expect.extend does', async () => {
    expect.assertions(2)
    const trace = await graph()
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat')
    expect(trace).not.toCall('vfs_read')
  })
})
