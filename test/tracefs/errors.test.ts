import { expect, test } from 'vitest'
import { TracefsError, UnsupportedError } from '../../src/errors.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { fprobe, kprobe, tprobe, uprobe } from '../../src/spec/probes.js'
import { libcPath } from '../../src/spec/libs.js'
import { checkFunctions } from '../../src/tracefs/functions.js'
import { eventTriggers, probeFeatures, type Features } from '../../src/tracefs/features.js'
import { plan } from '../../src/tracefs/requirements.js'
import { diff, snapshot } from '../../src/tracefs/state.js'
import { host, ours, recorder } from '../live.js'

test('unknown function names are caught before tracing, with a did-you-mean from the kernel', async () => {
  const features = await probeFeatures(host)
  const err = await checkFunctions(host, features, ['do_filp_opn', 'vfs_read', 'ext4_*']).catch((e) => e)
  expect(err).toBeInstanceOf(TracefsError)
  expect(err.message.replace(features.release, '<release>')).toMatchInlineSnapshot(`
    "a function of the declaration cannot be traced on <release>:
      do_filp_opn: not in /proc/kallsyms — did you mean do_filp_open?
    Functions get renamed, inlined or marked notrace between kernels; use a name from /proc/kallsyms."
  `)
})

test('a probe the kernel rejects shows its error_log line with the caret', async () => {
  const r = recorder()
  // An argument name the kernel keeps for itself: only the kernel says so (fetch arguments kspec checks first).
  const bad = defineTrace({ uprobes: [uprobe(libcPath(), 'open', { common_pid: '%di' })] })
  const err = await r.record(bad, 'true').catch((e) => e)
  await r.close()
  expect(err).toBeInstanceOf(TracefsError)
  const lines = err.message.split('\n')
  // The kernel's words first, then the errno and what to do.
  expect(lines[0]).toMatch(/^tracefs refused "p:kspec_\d+_\d+\/open \S+:0x[0-9a-f]+ common_pid=%di" in uprobe_events: trace_uprobe: error: This argument name is already used$/)
  expect(lines[3]).toBe('(EINVAL: the kernel did not accept the value.)')
  const command = lines[1]
  const caret = lines[2].indexOf('^')
  expect(command).toMatch(/^\s+Command: p:kspec_/)
  expect(command.slice(caret)).toBe('common_pid=%di')
  expect(await ours()).toEqual([])
})

test('a symbol missing from the binary gets a did-you-mean from its symbol table', async () => {
  const r = recorder()
  const err = await r.record(defineTrace({ uprobes: [uprobe(libcPath(), 'opne')] }), 'true').catch((e) => e)
  await r.close()
  expect(err.message).toContain(`has no function symbol "opne" — did you mean`)
  expect(await ours()).toEqual([])
})

test('EBUSY on a probe still enabled is explained in terms of what to do', async () => {
  const { tracefsWrite } = await import('../../src/tracefs/explain.js')
  const group = `kspec_${process.pid}_busy`
  const dir = `instances/${group}`
  const { symbolOffset } = await import('../../src/tracefs/elf.js')
  const offset = symbolOffset(await host.readFile(libcPath()), 'open')!
  await host.append('uprobe_events', `p:${group}/x ${libcPath()}:0x${offset.toString(16)}`)
  await host.mkdir(dir)
  try {
    await host.write(`${dir}/events/${group}/x/enable`, '1')
    const err = await tracefsWrite(host, 'uprobe_events', `-:${group}/x`, { append: true }).catch((e) => e)
    expect(err.code).toBe('EBUSY')
    expect(err.message).toContain('a probe of this group is still enabled in some instance; disable it there')
  } finally {
    await host.write(`${dir}/events/${group}/x/enable`, '0')
    await host.rmdir(dir)
    await host.append('uprobe_events', `-:${group}/x`)
  }
})

