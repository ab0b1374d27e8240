import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'kspec'
import { QemuTarget } from '../../src/kernel/qemu/target.js'
import { fullModulesTree, resolveKernel } from '../../src/kernel/qemu/kernel.js'
import { defineTrace } from '../../src/spec/declaration.js'
import { uprobe } from '../../src/spec/probes.js'
import { libcPath } from '../../src/spec/libs.js'
import { Recorder } from '../../src/tracefs/recorder.js'
import { tempDir } from '../helpers.js'
import { kernelWithout9p } from '../no9p.js'

/**
 * The guest's userspace, live on Debian's kernel under QEMU: the host's root shared
 * read-only (9p) under a tmpfs overlay, the working folder writable at its path, Debian's
 * whole modules tree at /lib/modules; and the fallback to busybox, with its reason, when
 * sharing fails.
 */
const vm = new QemuTarget({ kernel: 'debian' })
const r = new Recorder(vm)

beforeAll(async () => {
  await vm.ready()
}, 180_000)

afterAll(async () => {
  await r.close()
  await vm.close()
}, 60_000)

async function run(t: QemuTarget, argv: string[]) {
  const s = await t.spawner()
  try {
    return await s.run({ argv }, 60_000)
  } finally {
    await s.close()
  }
}

describe('the shared root', () => {
  test("the guest runs the host's programs, and a binary built here a moment ago", async () => {
    expect(vm.userspace).toEqual({ shared: true, modules: true })
    expect(vm.capabilities.programs).toBeUndefined()
    expect((await run(vm, ['cat', '/etc/os-release'])).stdout).toBe(readFileSync('/etc/os-release', 'utf8'))
    const dir = tempDir('kspec-guest-')
    writeFileSync(join(dir, 'release.c'), '#include <stdio.h>\n#include <sys/utsname.h>\nint main(void) { struct utsname u; uname(&u); printf("%s\\n", u.release); return 0; }\n')
    execFileSync('cc', ['-o', join(dir, 'release'), join(dir, 'release.c')])
    const own = await run(vm, [join(dir, 'release')])
    expect(own).toMatchObject({ exitCode: 0, stdout: `${await vm.release()}\n` })
    expect(own.stdout).not.toBe(`${execFileSync('uname', ['-r']).toString().trim()}\n`)
  })

  test("a uprobe on the guest's libc (the host's file) fires in the guest", async () => {
    const libc = defineTrace({ uprobes: [uprobe(libcPath(), 'open', { path: '+0(%di):string' })] })
    const trace = await r.record(libc, ['cat', '/nonexistent/kspec-guest'])
    expect(trace).toHaveEvent('open', { path: '/nonexistent/kspec-guest' })
    expect(trace.kernel).toBe(await vm.release())
  })

  test('the working folder is writable at its own path; writes elsewhere stay in the guest', async () => {
    const mine = join(process.cwd(), `.kspec-guest-${process.pid}`)
    const elsewhere = `/etc/kspec-guest-${process.pid}`
    try {
      const w = await run(vm, ['sh', '-c', `echo from-guest > ${mine} && echo guest-only > ${elsewhere} && cat ${elsewhere}`])
      expect(w).toMatchObject({ exitCode: 0, stdout: 'guest-only\n' })
      expect(readFileSync(mine, 'utf8')).toBe('from-guest\n')
      expect(existsSync(elsewhere)).toBe(false)
    } finally {
      rmSync(mine, { force: true })
    }
  })

  test("Debian's whole modules tree at /lib/modules: depmod's index, modprobe and modinfo work", async () => {
    const release = await vm.release()
    const m = await run(vm, ['sh', '-c', `test -s /lib/modules/${release}/modules.dep.bin && modinfo -F license null_blk && modprobe null_blk nr_devices=2 && ls /dev/nullb0 /dev/nullb1 && modprobe -r null_blk && ! test -e /dev/nullb0`])
    expect(m.stderr).toBe('')
    expect(m).toMatchObject({ exitCode: 0, stdout: 'GPL\n/dev/nullb0\n/dev/nullb1\n' })
  })
})

describe('a kernel of your own', () => {
  test("--modules DIR, as make modules_install INSTALL_MOD_PATH=DIR lays it out, is the guest's /lib/modules", async () => {
    // Debian's image and its indexed tree, hard-linked into the layout modules_install makes.
    const debian = await resolveKernel('debian')
    const tree = await fullModulesTree(debian)
    const release = basename(debian.modules!)
    const dir = tempDir('kspec-installed-')
    mkdirSync(join(dir, 'lib', 'modules'), { recursive: true })
    execFileSync('cp', ['-al', join(tree!, release), join(dir, 'lib', 'modules', release)])
    const own = new QemuTarget({ kernel: debian.vmlinuz, modules: dir })
    try {
      await own.ready()
      expect(own.userspace).toEqual({ shared: true, modules: true })
      const m = await run(own, ['sh', '-c', 'modprobe null_blk && ls /dev/nullb0 && modprobe -r null_blk'])
      expect(m).toMatchObject({ exitCode: 0, stdout: '/dev/nullb0\n', stderr: '' })
    } finally {
      await own.close()
    }
  }, 180_000)
})

describe('when sharing fails', () => {
  test('the guest falls back to busybox in the initramfs, and says why on its console and to the test', async () => {
    const { vmlinuz, modules } = await kernelWithout9p()
    const bare = new QemuTarget({ kernel: vmlinuz, modules })
    try {
      await bare.ready()
      const why = /^the kernel offers no 9p over virtio \(9pnet_virtio and 9p are neither built in nor among its modules kspec found\)$/
      expect(bare.userspace).toMatchObject({ shared: false })
      expect(bare.booted?.fallback).toMatch(why)
      expect(bare.capabilities.programs).toMatch(/^the guest runs busybox from its initramfs \(sharing the host root failed: the kernel offers no 9p over virtio .*\); put your own binaries in with the config's qemu\.files$/)
      expect(await bare.console()).toMatch(/kspec: sharing the host root failed: the kernel offers no 9p over virtio .*; the guest runs busybox from the initramfs/)
      const trace = defineTrace({ events: ['sched:sched_process_exec'] })
      const rb = new Recorder(bare)
      try {
        await expect(rb.record(trace, ['python3', '-c', 'print(1)'])).rejects.toThrow(/could not start on qemu:\S+: .*python3.*\(the guest runs busybox from its initramfs \(sharing the host root failed: the kernel offers no 9p over virtio/)
        expect((await rb.record(trace, ['busybox', 'true'])).workload?.exitCode).toBe(0)
      } finally {
        await rb.close()
      }
      expect(basename(bare.vm!.consolePath)).toMatch(/^console-/)
    } finally {
      await bare.close()
    }
  }, 180_000)
})
