import { expect, test } from 'vitest'
import { DeclarationError } from '../../src/errors.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { kprobe, kretprobe, uprobe, uretprobe } from '../../src/spec/probes.js'
import { host, ours, recorder } from '../live.js'

/** What defineTrace() says of an input, or '' when it takes it. */
const refusal = (input: unknown): string => {
  try {
    defineTrace(input as never)
    return ''
  } catch (e) {
    expect(e).toBeInstanceOf(DeclarationError)
    return (e as Error).message
  }
}

const dynamicEvents = async () => [await host.read('uprobe_events'), await host.read('dynamic_events').catch(() => '')]

test('a uprobe path cannot define or delete other probes (newline, #, whitespace)', async () => {
  await host.ready()
  const before = await dynamicEvents()
  // As an attacker would write them: a second command after a newline, a deletion, a comment.
  expect(() => uprobe('/bin/true:0x0\np:grp/evil /bin/true', 0x10)).toThrow(DeclarationError)
  expect(() => uprobe('/bin/true:0x0\n-:grp/theirs #', 0x10)).toThrow(/control character "\\n"/)
  expect(() => uretprobe('/bin/true #x', 'main')).toThrow(/cannot hold a path with " "/)
  expect(() => uprobe('/bin/tr#ue', 0)).toThrow(/cannot hold a path with "#"/)
  expect(() => uprobe('/bin/true(1)', 0)).toThrow(/cannot hold a path with "\("/)
  expect(() => uprobe('bin/true', 0)).toThrow(/absolute path/)
  // The same strings in a hand-written probe object are refused with the field's path.
  const msg = refusal({ uprobes: [{ type: 'uprobe', name: 'x', at: '/bin/true:0x0\np:grp/evil /bin/true', offset: 16, args: {} }] })
  expect(msg).toContain('→ at uprobes[0].at')
  expect(await dynamicEvents()).toEqual(before)
})

test('a kprobe place is a symbol, symbol+offset, module:symbol or an address, nothing more', () => {
  for (const ok of ['do_sys_openat2', 'vfs_read+0x10', 'vfs_read+16', 'ext4:ext4_file_open', 'foo.isra.0', '0xffffffff81000000']) expect(() => kprobe(ok)).not.toThrow()
  for (const bad of ['do_sys_openat2\n-:kprobes/x', 'vfs_read # x', 'vfs_read x=%di', 'a+0x10+2', '']) expect(() => kretprobe(bad)).toThrow(DeclarationError)
  expect(() => kprobe('vfs_read\np:evil/x vfs_write')).toThrow(/a kprobe goes on a kernel function/)
})

test('filters and triggers: one line, quotes closed, parentheses balanced, no # outside quotes', () => {
  const ev = (filter?: string, triggers?: string[]) => refusal({ events: [{ name: 'sched:sched_switch', filter, triggers }] })
  expect(ev('prev_pid == 1 && next_comm ~ "ls*"')).toBe('')
  expect(ev('(prev_pid == 1 || prev_pid == 2) && next_comm == "a#b"')).toBe('')
  expect(ev('prev_pid == 1\n0')).toMatch(/the filter "prev_pid == 1\\n0" cannot be written as it is: it holds the control character "\\n" at 13/)
  expect(ev('prev_pid == 1\r')).toMatch(/control character "\\r"/)
  expect(ev('next_comm == "ls')).toMatch(/the " quote is never closed/)
  expect(ev('(prev_pid == 1')).toMatch(/1 "\(" never closed/)
  expect(ev('prev_pid == 1)')).toMatch(/the "\)" at 13 closes nothing/)
  expect(ev('prev_pid == 1 # and more')).toMatch(/the "#" at 14 is outside a quoted string/)
  expect(ev(undefined, ['hist:keys=pid if comm == "a)"'])).toBe('')
  expect(ev(undefined, ['traceoff\nstacktrace'])).toMatch(/→ at events\[0\]\.triggers\[0\]/)
  expect(ev(undefined, ['hist:keys=pid:onmatch(sched.sched_wakeup'])).toMatch(/never closed/)
})

test('events: files under events/ are not events (sched:enable, enable:x, sched:filter)', () => {
  for (const name of ['sched:enable', 'sched:filter', 'enable:sched_switch', 'header_page:x']) {
    expect(refusal({ events: [name] })).toMatch(/are files under events\/, not events/)
  }
  expect(refusal({ events: ['sched:*', 'sched:sched_switch'] })).toBe('')
})

test('record() takes only declarations defineTrace() made, and says so', async () => {
  const r = recorder()
  try {
    const plain = { events: ['sched:sched_switch'], kprobes: [], uprobes: [{ type: 'uprobe', name: 'evil', at: '/bin/true:0\n-:grp/theirs', offset: 0, args: {} }] }
    await expect(r.record(plain as never, 'true')).rejects.toThrow('record(decl, workload): the declaration must come from defineTrace() (got a plain object); write const decl = defineTrace({ events: [...] }) and pass decl')
    await expect(r.record(null as never, 'true')).rejects.toThrow(/got null/)
    // A checked declaration cannot be changed afterwards, not even deep inside.
    const d = defineTrace({ uprobes: [uprobe('/bin/true', 0)] })
    expect(() => {
      ;(d.uprobes[0] as { at: string }).at = '/bin/true\n-:x/y'
    }).toThrow(TypeError)
  } finally {
    await r.close()
  }
})

test('an argv element with NUL, an empty argv or a non-string is refused, not split or coerced', async () => {
  const r = recorder()
  const d = defineTrace({ events: ['syscalls:sys_enter_openat'] })
  try {
    await expect(r.record(d, ['echo', 'a\0b'])).rejects.toThrow('record(decl, workload): argv[1] "a\\u0000b" holds a NUL byte, which no argument can (it would be split in two): remove it')
    await expect(r.record(d, [])).rejects.toThrow(/the argv array is empty/)
    await expect(r.record(d, ['echo', 3 as never])).rejects.toThrow(/argv\[1\] is number, not a string/)
    await expect(r.record(d, 'echo a\0b')).rejects.toThrow(/holds a NUL byte/)
  } finally {
    await r.close()
  }
  expect(await ours()).toEqual([])
})
