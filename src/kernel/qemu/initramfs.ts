import { createHash, randomUUID } from 'node:crypto'
import { access, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exec } from '../exec.js'
import { cacheDir } from './cache.js'
import { newc, type CpioEntry } from './cpio.js'

/** The agent's C source, shipped beside the build (src/kernel/qemu/agent.c). */
const AGENT_SOURCE = fileURLToPath(new URL('../../../src/kernel/qemu/agent.c', import.meta.url))
const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox']

/** A file of the user's to place in the guest (test binaries, scripts). */
export interface GuestFile {
  from: string
  /** Absolute path in the guest. */
  to: string
  mode?: number
}

/**
 * The guest's init. Stage one (busybox, from the initramfs): proc, sysfs, devtmpfs,
 * tracefs, the modules kspec packed (virtio-serial, 9p, overlay). Stage two, when the host
 * shares its root (mount tag kspec-root): that root read-only under a tmpfs overlay, so
 * programs may write anywhere and nothing reaches the host; the user's working folder
 * (kspec-cwd, writable, at the path /kspec-cwd-path names) and the kernel's modules tree (kspec-modules, at
 * /lib/modules) shared over it; then switch_root into it with the agent. When any step of
 * stage two fails, the guest stays on the initramfs (busybox), says why on the console,
 * and leaves the reason in /kspec-fallback for the host to read.
 */
const INIT = `#!/bin/busybox sh
/bin/busybox mkdir -p /bin /sbin /usr/bin /usr/sbin /proc /sys /dev /tmp
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tracefs nodev /sys/kernel/tracing
for m in /lib/kspec-modules/*.ko; do [ -e "$m" ] && insmod "$m"; done
port=/dev/ttyS1
for p in /sys/class/virtio-ports/*; do
  [ "$(cat "$p/name" 2>/dev/null)" = kspec ] && port=/dev/$(basename "$p")
done
tags=$(cat /sys/bus/virtio/drivers/9pnet_virtio/*/mount_tag 2>/dev/null | tr '\\0' '\\n')
has() { echo "$tags" | grep -qx "$1"; }
o9p=trans=virtio,version=9p2000.L,msize=512000
try() { what=$1; shift; out=$("$@" 2>&1) || { echo "$what failed: $out"; return 1; }; }
share() {
  has kspec-root || { echo "the kernel offers no 9p over virtio (9pnet_virtio and 9p are neither built in nor among its modules kspec found)"; return 1; }
  mkdir -p /host /rw /newroot
  try "mounting the host root (9p)" mount -t 9p -o $o9p,ro kspec-root /host || return 1
  mount -t tmpfs -o mode=0755 tmpfs /rw && mkdir /rw/upper /rw/work
  try "the overlay over the host root" mount -t overlay overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work /newroot || return 1
  if has kspec-cwd; then
    read -r cwd < /kspec-cwd-path
    try "mounting the working folder $cwd (9p)" mount -t 9p -o $o9p kspec-cwd "/newroot$cwd" || return 1
  fi
  if has kspec-modules; then
    mkdir -p /newroot/lib/modules
    try "mounting the modules tree (9p)" mount -t 9p -o $o9p,ro kspec-modules /newroot/lib/modules || return 1
  fi
  # The config's qemu.files, at their paths in the root the workloads see.
  if [ -d /kspec-files ]; then try "placing the config's qemu.files" cp -a /kspec-files/. /newroot/ || return 1; fi
  mkdir -p /newroot/run/kspec
  try "copying the agent into the shared root" cp /bin/kspec-agent /newroot/run/kspec/agent || return 1
  for d in /proc /sys /dev; do try "moving $d into the shared root" mount --move $d /newroot$d || return 1; done
}
if [ -e /kspec-share ]; then
  if why=$(share 2>&1); then
    echo "kspec: booted $(uname -r), the host's root shared, agent on $port"
    export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
    exec switch_root /newroot /run/kspec/agent "$port"
  fi
  why=$(echo "$why" | tr '\\n' ' ')
  echo "$why" > /kspec-fallback
  echo "kspec: sharing the host root failed: $why; the guest runs busybox from the initramfs"
fi
mount -t tmpfs tmpfs /tmp
[ -d /kspec-files ] && cp -a /kspec-files/. /
echo "kspec: booted $(uname -r), agent on $port"
exec /bin/kspec-agent "$port"
`

