// Detecting the boot protocol from the image, forcing one with --boot, and the
// protected-mode entry state kernels start in.
import { strictEqual, throws } from "@std/assert";
import { applyProtectedModeEntry, GDT_ADDRESS, writeFlatGdt } from "../../lib/loader/entry.ts";
import {
  detectImage,
  DISK_HEAD_BYTES,
  loadKernel,
  looksLikeDisk,
} from "../../lib/loader/kernel.ts";
import { KvmSregs } from "../../lib/kvm/structs.ts";
import {
  decodeCpuid2,
  encodeCpuid2,
  KVM_CPUID_FEATURES,
  KvmFeature,
  Leaf1,
  shapeCpuid,
} from "../../lib/kvm/cpuid.ts";
import { concat, elfImage, mb1Header, mb2Header, pcMemory, u32s } from "./fixtures.ts";

const pvhNote = { note: ["Xen", 18, u32s(0x100000)] as [string, number, Uint8Array] };

Deno.test("detect: ELF kernels by Multiboot v1, then Multiboot2, then the PVH note", () => {
  const mb1 = concat(mb1Header(0), new Uint8Array(4), mb2Header([])); // MB2 is 8-aligned
  const both = elfImage({ payload: mb1, ...pvhNote }).bytes;
  strictEqual(detectImage(both, "auto").format, "multiboot");
  strictEqual(detectImage(both, "multiboot2").format, "multiboot2");
  strictEqual(detectImage(both, "pvh").format, "pvh");
  const mb2 = elfImage({ payload: concat(mb2Header([]), new Uint8Array(8)), ...pvhNote }).bytes;
  strictEqual(detectImage(mb2, "auto").format, "multiboot2");
  const pvh = detectImage(elfImage({ payload: new Uint8Array(16), ...pvhNote }).bytes, "auto");
  strictEqual(pvh.format, "pvh");
  strictEqual(pvh.needsProtectedMode, true);
  throws(
    () => detectImage(elfImage().bytes, "auto"),
    /neither a Multiboot header nor a PVH entry note \(--boot elf starts it/,
  );
  const plain32 = detectImage(elfImage().bytes, "elf");
  strictEqual(plain32.format === "elf" && plain32.elf.class, 32);
  const plain64 = detectImage(elfImage({ class: 64 }).bytes, "auto");
  strictEqual(plain64.format === "elf" && plain64.elf.class, 64);
  throws(() => detectImage(new Uint8Array(64), "elf"), /not an ELF file/);
});

Deno.test("entry: a plain ELF64 starts in long mode over an identity map of 4 GiB", () => {
  const image = elfImage({ class: 64, entry: 0x100000 }).bytes;
  const { memory, bytes } = pcMemory(2);
  const loaded = loadKernel(memory, image, detectImage(image, "auto"), {
    memoryBytes: bytes,
    cmdline: "",
    modules: [],
  });
  const pml4 = loaded.entry.longModePml4!;
  strictEqual(pml4 % 4096, 0);
  const pdpt = memory.readU32(pml4) & ~0xfff;
  strictEqual(memory.readU32(pml4) & 0xfff, 3);
  for (const [gib, mib] of [[0, 0], [0, 2], [1, 0], [3, 1022]]) {
    const pd = memory.readU32(pdpt + gib * 8) & ~0xfff;
    const entry = memory.readU32(pd + (mib / 2) * 8);
    strictEqual(entry, ((gib * 1024 + mib) * 0x100000 + 0x83) >>> 0, `${gib} GiB + ${mib} MiB`);
  }
  const sregs = new KvmSregs();
  const regs = applyProtectedModeEntry(loaded.entry, sregs);
  strictEqual(regs.get("rip"), 0x100000n);
  strictEqual(regs.get("rax"), 0x36d76289n);
  strictEqual(sregs.cs.l, 1);
  strictEqual(sregs.cs.db, 0);
  strictEqual(sregs.cs.selector, 0x20);
  strictEqual(sregs.getControl("cr0"), 0x80000011n);
  strictEqual(sregs.getControl("cr3"), BigInt(pml4));
  strictEqual(sregs.getControl("cr4"), 0x20n);
  strictEqual(sregs.getControl("efer"), 0x500n);
});

Deno.test("detect: disks stay disks; a flat image with a Multiboot header is a kernel", () => {
  const sector = new Uint8Array(512);
  sector.set(mb1Header(0x10000, [0, 0, 0, 0, 0]), 0);
  sector[510] = 0x55;
  sector[511] = 0xaa;
  const disk = detectImage(sector, "auto");
  strictEqual(disk.format, "bios");
  strictEqual(disk.needsProtectedMode, false);
  strictEqual(detectImage(sector, "multiboot").format, "multiboot");
  sector[511] = 0;
  strictEqual(detectImage(sector, "auto").format, "multiboot");
  strictEqual(detectImage(new Uint8Array(512), "auto").format, "bios");
  strictEqual(detectImage(new Uint8Array(4), "flat").format, "flat");
});

Deno.test("detect: a bzImage's first bytes are not a disk, though it has the boot signature", () => {
  // The CLI tells a disk (read on demand) from the first DISK_HEAD_BYTES of the file:
  // a bzImage given with --initrd was refused as "a disk, not a kernel".
  const head = new Uint8Array(DISK_HEAD_BYTES);
  head[510] = 0x55;
  head[511] = 0xaa;
  strictEqual(looksLikeDisk(head), true);
  head.set([0x48, 0x64, 0x72, 0x53], 0x202); // "HdrS"
  strictEqual(looksLikeDisk(head), false);
  strictEqual(looksLikeDisk(head.subarray(0, 512)), true); // why 512 bytes were not enough
});

Deno.test("detect: a forced protocol the image lacks is a one-line error", () => {
  const plain = new Uint8Array(1024);
  throws(() => detectImage(plain, "multiboot"), /has no Multiboot header/);
  throws(() => detectImage(plain, "multiboot2"), /has no Multiboot2 header/);
  throws(() => detectImage(plain, "pvh"), /must be an ELF file/);
  throws(() => detectImage(elfImage().bytes, "pvh"), /no PVH entry note/);
  // A broken header is an error, not "no header".
  throws(() => detectImage(concat(mb1Header(0, [], 5), plain), "auto"), /bad checksum/);
});

Deno.test("entry: flat 32-bit protected mode as the Multiboot specification asks", () => {
  const sregs = new KvmSregs();
  sregs.setControl("cr0", 0x60000010);
  const regs = applyProtectedModeEntry(
    { eip: 0x100000, esp: 0x8000, regs: { rax: 0x2badb002, rbx: 0x9000 } },
    sregs,
  );
  strictEqual(regs.get("rip"), 0x100000n);
  strictEqual(regs.get("rax"), 0x2badb002n);
  strictEqual(regs.get("rbx"), 0x9000n);
  strictEqual(regs.get("rsp"), 0x8000n);
  strictEqual(regs.get("rflags"), 2n, "interrupts off");
  strictEqual(sregs.getControl("cr0"), 0x11n, "PE, no paging, caches on");
  strictEqual(sregs.getControl("efer"), 0n);
  for (const s of [sregs.cs, sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss]) {
    strictEqual(s.base, 0n);
    strictEqual(s.limit, 0xffffffff);
    strictEqual(s.db, 1);
    strictEqual(s.g, 1);
    strictEqual(s.present, 1);
  }
  strictEqual(sregs.cs.type, 0xb);
  strictEqual(sregs.cs.selector, 0x08);
  strictEqual(sregs.ss.type, 0x3);
  strictEqual(sregs.tr.type, 0xb);
  strictEqual(sregs.tr.limit, 0x67);
  strictEqual(sregs.gdt.base, BigInt(GDT_ADDRESS));
  strictEqual(sregs.idt.limit, 0);
  // The GDT in memory holds the descriptors the hidden parts describe.
  const { memory } = pcMemory(1);
  writeFlatGdt(memory);
  const code = memory.readU32(GDT_ADDRESS + 8) + memory.readU32(GDT_ADDRESS + 12) * 2 ** 32;
  strictEqual(code, 0x00cf9b000000ffff);
  strictEqual(memory.readU32(GDT_ADDRESS + 0x14), 0x00cf9300);
});

Deno.test("cpuid: no local APIC, x2APIC or TSC deadline; the hypervisor bit; kvm_cpuid2 round trip", () => {
  const leaf1 = {
    function: 1,
    index: 0,
    flags: 0,
    eax: 0xa0671,
    ebx: 0x03020800,
    ecx: Leaf1.ECX_X2APIC | Leaf1.ECX_TSC_DEADLINE | 1,
    edx: Leaf1.EDX_APIC | 1,
  };
  const other = { function: 7, index: 0, flags: 1, eax: 0, ebx: 0xffffffff, ecx: 5, edx: 6 };
  const [shaped, kept] = shapeCpuid([leaf1, other]);
  strictEqual(shaped.edx, 1);
  strictEqual(shaped.ecx, (Leaf1.ECX_HYPERVISOR | 1) >>> 0);
  strictEqual(shaped.ebx, 0x00020800, "APIC ID 0");
  strictEqual(shaped.eax, 0xa0671);
  strictEqual(kept.ebx, 0xffffffff);
  const decoded = decodeCpuid2(encodeCpuid2([shaped, kept]));
  strictEqual(JSON.stringify(decoded), JSON.stringify([shaped, kept]));
  const [withApic] = shapeCpuid([leaf1], { apic: true });
  strictEqual(withApic.edx, (Leaf1.EDX_APIC | 1) >>> 0, "a machine with the LAPIC shows it");
  strictEqual(withApic.ecx, (Leaf1.ECX_HYPERVISOR | 1) >>> 0, "x2APIC stays hidden");
});

Deno.test("cpuid: KVM's paravirtual features that need its local APIC are hidden, the others kept", () => {
  // KVM 6.x offers: clocksource 0, nop io delay 1, clocksource2 3, async PF 4, steal time 5,
  // PV EOI 6, PV unhalt 7, PV TLB flush 9, async PF VM exit 10, PV send IPI 11, poll control 12,
  // PV sched yield 13, async PF int 14, MSI ext dest ID 15, stable clock 24.
  const offered = [0, 1, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 24].reduce(
    (a, b) => a | (1 << b),
    0,
  );
  const leaf = {
    function: KVM_CPUID_FEATURES,
    index: 0,
    flags: 0,
    eax: offered >>> 0,
    ebx: 0,
    ecx: 0,
    edx: 1,
  };
  const [shaped] = shapeCpuid([leaf]);
  const kept = [0, 1, 3, 5, 9, 12, 24].reduce((a, b) => a | (1 << b), 0);
  strictEqual(shaped.eax, kept >>> 0);
  strictEqual(shaped.edx, 1);
  strictEqual(KvmFeature.ASYNC_PF_INT, 1 << 14);
});
