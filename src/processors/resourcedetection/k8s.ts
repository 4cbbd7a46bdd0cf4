/**
 * `k8s`: the pod the daemon runs in, from the variables a pod spec passes
 * through the downward API (`K8S_POD_NAME`, `K8S_NAMESPACE_NAME`,
 * `K8S_NODE_NAME`, `K8S_POD_UID`), with two fallbacks that need no spec
 * change: inside a pod (`KUBERNETES_SERVICE_HOST` set) `HOSTNAME` is the pod
 * name, and the service-account mount holds the namespace.
 */
import { str, type Attributes } from '../../model/common';
import type { Detector } from './context';

export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

export const k8sDetector: Detector = {
  name: 'k8s',
  async detect(ctx) {
    const env = ctx.env;
    const out: Attributes = [];
    const add = (key: string, value: string | undefined) => {
      const v = value?.trim();
      if (v) out.push({ key, value: str(v) });
    };
    add('k8s.pod.name', env.K8S_POD_NAME?.trim() || (env.KUBERNETES_SERVICE_HOST ? env.HOSTNAME : undefined));
    add('k8s.namespace.name', env.K8S_NAMESPACE_NAME?.trim() || (await ctx.readFile(SERVICE_ACCOUNT_NAMESPACE_FILE)));
    add('k8s.node.name', env.K8S_NODE_NAME);
    add('k8s.pod.uid', env.K8S_POD_UID);
    return out;
  },
};
