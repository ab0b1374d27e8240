import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { parseKmsg } from '../../src/tracefs/health.js'
import { strip } from '../helpers.js'

test('kmsg records: level, facility (userspace cannot pass for the kernel), sequence, time', () => {
  const records = parseKmsg('4,512,1776575181,-;WARNING: CPU: 1 PID: 7 at fs/open.c:1 do_sys_openat2+0x1/0x2\n SUBSYSTEM=x\n12,513,1776575200,-;WARNING: forged by userspace\n')
  expect(records).toEqual([
    { level: 4, facility: 0, seq: 512, ts: 1776.575181, text: 'WARNING: CPU: 1 PID: 7 at fs/open.c:1 do_sys_openat2+0x1/0x2' },
    { level: 4, facility: 1, seq: 513, ts: 1776.5752, text: 'WARNING: forged by userspace' },
  ])
})

test('on Debian under QEMU, a test that taints the kernel fails as broken, unless it opts out', async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const r = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/health/taint.spec.ts', '--kernel', 'debian'], { cwd: root, reject: false, env: { NO_COLOR: '1' } })
  const out = strip(r.stdout + r.stderr)
  expect(r.exitCode, out).toBe(1)
  expect(out).toContain('BrokenKernelError: broken: the kernel became tainted (O, /proc/sys/kernel/tainted 64 → 4160)')
  expect(out).toMatch(/✓ .*opted out of the health check/)
  expect(out).toMatch(/1 passed, 1 failed, 0 skipped/)
}, 180_000)

test('on Debian under QEMU, a module that oopses fails its test as broken, with the Oops from the kernel log, and its VM is not lent again', async () => {
  const root = fileURLToPath(new URL('../../', import.meta.url))
  const r = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/health/module-oops.spec.ts', 'test/fixtures/projects/health/module-oops-after.spec.ts', '--kernel', 'debian'], { cwd: root, reject: false, env: { NO_COLOR: '1' } })
  const out = strip(r.stdout + r.stderr)
  expect(r.exitCode, out).toBe(1)
  expect(out).toMatch(/BrokenKernelError: broken: /)
  expect(out).toMatch(/BUG: kernel NULL pointer dereference|Oops/)
  expect(out).toMatch(/kspec_oops_write/)
  // The VM that oopsed is not lent again: run after it, the other file gets a fresh boot
  // (and checks that its kernel has no oops taint); run before it, one boot serves both.
  expect(out).toMatch(/1 passed, 1 failed, 0 skipped/)
  expect(out).toMatch(/^qemu: [12] boots? /m)
}, 300_000)
