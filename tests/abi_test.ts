// The struct layouts, ioctl numbers, exit reasons and capabilities in
// lib/kvm/ against the kernel's C headers: a generated C program prints what
// the compiler computes, and every TypeScript value must match.
import { strictEqual } from "@std/assert";
import { Cap, GuestDebug, Ioctl, MemFlag } from "../lib/kvm/abi.ts";
import { ExitReason, LAYOUT, PIO_DATA_OFFSET } from "../lib/kvm/structs.ts";

function cProgram(): { source: string; expected: Map<string, bigint> } {
  const expected = new Map<string, bigint>();
  const lines: string[] = [];
  const emit = (label: string, expr: string, value: bigint | number) => {
    lines.push(`  printf("%s %llu\\n", "${label}", (unsigned long long)(${expr}));`);
    expected.set(label, BigInt(value));
  };
  for (const [struct, layout] of Object.entries(LAYOUT)) {
    emit(`sizeof(${struct})`, `sizeof(struct ${struct})`, layout.size);
    for (const [field, offset] of Object.entries(layout.fields)) {
      emit(`offsetof(${struct},${field})`, `offsetof(struct ${struct}, ${field})`, offset);
    }
  }
  for (const [name, value] of Object.entries(Ioctl)) emit(name, name, value);
  for (const [name, value] of Object.entries(ExitReason)) emit(name, `KVM_EXIT_${name}`, value);
  for (const [name, value] of Object.entries(Cap)) emit(name, `KVM_CAP_${name}`, value);
  emit("KVM_MEM_READONLY", "KVM_MEM_READONLY", MemFlag.READONLY);
  emit("KVM_MEM_LOG_DIRTY_PAGES", "KVM_MEM_LOG_DIRTY_PAGES", MemFlag.LOG_DIRTY_PAGES);
  emit("KVM_EXIT_IO_OUT", "KVM_EXIT_IO_OUT", 1);
  for (const [name, value] of Object.entries(GuestDebug)) {
    emit(`KVM_GUESTDBG_${name}`, `KVM_GUESTDBG_${name}`, value);
  }
  emit("sizeof(kvm_guest_debug_arch)", "sizeof(struct kvm_guest_debug_arch)", 64);
  emit("PIO page offset", "KVM_PIO_PAGE_OFFSET * 4096", PIO_DATA_OFFSET);
  const source = [
    "#include <stdio.h>",
    "#include <stddef.h>",
    "#include <linux/kvm.h>",
    "int main(void) {",
    ...lines,
    "  return 0;",
    "}",
  ].join("\n");
  return { source, expected };
}

Deno.test("KVM ABI: every size, offset, ioctl number and constant matches linux/kvm.h", async () => {
  const { source, expected } = cProgram();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/abi.c`, source);
    const cc = await new Deno.Command("gcc", {
      args: ["-o", `${dir}/abi`, `${dir}/abi.c`],
      stderr: "piped",
    }).output();
    strictEqual(cc.success, true, new TextDecoder().decode(cc.stderr));
    const run = await new Deno.Command(`${dir}/abi`).output();
    const actual = new Map<string, bigint>();
    for (const line of new TextDecoder().decode(run.stdout).trim().split("\n")) {
      const at = line.lastIndexOf(" ");
      actual.set(line.slice(0, at), BigInt(line.slice(at + 1)));
    }
    strictEqual(actual.size, expected.size);
    for (const [label, value] of expected) {
      strictEqual(
        value,
        actual.get(label),
        `${label}: TypeScript ${value}, C ${actual.get(label)}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
