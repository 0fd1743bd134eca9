"""Writes a 2 MiB flash image laid out as OvmfXen's: three firmware volumes (variables, the
main volume, SEC), each with a consistent EFI_FIRMWARE_VOLUME_HEADER."""
import struct
import sys

SIZE = 2 * 1024 * 1024
VOLUMES = [(0x0, 0x20000), (0x20000, 0x1AC000), (0x1CC000, 0x34000)]
BLOCK = 0x1000


def header(length):
    # ZeroVector, FileSystemGuid, FvLength, "_FVH", Attributes, HeaderLength, Checksum,
    # ExtHeaderOffset, Reserved, Revision, then the block map and its terminator.
    fields = struct.pack("<16s16sQ4sIHHHBB", bytes(16), b"\x8c\x8c\xe5\x78" + bytes(12), length,
                         b"_FVH", 0x0004FEFF, 72, 0, 0, 0, 2)
    fields += struct.pack("<IIII", length // BLOCK, BLOCK, 0, 0)
    words = struct.unpack("<36H", fields)
    checksum = (-sum(words)) & 0xFFFF
    return fields[:50] + struct.pack("<H", checksum) + fields[52:]


image = bytearray(b"\xff" * SIZE)
for offset, length in VOLUMES:
    image[offset:offset + 72] = header(length)
with open(sys.argv[1], "wb") as out:
    out.write(image)
