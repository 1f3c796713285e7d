#!/usr/bin/env bash
# Runs each tests/kvm/*_test.ts in its own `deno test`, so a file that hangs
# (a KVM_RUN that never returns blocks its whole process) costs only its own
# report: after SECS seconds the file's processes are shown (kernel stacks,
# system calls) and killed, and its missing report counts as a failure.
#
# Usage: .ci/kvm-files.sh REPORT_DIR NAME_PREFIX SECS [deno test flags...]
set -uo pipefail
dir=$1 prefix=$2 secs=$3
shift 3
status=0

# Every process below $1, itself included.
tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do tree "$child"; done
}

show_hang() {
  local pid task
  for pid in $(tree "$1"); do
    echo "-- pid $pid: $(tr '\0' ' ' < /proc/"$pid"/cmdline 2>/dev/null | cut -c1-200)"
    for task in /proc/"$pid"/task/*; do
      echo "   task ${task##*/} $(cat "$task"/comm 2>/dev/null) wchan=$(cat "$task"/wchan 2>/dev/null)" \
        "syscall=$(cut -d' ' -f1 "$task"/syscall 2>/dev/null)"
      sed 's/^/      /' "$task"/stack 2>/dev/null | head -8
    done
  done
}

for file in tests/kvm/*_test.ts; do
  name=$(basename "$file" .ts)
  deno test "$@" --junit-path="$dir/$prefix-$name.xml" "$file" &
  pid=$!
  waited=0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$secs" ]; do
    sleep 1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "ci: $file still running after ${secs}s; its processes:"
    show_hang "$pid"
    for p in $(tree "$pid"); do kill -9 "$p" 2>/dev/null; done
    rm -f "$dir/$prefix-$name.xml"
  fi
  wait "$pid" || status=1
done
exit $status
