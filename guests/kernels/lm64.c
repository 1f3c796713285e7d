/* A 64-bit kernel started in long mode: checks that paging and EFER.LMA are on, walks the
 * Multiboot2 information, exits with 0x24 when every check passed, else 0x40 | failures. */
#include "kernel.h"

static u64 read_cr0(void) {
  u64 value;
  __asm__ volatile("mov %%cr0, %0" : "=r"(value));
  return value;
}

static u64 read_efer(void) {
  u32 low, high;
  __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(0xc0000080));
  return ((u64)high << 32) | low;
}

void kmain(u32 magic, u32 info) {
  u32 failed = 0, modules = 0, upper = 0, top = 0;
  puts("64-bit kernel\n");
  if (!check("magic", magic == 0x36d76289)) debug_exit(0x40 | 1);
  if (!check("long mode", (read_cr0() >> 31) && (read_efer() & 0x400))) failed |= 2;
  u32 total = *(const u32 *)(uptr)info;
  for (u32 at = info + 8; at < info + total;) {
    const u32 *t = (const u32 *)(uptr)at;
    if (t[0] == 0) break;
    if (t[0] == 1) {
      puts("cmdline: ");
      puts((const char *)(uptr)(at + 8));
      putc('\n');
    } else if (t[0] == 3) {
      put_module("module", t[2], t[3]);
      modules++;
    } else if (t[0] == 4) {
      upper = t[3];
    } else if (t[0] == 6) {
      for (u32 e = at + 16; e < at + t[1]; e += t[2]) {
        const u32 *f = (const u32 *)(uptr)e;
        if (f[4] == 1 && f[0] == 0x100000) top = f[0] + f[2];
      }
    }
    at += (t[1] + 7) & ~7u;
  }
  puts("modules: ");
  putdec(modules);
  putc('\n');
  /* The top of RAM through the identity map: a store and a load at the last word. */
  volatile u32 *last = (volatile u32 *)(uptr)(top - 4);
  *last = 0x5a5a1234;
  if (!check("memory map", top == 0x100000 + upper * 1024 && *last == 0x5a5a1234)) failed |= 4;
  debug_exit(failed ? (u8)(0x40 | failed) : 0x24);
}
