/**
 * Finds a symbol's file offset in an ELF64 little-endian binary (.symtab, else .dynsym),
 * the way uprobe_events wants it: the symbol's address translated through the PT_LOAD
 * segment that maps it.
 * @example symbolOffset(readFileSync('/lib/x86_64-linux-gnu/libc.so.6'), 'open')
 */
export function symbolOffset(elf: Buffer, symbol: string): number | undefined {
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) {
    throw new TypeError('not a 64-bit little-endian ELF file: uprobes here need an x86-64 (or other LE 64-bit) binary')
  }
  const shoff = Number(elf.readBigUInt64LE(0x28))
  const shentsize = elf.readUInt16LE(0x3a)
  const shnum = elf.readUInt16LE(0x3c)
  const sections = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize
    return { type: elf.readUInt32LE(o + 4), offset: Number(elf.readBigUInt64LE(o + 0x18)), size: Number(elf.readBigUInt64LE(o + 0x20)), link: elf.readUInt32LE(o + 0x28), entsize: Number(elf.readBigUInt64LE(o + 0x38)) }
  })
  const SYMTAB = 2
  const DYNSYM = 11
  for (const type of [SYMTAB, DYNSYM]) {
    for (const s of sections.filter((x) => x.type === type)) {
      const strtab = sections[s.link]
      for (let o = s.offset; o + 24 <= s.offset + s.size; o += s.entsize || 24) {
        const value = elf.readBigUInt64LE(o + 8)
        const info = elf[o + 4]
        if (value === 0n || (info & 0xf) !== 2 /* STT_FUNC */ && (info & 0xf) !== 10 /* STT_GNU_IFUNC */) continue
        const nameAt = strtab.offset + elf.readUInt32LE(o)
        if (elf.toString('latin1', nameAt, nameAt + symbol.length + 1) !== `${symbol}\0`) continue
        return toFileOffset(elf, Number(value))
      }
    }
  }
  return undefined
}

function toFileOffset(elf: Buffer, vaddr: number): number {
  const phoff = Number(elf.readBigUInt64LE(0x20))
  const phentsize = elf.readUInt16LE(0x36)
  const phnum = elf.readUInt16LE(0x38)
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize
    if (elf.readUInt32LE(o) !== 1 /* PT_LOAD */) continue
    const offset = Number(elf.readBigUInt64LE(o + 8))
    const va = Number(elf.readBigUInt64LE(o + 0x10))
    const filesz = Number(elf.readBigUInt64LE(o + 0x20))
    if (vaddr >= va && vaddr < va + filesz) return vaddr - va + offset
  }
  return vaddr
}

/** Function symbols of an ELF file, for did-you-mean. */
export function functionSymbols(elf: Buffer): string[] {
  const out = new Set<string>()
  const shoff = Number(elf.readBigUInt64LE(0x28))
  const shentsize = elf.readUInt16LE(0x3a)
  const shnum = elf.readUInt16LE(0x3c)
  const sec = (i: number) => {
    const o = shoff + i * shentsize
    return { type: elf.readUInt32LE(o + 4), offset: Number(elf.readBigUInt64LE(o + 0x18)), size: Number(elf.readBigUInt64LE(o + 0x20)), link: elf.readUInt32LE(o + 0x28) }
  }
  for (let i = 0; i < shnum; i++) {
    const s = sec(i)
    if (s.type !== 2 && s.type !== 11) continue
    const strtab = sec(s.link)
    for (let o = s.offset; o + 24 <= s.offset + s.size; o += 24) {
      if ((elf[o + 4] & 0xf) !== 2) continue
      const at = strtab.offset + elf.readUInt32LE(o)
      out.add(elf.toString('latin1', at, elf.indexOf(0, at)))
    }
  }
  return [...out]
}
