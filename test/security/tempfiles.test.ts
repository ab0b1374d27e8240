import { spawn } from 'node:child_process'
import { chmodSync, chownSync, lchownSync, lstatSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { tempDir } from '../helpers.js'
import { ours } from '../live.js'

const NOBODY = 65534

/** A kspec recording in a process of its own, whose temporary folder is `tmp`; it records when told to. */
function recordingChild(tmp: string) {
  const script = `
    import { HostTarget } from './dist/kernel/host.js'
    import { Recorder } from './dist/tracefs/recorder.js'
    import { defineTrace } from './dist/spec/declaration.js'
    const r = new Recorder(new HostTarget())
    process.stdin.once('data', async () => {
      const trace = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat'] }), ['cat', '/etc/hostname'], { name: 'victim' })
      await r.close()
      process.stdout.write(trace.source + '\\n')
      process.exit(0)
    })
  `
  return spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), env: { ...process.env, TMPDIR: tmp }, stdio: ['pipe', 'pipe', 'inherit'] })
}

test('a temporary folder planted by another user, with symlinks for the coming pid, is never written through', async () => {
  // A sticky, world-writable temporary folder, as /tmp is.
  const tmp = tempDir('kspec-race-')
  chmodSync(tmp, 0o1777)
  const victim = join(tempDir('kspec-victim-'), 'root-only')
  writeFileSync(victim, 'precious\n', { mode: 0o600 })
  const child = recordingChild(tmp)
  const pid = child.pid!
  // The attacker's plant, made before kspec writes anything: the old layout's <tmp>/kspec/<pid>/<n>-<test>.txt.
  const planted = join(tmp, 'kspec')
  mkdirSync(join(planted, 'theirs'), { recursive: true })
  for (let n = 1; n <= 3; n++) symlinkSync(victim, join(planted, 'theirs', `${n}-victim.txt`))
  symlinkSync(join(planted, 'theirs'), join(planted, String(pid)))
  for (const p of [planted, join(planted, 'theirs')]) {
    chownSync(p, NOBODY, NOBODY)
    chmodSync(p, 0o777)
  }
  for (const n of readdirSync(join(planted, 'theirs'))) lchownSync(join(planted, 'theirs', n), NOBODY, NOBODY)
  lchownSync(join(planted, String(pid)), NOBODY, NOBODY)

  child.stdin.write('go\n')
  let out = ''
  child.stdout.on('data', (d) => (out += d))
  const code = await new Promise((res) => child.on('exit', res))
  expect(code).toBe(0)
  expect(readFileSync(victim, 'utf8')).toBe('precious\n')
  const source = out.trim()
  // The trace went to a private folder of root's, made for this process, and only root reads it.
  expect(source.startsWith(join(tmp, `kspec-traces-${pid}-`))).toBe(true)
  const folder = lstatSync(join(source, '..'))
  expect([folder.isDirectory(), folder.uid, folder.mode & 0o777]).toEqual([true, 0, 0o700])
  expect(statSync(source).mode & 0o777).toBe(0o600)
  expect(readFileSync(source, 'utf8')).toMatch(/cat-\d+ .* sys_openat\(/)
  expect(await ours(pid)).toEqual([])
})

test('KSPEC_TRACE_DIR must be a directory of this user that only it can write', async () => {
  const { checkedDir } = await import('../../src/tempdir.js')
  const open = tempDir('kspec-open-')
  chmodSync(open, 0o777)
  await expect(checkedDir(open, 'KSPEC_TRACE_DIR')).rejects.toThrow(/with mode 777: another user could plant links in it; use a directory owned by uid 0 that only it can write \(chmod 700\)/)
  const link = join(tempDir('kspec-link-'), 'traces')
  symlinkSync(open, link)
  await expect(checkedDir(link, 'KSPEC_TRACE_DIR')).rejects.toThrow(/is not a directory \(a symlink\?\)/)
  const fresh = join(tempDir('kspec-fresh-'), 'traces')
  expect(await checkedDir(fresh, 'KSPEC_TRACE_DIR')).toBe(fresh)
  expect(statSync(fresh).mode & 0o777).toBe(0o700)
})
