import { readdirSync } from 'node:fs'
import { describe, expect, test } from 'vitest'
import { summarize } from '../../src/trace/summary.js'
import { FIXTURES, SHARED, fixture, shared } from '../helpers.js'

/** Files in the capture folders that are not trace text (formats, metadata, error_log). */
const NOT_TRACES = /^(meta|instance_files|error_log|format_.*|kprobe_format|uprobe_open_format)\.txt$|README|\.sh$/

const traces = (root: string, dir: string): string[] =>
  readdirSync(root + dir).filter((f) => !NOT_TRACES.test(f) && f.endsWith('.txt')).map((f) => `${dir}/${f}`)

describe.each([
  ['shared', SHARED, shared, ['qemu-debian-6.1', 'host-6.18']],
  ['fixtures', FIXTURES, fixture, ['host-6.18', 'constructed', 'corpus/perf-tools', 'corpus/lisa', 'corpus/trace-cmd-arm', 'corpus/kernel-docs', 'corpus/trappy']],
] as const)('%s captures', (_, root, load, dirs) => {
  const files = dirs.flatMap((d) => traces(root, d))

  test('there are captures to read', () => {
    expect(files.length).toBeGreaterThan(5)
  })

  test.each(files)('%s', async (file) => {
    const trace = await load(file)
    const summary = summarize(trace)
    expect({ ...summary, source: file }).toMatchSnapshot()
    const { read, inBuffer } = summary.entries
    if (file.endsWith('overflow_head.txt')) {
      // A head of a real overflowing capture: the header announces 467 entries.
      expect(trace.loss.truncatedBy).toBe(467 - read)
      expect(trace.problems.map((p) => p.reason)).toEqual([`the file is cut short: its header announces 467 entries, ${read} were read`])
    } else if (file.endsWith('kprobe_header_elided.txt')) {
      // perf-tools' author showed 3 of the 4 entries the header announces, then `[...]`.
      expect(trace.problems.map((p) => p.reason)).toEqual(['the file is cut short: its header announces 4 entries, 3 were read'])
    } else if (file.endsWith('bad_lines.txt')) {
      expect(trace.problems.map((p) => `${p.line}: ${p.text}`)).toEqual(['6: this line is not ftrace output', '7: '])
    } else {
      expect(trace.problems).toEqual([])
      if (inBuffer !== undefined) expect(read).toBe(inBuffer)
    }
  })
})
