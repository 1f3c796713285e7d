// COM1 input on KVM: the serial-input guests get every byte a script sends,
// as on the software CPU (INT 14h waits in the ROM loop; a byte sent while
// the guest sleeps in HLT wakes it). Needs /dev/kvm.
import "../support/built_guests.ts";
import { checkSerialEcho } from "../support/serial_input.ts";

Deno.test("kvm serial input: INT 14h AH=02h reads everything sendSerial gives", async () => {
  await checkSerialEcho("boot-serial-in", "got", "kvm");
});

Deno.test("kvm serial input: the UART's receive interrupt gets everything sendSerial gives", async () => {
  await checkSerialEcho("boot-serial-irq", "irq", "kvm");
});
