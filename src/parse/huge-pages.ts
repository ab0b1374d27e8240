/**
 * Transparent huge pages for the processes that load traces. A trace's tables are new
 * memory, and a first touch of a 4 KiB page is slow on VMs like the one kspec's CI runs
 * on (~7 ms a MB written, against ~0.3 in 2 MB pages; see "Fresh memory is slow here" in
 * docs/DESIGN.md). Node cannot madvise its own memory, but glibc's malloc (2.35 and
 * later) asks for huge pages for what it maps when this tunable is in the environment
 * the process starts with. Where the kernel's THP mode is `never`, or the C library is
 * not glibc, it changes nothing.
 */
export const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1'

/**
 * GLIBC_TUNABLES for a process that loads traces: `current` (the user's value) with
 * the huge-page tunable added, unless it sets `glibc.malloc.hugetlb` itself, which then
 * stands (`glibc.malloc.hugetlb=0` turns huge pages off).
 */
export function withHugePages(current: string | undefined): string {
  if (current === undefined || current === '') return HUGE_PAGES_TUNABLE
  if (current.split(':').some((t) => t.startsWith('glibc.malloc.hugetlb='))) return current
  return `${current}:${HUGE_PAGES_TUNABLE}`
}
