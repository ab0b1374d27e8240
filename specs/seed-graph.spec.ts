// Seed technique 3: function_graph under __x64_sys_openat, three levels deep.
import { defineTrace, expect, test } from 'kspec'

const openat = defineTrace({ tracer: 'function_graph', graphFunctions: ['__x64_sys_openat'], maxGraphDepth: 3 })

test('openat resolves the path in do_filp_open', async ({ record }) => {
  const trace = await record(openat, 'ls -hl')
  expect(trace).toCall('do_filp_open').within('__x64_sys_openat')
  expect(trace).toCall('do_filp_open').within('__x64_sys_openat').lastingAtMost('50ms')
})
