/**
 * The kit's deployment files, checked without a Docker engine or a cluster:
 * the Dockerfile's stages, paths, user, ports, health check and entrypoint;
 * the image's default command run for real (the preset it copies, the
 * environment it sets, its HEALTHCHECK command, SIGTERM as PID 1 would get
 * it); the Kubernetes manifests and the compose file parse and refer only to
 * files, ports and paths that exist in the repository and the image.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { test } from 'node:test';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { claudeCodeEnv } from '../../src/cli/claude-code-env';
import { defaultRegistry } from '../../src/components';
import { loadConfig, type ConfigSource, type ResolvedConfig } from '../../src/config/load';
import { parseEndpoint } from '../../src/net/listeners';
import { Daemon, freePort, ROOT, waitFor } from './harness';
import { bash } from './kit-support';

// --- Dockerfile ------------------------------------------------------------

interface Instruction {
  op: string;
  args: string;
  stage: string;
}

function dockerfile(): Instruction[] {
  const text = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const out: Instruction[] = [];
  let stage = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const [, op, args] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (op.toUpperCase() === 'FROM') stage = / AS (\S+)$/i.exec(args)?.[1] ?? '';
    out.push({ op: op.toUpperCase(), args: args.trim(), stage });
  }
  return out;
}

const INSTR = dockerfile();
const runtime = INSTR.filter((i) => i.stage === 'runtime');
const build = INSTR.filter((i) => i.stage === 'build');
const one = (list: Instruction[], op: string) => {
  const found = list.filter((i) => i.op === op);
  assert.equal(found.length, 1, `one ${op} in the stage`);
  return found[0];
};

/** ENV lines of the runtime stage as a map (`ENV A=1 B=2`). */
function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of runtime.filter((x) => x.op === 'ENV')) for (const m of i.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g)) env[m[1]] = m[2];
  return env;
}

/** Where an image path comes from in the repository: `COPY src dest` of the runtime stage. */
function imageFileSource(imagePath: string): string | undefined {
  for (const i of runtime.filter((x) => x.op === 'COPY' && !x.args.startsWith('--from'))) {
    const parts = i.args.split(/\s+/);
    const dest = parts.pop()!;
    for (const src of parts) {
      if (dest === imagePath) return path.join(ROOT, src);
      if (dest.endsWith('/') && imagePath === dest + path.basename(src)) return path.join(ROOT, src);
    }
  }
  return undefined;
}

const DOCKERIGNORE = fs.readFileSync(path.join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

test('Dockerfile: a build stage with dev dependencies and a runtime stage with production ones, both Node 20', () => {
  const froms = INSTR.filter((i) => i.op === 'FROM').map((i) => i.args);
  assert.deepEqual(froms, ['node:20-bookworm-slim AS build', 'node:20-bookworm-slim AS runtime']);
  const buildRuns = build.filter((i) => i.op === 'RUN').map((i) => i.args);
  assert.ok(buildRuns.some((r) => /^npm ci\b/.test(r) && !r.includes('--omit=dev')), 'the build installs dev dependencies');
  assert.ok(buildRuns.includes('npm run build'));
  const runtimeRuns = runtime.filter((i) => i.op === 'RUN').map((i) => i.args);
  assert.ok(runtimeRuns.some((r) => /^npm ci --omit=dev\b/.test(r)), 'the runtime installs production dependencies only');
  // What is built is what is copied: the compiled daemon.
  const fromBuild = runtime.filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build'));
  assert.deepEqual(fromBuild.map((i) => i.args), ['--from=build /app/dist/src ./dist/src']);
  assert.equal(one(build, 'WORKDIR').args, '/app');
  assert.ok(fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js')), 'npm run build makes dist/src (what the runtime copies)');
});

test('Dockerfile: every COPY source exists and is not excluded by .dockerignore', () => {
  const copies = INSTR.filter((i) => i.op === 'COPY' && !i.args.startsWith('--from'));
  assert.ok(copies.length >= 5);
  for (const c of copies) {
    const parts = c.args.split(/\s+/);
    parts.pop();
    for (const src of parts) {
      assert.ok(fs.existsSync(path.join(ROOT, src)), `${src} exists`);
      const top = src.split('/')[0];
      assert.ok(!DOCKERIGNORE.includes(src) && !DOCKERIGNORE.includes(top), `${src} is not in .dockerignore`);
    }
  }
  for (const big of ['node_modules', 'dist', '.git']) assert.ok(DOCKERIGNORE.includes(big), `.dockerignore keeps ${big} out of the context`);
});

test('Dockerfile: the runtime needs only production dependencies (every require of the daemon is in "dependencies")', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.js') && !e.name.endsWith('.test.js')) files.push(p);
    }
  };
  walk(path.join(ROOT, 'dist', 'src'));
  const builtins = new Set(builtinModules);
  const missing = new Set<string>();
  for (const f of files) {
    // Test helpers compiled beside the code are not loaded by the daemon.
    if (/testkit|[\\/]testing[\\/]|fixtures|[\\/]harness\.js$/.test(f)) continue;
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
      const spec = m[1];
      if (spec.startsWith('.') || spec.startsWith('node:') || builtins.has(spec)) continue;
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!(name in pkg.dependencies)) missing.add(`${name} (${path.relative(ROOT, f)})`);
    }
  }
  assert.deepEqual([...missing], []);
});

