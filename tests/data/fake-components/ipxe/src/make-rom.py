"""Writes a 4 KiB PCI option ROM for vendor:device: the 0x55 0xAA header with the size in
512-byte units and the offset of the PCI data structure, "PCIR", and a checksum byte that makes
the image's bytes sum to 0 modulo 256."""
import struct
import sys

vendor, device, path = int(sys.argv[1], 16), int(sys.argv[2], 16), sys.argv[3]
UNITS = 8
image = bytearray(UNITS * 512)
image[0:3] = b"\x55\xaa" + bytes([UNITS])
struct.pack_into("<H", image, 0x18, 0x1C)
# PCIR: signature, vendor, device, VPD, length, revision, class code (network), image length,
# code revision, code type (x86), indicator (last image), reserved.
struct.pack_into("<4sHHHHB3sHHBBH", image, 0x1C, b"PCIR", vendor, device, 0, 0x18, 0,
                 b"\x00\x00\x02", UNITS, 1, 0, 0x80, 0)
text = b"fake iPXE for %04x:%04x" % (vendor, device)
image[0x40:0x40 + len(text)] = text
image[-1] = (-sum(image)) & 0xFF
with open(path, "wb") as out:
    out.write(image)
