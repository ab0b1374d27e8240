import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile, readdir, readlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { afterAll, describe, expect, test } from 'kspec'
import { IncompleteTraceError, WorkloadTimeoutError } from '../../src/errors.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { uprobe, uretprobe } from '../../src/spec/probes.js'
import { libcPath } from '../../src/spec/libs.js'
import { host, ours, recorder } from '../live.js'

/** Every process: pid, parent, name (from /proc/<pid>/stat). */
async function processes(): Promise<{ pid: number; ppid: number; comm: string }[]> {
  const out: { pid: number; ppid: number; comm: string }[] = []
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')
    const close = stat.lastIndexOf(')')
    if (close === -1) continue
    out.push({ pid: Number(entry), ppid: Number(stat.slice(close + 2).split(' ')[1]), comm: stat.slice(stat.indexOf('(') + 1, close) })
  }
  return out
}

/** Processes called `comm` below a pid. */
const below = async (root: number, comm: string): Promise<number[]> => {
  const all = await processes()
  const parent = new Map(all.map((p) => [p.pid, p.ppid]))
  const under = (pid: number): boolean => pid === root || (pid > 1 && parent.has(pid) && under(parent.get(pid)!))
  return all.filter((p) => p.comm === comm && under(p.ppid)).map((p) => p.pid)
}