const sha = (...parts: (string | Buffer)[]): string => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest('hex').slice(0, 16)
}

/** Compiles the agent statically (cached by the hash of its source). */
export async function buildAgent(): Promise<string> {
  const source = await readFile(AGENT_SOURCE)
  const out = join(await cacheDir('agent'), `kspec-agent-${sha(source)}`)
  if (await access(out).then(() => true, () => false)) return out
  // Built beside its final name and renamed into place: workers may build it at once.
  const tmp = `${out}.${process.pid}-${randomUUID()}.tmp`
  try {
    await exec('cc', ['-static', '-O2', '-o', tmp, AGENT_SOURCE])
  } catch (e) {
    throw new Error(`building the guest agent failed: a C compiler with static libc is needed (Debian: apt-get install gcc libc6-dev). ${(e as Error).message}`, { cause: e })
  }
  await rename(tmp, out)
  return out
}

/** Busybox must be static: the initramfs has no libc. */
async function staticBusybox(): Promise<Buffer> {
  for (const path of BUSYBOX) {
    const bin = await readFile(path).catch(() => undefined)
    if (!bin) continue
    if (!hasInterpreter(bin)) return bin
  }
  throw new Error(`no static busybox in ${BUSYBOX.join(', ')}: install it (Debian: apt-get install busybox-static)`)
}

/** An ELF with a PT_INTERP segment is dynamically linked. */
function hasInterpreter(elf: Buffer): boolean {
  if (elf.readUInt32BE(0) !== 0x7f454c46) return true
  const phoff = Number(elf.readBigUInt64LE(0x20))
  const phentsize = elf.readUInt16LE(0x36)
  for (let i = 0; i < elf.readUInt16LE(0x38); i++) if (elf.readUInt32LE(phoff + i * phentsize) === 3) return true
  return false
}

/**
 * The initramfs kspec boots: static busybox, the agent, an init that mounts proc, sysfs,
 * devtmpfs, tmpfs and tracefs and starts the agent, and the user's files. Cached by
 * content.
 */
export async function buildInitramfs(files: GuestFile[] = [], modules: string[] = [], share?: { cwd?: string }): Promise<string> {
  const [busybox, agent] = await Promise.all([staticBusybox(), readFile(await buildAgent())])
  // Under /kspec-files: the init copies them to their paths, in the shared root or the initramfs.
  const extra = await Promise.all(files.map(async (f) => ({ ...f, to: `/kspec-files${f.to}`, data: await readFile(f.from) })))
  // Numbered, so the init's glob loads them in dependency order.
  extra.push(...(await Promise.all(modules.map(async (m, i) => ({ from: m, to: `/lib/kspec-modules/${String(i).padStart(2, '0')}-${m.split('/').pop()}`, mode: 0o644, data: await readFile(m) })))))
  // Where stage two mounts the shared working folder (read by the init, never run).
  if (share) extra.push({ from: '', to: '/kspec-share', mode: 0o644, data: Buffer.alloc(0) })
  if (share?.cwd !== undefined) extra.push({ from: '', to: '/kspec-cwd-path', mode: 0o644, data: Buffer.from(`${share.cwd}\n`) })
  const key = sha(busybox, agent, INIT, ...extra.flatMap((f) => [f.to, f.data]))
  const out = join(await cacheDir('initramfs'), `${key}.cpio`)
  if (await access(out).then(() => true, () => false)) return out
  const dirs = new Set(['bin', 'sbin', 'usr', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'lib'])
  for (const f of extra) {
    const parts = f.to.replace(/^\/+/, '').split('/').slice(0, -1)
    for (let i = 1; i <= parts.length; i++) dirs.add(parts.slice(0, i).join('/'))
  }
  const entries: CpioEntry[] = [
    ...[...dirs].sort().map((path) => ({ path, type: 'dir' as const })),
    { path: 'init', type: 'file', data: Buffer.from(INIT), mode: 0o755 },
    { path: 'bin/busybox', type: 'file', data: busybox, mode: 0o755 },
    { path: 'bin/kspec-agent', type: 'file', data: agent, mode: 0o755 },
    ...extra.map((f) => ({ path: f.to.replace(/^\/+/, ''), type: 'file' as const, data: f.data, mode: f.mode ?? 0o755 })),
  ]
  const tmp = `${out}.${process.pid}-${randomUUID()}.tmp`
  await writeFile(tmp, newc(entries))
  await rename(tmp, out)
  return out
}
