import { access, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UsageError } from './usage.js'

const CONFIG = `import type { KspecConfigInput } from 'kspec'

export default {
  specs: ['specs/**/*.spec.ts'],
  // 'host' is this machine's kernel; 'debian' boots Debian's kernel under QEMU; a path boots your bzImage.
  kernels: ['host'],
  reporters: ['default', 'junit'],
  outputFile: 'kspec-junit.xml',
  artifactDir: 'kspec-artifacts',
} satisfies KspecConfigInput
`

const VITEST = `import { defineConfig } from 'vitest/config'
import { kspec } from 'kspec/vitest'

// Plain vitest (npx vitest, watch mode, your editor) runs the specs with kspec.config.ts too.
// (.mts: an ES module whatever your package.json says, as kspec is.)
export default defineConfig({
  plugins: [kspec()],
  test: { reporters: ['default', 'kspec/reporters/summary'] },
})
`

const SPEC = `import { defineTrace, expect, test } from 'kspec'

const openat = defineTrace({ events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'] })

test('cat opens the file it is given', async ({ record }) => {
  const trace = await record(openat, ['cat', '/proc/version'])
  expect(trace).toHaveEvent('syscalls:sys_enter_openat', { dfd: -100 })
  expect(trace).toReturnFrom('openat', (fd) => Number(fd) >= 3)
})
`

/** `kspec init`: a config, a vitest config that reads it, and one example spec in this directory; never overwrites. */
export async function initCommand(argv: string[], cwd = process.cwd()): Promise<number> {
  if (argv.length) throw new UsageError(`kspec init takes no arguments (got ${argv.join(' ')})`, 'run it in the project directory')
  const files = [['kspec.config.ts', CONFIG], ['vitest.config.mts', VITEST], ['specs/example.spec.ts', SPEC]] as const
  for (const [name] of files) {
    if (await access(join(cwd, name)).then(() => true, () => false)) throw new UsageError(`${name} already exists`, 'kspec init does not overwrite; remove it or edit it')
  }
  await mkdir(join(cwd, 'specs'), { recursive: true })
  for (const [name, text] of files) await writeFile(join(cwd, name), text)
  process.stdout.write(`wrote kspec.config.ts, vitest.config.mts and specs/example.spec.ts\nrun them: kspec run   (as root, to record), or npx vitest\n`)
  return 0
}
