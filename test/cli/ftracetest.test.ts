import { execa } from 'execa'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { strip } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The ports of the kernel's ftrace selftests (test/ftracetest, one test per .tc), run as a
 * user runs specs: every one passes on Debian's kernel under QEMU; on this machine's kernel
 * each passes or is skipped with the reason, naming what it lacks and that --kernel debian runs it.
 */
test('the ftracetest ports: all pass on Debian 6.1; this machine skips only what its kernel lacks, saying so', async () => {
  const r = await execa('node', ['bin/kspec.js', 'run', 'test/ftracetest', '--kernel', 'host', '--kernel', 'debian'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  const out = strip(r.stdout)
  expect(r.exitCode, out + r.stderr).toBe(0)
  const dir = join(ROOT, 'test/ftracetest')
  const ports = readdirSync(dir).reduce((n, f) => n + (readFileSync(join(dir, f), 'utf8').match(/^test\(['"][\w-]+\.tc: /gm) ?? []).length, 0)
  expect(ports).toBeGreaterThanOrEqual(24)
  expect(out).toMatch(new RegExp(`^${ports} passed, 0 failed, 0 skipped \\(kernel: debian-6\\.1\\.\\S+\\)$`, 'm'))
  const host = /^(\d+) passed, 0 failed, (\d+) skipped \(kernel: host /m.exec(out)
  expect(host, out).not.toBeNull()
  expect(Number(host![1]) + Number(host![2])).toBe(ports)
  // Every skip names what the kernel lacks and where it runs.
  const reasons = out.split('━━ kernel: debian')[0].match(/^skipped \(\d+\): .*$/gm) ?? []
  expect(reasons.length).toBeGreaterThan(0)
  for (const reason of reasons) expect(reason).toMatch(/CONFIG_\w+ is off|EPERM.*— kspec run --kernel debian runs it/)
}, 600_000)
