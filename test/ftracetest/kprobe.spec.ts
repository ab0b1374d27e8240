// Ports of the kernel's ftrace selftests: test.d/kprobe/*.tc (kprobes need
// CONFIG_KPROBE_EVENTS: Debian's kernel under QEMU; this machine's kernel skips them,
// saying so). `kernel_clone` is $FUNCTION_FORK of the selftests on 6.1.
import { defineTrace, expect, kprobe, kretprobe, test } from 'kspec'

const FORK = ['sh', '-c', '( echo forked > /dev/null )']

test('kprobe_args.tc: $stack, $stack0 and +0($stack), listed as defined and recorded as hex', async ({ record }) => {
  const trace = await record(defineTrace({ kprobes: [kprobe('kernel_clone', { arg1: '$stack', arg2: '$stack0', arg3: '+0($stack)' }, 'testprobe')] }), FORK)
  expect(trace.state!.probes).toEqual([expect.stringMatching(/^p:kspec_\d+_\d+\/testprobe kernel_clone arg1=\$stack arg2=\$stack0 arg3=\+0\(\$stack\)$/)])
  // The event's directory existed: kspec read its format.
  expect(Object.keys(trace.formats).some((k) => k.endsWith('_testprobe'))).toBe(true)
  // Printed as hex, as the .tc greps the trace line (kspec types the fields as numbers).
  const [e] = trace.eventsNamed('testprobe')
  expect(e.body).toMatch(/(^| )arg1=0x[0-9a-f]+ arg2=0x[0-9a-f]+ arg3=0x[0-9a-f]+$/)
})

test('kretprobe_args.tc: a kretprobe on kernel_clone with $retval is listed, and fires on a fork', async ({ record }) => {
  const trace = await record(defineTrace({ kprobes: [kretprobe('kernel_clone', { arg1: '$retval' }, 'testprobe2')] }), FORK)
  expect(trace.state!.probes).toEqual([expect.stringMatching(/^r\d*:kspec_\d+_\d+\/testprobe2 kernel_clone arg1=\$retval$/)])
  expect(trace).toHaveEvent('testprobe2')
})

test('kprobe_args_type.tc: $stack0 as s, u, x and a bitfield at 64, 32, 16 and 8 bits agree with each other', async ({ record }) => {
  for (const width of [64, 32, 16, 8]) {
    const probe = kprobe('kernel_clone', { arg1: `$stack0:s${width}`, arg2: `$stack0:u${width}`, arg3: `$stack0:x${width}`, arg4: `$stack0:b4@4/${width}` }, 'testprobe')
    const trace = await record(defineTrace({ kprobes: [probe] }), FORK)
    const [e] = trace.eventsNamed('testprobe')
    expect(e, `width ${width}`).toBeDefined()
    const mask = (1n << BigInt(width)) - 1n
    const s = BigInt.asUintN(width, BigInt(String(e.fields.arg1)))
    const u = BigInt(String(e.fields.arg2))
    const x = BigInt(String(e.fields.arg3))
    // The .tc's check: the same bits whichever the type, and the bitfield is bits 4..7 of them.
    expect(s & mask, `width ${width}`).toBe(u)
    expect(x, `width ${width}`).toBe(u)
    expect(e.body, `width ${width}`).toMatch(/ arg3=0x[0-9a-f]+ /)
    expect(BigInt(String(e.fields.arg4)), `width ${width}`).toBe((u >> 4n) & 0xfn)
  }
})

test('probepoint.tc: a symbol, its address and an offset to the next symbol are probe points; an offset back before it is refused', async ({ record }) => {
  // The guest's own /proc/kallsyms, around tracefs_create_dir, as the .tc reads it. From 6.2
  // on, x86 pads every function with a `__pfx_` symbol of nops before it, which is no probe
  // point (6.12 refuses `tracefs_create_dir+N` there): the next symbol is the next function.
  const around = (await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['sh', '-c', 'grep -v " __pfx_" /proc/kallsyms | grep -A1 -B1 " tracefs_create_dir$"'])).workload!.stdout.trim().split('\n')
  expect(around).toHaveLength(3)
  const [prev, target, next] = around.map((l) => BigInt(`0x${l.split(' ')[0]}`))
  for (const at of ['tracefs_create_dir', `0x${target.toString(16)}`, `tracefs_create_dir+${next - target}`]) {
    await expect(record(defineTrace({ kprobes: [kprobe(at, {}, 'testprobe')] }), ['true']), at).resolves.toBeDefined()
  }
  // Before the symbol: kspec refuses a negative offset as the kernel would (tracefs_create_dir-N).
  expect(() => kprobe(`tracefs_create_dir${prev - target}`, {}, 'testprobe')).toThrow()
})

