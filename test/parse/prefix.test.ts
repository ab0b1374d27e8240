import { expect, test } from 'kspec'
import { parseLatencyPrefix, parsePrefix, parsePrefixAt, type Prefix } from '../../src/parse/prefix.js'
import { parseTraceText } from '../../src/parse/load.js'
import { fixture, shared } from '../helpers.js'

const scratch = (): Prefix => ({ taskFrom: 0, taskTo: 0, flagsFrom: 0, flagsTo: 0, pid: 0, tgid: undefined, cpu: 0, flags: undefined, ts: 0, body: 0 })

/** The prefix as values: task and flags cut out of their ranges. */
function prefix(line: string) {
  const p = scratch()
  expect(parsePrefix(line, p)).toBe(true)
  return {
    task: line.slice(p.taskFrom, p.taskTo),
    pid: p.pid,
    tgid: p.tgid,
    cpu: p.cpu,
    flags: p.flags === undefined ? undefined : line.slice(p.flagsFrom, p.flagsTo),
    ts: p.ts,
    rest: line.slice(p.body),
  }
}

test.each([
  ['            bash-7532    [000] d..2.   370.202008: x', { task: 'bash', pid: 7532, cpu: 0, flags: 'd..2.', ts: 370.202008 }],
  ['          <idle>-0       [001] dNs5.   370.203410: x', { task: '<idle>', pid: 0, cpu: 1, flags: 'dNs5.' }],
  ['           <...>-4242    [001] ....   1822.837813: x', { task: '<...>', pid: 4242, flags: '....' }],
  [' Web Content-2001    [001] d.h1.     2.640000: x', { task: 'Web Content', pid: 2001 }],
  ['    kworker/0:1-[events]-17 [000] .N...     2.650000: x', { task: 'kworker/0:1-[events]', pid: 17 }],
  // At the default columns (a 16-character task holding a dash), and one character off them.
  ['kworker/0:1-evnt-17      [001] .....     2.650000: x', { task: 'kworker/0:1-evnt', pid: 17, cpu: 1 }],
  ['kworker/0:1-event-17      [001] .....     2.650000: x', { task: 'kworker/0:1-event', pid: 17, cpu: 1 }],
  ['   sh-1234567 [1000] .....     2.650000: x', { task: 'sh', pid: 1234567, cpu: 1000 }],
  ['              sh-2281    [001] DBZff   386.369482: x', { flags: 'DBZff', cpu: 1 }],
  ['            bash-2033    (   2033) [001] .....   376.049049: x', { task: 'bash', pid: 2033, tgid: 2033 }],
  ['            bash-2033    (-------) [001] .....   376.049049: x', { tgid: undefined }],
  ['              sh-2043    [001]    376.101459: x', { flags: undefined, ts: 376.101459 }],
  ['              sh-2049    [000] .....            3: x', { ts: 3 }],
  ['              ls-8250  [000]  1053.330242: x', { task: 'ls', flags: undefined }],
])('%s', (line, want) => {
  expect(prefix(line)).toMatchObject({ ...want, rest: 'x' })
})

test('lines without a prefix are refused', () => {
  for (const line of ['hello world', ' => do_syscall_64', 'CPU:1 [LOST 3 EVENTS]', ' 1)   1.000 us    |  getname();']) {
    expect(parsePrefix(line, scratch())).toBe(false)
  }
})

test('latency-format: comm and pid in fixed columns, flags glued to the CPU, relative microseconds', () => {
  const p = scratch()
  const line = '      sh-2046      1..... 20608us!: sys_openat -> 0x3'
  expect(parseLatencyPrefix(line, p)).toBe(true)
  expect(p).toMatchObject({ pid: 2046, cpu: 1, ts: 20608 })
  expect([line.slice(p.taskFrom, p.taskTo), line.slice(p.flagsFrom, p.flagsTo), line.slice(p.body)]).toEqual(['sh', '.....', 'sys_openat -> 0x3'])
})

