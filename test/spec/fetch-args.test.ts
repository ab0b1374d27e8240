import { describe, expect, test } from 'vitest'
import { fetchArgProblem } from '../../src/spec/fetch-args.js'
import { fprobe, fretprobe, kprobe, kretprobe, tprobe, uprobe } from '../../src/spec/probes.js'

/**
 * The fetch-argument lines of the kernel's own kprobe_syntax_errors.tc (caret `^` where
 * error_log puts it), checked against kspec's parser: refused, at the same place, with the
 * kernel's error name. The live half (test/qemu) asks Debian's kernel the same questions.
 */
const SELFTEST: [string, string][] = [
  ['^$retval', 'RETVAL_ON_PROBE'],
  ['^$stack10000', 'BAD_STACK_NUM'],
  ['^$arg10000', 'BAD_ARG_NUM'],
  ['^$none_var', 'BAD_VAR'],
  ['^%none_reg', 'BAD_REG_NAME'],
  ['^@12345678abcde', 'BAD_MEM_ADDR'],
  ['^@+10', 'FILE_ON_KPROBE'],
  ['^+0@0)', 'DEREF_NEED_BRACE'],
  ['^+0ab1(@0)', 'BAD_DEREF_OFFS'],
  ['+0(+0(@0^)', 'DEREF_OPEN_BRACE'],
  ['+0(^$comm)', 'COMM_CANT_DEREF'],
  ['^&1', 'BAD_FETCH_ARG'],
  ['+0(^+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(+0(@0))))))))))))))', 'TOO_MANY_OPS'],
  ['+0(@11):u8[10^', 'ARRAY_NO_CLOSE'],
  ['+0(@11):u8[10]^a', 'BAD_ARRAY_SUFFIX'],
  ['+0(@11):u8[^10a]', 'BAD_ARRAY_NUM'],
  ['+0(@11):u8[^256]', 'ARRAY_TOO_BIG'],
  ['@11:^unknown_type', 'BAD_TYPE'],
  ['$stack0:^string', 'BAD_STRING'],
  ['@11:^b10@a/16', 'BAD_BITFIELD'],
  ['^+1234567(+1234567(+1234567(+1234567(+1234567(+1234567(@1234))))))', 'ARG_TOO_LONG'],
]

describe('refused as the kernel refuses them (kprobe_syntax_errors.tc)', () => {
  test.each(SELFTEST)('%s: %s', (marked, error) => {
    const body = marked.replace('^', '')
    expect(fetchArgProblem(body, 'kprobe')).toEqual({ at: marked.indexOf('^'), message: expect.stringContaining(`(${error})`) })
  })
})

/** What the kernel takes, including what kspec's old pattern refused. */
const VALID: [string, 'kprobe' | 'kretprobe' | 'uprobe' | 'uretprobe'][] = [
  ['+0(+8(%di)):string', 'kprobe'],
  ['+0($arg2):u8[10]', 'kprobe'],
  ['$arg1:s32', 'kprobe'],
  ['+0($arg2):string', 'kprobe'],
  ['$retval:s64', 'kretprobe'],
  ['$comm', 'kprobe'],
  ['$comm:string', 'uprobe'],
  ['%di:x64', 'uprobe'],
  ['+0(%di):ustring', 'uprobe'],
  ['+u0(%si):u32', 'kprobe'],
  ['-8(%bp):s64', 'kprobe'],
  ['@jiffies:u64', 'kprobe'],
  ['@jiffies+8', 'kprobe'],
  ['@+0x1000:u32', 'uprobe'],
  ['$stack', 'kprobe'],
  ['$stack3:x64', 'uretprobe'],
  ['\\1234', 'kprobe'],
  ['\\"hello"', 'kprobe'],
  ['+0(%di):b4@2/8', 'kprobe'],
  ['%ax:symbol', 'kprobe'],
  ['+16(+0(%di)):u16[4]', 'kprobe'],
]

test.each(VALID)('%s on a %s: taken', (body, type) => {
  expect(fetchArgProblem(body, type)).toBeUndefined()
})

