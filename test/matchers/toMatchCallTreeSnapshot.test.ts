import { expect, test } from 'kspec'
import { callTreeText } from '../../src/trace/snapshot.js'
import { shared, strip } from '../helpers.js'

test('a normalized call tree: names and nesting, identical runs folded, no times or CPUs', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(callTreeText(trace, { root: '__x64_sys_openat', unique: true })).toMatchInlineSnapshot(`
    "__x64_sys_openat
      do_sys_openat2
        getname
        get_unused_fd_flags
        do_filp_open
        fd_install
        putname
    __x64_sys_openat
      do_sys_openat2
        getname
        get_unused_fd_flags
        do_filp_open
        put_unused_fd
        putname"
  `)
  expect(callTreeText(trace, { root: '__x64_sys_openat', depth: 1 })).toMatchInlineSnapshot(`
    "__x64_sys_openat ×12
      do_sys_openat2"
  `)
})

test('stored snapshots and inline ones', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(trace).toMatchCallTreeSnapshot({ root: 'do_sys_openat2', unique: true })
  expect(trace).toMatchInlineCallTreeSnapshot({ root: 'do_sys_openat2', depth: 0 }, `"do_sys_openat2 ×12"`)
})

test('a changed call path shows up as a readable tree diff', async () => {
  const { execa } = await import('execa')
  const root = new URL('../../', import.meta.url).pathname
  const r = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/snapshot/changed.spec.ts'], { cwd: root, reject: false, env: { CI: 'true', NO_COLOR: '1' } })
  const out = strip(r.stdout + r.stderr)
  expect(r.exitCode).toBe(1)
  expect(out).toContain('Snapshot `the openat call path, as it was before the change 1` mismatched')
  expect(out).toMatch(/\+ +get_unused_fd_flags/)
  expect(out).toMatch(/\+ +put_unused_fd/)
}, 30_000)

test('misuse: a trace without a call tree, a bad depth', async () => {
  const trace = await shared('qemu-debian-6.1/function_openat.txt')
  expect(() => expect(trace).toMatchCallTreeSnapshot()).toThrow(/record it with tracer: 'function_graph'/)
  const graph = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(() => expect(graph).toMatchCallTreeSnapshot({ depth: -1 })).toThrow(/depth must be a whole number/)
})
