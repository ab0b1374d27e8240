import { readFile } from 'node:fs/promises'
import { constants } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { TargetError } from '../../errors.js'
import { noteFile, noteKeyOf, sysctlPath, type BackgroundPolicy, type PreparedJob, type Spawner, type Sysctl, type Target, type WorkloadResult, type WorkloadSpec } from '../target.js'
import { argvOf, control, envOf, dependsOf, moduleError, moduleNameOf, moduleNames, newKernelLines, parseStat, pollUntil, waitStopped, type Container } from '../workload.js'
import { buildModule, debianHeaders } from '../build.js'
import { lease } from './broker.js'
import { bootGuest, type Boot, type GuestFacts, type QemuOptions, type Userspace } from './guest.js'
import { moduleFiles, modulesRoot, type KernelImage } from './kernel.js'
import { AgentClient, Op } from './protocol.js'
import { attachAgent } from './vm.js'

export type { QemuOptions, Userspace } from './guest.js'

const TRACEFS = '/sys/kernel/tracing/'
/** The guest's notes (Target.writeNote): its /tmp is its own (a tmpfs, or the overlay's upper layer). */
const GUEST_NOTES = '/tmp/kspec-undo'

const guestNote = (key: string): string => noteFile(GUEST_NOTES, key)

/**
 * A kernel booted under QEMU, driven through the guest agent over a serial port. Boots
 * on first use; one VM per process (a vitest worker), shut down by close() or, failing
 * that, killed when the process exits.
 */
export class QemuTarget implements Target {
  readonly name: string
  get capabilities() {
    const u = this.userspace
    return { functionWorkloads: false, programs: u?.shared ? undefined : `the guest runs busybox from its initramfs${u ? ` (${u.why})` : ''}; put your own binaries in with the config's qemu.files` }
  }
  /** What the guest runs, once booted. */
  userspace: Userspace | undefined
  #booting: Promise<void> | undefined
  #agent: AgentClient | undefined
  #kernel: KernelImage | undefined
  #guest: { accel: 'kvm' | 'tcg'; consolePath: string } | undefined
  /** Ends this process's use of the VM: powers off its own, or gives a leased one back. */
  #letGo: (() => Promise<void>) | undefined
  #locks = new Map<string, Promise<void>>()

  constructor(private readonly opts: QemuOptions) {
    this.name = `qemu:${opts.kernel}`
  }