test('Dockerfile: non-root user, the five ports, /healthz health check, exec-form entrypoint and the preset as default config', () => {
  const user = one(runtime, 'USER').args;
  assert.match(user, /^\d+:\d+$/, 'numeric, so runAsNonRoot can check it');
  assert.notEqual(Number(user.split(':')[0]), 0);
  assert.deepEqual(one(runtime, 'EXPOSE').args.split(/\s+/).map(Number).sort((a, b) => a - b), [4317, 4318, 8888, 8889, 13133]);
  assert.deepEqual(JSON.parse(one(runtime, 'ENTRYPOINT').args), ['node', 'bin/otel-pipeline']);
  const cmd = JSON.parse(one(runtime, 'CMD').args) as string[];
  assert.deepEqual(cmd, ['run', '--config', '/etc/otel-pipeline/config.yaml']);
  assert.equal(imageFileSource('/etc/otel-pipeline/config.yaml'), path.join(ROOT, 'config', 'claude-code.yaml'));
  assert.equal(imageEnv().OTEL_PIPELINE_LISTEN_HOST, '0.0.0.0');
  const hc = one(runtime, 'HEALTHCHECK').args;
  assert.match(hc, /CMD \["node", "-e", /, 'exec form, node instead of curl');
  assert.match(hc, /\/healthz/);
  assert.match(hc, /13133/);
  assert.ok(fs.existsSync(path.join(ROOT, 'bin', 'otel-pipeline')));
});

/** The HEALTHCHECK's command, as an argv. */
function healthcheckArgv(): string[] {
  const hc = one(runtime, 'HEALTHCHECK').args;
  return JSON.parse(hc.slice(hc.indexOf('CMD ') + 4)) as string[];
}

function runArgv(argv: string[], env: NodeJS.ProcessEnv): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(argv[0] === 'node' ? process.execPath : argv[0], argv.slice(1), { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
    child.on('close', (code) => resolve(code));
  });
}