test('a change to global tracefs state is detected, kspec objects aside', async () => {
  const before = await snapshot(host)
  await host.mkdir('instances/leak_test')
  await host.mkdir(`instances/kspec_${process.pid}_77`)
  try {
    expect(diff(before, await snapshot(host))).toEqual([`instances: ${JSON.stringify(before.instances)} → ${JSON.stringify([before.instances, 'leak_test'].filter(Boolean).join(' '))}`])
  } finally {
    await host.rmdir('instances/leak_test')
    await host.rmdir(`instances/kspec_${process.pid}_77`)
  }
  expect(diff(before, await snapshot(host))).toEqual([])
})

test('requirements: each unmet need is a skip reason naming the kernel and what it offers', () => {
  const f: Features = {
    release: '6.18.44', tracers: ['blk', 'function', 'nop'], instanceTracers: ['function', 'nop'], instances: true,
    refused: new Map([['function', 'EPERM']]), probed: new Set(['function']), kprobes: false, uprobes: true, stackTracer: false, snapshot: false, eprobes: true, fprobes: false, tprobes: false, btfArgs: false, btfFields: false, notracePids: true, synthetic: false, functionTriggers: undefined, options: new Set(['stacktrace']), clocks: ['local', 'global'], filterFunctions: false, root: true,
    eventTriggers: new Set(['traceon', 'traceoff', 'enable_event', 'disable_event', 'stacktrace']), modules: false,
  }
  expect(plan(defineTrace({ tracer: 'function_graph' }), f)).toMatchObject({ unmet: ['function_graph is not available on 6.18.44 (available: blk function nop; CONFIG_FUNCTION_GRAPH_TRACER is off)'], needs: ['CONFIG_FUNCTION_GRAPH_TRACER'] })
  expect(plan(defineTrace({ tracer: 'function' }), f).needs).toEqual(['CONFIG_FUNCTION_TRACER'])
  expect(plan(defineTrace({ tracer: 'function' }), f).unmet).toEqual(['function is refused on 6.18.44: selecting it fails with EPERM (a lockdown or a security module forbids the function tracer)'])
  expect(plan(defineTrace({ events: ['sched:sched_switch'], options: { 'record-tgid': true }, clock: 'x86-tsc' }), f).unmet).toEqual([
    'the trace option record-tgid is not available on 6.18.44',
    'the trace clock x86-tsc is not available on 6.18.44 (available: local global)',
  ])
  expect(plan(defineTrace({ tracer: 'function' }), { ...f, refused: new Map(), instanceTracers: ['nop'] })).toEqual({ unmet: [], needs: [], topLevel: true })
  // fprobes, tprobes and arguments by BTF name: Debian's 6.12 has them, 6.1 and this host do not.
  expect(plan(defineTrace({ fprobes: [fprobe('vfs_read', { count: 'count' }), tprobe('sched_switch')] }), f)).toEqual({
    unmet: [
      "fprobes are not available on 6.18.44 (no f: in the README's dynamic_events syntax: CONFIG_FPROBE_EVENTS is off)",
      "tprobes are not available on 6.18.44 (no t: in the README's dynamic_events syntax: CONFIG_FPROBE_EVENTS is off, or the kernel predates 6.5)",
      'probe arguments by BTF name (vfs_read__entry) are not available on 6.18.44 (no <argname> in the README: CONFIG_PROBE_EVENTS_BTF_ARGS is off, or the kernel predates 6.8)',
    ],
    needs: ['CONFIG_FPROBE_EVENTS', 'CONFIG_PROBE_EVENTS_BTF_ARGS'],
    topLevel: false,
  })
  // A kprobe's arguments by register are no BTF names; by name they are.
  expect(plan(defineTrace({ kprobes: [kprobe('vfs_read', { fd: '%di' })] }), { ...f, kprobes: true }).unmet).toEqual([])
  expect(plan(defineTrace({ kprobes: [kprobe('vfs_read', '$arg*')] }), { ...f, kprobes: true }).needs).toEqual(['CONFIG_PROBE_EVENTS_BTF_ARGS'])
  expect(plan(defineTrace({ modules: ['null_blk'], events: ['block:block_rq_issue'] }), f)).toMatchObject({ unmet: ['kernel modules cannot be loaded on 6.18.44 (no /proc/modules: CONFIG_MODULES is off)'], needs: ['CONFIG_MODULES'] })
  expect(plan(defineTrace({ events: [{ name: 'sched:sched_switch', triggers: ['hist:keys=next_pid', 'snapshot', 'stacktrace'] }] }), f).unmet).toEqual([
    'the event trigger hist is not available on 6.18.44 (CONFIG_HIST_TRIGGERS is off); its triggers: traceon traceoff enable_event disable_event stacktrace',
    'the event trigger snapshot is not available on 6.18.44 (CONFIG_TRACER_SNAPSHOT is off); its triggers: traceon traceoff enable_event disable_event stacktrace',
  ])
})

