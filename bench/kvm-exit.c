/*
 * The baseline for picovmm's cost per KVM exit: the smallest run loop in C
 * that runs the same guest image the same way picovmm's flat machine does
 * (RAM at guest-physical 0, real mode, CS:IP = 0000:0000), answers its port
 * writes (0x3FF: a scratch byte, 0x80: the start marker, ignored) and stops at
 * the debug-exit write to 0xF4. It checks the guest's exit value and result
 * registers the way bench/lib/guests.ts models them for the OUT and empty
 * guests.
 *
 * Each repetition creates a VM, then times the run loop twice:
 *   plain:        wall time and getrusage(RUSAGE_SELF) user/system time;
 *   instrumented: also the wall time spent inside KVM_RUN (clock_gettime
 *                 around each ioctl), to give the time outside it.
 * One JSON line per pass goes to stdout.
 *
 * Usage: kvm-exit IMAGE N REPS      (N: the iteration count patched into IMAGE)
 * Build: gcc -O2 -o kvm-exit bench/kvm-exit.c
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define RAM_SIZE 0x8000 /* the guests keep their stack below 0x7000 */
#define COUNT_OFFSET 0x1f8
#define PORT_SCRATCH 0x3ff
#define PORT_MARKER 0x80
#define PORT_DEBUG_EXIT 0xf4