test('multiple_kprobes.tc: 256 kprobes on text symbols, all defined at once, enabled, and removed after', async ({ record }) => {
  // The .tc tries /proc/kallsyms' text symbols in turn and keeps the first 256 the kernel
  // takes (`|| :`); kspec fails a declaration on one refusal, so the guest tries them first,
  // as the .tc does, in a group of its own that it removes again.
  const script = [
    'cd /sys/kernel/tracing; n=0',
    'for s in $(grep -i " t " /proc/kallsyms | cut -f3 -d" " | grep -v "\\."); do',
    '  if echo "p:ftt_try/t $s+5" >> kprobe_events 2>/dev/null; then echo "-:ftt_try/t" >> kprobe_events; echo $s; n=$((n+1)); fi',
    '  [ $n -eq 256 ] && break',
    'done',
  ].join('\n')
  // Declared with a kprobe, so a kernel without kprobes skips here, saying so.
  const trying = defineTrace({ kprobes: [kprobe('kernel_clone', {}, 'ftt_check')] })
  const symbols = (await record(trying, ['sh', '-c', script])).workload!.stdout.trim().split('\n')
  expect(symbols).toHaveLength(256)
  // +5: past the fentry call on x86-64, as the .tc does.
  const probes = symbols.map((s, i) => kprobe(`${s}+5`, {}, `p${i}`))
  const trace = await record(defineTrace({ kprobes: probes, allowLoss: true }), ['true'])
  expect(trace.state!.probes).toHaveLength(256)
}, 300_000)

test('add_and_remove.tc: a kprobe on kernel_clone is listed in kprobe_events and has its event directory', async ({ record }) => {
  const trace = await record(defineTrace({ kprobes: [kprobe('kernel_clone', {}, 'myevent')] }), FORK)
  expect(trace.state!.probes).toEqual([expect.stringMatching(/^p:kspec_\d+_\d+\/myevent kernel_clone$/)])
  expect(Object.keys(trace.formats).some((k) => k.endsWith('_myevent'))).toBe(true)
  // Removed with the arming at the worker's end; the fixture's leak check fails the file if it stays.
})

test('kprobe_args_string.tc: +0(%di):string on the function that makes an event directory (eventfs_create_dir, eventfs_add_dir or tracefs_create_dir) reads the name of the directory being made, once or twice', async ({ record }) => {
  // Defining a probe event makes its directory: the workload defines `ftt_str/test` and removes it again.
  const mkdir = ['sh', '-c', 'cd /sys/kernel/tracing && echo "p:ftt_str/test kernel_clone" >> kprobe_events && echo "-:ftt_str/test" >> kprobe_events']
  // Which function makes it changed with eventfs (6.6: eventfs_add_dir, 6.7: eventfs_create_dir): the .tc
  // (since 6.7) takes the first the kernel has, and so does this port.
  const kallsyms = (await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['sh', '-c', 'grep -o -w -E "eventfs_create_dir|eventfs_add_dir|tracefs_create_dir" /proc/kallsyms'])).workload!.stdout
  const fn = ['eventfs_create_dir', 'eventfs_add_dir', 'tracefs_create_dir'].find((f) => kallsyms.split('\n').includes(f))!
  const one = await record(defineTrace({ kprobes: [kprobe(fn, { arg1: '+0(%di):string' }, 'testprobe')] }), mkdir)
  expect(one).toHaveEvent('testprobe', { arg1: 'test' })
  const two = await record(defineTrace({ kprobes: [kprobe(fn, { arg1: '+0(%di):string', arg2: '+0(%di):string' }, 'testprobe')] }), mkdir)
  expect(two).toHaveEvent('testprobe', { arg1: 'test', arg2: 'test' })
})

