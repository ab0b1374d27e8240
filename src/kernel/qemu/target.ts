import { mkdir, readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TargetError } from '../../errors.js'
import type { BackgroundPolicy, PreparedJob, Spawner, Target, WorkloadResult, WorkloadSpec } from '../target.js'
import { argvOf, control, dependsOf, moduleError, moduleNameOf, moduleNames, newKernelLines, parseStat, pollUntil, waitStopped, type Container } from '../workload.js'
import { buildModule, debianHeaders } from '../build.js'
import { buildInitramfs, type GuestFile } from './initramfs.js'
import { moduleFiles, modulesRoot, resolveKernel, VIRTIO_MODULES, type KernelImage } from './kernel.js'
import { AgentClient, Op } from './protocol.js'
import { bootVm, type Vm, type VmOptions } from './vm.js'

export interface QemuOptions extends Partial<VmOptions> {
  /** `debian` or the path of a bzImage/vmlinuz. */
  kernel: string
  modules?: string
  files?: GuestFile[]
}

const TRACEFS = '/sys/kernel/tracing/'

/**
 * A kernel booted under QEMU, driven through the guest agent over a serial port. Boots
 * on first use; one VM per process (a vitest worker), shut down by close() or, failing
 * that, killed when the process exits.
 */
export class QemuTarget implements Target {
  readonly name: string
  readonly capabilities = { functionWorkloads: false, programs: "the guest has busybox; put your own binaries in with the config's qemu.files" }
  #booting: Promise<void> | undefined
  #vm: Vm | undefined
  #agent: AgentClient | undefined
  #kernel: KernelImage | undefined
  #locks = new Map<string, Promise<void>>()

  constructor(private readonly opts: QemuOptions) {
    this.name = `qemu:${opts.kernel}`
  }

