/** One entry of an initramfs: a directory, a file (with its bytes) or a symlink. */
export type CpioEntry =
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'file'; data: Buffer; mode?: number }
  | { path: string; type: 'symlink'; target: string }

const hex = (n: number): string => n.toString(16).padStart(8, '0')
const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4)

/**
 * Writes a `newc` cpio archive, the format the kernel unpacks as an initramfs.
 * @example newc([{ path: 'init', type: 'file', data: script, mode: 0o755 }])
 */
export function newc(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = []
  let ino = 1
  const add = (path: string, mode: number, data: Buffer): void => {
    const name = Buffer.from(path + '\0')
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, name.length, 0]
    const header = Buffer.from('070701' + fields.map(hex).join(''))
    parts.push(header, name, pad4(header.length + name.length), data, pad4(data.length))
  }
  for (const e of entries) {
    if (e.type === 'dir') add(e.path, 0o040000 | (e.mode ?? 0o755), Buffer.alloc(0))
    else if (e.type === 'file') add(e.path, 0o100000 | (e.mode ?? 0o644), e.data)
    else add(e.path, 0o120000 | 0o777, Buffer.from(e.target))
  }
  add('TRAILER!!!', 0, Buffer.alloc(0))
  return Buffer.concat(parts)
}
