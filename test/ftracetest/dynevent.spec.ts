// Ports of the kernel's ftrace selftests: test.d/dynevent/*.tc and the kretprobe maxactive
// case (eprobes need Linux 5.15+ with probe events: both kernels here have them).
import { defineTrace, eprobe, expect, test } from 'kspec'

test('add_remove_eprobe.tc: an eprobe on sys_enter_openat with file=+0($filename):ustring is listed as defined and records the files ls opens', async ({ record }) => {
  const open = eprobe('syscalls:sys_enter_openat', { file: '+0($filename):ustring' }, 'eprobe_open')
  const trace = await record(defineTrace({ eprobes: [open] }), ['ls', '/'])
  expect(trace.state!.probes).toEqual([expect.stringMatching(/^e:kspec_\d+_\d+\/eprobe_open syscalls\.sys_enter_openat file=\+0\(\$filename\):ustring$/)])
  const opened = trace.eventsNamed('eprobe_open').filter((e) => e.task === 'ls')
  expect(opened.length).toBeGreaterThan(0)
  if (/^6\.12\./.test(trace.kernel!)) {
    // A bug of 6.12 (Debian's 6.12.95 here), pinned so that a fixed kernel fails this and
    // the pin goes: an eprobe reads a `const char *` field as one byte, so
    // `+0($filename)` dereferences a tiny address and every file= is (fault), which the .tc
    // fails too. The evidence: `$filename` is the low byte of the syscall event's pointer.
    expect(new Set(opened.map((e) => e.fields.file))).toEqual(new Set(['(fault)']))
    const raw = await record(defineTrace({ events: ['syscalls:sys_enter_openat'], eprobes: [eprobe('syscalls:sys_enter_openat', { f: '$filename' }, 'raw_name')] }), ['cat', '/etc/hostname'])
    const pointers = raw.eventsNamed('sys_enter_openat').filter((e) => e.task === 'cat').map((e) => Number(e.fields.filename))
    const read = raw.eventsNamed('raw_name').filter((e) => e.task === 'cat').map((e) => e.fields.f)
    expect(pointers.length).toBeGreaterThan(0)
    expect(read).toEqual(pointers.map((p) => p % 256))
    return
  }
  // Every file= is a path the kernel read from user memory: it starts with / or is ".".
  for (const e of opened) expect(String(e.fields.file)).toMatch(/^(\/|\.$)/)

  // Beyond the .tc: a filter in the definition. It reads the attached event's fields (flags), not the eprobe's own arguments
  // (the kernel answers "Field not found" for those): here, opens for writing.
  const writes = eprobe('syscalls:sys_enter_openat', { file: '+0($filename):ustring' }, 'open_w', { filter: 'flags & 1' })
  const filtered = await record(defineTrace({ eprobes: [writes] }), ['sh', '-c', 'cat /etc/hostname > /dev/null'])
  // 6.1 lists the definition without its filter; the events show the filter held.
  expect(filtered.state!.probes).toEqual([expect.stringMatching(/^e:kspec_\d+_\d+\/open_w syscalls\.sys_enter_openat file=\+0\(\$filename\):ustring( if flags & 1)?$/)])
  expect(filtered).toHaveEvent('open_w', { file: '/dev/null' })
  expect(filtered).not.toHaveEvent('open_w', { file: '/etc/hostname' })
})
