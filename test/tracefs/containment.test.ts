import { readFile } from 'node:fs/promises'
import { afterAll, expect, test } from 'vitest'
import { defineTrace } from '../../src/spec/declaration.js'
import { cgroupHome } from '../../src/kernel/cgroup.js'
import { ours, recorder } from '../live.js'
import type { Trace } from '../../src/trace/trace.js'

const openat = defineTrace({ events: ['syscalls:sys_enter_openat'] })
const r = recorder()
afterAll(async () => {
  await r.close()
  expect(await ours()).toEqual([])
})

/** Whether a process still runs (a zombie waiting for its parent does not). */
const running = async (pid: number): Promise<boolean> => {
  const state = (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '').charAt(0)
  return state !== '' && state !== 'Z'
}
const tasks = (t: Trace) => new Set(t.ofKind('event').map((e) => e.task))

test('this machine contains workloads in cgroup v2 leaves (the live tests below need it)', async () => {
  expect(await cgroupHome()).toMatch(/^\/sys\/fs\/cgroup/)
})

test('a background child is killed when the workload ends, said in the result, and none of its events reach the next test', async () => {
  const first = await r.record(openat, 'sh -c "(sleep 1; cat /etc/hostname) & echo hi"')
  expect(first.workload!.stdout).toBe('hi\n')
  const left = first.workload!.background
  expect(left).toMatchObject({ policy: 'kill', containedBy: 'cgroup', outcome: 'killed' })
  expect(left.processes.map((p) => p.comm)).toContain('sleep')
  for (const p of left.processes) expect(await running(p.pid)).toBe(false)
  // The same arming, reused: before containment the killed child's `cat` landed here.
  const second = await r.record(openat, 'sleep 1.5')
  expect(tasks(second).has('cat')).toBe(false)
  expect(second.workload!.background.outcome).toBe('none')
})

test("background: 'wait' waits for the children, and their events are in this test's trace", async () => {
  const trace = await r.record(openat, '(sleep 0.3; cat /etc/hostname > /dev/null) & echo started', { background: 'wait' })
  expect(trace.workload!.background).toMatchObject({ policy: 'wait', outcome: 'waited' })
  expect(tasks(trace).has('cat')).toBe(true)
})

test('a child that leaves its session and process group (setsid, double fork) is still found and killed', async () => {
  const trace = await r.record(openat, 'setsid sh -c "sleep 100 & exec sleep 100" & sleep 0.2')
  const left = trace.workload!.background
  expect(left.outcome).toBe('killed')
  expect(left.processes.filter((p) => p.comm === 'sleep')).toHaveLength(2)
  for (const p of left.processes) expect(await running(p.pid)).toBe(false)
})

test("background: 'wait' past the timeout kills what is left and fails as a timeout", async () => {
  const err = await r.record(openat, 'sleep 100 & true', { background: 'wait', timeoutMs: 500 }).catch((e) => e)
  expect(err.message).toContain('ran past its timeout of 500 ms and was killed')
})

test('without a writable cgroup v2 (KSPEC_CGROUPS=off), a workload gets a session of its own, and what it leaves is killed all the same', async () => {
  const { execa } = await import('execa')
  // The pause lets the subshell fork its sleep before the main shell ends (else what is left is sh and one sleep).
  const script = `
    import { HostTarget } from './dist/kernel/host.js'
    import { Recorder } from './dist/tracefs/recorder.js'
    import { defineTrace } from './dist/spec/declaration.js'
    const r = new Recorder(new HostTarget())
    const t = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat'] }), '(sleep 100; true) & sleep 100 & sleep 0.3; echo hi')
    await r.close()
    console.log(JSON.stringify(t.workload.background))
  `
  const run = await execa(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), env: { KSPEC_CGROUPS: 'off' } })
  const left = JSON.parse(run.stdout)
  expect(left).toMatchObject({ policy: 'kill', containedBy: 'session', outcome: 'killed' })
  expect(left.processes.map((p: { comm: string }) => p.comm).sort()).toEqual(['sh', 'sleep', 'sleep'])
  for (const p of left.processes) expect(await running(p.pid)).toBe(false)
})

test("scope: 'process' traces the workload's own process and not what it starts; 'workload' traces both", async () => {
  // sh opens /etc/hostname itself (exec 3<), its child cat opens /etc/os-release.
  const cmd = 'exec 3</etc/hostname; cat /etc/os-release > /dev/null'
  const own = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat'], scope: 'process' }), ['sh', '-c', cmd])
  expect(tasks(own)).toEqual(new Set(['sh']))
  const tree = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat'], scope: 'workload' }), ['sh', '-c', cmd])
  expect(tasks(tree)).toEqual(new Set(['sh', 'cat']))
})

test('scope: { pids } traces those running processes, not their children and not the workload', async () => {
  const { spawn } = await import('node:child_process')
  // A "daemon" that forks a child now and then.
  const daemon = spawn('sh', ['-c', 'while :; do /bin/true; sleep 0.05; done'], { stdio: 'ignore' })
  try {
    const trace = await r.record(defineTrace({ events: ['sched:sched_process_fork', 'sched:sched_process_exec'], scope: { pids: [daemon.pid!] } }), 'sleep 0.5')
    const forks = trace.eventsNamed('sched:sched_process_fork')
    expect(forks.length).toBeGreaterThan(0)
    // Every event is the daemon's own: its forks, none of its children's execs, nothing of the workload's.
    expect(new Set(trace.ofKind('event').map((e) => e.pid))).toEqual(new Set([daemon.pid]))
    expect(trace.eventsNamed('sched:sched_process_exec')).toEqual([])
  } finally {
    daemon.kill('SIGKILL')
  }
})

test("a fork option that contradicts a single-process scope is a declaration error, as 'workload' with event-fork: false is", () => {
  expect(() => defineTrace({ events: ['sched:sched_switch'], scope: 'process', options: { 'event-fork': true } })).toThrow(/event-fork: true conflicts with scope: "process", which names processes without their children by turning event-fork off/)
  expect(() => defineTrace({ events: ['sched:sched_switch'], scope: { pids: [] } })).toThrow(/name at least one pid/)
})
