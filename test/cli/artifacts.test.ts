import { execa } from 'execa'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'kspec'
import { loadTrace } from '../../src/parse/load.js'
import { strip, tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

test('a failed live test leaves its trace, declaration, kernel and formats; loadTrace on them replays it offline', async () => {
  const artifacts = tempDir('kspec-artifacts-')
  // The artifact folder is the config's, as it reaches the worker.
  const config = join(artifacts, 'kspec.config.ts')
  writeFileSync(config, `export default { artifactDir: ${JSON.stringify(artifacts)} }\n`)
  const run = await execa('node', ['bin/kspec.js', 'run', '--config', config, 'test/fixtures/projects/artifacts/fail.spec.ts'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } })
  expect(run.exitCode).toBe(1)
  const out = strip(run.stdout + run.stderr)
  const dir = /Artifacts: (\S+) \(replay: loadTrace\('\S+'\)\)/.exec(out)?.[1]
  expect(dir, out).toBeDefined()
  expect(dir!.startsWith(artifacts)).toBe(true)
  expect(readdirSync(dir!).sort()).toEqual(['declaration.json', 'formats', 'kernel.txt', 'trace.txt'])
  expect(readdirSync(join(dir!, 'formats')).sort()).toEqual(['syscalls_sys_enter_openat', 'syscalls_sys_exit_openat'])
  expect(JSON.parse(readFileSync(join(dir!, 'declaration.json'), 'utf8'))).toMatchObject({ events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'], scope: 'workload' })
  expect(readFileSync(join(dir!, 'kernel.txt'), 'utf8')).toMatch(/^host \S+\n$/)

  // Replay: the same Trace, typed with the saved formats, without root or tracefs.
  const replay = await loadTrace(dir!)
  const saved = readFileSync(join(dir!, 'trace.txt'), 'utf8')
  expect(replay.records.length).toBe(saved.split('\n').filter((l) => /\[\d{3}\]/.test(l) && !/kspec-|perl/.test(l.split('[')[0])).length)
  expect(replay).toHaveEvent('sys_enter_openat', { dfd: -100 })
  expect(replay.ofKind('event').every((e) => e.task === 'cat')).toBe(true)
  expect(() => expect(replay).toHaveEventTimes('sys_exit_openat', 0)).toThrow(/Expected: exactly 0 events sys_exit_openat/)
}, 60_000)

test('tests whose names differ only in characters a folder name cannot hold get folders of their own', async () => {
  const { saveArtifacts } = await import('../../src/fixtures/artifacts.js')
  const root = tempDir('kspec-collide-')
  const source = join(root, 'trace.txt')
  writeFileSync(source, '# tracer: nop\n')
  const trace = (text: string) => {
    const file = join(root, `${text}.txt`)
    writeFileSync(file, `# tracer: nop\n# ${text}\n`)
    return { source: file, declaration: { events: [] }, formats: {} } as never
  }
  const a = await saveArtifacts(root, 'specs/x.spec.ts', 'collide a/b', 'host', [trace('first')])
  const b = await saveArtifacts(root, 'specs/x.spec.ts', 'collide a b', 'host', [trace('second')])
  expect(a).not.toBe(b)
  expect(readFileSync(join(a, 'trace.txt'), 'utf8')).toContain('# first')
  expect(readFileSync(join(b, 'trace.txt'), 'utf8')).toContain('# second')
  // A name that needs no change keeps its readable folder.
  expect(await saveArtifacts(root, 'specs/x.spec.ts', 'plain', '', [trace('third')])).toBe(join(root, 'specs/x.spec.ts/plain'))
  // Nothing climbs out of the artifact folder.
  expect(await saveArtifacts(root, 'specs/x.spec.ts', '..', '', [trace('fourth')])).toMatch(new RegExp(`^${root}/specs/x\\.spec\\.ts/_-[0-9a-f]{8}$`))
})
