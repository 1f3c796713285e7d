#include "kernel.h"

#define COM1 0x3f8
#define DEBUG_EXIT 0xf4

static volatile u16 *const screen = (volatile u16 *)0xb8000;
static u32 row, column;

void outb(u16 port, u8 value) { __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port)); }

u8 inb(u16 port) {
  u8 value;
  __asm__ volatile("inb %1, %0" : "=a"(value) : "Nd"(port));
  return value;
}

static void serial_putc(char c) {
  while (!(inb(COM1 + 5) & 0x20)) {
  }
  outb(COM1, (u8)c);
}

static void screen_putc(char c) {
  if (c == '\n') {
    row++;
    column = 0;
  } else {
    if (column >= 80) {
      row++;
      column = 0;
    }
    if (row < 25) screen[row * 80 + column] = (u16)(0x0700 | (u8)c);
    column++;
  }
}

void putc(char c) {
  serial_putc(c);
  screen_putc(c);
}

void puts(const char *s) {
  while (*s) putc(*s++);
}

void puthex(u32 value) {
  puts("0x");
  for (int shift = 28; shift >= 0; shift -= 4) putc("0123456789abcdef"[(value >> shift) & 15]);
}

void putdec(u32 value) {
  char digits[12];
  int n = 0;
  do {
    digits[n++] = (char)('0' + value % 10);
    value /= 10;
  } while (value);
  while (n) putc(digits[--n]);
}

int check(const char *name, int ok) {
  puts(name);
  puts(ok ? ": ok\n" : ": FAIL\n");
  return ok;
}

void debug_exit(u8 value) {
  __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"((u16)DEBUG_EXIT));
  for (;;) __asm__ volatile("cli; hlt");
}

int str_eq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

const char *after_first_word(const char *s) {
  while (*s && *s != ' ') s++;
  while (*s == ' ') s++;
  return s;
}

void put_module(const char *name, u32 start, u32 end) {
  puts(name);
  puts(": ");
  for (u32 at = start; at < end && at < start + 40; at++) {
    char c = *(const char *)(uptr)at;
    if (c == '\n') break;
    putc(c);
  }
  putc('\n');
}

#ifdef __x86_64__
int long_mode_active(void) {
  u64 cr0;
  u32 low, high;
  __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
  __asm__ volatile("rdmsr" : "=a"(low), "=d"(high) : "c"(0xc0000080));
  (void)high;
  return ((cr0 >> 31) & 1) && (low & 0x400);
}
#endif
