import { spawn, type ChildProcess } from 'node:child_process'
import { access, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { release } from 'node:os'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { orphanProof } from '../exec.js'
import { privateDir } from '../../tempdir.js'
import { cacheDir } from './cache.js'
import type { KernelImage } from './kernel.js'

export interface VmOptions {
  memoryMb: number
  /** vCPUs; by default 2 with KVM and 1 with TCG (see boot()). */
  cpus: number | undefined
  /** kvm, tcg, or auto: KVM when /dev/kvm really works (probed once per host), TCG otherwise. */
  accel: 'auto' | 'kvm' | 'tcg'
  bootTimeoutMs: number
  /** Where the console log of each boot is saved. */
  artifactDir: string
}

/** A host folder the guest mounts over 9p (virtio-9p-pci), by its mount tag. */
export interface Share {
  tag: string
  path: string
  readonly: boolean
}

/** QEMU's option syntax doubles a comma inside a value. */
const optionValue = (v: string): string => v.replace(/,/g, ',,')

/** QEMU arguments exporting the shares (`multidevs=remap`: the host root spans several file systems). */
export function shareArgs(shares: Share[]): string[] {
  return shares.flatMap((s, i) => [
    '-fsdev', `local,id=share${i},path=${optionValue(s.path)},security_model=none,multidevs=remap${s.readonly ? ',readonly=on' : ''}`,
    '-device', `virtio-9p-pci,fsdev=share${i},mount_tag=${s.tag}`,
  ])
}

/** A booted guest: the agent's socket, its console log, and the QEMU process. */
export interface Vm {
  socket: Socket
  /** The guest's console so far (boot messages, oopses, panics). */
  console(): Promise<string>
  consolePath: string
  accel: 'kvm' | 'tcg'
  process: ChildProcess
  /** The agent's socket: another process of the run attaches there (attachAgent) once this one has let go. */
  agentPath: string
  /** Ends QEMU (after the agent powered off, or by force). */
  stop(): Promise<void>
}

const live = new Set<ChildProcess>()
let exitHooked = false

/** No stray QEMU may outlive kspec: killed on exit, whatever the path out. */
function hookExit(): void {
  if (exitHooked) return
  exitHooked = true
  process.on('exit', () => {
    for (const p of live) p.kill('SIGKILL')
  })
}

const READY = 'KSPEC-AGENT-READY\n'
const SILENT = 'the guest printed nothing on its console'
const SILENT_MS = 30_000

/**
 * Boots a kernel with kspec's initramfs. With accel auto, a host whose /dev/kvm hangs
 * (nested KVM here) is found out with a short probe the first time and remembered.
 */
export async function bootVm(kernel: KernelImage, initramfs: string, opts: VmOptions & { virtio: boolean; shares?: Share[] }): Promise<Vm> {
  hookExit()
  let accel: 'kvm' | 'tcg' = opts.accel === 'auto' ? await kvmVerdict() : opts.accel
  if (accel === 'kvm') {
    try {
      const vm = await boot(kernel, initramfs, opts, 'kvm', Math.min(opts.bootTimeoutMs, 15_000))
      if (opts.accel === 'auto') await rememberKvm('works')
      return vm
    } catch (e) {
      if (opts.accel === 'kvm') throw e
      await rememberKvm('hangs')
      accel = 'tcg'
    }
  }
  try {
    return await boot(kernel, initramfs, opts, accel, opts.bootTimeoutMs)
  } catch (e) {
    // One more boot when the guest never started at all; a kernel that fails fails twice.
    if (!(e as Error).message.includes(SILENT)) throw e
    return boot(kernel, initramfs, opts, accel, opts.bootTimeoutMs)
  }
}

async function kvmFile(): Promise<string> {
  return join(await cacheDir(), `kvm-${release()}`)
}

async function kvmVerdict(): Promise<'kvm' | 'tcg'> {
  if (!(await access('/dev/kvm').then(() => true, () => false))) return 'tcg'
  const known = await readFile(await kvmFile(), 'utf8').catch(() => '')
  return known.trim() === 'hangs' ? 'tcg' : 'kvm'
}

async function rememberKvm(verdict: 'works' | 'hangs'): Promise<void> {
  await writeFile(await kvmFile(), verdict)
}

let boots = 0

async function boot(kernel: KernelImage, initramfs: string, opts: VmOptions & { virtio: boolean; shares?: Share[] }, accel: 'kvm' | 'tcg', timeoutMs: number): Promise<Vm> {
  // Named after this process, so a later run's sweep removes it should this one be killed.
  const dir = await privateDir('vms')
  const sock = join(dir, 'agent.sock')
  const consolePath = join(opts.artifactDir, `console-${kernel.name}-${process.pid}-${++boots}.log`)
  const args = [
    '-accel', accel, ...(accel === 'kvm' ? ['-cpu', 'host'] : ['-cpu', 'max']),
    // Under TCG, one vCPU: enabling the function tracer patches text with every CPU in
    // lockstep, and two emulated vCPUs on a loaded two-core host were seen to livelock.
    '-m', String(opts.memoryMb), '-smp', String(opts.cpus ?? (accel === 'kvm' ? 2 : 1)),
    '-kernel', kernel.vmlinuz, '-initrd', initramfs,
    '-append', 'console=ttyS0 panic=-1 loglevel=4 tsc=reliable',
    '-nodefaults', '-display', 'none', '-no-reboot',
    '-chardev', `file,id=con,path=${consolePath}`, '-serial', 'chardev:con',
    '-chardev', `socket,id=agent,path=${sock},server=on,wait=off`,
    ...shareArgs(opts.shares ?? []),
    ...(opts.virtio ? ['-device', 'virtio-serial-pci,id=vs', '-device', 'virtserialport,bus=vs.0,chardev=agent,name=kspec'] : ['-device', 'isa-serial,chardev=agent']),
  ]
  const qemu = spawn(...(await orphanProof('qemu-system-x86_64', args, 'KILL')), { stdio: ['ignore', 'ignore', 'pipe'] })
  live.add(qemu)
  let stderr = ''
  qemu.stderr!.on('data', (d) => (stderr += d))
  const exited = new Promise<number | null>((resolve) => qemu.once('exit', (code) => resolve(code)))
  qemu.once('exit', () => live.delete(qemu))
  const consoleText = () => readFile(consolePath, 'utf8').catch(() => '')
  const kill = async () => {
    qemu.kill('SIGKILL')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  const fail = async (why: string): Promise<never> => {
    await kill()
    const tail = (await consoleText()).split('\n').slice(-40).join('\n')
    throw new Error(`booting ${kernel.name} under QEMU (${accel}) failed: ${why}${stderr ? `\nqemu: ${stderr.trim()}` : ''}\nConsole (${consolePath}):\n${tail}`)
  }
  const deadline = Date.now() + timeoutMs
  let socket: Socket | undefined
  while (!socket) {
    if (qemu.exitCode !== null) return fail(`qemu exited with ${qemu.exitCode}`)
    if (Date.now() > deadline) return fail(`no agent socket within ${timeoutMs} ms`)
    socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(sock)
      s.once('connect', () => resolve(s))
      s.once('error', () => resolve(undefined))
    })
    if (!socket) await sleep(20)
  }
  const ready = await awaitBanner(socket, READY, Math.max(0, deadline - Date.now()), `the agent did not start within ${timeoutMs} ms (a kernel that never reaches init, or a hang)`, {
    exited: exited.then((code) => `qemu exited with ${code} before the agent started (a kernel panic ends the VM: see the console)`),
    // A guest that has printed nothing after SILENT_MS never started (seen once under
    // load with TCG): say so early, so the caller can boot again instead of waiting.
    silent: async () => ((await consoleText()) === '' ? SILENT : undefined),
  })
  if (ready) return fail(ready)
  return {
    socket,
    agentPath: sock,
    console: consoleText,
    consolePath,
    accel,
    process: qemu,
    async stop() {
      const timer = setTimeout(() => qemu.kill('SIGKILL'), 5000)
      await exited
      clearTimeout(timer)
      socket!.destroy()
      await rm(dir, { recursive: true, force: true })
    },
  }
}


