; Never halts and never exits to the VMM: only --timeout can stop it.
bits 16
org 0

    cli
spin:
    jmp spin
