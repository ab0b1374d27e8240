import { execa, type ResultPromise } from 'execa'
import { readFile, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'
import { strip } from '../helpers.js'
import { host } from '../live.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const SPEC = 'test/fixtures/projects/signals/slow.spec.ts'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

interface Proc {
  pid: number
  ppid: number
  comm: string
  cmdline: string
}

async function processes(): Promise<Proc[]> {
  const out: Proc[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const close = stat.lastIndexOf(')')
    if (close === -1) continue
    const state = stat.slice(close + 2, close + 3)
    if (state === 'Z') continue
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')
    out.push({ pid: Number(entry), ppid: Number(stat.slice(close + 2).split(' ')[1]), comm: stat.slice(stat.indexOf('(') + 1, close), cmdline })
  }
  return out
}

const until = async <T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> => {
  const deadline = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

/** What a kspec process (by pid) still has: instances, probes, temporary folders. */
async function leftovers(pid: number): Promise<string[]> {
  await host.ready()
  const prefix = `kspec_${pid}_`
  const instances = (await host.list('instances')).filter((n) => n.startsWith(prefix))
  const probes = (await host.read('uprobe_events')).split('\n').filter((l) => l.includes(prefix))
  const folders = (await readdir(tmpdir())).filter((n) => new RegExp(`^kspec-\\w+-${pid}-`).test(n))
  return [...instances, ...probes, ...folders]
}

/** `kspec run` of the slow spec; resolves once its worker has armed and the workload (with its background child) runs. */
async function started(): Promise<{ run: ResultPromise; main: number; worker: number; sleeps: number[]; vitestTmp: string }> {
  const run = execa('node', ['bin/kspec.js', 'run', SPEC], { cwd: ROOT, reject: false, env: { NO_COLOR: '1', CI: 'true' } })
  const main = run.pid!
  const worker = await until('the vitest worker', async () => (await processes()).find((p) => p.ppid === main && p.cmdline.includes('vitest'))?.pid)
  await until('the instance and probe', async () => (await leftovers(worker)).filter((n) => n.startsWith('kspec_') || n.includes(`kspec_${worker}_`)).length >= 2)
  const sleeps = await until('both sleeps of the workload', async () => {
    const s = (await processes()).filter((p) => p.cmdline === 'sleep 60 ').map((p) => p.pid)
    return s.length >= 2 && s
  })
  // The folder vitest keeps its transformed modules in: removed when vitest closes, so a
  // signalled run must remove it itself. The summary reporter hands its path to the workers.
  const environ = await readFile(`/proc/${worker}/environ`, 'utf8')
  const vitestTmp = /(?:^|\0)KSPEC_VITEST_TMP=([^\0]+)/.exec(environ)?.[1]
  expect(vitestTmp).toMatch(new RegExp(`^${tmpdir()}/[\\w-]{21}$`))
  return { run, main, worker, sleeps, vitestTmp: vitestTmp! }
}

const exists = (path: string) => readdir(path).then(() => true, () => false)

const gone = async (pids: number[]) => !(await processes()).some((p) => pids.includes(p.pid))

test.each(['SIGTERM', 'SIGINT', 'SIGKILL'] as const)('%s to kspec alone (not its group): the orphaned worker tears down at once; nothing is left', async (signal) => {
  const { run, main, worker, sleeps, vitestTmp } = await started()
  expect(await exists(vitestTmp)).toBe(true)
  process.kill(main, signal)
  await run
  // The worker notices (the signal forwarded, or its parent gone) and ends without waiting for the 60 s workload.
  const t0 = Date.now()
  await until('the worker and the workload to end', () => gone([worker, ...sleeps]), 15_000)
  expect(Date.now() - t0).toBeLessThan(15_000)
  await until('tracefs and /tmp to be clean', async () => (await leftovers(worker)).length === 0 && (await leftovers(main)).length === 0 && !(await exists(vitestTmp)), 5000)
}, 60_000)

test('kill -9 of the worker: a failure in the summary and the exit code; its instance, probe, workload and folders are removed by the same run', async () => {
  const { run, worker, sleeps } = await started()
  process.kill(worker, 'SIGKILL')
  const r = await run
  const out = strip(`${r.stdout}${r.stderr}`)
  expect(r.exitCode, out).toBe(1)
  expect(out).toMatch(/^0 passed, 2 failed, 0 skipped/m)
  expect(out).toContain('failed outside any test: [vitest-pool]: Worker forks emitted error.: Worker exited unexpectedly (a test worker crashed or was killed')
  expect(out).toMatch(/failed \(1\): did not finish \(its worker ended under it\)\n {2}- slow/)
  expect(out).toContain(`kspec: removed what dead kspec processes left: 1 instance(s) (kspec_${worker}_1), 1 probe(s) (kspec_${worker}_1/open)`)
  // The workload and its background child end with the worker (its spawner kills their cgroup), or else by that sweep.
  expect(await gone(sleeps)).toBe(true)
  expect(await leftovers(worker)).toEqual([])
}, 60_000)
