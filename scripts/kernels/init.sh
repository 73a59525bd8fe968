#!/bin/busybox sh
# /init of the guests' initramfs (matrix.sh fills in the @…@ values):
# loads the modules, mounts the host's root read-only and the kernel cache
# read-write at the same paths as on the host, and runs run-tests.sh in a
# chroot of it, then powers off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "kernels-guest: $(uname -r) up $(cut -d' ' -f1 /proc/uptime)s"

for m in $(cat /mods/list); do
	insmod "/mods/$m" || echo "kernels-guest: insmod $m failed"
done

R=/newroot
case @TRANSPORT@ in
9p)
	mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot $R ||
		echo "kernels-guest: mount hostroot failed"
	mount -t 9p -o trans=virtio,version=9p2000.L,rw,cache=mmap,msize=262144 kcache $R@CACHE@ ||
		echo "kernels-guest: mount kcache failed"
	;;
virtiofs)
	mount -t virtiofs -o ro hostroot $R || echo "kernels-guest: mount hostroot failed"
	mount -t virtiofs kcache $R@CACHE@ || echo "kernels-guest: mount kcache failed"
	;;
esac

mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount -t devtmpfs devtmpfs $R/dev
mkdir -p $R/dev/shm $R/dev/pts
mount -t devpts devpts $R/dev/pts
mount -t tmpfs tmpfs $R/dev/shm
mount -t tmpfs tmpfs $R/tmp
mount -t tmpfs tmpfs $R/run
mount -t bpf bpf $R/sys/fs/bpf || echo "kernels-guest: no bpffs"
mount -t tracefs tracefs $R/sys/kernel/tracing || echo "kernels-guest: no tracefs"
mount -t debugfs debugfs $R/sys/kernel/debug || echo "kernels-guest: no debugfs"
mount -t cgroup2 cgroup2 $R/sys/fs/cgroup || echo "kernels-guest: no cgroup2"
if [ -f /config ]; then
	mount -t tmpfs tmpfs $R/boot
	cp /config $R/boot/config-$(uname -r)
fi
ip link set lo up
ulimit -l unlimited
echo "kernels-guest: btf: $(ls /sys/kernel/btf | tr '\n' ' ')"
echo "kernels-guest: modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "kernels-guest: starting tests at $(cut -d' ' -f1 /proc/uptime)s"
ls /sys/kernel/btf >$R@OUT@/btf 2>/dev/null
cut -d' ' -f1 /proc/modules >$R@OUT@/modules 2>/dev/null
export HOME=@HOME@
chroot $R /bin/sh @WORK@/run-tests.sh @WORK@ @OUT@
echo "kernels-guest: tests ended (exit $?) at $(cut -d' ' -f1 /proc/uptime)s"
sync
umount $R@CACHE@ 2>/dev/null
poweroff -f