  ready(): Promise<void> {
    return (this.#booting ??= this.#boot())
  }

  /** How long the boot took (resolving the image and building the initramfs included), once booted. */
  booted: { ms: number; accel: string } | undefined

  async #boot(): Promise<void> {
    const started = performance.now()
    this.#kernel = await resolveKernel(this.opts.kernel, this.opts.modules)
    const modules = await virtioModules(this.#kernel)
    const initramfs = await buildInitramfs(this.opts.files, modules)
    // Each boot's console is an artifact of the run, next to the failed tests' ones.
    const consoles = resolve(this.opts.artifactDir ?? join('kspec-artifacts', 'consoles'))
    await mkdir(consoles, { recursive: true })
    this.#vm = await bootVm(this.#kernel, initramfs, {
      memoryMb: this.opts.memoryMb ?? 1024,
      cpus: this.opts.cpus,
      accel: this.opts.accel ?? 'auto',
      bootTimeoutMs: this.opts.bootTimeoutMs ?? 90_000,
      artifactDir: consoles,
      virtio: modules.length > 0,
    })
    const vm = this.#vm
    this.#agent = new AgentClient(vm.socket, () => new Error(`the VM running ${this.#kernel!.name} went away (crashed, panicked or was killed); console log: ${vm.consolePath}`))
    this.booted = { ms: Math.round(performance.now() - started), accel: vm.accel }
  }

  /** Boot facts: accel used and where the console log is. */
  get vm(): { accel: 'kvm' | 'tcg'; consolePath: string } | undefined {
    return this.#vm && { accel: this.#vm.accel, consolePath: this.#vm.consolePath }
  }

  async #req(op: number, args: (string | Buffer)[] = [], path = ''): Promise<Buffer> {
    await this.ready()
    // WAIT lasts as long as its workload; that workload's own timeout bounds it.
    return this.#agent!.request(op, args, path, op === Op.WAIT ? 0 : undefined)
  }

  async release(): Promise<string> {
    return (await this.#req(Op.UNAME)).toString()
  }

  async read(p: string): Promise<string> {
    return (await this.#req(Op.READ, [TRACEFS + p], p)).toString()
  }

  async write(p: string, data: string): Promise<void> {
    await this.#req(Op.WRITE, [TRACEFS + p, data], p)
  }

  async append(p: string, data: string): Promise<void> {
    await this.#req(Op.APPEND, [TRACEFS + p, data], p)
  }

  async mkdir(p: string): Promise<void> {
    await this.#req(Op.MKDIR, [TRACEFS + p], p)
  }

  async rmdir(p: string): Promise<void> {
    await this.#req(Op.RMDIR, [TRACEFS + p], p)
  }

  async list(p: string): Promise<string[]> {
    return (await this.#req(Op.LIST, [TRACEFS + p], p)).toString().split('\0').filter(Boolean)
  }

  async exists(p: string): Promise<boolean> {
    return this.#req(Op.EXISTS, [TRACEFS + p], p).then(
      () => true,
      (e) => {
        if (e instanceof TargetError) return false
        throw e
      },
    )
  }

  readFile(absolutePath: string): Promise<Buffer> {
    return this.#req(Op.READ, [absolutePath], absolutePath)
  }

  async *stream(p: string, signal: AbortSignal): AsyncIterable<Buffer> {
    for (;;) {
      const data = await this.#req(Op.PIPE, [TRACEFS + p], p)
      if (data.length > 0) yield data
      else if (signal.aborted) return
      else await sleep(5)
    }
  }

  async spawner(): Promise<Spawner> {
    const pid = (await this.#req(Op.SPAWN)).toString()
    const req = (op: number, args: string[]) => this.#req(op, args)
    return {
      pid: Number(pid),
      // The agent (PID 1) sends each job its SIGCONT.
      launcher: 1,
      prepare: (workload: WorkloadSpec, timeoutMs: number, background: BackgroundPolicy = 'kill') => prepareJob(req, pid, workload, timeoutMs, background),
      run: async (workload: WorkloadSpec, timeoutMs: number, background: BackgroundPolicy = 'kill') => (await prepareJob(req, pid, workload, timeoutMs, background)).start(),
      close: async () => {
        await req(Op.SPAWN_STOP, [pid]).catch(() => {})
      },
    }
  }

  /**
   * Copies the module and what it depends on into the guest's /lib/modules (from Debian's
   * package, or the --modules tree), has the guest's depmod index them, and modprobes it.
   */
  async loadModule(name: string, params: string[]): Promise<void> {
    await this.ready()
    const image = this.#kernel!
    const release = await this.release()
    const tree = `/lib/modules/${release}/`
    const root = await modulesRoot(image, release)
    for (const file of await moduleFiles(image, name, release)) {
      const to = tree + file
      for (let i = 0; (i = to.indexOf('/', i + 1)) !== -1; ) await this.#req(Op.MKDIR, [to.slice(0, i)]).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)))
      await this.#req(Op.CREATE, [to, await readFile(join(root, file))], to)
    }
    await this.#command(['depmod'])
    const before = await this.kernelLog()
    const r = await this.#command(['modprobe', name, ...params])
    if (r.exitCode !== 0) throw moduleError(name, params, r.stderr || r.stdout, newKernelLines(before, await this.kernelLog()))
  }

  /** Built against Debian's headers for the booted release (a kernel of your own: its build tree, next to come). */
  async buildModule(source: string): Promise<string> {
    await this.ready()
    const k = this.#kernel!
    if (k.build) return buildModule(source, k.build)
    if (!k.package) throw new Error(`building ${source} for ${k.name} needs its build tree: pass --kernel TREE (the folder you built the kernel in), or load your built .ko with { file }`)
    return buildModule(source, await debianHeaders(await this.release()))
  }

  /** Copies the module file into the guest, loads what it depends on (from the package), then insmods it. */
  async loadModuleFile(ko: string, params: string[]): Promise<string> {
    await this.ready()
    const bytes = await readFile(ko)
    const name = moduleNameOf(bytes, ko)
    for (const dep of dependsOf(bytes)) await this.loadModule(dep, [])
    const to = `/tmp/kspec-module-${name}.ko`
    await this.#req(Op.CREATE, [to, bytes], to)
    const before = await this.kernelLog()
    const r = await this.#command(['insmod', to, ...params])
    await this.#req(Op.UNLINK, [to]).catch(() => {})
    if (r.exitCode !== 0) throw moduleError(name, params, r.stderr || r.stdout, newKernelLines(before, await this.kernelLog()))
    this.#files.add(name)
    return name
  }

  /** Modules loaded from files: rmmod, not modprobe -r, unloads them. */
  readonly #files = new Set<string>()

  async unloadModule(name: string): Promise<void> {
    const r = await this.#command(this.#files.delete(name) ? ['rmmod', name] : ['modprobe', '-r', name])
    if (r.exitCode !== 0) throw new Error(`the module ${name} did not unload (modprobe -r ${name}): ${(r.stderr || r.stdout).trim()}`)
  }

  async modules(): Promise<string[] | undefined> {
    return this.#req(Op.READ, ['/proc/modules']).then((b) => moduleNames(b.toString()), () => undefined)
  }

  /** A command of kspec's own in the guest (depmod, modprobe): a spawner of its own, ended after. */
  async #command(argv: string[]): Promise<WorkloadResult> {
    const s = await this.spawner()
    try {
      return await s.run({ argv }, 60_000)
    } finally {
      await s.close()
    }
  }

  async kernelLog(): Promise<string> {
    return (await this.#req(Op.KMSG, [], '/dev/kmsg')).toString()
  }

  async alive(pid: number): Promise<boolean> {
    return this.#req(Op.ALIVE, [String(pid)]).then(() => true, () => false)
  }

  /** The VM belongs to this process alone: a lock is an in-process queue. */
  async lock(name: string): Promise<() => Promise<void>> {
    const prev = this.#locks.get(name) ?? Promise.resolve()
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    this.#locks.set(name, prev.then(() => held))
    await prev
    return async () => release()
  }

  async close(): Promise<void> {
    if (!this.#booting) return
    const vm = await this.#booting.then(() => this.#vm, () => undefined)
    if (!vm) return
    await this.#agent!.request(Op.POWEROFF).catch(() => {})
    await vm.stop()
  }

  /** The guest's console log so far. */
  async console(): Promise<string> {
    return this.#vm ? this.#vm.console() : ''
  }
}

async function prepareJob(req: (op: number, args: string[]) => Promise<Buffer>, spawner: string, w: WorkloadSpec, timeoutMs: number, policy: BackgroundPolicy): Promise<PreparedJob> {
  const [job, pidText] = (await req(Op.JOB, [spawner, argvOf(w).join('\0')])).toString().split(' ')
  const pid = Number(pidText)
  // The agent's child setpgid()s: the workload and what it starts share the process group `pid`.
  const group = (sig: number) => req(Op.KILL, [String(pid), String(sig)]).then(() => true, () => false)
  // It stops itself before exec; tracing starts once it has.
  await waitStopped(async () => (await req(Op.READ, [`/proc/${pid}/stat`])).toString())
  const out = `/tmp/kspec-job-${job}.out`
  const err = `/tmp/kspec-job-${job}.err`
  return control(
    {
      pid,
      container: processGroup(req, pid, group),
      // The guest's kernel numbers signals as the host's (Linux on x86-64).
      signal: async (sig) => void (await group(constants.signals[sig])),
      status: async () => Number((await req(Op.WAIT, [spawner, job])).toString()),
      finish: async () => {
        const [stdout, stderr] = await Promise.all([req(Op.READ, [out]), req(Op.READ, [err])])
        await Promise.all([req(Op.UNLINK, [out]), req(Op.UNLINK, [err])])
        return { stdout: stdout.toString(), stderr: stderr.toString() }
      },
    },
    timeoutMs,
    policy,
  )
}

/** The guest workload's process group, reached through the agent (`kill(-pgid, 0)` says whether it is empty). */
function processGroup(req: (op: number, args: string[]) => Promise<Buffer>, pgid: number, group: (sig: number) => Promise<boolean>): Container {
  return {
    containedBy: 'process group',
    members: async () => {
      if (!(await group(0))) return []
      const out: { pid: number; comm: string }[] = []
      for (const entry of (await req(Op.LIST, ['/proc']).catch(() => Buffer.alloc(0))).toString().split('\0')) {
        if (!/^\d+$/.test(entry)) continue
        const stat = parseStat(Number(entry), (await req(Op.READ, [`/proc/${entry}/stat`]).catch(() => Buffer.alloc(0))).toString())
        if (stat?.pgrp === pgid) out.push({ pid: stat.pid, comm: stat.comm })
      }
      return out
    },
    waitEmpty: (deadline) => pollUntil(async () => !(await group(0)), deadline),
    kill: async () => void (await group(constants.signals.SIGKILL)),
  }
}

/** The virtio-serial modules of the kernel, when its modules tree has them all. */
async function virtioModules(k: KernelImage): Promise<string[]> {
  if (!k.modules) return []
  const { access } = await import('node:fs/promises')
  const { join } = await import('node:path')
  // A package's tree has them under kernel/, a build tree where they were built.
  for (const layout of [(m: string) => m, (m: string) => m.replace(/^kernel\//, '')]) {
    const paths = VIRTIO_MODULES.map((m) => join(k.modules!, layout(m)))
    const present = await Promise.all(paths.map((p) => access(p).then(() => true, () => false)))
    if (present.every(Boolean)) return paths
  }
  return []
}
