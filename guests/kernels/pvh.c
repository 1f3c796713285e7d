/* A PVH kernel: checks struct hvm_start_info, prints its command line and modules,
 * exits with 0x23 when every check passed, else 0x40 | the failed checks. Built twice:
 * ELF32, and ELF64 (x86-64, entered through long-mode.inc), which also checks long mode. */
#include "kernel.h"

struct hvm_start_info {
  u32 magic, version, flags, nr_modules;
  u64 modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
  u32 memmap_entries, reserved;
};

struct hvm_modlist_entry {
  u64 paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
  u64 addr, size;
  u32 type, reserved;
};

void kmain(const struct hvm_start_info *info) {
  u32 failed = 0;
#ifdef __x86_64__
  puts("PVH kernel, 64-bit\n");
#else
  puts("PVH kernel\n");
#endif
  if (!check("magic", info->magic == 0x336ec578)) debug_exit(0x40 | 1);
#ifdef __x86_64__
  if (!check("long mode", long_mode_active())) failed |= 8;
#endif
  if (!check("version", info->version >= 1)) failed |= 2;
  puts("cmdline: ");
  if (info->cmdline_paddr) puts(AT(const char *, info->cmdline_paddr));
  putc('\n');
  puts("modules: ");
  putdec(info->nr_modules);
  putc('\n');
  const struct hvm_modlist_entry *m = AT(const struct hvm_modlist_entry *, info->modlist_paddr);
  for (u32 i = 0; i < info->nr_modules; i++) {
    put_module("module", (u32)m[i].paddr, (u32)(m[i].paddr + m[i].size));
  }
  const struct hvm_memmap_entry *e = AT(const struct hvm_memmap_entry *, info->memmap_paddr);
  u32 ram = 0;
  for (u32 i = 0; i < info->memmap_entries; i++) {
    if (e[i].type == 1 && e[i].addr == 0x100000) ram = (u32)e[i].size;
  }
  if (!check("memory map", ram >= 0x100000)) failed |= 4;
  debug_exit(failed ? (u8)(0x40 | failed) : 0x23);
}
