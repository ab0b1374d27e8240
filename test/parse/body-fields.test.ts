import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { loadTrace, parseTraceText } from '../../src/parse/load.js'
import { parseFormat } from '../../src/parse/format.js'
import { FIXTURES, SHARED, fixture, shared } from '../helpers.js'

const text = (root: string, p: string): string => readFileSync(join(root, p), 'utf8')

test('format files: names, C types, sizes, strings', () => {
  const f = parseFormat(text(SHARED, 'qemu-debian-6.1/format_sched_switch.txt'))
  expect(f.name).toBe('sched_switch')
  expect(f.id).toBe(319)
  expect(f.fields.get('prev_comm')).toEqual({ name: 'prev_comm', type: 'char[]', size: 16, signed: true, string: true })
  expect(f.fields.get('prev_pid')).toMatchObject({ type: 'pid_t', size: 4, signed: true, string: false })
  const k = parseFormat(text(SHARED, 'qemu-debian-6.1/kprobe_format.txt'))
  expect(k.fields.get('fname')).toMatchObject({ type: '__data_loc char[]', string: true })
  expect(() => parseFormat('hello')).toThrow(/not an ftrace event format/)
})

test('key=value bodies, including values with spaces and the ==> separator', async () => {
  const trace = await shared('host-6.18/sched_ls.txt')
  expect(trace.eventsNamed('sched_switch')[0].fields).toEqual({
    prev_comm: 'bash', prev_pid: 7532, prev_prio: 120, prev_state: 'S', next_comm: 'bash', next_pid: 7546, next_prio: 120,
  })
  expect(trace.eventsNamed('sched_process_exec')[0].fields).toEqual({ filename: '/usr/bin/ls', pid: 7546, old_pid: 7546 })
})

test('syscall bodies get their syscalls: names; hex values, ret signed', async () => {
  const host = await shared('host-6.18/tracepoint_openat.txt')
  const [enter, exit] = host.records
  expect(enter).toMatchObject({ kind: 'event', name: 'syscalls:sys_enter_openat' })
  expect(host.eventsNamed('syscalls:sys_enter_openat')[0].fields).toEqual({ dfd: 0xffffff9c, filename: 0x55bd4b57c160, flags: 0x241, mode: 0x1b6 })
  expect(exit).toMatchObject({ name: 'syscalls:sys_exit_openat' })
  expect(host.eventsNamed('sys_exit_openat')[6].fields).toEqual({ ret: -2 })
  // Debian 6.1 prints the same values without 0x.
  const qemu = await shared('qemu-debian-6.1/tracepoint_openat.txt')
  expect(qemu.eventsNamed('sys_enter_openat')[0].fields).toEqual({ dfd: 0xffffff9c, filename: 0x17d5bed8, flags: 0x241, mode: 0x1b6 })
})

test('with the format file, int arguments carry their sign', async () => {
  const trace = await loadTrace(join(SHARED, 'host-6.18/tracepoint_openat.txt'), {
    formats: [text(FIXTURES, 'host-6.18/format_sys_enter_openat.txt'), text(FIXTURES, 'host-6.18/format_sys_exit_openat.txt')],
  })
  expect(trace.eventsNamed('sys_enter_openat')[0].fields.dfd).toBe(-100)
})

test('kprobe, kretprobe, uprobe and uretprobe events: probe sites and typed args', async () => {
  const k = await loadTrace(join(SHARED, 'qemu-debian-6.1/kprobe_openat.txt'), { formats: [text(SHARED, 'qemu-debian-6.1/kprobe_format.txt')] })
  const [sys, open2, ret] = k.ofKind('event')
  expect(sys).toMatchObject({ name: 'x64_sys_openat', probe: { at: '__x64_sys_openat+0x0/0xa0' } })
  expect(sys.fields.dfd).toBe(0xff771a5780013f58n)
  expect(open2.fields).toEqual({ dfd: -100, fname: '/dev/null' })
  expect(ret).toMatchObject({ probe: { at: 'do_sys_openat2+0xaf/0x170', returnedFrom: 'do_filp_open' } })
  const u = await fixture('host-6.18/uprobe_open.txt')
  const [call, back] = u.ofKind('event')
  expect(call).toMatchObject({ name: 'libc_open', probe: { at: '0x7f123fd83fc0' } })
  expect(call.fields).toEqual({ path: '/dev/null', flags: 0x241 })
  expect(back).toMatchObject({ probe: { at: '0x56526fe7665a', returnedFrom: '0x7f123fd83fc0' } })
  expect(back.fields).toEqual({ ret: 3 })
  expect(u.ofKind('event')[5].fields).toEqual({ ret: -1 })
})

test('trace_marker writes keep their text, colons and double spaces included', async () => {
  const trace = await fixture('host-6.18/marker.txt')
  expect(trace.ofKind('marker').map((m) => m.text)).toEqual(['kspec step: open', 'text with  spaces: and colons'])
})