test('the image\'s default command, run as the image would: the preset starts with the image environment, HEALTHCHECK passes, SIGTERM exits 0', async () => {
  const ports = { OTEL_PIPELINE_GRPC_PORT: await freePort(), OTEL_PIPELINE_HTTP_PORT: await freePort(), OTEL_PIPELINE_PROMETHEUS_PORT: await freePort(), OTEL_PIPELINE_TELEMETRY_PORT: await freePort(), OTEL_PIPELINE_HEALTH_PORT: await freePort() };
  const env = { ...imageEnv(), ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])), PG_URL: '', OTEL_PIPELINE_VENDOR_ENDPOINT: '' };
  const config = fs.readFileSync(imageFileSource('/etc/otel-pipeline/config.yaml')!, 'utf8');
  const cmd = JSON.parse(one(runtime, 'CMD').args) as string[];
  const d = await Daemon.start([config], { args: [cmd[0]], env });
  try {
    // Listening on every interface, as the image's ENV asks.
    assert.ok(d.logs().some((l) => JSON.stringify(l).includes(`0.0.0.0:${ports.OTEL_PIPELINE_GRPC_PORT}`)), d.stderr);
    assert.equal(await runArgv(healthcheckArgv(), { OTEL_PIPELINE_HEALTH_PORT: String(ports.OTEL_PIPELINE_HEALTH_PORT) }), 0, 'HEALTHCHECK passes');
    // Switched-off exporters say so at start.
    assert.ok(d.logs().some((l) => /exporter postgres is off/.test(String(l.msg))), 'postgres off without PG_URL');
    assert.ok(d.logs().some((l) => /exporter otlphttp\/vendor is off/.test(String(l.msg))), 'vendor off without an endpoint');
    d.signal('SIGTERM');
    const exit = await d.exited;
    assert.deepEqual(exit, { code: 0, signal: null });
    assert.equal(await runArgv(healthcheckArgv(), { OTEL_PIPELINE_HEALTH_PORT: String(ports.OTEL_PIPELINE_HEALTH_PORT) }), 1, 'HEALTHCHECK fails once the daemon is gone');
  } finally {
    await d.stop();
  }
});

// --- presets ----------------------------------------------------------------

function load(files: string[], env: NodeJS.ProcessEnv, extra: ConfigSource[] = []): ResolvedConfig {
  const sources = [...files.map((f) => ({ name: f, text: fs.readFileSync(path.join(ROOT, f), 'utf8') })), ...extra];
  const r = loadConfig(sources, defaultRegistry(), env);
  assert.deepEqual(r.problems, [], files.join(' + '));
  return r.config!;
}

/** Ports the preset listens on with this environment: name → port. */
function presetPorts(config: ResolvedConfig): Record<string, number> {
  const otlp = config.receivers.get('otlp')!.config;
  return {
    grpc: parseEndpoint(otlp.protocols.grpc.endpoint).port,
    http: parseEndpoint(otlp.protocols.http.endpoint).port,
    prometheus: parseEndpoint(config.exporters.get('prometheus')!.config.endpoint).port,
    telemetry: parseEndpoint(config.service.telemetry.metrics.address).port,
    health: parseEndpoint(config.extensions.get('health_check')!.config.endpoint).port,
  };
}

const IMAGE_PORTS = { grpc: 4317, http: 4318, prometheus: 8889, telemetry: 8888, health: 13133 };

// --- Kubernetes -------------------------------------------------------------

const K8S = path.join(ROOT, 'deploy', 'kubernetes');

