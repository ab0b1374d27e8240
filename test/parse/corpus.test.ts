import { describe, expect, test } from 'kspec'
import type { CallRecord, EventRecord, MarkerRecord } from '../../src/trace/records.js'
import { fixture } from '../helpers.js'

// Verdicts on traces other people made (test/fixtures/corpus, README there says where each
// came from), each checked by reading the file by hand.
const corpus = (path: string) => fixture(`corpus/${path}`)

describe('perf-tools examples (Linux 3.x, x86_64)', () => {
  test('function_graph with durations past a second, printed out of their column', async () => {
    const trace = await corpus('perf-tools/funcgraph_depth3_old_durations.txt')
    const [root] = trace.roots
    expect(root.name).toBe('do_nanosleep')
    expect(root.duration).toBe(1000154)
    expect(root.children.map((c) => [c.name, c.duration])).toEqual([
      ['hrtimer_start_range_ns', 1.919],
      ['schedule', 1000149],
      ['hrtimer_cancel', 0.699],
    ])
    expect(trace).toCall('__schedule').within('schedule')
    expect(trace).toCall('xen_evtchn_do_upcall').within('schedule')
    expect(trace).not.toCall('xen_evtchn_do_upcall').within('__schedule')
  })

  test('function_graph without durations (-D): the same tree, no times', async () => {
    const trace = await corpus('perf-tools/funcgraph_no_duration.txt')
    const [root] = trace.roots
    expect(root.name).toBe('do_sys_open')
    expect(root.children.map((c) => c.name)).toEqual(['getname', 'get_unused_fd_flags', 'do_filp_open', '__fsnotify_parent', 'fsnotify', 'fd_install', 'putname'])
    expect(trace).toCall('path_openat').within('do_sys_open')
    expect(root.duration).toBeUndefined()
  })

  test('function_graph begun inside a call: the exits name their functions, and the tree holds', async () => {
    const trace = await corpus('perf-tools/funcgraph_abstime_vfs_read.txt')
    const calls = trace.ofKind('call')
    const first = calls.find((c) => c.line === 1)!
    expect(first.name).toBe('finish_task_switch')
    expect(first.ts).toBe(7338520.591816)
    // `} /* __schedule */` at line 126 closes a call whose entry came before the capture.
    const parent = calls.find((c) => c.line === 126)!
    expect([parent.name, parent.entryMissing, parent.duration]).toEqual(['__schedule', true, 75.633])
    expect(parent.children).toContain(first)
    expect(trace).toCall('finish_task_switch').within('schedule_timeout')
    expect(trace).toCall('vfs_read')
  })

  test('funcslower: only exits, with abstime and proc columns', async () => {
    const trace = await corpus('perf-tools/funcslower_abstime_proc.txt')
    const calls = trace.ofKind('call') as CallRecord[]
    expect(calls.map((c) => [c.name, c.task, c.pid, c.entryMissing, c.duration])).toEqual([
      ['ext3_readpages', 'cksum', 26695, true, 8145.268],
      ['ext3_readpages', 'cksum', 26695, true, 8139.086],
      ['ext3_readpages', 'cksum', 26695, true, 8147.549],
      ['ext3_readpages', 'cksum', 26695, true, 8142.53],
      ['ext3_readpages', 'cksum', 26695, true, 12234.7],
      ['ext3_readpages', 'cksum', 26695, true, 8146.129],
      ['ext3_readpages', 'cksum', 26695, true, 8148.153],
    ])
  })

  test('the function tracer without irq-info columns or header, task names cut at 16 characters', async () => {
    const trace = await corpus('perf-tools/functrace_ext3_glob.txt')
    const fns = trace.ofKind('function')
    expect(fns.map((f) => [f.task, f.pid, f.func, f.parent])).toEqual([
      ['register_start.', 17008, 'ext3_release_file', '__fput'],
      ['register_start.', 17008, 'ext3_discard_reservation', 'ext3_release_file'],
      ['register_start.', 17026, 'ext3_ioctl', 'file_ioctl'],
      ['register_start.', 17026, 'ext3_release_file', '__fput'],
      ['register_start.', 17026, 'ext3_discard_reservation', 'ext3_release_file'],
      ['register_start.', 17041, 'ext3_ioctl', 'file_ioctl'],
      ['register_start.', 17041, 'ext3_release_file', '__fput'],
    ])
    expect(trace).toCall('ext3_discard_reservation').within('ext3_release_file')
  })

  test('the function tracer\'s header and lines on 3.2: no irq-info columns', async () => {
    const trace = await corpus('perf-tools/functrace_3.2_header.txt')
    expect(trace.header.tracer).toBe('function')
    expect(trace.ofKind('function').map((f) => [f.task, f.pid, f.cpu, f.flags, f.ts, f.func])).toEqual([
      ['vmstat', 11789, 0, undefined, 1763207.021204, 'do_nanosleep'],
      ['vmstat', 11789, 0, undefined, 1763208.02297, 'do_nanosleep'],
      ['vmstat', 11789, 0, undefined, 1763209.023267, 'do_nanosleep'],
    ])
  })

  test('kretprobe events name where the probed function returned to', async () => {
    const trace = await corpus('perf-tools/kretprobe_args.txt')
    const [first] = trace.eventsNamed('myprobe')
    expect(first.probe).toEqual({ at: 'io_submit_init.isra.6+0x74/0x100', returnedFrom: 'bio_alloc' })
    expect(first.fields).toEqual({ arg1: 'ffff8800e55843c0' })
  })

  test('uprobe events with user stacks', async () => {
    const trace = await corpus('perf-tools/uprobe_user_stacks.txt')
    const events = trace.eventsNamed('func_c')
    expect(events).toHaveLength(2)
    expect(events[0].userStack).toEqual(['<00000000004004f4>', '<0000000000400527>', '<0000000000400537>', '<00007fca9f0e376d>'])
  })

  test('tracepoint stacks: the block request path from read(2)', async () => {
    const trace = await corpus('perf-tools/tpoint_stacks.txt')
    expect(trace).toHaveStack(['vfs_read', 'SyS_read'])
  })
})

