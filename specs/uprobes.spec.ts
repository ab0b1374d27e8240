// A uprobe and a uretprobe on libc's open(): kspec resolves the offset from the ELF
// symbol table, so nothing is hard-coded for one libc build.
import { defineTrace, expect, libcPath, test, uprobe, uretprobe } from 'kspec'

const libcOpen = defineTrace({
  uprobes: [uprobe(libcPath(), 'open', { path: '+0(%di):string', flags: '%si:x32' }), uretprobe(libcPath(), 'open', { ret: '$retval:s32' })],
})

test('cat opens the file it is given, through libc', async ({ record }) => {
  const trace = await record(libcOpen, ['cat', '/etc/hostname'])
  expect(trace).toHaveEvent('open', { path: '/etc/hostname' })
  expect(trace).toReturnFrom('open', (fd) => Number(fd) >= 3)
})

test('and open() returns -1 for a file that does not exist', async ({ record }) => {
  const trace = await record(libcOpen, ['cat', '/nonexistent/kspec'])
  expect(trace).toHaveEvent('open', { path: '/nonexistent/kspec' })
  expect(trace).toReturnFrom('open', -1)
})
