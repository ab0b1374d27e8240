import { describe, expect, test } from 'vitest'
import '../../src/index.js'
import { TracefsError, UnsupportedError } from '../../src/errors.js'
import { readEntry } from '../../src/tracefs/explain.js'
import { strip } from '../helpers.js'

// An entry as this machine's kernel (6.18) printed it, for a uprobe argument named like a common field.
const ENTRY = [
  '[23599.864184] trace_uprobe: error: This argument name is already used',
  '  Command: p:kspec_13209_1/open /lib/x86_64-linux-gnu/libc.so.6:0xf7fc0 common_pid=%di',
  '                                                                        ^',
]
const COMMAND = 'p:kspec_13209_1/open /lib/x86_64-linux-gnu/libc.so.6:0xf7fc0 common_pid=%di'

const refusal = (): TracefsError => new TracefsError('tracefs refused …', 'uprobe_events', 'EINVAL', { refusal: { value: COMMAND, ...readEntry(ENTRY) } })

describe('toBeRefused', () => {
  test("an error_log entry read apart: its message, the command, the caret's place in it", () => {
    expect(readEntry(ENTRY)).toEqual({ message: 'This argument name is already used', command: COMMAND, caret: 61 })
    expect(COMMAND.slice(61)).toBe('common_pid=%di')
    expect(readEntry(['[ 1.000000] event filter parse error: error: Field not found'])).toEqual({ message: 'Field not found' })
  })

  test('passes on the refusal asked for; fails, saying what differed, on another', async () => {
    await expect(Promise.reject(refusal())).rejects.toBeRefused()
    await expect(Promise.reject(refusal())).rejects.toBeRefused({ file: 'uprobe_events', errno: 'EINVAL', message: /already used/, caret: 61, value: /common_pid=%di$/ })
    const miss = await expect(Promise.reject(refusal())).rejects.toBeRefused({ errno: 'ENOENT', caret: 3 }).then(() => '', (e: Error) => strip(e.message))
    expect(miss).toMatchInlineSnapshot(`
      "expected the kernel's refusal to match (errno "ENOENT", caret 3):
        errno: expected "ENOENT", got "EINVAL"
        caret: expected 3, got 61
      uprobe_events refused "p:kspec_13209_1/open /lib/x86_64-linux-gnu/libc.so.6:0xf7fc0 common_pid=%di" (EINVAL)
      The kernel said: This argument name is already used
        Command: p:kspec_13209_1/open /lib/x86_64-linux-gnu/libc.so.6:0xf7fc0 common_pid=%di
                                                                              ^"
    `)
  })

  test('another rejection is no refusal; a skip is handed back, not judged', async () => {
    const other = await expect(Promise.reject(new Error('spawn failed'))).rejects.toBeRefused().then(() => '', (e: Error) => e.message)
    expect(other).toBe('expected the kernel to refuse a tracefs write, but the promise rejected with Error: spawn failed')
    const skip = new UnsupportedError('function_graph is not available')
    await expect(expect(Promise.reject(skip)).rejects.toBeRefused()).rejects.toBe(skip)
    await expect(expect(Promise.reject(refusal())).rejects.toBeRefused({ errnum: 'EINVAL' } as never)).rejects.toThrow('toBeRefused(): unknown field "errnum"; expect any of file, errno, message, caret, value')
  })
})