static void die(const char *what) {
  fprintf(stderr, "kvm-exit: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int64_t tv_ns(struct timeval t) {
  return (int64_t)t.tv_sec * 1000000000 + (int64_t)t.tv_usec * 1000;
}

/* The 7-bit fold the guests write to the debug-exit port (common.inc). */
static unsigned fold7(uint32_t v) {
  uint32_t x = (v & 0xffff) ^ (v >> 16);
  return ((x & 0xff) ^ (x >> 8)) & 0x7f;
}

struct vm {
  int vm_fd, vcpu_fd;
  struct kvm_run *run;
  uint8_t *ram;
};

static struct vm make_vm(int kvm, const uint8_t *image, size_t length, size_t run_size) {
  struct vm v;
  v.vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
  if (v.vm_fd < 0) die("KVM_CREATE_VM");
  if (ioctl(v.vm_fd, KVM_SET_TSS_ADDR, 0xfffbd000UL) < 0) die("KVM_SET_TSS_ADDR");
  v.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (v.ram == MAP_FAILED) die("mmap RAM");
  memcpy(v.ram, image, length);
  struct kvm_userspace_memory_region region = {
      .slot = 0, .guest_phys_addr = 0, .memory_size = RAM_SIZE, .userspace_addr = (uintptr_t)v.ram};
  if (ioctl(v.vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");
  v.vcpu_fd = ioctl(v.vm_fd, KVM_CREATE_VCPU, 0);
  if (v.vcpu_fd < 0) die("KVM_CREATE_VCPU");
  v.run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v.vcpu_fd, 0);
  if (v.run == MAP_FAILED) die("mmap kvm_run");
  struct kvm_sregs sregs;
  if (ioctl(v.vcpu_fd, KVM_GET_SREGS, &sregs) < 0) die("KVM_GET_SREGS");
  struct kvm_segment *segs[] = {&sregs.cs, &sregs.ds, &sregs.es, &sregs.fs, &sregs.gs, &sregs.ss};
  for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
    segs[i]->base = 0;
    segs[i]->selector = 0;
  }
  if (ioctl(v.vcpu_fd, KVM_SET_SREGS, &sregs) < 0) die("KVM_SET_SREGS");
  struct kvm_regs regs = {.rip = 0, .rflags = 2, .rsp = 0x7000};
  if (ioctl(v.vcpu_fd, KVM_SET_REGS, &regs) < 0) die("KVM_SET_REGS");
  return v;
}

static void free_vm(struct vm *v, size_t run_size) {
  munmap(v->run, run_size);
  close(v->vcpu_fd);
  close(v->vm_fd);
  munmap(v->ram, RAM_SIZE);
}

struct result {
  uint64_t exits;
  int64_t inside_ns;
  int value;
  uint8_t scratch;
};

/* The run loop; `timed` adds clock reads around KVM_RUN. */
static struct result run_loop(struct vm *v, int timed) {
  struct result r = {0, 0, -1, 0};
  for (;;) {
    int64_t t0 = timed ? now_ns() : 0;
    int rc = ioctl(v->vcpu_fd, KVM_RUN, 0);
    if (timed) r.inside_ns += now_ns() - t0;
    if (rc < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      die("KVM_RUN");
    }
    r.exits++;
    struct kvm_run *run = v->run;
    if (run->exit_reason != KVM_EXIT_IO || run->io.direction != KVM_EXIT_IO_OUT) {
      fprintf(stderr, "kvm-exit: unexpected exit reason %u\n", run->exit_reason);
      exit(1);
    }
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    switch (run->io.port) {
      case PORT_SCRATCH:
        r.scratch = data[run->io.size * (run->io.count - 1)];
        break;
      case PORT_MARKER:
        break;
      case PORT_DEBUG_EXIT:
        r.value = data[0];
        return r;
      default:
        fprintf(stderr, "kvm-exit: write to unexpected port 0x%x\n", run->io.port);
        exit(1);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: kvm-exit IMAGE N REPS\n");
    return 2;
  }
  uint32_t n = (uint32_t)strtoul(argv[2], NULL, 0);
  int reps = atoi(argv[3]);
  uint8_t image[512];
  FILE *f = fopen(argv[1], "rb");
  if (!f) die(argv[1]);
  size_t length = fread(image, 1, sizeof image, f);
  fclose(f);
  if (length != sizeof image || n < 1 || reps < 1) {
    fprintf(stderr, "kvm-exit: need a 512-byte image, N >= 1, REPS >= 1\n");
    return 2;
  }
  memcpy(image + COUNT_OFFSET, &n, sizeof n);
  int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
  if (kvm < 0) die("/dev/kvm");
  int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
  if (run_size <= 0) die("KVM_GET_VCPU_MMAP_SIZE");
  const char *name = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
  for (int rep = 0; rep < reps; rep++) {
    for (int timed = 0; timed <= 1; timed++) {
      struct vm v = make_vm(kvm, image, length, (size_t)run_size);
      struct rusage u0, u1;
      getrusage(RUSAGE_SELF, &u0);
      int64_t t0 = now_ns();
      struct result r = run_loop(&v, timed);
      int64_t wall = now_ns() - t0;
      getrusage(RUSAGE_SELF, &u1);
      struct kvm_regs regs;
      if (ioctl(v.vcpu_fd, KVM_GET_REGS, &regs) < 0) die("KVM_GET_REGS");
      free_vm(&v, (size_t)run_size);
      /* What bench/lib/guests.ts expects of the OUT guest (the empty guest has no loop). */
      int is_out = strstr(name, "out") != NULL;
      unsigned want = is_out ? fold7((n & 0xffff) ^ 0x3ff) : 0;
      int ok = r.value == (int)want && (uint32_t)regs.rcx == (is_out ? 0 : n) &&
               (!is_out || ((uint32_t)regs.rbx == (n & 0xffff) && (uint32_t)regs.rdx == 0x3ff &&
                            r.scratch == (uint8_t)((n - 1) & 0xff)));
      if (!ok) {
        fprintf(stderr, "kvm-exit: %s N=%u: wrong result (exit value %d, expected %u)\n", name, n,
                r.value, want);
        return 1;
      }
      printf("{\"impl\":\"c\",\"guest\":\"%s\",\"n\":%u,\"mode\":\"%s\",\"exits\":%llu,"
             "\"wallNs\":%lld,\"userNs\":%lld,\"sysNs\":%lld,\"insideNs\":%lld}\n",
             name, n, timed ? "instrumented" : "plain", (unsigned long long)r.exits, (long long)wall,
             (long long)(tv_ns(u1.ru_utime) - tv_ns(u0.ru_utime)),
             (long long)(tv_ns(u1.ru_stime) - tv_ns(u0.ru_stime)),
             (long long)(timed ? r.inside_ns : -1));
      fflush(stdout);
    }
  }
  close(kvm);
  return 0;
}
