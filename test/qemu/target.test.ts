import { createHash } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, test } from 'kspec'
import { TargetError, WorkloadTimeoutError } from '../../src/errors.js'
import { QemuTarget } from '../../src/kernel/qemu/target.js'
import { kernelConfig } from '../../src/kernel/config.js'
import { DEBIAN_BACKPORTS_TRACING_CONFIG, DEBIAN_TRACING_CONFIG } from '../../src/kernel/qemu/kernel.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { kprobe, kretprobe } from '../../src/spec/probes.js'
import { fetchArgProblem } from '../../src/spec/fetch-args.js'
import { probeFeatures } from '../../src/tracefs/features.js'
import { Recorder } from '../../src/tracefs/recorder.js'
import { tempDir } from '../helpers.js'
import type { Trace } from '../../src/trace/trace.js'

/**
 * Debian's kernel booted under QEMU (KVM where it works, TCG here), with the five ftrace
 * techniques of the seed document run for real. CI installs qemu-system-x86,
 * busybox-static and a C compiler; without them these tests fail, they never skip.
 */
const vm = new QemuTarget({ kernel: 'debian' })
const r = new Recorder(vm)
/** This process's QEMU children still alive (zombies excluded). */
const qemus = () =>
  execFileSync('ps', ['--ppid', String(process.pid), '-o', 'stat=,comm=']).toString().split('\n').filter((l) => /qemu-system/.test(l) && !l.trim().startsWith('Z')).join('\n')

beforeAll(async () => {
  await vm.ready()
}, 180_000)

afterAll(async () => {
  await r.close()
  expect(await vm.list('instances')).toEqual([])
  expect((await vm.read('kprobe_events')).trim()).toBe('')
  expect((await vm.read('current_tracer')).trim()).toBe('nop')
  // Every arming's undo note went with its teardown.
  expect(await vm.notes()).toEqual([])
  await vm.close()
  expect(qemus()).toBe('')
}, 60_000)

describe('the target', () => {
  test('boots Debian 6.1 with every seed technique available', async () => {
    const f = await probeFeatures(vm)
    expect(f.release).toMatch(/^6\.1\.\d+-\d+-amd64$/)
    expect(f.tracers).toEqual(expect.arrayContaining(['function_graph', 'function', 'nop']))
    expect(f.instanceTracers).toEqual(['function', 'nop'])
    expect(f).toMatchObject({ kprobes: true, uprobes: true, instances: true, filterFunctions: true })
    expect([...f.eventTriggers!]).toEqual(expect.arrayContaining(['hist', 'snapshot', 'stacktrace', 'traceoff', 'enable_hist']))
    // What skips on the host promise of --kernel debian, its configuration has.
    const config = await kernelConfig('debian')
    expect(config?.file).toMatch(/\/boot\/config-6\.1\.\S+-amd64$/)
    expect(DEBIAN_TRACING_CONFIG.filter((o) => !config!.options.has(o))).toEqual([])
    expect(config!.options.has('CONFIG_FUNCTION_PROFILER')).toBe(false)
    // …and what --kernel debian-backports promises for the rest (fprobes, BTF names), its package's configuration has.
    const backports = await kernelConfig('debian-backports')
    expect(backports?.file).toMatch(/\/boot\/config-6\.\d+\.\S+-amd64$/)
    expect(DEBIAN_BACKPORTS_TRACING_CONFIG.filter((o) => !backports!.options.has(o))).toEqual([])
    expect(DEBIAN_BACKPORTS_TRACING_CONFIG.filter((o) => !config!.options.has(o))).toEqual(['CONFIG_FPROBE_EVENTS', 'CONFIG_PROBE_EVENTS_BTF_ARGS'])
    expect(vm.vm?.accel).toMatch(/^(kvm|tcg)$/)
  })

  test('kernel refusals come back as the errno the host target raises', async () => {
    await expect(vm.write('current_tracer', 'bogus')).rejects.toMatchObject({ code: 'EINVAL', path: 'current_tracer' })
    await expect(vm.read('no_such_file')).rejects.toBeInstanceOf(TargetError)
    await expect(vm.rmdir('instances/no_such_instance')).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await vm.exists('no_such_file')).toBe(false)
    expect(await vm.exists('trace')).toBe(true)
  })

  test('binary-safe: a 10 MB file comes out of the guest byte for byte', async () => {
    const s = await vm.spawner()
    await s.run({ shell: 'dd if=/dev/urandom of=/tmp/big bs=1M count=10 2>/dev/null; md5sum /tmp/big' }, 60_000).then((res) => {
      expect(res.exitCode).toBe(0)
      return s.close().then(() => res)
    }).then(async (res) => {
      const big = await vm.readFile('/tmp/big')
      expect(big.length).toBe(10 << 20)
      expect(res.stdout.split(' ')[0]).toBe(createHash('md5').update(big).digest('hex'))
    })
  }, 60_000)
})

