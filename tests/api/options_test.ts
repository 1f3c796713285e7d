// The API's options are checked before anything is built: unknown keys, wrong types and values
// out of range are GuestOptionErrors that name the option as the API spells it.
import { match, rejects, strictEqual, throws } from "@std/assert";
import {
  Guest,
  GuestOptionError,
  type GuestOptions,
  LoaderError,
  type RunOptions,
} from "../../mod.ts";
import { guestImage } from "../support/guest_cases.ts";

/** Asserts that `call` throws a GuestOptionError for `option` whose message matches `text`. */
function throwsOption(call: () => unknown, option: string, text: RegExp): void {
  throws(call, (e: unknown) => {
    if (!(e instanceof GuestOptionError)) throw new Error(`not a GuestOptionError: ${e}`);
    strictEqual(e.option, option);
    match(e.message, text);
    strictEqual(e.message.includes("--"), false, `no command-line flag in: ${e.message}`);
    return true;
  });
}

Deno.test("api options: every bad GuestOptions value is refused with its name", () => {
  const image = guestImage("boot-hello");
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ accel: "EMU" }, "GuestOptions.accel", /must be one of "auto", "kvm", "emu" \(got "EMU"\)/],
    [{ boot: "BIOS" }, "GuestOptions.boot", /one of "auto", "bios", "flat", "rom", "multiboot"/],
    [{ driveType: "cdrom" }, "GuestOptions.driveType", /one of "floppy", "hdd"/],
    [{ linuxDecompress: "yes" }, "GuestOptions.linuxDecompress", /one of "auto", "host", "guest"/],
    [{ serialLimit: -1 }, "GuestOptions.serialLimit", /whole number of at least 0 \(got -1\)/],
    [{ serialLimit: 1.5 }, "GuestOptions.serialLimit", /whole number/],
    [{ memory: "16M" }, "GuestOptions.memory", /number of bytes/],
    [{ memory: 1000 }, "GuestOptions.memory", /multiple of 4 KiB/],
    [{ memory: NaN }, "GuestOptions.memory", /multiple of 4 KiB/],
    [{ memory: 64 * 2 ** 30 }, "GuestOptions.memory", /3 GiB/],
    [{ noSignatureCheck: 1 }, "GuestOptions.noSignatureCheck", /true or false/],
    [{ translate: "no" }, "GuestOptions.translate", /true or false/],
    [{ rtcStart: new Date("bad") }, "GuestOptions.rtcStart", /valid Date/],
    [{ rtcStart: "2020-01-01" }, "GuestOptions.rtcStart", /valid Date/],
    [{ acel: "emu" }, "GuestOptions.acel", /no option "acel" \(did you mean "accel"\?\)/],
    [{ Memory: 4096 }, "GuestOptions.Memory", /did you mean "memory"/],
    [{ disk: "x" }, "GuestOptions.disk", /no option "disk" \(did you mean "disks"\?\)/],
    [{ disks: "a.img" }, "GuestOptions.disks", /an array of disks/],
    [{ disks: [{ path: "a.img", bytes: new Uint8Array(512) }] }, "GuestOptions.disks", /disks/],
    [{ disks: [{ path: "a.img", type: "cd" }] }, "GuestOptions.disks", /disks/],
    [{ diskWrite: "yes" }, "GuestOptions.diskWrite", /true or false/],
    [{ noReboot: 0 }, "GuestOptions.noReboot", /true or false/],
    [{ append: 42 }, "GuestOptions.append", /a string/],
    [{ initrd: "initrd.img" }, "GuestOptions.initrd", /a Uint8Array/],
    [{ modules: [{ cmdline: "x" }] }, "GuestOptions.modules", /an array of \{ data/],
  ];
  for (const [options, option, text] of cases) {
    throwsOption(() => Guest.create(image, options as GuestOptions), option, text);
  }
  throwsOption(
    () => Guest.create(image, null as unknown as GuestOptions),
    "GuestOptions",
    /object/,
  );
  throwsOption(() => Guest.create("boot.img" as unknown as Uint8Array), "image", /Uint8Array/);
  // Options only a BIOS boot uses are checked for a flat guest too (and then not used).
  throwsOption(
    () => Guest.create(guestImage("hello"), { boot: "flat", driveType: "cd" as "hdd" }),
    "GuestOptions.driveType",
    /one of "floppy", "hdd"/,
  );
  // A GuestOptionError is a TypeError, as for any bad argument.
  throws(() => Guest.create(image, { accel: "EMU" as "emu" }), TypeError);
});

