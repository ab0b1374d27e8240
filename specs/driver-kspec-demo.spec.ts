// An out-of-tree driver: drivers/kspec-demo, built by kspec against the headers of the
// kernel under test (Debian's linux-headers package for --kernel debian, cached by the
// source's hash: change the driver and the next run rebuilds it), loaded for the test and
// unloaded after. The write path's call tree is pinned: a driver change that alters it
// fails the test with the tree's diff, and `kspec run -u` accepts the new tree.
import { defineTrace, expect, test } from 'kspec'

const demo = defineTrace({
  modules: [{ source: 'drivers/kspec-demo' }],
  tracer: 'function_graph',
  graphFunctions: ['kspec_demo_write'],
  // Interrupts that land inside the write (a timer tick) are not the driver's path:
  // funcgraph-irqs hides the hard-irq part, graphNotrace what runs around it.
  options: { 'funcgraph-irqs': false },
  graphNotrace: ['irq_enter_rcu', 'handle_softirqs', 'idle_cpu'],
  // function_graph runs at the top level, whose buffer starts small: room for the whole write.
  bufferSizeKb: 4096,
})

test('a write to /dev/kspec_demo is parsed, then stored, inside kspec_demo_write', async ({ record }) => {
  const trace = await record(demo, "echo hello > /dev/kspec_demo && cat /dev/kspec_demo")
  expect(trace.workload?.stdout).toBe('hello')
  expect(trace).toCall('kspec_demo_parse').within('kspec_demo_write')
  expect(trace).toCall('kspec_demo_store').within('kspec_demo_write')
  expect(trace).toCallInOrder(['kspec_demo_parse', 'kspec_demo_store'])
  expect(trace).toMatchCallTreeSnapshot({ root: 'kspec_demo_write', depth: 2 })
})
