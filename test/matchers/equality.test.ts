import { expect, test } from 'kspec'
import { parseTraceText } from '../../src/parse/load.js'

const graph = (leafDuration: string) =>
  parseTraceText(['# tracer: function_graph', ' 0)               |  outer() {', ` 0)   ${leafDuration} us    |    a();`, ' 0)   9.000 us    |  }'].join('\n'))
const events = (filename: string) =>
  parseTraceText(['# tracer: nop', `              ls-1       [000] .....     1.000000: sys_openat(dfd: 0xffffff9c, filename: ${filename}, flags: 0x0, mode: 0x0)`].join('\n'))

test('toEqual compares what calls say: names, durations, children', () => {
  expect(graph('1.000').roots[0]).toEqual(graph('1.000').roots[0])
  expect(graph('1.000').roots[0]).not.toEqual(graph('2.000').roots[0])
  expect(graph('1.000').roots).not.toEqual(graph('2.000').roots)
  expect(graph('1.000').roots[0]).toMatchObject({ name: 'outer', duration: 9 })
})

test('toEqual compares what events say: their fields too', () => {
  expect(events('0x10').records[0]).toEqual(events('0x10').records[0])
  expect(events('0x10').records[0]).not.toEqual(events('0x11').records[0])
})
