import { expect, test } from 'vitest'
import { dependsOf, moduleNameOf, moduleNames, newKernelLines } from '../../src/kernel/workload.js'

test("a module's dependencies from its .modinfo, /proc/modules' names", () => {
  const ko = Buffer.concat([Buffer.from('\x7fELF...'), Buffer.from('\0license=GPL\0depends=configfs,crc64\0retpoline=Y\0name=null_blk\0')])
  expect(dependsOf(ko)).toEqual(['configfs', 'crc64'])
  expect(dependsOf(Buffer.from('\0license=GPL\0depends=\0name=x\0'))).toEqual([])
  expect(moduleNameOf(ko, '/x/null-blk.ko')).toBe('null_blk')
  expect(moduleNameOf(Buffer.from('no modinfo'), '/x/kspec-demo.ko')).toBe('kspec_demo')
  expect(moduleNames('null_blk 49152 0 - Live 0xffffffffc0270000\nconfigfs 57344 1 null_blk, Live 0xffffffffc0250000\n')).toEqual(['null_blk', 'configfs'])
})

test('the kernel log lines a module load added, /dev/kmsg continuation lines skipped', () => {
  const before = '6,364,2252930,-;clocksource: Switched to clocksource tsc\n SUBSYSTEM=clocksource\n'
  const after = `${before}3,365,2313579,-;null_blk: \`abc' invalid for parameter \`nr_devices'\n DEVICE=+module:null_blk\n`
  expect(newKernelLines(before, after)).toEqual(["null_blk: `abc' invalid for parameter `nr_devices'"])
})