test('trace-cmd report text: instance prefixes, its own syscall and sched_switch layout, dropped events', async () => {
  const trace = await fixture('host-6.18/trace-cmd-report_head.txt')
  expect(trace.header).toMatchObject({ traceCmd: true, cpus: 2 })
  expect(trace.loss).toMatchObject({ lostEvents: 481016, droppedBlocks: 1 })
  const enter = trace.eventsNamed('syscalls:sys_enter_statx')[0]
  expect(enter).toMatchObject({ task: 'ls', pid: 8250, cpu: 0, ts: 1053.330244 })
  expect(enter.fields).toMatchObject({ dfd: 0xffffff9c, flags: 0x900 })
  expect(trace.eventsNamed('sys_exit_getxattr')[0].fields).toEqual({ ret: -61 })
  expect(trace.eventsNamed('sched_switch')[0].fields).toEqual({
    prev_comm: 'ls', prev_pid: 8250, prev_prio: 120, prev_state: 'X', next_comm: 'swapper/0', next_pid: 0, next_prio: 120,
  })
  expect(trace.problems).toEqual([])
})

test('412k-event capture: every entry read, the overwrite counted as loss', async () => {
  const trace = await shared('bench/host-events-412k.txt.gz')
  expect(trace.records).toHaveLength(412_203)
  expect(trace.header.entriesRead).toBe(412_203)
  expect(trace.loss.overwritten).toBe(1_759_195 - 412_203)
  expect(trace.complete).toBe(false)
  expect(trace.problems).toEqual([])
})

test('64-bit syscall values: numbers while exact, bigints beyond, ret as a signed int64', () => {
  const trace = parseTraceText(
    [
      '# tracer: nop',
      '              ls-1       [000] .....     1.000000: sys_openat -> 0xffffffffffffffc3',
      '              ls-1       [000] .....     1.000001: sys_read -> 0x8000000000000000',
      '              ls-1       [000] .....     1.000002: sys_read -> 0xffe0000000000001',
      '              ls-1       [000] .....     1.000003: sys_read -> 0xffdfffffffffffff',
      '              ls-1       [000] .....     1.000004: sys_mmap(addr: 0x1fffffffffffff, len: 0x20000000000000, off: ffffffffffffffff, fd: 0x00000000000003)',
    ].join('\n'),
  )
  const values = trace.ofKind('event').map((e) => e.fields)
  expect(values).toEqual([
    { ret: -61 },
    { ret: -(2n ** 63n) },
    { ret: -(2 ** 53 - 1) },
    { ret: -(2n ** 53n + 1n) },
    { addr: 2 ** 53 - 1, len: 2n ** 53n, off: 2n ** 64n - 1n, fd: 3 },
  ])
})

test('a syscall read again and again gives the same fields, and a different argument list is read anew', () => {
  const line = (args: string) => `              ls-1       [000] .....     1.000000: sys_tmpl_probe(${args})`
  const trace = parseTraceText(
    [
      '# tracer: nop',
      line('fd: 0x3, buf: 0x7ffd00001000, count: 0xffffffffffffffff'),
      line('fd: 0x4, buf: 0x7ffd00002000, count: 0x10'),
      line('fd: 5, buf: 0x0, count: 0x20, flags: 0x1'),
      line('fd: 0x6, buf: 0x1'),
      line('fd: 0x7, buf: 0x2, count: zz'),
      line('fd: 0x8,buf: 0x3, count: 0x1'),
    ].join('\n'),
  )
  expect(trace.ofKind('event').map((e) => e.fields)).toEqual([
    { fd: 3, buf: 0x7ffd00001000, count: 2n ** 64n - 1n },
    { fd: 4, buf: 0x7ffd00002000, count: 16 },
    { fd: 5, buf: 0, count: 32, flags: 1 },
    { fd: 6, buf: 1 },
    { fd: 7, buf: 2, count: 'zz' },
    { fd: '0x8,buf: 0x3', count: 1 },
  ])
})

test('a bracketed note after a value is a field of its own, and the value keeps its type', () => {
  const t = parseTraceText([
    '# tracer: nop',
    '          <idle>-0       [001] d.h1.   100.000001: softirq_raise: vec=3 [action=NET_RX]',
    '          <idle>-0       [001] ..s1.   100.000002: softirq_entry: vec=9 [action=RCU]',
    '            bash-10      [000] .....   100.000003: my_event: irq=17 [edge] name=eth0',
  ].join('\n'))
  const [raise, entry, mine] = t.ofKind('event')
  expect(raise.fields).toEqual({ vec: 3, action: 'NET_RX' })
  expect(entry.fields).toEqual({ vec: 9, action: 'RCU' })
  expect(mine.fields).toEqual({ irq: 17, irq_note: 'edge', name: 'eth0' })
})

test('a string fetch argument holding quotes runs to the last quote before the next key=', () => {
  const t = parseTraceText([
    '# tracer: nop',
    '            bash-10      [000] .....   100.000001: exec_probe: (do_execveat_common+0x0/0x1f0) arg1="grep "a b" c" arg2=0x3',
    '            bash-10      [000] .....   100.000002: exec_probe: (do_execveat_common+0x0/0x1f0) arg2=0x4 arg1="say "hi""',
    '            bash-10      [000] .....   100.000003: exec_probe: (do_execveat_common+0x0/0x1f0) arg1="a=b c" arg2=5',
  ].join('\n'))
  expect(t.ofKind('event').map((e) => e.fields)).toEqual([
    { arg1: 'grep "a b" c', arg2: 3 },
    { arg2: 4, arg1: 'say "hi"' },
    { arg1: 'a=b c', arg2: 5 },
  ])
})
