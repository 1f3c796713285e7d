/* Shared by the test kernels: port I/O, COM1, the VGA text screen, debug-exit. */
#ifndef KERNEL_H
#define KERNEL_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
/* An integer as wide as a pointer (for 32- and 64-bit kernels). */
typedef unsigned long uptr;

void outb(u16 port, u8 value);
u8 inb(u16 port);
/* Prints to COM1 and to the VGA text screen. */
void puts(const char *s);
void putc(char c);
void puthex(u32 value);
void putdec(u32 value);
/* Prints "name: ok" or "name: FAIL" and returns 1 when ok. */
int check(const char *name, int ok);
/* Ends the run through the debug-exit port (status (value << 1) | 1). */
void debug_exit(u8 value) __attribute__((noreturn));
int str_eq(const char *a, const char *b);
/* The command line after its first word (Multiboot v1 puts the kernel's name first). */
const char *after_first_word(const char *s);
/* Prints a module's bytes up to the first newline (at most 40). */
void put_module(const char *name, u32 start, u32 end);
/* A boot address as a pointer, for 32- and 64-bit kernels alike. */
#define AT(type, address) ((type)(uptr)(address))
#ifdef __x86_64__
/* 1 when CR0.PG and EFER.LMA are set (64-bit kernels). */
int long_mode_active(void);
#endif

#endif
