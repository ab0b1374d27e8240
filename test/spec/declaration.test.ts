import { expect, test } from 'vitest'
import { functionTriggerRemoval } from '../../src/tracefs/toplevel.js'
import { listedFunctionTriggers } from '../../src/tracefs/arm.js'
import { DeclarationError } from '../../src/errors.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { eprobe, kprobe, kretprobe, uprobe } from '../../src/spec/probes.js'

const problems = (input: unknown): string => {
  try {
    defineTrace(input as never)
  } catch (e) {
    expect(e).toBeInstanceOf(DeclarationError)
    return (e as Error).message
  }
  throw new Error('expected the declaration to be refused')
}

test('every problem is listed at once, each with its path', () => {
  expect(problems({ tracer: 'functon', maxGraphDepth: -1, events: ['sched_switch', { name: 'sched:sched_switch', triggers: ['rm -rf'] }], bufferSizeKb: 0, bogus: 1 })).toMatchInlineSnapshot(`
    "defineTrace(): 6 problems in the declaration
    ✖ Unrecognized key: "bogus"
    ✖ Invalid option: expected one of "nop"|"function"|"function_graph"
      → at tracer
    ✖ Too small: expected number to be >=0
      → at maxGraphDepth
    ✖ bufferSizeKb is at least 1
      → at bufferSizeKb
    ✖ write events as "system:event" (globs allowed), e.g. "syscalls:sys_enter_openat" or "sched:*"
      → at events[0]
    ✖ a trigger is stacktrace, traceon, traceoff, snapshot, enable_event:…, disable_event:…, enable_hist:…, disable_hist:… or hist:…
      → at events[1].triggers[0]"
  `)
})

test('combinations that cannot work are refused with the fix', () => {
  expect(problems({ tracer: 'function', graphFunctions: ['__x64_sys_openat'], funcStackTrace: false })).toMatchInlineSnapshot(`
    "defineTrace(): a problem in the declaration
    ✖ graphFunctions, graphNotrace and maxGraphDepth need tracer: 'function_graph' (got 'function')
      → at tracer"
  `)
  expect(problems({ events: ['syscalls:sys_enter_openat'], funcStackTrace: true })).toMatch(/funcStackTrace needs tracer: 'function'/)
  expect(problems({})).toMatch(/this declaration records nothing/)
})

test('names that would escape the tracing directory are refused', () => {
  expect(problems({ events: ['../../../etc:passwd'] })).toMatch(/write events as "system:event"/)
  expect(problems({ events: ['..:x'] })).toMatch(/cannot be \. or \.\./)
  expect(problems({ tracer: 'function', options: { '../tracing_on': true } })).toMatch(/an option name may hold only letters/)
  expect(problems({ tracer: 'function', functions: ['do_filp_open\n*'] })).toMatch(/write a function name or glob/)
})

test('probe builders validate names and fetch-arg syntax', () => {
  expect(() => kprobe('do_sys_openat2', { dfd: '$arg1:s33' })).toThrowErrorMatchingInlineSnapshot(`
    [DeclarationError: invalid probe: ✖ dfd=$arg1:s33: "s33" is not a fetch type: use one of u8, u16, u32, u64, s8, s16, s32, s64, x8, x16, x32, x64, string, ustring, symbol, a bitfield b<width>@<offset>/<size>, or TYPE[N] (BAD_TYPE)
        dfd=$arg1:s33
                  ^
      → at args.dfd]
  `)
  expect(() => kprobe('do_sys_openat2', { 'my dfd': '$arg1' })).toThrow(/argument names are C identifiers/)
  expect(() => uprobe('/bin/true', 'main', {}, 'bad-name')).toThrow(/probe names are C identifiers/)
  expect(kprobe('do_sys_openat2', { dfd: '$arg1:s32', fname: '+0($arg2):string' })).toEqual({
    type: 'kprobe', name: 'do_sys_openat2', at: 'do_sys_openat2', args: { dfd: '$arg1:s32', fname: '+0($arg2):string' },
  })
})

test('a declaration can be derived from another', () => {
  const base = defineTrace({ events: ['sched:sched_switch'] })
  const derived = defineTrace({ ...base, allowLoss: true })
  expect(derived).toMatchObject({ events: ['sched:sched_switch'], allowLoss: true })
  expect(derived.id).not.toBe(base.id)
})

test("options the workload scope needs cannot be turned off silently: event-fork or function-fork false with scope 'workload' is a conflict", () => {
  expect(problems({ events: ['sched:sched_process_fork'], options: { 'event-fork': false } })).toMatchInlineSnapshot(`
    "defineTrace(): a problem in the declaration
    ✖ event-fork: false conflicts with scope: "workload", which follows the workload's process tree by turning event-fork on; drop the option, or set scope: 'system' to choose it yourself
      → at options["event-fork"]"
  `)
  expect(problems({ tracer: 'function', options: { 'function-fork': false } })).toMatch(/→ at options\["function-fork"\]/)
  expect(defineTrace({ events: ['sched:sched_process_fork'], options: { 'event-fork': false }, scope: 'system' }).options).toEqual({ 'event-fork': false })
})

