import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, test } from 'kspec'
import { debianHeaders } from '../../src/kernel/build.js'
import { kernelConfig } from '../../src/kernel/config.js'
import { moduleFiles, resolveKernel, VIRTIO_MODULES } from '../../src/kernel/qemu/kernel.js'
import { QemuTarget } from '../../src/kernel/qemu/target.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { Recorder } from '../../src/tracefs/recorder.js'
import { tempDir } from '../helpers.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
let vm: QemuTarget | undefined
let r: Recorder | undefined
afterAll(async () => {
  await r?.close()
  await vm?.close()
})

/**
 * `--kernel TREE`: a kernel build tree, as a developer has one after `make bzImage
 * modules`. Building a kernel takes hours under this machine's two cores, so the tree is
 * put together from Debian's real pieces: its headers (a build tree's Makefile, .config,
 * Module.symvers and scripts), its bzImage at arch/x86/boot, in-tree modules where the
 * build leaves them (drivers/…/*.ko) with modules.order. Everything kspec does with it is real.
 */
test('a kernel build tree boots; its .config is read, its in-tree modules load, out-of-tree ones are built against it', async () => {
  const debian = await resolveKernel('debian')
  const release = debian.name.replace(/^debian-/, '')
  const headers = await debianHeaders(release)
  const tmp = tempDir('kspec-tree-')
  // The headers' root holds usr/src (the tree) and usr/lib (kbuild, which scripts/ links to).
  cpSync(join(headers, '..', '..', '..'), tmp, { recursive: true, verbatimSymlinks: true })
  const tree = join(tmp, 'usr', 'src', `linux-headers-${release}`)
  mkdirSync(join(tree, 'arch/x86/boot'), { recursive: true })
  cpSync(debian.vmlinuz, join(tree, 'arch/x86/boot/bzImage'))
  // null_blk and what it depends on, out of Debian's package (kspec extracts them on first use), into the tree's layout.
  const needed = (await moduleFiles(debian, 'null_blk')).filter((f) => f.endsWith('.ko'))
  const modules = [...VIRTIO_MODULES, ...needed]
  for (const m of modules) {
    const to = join(tree, m.replace(/^kernel\//, ''))
    mkdirSync(join(to, '..'), { recursive: true })
    cpSync(join(debian.modules!, m), to)
  }
  writeFileSync(join(tree, 'modules.order'), modules.map((m) => m.replace(/^kernel\//, '')).join('\n') + '\n')

  expect((await kernelConfig(tree))?.file).toBe(join(tree, '.config'))
  vm = new QemuTarget({ kernel: tree })
  r = new Recorder(vm)
  await vm.ready()
  expect(vm.name).toBe(`qemu:${tree}`)
  // Loaded from the tree's own modules.order, not Debian's package.
  const inTree = await r.record(defineTrace({ modules: [{ name: 'null_blk', params: { nr_devices: 1 } }], tracer: 'function', functions: ['null_queue_rq'] }), 'dd if=/dev/nullb0 of=/dev/null bs=4k count=4 iflag=direct', { timeoutMs: 60_000 })
  expect(inTree.ofKind('function').length).toBeGreaterThan(0)
  // Built against the tree (make -C TREE M=…), then loaded and traced.
  const own = await r.record(defineTrace({ modules: [{ source: join(ROOT, 'drivers/kspec-demo') }], tracer: 'function_graph', graphFunctions: ['kspec_demo_write'], options: { 'funcgraph-irqs': false }, bufferSizeKb: 4096 }), 'echo hi > /dev/kspec_demo', { timeoutMs: 60_000 })
  expect(own).toCall('kspec_demo_parse').within('kspec_demo_write')
  expect(await vm.modules()).not.toContain('kspec_demo')
  expect(readdirSync(join(ROOT, 'drivers/kspec-demo')).sort()).toEqual(['Makefile', 'kspec_demo.c'])
}, 300_000)