test('what the old pattern let through is refused: unbalanced parentheses, $retval or $argN where they cannot be', () => {
  expect(fetchArgProblem('+0(%di)))))', 'kprobe')).toMatchObject({ at: 3, message: expect.stringContaining('BAD_REG_NAME') })
  expect(fetchArgProblem('$arg1', 'uprobe')).toMatchObject({ at: 0, message: expect.stringContaining('BAD_VAR') })
  expect(fetchArgProblem('$arg1', 'kretprobe')).toMatchObject({ at: 0, message: expect.stringContaining('BAD_VAR') })
  expect(fetchArgProblem('$retval', 'uprobe')).toMatchObject({ message: expect.stringContaining('RETVAL_ON_PROBE') })
  expect(fetchArgProblem('@jiffies', 'uprobe')).toMatchObject({ message: expect.stringContaining('SYM_ON_UPROBE') })
})

test('the declaration says which argument, with the kernel caret under it', () => {
  expect(() => kprobe('vfs_read', { buf: '+0(%di)))))' })).toThrow(/buf=\+0\(%di\)\)\)\)\): "%di\)\)\)\)" is not a register of x86-64 .*\(BAD_REG_NAME\)\n {4}buf=\+0\(%di\)\)\)\)\)\n {4} {7}\^/)
  expect(() => kprobe('vfs_read+0x10', { fd: '$arg1' })).toThrow(/\$argN is a kprobe's at a function's entry, and this one is at vfs_read\+0x10/)
  expect(() => kprobe('vfs_read', { [`a${'b'.repeat(32)}`]: '$arg1' })).toThrow(/at most 32 characters/)
  expect(kretprobe('vfs_read', { ret: '$retval:s64' }).args).toEqual({ ret: '$retval:s64' })
  expect(uprobe('/usr/bin/cat', 'main', { argc: '%di:s32' }).args).toEqual({ argc: '%di:s32' })
})

test('fprobes, tprobes and BTF names: taken where the kernel can name them, refused with the fix where it cannot', () => {
  // By BTF name, with fields through pointers and members, and through $retval/$argN: the kernel looks them up.
  for (const arg of ['count', 'file->f_flags', 'p->se.group_node.next->prev', '$arg1->f_path.dentry']) expect(fetchArgProblem(arg, 'fprobe'), arg).toBeUndefined()
  expect(fetchArgProblem('$retval->name:string', 'fretprobe')).toBeUndefined()
  expect(fetchArgProblem('$arg1:%pd', 'fprobe')).toBeUndefined()
  expect(fetchArgProblem('s->object_size', 'tprobe')).toBeUndefined()
  expect(fetchArgProblem('object', 'kprobe')).toBeUndefined()
  // A uprobe has no BTF; an eprobe reads $FIELDs.
  expect(fetchArgProblem('count', 'uprobe')?.message).toMatch(/BAD_FETCH_ARG/)
  expect(fetchArgProblem('count', 'eprobe')?.message).toMatch(/BAD_FETCH_ARG/)
  expect(fetchArgProblem('$retval', 'fprobe')?.message).toMatch(/use kretprobe\(\), fretprobe\(\) or uretprobe\(\) \(RETVAL_ON_PROBE\)/)
  expect(fetchArgProblem('$comm->x', 'fprobe')?.message).toMatch(/fields \(->, \.\) follow \$retval or \$argN/)
  expect(fetchArgProblem('$arg1->', 'fprobe')).toMatchObject({ message: expect.stringMatching(/BAD_BTF_FIELD/), at: 5 })
  expect(fetchArgProblem('$arg*', 'fprobe')?.message).toMatch(/pass '\$arg\*' as the probe's arguments \(fprobe\(fn, '\$arg\*'\)\)/)
  // The builders: places, $arg*, default names as the kernel's.
  expect(fprobe('vfs_read')).toMatchObject({ type: 'fprobe', at: 'vfs_read', name: 'vfs_read__entry', args: {} })
  expect(fretprobe('vfs_read')).toMatchObject({ type: 'fretprobe', name: 'vfs_read__exit', args: { ret: '$retval' } })
  expect(tprobe('kfree', '$arg*')).toMatchObject({ type: 'tprobe', at: 'kfree', allArgs: true, args: {} })
  expect(() => fprobe('vfs_read+4')).toThrow(/an fprobe goes on a kernel function by its name, at its entry or exit: no offset or address/)
  expect(() => tprobe('sched:sched_switch')).toThrow(/a tprobe goes on a tracepoint by its name \(e\.g\. sched_switch, kfree\), without its system/)
  expect(() => uprobe('/bin/true', 'main', { x: 'count' })).toThrow(/BAD_FETCH_ARG/)
})
