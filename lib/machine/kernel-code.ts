/**
 * The kernel loaders (Multiboot, Multiboot2, PVH, ELF, Linux) and image
 * detection, as one part of code.ts: a BIOS boot or a flat image needs none
 * of them.
 *
 * @module
 */

export { detectImage, FORMAT_NAMES, kernelFramebuffer, loadKernel } from "../loader/kernel.ts";
export { XLF_KERNEL_64 } from "../loader/linux.ts";
export { isElf64 } from "../loader/elf.ts";
export { unpackLinux } from "../loader/linux-unpack.ts";