const openat = defineTrace({ events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'] })
const r = recorder()
afterAll(async () => {
  await r.close()
  expect(await ours()).toEqual([])
})

describe('isolation', () => {
  test('a noisy sibling process never appears in a workload-scoped trace', async () => {
    const noisy = spawn('sh', ['-c', 'while :; do cat /etc/hostname >/dev/null; done'], { stdio: 'ignore' })
    try {
      const trace = await r.record(openat, ['cat', '/etc/passwd'])
      const pids = new Set(trace.ofKind('event').map((e) => e.pid))
      expect(pids.has(noisy.pid)).toBe(false)
      expect([...new Set(trace.ofKind('event').map((e) => e.task))]).toEqual(['cat'])
      expect(trace.ofKind('event').length).toBeGreaterThan(2)
    } finally {
      noisy.kill('SIGKILL')
    }
  })

  test('system scope sees the sibling too', async () => {
    const noisy = spawn('sh', ['-c', 'while :; do cat /etc/hostname >/dev/null; done'], { stdio: 'ignore' })
    try {
      const trace = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat'], scope: 'system', allowLoss: true }), 'sleep 0.2')
      expect(trace.ofKind('event').some((e) => e.task === 'cat')).toBe(true)
    } finally {
      noisy.kill('SIGKILL')
    }
  })

  test.concurrent.each([['/etc/hostname'], ['/etc/passwd']])('two concurrent recordings stay separate (%s)', async (file) => {
    const libc = defineTrace({ uprobes: [uprobe(libcPath(), 'open', { path: '+0(%di):string' })] })
    const trace = await r.record(libc, ['cat', file])
    const paths = trace.ofKind('event').map((e) => e.fields.path)
    expect(paths).toContain(file)
    expect(paths.filter((p) => p === '/etc/hostname' || p === '/etc/passwd')).toEqual([file])
  })

  test('a reused arming starts from an empty buffer, scoped to the new workload', async () => {
    const first = await r.record(openat, ['cat', '/etc/hostname'])
    const second = await r.record(openat, ['cat', '/etc/passwd'])
    const pid = (t: typeof first) => new Set(t.ofKind('event').map((e) => e.pid))
    expect([...pid(first)]).toEqual([first.workload!.pid])
    expect([...pid(second)]).toEqual([second.workload!.pid])
  })
})

describe('spawners', () => {
  /** Perl processes this test process started: spawners. */
  const spawners = async (): Promise<number[]> => (await processes()).filter((p) => p.comm === 'perl' && p.ppid === process.pid).map((p) => p.pid)

  test('one is ready once features are probed; closing ends it and every arming\'s own', async () => {
    const before = await spawners()
    const own = recorder()
    await own.features()
    expect((await spawners()).length).toBe(before.length + 1)
    await own.record(openat, ['true'])
    await own.record(defineTrace({ events: ['syscalls:sys_enter_openat'] }), ['true'])
    // Two armings, each with the spawner its pid list names; no spare left starting.
    expect((await spawners()).length).toBe(before.length + 2)
    await own.close()
    expect(await spawners()).toEqual(before)
  })
})

describe('what a recording returns', () => {
  test('the workload result, and the saved raw trace as the source', async () => {
    const trace = await r.record(openat, 'echo hi; exit 3')
    expect(trace.workload).toMatchObject({ exitCode: 3, stdout: 'hi\n', timedOut: false })
    expect(trace.source).toMatch(new RegExp(`/kspec-traces-${process.pid}-\\w{6}/\\d+-.*\\.txt$`))
  })

  test('trace options that change how lines print read the same events: record-tgid, irq-info off, latency-format (trace_pipe prints it without its header)', async () => {
    const variants: Record<string, boolean>[] = [{}, { 'record-tgid': true }, { 'irq-info': false }, { 'latency-format': true }]
    for (const options of variants) {
      const trace = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'], options }), ['cat', '/etc/hostname'])
      const label = JSON.stringify(options)
      expect(trace.problems, label).toEqual([])
      expect(trace.header.latencyFormat, label).toBe('latency-format' in options)
      const opens = trace.eventsNamed('syscalls:sys_enter_openat')
      expect(opens.length, label).toBeGreaterThan(0)
      expect(opens.every((e) => e.task === 'cat' && e.pid! > 0 && e.cpu !== undefined), label).toBe(true)
      expect(trace.eventsNamed('syscalls:sys_exit_openat').length, label).toBe(opens.length)
    }
  })

  test('a recording kspec cannot read (options/raw prints numbers, not lines) is an error that names the option, not a trace on which every negation holds', async () => {
    const raw = defineTrace({ events: ['syscalls:sys_enter_openat'], options: { raw: true } })
    await expect(r.record(raw, ['cat', '/etc/hostname'])).rejects.toThrow(/kspec cannot read the trace it recorded: \d+ line\(s\) are not ftrace output it reads, against 0 record\(s\).*The declaration sets trace options \(raw: true\)/)
  })

  test('a workload that cannot start is an error that says so, not an empty trace', async () => {
    await expect(r.record(openat, ['no-such-program-kspec'])).rejects.toThrow('the workload ["no-such-program-kspec"] could not start on host: kspec: cannot run no-such-program-kspec: No such file or directory. Check the command exists there.')
    await expect(r.record(openat, 'no-such-program-kspec --x')).rejects.toThrow(/could not start on host: .*not found/)
  })

  test('uprobes resolve libc symbols by name; uretprobes return $retval', async () => {
    const libc = defineTrace({ uprobes: [uprobe(libcPath(), 'open', { path: '+0(%di):string' }), uretprobe(libcPath(), 'open', { ret: '$retval:s32' })] })
    const trace = await r.record(libc, ['cat', '/nonexistent/kspec'])
    expect(trace).toHaveEvent('open', { path: '/nonexistent/kspec' })
    expect(trace).toReturnFrom('open', -1)
    // The same return probe written as p:… PATH:OFFSET%return: listed as r:, and it fires.
    const suffix = defineTrace({ uprobes: [uretprobe(libcPath(), 'open', { ret: '$retval:s32' }, 'open_ret', { syntax: '%return' })] })
    const again = await r.record(suffix, ['cat', '/nonexistent/kspec'])
    expect(again.state!.probes).toEqual([expect.stringMatching(/^r:kspec_\d+_\d+\/open_ret \/\S+libc\.so\.6:0x[0-9a-f]+ ret=\$retval:s32$/)])
    expect(again).toReturnFrom('open', -1)
  })

  test("markers: a function workload's mark() (host only) and a command's writes to $KSPEC_TRACE_MARKER fence the same step", async () => {
    const execs = defineTrace({ events: ['sched:sched_process_exec'] })
    const { execFileSync } = await import('node:child_process')
    const fn = await r.record(execs, async ({ mark }) => {
      execFileSync('/bin/true')
      await mark('step: cat')
      execFileSync('cat', ['/etc/hostname'])
      await mark('step: done')
    })
    const cmd = await r.record(execs, ['sh', '-c', '/bin/true; echo "step: cat" > "$KSPEC_TRACE_MARKER"; cat /etc/hostname; echo "step: done" > "$KSPEC_TRACE_MARKER"'])
    for (const trace of [fn, cmd]) {
      expect(trace.between('step: cat', 'step: done')).toHaveEventTimes('sched_process_exec', 1, { filename: /\/cat$/ })
      expect(trace).toHaveEventTimes('sched_process_exec', trace === fn ? 2 : 3)
    }
    // The variable names this recording's own instance, not the top-level buffer.
    const where = await r.record(execs, ['sh', '-c', 'echo "$KSPEC_TRACE_MARKER"'])
    expect(where.workload!.stdout).toMatch(/^\/sys\/kernel(\/debug)?\/tracing\/instances\/kspec_\d+_\d+\/trace_marker\n$/)
  })

  test('control during a test: tracing starts off and the workload turns it on at its step ($KSPEC_INSTANCE, or tracing() in a function)', async () => {
    const execs = defineTrace({ events: ['sched:sched_process_exec'], startTracing: false })
    const cmd = await r.record(execs, ['sh', '-c', '/bin/true; echo 1 > "$KSPEC_INSTANCE/tracing_on"; cat /etc/hostname'])
    expect(cmd).toHaveEventTimes('sched_process_exec', 1, { filename: /\/cat$/ })
    const { execFileSync } = await import('node:child_process')
    const fn = await r.record(execs, async ({ tracing }) => {
      execFileSync('/bin/true')
      await tracing(true)
      execFileSync('cat', ['/etc/hostname'])
      await tracing(false)
      execFileSync('/bin/true')
    })
    expect(fn).toHaveEventTimes('sched_process_exec', 1, { filename: /\/cat$/ })
    expect(fn.state!.tracingOn).toBe(false)
  })

  test('a workload that turns an event or a subsystem off does so for its own test only: the next test with the declaration sees it', async () => {
    const execs = defineTrace({ events: ['sched:sched_process_exec', 'sched:sched_process_exit'] })
    const off = await r.record(execs, ['sh', '-c', 'echo 0 > "$KSPEC_INSTANCE/events/sched/enable"; cat /etc/hostname'])
    expect(off).not.toHaveEvent('sched_process_exec', { filename: /\/cat$/ })
    const next = await r.record(execs, ['cat', '/etc/hostname'])
    expect(next).toHaveEvent('sched_process_exec', { filename: /\/cat$/ })
    const { execFileSync } = await import('node:child_process')
    const fn = await r.record(execs, async ({ enable }) => {
      await enable('sched:sched_process_exec', false)
      execFileSync('cat', ['/etc/hostname'])
      await expect(enable('sched/../../x', false)).rejects.toThrow("enable(\"sched/../../x\"): name an event as system:event ('sched:sched_switch') or a subsystem ('sched')")
    })
    expect(fn).not.toHaveEvent('sched_process_exec')
    expect(fn).toHaveEvent('sched_process_exit')
    expect(await r.record(execs, ['cat', '/etc/hostname'])).toHaveEvent('sched_process_exec', { filename: /\/cat$/ })
  })

  test('stream: trace_pipe is read while the workload runs', async () => {
    const d = defineTrace({ events: ['syscalls:sys_enter_openat'], stream: true, bufferSizeKb: 64 })
    const trace = await r.record(d, 'for i in $(seq 200); do cat /etc/hostname; done > /dev/null')
    expect(trace.eventsNamed('sys_enter_openat').length).toBeGreaterThan(200)
    expect(trace).toBeComplete()
  })
})

describe('failures leave nothing behind', () => {
  test('lost events make the verdict incomplete, saying how many and what to try', async () => {
    const small = defineTrace({ events: ['syscalls:sys_enter_newfstatat', 'syscalls:sys_exit_newfstatat', 'syscalls:sys_enter_openat'], bufferSizeKb: 1 })
    const err = await r.record(small, 'ls -lR /usr/lib > /dev/null').catch((e) => e)
    expect(err).toBeInstanceOf(IncompleteTraceError)
    expect(err.message).toMatch(/^the trace is incomplete: \d+ event\(s\) lost \(\d+ (overwritten in the ring buffer|reported as \[LOST n EVENTS\])[^)]*\)\. Give the declaration a larger buffer \(bufferSizeKb: \d+, now \d+\)/)
    const accepted = await r.record(defineTrace({ ...small, allowLoss: true }), 'ls -lR /usr/lib > /dev/null')
    expect(accepted.complete).toBe(false)
  })

  test('a workload past its timeout is killed, and its trace so far kept', async () => {
    const t0 = Date.now()
    const err = await r.record(openat, 'sleep 30', { timeoutMs: 300 }).catch((e) => e)
    expect(err).toBeInstanceOf(WorkloadTimeoutError)
    expect(err.message).toContain('ran past its timeout of 300 ms and was killed')
    expect(Date.now() - t0).toBeLessThan(5000)
  })

  test('a workload that throws mid-recording leaves no instance or probe', async () => {
    const before = await ours()
    const own = recorder()
    const libc = defineTrace({ uprobes: [uprobe(libcPath(), 'open', { path: '+0(%di):string' })] })
    const failing = own.record(libc, async () => {
      throw new Error('boom')
    })
    await expect(failing).rejects.toThrow('boom')
    expect(await ours()).toEqual(before)
    await own.close()
  })
})

describe('signals and kills', () => {
  const child = (code: string) =>
    spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'] })
  const script = `
    import { HostTarget } from './dist/kernel/host.js'
    import { Recorder } from './dist/tracefs/recorder.js'
    import { defineTrace } from './dist/spec/declaration.js'
    import { uprobe } from './dist/spec/probes.js'
    import { libcPath } from './dist/spec/libs.js'
    const r = new Recorder(new HostTarget())
    const d = defineTrace({ events: ['syscalls:sys_enter_openat'], uprobes: [uprobe(libcPath(), 'open')] })
    r.record(d, 'echo armed; sleep 30').catch(() => {})
    setInterval(() => {}, 1000)
  `
  const armed = async (pid: number) => {
    for (let i = 0; i < 200; i++) {
      if ((await ours(pid)).length >= 2) return
      await new Promise((res) => setTimeout(res, 25))
    }
    throw new Error(`the child ${pid} never armed`)
  }

  test('SIGTERM while the workload runs stops it and tears everything down before exiting', async () => {
    const p = child(script)
    await armed(p.pid!)
    let workload: number[] = []
    for (let i = 0; i < 200 && workload.length === 0; i++) {
      workload = await below(p.pid!, 'sleep')
      await new Promise((res) => setTimeout(res, 25))
    }
    expect(workload).toHaveLength(1)
    const t0 = Date.now()
    p.kill('SIGTERM')
    await new Promise((res) => p.on('exit', res))
    expect(await ours(p.pid!)).toEqual([])
    // The workload (sleep 30) was ended, not waited for: gone, or dead and not yet reaped.
    expect(Date.now() - t0).toBeLessThan(15_000)
    const state = (await readFile(`/proc/${workload[0]}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /s, '').charAt(0)
    expect(['', 'Z', 'X']).toContain(state)
  })

  test('a kill -9ed recording leaves leftovers that the next run\'s janitor removes', async () => {
    const p = child(script)
    await armed(p.pid!)
    for (let i = 0; i < 200 && (await below(p.pid!, 'sleep')).length === 0; i++) await new Promise((res) => setTimeout(res, 25))
    const spawnersOfChild = await below(p.pid!, 'perl')
    expect(spawnersOfChild.length).toBeGreaterThan(0)
    p.kill('SIGKILL')
    await new Promise((res) => p.on('exit', res))
    // Its spawners end with it (the kernel's parent-death signal), not when their workload does.
    for (let i = 0; i < 200 && (await processes()).some((q) => spawnersOfChild.includes(q.pid) && q.comm === 'perl'); i++) await new Promise((res) => setTimeout(res, 25))
    expect((await processes()).filter((q) => spawnersOfChild.includes(q.pid) && q.comm === 'perl')).toEqual([])
    const left = await ours(p.pid!)
    expect(left.length).toBeGreaterThanOrEqual(2)
    const { sweep } = await import('../../src/tracefs/janitor.js')
    const swept = await sweep(host)
    expect(swept.instances.some((n) => n.startsWith(`kspec_${p.pid}_`))).toBe(true)
    expect(swept.probes.length).toBeGreaterThan(0)
    expect(await ours(p.pid!)).toEqual([])
    // Its saved traces and its spawners' job folders go the same way; a live run's (this one's) stay.
    const { sweepPrivateDirs } = await import('../../src/tempdir.js')
    const { ensureTraceDir } = await import('../../src/tracefs/recording.js')
    const foldersOf = async (pid: number, kind: string) => (await readdir(tmpdir())).filter((n) => n.startsWith(`kspec-${kind}-${pid}-`))
    const alive = async (dir: string) => readdir(dir).then(() => true, () => false)
    expect(await foldersOf(p.pid!, 'traces')).toHaveLength(1)
    expect(await foldersOf(p.pid!, 'jobs')).not.toEqual([])
    const mine = await ensureTraceDir()
    await sweepPrivateDirs()
    expect(await foldersOf(p.pid!, 'traces')).toEqual([])
    expect(await foldersOf(p.pid!, 'jobs')).toEqual([])
    expect(await alive(mine)).toBe(true)
  })
})

describe('undo notes on the host', () => {
  test("root's alone, keyed by pid: the sweep undoes a dead run's note (its triggers, then its instance) and leaves a live run's", async () => {
    const { stat } = await import('node:fs/promises')
    const { sweep } = await import('../../src/tracefs/janitor.js')
    await host.ready()
    const dead = 4_000_002
    const dir = `instances/kspec_${dead}_3`
    await host.mkdir(dir)
    const trigger = { file: `${dir}/events/sched/sched_process_exec/trigger`, trigger: 'traceoff:1' }
    await host.append(trigger.file, trigger.trigger)
    const note = (d: string) => JSON.stringify({ kind: 'arming', dir: d, functionTriggers: [], eventTriggers: d ? [trigger] : [], eventFilters: [], snapshot: false, synthetic: [] })
    await host.writeNote(`${dead}-arming-3`, note(`${dir}/`))
    const live = `${process.pid}-arming-999`
    await host.writeNote(live, note(''))
    expect((await stat('/run/kspec/undo')).mode & 0o777).toBe(0o700)
    expect((await stat(`/run/kspec/undo/${dead}-arming-3.json`)).mode & 0o777).toBe(0o600)
    // Keys become file names: nothing but `<pid>-<what>`.
    await expect(host.writeNote('../../etc/x', '{}')).rejects.toThrow(/not a note key/)
    await expect(host.writeNote('12-a/b', '{}')).rejects.toThrow(/not a note key/)
    // What a note says is written to tracefs: one naming anything but kspec's own files is not acted on.
    const planted = JSON.stringify({ kind: 'arming', dir: '', functionTriggers: [], eventTriggers: [{ file: 'events/../../../../etc/x/trigger', trigger: 'x' }], eventFilters: [], snapshot: false, synthetic: [] })
    await host.writeNote(`${dead}-arming-4`, planted)
    const swept = await sweep(host)
    expect(swept.instances).toContain(`kspec_${dead}_3`)
    expect(swept.unreadableNotes).toEqual([`${dead}-arming-4`])
    expect(await host.exists(dir)).toBe(false)
    await host.dropNote(`${dead}-arming-4`)
    const keys = (await host.notes()).map((n) => n.key)
    expect(keys).toContain(live)
    expect(keys).not.toContain(`${dead}-arming-3`)
    await host.dropNote(live)
    expect((await host.notes()).map((n) => n.key)).not.toContain(live)
  })
})

describe('interrupted while collecting', () => {
  test('Ctrl-C while a large trace is read from trace_pipe: reading stops, the instance and its buffer go', async () => {
    const script = `
      import { HostTarget } from './dist/kernel/host.js'
      import { Recorder } from './dist/tracefs/recorder.js'
      import { defineTrace } from './dist/spec/declaration.js'
      const r = new Recorder(new HostTarget())
      const d = defineTrace({ events: ['syscalls:sys_enter_read', 'syscalls:sys_enter_write'], bufferSizeKb: 262144 })
      r.record(d, 'dd if=/dev/zero of=/dev/null bs=1 count=1500000 status=none').then(() => console.log('finished'), () => {})
      setInterval(() => {}, 1000)
    `
    const p = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'inherit'], detached: true })
    let out = ''
    p.stdout!.on('data', (d) => (out += d))
    const reading = async () => {
      const fds = await readdir(`/proc/${p.pid}/fd`).catch(() => [] as string[])
      for (const fd of fds) if ((await readlink(`/proc/${p.pid}/fd/${fd}`).catch(() => '')).endsWith('/trace_pipe')) return true
      return false
    }
    // The workload has run (dd is gone) and kspec is draining trace_pipe.
    let sawDd = false
    for (let i = 0; i < 600; i++) {
      const dd = (await below(p.pid!, 'dd')).length > 0
      sawDd ||= dd
      if (sawDd && !dd && (await reading())) break
      await new Promise((res) => setTimeout(res, 10))
    }
    expect(sawDd && (await reading())).toBe(true)
    expect(await ours(p.pid!)).toHaveLength(1)
    // Ctrl-C: the terminal signals the whole process group.
    process.kill(-p.pid!, 'SIGINT')
    const t0 = Date.now()
    await new Promise((res) => p.on('exit', res))
    expect(Date.now() - t0).toBeLessThan(5000)
    expect(out).not.toContain('finished')
    expect(await ours(p.pid!)).toEqual([])
  }, 60_000)
})

describe('system scope', () => {
  test("scope: 'system' with sched_switch records (reading trace_pipe makes context switches of its own) and tears down", async () => {
    const before = await ours()
    const own = recorder()
    const d = defineTrace({ events: ['sched:sched_switch'], scope: 'system', allowLoss: true })
    const t0 = Date.now()
    const trace = await own.record(d, 'sleep 0.2', { timeoutMs: 10_000 })
    expect(Date.now() - t0).toBeLessThan(8000)
    expect(trace.eventsNamed('sched_switch').length).toBeGreaterThan(0)
    await own.close()
    expect(await ours()).toEqual(before)
  }, 30_000)
})

describe('triggers', () => {
  test("kspec's own launching fires no trigger: a traceoff on fork sees the workload's fork, not the spawner's", async () => {
    const own = recorder()
    const d = defineTrace({ events: [{ name: 'sched:sched_process_fork', triggers: ['traceoff:1'] }, 'syscalls:sys_enter_openat'] })
    try {
      const trace = await own.record(d, 'cat /etc/hostname > /dev/null; cat /etc/passwd > /dev/null')
      const forks = trace.eventsNamed('sched_process_fork')
      expect(forks).toHaveLength(1)
      expect(forks[0].fields.pid).toBe(trace.workload!.pid)
      // The workload ran traced up to its first fork: the shell's own openat calls are there.
      expect(trace.eventsNamed('sys_enter_openat').length).toBeGreaterThan(0)
    } finally {
      await own.close()
    }
  })

  test("scheduler records of kspec's launching (waking the workload, switching to the spawner) are not in a workload-scoped trace", async () => {
    const own = recorder()
    try {
      const trace = await own.record(defineTrace({ events: ['sched:sched_switch', 'sched:sched_waking', 'sched:sched_wakeup'] }), ['sleep', '0.05'])
      const spawner = Number(/# kspec: spawner pid (\d+)/.exec(readFileSync(trace.source, 'utf8'))![1])
      const kspecs = [spawner, process.pid]
      const about = trace.ofKind('event').filter((e) => kspecs.includes(e.pid!) || [e.fields.pid, e.fields.next_pid, e.fields.prev_pid].some((p) => kspecs.includes(p as number)))
      expect(about.map((e) => `${e.task}-${e.pid} ${e.name}`)).toEqual([])
      // The workload's own are there.
      expect(trace.eventsNamed('sched_switch').some((e) => e.fields.prev_pid === trace.workload!.pid)).toBe(true)
    } finally {
      await own.close()
    }
  })

  test("kspec's own fork of the workload fires no trigger that ignores tracing_on: enable_event on fork turns sched_switch on at the workload's fork, not before", async () => {
    const d = defineTrace({ events: [{ name: 'sched:sched_process_fork', triggers: ['enable_event:sched:sched_switch'] }] })
    const trace = await r.record(d, ['sh', '-c', 'sleep 0.02; ( echo forked > /dev/null ); sleep 0.02'])
    const [fork] = trace.eventsNamed('sched_process_fork')
    expect(fork).toBeDefined()
    expect(trace).toHaveEvent('sched_switch')
    const before = trace.eventsNamed('sched_switch').filter((e) => e.line < fork.line)
    expect(before).toEqual([])
  })

  test('a trigger starts fresh in every test: traceoff:1 spent by one test still stops the next', async () => {
    const own = recorder()
    const d = defineTrace({ events: [{ name: 'syscalls:sys_enter_openat', triggers: ['traceoff:1'] }, 'syscalls:sys_enter_close'] })
    try {
      for (let run = 0; run < 2; run++) {
        const trace = await own.record(d, ['cat', '/etc/hostname', '/etc/passwd'])
        // The first openat stops tracing: no close after it is recorded, in either test.
        expect(trace.eventsNamed('sys_enter_close').filter((e) => e.line > trace.eventsNamed('sys_enter_openat')[0].line)).toEqual([])
      }
    } finally {
      await own.close()
    }
  })
})
