/**
 * The container detector against real-shaped /proc files, written to a temp
 * directory and read through the detector context. Ids differ per sample so
 * a parser that picks the wrong line (an overlay layer, a pod sandbox) fails.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anyValueToString } from '../../model/common';
import { CGROUP_FILE, containerDetector, containerIdFromCgroup, containerIdFromMountinfo, MOUNTINFO_FILE } from './container';
import { tempContext } from './test-context';

const hex = (seed: string): string => seed.repeat(64).slice(0, 64);
const DOCKER_ID = hex('3c8d4f1a0e97b2');
const K8S_ID = hex('a1b2c3d4e5f60');
const CRIO_ID = hex('9f8e7d6c5b4a3');
const SYSTEMD_ID = hex('0123456789abcdef');
const LAYER_ID = hex('deadbeef');
const SANDBOX_ID = hex('5a5a5a5a1b');
const NERDCTL_ID = hex('c0ffee42');
const PODMAN_ID = hex('feedface77');

// Docker, cgroup v1, cgroupfs driver.
const DOCKER_V1 = `12:pids:/docker/${DOCKER_ID}
11:hugetlb:/docker/${DOCKER_ID}
10:net_prio:/docker/${DOCKER_ID}
9:perf_event:/docker/${DOCKER_ID}
8:net_cls:/docker/${DOCKER_ID}
7:freezer:/docker/${DOCKER_ID}
6:devices:/docker/${DOCKER_ID}
5:memory:/docker/${DOCKER_ID}
4:blkio:/docker/${DOCKER_ID}
3:cpuacct:/docker/${DOCKER_ID}
2:cpu:/docker/${DOCKER_ID}
1:name=systemd:/docker/${DOCKER_ID}
0::/system.slice/containerd.service
`;

// Kubernetes on containerd, cgroup v1, cgroupfs driver (BestEffort/Burstable pods).
const K8S_CONTAINERD_V1 = `12:memory:/kubepods/burstable/pod9b2c7a7e-1f2d-4e5b-8b0a-2c1e0d3f4a5b/${K8S_ID}
11:cpu,cpuacct:/kubepods/burstable/pod9b2c7a7e-1f2d-4e5b-8b0a-2c1e0d3f4a5b/${K8S_ID}
1:name=systemd:/kubepods/burstable/pod9b2c7a7e-1f2d-4e5b-8b0a-2c1e0d3f4a5b/${K8S_ID}
`;

// Kubernetes on cri-o, cgroup v1, systemd driver.
const CRIO_V1 = `11:cpuset:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod9b2c7a7e_1f2d_4e5b_8b0a_2c1e0d3f4a5b.slice/crio-${CRIO_ID}.scope
1:name=systemd:/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod9b2c7a7e_1f2d_4e5b_8b0a_2c1e0d3f4a5b.slice/crio-${CRIO_ID}.scope
`;

// cgroup v2 sharing the host's cgroup namespace (docker --cgroupns=host, systemd driver).
const V2_HOST_NS = `0::/system.slice/docker-${SYSTEMD_ID}.scope\n`;
const V2_CONTAINERD_SYSTEMD = `0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podabc.slice/cri-containerd-${K8S_ID}.scope\n`;

// cgroup v2 with a private cgroup namespace: nothing to see.
const V2_PRIVATE_NS = '0::/\n';

// Docker, cgroup v2: the overlay's layer dirs hold other 64-hex ids and come first.
const DOCKER_MOUNTINFO = `1180 1090 0:120 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/QK2Z7OZ4:/var/lib/docker/overlay2/l/7GHN2E3U,upperdir=/var/lib/docker/overlay2/${LAYER_ID}/diff,workdir=/var/lib/docker/overlay2/${LAYER_ID}/work
1181 1180 0:123 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
1182 1180 0:124 / /dev rw,nosuid - tmpfs tmpfs rw,size=65536k,mode=755
1183 1182 0:125 / /dev/pts rw,nosuid,noexec,relatime - devpts devpts rw,gid=5,mode=620,ptmxmode=666
1184 1180 0:126 / /sys ro,nosuid,nodev,noexec,relatime - sysfs sysfs ro
1185 1184 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec,relatime - cgroup2 cgroup rw,nsdelegate,memory_recursiveprot
1186 1182 0:122 / /dev/mqueue rw,nosuid,nodev,noexec,relatime - mqueue mqueue rw
1187 1182 0:127 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
1188 1180 254:1 /var/lib/docker/containers/${DOCKER_ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw,discard
1189 1180 254:1 /var/lib/docker/containers/${DOCKER_ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw,discard
1190 1180 254:1 /var/lib/docker/containers/${DOCKER_ID}/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw,discard
`;

// containerd via nerdctl, cgroup v2: per-container dir under containers/<namespace>/<id>.
const NERDCTL_MOUNTINFO = `640 560 0:53 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/31/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/31/work
641 640 0:56 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
650 640 254:1 /var/lib/nerdctl/1935db59/containers/default/${NERDCTL_ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw
651 640 254:1 /var/lib/nerdctl/1935db59/etchosts/default/${NERDCTL_ID}/hosts /etc/hosts rw,relatime - ext4 /dev/vda1 rw
652 640 254:1 /var/lib/nerdctl/1935db59/containers/default/${NERDCTL_ID}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw
`;

// Kubernetes on containerd, cgroup v2: /etc/hostname comes from the pod *sandbox*.
const K8S_CONTAINERD_MOUNTINFO = `1480 1400 0:310 / / rw,relatime - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/880/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/881/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/881/work
1490 1480 259:1 /var/lib/kubelet/pods/9b2c7a7e-1f2d-4e5b-8b0a-2c1e0d3f4a5b/etc-hosts /etc/hosts rw,relatime - ext4 /dev/nvme0n1p1 rw
1491 1480 259:1 /var/lib/kubelet/pods/9b2c7a7e-1f2d-4e5b-8b0a-2c1e0d3f4a5b/containers/app/5f1e2d3c /dev/termination-log rw,relatime - ext4 /dev/nvme0n1p1 rw
1492 1480 259:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${SANDBOX_ID}/hostname /etc/hostname rw,relatime - ext4 /dev/nvme0n1p1 rw
1493 1480 259:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/${SANDBOX_ID}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/nvme0n1p1 rw
`;

// podman (and cri-o) keep per-container files under overlay-containers/<id>/userdata.
const PODMAN_MOUNTINFO = `702 690 0:44 /containers/storage/overlay-containers/${PODMAN_ID}/userdata/hostname /etc/hostname rw,nosuid,nodev,relatime - tmpfs tmpfs rw
`;

// A plain host (this is what a CI runner outside containers shows).
const HOST_CGROUP = `0::/user.slice/user-1000.slice/session-2.scope\n`;
const HOST_MOUNTINFO = `22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p2 rw\n`;

test('cgroup v1 and v2 layouts: docker, containerd, cri-o, systemd scopes', () => {
  assert.equal(containerIdFromCgroup(DOCKER_V1), DOCKER_ID);
  assert.equal(containerIdFromCgroup(K8S_CONTAINERD_V1), K8S_ID);
  assert.equal(containerIdFromCgroup(CRIO_V1), CRIO_ID);
  assert.equal(containerIdFromCgroup(V2_HOST_NS), SYSTEMD_ID);
  assert.equal(containerIdFromCgroup(V2_CONTAINERD_SYSTEMD), K8S_ID);
  assert.equal(containerIdFromCgroup(V2_PRIVATE_NS), undefined);
  assert.equal(containerIdFromCgroup(HOST_CGROUP), undefined);
  // crio's conmon scope is the monitor, not the container; a 63-hex segment is not an id.
  assert.equal(containerIdFromCgroup(`0::/machine.slice/crio-conmon-${CRIO_ID}.scope\n`), undefined);
  assert.equal(containerIdFromCgroup(`4:memory:/docker/${DOCKER_ID.slice(1)}\n`), undefined);
});

test('mountinfo: the per-container bind mount names the container, not an overlay layer or a pod sandbox', () => {
  assert.equal(containerIdFromMountinfo(DOCKER_MOUNTINFO), DOCKER_ID);
  assert.equal(containerIdFromMountinfo(NERDCTL_MOUNTINFO), NERDCTL_ID);
  assert.equal(containerIdFromMountinfo(PODMAN_MOUNTINFO), PODMAN_ID);
  assert.equal(containerIdFromMountinfo(K8S_CONTAINERD_MOUNTINFO), undefined);
  assert.equal(containerIdFromMountinfo(HOST_MOUNTINFO), undefined);
});

async function detect(files: Record<string, string>): Promise<string | undefined> {
  const t = tempContext({ files });
  try {
    const found = await containerDetector.detect(t.ctx, undefined);
    assert.ok(found.length <= 1);
    assert.ok(found.every((kv) => kv.key === 'container.id'));
    return found[0] && anyValueToString(found[0].value);
  } finally {
    t.cleanup();
  }
}

test('the detector reads /proc/self/cgroup first and falls back to mountinfo (files in a temp dir)', async () => {
  assert.equal(await detect({ [CGROUP_FILE]: DOCKER_V1, [MOUNTINFO_FILE]: NERDCTL_MOUNTINFO }), DOCKER_ID, 'cgroup wins when it names one');
  assert.equal(await detect({ [CGROUP_FILE]: V2_PRIVATE_NS, [MOUNTINFO_FILE]: DOCKER_MOUNTINFO }), DOCKER_ID, 'v2 private namespace: mountinfo');
  assert.equal(await detect({ [CGROUP_FILE]: V2_PRIVATE_NS, [MOUNTINFO_FILE]: NERDCTL_MOUNTINFO }), NERDCTL_ID);
  assert.equal(await detect({ [MOUNTINFO_FILE]: PODMAN_MOUNTINFO }), PODMAN_ID, 'no cgroup file at all');
  assert.equal(await detect({ [CGROUP_FILE]: V2_PRIVATE_NS, [MOUNTINFO_FILE]: K8S_CONTAINERD_MOUNTINFO }), undefined);
  assert.equal(await detect({ [CGROUP_FILE]: HOST_CGROUP, [MOUNTINFO_FILE]: HOST_MOUNTINFO }), undefined, 'not in a container');
  assert.equal(await detect({}), undefined, 'not Linux: neither file exists');
});