Deno.test("api options: good values and undefined ones are accepted", async () => {
  using guest = Guest.create(guestImage("boot-hello"), {
    accel: "emu",
    boot: "bios",
    memory: 1 << 20,
    driveType: undefined,
    noSignatureCheck: false,
    rtcStart: 0,
    serialLimit: 0,
    translate: false,
  });
  strictEqual((await guest.run({ timeoutMs: 10_000 })).stop.kind, "halt");
  strictEqual(guest.serialBytes().length, 0, "serialLimit 0 keeps nothing");
});

Deno.test("api options: errors from the machine name the API's options, not flags", () => {
  const noSignature = new Uint8Array(512);
  throws(() => Guest.create(noSignature, { accel: "emu" }), (e: unknown) => {
    if (!(e instanceof LoaderError)) throw new Error(`not a LoaderError: ${e}`);
    match(e.message, /no boot signature.*; use noSignatureCheck: true or boot: "flat"$/);
    return true;
  });
  throws(
    () => Guest.create(new Uint8Array(8192), { accel: "emu", boot: "flat" }),
    /larger than the RAM at address 0 \(4096 bytes\); give more memory$/,
  );
});

Deno.test("api options: RunOptions are checked (NaN, negative, fractions, typos)", async () => {
  using guest = Guest.create(guestImage("boot-hello"), { accel: "emu" });
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ instructions: NaN }, "RunOptions.instructions", /whole number of at least 0 \(got NaN\)/],
    [{ instructions: -5 }, "RunOptions.instructions", /whole number/],
    [{ instructions: 2.5 }, "RunOptions.instructions", /whole number/],
    [{ instructions: Infinity }, "RunOptions.instructions", /whole number/],
    [{ timeoutMs: NaN }, "RunOptions.timeoutMs", /finite number of at least 0/],
    [{ timeoutMs: -1 }, "RunOptions.timeoutMs", /finite number/],
    [{ timeoutMs: Infinity }, "RunOptions.timeoutMs", /finite number/],
    [{ timeoutMs: "5s" }, "RunOptions.timeoutMs", /finite number/],
    [{ timeout: 5000 }, "RunOptions.timeout", /did you mean "timeoutMs"/],
  ];
  for (const [options, option, text] of cases) {
    await rejects(() => guest.run(options as RunOptions), (e: unknown) => {
      if (!(e instanceof GuestOptionError)) throw new Error(`not a GuestOptionError: ${e}`);
      strictEqual(e.option, option);
      match(e.message, text);
      return true;
    });
    strictEqual(guest.running, false, "a refused run does not start");
  }
  await rejects(() => guest.waitForScreen("x", { timeoutMs: NaN }), /WaitOptions\.timeoutMs/);
  await rejects(
    () => guest.waitForScreen(42 as unknown as string),
    /waitForScreen needs a RegExp or a string/,
  );
  // The guest is untouched and runs to its end.
  strictEqual((await guest.run({ timeoutMs: 10_000 })).stop.kind, "halt");
});

Deno.test("api options: instructions counts from where each run starts", async () => {
  const state = (guest: Guest) =>
    JSON.stringify(guest.cpu(), (_, v) => typeof v === "bigint" ? `${v}` : v);
  using stepped = Guest.create(guestImage("boot-hello"), { accel: "emu" });
  for (let step = 0; step < 3; step++) {
    strictEqual((await stepped.run({ instructions: 7 })).stop.kind, "instruction-limit");
  }
  strictEqual((await stepped.run({ instructions: 0 })).stop.kind, "instruction-limit");
  using once = Guest.create(guestImage("boot-hello"), { accel: "emu" });
  await once.run({ instructions: 7 });
  const afterSeven = state(once);
  await once.run({ instructions: 14 });
  strictEqual(state(stepped), state(once), "3 x 7 instructions = 7 + 14");
  strictEqual(state(stepped) === afterSeven, false, "the later steps ran");
  strictEqual((await stepped.run({ timeoutMs: 10_000 })).stop.kind, "halt");
  strictEqual(stepped.screenText(), "Hello from the BIOS! Boot drive: 80");
});