test('latency-format text without its header (trace_pipe prints none, nor do kspec recordings) is read as latency-format', () => {
  // Recorded on 6.18 with options/latency-format on, read from trace_pipe as kspec records.
  const text = [
    '# tracer: nop',
    '# kspec: read from instances/kspec_20637_1/trace_pipe',
    '      dd-20649     0..... 61769548590us : sys_read(fd: 0, buf: 0x55e6cece4000, count: 1)',
    '      dd-20649     0..... 61769548598us : sys_read -> 0x1',
    '      dd-20649     0..... 61769548602us : sys_write(fd: 1, buf: 0x55e6cece4000, count: 1)',
    '      dd-20649     0..... 61769548603us : sys_write -> 0x1',
  ].join('\n')
  const trace = parseTraceText(text)
  expect(trace.problems).toEqual([])
  expect(trace.header.latencyFormat).toBe(true)
  expect(trace.ofKind('event').map((e) => [e.name, e.pid, e.cpu, e.ts])).toEqual([
    ['syscalls:sys_enter_read', 20649, 0, 61769548590],
    ['syscalls:sys_exit_read', 20649, 0, 61769548598],
    ['syscalls:sys_enter_write', 20649, 0, 61769548602],
    ['syscalls:sys_exit_write', 20649, 0, 61769548603],
  ])
})

test('every real prefix variant yields the same events', async () => {
  const names = ['tgid_openat', 'noirqinfo_openat', 'latency_openat', 'clock_counter_openat', 'clock_x86-tsc_openat', 'clock_mono_openat', 'clock_uptime_openat']
  for (const name of names) {
    const trace = await fixture(`host-6.18/${name}.txt`)
    const events = trace.ofKind('event')
    expect(events.length, name).toBe(trace.header.entriesInBuffer)
    expect(events.every((e) => e.name.startsWith('syscalls:sys_e') && e.task && e.pid! > 0), name).toBe(true)
  }
})