test('kretprobe_maxactive.tc: r<maxactive>: takes 1 to 4096 in flight, and the kernel refuses more', async ({ record }) => {
  const trace = await record(defineTrace({ kprobes: [kretprobe('vfs_read', { ret: '$retval' }, 'read_ret', { maxactive: 10 })] }), ['cat', '/proc/version'])
  expect(trace.state!.probes).toEqual([expect.stringMatching(/^r10:kspec_\d+_\d+\/read_ret vfs_read ret=\$retval$/)])
  expect(trace).toHaveEvent('read_ret')
  // Above KRETPROBE_MAXACTIVE_MAX: refused before anything reaches the kernel, naming the limit.
  expect(() => kretprobe('vfs_read', {}, 'too_many', { maxactive: 4097 })).toThrow(/maxactive is at most 4096/)
})

test('kretprobe_return_suffix.tc: p:… vfs_read%return is the same return probe as r:… vfs_read, as kprobe_events lists both', async ({ record }) => {
  const r = await record(defineTrace({ kprobes: [kretprobe('vfs_read', {}, 'myprobeaccept')] }), ['cat', '/proc/version'])
  const suffix = await record(defineTrace({ kprobes: [kretprobe('vfs_read', {}, 'myprobeaccept', { syntax: '%return' })] }), ['cat', '/proc/version'])
  const listed = (lines: string[]) => lines.map((l) => l.replace(/kspec_\d+_\d+/, 'GROUP'))
  expect(listed(suffix.state!.probes)).toEqual(listed(r.state!.probes))
  expect(listed(r.state!.probes)).toEqual([expect.stringMatching(/^r\d*:GROUP\/myprobeaccept vfs_read$/)])
  expect(suffix).toHaveEvent('myprobeaccept')
})

test('kprobe_eventname.tc: a probe named as one likes, in a group of one\'s own, and on a function with a dot in its name', async ({ record }) => {
  // Named: kspec names every probe (the kernel's own names for unnamed ones, p_vfs_read_0, are not kspec's).
  const named = await record(defineTrace({ kprobes: [kprobe('vfs_read', {}, 'event1')] }), ['cat', '/proc/version'])
  expect(named.state!.probes).toEqual([expect.stringMatching(/^p:kspec_\d+_\d+\/event1 vfs_read$/)])
  expect(named).toHaveEvent('event1')
  // In a group of one's own: events/kprobes2/event2 is there while the test runs, and gone after it.
  const there = ['sh', '-c', 'test -d /sys/kernel/tracing/events/kprobes2/event2 && cat /proc/version > /dev/null']
  const grouped = await record(defineTrace({ probeGroup: 'kprobes2', kprobes: [kprobe('vfs_read', {}, 'event2')] }), there)
  expect(grouped.workload!.exitCode).toBe(0)
  expect(grouped.state!.probes).toEqual(['p:kprobes2/event2 vfs_read'])
  expect(grouped).toHaveEvent('event2')
  const after = await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['sh', '-c', 'test -d /sys/kernel/tracing/events/kprobes2 && echo left || echo gone'])
  expect(after.workload!.stdout.trim()).toBe('gone')
  // A function with a dot (a compiler's .isra. clone) that ftrace can trace, found as the .tc finds it.
  const find = 'grep " [tT] .*\\.isra\\..*" /proc/kallsyms | cut -f 3 -d " " | while read f; do grep -qx "$f" /sys/kernel/tracing/available_filter_functions && { echo $f; break; }; done'
  const dot = (await record(defineTrace({ events: ['sched:sched_process_exec'] }), ['sh', '-c', find])).workload!.stdout.trim()
  expect(dot).toMatch(/\.isra\./)
  const isra = await record(defineTrace({ kprobes: [kprobe(dot)] }), ['true'])
  // kspec names it as the kernel would, the dots made underscores.
  expect(isra.state!.probes).toEqual([expect.stringMatching(new RegExp(`^p:kspec_\\d+_\\d+/${dot.replace(/\./g, '_')} ${dot.replace(/\./g, '\\.')}$`))])
})
