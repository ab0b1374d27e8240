import { execa } from 'execa'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { strip } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/**
 * The ports of the kernel's ftrace selftests (test/ftracetest, one test per .tc), run as a
 * user runs specs: every one passes on Debian's newer kernel under QEMU (6.12, which has
 * fprobes and BTF names); Debian's own 6.1 and this machine's kernel pass the rest and skip
 * those, each skip naming what the kernel lacks and which kernel runs it.
 */
test('the ftracetest ports: all pass on Debian 6.12; Debian 6.1 and this machine skip only what their kernels lack, saying so', async () => {
  const r = await execa('node', ['bin/kspec.js', 'run', 'test/ftracetest', '--kernel', 'host', '--kernel', 'debian', '--kernel', 'debian-backports'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  const out = strip(r.stdout)
  expect(r.exitCode, out + r.stderr).toBe(0)
  const dir = join(ROOT, 'test/ftracetest')
  const ports = readdirSync(dir).reduce((n, f) => n + (readFileSync(join(dir, f), 'utf8').match(/^test\(['"][\w-]+\.tc: /gm) ?? []).length, 0)
  expect(ports).toBeGreaterThanOrEqual(24)
  expect(out).toMatch(new RegExp(`^${ports} passed, 0 failed, 0 skipped \\(kernel: debian-6\\.12\\.\\S+\\)$`, 'm'))
  // Each kernel's section of the output, from its summary line back to the one before.
  const sections = out.split(/^(?=\d+ passed, \d+ failed, \d+ skipped \(kernel: )/m)
  for (const [kernel, hint] of [['host ', /CONFIG_\w+ is off|EPERM.*— kspec run --kernel debian runs it/], ['debian-6\\.1\\.', /CONFIG_(FPROBE_EVENTS|PROBE_EVENTS_BTF_ARGS) is off.*— kspec run --kernel debian-backports runs it/]] as const) {
    const summary = new RegExp(`^(\\d+) passed, 0 failed, (\\d+) skipped \\(kernel: ${kernel}`, 'm')
    const m = summary.exec(out)
    expect(m, out).not.toBeNull()
    expect(Number(m![1]) + Number(m![2])).toBe(ports)
    expect(Number(m![2])).toBeGreaterThan(0)
    // Every skip names what the kernel lacks and where it runs.
    // A kernel's skips are listed above its summary line: in the part before the one it begins.
    const before = sections[sections.findIndex((part) => summary.test(part)) - 1] ?? ''
    const reasons = before.match(/^skipped \(\d+\): .*$/gm) ?? []
    expect(reasons.length, before).toBeGreaterThan(0)
    for (const reason of reasons) expect(reason).toMatch(hint)
    // What only the newer kernel has sends there.
    for (const reason of reasons.filter((r) => /fprobes|tprobes|BTF name/.test(r))) expect(reason).toMatch(/— kspec run --kernel debian-backports runs it/)
  }
}, 900_000)