describe('LISA and trace-cmd on arm64 boards', () => {
  test('a marker trace-cmd could not name the writer of reads as its text', async () => {
    const trace = await corpus('lisa/juno_sched_markers.txt')
    const markers = trace.ofKind('marker') as MarkerRecord[]
    expect(markers.map((m) => m.text)).toEqual(['TRACE_MARKER_START'])
    expect(trace.header.cpus).toBe(6)
  })

  test('`CPU 3 is empty` before `cpus=6` is trace-cmd\'s head, not an unreadable line', async () => {
    const trace = await corpus('lisa/bart_empty_cpus.txt')
    expect(trace.problems).toEqual([])
    expect(trace.header.cpus).toBe(6)
    expect(trace.eventsNamed('sched_switch')).toHaveLength(3)
  })

  test('a trace_printk trace-cmd could not name the caller of keeps its message without the address', async () => {
    const trace = await corpus('lisa/trappy_bprint_unresolved.txt')
    const [first] = trace.eventsNamed('bprint')
    expect(first.body).toBe('thermal_gpu_power_get: frequency=420 load=91')
    expect(first.fields).toEqual({ frequency: 420, load: 91 })
  })

  test('`bprint: CALLER: …` is the caller\'s event, as tracefs prints it', async () => {
    const trace = await corpus('trace-cmd-arm/rtapp.report.txt')
    expect(trace.eventsNamed('bprint')).toEqual([])
    const [first] = trace.eventsNamed('enqueue_task_fair')
    expect(first.body).toMatch(/^evt=util_est_rq step=pre pid=6972 comm=sudo /)
    expect(first.fields).toMatchObject({ evt: 'util_est_rq', pid: 6972, comm: 'sudo', q_est: 0 })
  })

  test('`report -l` reads as `report` does: the same records, times as the raw clock value', async () => {
    const plain = await corpus('trace-cmd-arm/rtapp.report.txt')
    const latency = await corpus('trace-cmd-arm/rtapp.report-l.txt')
    expect(latency.problems).toEqual([])
    const sig = (e: EventRecord) => [e.line, e.name, e.pid, e.cpu, e.body]
    const a = plain.ofKind('event') as EventRecord[]
    const b = latency.ofKind('event') as EventRecord[]
    expect(b.map(sig)).toEqual(a.map(sig))
    // report rounds to microseconds; -l prints nanoseconds.
    for (let i = 0; i < a.length; i++) expect(Math.abs(b[i].ts! / 1e9 - a[i].ts!)).toBeLessThan(1e-6)
    expect(b[0].flags).toBe('d..4.')
  })

  test('markers written through tracing_mark_write read as their text', async () => {
    const trace = await corpus('trace-cmd-arm/sched_load.report.txt')
    const markers = trace.ofKind('marker') as MarkerRecord[]
    expect(markers[0].text).toBe('cpu_frequency_devlib:        state=450000 cpu_id=0')
    expect(markers).toHaveLength(6)
  })
})

