import { execa } from 'execa'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** Reads a JUnit file with a real consumer (Debian's python3-junitparser) into plain JSON. */
async function readJUnit(path: string): Promise<{ suites: { name: string; tests: number; failures: number; skipped: number; errors: number; properties: Record<string, string>; cases: { name: string; classname: string; result: { kind: string; message: string; type: string | null }[]; out: string | null; time: number }[] }[] }> {
  const script = `
import json, sys
from junitparser import JUnitXml, TestSuite
xml = JUnitXml.fromfile(sys.argv[1])
suites = []
for s in (xml if not isinstance(xml, TestSuite) else [xml]):
    cases = []
    for c in s:
        cases.append({'name': c.name, 'classname': c.classname, 'time': c.time,
                      'result': [{'kind': type(r).__name__, 'message': r.message, 'type': r.type} for r in c.result],
                      'out': c.system_out})
    suites.append({'name': s.name, 'tests': s.tests, 'failures': s.failures, 'skipped': s.skipped, 'errors': s.errors,
                   'properties': {p.name: p.value for p in s.properties()}, 'cases': cases})
print(json.dumps({'suites': suites}))
`
  // Debian's python3 (where python3-junitparser installs), not whichever python3 is first on PATH.
  const r = await execa('/usr/bin/python3', ['-c', script, path])
  return JSON.parse(r.stdout)
}

test('the JUnit report, read back by junitparser: suites per file and kernel, properties, skips, failures, load errors, hooks', async () => {
  const out = join(tempDir('kspec-junit-test-'), 'report.xml')
  const run = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/report/', '--reporter', 'junit', '--outputFile', out], { cwd: ROOT, reject: false })
  expect(run.exitCode, run.stdout + run.stderr).toBe(1)
  expect(readFileSync(out, 'utf8')).toMatch(/^<\?xml/)
  const { suites } = await readJUnit(out)
  const byFile = Object.fromEntries(suites.map((s) => [s.name.split(' [')[0], s]))
  expect(Object.keys(byFile).sort()).toEqual(['test/fixtures/projects/report/hook.spec.ts', 'test/fixtures/projects/report/load.spec.ts', 'test/fixtures/projects/report/ok.spec.ts', 'test/fixtures/projects/report/skip.spec.ts'])
  for (const s of suites) expect(s.name).toMatch(/ \[host \S+\]$/)

  const ok = byFile['test/fixtures/projects/report/ok.spec.ts']
  expect(ok).toMatchObject({ tests: 2, failures: 1, skipped: 0 })
  expect(ok.cases[0]).toMatchObject({ name: 'runs inside the syscall', classname: 'test/fixtures/projects/report/ok.spec.ts › openat › path lookup', result: [] })
  const failure = ok.cases[1].result[0]
  expect(failure).toMatchObject({ kind: 'Failure', type: 'AssertionError' })
  expect(failure.message).toMatch(/^expect\(trace\).toCall\("do_filp_open"\).within\("getname"\)\n\nExpected: +do_filp_open called inside getname\n/)
  expect(failure.message).toContain('-> ')
  expect(failure.message).not.toMatch(/\x1b\[/)

  const skip = byFile['test/fixtures/projects/report/skip.spec.ts']
  expect(skip).toMatchObject({ tests: 2, skipped: 1, failures: 0 })
  expect(skip.properties).toMatchObject({ target: 'host', tracers: 'function_graph', events: 'syscalls:sys_enter_openat' })
  expect(skip.properties['kernel.release']).toMatch(/^\d+\.\d+/)
  expect(skip.cases[0].result[0]).toMatchObject({ kind: 'Skipped' })
  expect(skip.cases[0].result[0].message).toMatch(/^unsupported: function_graph is not available on \S+ \(available: /)
  expect(skip.cases[1].out).toMatch(/^trace: (\S+)\n\[\[ATTACHMENT\|\1\]\]$/)
  // The attached trace outlives the run (the end-of-run sweep spares workers that ended normally), private to root.
  const attached = /^trace: (\S+)/.exec(String(skip.cases[1].out))![1]
  expect(statSync(attached).mode & 0o777).toBe(0o600)
  expect(skip.cases[1].time).toBeGreaterThan(0)

  const load = byFile['test/fixtures/projects/report/load.spec.ts']
  expect(load.cases).toHaveLength(1)
  expect(load.cases[0]).toMatchObject({ name: '(spec file failed to load)' })
  expect(load.cases[0].result[0].message).toContain('defineTrace(): a problem in the declaration')

  const hook = byFile['test/fixtures/projects/report/hook.spec.ts']
  expect(hook.cases.map((c) => c.name)).toContain('(hook of with a failing hook)')
  expect(hook.cases.find((c) => c.name.startsWith('(hook'))!.result[0].message).toBe('setup failed: no device')
}, 60_000)

test('--shard i/n splits a run; merge-reports joins the shards into one report', async () => {
  const dir = tempDir('kspec-shards-')
  const shard = (i: number) => execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/offline/passing.spec.ts', 'specs/saved-trace.spec.ts', '--reporter', 'junit', '--outputFile', join(dir, `${i}.xml`), '--shard', `${i}/2`], { cwd: ROOT, reject: false })
  const [a, b] = await Promise.all([shard(1), shard(2)])
  expect([a.exitCode, b.exitCode]).toEqual([0, 0])
  const merged = join(dir, 'merged.xml')
  const m = await execa('node', ['bin/kspec.js', 'merge-reports', '-o', merged, join(dir, '1.xml'), join(dir, '2.xml')], { cwd: ROOT })
  expect(m.stdout).toBe(`merged 2 report(s) into ${merged}`)
  const { suites } = await readJUnit(merged)
  expect(suites.map((s) => s.name.split(' [')[0]).sort()).toEqual(['specs/saved-trace.spec.ts', 'test/fixtures/projects/offline/passing.spec.ts'])
  expect(suites.reduce((n, s) => n + s.tests, 0)).toBe(5)
  const bad = await execa('node', ['bin/kspec.js', 'merge-reports', '-o', merged, 'README.md'], { cwd: ROOT, reject: false })
  expect(bad.exitCode).toBe(2)
  expect(bad.stderr).toContain('README.md: not a JUnit file written by kspec')
}, 60_000)
