#!/bin/sh
# Runs inside the kvm-in-qemu guest, in the background, for as long as the
# guest lives: keeps an RTC alarm armed a few seconds ahead.
#
# Why: QEMU's TCG (7.2) sometimes loses the wake-up of its halted CPU while
# nested SVM runs a guest. The guest kernel's local APIC timer interrupt then
# sits in the IRR (QEMU's `info lapic`: IRR 236, ISR none, IF=1, HLT=1) and
# nothing runs again, which looked like a hung test: the whole kvm-in-qemu
# run stopped until its time limit. Any later device interrupt wakes it (a
# key sent through QEMU's monitor did), and the RTC alarm is a device
# interrupt timed by QEMU, not by the stuck local APIC timer. In normal
# running the alarm never fires: it is moved ahead every second.
#
# Each time the alarm had to wake the guest, one line goes to stderr.
alarm=/sys/class/rtc/rtc0/wakealarm
[ -w "$alarm" ] || { echo "kvmq-wake: no $alarm; a lost timer wake-up will hang this run" >&2; exit 0; }
# The RTC's interrupt count: it goes up only when an alarm fired, i.e. woke the guest.
rtc_irqs() { awk '$1 == "8:" { print $2 }' /proc/interrupts; }
seen=$(rtc_irqs)
while :; do
  echo 0 > "$alarm" && echo +3 > "$alarm"
  sleep 1
  now=$(rtc_irqs)
  if [ "$now" != "$seen" ]; then
    echo "kvmq-wake: at $(cut -d' ' -f1 /proc/uptime)s of uptime the guest stood still until the RTC alarm woke it" >&2
    seen=$now
  fi
done