/**
 * Waits for `banner` on the agent's socket; resolves '' once seen (the socket paused, the
 * bytes after the banner put back), else why not. What came before the banner is dropped.
 */
function awaitBanner(socket: Socket, banner: string, timeoutMs: number, late: string, also: { exited?: Promise<string>; silent?: () => Promise<string | undefined> } = {}): Promise<string> {
  return new Promise<string>((resolve) => {
    let seen = ''
    let over = false
    const timer = setTimeout(() => done(late), timeoutMs)
    const silent = also.silent && setTimeout(async () => {
      const why = await also.silent!()
      if (why) done(why)
    }, SILENT_MS)
    const onData = (d: Buffer) => {
      seen += d.toString('latin1')
      const at = seen.indexOf(banner)
      if (at !== -1) {
        const rest = Buffer.from(seen.slice(at + banner.length), 'latin1')
        if (rest.length) socket.unshift(rest)
        done('')
      } else seen = seen.slice(-banner.length)
    }
    const onClose = () => done('the agent\'s socket closed')
    const done = (why: string) => {
      if (over) return
      over = true
      clearTimeout(timer)
      if (silent) clearTimeout(silent)
      // Paused until the protocol client listens, so no byte after the banner is lost.
      socket.pause()
      socket.off('data', onData)
      socket.off('close', onClose)
      resolve(why)
    }
    socket.on('data', onData)
    socket.once('close', onClose)
    void also.exited?.then(done)
  })
}

/**
 * Attaches to a running guest's agent that another process booted (or used before): a
 * HELLO with a fresh nonce, which ends whatever the last process left running in the
 * guest and is answered by a banner carrying the nonce, found in the byte stream whatever
 * came before it. QEMU takes one client at a time; a connection waits until the last one closed.
 */
export async function attachAgent(path: string, timeoutMs = 30_000): Promise<Socket> {
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(path)
    s.once('connect', () => resolve(s))
    s.once('error', reject)
  })
  const nonce = randomUUID()
  const frame = Buffer.alloc(4 + 4 + 1 + 4 + nonce.length)
  frame.writeUInt32LE(frame.length - 4, 0)
  frame.writeUInt32LE(0, 4)
  frame.writeUInt8(20, 8) // Op.HELLO
  frame.writeUInt32LE(nonce.length, 9)
  frame.write(nonce, 13, 'latin1')
  socket.write(frame)
  const why = await awaitBanner(socket, `KSPEC-AGENT-HELLO ${nonce}\n`, timeoutMs, `the guest's agent did not answer within ${timeoutMs / 1000} s`)
  if (why) {
    socket.destroy()
    throw new Error(`attaching to the guest at ${path} failed: ${why}`)
  }
  return socket
}