test('function triggers are taken in set_ftrace_filter\'s syntax, and anything else is refused with the syntax', () => {
  for (const ok of ['schedule:traceoff', 'schedule:traceoff:3', 'kernel_clone:stacktrace', 'do_*:traceon', 'do_exit:enable_event:sched:sched_switch:2', 'schedule:snapshot'])
    expect(defineTrace({ functionTriggers: [ok] }).functionTriggers).toEqual([ok])
  for (const bad of ['schedule', 'schedule:traceof', 'schedule:traceoff\nother:traceon', 'schedule:enable_event:sched', 'sched ule:traceoff', '!schedule:traceoff', 'schedule:traceoff:x']) {
    expect(() => defineTrace({ functionTriggers: [bad] }), bad).toThrow(/write a function trigger as set_ftrace_filter takes it: <function>:<command>\[:count\]/)
  }
})

test('what removes a function trigger, and which lines of set_ftrace_filter are function triggers', () => {
  expect(functionTriggerRemoval('schedule:traceoff')).toBe('!schedule:traceoff')
  expect(functionTriggerRemoval('schedule:traceoff:3')).toBe('!schedule:traceoff:0')
  expect(functionTriggerRemoval('do_exit:enable_event:sched:sched_switch:2')).toBe('!do_exit:enable_event:sched:sched_switch:0')
  // As Debian 6.1 lists an instance's filter with two triggers and one filtered function.
  expect(listedFunctionTriggers('vfs_read\nschedule:traceoff:count=0\nkernel_clone:stacktrace:unlimited\n')).toEqual(['schedule:traceoff:count=0', 'kernel_clone:stacktrace:unlimited'])
  expect(listedFunctionTriggers('#### all functions enabled ####\n')).toEqual([])
})

test('eprobes and maxactive: the kernel\'s syntax, checked when the spec loads, with the fix', () => {
  expect(eprobe('syscalls:sys_enter_openat', { file: '+0($filename):ustring' }).at).toBe('syscalls.sys_enter_openat')
  expect(() => eprobe('sys_enter_openat')).toThrow(/an eprobe attaches to one event, written system.event/)
  expect(() => eprobe('syscalls:sys_enter_openat', { f: '%di' })).toThrow(/an eprobe reads its event's fields \(\$FIELD\), not registers/)
  expect(() => eprobe('syscalls:sys_enter_openat', {}, 'x', { filter: 'a\nb' })).toThrow(/cannot be written as it is/)
  expect(kretprobe('vfs_read', {}, 'r', { maxactive: 64 }).maxactive).toBe(64)
  expect(() => kretprobe('vfs_read', {}, 'r', { maxactive: 0 })).toThrow(/maxactive is at least 1/)
  expect(() => defineTrace({ eprobes: [kprobe('vfs_read')] })).toThrow(/use eprobe\(\) here/)
})

test('scope: { except } takes the workload, its process or pids, and its fork options are checked like the others', () => {
  expect(defineTrace({ events: ['sched:sched_switch'], scope: { except: 'workload' } }).scope).toEqual({ except: 'workload' })
  expect(defineTrace({ events: ['sched:sched_switch'], scope: { except: [1, 2] } }).scope).toEqual({ except: [1, 2] })
  expect(() => defineTrace({ events: ['sched:sched_switch'], scope: { except: 'workload' }, options: { 'event-fork': false } })).toThrow(/event-fork: false conflicts with scope: \{"except":"workload"\}, which follows the workload's process tree/)
  expect(() => defineTrace({ events: ['sched:sched_switch'], scope: { except: 'process' }, options: { 'event-fork': true } })).toThrow(/event-fork: true conflicts with scope: \{"except":"process"\}/)
  expect(() => defineTrace({ events: ['sched:sched_switch'], scope: { except: [] } })).toThrow(/name at least one pid/)
})

test('synthetic events in synthetic_events\' syntax; anything that could add a second line or remove one is refused', () => {
  expect(defineTrace({ events: ['sched:sched_switch'], syntheticEvents: ['wakeup_latency u64 lat; pid_t pid; char comm[16]'] }).syntheticEvents).toHaveLength(1)
  for (const bad of ['!wakeup_latency', 'lat u64 x\nother u64 y', '1abc u64 x', 'x u64 y # note']) {
    expect(() => defineTrace({ events: ['sched:sched_switch'], syntheticEvents: [bad] }), bad).toThrow(/write a synthetic event as synthetic_events takes it/)
  }
})

test('%return is a return probe\'s other syntax, and does not take maxactive', () => {
  expect(kretprobe('vfs_read', {}, 'r', { syntax: '%return' }).returnSuffix).toBe(true)
  expect(() => kretprobe('vfs_read', {}, 'r', { syntax: '%return', maxactive: 4 })).toThrow(/maxactive goes with r<maxactive>:, not with %return/)
})
