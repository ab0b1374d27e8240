import { expect, test } from 'kspec'
import { failure, fixture, shared } from '../helpers.js'

test('complete traces pass; overwritten, LOST and cut-short ones do not', async () => {
  expect(await shared('qemu-debian-6.1/tracepoint_openat.txt')).toBeComplete()
  expect(await shared('qemu-debian-6.1/overflow_head.txt')).not.toBeComplete()
  expect(await fixture('constructed/function_variants.txt')).not.toBeComplete()
})

test('failure says how much was lost and how', async () => {
  const trace = await fixture('constructed/function_variants.txt')
  expect(failure(() => expect(trace).toBeComplete())).toMatchInlineSnapshot(`
    "expect(trace).toBeComplete()

    Expected: no lost events
    Received: 6 lost
    Header:   entries-in-buffer/entries-written: 6/9

    Loss markers:
      0: [LOST 3 EVENTS]  (CPU 1  line 16)

    Note: this trace is incomplete (3 overwritten in the ring buffer, 3 reported as [LOST n EVENTS]); a larger bufferSize or a narrower filter keeps every event.

    Trace: <fixtures>/constructed/function_variants.txt"
  `)
})