test('stack traces attach to the record they follow, raw addresses kept', async () => {
  const trace = await shared('qemu-debian-6.1/function_stack_openat.txt')
  const fns = trace.ofKind('function')
  expect(fns).toHaveLength(12)
  expect(fns[0].stack).toEqual(['0xffffffffc05fb083', '__x64_sys_openat', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
  const user = await fixture('host-6.18/userstack_openat.txt')
  const userStacks = user.ofKind('event').map((e) => e.userStack)
  expect(userStacks.every((s) => s !== undefined && s.every((f) => /^<[0-9a-f]{16}>$/.test(f)))).toBe(true)
  expect(userStacks.some((s) => s!.length >= 2)).toBe(true)
  const trig = await fixture('host-6.18/trigger_stacktrace_exec.txt')
  expect(trig.ofKind('event')[0].stack?.[2]).toBe('bprm_execve')
})

test('function tracer variants: sym-offset, sym-addr, func-no-repeats, LOST lines', async () => {
  const trace = await fixture('constructed/function_variants.txt')
  const [a, b, c] = trace.ofKind('function')
  expect(a).toMatchObject({ func: '__x64_sys_openat', offset: '+0x4/0xa0', parent: 'do_syscall_64', parentOffset: '+0x5b/0xc0' })
  expect(b).toMatchObject({ func: '__x64_sys_openat', parent: 'do_syscall_64' })
  expect(c).toMatchObject({ func: '_raw_spin_lock', parent: 'do_filp_open', repeats: 3 })
  expect(trace.loss).toEqual({ overwritten: 3, lostEvents: 3, droppedBlocks: 0, truncatedBy: 0 })
  expect(trace.lost).toBe(6)
})

test("a module's functions with sym-offset: the module after the offset (`+0x0/0x130 [overlay]`), recorded on Debian 6.1", async () => {
  for (const name of ['function_sym_offset_module', 'function_sym_offset_addr_module']) {
    const trace = await fixture(`qemu-debian-6.1/${name}.txt`)
    expect(trace.problems, name).toEqual([])
    const fns = trace.ofKind('function')
    expect(fns.length, name).toBe(trace.header.entriesRead)
    expect(fns.filter((f) => f.module === 'overlay').length, name).toBeGreaterThan(10)
    expect(fns.every((f) => !f.func.includes(' ') && !f.func.includes('+') && (f.parent === undefined || !/[ +[]/.test(f.parent))), name).toBe(true)
  }
  const trace = await fixture('qemu-debian-6.1/function_sym_offset_module.txt')
  const [first, second] = trace.ofKind('function')
  expect(first).toMatchObject({ func: 'ovl_permission', offset: '+0x0/0x130', module: 'overlay', parent: 'inode_permission', parentOffset: '+0x13f/0x1d0' })
  expect(first.parentModule).toBeUndefined()
  expect(second).toMatchObject({ func: 'ovl_inode_upper', offset: '+0x0/0x20', module: 'overlay', parent: 'ovl_permission', parentOffset: '+0x2f/0x130', parentModule: 'overlay' })
  // Matchers see the bare names.
  expect(trace).toCall('ovl_inode_upper').within('ovl_permission')
  const stacks = await fixture('qemu-debian-6.1/function_stack_sym_offset_module.txt')
  expect(stacks.problems).toEqual([])
  expect(stacks).toHaveStack(['ovl_read_iter', '__kernel_read'])
})

test("a stack under a line of kspec's own spawner goes with that line: its frames are read and dropped, not reported unreadable (Debian 6.1, func_stack_trace)", async () => {
  const trace = await fixture('qemu-debian-6.1/function_stack_spawner.txt')
  expect(trace.problems).toEqual([])
  const fns = trace.ofKind('function')
  expect(fns.every((f) => f.task === 'dd')).toBe(true)
  expect(fns.length).toBe(2)
  expect(fns.every((f) => f.stack?.[1] === f.func && f.stack.at(-1) === 'entry_SYSCALL_64_after_hwframe')).toBe(true)
})

test('a line kspec cannot read is reported with file:line and its text', () => {
  const trace = parseTraceText('# tracer: nop\n            bash-1    [000] .....   1.0: sched_switch: prev_comm=a\nnot ftrace\n', { name: 'x.txt' })
  expect(trace.problems).toEqual([{ file: 'x.txt', line: 3, text: 'not ftrace', reason: 'not a line of ftrace output kspec knows' }])
  expect(trace.records).toHaveLength(1)
})

test('carriage returns from serial consoles are dropped', () => {
  const trace = parseTraceText('# tracer: nop\r\n            bash-1    [000] .....   1.0: tracing_mark_write: hi\r\n')
  expect(trace.ofKind('marker')[0].text).toBe('hi')
})

test('a prefix read in place inside a larger text gives the same values, as indices into that text', () => {
  const lines = [
    '            bash-7532    [000] d..2.   370.202008: x',
    ' Web Content-2001    [001] d.h1.     2.640000: x',
    '            bash-2033    (   2033) [001] .....   376.049049: x',
    '              sh-2043    [001]    376.101459: x',
  ]
  const text = `junk [9] 1.0: no\n${lines.join('\n')}\ntail`
  let from = text.indexOf('\n') + 1
  for (const line of lines) {
    const alone = scratch()
    const inPlace = scratch()
    expect(parsePrefix(line, alone)).toBe(true)
    expect(parsePrefixAt(text, from, from + line.length, inPlace)).toBe(true)
    const shifted = { ...alone, taskFrom: alone.taskFrom + from, taskTo: alone.taskTo + from, body: alone.body + from }
    if (alone.flags !== undefined) Object.assign(shifted, { flagsFrom: alone.flagsFrom + from, flagsTo: alone.flagsTo + from })
    expect(inPlace).toEqual(shifted)
    from += line.length + 1
  }
  // The range ends the line: a prefix is not looked for past it.
  expect(parsePrefixAt(text, 0, text.indexOf('\n'), scratch())).toBe(false)
})

test('trace-cmd report -l (latency columns) of a file that starts with version = 6', async () => {
  const trace = await fixture('constructed/trace-cmd_latency_version.txt')
  expect(trace.problems).toEqual([])
  expect(trace.header.traceCmd).toBe(true)
  const [sw, wake] = trace.ofKind('event')
  expect(sw).toMatchObject({ name: 'sched_switch', task: 'bash', pid: 4127, cpu: 1, flags: 'd..2.', ts: 8812.003344 })
  expect(sw.fields).toMatchObject({ prev_comm: 'bash', next_comm: 'swapper/1' })
  expect(wake).toMatchObject({ task: '<idle>', pid: 0, cpu: 1, flags: 'dNh1.' })
  expect(trace.ofKind('marker').map((m) => m.text)).toEqual(['done'])
})
