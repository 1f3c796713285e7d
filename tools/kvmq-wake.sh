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
# running the alarm is moved ahead every second and never comes due.
#
# Each time the alarm had to wake the guest, one line goes to stderr.
alarm=/sys/class/rtc/rtc0/wakealarm
[ -w "$alarm" ] || { echo "kvmq-wake: no $alarm; a lost timer wake-up will hang this run" >&2; exit 0; }
# A one-second sleep that took four or more stood still until the alarm (five seconds
# ahead); setting the alarm itself can raise the RTC's interrupt, so its count says nothing.
while :; do
  before=$(cut -d' ' -f1 /proc/uptime)
  echo 0 > "$alarm" && echo +5 > "$alarm"
  sleep 1
  after=$(cut -d' ' -f1 /proc/uptime)
  if [ "$(echo "$before $after" | awk '{ print ($2 - $1 >= 4) }')" = 1 ]; then
    echo "kvmq-wake: the guest stood still from ${before}s to ${after}s of uptime until the RTC alarm woke it" >&2
  fi
done
