import { execa } from 'execa'
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { strip, tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const KSPEC = join(ROOT, 'bin/kspec.js')

/**
 * The driver developer's loop, live on Debian's kernel under QEMU: the out-of-tree demo
 * driver's call tree is pinned; a change to the driver is rebuilt by the next run, whose
 * tree diff fails the test; `-u` accepts the new tree.
 */
test('change the driver, kspec run: the call tree diff fails the test; -u accepts it', async () => {
  const dir = tempDir('kspec-driver-')
  mkdirSync(join(dir, 'specs'))
  cpSync(join(ROOT, 'drivers/kspec-demo'), join(dir, 'drivers/kspec-demo'), { recursive: true })
  cpSync(join(ROOT, 'specs/driver-kspec-demo.spec.ts'), join(dir, 'specs/driver-kspec-demo.spec.ts'))
  const run = (...args: string[]) => execa('node', [KSPEC, 'run', '--kernel', 'debian', ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true' } })

  const first = await run('-u')
  expect(first.exitCode, first.stdout + first.stderr).toBe(0)
  expect(readFileSync(join(dir, 'specs/__snapshots__/driver-kspec-demo.spec.ts.snap'), 'utf8')).toContain('kspec_demo_parse [kspec_demo]')

  // The change: the write path now counts writes in a function of its own.
  const source = join(dir, 'drivers/kspec-demo/kspec_demo.c')
  writeFileSync(source, readFileSync(source, 'utf8')
    .replace('static noinline void kspec_demo_store(', 'static unsigned long kspec_demo_writes;\n\nstatic noinline void kspec_demo_count(void)\n{\n\tkspec_demo_writes++;\n}\n\nstatic noinline void kspec_demo_store(')
    .replace('\tkspec_demo_store(buf, kspec_demo_parse(buf, n));', '\tkspec_demo_count();\n\tkspec_demo_store(buf, kspec_demo_parse(buf, n));'))
  const changed = await run()
  const out = strip(changed.stdout + changed.stderr)
  expect(changed.exitCode, out).toBe(1)
  expect(out).toMatch(/Snapshot .* mismatched/)
  expect(out).toMatch(/\+ +kspec_demo_count \[kspec_demo\]/)

  const accepted = await run('-u')
  expect(accepted.exitCode, accepted.stdout + accepted.stderr).toBe(0)
  expect(readFileSync(join(dir, 'specs/__snapshots__/driver-kspec-demo.spec.ts.snap'), 'utf8')).toContain('kspec_demo_count [kspec_demo]')
}, 300_000)
