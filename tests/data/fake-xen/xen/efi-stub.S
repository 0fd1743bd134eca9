    .text
    .globl efi_start
efi_start:
    xor %eax, %eax
    ret
