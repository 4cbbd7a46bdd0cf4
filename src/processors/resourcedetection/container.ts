/**
 * `container`: `container.id` of the container the daemon runs in, read from
 * the kernel's view of the process (no runtime socket needed).
 *
 * - `/proc/self/cgroup`: with cgroup v1, and with v2 when the container
 *   shares the host's cgroup namespace, the last path segment names the
 *   container: `/docker/<id>`, `/kubepods/.../pod<uid>/<id>`,
 *   `docker-<id>.scope`, `cri-containerd-<id>.scope`, `crio-<id>.scope`,
 *   `libpod-<id>.scope`.
 * - `/proc/self/mountinfo`: with cgroup v2 and a private cgroup namespace
 *   (Docker's default) the cgroup path is just `/`, but the runtime still
 *   bind-mounts `/etc/hostname`, `/etc/hosts` and `/etc/resolv.conf` from a
 *   per-container directory: `/var/lib/docker/containers/<id>/...`,
 *   `.../containers/<namespace>/<id>/...` (nerdctl/containerd),
 *   `.../overlay-containers/<id>/userdata/...` (podman, cri-o).
 *
 * Kubernetes on containerd with cgroup v2 mounts those files from the pod's
 * *sandbox* directory (`.../sandboxes/<id>/`): that id is the pause
 * container's, not ours, so it is deliberately not reported.
 */
import { str, type Attributes } from '../../model/common';
import type { Detector } from './context';

export const CGROUP_FILE = '/proc/self/cgroup';
export const MOUNTINFO_FILE = '/proc/self/mountinfo';

const CGROUP_SEGMENT = /^(?:(?:docker|crio|cri-containerd|libpod)-)?([0-9a-f]{64})(?:\.scope)?$/;
const MOUNT_ROOT = /\/(?:overlay-)?containers\/(?:[^/]+\/)?([0-9a-f]{64})(?:\/|$)/;

/** The container id in `/proc/self/cgroup` text (v1 or v2 layout), or undefined. */
export function containerIdFromCgroup(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // hierarchy-id:controllers:path — the path itself may hold colons.
    const first = line.indexOf(':');
    const second = first < 0 ? -1 : line.indexOf(':', first + 1);
    if (second < 0) continue;
    const path = line.slice(second + 1).trim();
    const last = path.slice(path.lastIndexOf('/') + 1);
    const m = CGROUP_SEGMENT.exec(last);
    if (m) return m[1];
  }
  return undefined;
}

/** The container id in `/proc/self/mountinfo` text, from the root of a per-container bind mount, or undefined. */
export function containerIdFromMountinfo(text: string): string | undefined {
  for (const line of text.split('\n')) {
    // mount-id parent-id major:minor root mount-point options ...
    const fields = line.split(' ');
    if (fields.length < 5) continue;
    const m = MOUNT_ROOT.exec(fields[3]);
    if (m) return m[1];
  }
  return undefined;
}

export const containerDetector: Detector = {
  name: 'container',
  async detect(ctx) {
    const cgroup = await ctx.readFile(CGROUP_FILE);
    let id = cgroup ? containerIdFromCgroup(cgroup) : undefined;
    if (!id) {
      const mountinfo = await ctx.readFile(MOUNTINFO_FILE);
      id = mountinfo ? containerIdFromMountinfo(mountinfo) : undefined;
    }
    const out: Attributes = [];
    if (id) out.push({ key: 'container.id', value: str(id) });
    return out;
  },
};
