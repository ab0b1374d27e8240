import { execa } from 'execa'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { tempDir } from '../helpers.js'
import { validateConfig } from '../../src/config/schema.js'
import { receivedSettings } from '../../src/config/settings.js'

const KSPEC = fileURLToPath(new URL('../../bin/kspec.js', import.meta.url))
const inDir = (dir: string, ...args: string[]) => execa('node', [KSPEC, ...args], { cwd: dir, reject: false, env: { NO_COLOR: '1' } })

test('config problems are listed at once, unknown keys with a did-you-mean; exit 2', async () => {
  const dir = tempDir('kspec-config-')
  writeFileSync(join(dir, 'kspec.config.ts'), "export default { kernel: ['host'], reporters: ['junit', 'html'], qemu: { memory: 512 }, timeoutMs: -1 }\n")
  const r = await inDir(dir, 'run')
  expect(r.exitCode).toBe(2)
  expect(r.stderr.replaceAll(dir, '<dir>')).toMatchInlineSnapshot(`
    "kspec: <dir>/kspec.config.ts: 4 problems
    ✖ unknown key "memory": did you mean "memoryMb"? → at qemu
    ✖ Invalid option: expected one of "default"|"junit"|"json"|"ktap" → at reporters.1
    ✖ Too small: expected number to be >0 → at timeoutMs
    ✖ unknown key "kernel": did you mean "kernels"?
    fix the config file (kspec init writes a valid one)"
  `)
})

test('defaults when there is no config', () => {
  expect(validateConfig({}, 'x')).toMatchObject({ specs: ['specs/**/*.spec.ts'], kernels: ['host'], reporters: ['default'], artifacts: 'failed' })
})

test('kspec init writes a config and a spec that run; flags override the config', async () => {
  const dir = tempDir('kspec-init-')
  expect((await inDir(dir, 'init')).exitCode).toBe(0)
  expect((await inDir(dir, 'init')).stderr).toContain('kspec.config.ts already exists: kspec init does not overwrite')
  const r = await inDir(dir, 'run', '--outputFile', 'from-flag.xml')
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  expect(r.stdout).toMatch(/1 passed, 0 failed, 0 skipped/)
  expect(existsSync(join(dir, 'from-flag.xml'))).toBe(true)
  expect(existsSync(join(dir, 'kspec-junit.xml'))).toBe(false)
  expect(readFileSync(join(dir, 'from-flag.xml'), 'utf8')).toContain('<testcase name="cat opens the file it is given"')
}, 60_000)

test('plain vitest on a project kspec init made runs its specs with kspec.config.ts (through the kspec/vitest plugin)', async () => {
  const dir = tempDir('kspec-vitest-')
  expect((await inDir(dir, 'init')).exitCode).toBe(0)
  // What `npm install -D kspec vitest` gives the project.
  mkdirSync(join(dir, 'node_modules'))
  symlinkSync(fileURLToPath(new URL('../..', import.meta.url)), join(dir, 'node_modules/kspec'))
  symlinkSync(fileURLToPath(new URL('../../node_modules/vitest', import.meta.url)), join(dir, 'node_modules/vitest'))
  // Settings only the config holds, each seen in the workers' output: every test's artifacts, in a folder of the config's choosing.
  const config = join(dir, 'kspec.config.ts')
  writeFileSync(config, readFileSync(config, 'utf8').replace("artifactDir: 'kspec-artifacts',", "artifactDir: 'from-config',\n  artifacts: 'all',"))
  // The workers, which load the traces, start with huge pages for them (src/parse/huge-pages.ts).
  writeFileSync(join(dir, 'specs/env.spec.ts'), "import { expect, test } from 'vitest'\ntest('huge pages', () => expect(process.env.GLIBC_TUNABLES).toBe('glibc.malloc.arena_max=4:glibc.malloc.hugetlb=1'))\n")
  const r = await execa('node', [join(dir, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true', GLIBC_TUNABLES: 'glibc.malloc.arena_max=4' } })
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  expect(r.stdout).toMatch(/2 passed, 0 failed, 0 skipped \(kernel: host /)
  expect(readdirSync(join(dir, 'from-config/specs/example.spec.ts'))).toEqual([expect.stringMatching(/^cat_opens_the_file_it_is_given_host_/)])

  // The settings are checked where they arrive: a hand-made provide is refused with what is wrong.
  writeFileSync(join(dir, 'vitest.config.mts'), "export default { test: { provide: { kspec: { kernel: 'hots' } } } }\n")
  const bad = await execa('node', [join(dir, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: dir, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  expect(bad.exitCode).toBe(1)
  expect(bad.stdout + bad.stderr).toContain("kspec's settings in this test worker are not valid")
  expect(bad.stdout + bad.stderr).toContain('a kernel is "host", "debian" (Debian\'s own kernel under QEMU), "debian-backports" (its newer one from backports) or the path of a bzImage/vmlinuz → at kernel')
}, 120_000)

test('the plugin refuses a pool kspec cannot name its tracefs instances in', async () => {
  const { kspec } = await import('../../src/vitest.js')
  const hook = kspec({ settings: receivedSettings(undefined) }).config as (c: object) => Promise<unknown>
  await expect(hook({ test: { pool: 'threads' } })).rejects.toThrow(/kspec needs vitest's forks pool .* pool: "threads": remove the pool setting, or set pool: 'forks'/)
  expect(await hook({ test: { include: ['mine/*.ts'] } })).toMatchObject({ test: { pool: 'forks', provide: { kspec: { kernel: 'host', artifacts: 'failed' } } } })
})
