import { expect, test } from 'kspec'
import { failure, shared } from '../helpers.js'

test('calls in order, others interleaving', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(trace).toCallInOrder(['getname', 'get_unused_fd_flags', 'do_filp_open', 'putname'])
  expect(trace).toCallInOrder(['getname', 'put_unused_fd'])
  expect(trace).not.toCallInOrder(['mutex_unlock', 'mutex_unlock'])
})

test('failure shows how far the order held', async () => {
  const trace = await shared('qemu-debian-6.1/graph_openat_depth3.txt')
  expect(failure(() => expect(trace).toCallInOrder(['do_filp_open', 'mutex_unlock']))).toMatchInlineSnapshot(`
    "expect(trace).toCallInOrder(["do_filp_open","mutex_unlock"])

    Expected: do_filp_open → mutex_unlock
    Received: order holds up to do_filp_open, then mutex_unlock comes only earlier

    Calls matched in order:
      0: do_filp_open: do_filp_open() 201.44 us  (CPU 1  line 10)
    ->1: mutex_unlock: only before that, first at CPU 1  line 5

    Trace: <shared>/qemu-debian-6.1/graph_openat_depth3.txt"
  `)
  expect(() => expect(trace).toCallInOrder(['getname'])).toThrow(/at least two function names/)
})
