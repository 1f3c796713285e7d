// A kernel's linear framebuffer on KVM: the framebuffer test kernel's pattern (stores
// into memory mapped like RAM, no exits) shows in screenRgba() and --screenshot with
// the same pixels as on the software CPU. Needs /dev/kvm.
import "../support/built_guests.ts";
import { deepStrictEqual, strictEqual } from "@std/assert";
import { Guest } from "../../mod.ts";
import {
  assertFbPattern,
  checkFbScreenshot,
  FB_EXIT_STATUS,
  FB_KERNEL,
  FB_MODE,
  FB_SERIAL,
} from "../support/framebuffer_case.ts";

/** Boots the framebuffer kernel on `accel`; returns its picture. */
async function bootFb(accel: "kvm" | "emu"): Promise<Uint8Array> {
  using guest = Guest.create(await Deno.readFile(FB_KERNEL), { accel });
  deepStrictEqual(guest.framebuffer, FB_MODE);
  const result = await guest.run({ timeoutMs: 60_000 });
  strictEqual(result.stop.kind, "debug-exit", Guest.describe(result));
  strictEqual(result.exitStatus, FB_EXIT_STATUS);
  strictEqual(guest.serialText(), FB_SERIAL);
  strictEqual(guest.screenText(), FB_SERIAL.trimEnd());
  const image = guest.screenRgba();
  assertFbPattern(image);
  return image.rgba;
}

Deno.test("kvm framebuffer: the kernel's pattern, pixel for pixel as on the software CPU", async () => {
  const kvm = await bootFb("kvm");
  const emu = await bootFb("emu");
  strictEqual(kvm.length, emu.length);
  strictEqual(kvm.every((b, i) => b === emu[i]), true, "the same picture");
});

Deno.test("kvm framebuffer: --screenshot saves the 1024x768 picture", () =>
  checkFbScreenshot("kvm"));
