// Per-environment settings of the TaskHub stack. `cdk synth -c env=staging` picks one; everything an
// operator tunes per environment is here, everything that differs per deployment (certificate, image
// tag) is a CloudFormation parameter (see taskhub-stack.ts).

export interface EnvironmentConfig {
  /** Short name: stack names, resource names, secret paths (taskhub/<name>/...). */
  readonly name: string;
  /** AWS account and region. The account may be a placeholder for an offline synth. */
  readonly account: string;
  readonly region: string;
  /** Two AZs, named explicitly so that synthesis needs no AZ lookup (no AWS account at synth time). */
  readonly availabilityZones: [string, string];
  /** NAT gateways: 1 is cheapest (one AZ's egress depends on the other's NAT), 2 survives an AZ loss. */
  readonly natGateways: 1 | 2;
  /** Public host name the ALB's certificate covers; links in emails point here. */
  readonly domainName: string;
  /** SES identity (a verified domain) that the email target may send from, and the From address. */
  readonly sesIdentity: string;
  readonly emailFrom: string;
  readonly service: {
    readonly cpu: 256 | 512 | 1024 | 2048 | 4096;
    readonly memoryMiB: number;
    /** Autoscaling bounds (desired count starts at the minimum). */
    readonly minTasks: number;
    readonly maxTasks: number;
    /** Target tracking: average CPU % and ALB requests per target per minute. */
    readonly cpuTargetPercent: number;
    readonly requestsPerTargetPerMinute: number;
    /** How long a new task's share of the ALB's requests ramps up (30–900 s), and how long the replicas send it no hub
     * connections to rebalance (Realtime:Rebalance:WarmUpSeconds): a fresh replica under load compiles its hot code
     * for one to two minutes (bench/README.md, "Thirty-seventh round"). */
    readonly slowStartSeconds: number;
  };
  readonly database: {
    /** Aurora MySQL instance class, e.g. "t4g.medium", "r6g.large" (writer and each reader). */
    readonly instanceType: string;
    /** Readers besides the writer (≥ 1 for a Multi-AZ failover target). */
    readonly readers: number;
    readonly backupRetentionDays: number;
    readonly deletionProtection: boolean;
  };
  readonly cache: {
    /** ElastiCache node type, e.g. "cache.t4g.micro"; a primary plus `replicas` replicas. */
    readonly nodeType: string;
    readonly replicas: number;
  };
  /** ALB idle timeout: SignalR pings every 15 s, so anything well above that keeps idle sockets; 1 h is generous. */
  readonly albIdleTimeoutSeconds: number;
  readonly logRetentionDays: number;
}

const common = {
  albIdleTimeoutSeconds: 3600,
  logRetentionDays: 30,
} as const;

export const environments: Record<string, Omit<EnvironmentConfig, 'account'> & { account?: string }> = {
  production: {
    ...common,
    name: 'production',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 2,
    domainName: 'taskhub.example.com',
    sesIdentity: 'example.com',
    emailFrom: 'TaskHub <notifications@example.com>',
    service: { cpu: 1024, memoryMiB: 2048, minTasks: 2, maxTasks: 10, cpuTargetPercent: 60, requestsPerTargetPerMinute: 3000, slowStartSeconds: 120 },
    database: { instanceType: 'r6g.large', readers: 1, backupRetentionDays: 14, deletionProtection: true },
    cache: { nodeType: 'cache.t4g.small', replicas: 1 },
  },
  // The smallest useful size: what deploy/README.md prices.
  staging: {
    ...common,
    name: 'staging',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    natGateways: 1,
    domainName: 'staging.taskhub.example.com',
    sesIdentity: 'example.com',
    emailFrom: 'TaskHub staging <notifications@example.com>',
    service: { cpu: 512, memoryMiB: 1024, minTasks: 2, maxTasks: 4, cpuTargetPercent: 60, requestsPerTargetPerMinute: 3000, slowStartSeconds: 120 },
    database: { instanceType: 't4g.medium', readers: 1, backupRetentionDays: 7, deletionProtection: true },
    cache: { nodeType: 'cache.t4g.micro', replicas: 1 },
    logRetentionDays: 14,
  },
};

/** A well-formed account id for offline synthesis only; `cdk deploy` takes the real one from the credentials. */
export const PLACEHOLDER_ACCOUNT = '111111111111';

export function resolveEnvironment(name: string, account?: string, region?: string): EnvironmentConfig {
  const base = environments[name];
  if (!base) throw new Error(`unknown environment "${name}" (known: ${Object.keys(environments).join(', ')})`);
  const r = region ?? base.region;
  const azs: [string, string] = region && region !== base.region ? [`${r}a`, `${r}b`] : base.availabilityZones;
  return { ...base, account: account ?? base.account ?? PLACEHOLDER_ACCOUNT, region: r, availabilityZones: azs };
}
