; The empty guest: the common start, then the exit with a fold of EAX = 0
; (exit value 0). Its time is what each VMM needs to start, boot and stop;
; the runner subtracts it from every other guest's time.
; Results: none. Instructions: header 14 + load 1 + exit 6 = 21.
%include "common.inc"

GUEST_START
    LOAD_COUNT
    GUEST_EXIT
GUEST_END
