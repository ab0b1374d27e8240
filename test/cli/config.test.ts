import { execa } from 'execa'
import { readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { tempDir } from '../helpers.js'
import { validateConfig } from '../../src/config/schema.js'

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
    ✖ Invalid option: expected one of "default"|"junit"|"json" → at reporters.1
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
