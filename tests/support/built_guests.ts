// The guests the KVM tests boot, built before the first test when they are
// missing or out of date (as `deno task guests` does): tests/kvm/ also runs on
// its own (`deno test -A tests/kvm/`, or one file at a time in CI), where no
// task built them first.
import { buildGuests } from "../../tools/build-guests.ts";

if (!await buildGuests({ quiet: true })) {
  throw new Error("the guests could not be built (see build-guests above; needs nasm and gcc)");
}