describe("fetch arguments: kspec's parser against the kernel's own answers", () => {
  /** The kernel's verdict on one argument: taken, or the caret's place in the body (from error_log). */
  async function kernelSays(file: 'kprobe_events' | 'uprobe_events', place: string, body: string): Promise<'taken' | number> {
    const head = `p:kspec_syntax/t ${place} a=`
    await vm.write('error_log', '')
    const taken = await vm.append(file, head + body).then(() => true, () => false)
    if (taken) {
      await vm.append(file, '-:kspec_syntax/t')
      return 'taken'
    }
    const log = (await vm.read('error_log')).split('\n')
    const command = log.findIndex((l) => l.startsWith('  Command: '))
    expect(command, log.join('\n')).toBeGreaterThan(0)
    return log[command + 1].indexOf('^') - '  Command: '.length - head.length
  }

  const SELFTEST = ['$retval', '$stack10000', '$arg10000', '$none_var', '%none_reg', '@12345678abcde', '@+10', '+0@0)', '+0ab1(@0)', '+0(+0(@0)', '+0($comm)', '&1',
    '+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))))', '+0(@11):u8[10', '+0(@11):u8[10]a', '+0(@11):u8[10a]', '+0(@11):u8[256]', '@11:unknown_type',
    '$stack0:string', '@11:b10@a/16', '+1234567(+1234567(+1234567(+1234567(+1234567(+1234567(@1234))))))']
  const KPROBE_OK = ['+0(+8(%di)):string', '+0($arg2):u8[10]', '$arg1:s32', '+0($arg2):string', '$comm', '+u0(%si):u32', '-8(%bp):s64', '@jiffies:u64', '@jiffies+8', '$stack', '\\1234', '\\"hello"', '+0(%di):b4@2/8', '%ax:symbol', '+16(+0(%di)):u16[4]', '+0(%di)))))', '%di:x64', '$stack3']
  const UPROBE = ['%di:x64', '+0(%di):ustring', '@+0x1000:u32', '$comm:string', '$stack3:x64', '$arg1', '$retval', '@jiffies', '+0(%di)))))']

  /** Each body where kspec's verdict (taken, or the caret's place) is not the kernel's. */
  async function disagreements(file: 'kprobe_events' | 'uprobe_events', place: string, type: 'kprobe' | 'uprobe', bodies: string[]): Promise<string[]> {
    const out: string[] = []
    for (const body of bodies) {
      const kernel = await kernelSays(file, place, body)
      const ours = fetchArgProblem(body, type)
      const said = ours === undefined ? 'taken' : ours.at
      if (said !== kernel) out.push(`${body}: the kernel ${kernel === 'taken' ? 'takes it' : `refuses it at ${kernel}`}, kspec ${said === 'taken' ? 'takes it' : `refuses it at ${said} (${ours!.message})`}`)
    }
    return out
  }

  test('every kprobe argument: kspec refuses what Debian 6.1 refuses, with its caret, and takes what it takes', async () => {
    expect(await disagreements('kprobe_events', 'vfs_read', 'kprobe', [...SELFTEST, ...KPROBE_OK])).toEqual([])
  }, 120_000)

  test("uprobe arguments too (on the guest's busybox)", async () => {
    expect(await disagreements('uprobe_events', '/bin/busybox:0x1000', 'uprobe', UPROBE)).toEqual([])
  }, 120_000)
})

