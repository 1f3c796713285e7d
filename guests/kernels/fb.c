/* A Multiboot v1 kernel that asked for a 1024x768x32 linear framebuffer: checks how the
 * boot information describes it, draws a test pattern (tests/support/framebuffer_case.ts
 * says where), and exits with debug-exit value 0x25, or 0x40 | the failed checks. The
 * pattern is small (about 140,000 pixels in rep stosd runs): on a KVM that emulates
 * 32-bit guest code every store is slow. */
#include "kernel.h"

struct __attribute__((packed)) mb1_info {
  u32 flags;
  u32 other[21]; /* memory, command line, modules ... up to the framebuffer at 88 */
  u64 fb_addr;
  u32 fb_pitch, fb_width, fb_height;
  u8 fb_bpp, fb_type;
  u8 red_position, red_size, green_position, green_size, blue_position, blue_size;
};

#define WIDTH 1024
#define HEIGHT 768
#define BAR_HEIGHT 96
#define FLAG_FRAMEBUFFER (1u << 12)

static const u32 bars[8] = {0xffffff, 0xffff00, 0x00ffff, 0x00ff00,
                            0xff00ff, 0xff0000, 0x0000ff, 0x808080};

static u32 *fb;

/* One run of pixels on row y from x. */
static void span(u32 x, u32 y, u32 count, u32 colour) {
  u32 *at = fb + y * WIDTH + x;
  __asm__ volatile("rep stosl" : "+D"(at), "+c"(count) : "a"(colour) : "memory");
}

static void rect(u32 x, u32 y, u32 w, u32 h, u32 colour) {
  for (u32 row = y; row < y + h; row++) span(x, row, w, colour);
}

void kmain(u32 magic, const struct mb1_info *info) {
  puts("framebuffer kernel\n");
  if (!check("magic", magic == 0x2badb002)) debug_exit(0x40 | 1);
  u32 failed = 0;
  if (!check("framebuffer flag", info->flags & FLAG_FRAMEBUFFER)) debug_exit(0x40 | 2);
  if (!check("mode", info->fb_width == WIDTH && info->fb_height == HEIGHT &&
                         info->fb_pitch == WIDTH * 4 && info->fb_bpp == 32 && info->fb_type == 1))
    failed |= 4;
  if (!check("address", info->fb_addr >= 0x100000 && info->fb_addr < 0x100000000ull &&
                            (info->fb_addr & 0xfff) == 0))
    failed |= 8;
  if (!check("colours", info->red_position == 16 && info->red_size == 8 &&
                            info->green_position == 8 && info->green_size == 8 &&
                            info->blue_position == 0 && info->blue_size == 8))
    failed |= 0x10;
  if (failed) debug_exit((u8)(0x40 | failed));
  fb = (u32 *)(uptr)info->fb_addr;
  puts("framebuffer at ");
  puthex((u32)info->fb_addr);
  putc('\n');
  /* Eight bars across the top, a rectangle in the middle (its top byte must not show),
   * the bottom row and the last pixel. */
  for (u32 i = 0; i < 8; i++) rect(i * 128, 0, 128, BAR_HEIGHT, bars[i]);
  rect(384, 320, 256, 128, 0xaa123456);
  span(0, HEIGHT - 1, WIDTH, 0x00c0c0c0);
  fb[HEIGHT * WIDTH - 1] = 0x00ff8000;
  puts("pattern drawn\n");
  debug_exit(0x25);
}
