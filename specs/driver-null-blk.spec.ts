// An in-tree driver: null_blk, loaded with its parameters for the test and unloaded after
// it (also when it fails). Direct I/O on /dev/nullb0 reaches the driver's request handler
// straight from the submitting read: the stack under each call says from where. Needs a
// kernel with loadable modules (kspec run --kernel debian); elsewhere it is skipped, saying so.
import { defineTrace, expect, test } from 'kspec'

const nullBlk = defineTrace({
  modules: [{ name: 'null_blk', params: { nr_devices: 1, queue_mode: 2 } }],
  tracer: 'function',
  // A function of the module: it resolves because the module is loaded before arming.
  functions: ['null_queue_rq'],
  funcStackTrace: true,
})

test('a direct read of /dev/nullb0 is issued to null_blk from blk_mq_submit_bio, in the reading task', async ({ record }) => {
  const trace = await record(nullBlk, 'dd if=/dev/nullb0 of=/dev/null bs=4k count=8 iflag=direct')
  expect(trace.workload?.exitCode).toBe(0)
  expect(trace).toCall('null_queue_rq').within('blk_mq_submit_bio')
  expect(trace).toCall('null_queue_rq').within('vfs_read')
  expect(trace).toHaveStack(['null_queue_rq', 'blk_mq_try_issue_directly', 'blk_mq_submit_bio'])
})

// The submission path, pinned: function_graph from blk_mq_submit_bio down to the driver's
// handler. A block-layer or driver change that alters it fails with the tree's diff;
// `kspec run -u` accepts the new tree. `unique` keeps each distinct tree once: eight reads
// of one block each take the same path.
const submission = defineTrace({
  modules: [{ name: 'null_blk', params: { nr_devices: 1, queue_mode: 2 } }],
  tracer: 'function_graph',
  graphFunctions: ['null_queue_rq'],
  // An interrupt landing inside the handler is not the driver's path: funcgraph-irqs hides
  // the hard-irq part, graphNotrace what runs around it (irq entry, softirqs on exit).
  options: { 'funcgraph-irqs': false },
  graphNotrace: ['irq_enter_rcu', 'handle_softirqs', 'idle_cpu'],
  bufferSizeKb: 4096,
})

test("null_blk's request handler: the call tree of a direct read's request", async ({ record }) => {
  const trace = await record(submission, 'dd if=/dev/nullb0 of=/dev/null bs=4k count=8 iflag=direct')
  expect(trace.workload?.exitCode).toBe(0)
  expect(trace).toCall('blk_mq_start_request').within('null_queue_rq')
  expect(trace).toMatchCallTreeSnapshot({ root: 'null_queue_rq', depth: 3, unique: true })
})
