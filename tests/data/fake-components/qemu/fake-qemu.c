#include <stdio.h>
#include <string.h>

int xc_fake_version(void); /* from Xen's libxenctrl */

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("QEMU emulator version %s (fake, libxenctrl %d)\n", QEMU_VERSION,
               xc_fake_version());
        printf("Copyright (c) 2003-2024 Fabrice Bellard and the QEMU Project developers\n");
        return 0;
    }
    fprintf(stderr, "fake qemu-system-i386: only --version\n");
    return 1;
}