function manifests(dir: string): Array<Record<string, any>> {
  const kustomization = parseYaml(fs.readFileSync(path.join(K8S, dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const files = fs.readdirSync(path.join(K8S, dir)).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
  assert.deepEqual([...kustomization.resources].sort(), files.sort(), `${dir}/kustomization.yaml lists every manifest`);
  return files.flatMap((f) =>
    parseAllDocuments(fs.readFileSync(path.join(K8S, dir, f), 'utf8')).map((doc) => {
      assert.deepEqual(doc.errors, [], `${dir}/${f} parses`);
      return doc.toJS() as Record<string, any>;
    }),
  );
}

const byKind = (docs: Array<Record<string, any>>, kind: string) => docs.filter((d) => d.kind === kind);

/** Checks one pod template's otel-pipeline container: ports, probes, security, resources, mounts. */
function checkPipelineContainer(pod: Record<string, any>, container: Record<string, any>, expectedPorts: Record<string, number>) {
  const ports = Object.fromEntries((container.ports as Array<{ name: string; containerPort: number }>).map((p) => [p.name, p.containerPort]));
  for (const [name, port] of Object.entries(ports)) {
    const key = { 'otlp-grpc': 'grpc', 'otlp-http': 'http' }[name] ?? name;
    assert.equal(port, expectedPorts[key], `container port ${name} is the preset's ${key} port`);
  }
  assert.equal(container.livenessProbe.httpGet.path, '/healthz');
  assert.equal(container.readinessProbe.httpGet.path, '/readyz');
  assert.equal(ports[container.livenessProbe.httpGet.port], expectedPorts.health);
  assert.equal(ports[container.readinessProbe.httpGet.port], expectedPorts.health);
  const sc = container.securityContext;
  assert.equal(sc.allowPrivilegeEscalation, false);
  assert.equal(sc.readOnlyRootFilesystem, true);
  assert.deepEqual(sc.capabilities.drop, ['ALL']);
  assert.equal(sc.runAsNonRoot ?? pod.securityContext.runAsNonRoot, true);
  assert.notEqual(pod.securityContext.runAsUser, 0);
  assert.match(container.resources.limits.memory, /^\d+(Mi|Gi)$/, 'a memory limit for the memory_limiter to read');
  assert.ok(container.resources.requests.memory && container.resources.requests.cpu);
  const volumes = new Map<string, any>((pod.volumes as Array<Record<string, any>>).map((v) => [v.name, v]));
  for (const m of container.volumeMounts) assert.ok(volumes.has(m.name), `volume ${m.name} exists`);
  const tmp = container.volumeMounts.find((m: { mountPath: string }) => m.mountPath === '/tmp');
  assert.ok(tmp && volumes.get(tmp.name).emptyDir, 'a writable /tmp on an emptyDir');
  const names = (container.env as Array<{ name: string }>).map((e) => e.name);
  assert.ok(names.includes('OTEL_PIPELINE_LISTEN_HOST'));
  return { ports, volumes };
}

test('Kubernetes gateway: ConfigMap is the preset verbatim, and the Deployment, Services, HPA and PDB fit it and each other', () => {
  const docs = manifests('gateway');
  assert.deepEqual([...new Set(docs.map((d) => d.kind))].sort(), ['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'Namespace', 'PodDisruptionBudget', 'Service']);
  const cm = byKind(docs, 'ConfigMap')[0];
  assert.ok(cm.data['config.yaml'] === fs.readFileSync(path.join(ROOT, 'config', 'claude-code.yaml'), 'utf8'), 'deploy/kubernetes/gateway/configmap.yaml holds config/claude-code.yaml unchanged: copy the preset into it again');
  const deploy = byKind(docs, 'Deployment')[0];
  const pod = deploy.spec.template.spec;
  const container = pod.containers[0];
  const env = Object.fromEntries((container.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const config = load(['config/claude-code.yaml'], env);
  const expected = presetPorts(config);
  assert.deepEqual(expected, IMAGE_PORTS);
  assert.equal(config.receivers.get('otlp')!.config.protocols.grpc.endpoint, '0.0.0.0:4317');
  const { volumes } = checkPipelineContainer(pod, container, expected);
  // The config the container runs is the ConfigMap's key, mounted where --config looks.
  const configPath = container.args[container.args.indexOf('--config') + 1];
  const mount = container.volumeMounts.find((m: { mountPath: string }) => configPath.startsWith(m.mountPath + '/'));
  assert.ok(mount, `${configPath} is on a mounted volume`);
  assert.equal(volumes.get(mount.name).configMap.name, cm.metadata.name);
  assert.ok(path.basename(configPath) in cm.data);
  // The memory limiter works from the container's limit.
  assert.ok(config.processors.get('memory_limiter')!.config.limit_percentage > 0);
  assert.ok(!config.processors.get('memory_limiter')!.config.limit_mib);

  const podLabels = deploy.spec.template.metadata.labels;
  const selects = (sel: Record<string, string>) => Object.entries(sel).every(([k, v]) => podLabels[k] === v);
  assert.ok(selects(deploy.spec.selector.matchLabels));
  const containerPorts = new Set(container.ports.map((p: { name: string }) => p.name));
  for (const svc of byKind(docs, 'Service')) {
    assert.ok(selects(svc.spec.selector), `Service ${svc.metadata.name} selects the pods`);
    for (const p of svc.spec.ports) assert.ok(containerPorts.has(p.targetPort), `Service ${svc.metadata.name} port ${p.name} targets a named container port`);
  }
  const otlpService = byKind(docs, 'Service').find((s) => s.metadata.name === 'otel-pipeline')!;
  assert.deepEqual(otlpService.spec.ports.map((p: { port: number }) => p.port).sort(), [4317, 4318]);
  const hpa = byKind(docs, 'HorizontalPodAutoscaler')[0];
  assert.deepEqual([hpa.spec.scaleTargetRef.kind, hpa.spec.scaleTargetRef.name], ['Deployment', deploy.metadata.name]);
  assert.ok(hpa.spec.minReplicas >= 2 && hpa.spec.maxReplicas > hpa.spec.minReplicas);
  const pdb = byKind(docs, 'PodDisruptionBudget')[0];
  assert.ok(selects(pdb.spec.selector.matchLabels));
  assert.ok(pdb.spec.minAvailable < hpa.spec.minReplicas, 'a voluntary eviction can always proceed');
});

test('Kubernetes sidecar: the overlay merges over the image preset (OTLP on the pod loopback), and the app\'s variables are what claude-code env prints', async () => {
  const docs = manifests('sidecar');
  const cm = byKind(docs, 'ConfigMap')[0];
  const deploy = byKind(docs, 'Deployment')[0];
  const pod = deploy.spec.template.spec;
  const sidecar = pod.initContainers.find((c: { name: string }) => c.name === 'otel-pipeline');
  assert.equal(sidecar.restartPolicy, 'Always', 'a native sidecar');
  const configs = sidecar.args.flatMap((a: string, i: number) => (sidecar.args[i - 1] === '--config' ? [a] : []));
  assert.equal(configs[0], '/etc/otel-pipeline/config.yaml');
  assert.equal(imageFileSource(configs[0]), path.join(ROOT, 'config', 'claude-code.yaml'), 'the first config is the image\'s preset');
  const overlay = configs[1];
  const mount = sidecar.volumeMounts.find((m: { mountPath: string }) => overlay.startsWith(m.mountPath + '/'));
  const volumes = new Map<string, any>((pod.volumes as Array<Record<string, any>>).map((v) => [v.name, v]));
  assert.equal(volumes.get(mount.name).configMap.name, cm.metadata.name);
  const overlayText = cm.data[path.basename(overlay)];
  assert.ok(overlayText, `${path.basename(overlay)} is in the ConfigMap`);

  const env = Object.fromEntries((sidecar.env as Array<{ name: string; value?: string }>).filter((e) => e.value !== undefined).map((e) => [e.name, e.value!]));
  const sources: ConfigSource[] = [
    { name: 'config/claude-code.yaml', text: fs.readFileSync(path.join(ROOT, 'config', 'claude-code.yaml'), 'utf8') },
    { name: 'sidecar.yaml', text: overlayText },
  ];
  const r = loadConfig(sources, defaultRegistry(), { ...env });
  assert.deepEqual(r.problems, []);
  const config = r.config!;
  const expected = presetPorts(config);
  assert.deepEqual(expected, IMAGE_PORTS);
  assert.equal(config.receivers.get('otlp')!.config.protocols.grpc.endpoint, 'localhost:4317', 'OTLP only for the pod');
  assert.equal(config.exporters.get('prometheus')!.config.endpoint, '0.0.0.0:8889', 'metrics reachable by Prometheus');
  checkPipelineContainer(pod, sidecar, expected);

  const app = pod.containers.find((c: { name: string }) => c.name === 'app');
  const appEnv = Object.fromEntries((app.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]));
  const printed = claudeCodeEnv(config, sources, { protocol: appEnv.OTEL_EXPORTER_OTLP_PROTOCOL as 'grpc', metricIntervalMs: 60000, logsIntervalMs: 5000 });
  const run = await bash(`${printed.lines.join('\n')}\nenv -0`);
  const shellEnv = Object.fromEntries(run.stdout.split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  const wanted = Object.fromEntries(Object.entries(shellEnv).filter(([k]) => k.startsWith('OTEL_') || k.startsWith('CLAUDE_CODE_')));
  assert.deepEqual(appEnv, wanted);
});

// --- docker compose -----------------------------------------------------------

const DEPLOY = path.join(ROOT, 'deploy');

test('docker compose: services, mounted files, ports and connection strings fit the preset, Prometheus and Grafana', () => {
  const compose = parseYaml(fs.readFileSync(path.join(DEPLOY, 'docker-compose.yml'), 'utf8')) as { services: Record<string, any> };
  assert.deepEqual(Object.keys(compose.services).sort(), ['grafana', 'otel-pipeline', 'postgres', 'prometheus']);
  const op = compose.services['otel-pipeline'];
  assert.ok(fs.existsSync(path.join(DEPLOY, op.build.context, op.build.dockerfile)), 'the build context holds the Dockerfile');
  // Compose's own ${VAR:-default} interpolation, with the defaults.
  const interpolate = (s: string) => s.replace(/\$\{([A-Z_]+):-([^}]*)\}/g, (_, _v, d: string) => d);
  const env = Object.fromEntries(Object.entries(op.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]));
  const config = load(['config/claude-code.yaml'], env);
  const ports = presetPorts(config);
  assert.deepEqual(ports, IMAGE_PORTS);
  const published = (op.ports as string[]).map((p) => Number(interpolate(p).split(':').pop()));
  assert.deepEqual(published.sort((a, b) => a - b), [ports.grpc, ports.http]);

  // PG_URL points at the postgres service with its user, password and database.
  const pg = new URL(env.PG_URL);
  assert.ok(pg.hostname in compose.services);
  const pgEnv = Object.fromEntries(Object.entries(compose.services.postgres.environment as Record<string, string>).map(([k, v]) => [k, interpolate(String(v))]));
  assert.deepEqual([pg.username, pg.password, pg.pathname.slice(1), pg.port], [pgEnv.POSTGRES_USER, pgEnv.POSTGRES_PASSWORD, pgEnv.POSTGRES_DB, '5432']);
  assert.equal(config.exporters.get('postgres')!.config.endpoint ?? config.exporters.get('postgres')!.config.dsn, env.PG_URL);

  // Every bind mount exists in the repository.
  for (const [name, svc] of Object.entries(compose.services)) {
    for (const v of (svc.volumes ?? []) as string[]) {
      const src = v.split(':')[0];
      if (src.startsWith('.')) assert.ok(fs.existsSync(path.join(DEPLOY, src)), `${name}: ${src} exists`);
    }
  }
  // Prometheus reads the mounted prometheus.yml, which scrapes the daemon's two ports.
  const prom = compose.services.prometheus;
  const promConfigMount = (prom.volumes as string[]).find((v) => v.includes('prometheus.yml'))!;
  assert.ok(prom.command.includes(`--config.file=${promConfigMount.split(':')[1]}`));
  const scrape = parseYaml(fs.readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as { scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }> };
  const targets = Object.fromEntries(scrape.scrape_configs.map((s) => [s.job_name, s.static_configs.flatMap((c) => c.targets)]));
  assert.deepEqual(targets, { 'claude-code': [`otel-pipeline:${ports.prometheus}`], 'otel-pipeline': [`otel-pipeline:${ports.telemetry}`] });
  const rulesMount = (prom.volumes as string[]).find((v) => v.includes('rules'))!;
  assert.equal(path.posix.dirname(promConfigMount.split(':')[1]) + '/rules', rulesMount.split(':')[1], 'rules are mounted where prometheus.yml looks (rules/*.yml)');

  // Grafana: provisioning and dashboards are mounted where Grafana and the provider look.
  const grafana = compose.services.grafana;
  const mounts = Object.fromEntries((grafana.volumes as string[]).filter((v) => v.startsWith('.')).map((v) => [v.split(':')[0], v.split(':')[1]]));
  assert.equal(mounts['./grafana/provisioning'], '/etc/grafana/provisioning');
  const provider = parseYaml(fs.readFileSync(path.join(DEPLOY, 'grafana', 'provisioning', 'dashboards', 'dashboards.yaml'), 'utf8')) as { providers: Array<{ options: { path: string } }> };
  assert.equal(mounts['./grafana/dashboards'], provider.providers[0].options.path);
  const home = grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
  assert.ok(fs.existsSync(path.join(DEPLOY, 'grafana', 'dashboards', path.basename(home))) && home.startsWith(provider.providers[0].options.path + '/'));
  const ds = parseYaml(fs.readFileSync(path.join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8')) as { datasources: Array<Record<string, any>> };
  const promDs = ds.datasources.find((d) => d.type === 'prometheus')!;
  assert.equal(new URL(promDs.url).hostname, 'prometheus');
  const pgDs = ds.datasources.find((d) => d.type === 'grafana-postgresql-datasource')!;
  assert.equal(pgDs.url, `${pg.hostname}:5432`);
  assert.equal(pgDs.jsonData.database, pgEnv.POSTGRES_DB);
  assert.equal(pgDs.user, pgEnv.POSTGRES_USER);
});

// --- Grafana --------------------------------------------------------------------

test('Grafana dashboards: unique uids and panel ids, panels on the 24-column grid without overlap, only provisioned datasources', () => {
  const dir = path.join(DEPLOY, 'grafana', 'dashboards');
  const ds = parseYaml(fs.readFileSync(path.join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'datasources.yaml'), 'utf8')) as { datasources: Array<{ uid: string; type: string }> };
  const provisioned = new Map(ds.datasources.map((d) => [d.uid, d.type]));
  const uids = new Set<string>();
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
  assert.deepEqual(files.sort(), ['claude-code.json', 'otel-pipeline.json']);
  for (const f of files) {
    const board = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { uid: string; title: string; panels: Array<Record<string, any>> };
    assert.ok(board.uid && !uids.has(board.uid), `${f}: a uid of its own`);
    uids.add(board.uid);
    const ids = new Set<number>();
    const cells = new Set<string>();
    for (const p of board.panels) {
      assert.ok(!ids.has(p.id), `${f}: panel id ${p.id} is unique`);
      ids.add(p.id);
      const { x, y, w, h } = p.gridPos;
      assert.ok(x >= 0 && w > 0 && x + w <= 24 && h > 0, `${f}: ${p.title} fits the grid`);
      for (let i = x; i < x + w; i++) for (let j = y; j < y + h; j++) {
        assert.ok(!cells.has(`${i},${j}`), `${f}: ${p.title} overlaps another panel at ${i},${j}`);
        cells.add(`${i},${j}`);
      }
      for (const d of [p.datasource, ...((p.targets ?? []) as Array<{ datasource?: { uid: string; type: string } }>).map((t) => t.datasource)]) {
        if (!d) continue;
        assert.equal(provisioned.get(d.uid), d.type, `${f}: ${p.title} uses datasource ${d.uid} (${d.type}), which is provisioned`);
      }
      if (p.type !== 'row') assert.ok((p.targets ?? []).length > 0, `${f}: ${p.title} has a query`);
    }
  }
});
