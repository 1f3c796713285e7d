/* A Multiboot2 kernel: walks the information tags, prints what it finds, exits with
 * 0x22 when every check passed, else 0x40 | the failed checks. Built twice: ELF32, and
 * ELF64 (x86-64, entered through long-mode.inc), which also checks that long mode is on. */
#include "kernel.h"

struct tag {
  u32 type, size;
};

void kmain(u32 magic, u32 info) {
  u32 failed = 0, lower = 0, upper = 0, top = 0, modules = 0, seen = 0;
#ifdef __x86_64__
  puts("Multiboot2 kernel, 64-bit\n");
#else
  puts("Multiboot2 kernel\n");
#endif
  if (!check("magic", magic == 0x36d76289)) debug_exit(0x40 | 1);
#ifdef __x86_64__
  if (!check("long mode", long_mode_active())) failed |= 4;
#endif
  if (info & 7) debug_exit(0x40 | 2);
  u32 total = *AT(const u32 *, info);
  for (u32 at = info + 8; at < info + total;) {
    const struct tag *t = AT(const struct tag *, at);
    if (t->type == 0) break;
    seen |= 1u << t->type;
    if (t->type == 1) {
      puts("cmdline: ");
      puts(AT(const char *, at + 8));
      putc('\n');
    } else if (t->type == 2) {
      puts("loader: ");
      puts(AT(const char *, at + 8));
      putc('\n');
    } else if (t->type == 3) {
      const u32 *m = AT(const u32 *, at + 8);
      if (m[0] & 0xfff) failed |= 8;
      put_module("module", m[0], m[1]);
      puts("module cmdline: ");
      puts(AT(const char *, at + 16));
      putc('\n');
      modules++;
    } else if (t->type == 4) {
      lower = AT(const u32 *, at + 8)[0];
      upper = AT(const u32 *, at + 8)[1];
    } else if (t->type == 6) {
      u32 entry_size = AT(const u32 *, at + 8)[0];
      for (u32 e = at + 16; e < at + t->size; e += entry_size) {
        const u32 *f = AT(const u32 *, e);
        if (f[4] == 1 && f[0] == 0x100000) top = f[0] + f[2];
      }
    } else if (t->type == 8) {
      const u8 *fb = AT(const u8 *, at + 8);
      check("EGA text framebuffer", *(const u32 *)fb == 0xb8000 && fb[21] == 2);
    }
    at += (t->size + 7) & ~7u;
  }
  puts("modules: ");
  putdec(modules);
  putc('\n');
  if (!check("memory", lower == 640 && upper >= 1024)) failed |= 2;
  if (!check("memory map", top == 0x100000 + upper * 1024)) failed |= 0x10;
  if (!check("ELF sections", seen & (1u << 9))) failed |= 0x20;
  debug_exit(failed ? (u8)(0x40 | failed) : 0x22);
}
