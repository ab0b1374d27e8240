import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import '../../src/index.js'
import { parseHist } from '../../src/parse/hist.js'
import { readEntry } from '../../src/tracefs/explain.js'
import { FIXTURES, SHARED, failure, shared } from '../helpers.js'

// The layout of a hist file as the kernel prints it (Documentation/trace/histogram.rst's
// kmalloc example, two triggers on one event, one with a two-field key).
const HIST = `# event histogram
#
# trigger info: hist:keys=filename:vals=hitcount:sort=hitcount:size=2048 [active]
#

{ filename: /usr/bin/cat                                                          } hitcount:          2
{ filename: /usr/bin/true                                                         } hitcount:          1

Totals:
    Hits: 3
    Entries: 2
    Dropped: 0

# event histogram
#
# trigger info: hist:keys=pid,old_pid:vals=hitcount:sort=hitcount:size=2048 [active]
#

{ pid:        312, old_pid:        312 } hitcount:          1

Totals:
    Hits: 1
    Entries: 1
    Dropped: 0
`

describe('histograms', () => {
  test('a hist file read into triggers, entries (typed keys, values) and totals', () => {
    const [byFile, byPid] = parseHist(HIST)
    expect(byFile).toEqual({
      trigger: 'hist:keys=filename:vals=hitcount:sort=hitcount:size=2048 [active]',
      entries: [
        { key: { filename: '/usr/bin/cat' }, values: { hitcount: 2 } },
        { key: { filename: '/usr/bin/true' }, values: { hitcount: 1 } },
      ],
      totals: { hits: 3, entries: 2, dropped: 0 },
    })
    expect(byPid.entries).toEqual([{ key: { pid: 312, old_pid: 312 }, values: { hitcount: 1 } }])
  })

  test('a key printed through a modifier stays text: .hex 10 is sixteen, .execname names the task', () => {
    const [h] = parseHist('# trigger info: hist:keys=parent_pid.hex,common_pid.execname:vals=hitcount:sort=hitcount:size=2048 [active]\n{ parent_pid: 10, common_pid: sh              [       312] } hitcount:          3\nTotals:\n    Hits: 3\n    Entries: 1\n    Dropped: 0\n')
    expect(h.entries).toEqual([{ key: { parent_pid: '10', common_pid: 'sh              [       312]' }, values: { hitcount: 3 } }])
  })

  test("an onmax action's lines under each entry: max and the saved numbers join the values, the saved text is kept apart", () => {
    // Debian 6.1's sched_switch hist with onmax($wakeup_lat).save(next_comm,prev_pid,prev_prio,prev_comm) (trigger-onmax-action-hist.tc).
    const [h] = parseHist(readFileSync(join(FIXTURES, 'state/hist-onmax-debian-6.1.txt'), 'utf8'))
    expect(h.entries[2]).toEqual({ key: { next_pid: 126 }, values: { hitcount: 50, max: 829, prev_pid: 15, prev_prio: 120 }, saved: { next_comm: 'sleep', prev_comm: 'rcu_preempt' } })
    expect(h.totals).toEqual({ hits: 80, entries: 3, dropped: 0 })
  })

  test('toHaveHistogramEntry: by key and values, partially; the table in the failure', async () => {
    const trace = await shared('qemu-debian-6.1/tracepoint_openat.txt')
    trace.state = { tracingOn: true, histograms: { 'sched:sched_process_exec': parseHist(HIST) }, probes: [] }
    expect(trace).toHaveHistogramEntry('sched_process_exec', { filename: /cat$/ }, { hitcount: 2 })
    expect(trace).toHaveHistogramEntry('sched:sched_process_exec', { pid: 312 })
    expect(trace).not.toHaveHistogramEntry('sched_process_exec', { filename: '/usr/bin/ls' })
    const message = failure(() => expect(trace).toHaveHistogramEntry('sched_process_exec', { filename: /cat$/ }, { hitcount: 5 }))
    expect(message.split('\n').slice(0, 12).join('\n')).toMatchInlineSnapshot(`
      "expect(trace).toHaveHistogramEntry("sched_process_exec", { filename: /cat$/ }, { hitcount: 5 })

      Expected: an entry of sched_process_exec's histogram keyed { filename: /cat$/ } with { hitcount: 5 }
      Received: 3 entries

      The histogram, as hist printed it:
        hist:keys=filename:vals=hitcount:sort=hitcount:size=2048 [active]
          { filename: "/usr/bin/cat" } { hitcount: 2 }
          { filename: "/usr/bin/true" } { hitcount: 1 }
          Totals: hits 3, entries 2, dropped 0
        hist:keys=pid,old_pid:vals=hitcount:sort=hitcount:size=2048 [active]
          { pid: 312, old_pid: 312 } { hitcount: 1 }"
    `)
  })

  test('nothing to judge is misuse, never a pass of .not', async () => {
    const trace = await shared('qemu-debian-6.1/tracepoint_openat.txt')
    expect(() => expect(trace).not.toHaveHistogramEntry('sched_process_exec', { comm: 'x' })).toThrow(/holds no tracing state: histograms are read from a recording/)
    trace.state = { tracingOn: true, histograms: {}, probes: [] }
    expect(() => expect(trace).not.toHaveHistogramEntry('sched_process_exec')).toThrow("no hist trigger was set on sched_process_exec in this recording; declare one: events: [{ name: '<system>:sched_process_exec', triggers: ['hist:keys=…'] }]")
  })
})

test("Debian 6.1's own error_log entry read apart (../shared/traces)", () => {
  const lines = readFileSync(join(SHARED, 'qemu-debian-6.1/error_log.txt'), 'utf8').trimEnd().split('\n')
  const entry = readEntry(lines)
  expect(entry).toEqual({ message: 'Invalid probed address or symbol', command: 'p:bad/x do_flip_open', caret: 8 })
  expect(entry.command!.slice(entry.caret)).toBe('do_flip_open')
})
