import { constants } from 'node:os'
import type { Socket } from 'node:net'
import { TargetError } from '../../errors.js'

/** Operations of the guest agent (src/kernel/qemu/agent.c). */
export const Op = { READ: 1, WRITE: 2, APPEND: 3, MKDIR: 4, RMDIR: 5, LIST: 6, EXISTS: 7, PIPE: 8, SPAWN: 9, JOB: 10, WAIT: 11, KILL: 12, ALIVE: 13, UNAME: 14, POWEROFF: 15, SPAWN_STOP: 16, UNLINK: 17, KMSG: 18, CREATE: 19, HELLO: 20 } as const

/** How long a request may go unanswered before the guest counts as hung. */
export const REQUEST_TIMEOUT_MS = 120_000

const ERRNO_NAMES = new Map(Object.entries(constants.errno).map(([name, n]) => [n as number, name]))

/**
 * The host side of the agent's framed protocol: requests carry an id, responses come
 * back with it (WAIT answers when its job ends, others in order). Errors come back as
 * errno numbers and become the same TargetErrors the host target raises.
 */
export class AgentClient {
  #next = 1
  #pending = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void; path: string }>()
  #buf: Buffer = Buffer.alloc(0)
  #dead: Error | undefined

  constructor(
    private readonly socket: Socket,
    private readonly onDeath: () => Error,
  ) {
    socket.on('data', (chunk) => this.#receive(chunk))
    socket.on('close', () => this.#fail(this.onDeath()))
    socket.on('error', () => this.#fail(this.onDeath()))
    socket.resume()
  }

  /**
   * Sends a request. No answer within timeoutMs means the guest hangs: the client gives
   * up on it (every pending request fails with the reason) instead of waiting forever.
   */
  request(op: number, args: (string | Buffer)[] = [], path = '', timeoutMs = REQUEST_TIMEOUT_MS): Promise<Buffer> {
    if (this.#dead) return Promise.reject(this.#dead)
    const id = this.#next++
    const body = args.map((a) => (typeof a === 'string' ? Buffer.from(a) : a))
    const head = Buffer.alloc(9)
    const size = 5 + body.reduce((n, b) => n + 4 + b.length, 0)
    head.writeUInt32LE(size, 0)
    head.writeUInt32LE(id, 4)
    head.writeUInt8(op, 8)
    const parts: Buffer[] = [head]
    for (const b of body) {
      const len = Buffer.alloc(4)
      len.writeUInt32LE(b.length)
      parts.push(len, b)
    }
    return new Promise((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.#fail(new Error(`${this.onDeath().message.replace(/ went away \([^)]*\)/, ` did not answer within ${timeoutMs / 1000} s (the guest hangs)`)}`)), timeoutMs) : undefined
      this.#pending.set(id, {
        resolve: (b) => (clearTimeout(timer), resolve(b)),
        reject: (e) => (clearTimeout(timer), reject(e)),
        path,
      })
      this.socket.write(Buffer.concat(parts))
    })
  }

  #receive(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk)
    while (this.#buf.length >= 4) {
      const size = this.#buf.readUInt32LE(0)
      if (this.#buf.length < 4 + size) return
      const id = this.#buf.readUInt32LE(4)
      const status = this.#buf.readInt32LE(8)
      const data = Buffer.from(this.#buf.subarray(12, 4 + size))
      this.#buf = this.#buf.subarray(4 + size)
      const p = this.#pending.get(id)
      if (!p) continue
      this.#pending.delete(id)
      if (status === 0) p.resolve(data)
      else {
        const code = ERRNO_NAMES.get(status) ?? `errno ${status}`
        p.reject(new TargetError(`${code}: ${p.path}`, code, p.path))
      }
    }
  }

  /** Lets go of the agent (its socket closed): pending requests fail, the guest waits for its next host. */
  close(): void {
    this.#fail(new Error('the agent connection was closed'))
  }

  #fail(e: Error): void {
    if (this.#dead) return
    this.#dead = e
    this.socket.destroy()
    for (const p of this.#pending.values()) p.reject(e)
    this.#pending.clear()
  }
}
