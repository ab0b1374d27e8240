import { execa } from 'execa'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { strip, tempDir } from '../helpers.js'
import { kernelWithout9p } from '../no9p.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KSPEC = join(ROOT, 'bin/kspec.js')

/** A spec file that notes its worker's pid and the guest's boot id, and fails if an earlier file's module state reached it. */
const spec = (name: string) => `import { writeFileSync } from 'node:fs'
import { defineTrace, expect, test } from 'kspec'

const execs = defineTrace({ events: ['sched:sched_process_exec'] })

test('${name} runs in a worker of its own, in the run\\'s one VM', async ({ record }) => {
  // Set by every file: a file that finds it set saw another file's module state.
  expect((globalThis as { kspecSeen?: string }).kspecSeen).toBeUndefined()
  ;(globalThis as { kspecSeen?: string }).kspecSeen = '${name}'
  const trace = await record(execs, ['cat', '/proc/sys/kernel/random/boot_id'])
  expect(trace).toHaveEvent('sched_process_exec', { filename: /cat$/ })
  writeFileSync('seen/${name}', JSON.stringify({ pid: process.pid, boot: trace.workload!.stdout.trim() }))
})
`

/**
 * VM reuse across spec files, live on Debian's kernel under QEMU: three spec files, each in
 * a fresh worker process (vitest's isolation kept: no file sees another's module state),
 * all served by one boot, whose guest each of them reaches (the same boot id).
 */
test('three spec files, three worker processes, one boot', async () => {
  const dir = tempDir('kspec-vms-')
  mkdirSync(join(dir, 'specs'))
  mkdirSync(join(dir, 'seen'))
  for (const name of ['a', 'b', 'c']) writeFileSync(join(dir, `specs/${name}.spec.ts`), spec(name))
  const r = await execa('node', [KSPEC, 'run', '--kernel', 'debian'], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  const out = strip(r.stdout + r.stderr)
  expect(r.exitCode, out).toBe(0)
  expect(out).toMatch(/^qemu: 1 boot \((kvm|tcg)\), [\d.]+ s each on average/m)
  expect(out).toMatch(/3 passed, 0 failed, 0 skipped/)
  const seen = readdirSync(join(dir, 'seen')).map((f) => JSON.parse(readFileSync(join(dir, 'seen', f), 'utf8')) as { pid: number; boot: string })
  expect(seen).toHaveLength(3)
  expect(new Set(seen.map((s) => s.pid)).size).toBe(3)
  expect(new Set(seen.map((s) => s.boot)).size).toBe(1)
  expect(seen[0].boot).toMatch(/^[0-9a-f-]{36}$/)
  expect(seen[0].boot).not.toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
}, 600_000)

test("a kernel without 9p: the run falls back to busybox in the guest and its summary says why", async () => {
  const { vmlinuz, modules } = await kernelWithout9p()
  const dir = tempDir('kspec-fallback-')
  mkdirSync(join(dir, 'specs'))
  writeFileSync(join(dir, 'kspec.config.ts'), `export default { kernels: [${JSON.stringify(vmlinuz)}], qemu: { modules: ${JSON.stringify(modules)} } }\n`)
  writeFileSync(join(dir, 'specs/busybox.spec.ts'), `import { defineTrace, expect, test } from 'kspec'
test('busybox still runs', async ({ record }) => {
  const trace = await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['busybox', 'true'])
  expect(trace.workload?.exitCode).toBe(0)
})
`)
  const r = await execa('node', [KSPEC, 'run', '--kernel', vmlinuz], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  const out = strip(r.stdout + r.stderr)
  expect(r.exitCode, out).toBe(0)
  expect(out).toMatch(/^qemu: 1 boot \((kvm|tcg)\)/m)
  expect(out).toMatch(/^qemu: the guest runs busybox from its initramfs, not the host's programs: sharing the host root failed: the kernel offers no 9p over virtio \(9pnet_virtio and 9p are neither built in nor among its modules kspec found\)$/m)
  expect(out).toMatch(/1 passed, 0 failed, 0 skipped/)
}, 300_000)
