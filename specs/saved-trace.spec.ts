// Assertions over traces saved earlier (a CI artifact, a colleague's capture): they run
// anywhere, without root and without tracefs. The captures are Debian 6.1 under QEMU.
import { describe, expect, loadTrace, test } from 'kspec'

const saved = (name: string) => loadTrace(new URL(`./traces/${name}`, import.meta.url).pathname)

describe('a saved function_graph trace of openat (max_graph_depth 3)', () => {
  test('openat resolves the path in do_filp_open', async () => {
    const trace = await saved('graph_openat_depth3.txt')
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat')
  })

  test('a path lookup takes under a millisecond', async () => {
    const trace = await saved('graph_openat_depth3.txt')
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat').lastingAtMost('1ms')
  })

  test('the name comes from user space before the file is opened', async () => {
    const trace = await saved('graph_openat_depth3.txt')
    expect(trace).toCallInOrder(['getname', 'get_unused_fd_flags', 'do_filp_open', 'putname'])
    expect(trace).not.toCall('do_filp_open').within('getname')
  })
})

test('a saved func_stack_trace: openat is entered from the syscall entry point', async () => {
  const trace = await saved('function_stack_openat.txt')
  expect(trace).toHaveStack(['__x64_sys_openat', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
  expect(trace).toBeComplete()
})