  ready(): Promise<void> {
    return (this.#booting ??= this.#boot())
  }

  /** The boot this process waited for, once booted (a leased VM booted for an earlier file has none here). */
  booted: Boot | undefined

  async #boot(): Promise<void> {
    if (this.opts.broker) {
      const lent = await lease(this.opts.broker, this.opts)
      try {
        const socket = await attachAgent(lent.agentPath)
        this.#agent = new AgentClient(socket, () => new Error(`the VM running ${lent.kernel.name} went away (crashed, panicked or was killed); console log: ${lent.consolePath}`))
      } catch (e) {
        lent.release()
        throw e
      }
      this.#take(lent)
      this.#retire = () => lent.retire()
      this.booted = lent.boot
      this.#letGo = async () => {
        this.#agent!.close()
        lent.release()
      }
      return
    }
    const { vm, agent, facts, boot } = await bootGuest(this.opts)
    this.#agent = agent
    this.#take(facts)
    this.booted = boot
    this.#letGo = async () => {
      await agent.request(Op.POWEROFF).catch(() => {})
      await vm.stop()
    }
  }

  /** A leased VM whose kernel broke is not lent to another spec file; this process's own VM ends with it anyway. */
  retire(): void {
    this.#retire?.()
  }
  #retire: (() => void) | undefined

  #take(facts: GuestFacts): void {
    this.#kernel = facts.kernel
    this.userspace = facts.userspace
    this.#guest = { accel: facts.accel, consolePath: facts.consolePath }
  }

  /** Boot facts: accel used and where the console log is. */
  get vm(): { accel: 'kvm' | 'tcg'; consolePath: string } | undefined {
    return this.#guest
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

  async readSysctl(name: Sysctl): Promise<string | undefined> {
    const path = sysctlPath(name)
    if (!(await this.#req(Op.EXISTS, [path], path).then(() => true, (e) => (e instanceof TargetError ? false : Promise.reject(e))))) return undefined
    return (await this.#req(Op.READ, [path], path)).toString()
  }

  async writeSysctl(name: Sysctl, value: string): Promise<void> {
    const path = sysctlPath(name)
    await this.#req(Op.WRITE, [path, value], path)
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
   * Loads a module with modprobe in the guest. With Debian's whole tree mounted at
   * /lib/modules (a shared root), that is all; otherwise the module and what it depends on
   * are copied into the guest's /lib/modules (from Debian's package, or the --modules
   * tree) and indexed with depmod there first. kspec's own module commands are busybox's,
   * which the initramfs and (busybox-static being required) the shared root both have.
   */
  async loadModule(name: string, params: string[]): Promise<void> {
    await this.ready()
    if (!(this.userspace?.shared && this.userspace.modules)) {
      const image = this.#kernel!
      const release = await this.release()
      const tree = `/lib/modules/${release}/`
      const root = await modulesRoot(image, release)
      for (const file of await moduleFiles(image, name, release)) {
        const to = tree + file
        for (let i = 0; (i = to.indexOf('/', i + 1)) !== -1; ) await this.#req(Op.MKDIR, [to.slice(0, i)]).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)))
        await this.#req(Op.CREATE, [to, await readFile(join(root, file))], to)
      }
      await this.#command(['busybox', 'depmod'])
    }
    const before = await this.kernelLog()
    const r = await this.#command(['busybox', 'modprobe', name, ...params])
    if (r.exitCode !== 0) throw moduleError(name, params, r.stderr || r.stdout, newKernelLines(before, await this.kernelLog()))
  }

  /** Built against Debian's headers for the booted release (a kernel of your own: its build tree, next to come). */
  async buildModule(source: string): Promise<string> {
    await this.ready()
    const k = this.#kernel!
    if (k.build) return buildModule(source, k.build)
    if (!k.package) throw new Error(`building ${source} for ${k.name} needs its build tree: pass --kernel TREE (the folder you built the kernel in), or load your built .ko with { file }`)
    return buildModule(source, await debianHeaders(await this.release(), k.package.apt))
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
    const r = await this.#command(['busybox', 'insmod', to, ...params])
    await this.#req(Op.UNLINK, [to]).catch(() => {})
    if (r.exitCode !== 0) throw moduleError(name, params, r.stderr || r.stdout, newKernelLines(before, await this.kernelLog()))
    this.#files.add(name)
    return name
  }

  /** Modules loaded from files: rmmod, not modprobe -r, unloads them. */
  readonly #files = new Set<string>()

  async unloadModule(name: string): Promise<void> {
    const r = await this.#command(this.#files.delete(name) ? ['busybox', 'rmmod', name] : ['busybox', 'modprobe', '-r', name])
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

  async tracefsPath(p: string): Promise<string> {
    return TRACEFS + p
  }

  /**
   * Whether the owner of a `kspec_<pid>_*` object still runs. Owners are host processes,
   * and a VM serves one of them at a time (its own, or leased), so every owner but this
   * process is gone: what an earlier borrower left is the janitor's.
   */
  async alive(pid: number): Promise<boolean> {
    return pid === process.pid
  }

  /** The VM belongs to this process alone: a lock is an in-process queue. */
  async lock(name: string, timeoutMs: number): Promise<() => Promise<void>> {
    const prev = this.#locks.get(name) ?? Promise.resolve()
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    this.#locks.set(name, prev.then(() => held))
    let timer: NodeJS.Timeout | undefined
    const waited = await Promise.race([prev.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)))])
    clearTimeout(timer)
    if (!waited) {
      // Given up: the place in the queue passes on as soon as it comes.
      release()
      throw new TargetError(`the guest's lock "${name}" is held by another test of this process for more than ${timeoutMs} ms`, 'ETIMEDOUT', name)
    }
    return async () => release()
  }

  /**
   * Notes live in the guest, beside its tracefs: a VM is lent to one borrower after
   * another, and what a killed borrower left is the next one's to undo.
   */
  async writeNote(key: string, text: string): Promise<void> {
    await this.#req(Op.MKDIR, [GUEST_NOTES]).catch((e) => (e.code === 'EEXIST' ? undefined : Promise.reject(e)))
    await this.#req(Op.CREATE, [guestNote(key), text], guestNote(key))
  }

  async dropNote(key: string): Promise<void> {
    await this.#req(Op.UNLINK, [guestNote(key)], guestNote(key)).catch((e) => (e.code === 'ENOENT' ? undefined : Promise.reject(e)))
  }

  async notes(): Promise<{ key: string; text: string }[]> {
    const names = await this.#req(Op.LIST, [GUEST_NOTES], GUEST_NOTES).then((b) => b.toString().split('\0').filter(Boolean), () => [] as string[])
    const out: { key: string; text: string }[] = []
    for (const name of names) {
      const key = noteKeyOf(name)
      if (key === undefined) continue
      const text = await this.#req(Op.READ, [guestNote(key)], guestNote(key)).then((b) => b.toString(), () => undefined)
      if (text !== undefined) out.push({ key, text })
    }
    return out
  }

  async close(): Promise<void> {
    if (!this.#booting) return
    await this.#booting.catch(() => {})
    const letGo = this.#letGo
    this.#letGo = undefined
    await letGo?.()
  }

  /** The guest's console log so far. */
  async console(): Promise<string> {
    return this.#guest ? readFile(this.#guest.consolePath, 'utf8').catch(() => '') : ''
  }
}

async function prepareJob(req: (op: number, args: string[]) => Promise<Buffer>, spawner: string, w: WorkloadSpec, timeoutMs: number, policy: BackgroundPolicy): Promise<PreparedJob> {
  const [job, pidText] = (await req(Op.JOB, [spawner, argvOf(w).join('\0'), envOf(w).join('\0')])).toString().split(' ')
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