describe('the kernel documentation\'s latency tracer examples (Linux 3.8)', () => {
  test('preemptoff: %-5d pids, delay marks, and the stack at the end', async () => {
    const trace = await corpus('kernel-docs/preemptoff.txt')
    const fns = trace.ofKind('function')
    expect(fns.map((f) => [f.task, f.pid, f.cpu, f.flags, f.ts, f.func, f.parent])).toEqual([
      ['sshd', 1991, 1, 'd.h.', 0, 'irq_enter', 'do_IRQ'],
      ['sshd', 1991, 1, 'd..1', 46, 'irq_exit', 'do_IRQ'],
      ['sshd', 1991, 1, 'd..1', 47, 'trace_preempt_on', 'do_IRQ'],
    ])
    expect(fns[2].stack).toEqual(['sub_preempt_count', 'irq_exit', 'do_IRQ', 'ret_from_intr'])
    expect(trace.problems).toEqual([])
  })

  test('wakeup: the tracer\'s own wakeup and context switch entries are events with their format\'s fields', async () => {
    const trace = await corpus('kernel-docs/wakeup.txt')
    const [wakeup] = trace.eventsNamed('wakeup')
    const [sw] = trace.eventsNamed('context_switch')
    expect(wakeup.fields).toEqual({ prev_pid: 0, prev_prio: 120, prev_state: 'R', next_cpu: 3, next_pid: 312, next_prio: 100, next_state: 'R', next_comm: 'kworker/3:1H' })
    expect(sw.ts).toBe(15)
    expect(sw.fields).toMatchObject({ prev_pid: 0, next_pid: 312, next_comm: 'kworker/3:1H' })
    expect(trace).toHaveEvent('context_switch', { next_pid: 312 })
  })
})

describe("trappy's test traces (ARM's trace parser: arm64 and Android boards, a Chromebook)", () => {
  test('lines that begin with a tab read as the others; the file\'s order is kept, unsorted times and all; a line cut short keeps what it has', async () => {
    const trace = await corpus('trappy/trace_idle_unsorted.txt')
    expect(trace.problems).toEqual([])
    expect(trace.header.cpus).toBe(8)
    const events = trace.ofKind('event') as EventRecord[]
    expect(events).toHaveLength(15)
    const { task, pid, cpu, name } = events[1]
    expect({ task, pid, cpu, name }).toEqual({ task: '<idle>', pid: 0, cpu: 6, name: 'sched_switch' })
    // 7115.449811 is printed before 7115.449809: the file's order, as the kernel's per-CPU buffers merged it.
    expect([events[6].ts, events[7].ts]).toEqual([7115.449811, 7115.449809])
    expect(events[14].fields).toEqual({ prev_comm: 'bash', prev_pid: 14840 })
  })

  test('a tracefs trace whose last line has no newline: the line is read', async () => {
    const trace = await corpus('trappy/trace_no_trailing_line.txt')
    const events = trace.ofKind('event') as EventRecord[]
    expect(events).toHaveLength(10)
    expect([events[9].flags, events[9].name, events[9].fields]).toEqual(['d..2', 'cpu_idle', { state: 4294967295, cpu_id: 0 }])
    expect(trace.eventsNamed('sched_switch')[0].fields).toMatchObject({ prev_comm: 'chrome', prev_state: 'S', next_comm: 'swapper/3' })
  })

  test('units in brackets (`runtime=7778999 [ns]`) leave the value a number, the unit beside it', async () => {
    const trace = await corpus('trappy/trace_empty.txt')
    expect(trace.eventsNamed('sched_stat_runtime')[0].fields).toEqual({ comm: 'trace-cmd', pid: 2461, runtime: 7778999, runtime_note: 'ns', vruntime: 6087430069, vruntime_note: 'ns' })
  })

  test('`[FAILED TO PARSE]` events: the fields trace-cmd printed after it are read, ARRAY[…] values and cpumasks as text', async () => {
    const trace = await corpus('trappy/trace_failed_to_parse.txt')
    expect(trace.problems).toEqual([])
    const [power] = trace.eventsNamed('thermal_power_cpu_get_power')
    expect(power.fields).toMatchObject({ cpumask: 'ARRAY[0f, 00, 00, 00, 00, 00, 00, 00]', freq: 0x82208, load_len: 4, dynamic_power: 0 })
    expect(trace.eventsNamed('thermal_power_cpu_limit')[0].fields).toMatchObject({ cpus: '00000000,0000000f', freq: 533000 })
    expect(trace.eventsNamed('thermal_power_allocator_pid')[0].fields).toMatchObject({ err: -4553, p: -2046 })
  })

  test('a bputs whose caller trace-cmd could not name: values holding `=` are kept whole', async () => {
    const trace = await corpus('trappy/trace_equals.txt')
    const events = trace.eventsNamed('bputs')
    expect(events.map((e) => e.fields.my_field)).toEqual(['foo', 'foo=bar', 'foo=bar=baz', 1, '1=2', '1=foo', '1foo=2'])
    expect(events[0].body).toBe('equals_event: my_field=foo')
  })
})
