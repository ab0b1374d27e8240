import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { buildInitramfs, type GuestFile } from './initramfs.js'
import { CHANNEL_MODULES, fullModulesTree, installedModulesTree, isBuiltIn, loadOrder, resolveKernel, SHARE_MODULES, type KernelImage } from './kernel.js'
import { AgentClient, Op } from './protocol.js'
import { bootVm, type Share, type Vm, type VmOptions } from './vm.js'

export interface QemuOptions extends Partial<VmOptions> {
  /** `debian` or the path of a bzImage/vmlinuz. */
  kernel: string
  modules?: string
  files?: GuestFile[]
  /** The host's root and working folder shared into the guest (default true). */
  shareRoot?: boolean
  /** The run's VM broker (src/kernel/qemu/broker.ts): lease a VM from it instead of booting one. */
  broker?: string
}

/** A booted guest's userspace: the host's (shared), or busybox in the initramfs and why. */
export type Userspace = { shared: true; modules: boolean } | { shared: false; why: string }

/** A boot, for the run's summary: how long (resolving the image and building the initramfs included), with which accelerator, and why the guest runs busybox when sharing was asked for and failed. */
export interface Boot {
  ms: number
  accel: 'kvm' | 'tcg'
  fallback?: string
}

/** What a process using a guest needs to know of it, whoever booted it. */
export interface GuestFacts {
  kernel: KernelImage
  userspace: Userspace
  consolePath: string
  accel: 'kvm' | 'tcg'
}

/**
 * Boots a guest for `opts`: the kernel resolved, the boot-stage modules packed (the agent's
 * channel; with shareRoot, 9p and overlay), the host's root, working folder and modules
 * tree shared, the VM started; then asks the guest whether sharing worked.
 */
export async function bootGuest(opts: QemuOptions): Promise<{ vm: Vm; agent: AgentClient; facts: GuestFacts; boot: Boot }> {
  const started = performance.now()
  const k = await resolveKernel(opts.kernel, opts.modules)
  const channel = await loadOrder(k, CHANNEL_MODULES)
  // Modules (Debian 6.1) or built in (Debian 6.12).
  const virtio = channel.some((f) => /\/virtio_console\.ko/.test(f)) || (await isBuiltIn(k, 'virtio_console'))
  // 9p runs over virtio; a kernel without virtio-serial has no virtio-pci for it either.
  const share = (opts.shareRoot ?? true) && virtio
  const shares: Share[] = []
  let packed = channel
  let cwd: string | undefined
  if (share) {
    packed = [...new Set([...channel, ...(await loadOrder(k, SHARE_MODULES))])]
    shares.push({ tag: 'kspec-root', path: '/', readonly: true })
    // The working folder, writable at its own path (a path the init can read back in one line).
    if (process.cwd() !== '/' && !process.cwd().includes('\n')) shares.push({ tag: 'kspec-cwd', path: (cwd = process.cwd()), readonly: false })
    const tree = (await fullModulesTree(k)) ?? (await installedModulesTree(k))
    if (tree) shares.push({ tag: 'kspec-modules', path: tree, readonly: true })
  }
  const initramfs = await buildInitramfs(opts.files, packed, share ? { cwd } : undefined)
  // Each boot's console is an artifact of the run, next to the failed tests' ones.
  const consoles = resolve(opts.artifactDir ?? join('kspec-artifacts', 'consoles'))
  await mkdir(consoles, { recursive: true })
  const vm = await bootVm(k, initramfs, {
    memoryMb: opts.memoryMb ?? 1024,
    cpus: opts.cpus,
    accel: opts.accel ?? 'auto',
    bootTimeoutMs: opts.bootTimeoutMs ?? 90_000,
    artifactDir: consoles,
    virtio,
    shares,
  })
  const agent = new AgentClient(vm.socket, () => new Error(`the VM running ${k.name} went away (crashed, panicked or was killed); console log: ${vm.consolePath}`))
  // Shared: the agent runs from the new root (/run/kspec/agent) and the initramfs, /kspec-share
  // with it, is gone. Otherwise the init left its reason in /kspec-fallback.
  const has = (path: string) => agent.request(Op.EXISTS, [path]).then(() => true, () => false)
  const shared = share && !(await has('/kspec-share')) && (await has('/run/kspec/agent'))
  const fallback = share && !shared ? await agent.request(Op.READ, ['/kspec-fallback']).then((b) => b.toString().trim(), () => 'the guest did not say why') : undefined
  const userspace: Userspace =
    shared
      ? { shared: true, modules: shares.some((s) => s.tag === 'kspec-modules') }
      : { shared: false, why: fallback !== undefined ? `sharing the host root failed: ${fallback}` : !virtio ? 'no virtio modules, so no 9p to share the host root over' : 'qemu.shareRoot is false' }
  return {
    vm,
    agent,
    facts: { kernel: k, userspace, consolePath: vm.consolePath, accel: vm.accel },
    boot: { ms: Math.round(performance.now() - started), accel: vm.accel, ...(fallback !== undefined && { fallback }) },
  }
}
