import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { kernelConfig, parseKernelConfig } from '../../src/kernel/config.js'
import { tempDir } from '../helpers.js'

test('a .config: set options with their values; "is not set" lines and comments leave them out', () => {
  const options = parseKernelConfig('#\n# Tracers\n#\nCONFIG_FTRACE=y\n# CONFIG_FUNCTION_PROFILER is not set\nCONFIG_BLK_DEV_NULL_BLK=m\nCONFIG_LOCALVERSION="-kspec"\n')
  expect(Object.fromEntries(options)).toEqual({ CONFIG_FTRACE: 'y', CONFIG_BLK_DEV_NULL_BLK: 'm', CONFIG_LOCALVERSION: '-kspec' })
})

test("a kernel's configuration is found beside it: a build tree's .config, or config-<v> beside vmlinuz-<v>", async () => {
  const tree = tempDir('kspec-tree-')
  mkdirSync(join(tree, 'arch/x86/boot'), { recursive: true })
  writeFileSync(join(tree, 'arch/x86/boot/bzImage'), 'not a real kernel: only the path counts here')
  writeFileSync(join(tree, '.config'), 'CONFIG_FUNCTION_GRAPH_TRACER=y\n')
  expect(await kernelConfig(join(tree, 'arch/x86/boot/bzImage'))).toEqual({ file: join(tree, '.config'), options: new Map([['CONFIG_FUNCTION_GRAPH_TRACER', 'y']]) })
  const boot = tempDir('kspec-boot-')
  writeFileSync(join(boot, 'vmlinuz-6.9.0-test'), '')
  writeFileSync(join(boot, 'config-6.9.0-test'), '# CONFIG_KPROBE_EVENTS is not set\n')
  expect(await kernelConfig(join(boot, 'vmlinuz-6.9.0-test'))).toMatchObject({ file: join(boot, 'config-6.9.0-test') })
  expect((await kernelConfig(join(boot, 'vmlinuz-6.9.0-test')))!.options.has('CONFIG_KPROBE_EVENTS')).toBe(false)
  writeFileSync(join(boot, 'bzImage-alone'), '')
  expect(await kernelConfig(join(boot, 'bzImage-alone'))).toBeUndefined()
})

test("this machine's configuration says what its tracefs showed: no function_graph, no kprobes", async () => {
  const config = await kernelConfig('host')
  expect(config?.file).toMatch(/^\/proc\/config\.gz$|^\/boot\/config-/)
  expect(config!.options.get('CONFIG_FTRACE')).toBe('y')
  expect(config!.options.has('CONFIG_FUNCTION_GRAPH_TRACER')).toBe(false)
  expect(config!.options.has('CONFIG_KPROBE_EVENTS')).toBe(false)
})
