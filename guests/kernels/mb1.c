/* A Multiboot v1 kernel: checks what the loader handed over, prints it, exits with a
 * debug-exit value: 0x21 when every check passed, else 0x40 | the failed checks. */
#include "kernel.h"

struct mb1_info {
  u32 flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
  u32 syms[4];
  u32 mmap_length, mmap_addr;
};

struct mb1_module {
  u32 start, end, string, reserved;
};

struct __attribute__((packed)) mb1_mmap {
  u32 size;
  u64 base, length;
  u32 type;
};

void kmain(u32 magic, const struct mb1_info *info) {
  u32 failed = 0;
  puts("Multiboot v1 kernel\n");
  if (!check("magic", magic == 0x2badb002)) debug_exit(0x40 | 1);
  if (!check("memory", (info->flags & 1) && info->mem_lower >= 600 && info->mem_lower <= 640 &&
                           info->mem_upper >= 1024))
    failed |= 2;
  if (info->flags & 4) {
    puts("cmdline: ");
    puts(after_first_word((const char *)info->cmdline));
    putc('\n');
  } else {
    failed |= 4;
  }
  if (info->flags & 8) {
    puts("modules: ");
    putdec(info->mods_count);
    putc('\n');
    const struct mb1_module *m = (const struct mb1_module *)info->mods_addr;
    for (u32 i = 0; i < info->mods_count; i++) {
      if (m[i].start & 0xfff) failed |= 8;
      put_module("module", m[i].start, m[i].end);
    }
  } else {
    failed |= 8;
  }
  /* The map's last usable region must end where mem_upper says upper memory ends. */
  u32 top = 0;
  if (info->flags & 0x40) {
    for (u32 at = info->mmap_addr; at < info->mmap_addr + info->mmap_length;) {
      const struct mb1_mmap *e = (const struct mb1_mmap *)at;
      if (e->type == 1 && e->base == 0x100000) top = (u32)(e->base + e->length);
      at += e->size + 4;
    }
  }
  if (!check("memory map", top == 0x100000 + info->mem_upper * 1024)) failed |= 0x10;
  debug_exit(failed ? (u8)(0x40 | failed) : 0x21);
}
