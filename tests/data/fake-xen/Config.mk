# Pins of the components, as in Xen's own Config.mk.
QEMU_UPSTREAM_URL ?= https://xenbits.xen.org/git-http/qemu-xen.git
QEMU_UPSTREAM_REVISION ?= qemu-xen-4.19.0
SEABIOS_UPSTREAM_URL ?= https://xenbits.xen.org/git-http/seabios.git
SEABIOS_UPSTREAM_TAG ?= rel-1.16.3
SEABIOS_UPSTREAM_REVISION ?= $(SEABIOS_UPSTREAM_TAG)
OVMF_UPSTREAM_URL ?= https://xenbits.xen.org/git-http/ovmf.git
OVMF_UPSTREAM_REVISION ?= ba91d0292e593df8528b66f99c1b0b14fadc8e16
MINIOS_UPSTREAM_REVISION ?= xen-RELEASE-4.19.0
GIT ?= git
-include $(XEN_ROOT)/config/Tools.mk
