import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { strip } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const kspec = (...args: string[]) => execa('node', ['bin/kspec.js', ...args], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', CI: 'true' } })

test('kspec run: specs over saved traces pass without root or tracefs; exit 0', async () => {
  const r = await kspec('run', 'test/fixtures/projects/offline/passing.spec.ts')
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  expect(strip(r.stdout)).toMatch(/Tests\s+1 passed/)
})

test('kspec run: a failing spec exits 1 and points at the spec lines, negated chains included', async () => {
  const r = await kspec('run', 'test/fixtures/projects/offline/failing.spec.ts')
  expect(r.exitCode).toBe(1)
  const out = strip(r.stdout + r.stderr)
  expect(out).toMatch(/Tests\s+2 failed/)
  expect(out).toContain('expect(trace).not.toCall("do_filp_open").within("__x64_sys_openat")')
  expect(out).toContain('failing.spec.ts:7:')
  expect(out).toContain('expect(trace).toCall("do_filp_open").within("ksys_read")')
  expect(out).toContain('failing.spec.ts:12:')
})

test('kspec run: no spec files is a usage error, exit 2', async () => {
  const r = await kspec('run', 'test/fixtures/projects/none/')
  expect(r.exitCode).toBe(2)
  expect(r.stderr).toContain('kspec: no spec files found matching test/fixtures/projects/none/')
})

test('kspec parse: summary, NDJSON for jq, unreadable lines on stderr with exit 1', async () => {
  const summary = await kspec('parse', '../shared/traces/qemu-debian-6.1/function_openat.txt')
  expect(summary.exitCode).toBe(0)
  expect(summary.stdout).toContain('records:  12 (function 12)')
  expect(summary.stdout).toMatch(/12 {2}__x64_sys_openat/)
  const json = await kspec('parse', '--json', '../shared/traces/qemu-debian-6.1/kprobe_openat.txt')
  const records = json.stdout.trim().split('\n').map((l) => JSON.parse(l))
  expect(records).toHaveLength(9)
  expect(records[1]).toMatchObject({ kind: 'event', name: 'do_sys_openat2', fields: { dfd: -100, fname: '/dev/null' } })
  const graph = await kspec('parse', '--json', 'specs/traces/graph_openat_depth3.txt')
  expect(JSON.parse(graph.stdout.split('\n')[3])).toMatchObject({ kind: 'call', name: 'getname', depth: 2, parentLine: 7, children: 0 })
  const bad = await kspec('parse', 'test/fixtures/constructed/bad_lines.txt')
  expect(bad.exitCode).toBe(1)
  expect(bad.stderr).toContain('bad_lines.txt:6: not a line of ftrace output kspec knows: this line is not ftrace output')
})

test('kspec: usage errors exit 2 with what to type instead', async () => {
  expect(await kspec('frobnicate')).toMatchObject({ exitCode: 2, stderr: 'kspec: unknown command "frobnicate": run `kspec help` for the commands' })
  expect(await kspec('parse', 'nope.txt')).toMatchObject({ exitCode: 2 })
  expect((await kspec('run', '--timeout', 'soon')).stderr).toContain('--timeout soon is not a number of milliseconds')
})

test('kspec run on this machine: the example specs pass live, and what the host lacks is skipped with its reason', async () => {
  const r = await kspec('run')
  const out = strip(r.stdout)
  expect(r.exitCode, out + r.stderr).toBe(0)
  expect(out).toMatch(/skipped \(\d\): unsupported: function is refused on \S+: selecting it fails with EPERM|skipped \(\d\): unsupported: function/)
  // What the host lacks and Debian's kernel has, the skip says where it runs.
  expect(out).toMatch(/skipped \(1\): unsupported: function_graph is not available on \S+ \(available: [^)]+; CONFIG_FUNCTION_GRAPH_TRACER is off\) — kspec run --kernel debian runs it \(Debian's kernel under QEMU has CONFIG_FUNCTION_GRAPH_TRACER\)/)
  expect(out).toMatch(/skipped \(1\): unsupported: kprobes are not available .* — kspec run --kernel debian runs it \(Debian's kernel under QEMU has CONFIG_KPROBE_EVENTS\)/)
  const [, passed, failed, skipped] = /(\d+) passed, (\d+) failed, (\d+) skipped/.exec(out)!.map(Number)
  expect({ failed, skipped }).toEqual({ failed: 0, skipped: 7 })
  expect(passed).toBeGreaterThanOrEqual(12)
}, 120_000)

test('kspec doctor prints the feature table of this kernel with how to get what is missing', async () => {
  const r = await kspec('doctor', '--clean')
  expect(r.exitCode, r.stderr).toBe(0)
  expect(r.stdout).toMatch(/^kernel \S+\ntracers: .*\n/)
  expect(r.stdout).toMatch(/✓ tracepoints \(events\/\) +per-test instances/)
  expect(r.stdout).toMatch(/[✓✗] function_graph tracer/)
  expect(r.stdout).toMatch(/✗ histogram triggers +a kernel with CONFIG_HIST_TRIGGERS; or QEMU \(--kernel debian\)/)
  // The kernel's configuration, feature by feature.
  expect(r.stdout).toMatch(/^kernel configuration \((\/proc\/config\.gz|\/boot\/config-\S+)\):$/m)
  expect(r.stdout).toMatch(/^✗ function_graph tracer +CONFIG_FUNCTION_GRAPH_TRACER is not set$/m)
  expect(r.stdout).toMatch(/^✓ uprobe events +CONFIG_UPROBE_EVENTS=y$/m)
  expect(r.stdout).toMatch(/cleaned: \d+ instance\(s\), \d+ probe\(s\), \d+ machine-wide change\(s\) put back, \d+ workload process\(es\), \d+ temporary folder\(s\) left by dead kspec runs/)
})

test('kspec run specs --kernel host --kernel debian: every example spec passes on Debian with no skip, in one VM; the host skips what it lacks, naming --kernel debian', async () => {
  const r = await kspec('run', 'specs', '--kernel', 'host', '--kernel', 'debian')
  const out = strip(r.stdout)
  expect(r.exitCode, out + r.stderr).toBe(0)
  expect(out).toMatch(/━━ kernel: host \S+ ━━/)
  expect(out).toMatch(/━━ kernel: debian-6\.1\.\S+ ━━/)
  expect(out).toMatch(/skipped \(\d+\): unsupported: .*kernel modules cannot be loaded on \S+ \(no \/proc\/modules: CONFIG_MODULES is off\) — kspec run --kernel debian runs it/)
  const debian = /(\d+) passed, (\d+) failed, (\d+) skipped \(kernel: debian-6\.1\.\S+\)/.exec(out)
  expect(debian, out).not.toBeNull()
  const files = readdirSync(join(ROOT, 'specs')).filter((f) => f.endsWith('.spec.ts'))
  const tests = files.reduce((n, f) => n + (readFileSync(join(ROOT, 'specs', f), 'utf8').match(/^\s*test(\.\w+)?\(/gm) ?? []).length, 0)
  expect({ passed: Number(debian![1]), failed: Number(debian![2]), skipped: Number(debian![3]) }).toEqual({ passed: tests, failed: 0, skipped: 0 })
  // How many VMs the run booted, and how long they took: one, lent to every spec file in turn.
  expect(out).toMatch(/^qemu: 1 boot \((tcg|kvm)\), \d+\.\d s each on average, \d+\.\d s in all/m)
  expect(out.split('━━ kernel: debian')[0]).not.toMatch(/^qemu: /m)
  expect(out).toMatch(/^host \S+: passed\ndebian-6\.1\.\S+: passed$/m)
}, 400_000)

test('a plain Node script can import kspec and load a trace (no vitest running)', async () => {
  const r = await execa('node', ['--input-type=module', '-e', "const k = await import('./dist/index.js'); const t = await k.loadTrace('specs/traces/graph_openat_depth3.txt'); console.log(t.callsOf('do_filp_open').length, typeof k.test)"], { cwd: ROOT, reject: false })
  expect(r.stderr).toBe('')
  expect(r.stdout).toBe('12 function')
})

test('in a plain Node script a failing negated chain is not lost: nobody awaits it, so Node reports it and exits 1', async () => {
  const script = "const k = await import('./dist/index.js'); const t = await k.loadTrace('specs/traces/graph_openat_depth3.txt'); k.expect(t).not.toCall('do_filp_open').within('do_sys_openat2'); k.expect(t).not.toCall('vfs_read')"
  const r = await execa('node', ['--input-type=module', '-e', script], { cwd: ROOT, reject: false })
  expect(r.exitCode).toBe(1)
  expect(r.stderr).toContain('AssertionError: expect(trace).not.toCall("do_filp_open").within("do_sys_openat2")')
  const soft = await execa('node', ['--input-type=module', '-e', "const k = await import('./dist/index.js'); const t = await k.loadTrace('specs/traces/graph_openat_depth3.txt'); k.expect.soft(t).toCall('vfs_read')"], { cwd: ROOT, reject: false })
  expect(soft.exitCode).toBe(1)
  expect(soft.stderr).toContain('expect.soft() can only be used inside a test')
})

test('kspec run takes quoted globs as well as paths', async () => {
  const r = await kspec('run', 'specs/saved-*.spec.ts')
  expect(r.exitCode, r.stdout + r.stderr).toBe(0)
  expect(strip(r.stdout)).toMatch(/4 passed, 0 failed, 0 skipped/)
})

test('a spec that catches record()\'s rejection, or expects it refused, still shows the skip with its reason', async () => {
  const r = await kspec('run', 'test/fixtures/projects/skipcatch/catch.spec.ts', 'test/fixtures/projects/skipcatch/refused.spec.ts')
  const out = strip(r.stdout)
  expect(r.exitCode, out + r.stderr).toBe(0)
  expect(out).toMatch(/skipped \(2\): unsupported: function_graph is not available on \S+ \(available: /)
  expect(out).toMatch(/1 passed, 0 failed, 2 skipped/)
  expect(out).not.toContain('skipped without a reason')
})