test("the event trigger commands come from the kernel's README, as ftracetest's requires: lines read them", async () => {
  // This machine's README (no hist here), and the lines Debian 6.1's adds.
  const readme = await host.read('README')
  const here = eventTriggers(readme)
  expect([...here!]).toEqual(expect.arrayContaining(['traceon', 'traceoff', 'enable_event', 'disable_event', 'stacktrace']))
  const debian = readme.replace(/(\n\s*stacktrace\n)(\s*example:)/, '$1\t\t    snapshot\n\t\t    hist (see below)\n\t            enable_hist:<system>:<event>\n$2')
  expect(eventTriggers(debian)).toEqual(new Set([...here!, 'snapshot', 'hist', 'enable_hist']))
  // The function triggers (traceon, traceoff, … for set_ftrace_filter) come earlier in the README and are not counted.
  expect(eventTriggers('no such section')).toBeUndefined()
})

test('a histogram trigger on a kernel without them is skipped as unsupported, not failed with EINVAL', async () => {
  const r = recorder()
  const f = await r.features()
  const err = await r.record(defineTrace({ events: [{ name: 'sched:sched_process_exec', triggers: ['hist:keys=pid'] }] }), 'true').catch((e) => e)
  await r.close()
  if (f.eventTriggers?.has('hist')) {
    // A kernel with them records it; the unsupported path is then the unit test above.
    expect(err).not.toBeInstanceOf(Error)
  } else {
    expect(err).toBeInstanceOf(UnsupportedError)
    expect(err.message).toMatch(/^the event trigger hist is not available on \S+ \(CONFIG_HIST_TRIGGERS is off\)/)
  }
  expect(await ours()).toEqual([])
})

test('an event the kernel does not have is unsupported, with a did-you-mean', async () => {
  const r = recorder()
  const err = await r.record(defineTrace({ events: ['syscalls:sys_enter_opnat'] }), 'true').catch((e) => e)
  await r.close()
  expect(err).toBeInstanceOf(UnsupportedError)
  expect(err.message).toMatch(/^the event syscalls:sys_enter_opnat does not exist on \S+ \(did you mean syscalls:sys_enter_openat/)
  expect(await ours()).toEqual([])
})

test('a filter the kernel refuses: its error_log message comes first, then the errno and the fix', async () => {
  const r = recorder()
  const err = await r.record(defineTrace({ events: [{ name: 'sched:sched_switch', filter: 'prev_pidx == 1' }] }), 'true').catch((e) => e)
  await r.close()
  expect(err).toBeInstanceOf(TracefsError)
  const lines = err.message.split('\n')
  expect(lines[0]).toMatch(/^tracefs refused "prev_pidx == 1" in instances\/kspec_\d+_\d+\/events\/sched\/sched_switch\/filter: event filter parse error: error: Field not found$/)
  expect(lines[1]).toMatch(/^\s+Command: prev_pidx == 1$/)
  expect(lines[3]).toMatch(/^\((EINVAL|ENOENT): check the filter syntax against the event's format fields: "prev_pidx == 1"\.\)$/)
  expect(await ours()).toEqual([])
})
