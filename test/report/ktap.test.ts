import { execa } from 'execa'
import { fileURLToPath } from 'node:url'
import { Parser } from 'tap-parser'
import { expect, test } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

type Event = [string, ...unknown[]]
interface Assert { ok: boolean; id: number; name: string; skip: string | false }

/**
 * The KTAP document, read back by a parser kspec did not write (tapjs's tap-parser, which
 * reads TAP 14 with subtests indented four spaces, as KTAP nests them): one subtest per
 * spec file with its own plan, numbered results, skips with their reason, failures with
 * their message as diagnostics, ftracetest's Totals line, and nothing else on stdout.
 */
test('kspec run --reporter ktap: a KTAP document a TAP consumer reads whole', async () => {
  const run = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/report/', '--reporter', 'ktap'], { cwd: ROOT, reject: false, env: { NO_COLOR: '1' } })
  expect(run.exitCode, run.stderr).toBe(1)
  const events = Parser.parse(run.stdout) as Event[]
  // Non-TAP lines are the KTAP version lines only: no other output mixed in.
  expect(events.filter((e) => e[0] === 'extra').map((e) => String(e[1]).trim())).toEqual(Array(5).fill('KTAP version 1'))
  expect(events.find((e) => e[0] === 'plan')?.[1]).toMatchObject({ start: 1, end: 4 })
  const files = events.filter((e) => e[0] === 'assert').map((e) => e[1] as Assert)
  expect(files.map((a) => [a.id, a.ok, a.name.replace('test/fixtures/projects/report/', '')])).toEqual([
    [1, false, 'hook.spec.ts'],
    [2, false, 'load.spec.ts'],
    [3, false, 'ok.spec.ts'],
    [4, true, 'skip.spec.ts'],
  ])
  const children = events.filter((e) => e[0] === 'child').map((e) => e[1] as Event[])
  expect(children).toHaveLength(4)
  const results = (child: Event[]) => child.filter((e) => e[0] === 'assert').map((e) => e[1] as Assert)
  const comments = (child: Event[]) => child.filter((e) => e[0] === 'comment').map((e) => String(e[1]).trimEnd())
  const complete = (child: Event[]) => child.find((e) => e[0] === 'complete')?.[1] as { ok: boolean; count: number; pass: number; fail: number; skip: number; plan: { end: number } }

  const [hook, load, ok, skip] = children
  expect(results(hook).map((a) => [a.ok, a.name])).toEqual([[false, 'with a failing hook > would run']])
  expect(comments(hook)).toContain('# a hook of with a failing hook failed: setup failed: no device')
  expect(complete(load)).toMatchObject({ count: 0, plan: { end: 0 } })
  expect(comments(load).join('\n')).toContain('# the file failed: defineTrace(): a problem in the declaration')
  expect(results(ok).map((a) => [a.id, a.ok])).toEqual([[1, true], [2, false]])
  expect(comments(ok)).toContain('# expect(trace).toCall("do_filp_open").within("getname")')
  expect(complete(ok)).toMatchObject({ ok: false, count: 2, pass: 1, fail: 1, plan: { end: 2 } })
  expect(results(skip)[0].skip).toMatch(/^unsupported: function_graph is not available on \S+ \(available: /)
  expect(complete(skip)).toMatchObject({ ok: true, count: 2, pass: 2, skip: 1 })
  expect(events.filter((e) => e[0] === 'comment').map((e) => String(e[1]).trim())).toContain('# Totals: pass:2 fail:3 xfail:0 xpass:0 skip:1 error:0')
}, 60_000)

test('ktap cannot share standard output with the default reporter', async () => {
  const run = await execa('node', ['bin/kspec.js', 'run', 'test/fixtures/projects/report/', '--reporter', 'ktap', '--reporter', 'default'], { cwd: ROOT, reject: false })
  expect(run.exitCode).toBe(2)
  expect(run.stderr).toContain('the ktap reporter prints its KTAP document on standard output')
})