describe("modules: loaded for a test, unloaded after it", () => {
  const loaded = async () => (await vm.modules()) ?? []

  test('null_blk from the package, with its parameters: its function resolves, its handler is traced, and it is gone after', async () => {
    const decl = defineTrace({ modules: [{ name: 'null_blk', params: { nr_devices: 1 } }], tracer: 'function', functions: ['null_queue_rq'], funcStackTrace: true })
    const trace = await r.record(decl, 'dd if=/dev/nullb0 of=/dev/null bs=4k count=8 iflag=direct', { timeoutMs: 60_000 })
    expect(trace.workload?.exitCode).toBe(0)
    expect(trace).toCall('null_queue_rq').within('blk_mq_submit_bio')
    expect(await loaded()).not.toContain('null_blk')
    // Loaded again by the next test that asks: nothing of the last one stays.
    const again = await r.record(decl, 'dd if=/dev/nullb0 of=/dev/null bs=4k count=1 iflag=direct', { timeoutMs: 60_000 })
    expect(again.ofKind('function').length).toBeGreaterThan(0)
    expect(await loaded()).not.toContain('null_blk')
  }, 120_000)

  test("a module that does not load: modprobe's words and the kernel's log lines, and nothing stays loaded or armed", async () => {
    const bad = await r.record(defineTrace({ modules: [{ name: 'null_blk', params: { nr_devices: 'abc' } }], events: ['syscalls:sys_enter_openat'] }), 'true').catch((e) => e)
    expect(bad.message).toMatch(/^the module null_blk did not load \(modprobe null_blk nr_devices=abc\): modprobe: can't load module null_blk .*Invalid argument\nthe kernel said:\n {2}null_blk: `abc' invalid for parameter `nr_devices'/)
    const missing = await r.record(defineTrace({ modules: ['no_such_module_kspec'], events: ['syscalls:sys_enter_openat'] }), 'true').catch((e) => e)
    expect(missing.message).toMatch(/^the module no_such_module_kspec did not load .*not found/)
    expect(await loaded()).not.toContain('null_blk')
    expect(await vm.list('instances')).toEqual([])
  }, 120_000)
})

describe("the seed's five techniques on Debian's kernel", () => {
  test('1. the function tracer filtered to __x64_sys_openat: called from do_syscall_64', async () => {
    const trace = await r.record(defineTrace({ tracer: 'function', functions: ['__x64_sys_openat'] }), 'ls -hl /')
    expect(trace).toCall('__x64_sys_openat').within('do_syscall_64')
    expect(new Set(trace.ofKind('function').map((f) => f.func))).toEqual(new Set(['__x64_sys_openat']))
  })

  test('2. func_stack_trace: the stack holds do_syscall_64 and the syscall entry point', async () => {
    const trace = await r.record(defineTrace({ tracer: 'function', functions: ['__x64_sys_openat'], funcStackTrace: true }), 'ls -hl /')
    expect(trace).toHaveStack(['__x64_sys_openat', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'])
    expect(trace).toCall('__x64_sys_openat').within('entry_SYSCALL_64_after_hwframe')
  })

  test('3. function_graph under __x64_sys_openat, depth 3: do_filp_open inside it, within a time budget', async () => {
    const trace = await r.record(defineTrace({ tracer: 'function_graph', graphFunctions: ['__x64_sys_openat'], maxGraphDepth: 3 }), 'ls -hl /')
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat')
    expect(trace).toCall('do_filp_open').within('__x64_sys_openat').lastingAtMost('100ms')
    expect(Math.max(...trace.roots.map((n) => n.depth))).toBe(0)
    expect(trace.callsOf('do_filp_open').every((c) => c.depth === 2)).toBe(true)
  })

  test('4. the sys_enter_openat tracepoint, fields typed from its format', async () => {
    const trace = await r.record(defineTrace({ events: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'] }), 'cat /proc/version')
    expect(trace).toHaveEvent('syscalls:sys_enter_openat', { dfd: -100 })
    expect(trace).toReturnFrom('openat', 3)
  })

  test('5. kprobe with x86-64-correct fetch args and a kretprobe: the filename the workload opens', async () => {
    const d = defineTrace({ kprobes: [kprobe('do_sys_openat2', { dfd: '$arg1:s32', fname: '+0($arg2):string' }), kretprobe('do_sys_openat2', { ret: '$retval:s64' })] })
    const trace = await r.record(d, 'cat /proc/version /nonexistent')
    expect(trace).toHaveEvent('do_sys_openat2', { dfd: -100, fname: '/proc/version' })
    expect(trace).toHaveEvent('do_sys_openat2', { fname: '/nonexistent' })
    expect(trace).toReturnFrom('do_sys_openat2', -2)
    expect(trace).toReturnFrom('do_sys_openat2', 3)
  })
})

describe("the kernel's tracing state, read before teardown", () => {
  test("a hist trigger's table: an entry per program the workload ran, counted", async () => {
    const execs = defineTrace({ events: [{ name: 'sched:sched_process_exec', triggers: ['hist:keys=filename:vals=hitcount:sort=hitcount'] }] })
    const trace = await r.record(execs, ['sh', '-c', 'cat /etc/hostname; cat /etc/hostname; true'])
    expect(trace).toHaveHistogramEntry('sched:sched_process_exec', { filename: /\/cat$/ }, { hitcount: 2 })
    expect(trace).not.toHaveHistogramEntry('sched_process_exec', { filename: /\/ls$/ })
    const [h] = trace.state!.histograms['sched:sched_process_exec']
    expect(h.trigger).toMatch(/^hist:keys=filename:vals=hitcount:sort=hitcount:size=\d+ \[active\]$/)
    // sh itself and cat twice: every exec of the workload, nothing of kspec's launching.
    expect(h.totals).toMatchObject({ hits: 3, dropped: 0 })
  })

  test('a traceoff trigger turns tracing off mid-workload: the state says so, and the trace stops there', async () => {
    const stop = defineTrace({ events: ['sched:sched_process_exec', { name: 'syscalls:sys_enter_openat', triggers: ['traceoff:1'] }] })
    const trace = await r.record(stop, ['sh', '-c', 'cat /etc/hostname > /dev/null; /bin/true'])
    expect(trace.state!.tracingOn).toBe(false)
    expect(trace).not.toHaveEvent('sched_process_exec', { filename: /true$/ })
    const on = await r.record(defineTrace({ events: ['sched:sched_process_exec'] }), ['true'])
    expect(on.state!.tracingOn).toBe(true)
  })
})

describe('leftovers of a dead run', () => {
  test("the janitor removes a dead run's probes of every kind: a kretprobe with maxactive (r10:) and an eprobe (e:) too", async () => {
    // As a kill -9'd run would leave them: owned by a pid no process has.
    const dead = 4_000_000
    await vm.append('kprobe_events', `r10:kspec_${dead}_1/left_ret vfs_read`)
    await vm.append('dynamic_events', `e:kspec_${dead}_2/left_e sched.sched_switch`)
    const { sweep } = await import('../../src/tracefs/janitor.js')
    const swept = await sweep(vm)
    expect(swept.probes.sort()).toEqual([`kspec_${dead}_1/left_ret`, `kspec_${dead}_2/left_e`])
    // Only the dead run's: this file's own parked armings keep theirs.
    expect((await vm.read('dynamic_events')).split('\n').filter((l) => l.includes(`kspec_${dead}_`))).toEqual([])
  })
})

describe('undo notes: what a kill -9 cannot put back, the next run does', () => {
  // As a run killed with kill -9 leaves them: changed, with its note, owned by a pid no process has.
  const dead = 4_000_001
  const keys = async () => (await vm.notes()).map((n) => n.key).sort()

  test("a dead run's stack tracer, left on, is put back by the next run that takes it, before that run saves what it found; a live run's note is there while it runs", async () => {
    // The recorder's sweep at its start (features()) is past: this run alone can put it back.
    await r.features()
    await vm.writeSysctl('kernel.stack_tracer_enabled', '1')
    await vm.writeNote(`${dead}-stack`, JSON.stringify({ kind: 'stack', saved: { enabled: '0', maxSize: '0', filter: '' } }))
    const trace = await r.record(defineTrace({ stackTracer: true }), 'ls /tmp/kspec-undo')
    expect(trace.workload!.stdout.split('\n')).toContain(`${process.pid}-stack.json`)
    expect(trace.workload!.stdout).not.toContain(`${dead}-stack`)
    expect(trace.state!.stack!.frames.length).toBeGreaterThan(0)
    // Without the note the run would have found the switch on, and put it back on.
    expect((await vm.readSysctl('kernel.stack_tracer_enabled'))!.trim()).toBe('0')
    expect(await keys()).toEqual([])
  })

  test("the sweep undoes a dead run's instance held busy by hist actions, the synthetic event they fire, and its stack tracer", async () => {
    const dir = `instances/kspec_${dead}_7`
    await vm.mkdir(dir)
    await vm.append('synthetic_events', 'left_lat u64 lat')
    const waking = { file: `${dir}/events/sched/sched_waking/trigger`, trigger: 'hist:keys=pid:ts0=common_timestamp.usecs' }
    const sw = { file: `${dir}/events/sched/sched_switch/trigger`, trigger: 'hist:keys=next_pid:lat=common_timestamp.usecs-$ts0:onmatch(sched.sched_waking).left_lat($lat)' }
    for (const t of [waking, sw]) await vm.append(t.file, t.trigger)
    // What the kernel does without the note: the instance cannot go, nor the event it fires.
    await expect(vm.rmdir(dir)).rejects.toMatchObject({ code: 'EBUSY' })
    await vm.writeNote(`${dead}-arming-7`, JSON.stringify({ kind: 'arming', dir: `${dir}/`, functionTriggers: [], eventTriggers: [sw, waking], eventFilters: [], snapshot: false, synthetic: ['left_lat'] }))
    await vm.writeSysctl('kernel.stack_tracer_enabled', '1')
    await vm.writeNote(`${dead}-stack`, JSON.stringify({ kind: 'stack', saved: { enabled: '0', maxSize: '0', filter: '' } }))
    // A note that does not read as kspec writes it (a path outside kspec's own) is left alone, and named.
    await vm.writeNote(`${dead}-arming-8`, JSON.stringify({ kind: 'arming', dir: '../../', functionTriggers: [], eventTriggers: [], eventFilters: [], snapshot: false, synthetic: [] }))
    const { sweep } = await import('../../src/tracefs/janitor.js')
    const swept = await sweep(vm)
    expect(swept.instances).toContain(`kspec_${dead}_7`)
    expect(swept.undone.sort()).toEqual(['synthetic event left_lat', 'the stack tracer as a dead run found it'])
    expect(swept.unreadableNotes).toEqual([`${dead}-arming-8`])
    expect(await vm.exists(dir)).toBe(false)
    expect(await vm.exists('events/synthetic/left_lat')).toBe(false)
    expect((await vm.readSysctl('kernel.stack_tracer_enabled'))!.trim()).toBe('0')
    expect(await keys()).toEqual([`${dead}-arming-8`])
    await vm.dropNote(`${dead}-arming-8`)
  })

  test("a dead run's probe in a group it chose, still enabled, is removed by the next run that takes the group, whose own probe of that name would clash with it", async () => {
    await r.features()
    await vm.append('kprobe_events', 'p:ftt_grp/left vfs_read')
    await vm.write('events/ftt_grp/left/enable', '1')
    await vm.writeNote(`${dead}-arming-5`, JSON.stringify({ kind: 'arming', dir: `instances/kspec_${dead}_5/`, functionTriggers: [], eventTriggers: [], eventFilters: [], snapshot: false, synthetic: [], probes: [{ file: 'kprobe_events', group: 'ftt_grp', name: 'left' }] }))
    // A live run's note names its probes while it runs.
    const trace = await r.record(defineTrace({ probeGroup: 'ftt_grp', kprobes: [kprobe('vfs_read', {}, 'left')] }), ['sh', '-c', 'cat /tmp/kspec-undo/*.json'])
    expect(trace.state!.probes).toEqual(['p:ftt_grp/left vfs_read'])
    expect(trace.workload!.stdout).toContain('"probes":[{"file":"kprobe_events","group":"ftt_grp","name":"left"}]')
    expect(trace.workload!.stdout).not.toContain(`kspec_${dead}_5`)
    expect(await vm.exists('events/ftt_grp')).toBe(false)
    expect(await keys()).toEqual([])
    // The README's example: the chosen group named in events, with a filter and a trigger on the probe's event.
    const opens = defineTrace({
      probeGroup: 'mydrv',
      kprobes: [kprobe('do_sys_openat2', { name: '+0($arg2):string' }, 'open')],
      events: [{ name: 'mydrv:open', filter: 'name ~ "/etc/*"', triggers: ['stacktrace'] }],
    })
    const etc = await r.record(opens, ['cat', '/etc/hostname'])
    const opened = etc.eventsNamed('open').filter((e) => e.task === 'cat')
    expect(opened.map((e) => e.fields.name)).toContain('/etc/hostname')
    expect(opened.every((e) => String(e.fields.name).startsWith('/etc/'))).toBe(true)
    expect(opened.find((e) => e.fields.name === '/etc/hostname')?.stack).toEqual(expect.arrayContaining([expect.stringMatching(/^(do_sys_openat2|__x64_sys_openat)\b/)]))
    // kspec's own groups are its own; a group without probes is a mistake.
    expect(() => defineTrace({ probeGroup: 'kspec_1_1', kprobes: [kprobe('vfs_read')] })).toThrow(/probe groups kspec_\* are kspec's own/)
    expect(() => defineTrace({ probeGroup: 'mine', events: ['sched:sched_switch'] })).toThrow(/probeGroup names the group of the declaration's probes, and it has none/)
  })

  test("a dead run's top level (function_graph is top-level only on 6.1) is put back by the next run that takes it", async () => {
    await r.features()
    // The dead run had turned on an event and a filter of its own at the top level.
    await vm.append('set_event', 'sched:sched_process_exec')
    await vm.write('events/sched/sched_process_exec/filter', 'pid > 1')
    const saved = { files: { tracing_on: await vm.read('tracing_on'), current_tracer: await vm.read('current_tracer'), set_event: await vm.read('set_event').then((s) => s.replace('sched:sched_process_exec\n', '')) } }
    await vm.writeNote(`${dead}-arming-9`, JSON.stringify({ kind: 'arming', dir: '', saved, functionTriggers: [], eventTriggers: [], eventFilters: ['events/sched/sched_process_exec/filter'], snapshot: false, synthetic: [] }))
    const trace = await r.record(defineTrace({ tracer: 'function_graph', graphFunctions: ['__x64_sys_openat'], maxGraphDepth: 2 }), 'ls /tmp/kspec-undo')
    expect(trace.workload!.stdout).toMatch(new RegExp(`^${process.pid}-arming-\\d+\\.json$`, 'm'))
    expect(await vm.read('set_event')).not.toContain('sched_process_exec')
    expect((await vm.read('events/sched/sched_process_exec/filter')).trim()).toBe('none')
    expect(await keys()).not.toContain(`${dead}-arming-9`)
  })
})

describe('large traces out of the guest', () => {
  test('several MB of trace_pipe come out whole: no line torn at a megabyte (the agent closed trace_pipe there, and the kernel dropped the rest of that line)', async () => {
    // A module's functions with sym-offset and sym-addr: ~130-byte lines, ~4 MB.
    const fs = ['vfs_*', 'ksys_*', 'rw_verify_area', '*fdget*', 'fput*', 'security_file_permission', '__fsnotify_parent', 'ovl_*']
    const trace = await r.record(defineTrace({ tracer: 'function', functions: fs, options: { 'sym-offset': true, 'sym-addr': true }, bufferSizeKb: 16384 }), ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=3000'])
    expect(trace.problems).toEqual([])
    expect(trace.loss).toMatchObject({ overwritten: 0, lostEvents: 0 })
    const fns = trace.ofKind('function')
    expect(fns.length).toBeGreaterThan(25_000)
    // One write a byte, every one of them read.
    expect(fns.filter((f) => f.func === 'ksys_write' && f.task === 'dd').length).toBeGreaterThanOrEqual(3000)
  }, 300_000)

  test("a top-level buffer too small: the error names the size the run had, not the one teardown put back", async () => {
    const small = defineTrace({ tracer: 'function_graph', graphFunctions: ['vfs_read', 'vfs_write'], bufferSizeKb: 64 })
    const err = await r.record(small, ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=1', 'count=3000']).catch((e) => e)
    const now = /^the trace is incomplete: \d+ event\(s\) lost .*Give the declaration a larger buffer \(bufferSizeKb: \d+, now (\d+)\)/.exec(err.message)
    expect(now, err.message).not.toBeNull()
    // The kernel rounds the size up to whole pages per CPU (64 → 67); teardown puts back Debian's 7.
    expect(Number(now![1])).toBeGreaterThanOrEqual(64)
    expect(Number(now![1])).toBeLessThan(128)
  }, 300_000)
})

describe('failures in the guest', () => {
  test('a workload past its timeout is killed in the guest, and the VM goes on', async () => {
    const d = defineTrace({ events: ['sched:sched_process_exit'] })
    const err = await r.record(d, 'sleep 30', { timeoutMs: 500 }).catch((e) => e)
    expect(err).toBeInstanceOf(WorkloadTimeoutError)
    expect(await r.record(d, 'true')).toHaveEvent('sched_process_exit')
  }, 60_000)

  test('a function filter of several entries holds them all in the guest (the agent writes what tracefs takes short), and is read back', async () => {
    const trace = await r.record(defineTrace({ tracer: 'function', functions: ['do_sys_openat2', 'kernel_clone'] }), 'cat /proc/version > /dev/null; true')
    expect([...new Set(trace.ofKind('function').map((f) => f.func))].sort()).toEqual(['do_sys_openat2', 'kernel_clone'])
    // The read-back check: a filter that lacks an entry is an error, never a trace without it.
    const { checkFilter } = await import('../../src/tracefs/arm.js')
    await vm.write('set_ftrace_notrace', 'kernel_clone')
    try {
      await expect(checkFilter(vm, 'set_ftrace_notrace', ['kernel_clone', 'do_sys_open*'])).rejects.toThrow('set_ftrace_notrace does not hold "do_sys_open*" after kspec wrote "kernel_clone\\ndo_sys_open*" (it lists 1 function(s)): the kernel took only part of the filter')
      await expect(checkFilter(vm, 'set_ftrace_notrace', ['kernel_*'])).resolves.toBeUndefined()
    } finally {
      await vm.write('set_ftrace_notrace', '')
    }
  }, 60_000)

  test('in the guest too, a background child is killed when the workload ends and its events stay out of the next test', async () => {
    const d = defineTrace({ events: ['sched:sched_process_exit'] })
    const pids = (t: Trace) => new Set(t.ofKind('event').map((e) => e.pid))
    const first = await r.record(d, '(sleep 1; cat /proc/version) & sleep 0.2')
    const left = first.workload!.background
    expect(left).toMatchObject({ policy: 'kill', containedBy: 'process group', outcome: 'killed' })
    expect(left.processes.map((p) => p.comm)).toContain('sleep')
    const second = await r.record(d, 'sleep 1.5')
    expect(left.processes.filter((p) => pids(second).has(p.pid))).toEqual([])
    const waited = await r.record(d, '(sleep 0.3; cat /proc/version > /dev/null) & sleep 0.1')
    expect(waited.workload!.background.outcome).toBe('killed')
    const patient = await r.record(d, '(sleep 0.3; cat /proc/version > /dev/null) & sleep 0.1', { background: 'wait' })
    const waitedFor = patient.workload!.background
    expect(waitedFor.outcome).toBe('waited')
    // Each process it waited for exited inside this test's trace.
    expect(waitedFor.processes.length).toBeGreaterThan(0)
    for (const p of waitedFor.processes) expect(pids(patient).has(p.pid)).toBe(true)
  }, 60_000)

  test('files from the config are placed in the guest; a kernel crash mid-test ends that VM with its console log, never a hang', async () => {
    const { writeFileSync } = await import('node:fs')
    const { join } = await import('node:path')
    const script = join(tempDir('kspec-guest-'), 'hello.sh')
    writeFileSync(script, '#!/bin/sh\necho "hello from $(uname -r)"\n')
    const doomed = new QemuTarget({ kernel: 'debian', files: [{ from: script, to: '/opt/tests/hello.sh' }] })
    try {
      await doomed.ready()
      // Placed in the root the workloads see: the host's, shared (the initramfs is gone by then).
      expect(doomed.userspace?.shared).toBe(true)
      const s = await doomed.spawner()
      const hello = await s.run({ argv: ['/opt/tests/hello.sh'] }, 30_000)
      expect(hello).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^hello from 6\.1\.\S+\n$/) })
      const err = await s.run({ shell: 'echo c > /proc/sysrq-trigger' }, 60_000).catch((e) => e)
      expect(err).toBeInstanceOf(Error)
      expect(err.message).toMatch(/^the VM running debian-6\.1\.\S+ went away \(crashed, panicked or was killed\); console log: \S+console-debian\S+\.log$/)
      expect(await doomed.console()).toMatch(/sysrq: Trigger a crash[\s\S]*Kernel panic/)
    } finally {
      await doomed.close()
    }
  }, 180_000)
})
