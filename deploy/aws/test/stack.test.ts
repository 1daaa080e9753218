// Offline tests of the CDK app: synthesise the production stack once (placeholder account, no AWS calls,
// no lookups) and assert on the CloudFormation template. Run: npm test (deploy/aws), or the test command.
// UPDATE_SNAPSHOT=1 npm test rewrites test/__snapshots__/ after a reviewed change.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp } from '../lib/app';
import { PLACEHOLDER_ACCOUNT } from '../lib/config';
import { templateDiff } from '../lib/template-diff';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const pkgRoot = path.resolve(__dirname, '..', '..'); // compiled to deploy/aws/build/test/
const cdkJson = JSON.parse(fs.readFileSync(path.join(pkgRoot, 'cdk.json'), 'utf8'));

const app = new App({ context: { ...cdkJson.context } });
const { config, stack, registry } = buildApp(app, { envName: 'production' });
const assembly = app.synth(); // throws on a CloudFormation Validate error (validateAgainstDefaultRules)
const template = Template.fromStack(stack);
const t: Json = template.toJSON();
const resources: Record<string, Json> = t.Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const one = (type: string) => { const all = ofType(type); assert.equal(all.length, 1, `exactly one ${type}`); return all[0]; };
const ref = (v: Json): string | undefined => v?.Ref ?? v?.['Fn::GetAtt']?.[0];

const subnetsOfKind = (kind: 'Public' | 'Private' | 'Isolated') => new Set(ofType('AWS::EC2::Subnet')
  .filter(([, r]) => r.Properties.Tags.some((tag: Json) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === kind)).map(([id]) => id));
const publicSubnets = subnetsOfKind('Public');
const appSubnets = subnetsOfKind('Private');
const dataSubnets = subnetsOfKind('Isolated');
const sgId = (logicalPrefix: string) => {
  const found = ofType('AWS::EC2::SecurityGroup').filter(([id]) => id.startsWith(logicalPrefix));
  assert.equal(found.length, 1, logicalPrefix); return found[0][0];
};
const albSg = sgId('AlbSecurityGroup'), serviceSg = sgId('ServiceSecurityGroup'), dbSg = sgId('DatabaseSecurityGroup'), cacheSg = sgId('CacheSecurityGroup');

test('synthesises both stacks offline: placeholder account, no lookups, CloudFormation Validate finds no error', () => {
  assert.equal(stack.account, PLACEHOLDER_ACCOUNT);
  assert.deepEqual(assembly.manifest.missing ?? [], [], 'a context lookup would need an AWS account');
  assert.ok(assembly.getStackByName(registry.stackName).template.Resources);
  const reportFile = path.join(assembly.directory, 'validation-report.json');
  if (fs.existsSync(reportFile)) {
    const report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
    const findings = report.pluginReports.flatMap((p: Json) => p.violations ?? []);
    const errors = findings.filter((v: Json) => v.severity === 'error' || v.severity === 'fatal');
    assert.deepEqual(errors.map((v: Json) => `${v.ruleName}: ${v.description}`), []);
    for (const w of findings) console.log(`# CloudFormation Validate warning ${w.ruleName}: ${w.description}`);
  }
});

test('VPC over two AZs: public, app (private, NAT egress) and data (isolated) subnets in each', () => {
  const azs = new Set(ofType('AWS::EC2::Subnet').map(([, r]) => r.Properties.AvailabilityZone));
  assert.deepEqual([...azs].sort(), [...config.availabilityZones].sort());
  assert.equal(publicSubnets.size, 2); assert.equal(appSubnets.size, 2); assert.equal(dataSubnets.size, 2);
  const nats = ofType('AWS::EC2::NatGateway');
  assert.equal(nats.length, config.natGateways);
  for (const [, nat] of nats) assert.ok(publicSubnets.has(ref(nat.Properties.SubnetId)!), 'NAT gateways sit in public subnets');
  for (const id of [...appSubnets, ...dataSubnets]) assert.equal(resources[id].Properties.MapPublicIpOnLaunch, false);
});

test('ALB: internet-facing in public subnets, WebSocket idle timeout, HTTPS from the certificate parameter, HTTP redirects', () => {
  const [, alb] = one('AWS::ElasticLoadBalancingV2::LoadBalancer');
  assert.equal(alb.Properties.Scheme, 'internet-facing');
  assert.ok(alb.Properties.Subnets.every((s: Json) => publicSubnets.has(ref(s)!)));
  const attrs = Object.fromEntries(alb.Properties.LoadBalancerAttributes.map((a: Json) => [a.Key, a.Value]));
  assert.ok(Number(attrs['idle_timeout.timeout_seconds']) >= 300, 'idle timeout far above SignalR keep-alive');
  assert.equal(attrs['idle_timeout.timeout_seconds'], String(config.albIdleTimeoutSeconds));
  assert.equal(attrs['routing.http.drop_invalid_header_fields.enabled'], 'true');
  assert.equal(attrs['access_logs.s3.enabled'], 'true');
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: { Ref: 'CertificateArn' } }], SslPolicy: Match.stringLikeRegexp('TLS13'),
  });
  template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
    Port: 80, Protocol: 'HTTP', DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Protocol: 'HTTPS', Port: '443' }) })],
  });
  assert.equal(t.Parameters.CertificateArn.Type, 'String');
});

test('target group: health check on /readyz, no stickiness', () => {
  const [, tg] = one('AWS::ElasticLoadBalancingV2::TargetGroup');
  assert.equal(tg.Properties.HealthCheckPath, '/readyz');
  assert.equal(tg.Properties.Matcher.HttpCode, '200');
  assert.equal(tg.Properties.TargetType, 'ip');
  const attrs = Object.fromEntries((tg.Properties.TargetGroupAttributes ?? []).map((a: Json) => [a.Key, a.Value]));
  assert.notEqual(attrs['stickiness.enabled'], 'true');
});

test('a new task ramps up: the target group\'s slow start is the replicas\' rebalancing warm-up', () => {
  const [, tg] = one('AWS::ElasticLoadBalancingV2::TargetGroup');
  const attrs = Object.fromEntries((tg.Properties.TargetGroupAttributes ?? []).map((a: Json) => [a.Key, a.Value]));
  const slowStart = Number(attrs['slow_start.duration_seconds']);
  assert.ok(slowStart >= 30 && slowStart <= 900, `slow start ${attrs['slow_start.duration_seconds']}`);
  assert.notEqual(attrs['load_balancing.algorithm.type'], 'least_outstanding_requests'); // slow start needs round robin
  const [, taskDef] = Object.entries(t.Resources).find(([, r]: [string, Json]) =>
    r.Type === 'AWS::ECS::TaskDefinition' && r.Properties.ContainerDefinitions.some((c: Json) => c.PortMappings?.length))!;
  const env = (taskDef as Json).Properties.ContainerDefinitions.flatMap((c: Json) => c.Environment ?? []);
  assert.equal(env.find((e: Json) => e.Name === 'Realtime__Rebalance__WarmUpSeconds')?.Value, String(slowStart));
});

test('ECS Fargate service and migrate task run only in private subnets with no public IP', () => {
  const [, svc] = one('AWS::ECS::Service');
  const net = svc.Properties.NetworkConfiguration.AwsvpcConfiguration;
  assert.equal(net.AssignPublicIp, 'DISABLED');
  assert.ok(net.Subnets.length === 2 && net.Subnets.every((s: Json) => appSubnets.has(ref(s)!)));
  assert.deepEqual(net.SecurityGroups.map(ref), [serviceSg]);
  assert.equal(svc.Properties.LaunchType, 'FARGATE');
  assert.deepEqual(svc.Properties.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
  // Part of the fleet at a time, never below the desired count: handovers land mostly on tasks that are already warm.
  assert.equal(svc.Properties.DeploymentConfiguration.MinimumHealthyPercent, 100);
  assert.ok(svc.Properties.DeploymentConfiguration.MaximumPercent <= 150, `MaximumPercent ${svc.Properties.DeploymentConfiguration.MaximumPercent}`);
  const migrateSubnets = t.Outputs.MigrateSubnets.Value['Fn::Join'][1].filter((x: Json) => typeof x !== 'string');
  assert.ok(migrateSubnets.length === 2 && migrateSubnets.every((s: Json) => appSubnets.has(ref(s)!)));
  assert.equal(ref(t.Outputs.MigrateSecurityGroup.Value), serviceSg);
});

test('Aurora MySQL: writer and reader in different AZs, isolated subnets, encrypted, not public, backups, deletion protection', () => {
  const [, cluster] = one('AWS::RDS::DBCluster');
  assert.equal(cluster.Properties.Engine, 'aurora-mysql');
  assert.equal(cluster.Properties.StorageEncrypted, true);
  assert.equal(cluster.Properties.DeletionProtection, true);
  assert.ok(cluster.Properties.BackupRetentionPeriod >= 7);
  assert.deepEqual(cluster.Properties.VpcSecurityGroupIds.map(ref), [dbSg]);
  const instances = ofType('AWS::RDS::DBInstance');
  assert.equal(instances.length, 1 + config.database.readers);
  assert.ok(instances.every(([, i]) => i.Properties.PubliclyAccessible === false));
  assert.equal(new Set(instances.map(([, i]) => i.Properties.AvailabilityZone)).size, 2, 'Multi-AZ: a reader in the other AZ');
  const [, subnetGroup] = one('AWS::RDS::DBSubnetGroup');
  assert.ok(subnetGroup.Properties.SubnetIds.every((s: Json) => dataSubnets.has(ref(s)!)));
  template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Parameters: Match.objectLike({ transaction_isolation: 'READ-COMMITTED' }) });
  assert.equal(one('AWS::RDS::DBCluster')[1].DeletionPolicy, 'Snapshot');
});

test('ElastiCache Redis: primary + replica, automatic failover, Multi-AZ, encrypted at rest and in transit, AUTH from a secret', () => {
  const [, rg] = one('AWS::ElastiCache::ReplicationGroup');
  const p = rg.Properties;
  assert.equal(p.Engine, 'redis');
  assert.ok(p.NumCacheClusters >= 2);
  assert.equal(p.AutomaticFailoverEnabled, true);
  assert.equal(p.MultiAZEnabled, true);
  assert.equal(p.AtRestEncryptionEnabled, true);
  assert.equal(p.TransitEncryptionEnabled, true);
  assert.match(JSON.stringify(p.AuthToken), /\{\{resolve:secretsmanager:/);
  assert.deepEqual(p.SecurityGroupIds.map(ref), [cacheSg]);
  const [, subnetGroup] = one('AWS::ElastiCache::SubnetGroup');
  assert.ok(subnetGroup.Properties.SubnetIds.every((s: Json) => dataSubnets.has(ref(s)!)));
});

test('DynamoDB change log: the app\'s schema (pk/sk, by-board, by-actor), on demand, PITR, encrypted, protected', () => {
  template.hasResourceProperties('AWS::DynamoDB::Table', {
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    AttributeDefinitions: Match.arrayWith([
      { AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'gsi1pk', AttributeType: 'S' }, { AttributeName: 'gsi1sk', AttributeType: 'N' },
      { AttributeName: 'gsi2pk', AttributeType: 'S' }, { AttributeName: 'gsi2sk', AttributeType: 'S' },
    ]),
    GlobalSecondaryIndexes: [
      { IndexName: 'by-board', KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }, { AttributeName: 'gsi1sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
      { IndexName: 'by-actor', KeySchema: [{ AttributeName: 'gsi2pk', KeyType: 'HASH' }, { AttributeName: 'gsi2sk', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' } },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
    DeletionProtectionEnabled: true,
  });
  // The README's table is the contract: every attribute it names is in the template.
  const readme = fs.readFileSync(path.resolve(pkgRoot, '..', '..', 'README.md'), 'utf8');
  const section = readme.split('### The change log in DynamoDB')[1].split('\n### ')[0];
  for (const name of ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'by-board', 'by-actor']) assert.ok(section.includes(`\`${name}\``), name);
});

test('no security group open to the world except the ALB on 443 and 80', () => {
  const rules: Array<{ group: string; rule: Json }> = [];
  for (const [id, sg] of ofType('AWS::EC2::SecurityGroup')) for (const rule of sg.Properties.SecurityGroupIngress ?? []) rules.push({ group: id, rule });
  for (const [, ing] of ofType('AWS::EC2::SecurityGroupIngress')) rules.push({ group: ref(ing.Properties.GroupId)!, rule: ing.Properties });
  const open = rules.filter(({ rule }) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 === '::/0');
  assert.deepEqual(open.map(({ group, rule }) => `${group}:${rule.FromPort}-${rule.ToPort}`).sort(), [`${albSg}:443-443`, `${albSg}:80-80`]);
  // Every other ingress names a source group, never a CIDR.
  for (const { group, rule } of rules.filter((r) => !open.includes(r))) assert.ok(rule.SourceSecurityGroupId, `${group} allows a CIDR`);
});

test('database and Redis reachable only from the service\'s security group; the service only from the ALB', () => {
  const ingressTo = (group: string) => ofType('AWS::EC2::SecurityGroupIngress').filter(([, i]) => ref(i.Properties.GroupId) === group)
    .map(([, i]) => `${ref(i.Properties.SourceSecurityGroupId)}:${i.Properties.FromPort}`);
  assert.deepEqual(ingressTo(dbSg), [`${serviceSg}:3306`]);
  assert.deepEqual(ingressTo(cacheSg), [`${serviceSg}:6379`]);
  assert.deepEqual(ingressTo(serviceSg), [`${albSg}:8080`]);
  for (const g of [dbSg, cacheSg]) assert.equal((resources[g].Properties.SecurityGroupIngress ?? []).length, 0);
});

test('encryption at rest: database, Redis, DynamoDB, every bucket, the queue', () => {
  assert.equal(one('AWS::RDS::DBCluster')[1].Properties.StorageEncrypted, true);
  assert.equal(one('AWS::ElastiCache::ReplicationGroup')[1].Properties.AtRestEncryptionEnabled, true);
  assert.equal(one('AWS::DynamoDB::Table')[1].Properties.SSESpecification.SSEEnabled, true);
  const buckets = ofType('AWS::S3::Bucket');
  assert.ok(buckets.length >= 2);
  for (const [id, b] of buckets) {
    assert.ok(b.Properties.BucketEncryption?.ServerSideEncryptionConfiguration?.length, `${id} encrypted`);
    assert.deepEqual(b.Properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
  }
  for (const [, q] of ofType('AWS::SQS::Queue')) assert.equal(q.Properties.SqsManagedSseEnabled, true);
});

const containers = (family: string) => {
  const td = ofType('AWS::ECS::TaskDefinition').find(([, d]) => d.Properties.Family === family);
  assert.ok(td, family); return td![1].Properties.ContainerDefinitions as Json[];
};
const appContainer = (family: string) => containers(family).find((c) => c.Name === 'taskhub');

test('secrets come from Secrets Manager, never plain environment: JWT key, database, Redis, SMTP, webhook', () => {
  for (const family of ['taskhub-production-web', 'taskhub-production-migrate']) {
    const c = appContainer(family);
    const env = (c.Environment as Json[]).map((e) => e.Name);
    const secrets = Object.fromEntries((c.Secrets as Json[]).map((s) => [s.Name, s.ValueFrom]));
    for (const name of ['ConnectionStrings__MySql', 'ConnectionStrings__Redis', 'Jwt__SigningKey', 'Smtp__UserName', 'Smtp__Password', 'Outbox__AlertWebhookUrl']) {
      assert.ok(secrets[name], `${family}: ${name} is a secret`);
      assert.ok(!env.includes(name), `${family}: ${name} is not plain environment`);
      const refs = [...JSON.stringify(secrets[name]).matchAll(/"Ref":"([A-Za-z0-9]+)"/g)].map((m) => m[1]);
      assert.ok(refs.some((r) => resources[r]?.Type === 'AWS::SecretsManager::Secret'), `${family}: ${name} from a Secrets Manager secret`);
    }
    for (const e of c.Environment as Json[]) assert.doesNotMatch(`${e.Name}=${JSON.stringify(e.Value)}`, /password|signingkey|secret|token/i);
    assert.equal(c.ReadonlyRootFilesystem, true);
    assert.equal(c.User, '1654');
  }
  // No password text anywhere in the template: connection strings are assembled from dynamic references.
  const text = JSON.stringify(t);
  assert.doesNotMatch(text.replace(/Password=",\s*\{/g, ''), /Password=[^;"{]/);
  for (const id of ['MySqlConnectionString', 'RedisConnectionString']) {
    const [, s] = ofType('AWS::SecretsManager::Secret').find(([k]) => k.startsWith(id))!;
    assert.match(JSON.stringify(s.Properties.SecretString), /\{\{resolve:secretsmanager:/);
  }
  const jwt = ofType('AWS::SecretsManager::Secret').find(([k]) => k.startsWith('JwtSigningKey'))![1];
  assert.equal(jwt.Properties.GenerateSecretString.PasswordLength, 64);
});

test('app settings are the README\'s configuration keys as Section__Key environment variables', () => {
  const readme = fs.readFileSync(path.resolve(pkgRoot, '..', '..', 'README.md'), 'utf8');
  const table = readme.split('## Configuration')[1].split('\n## ')[0];
  const documented = new Set<string>();
  for (const line of table.split('\n').filter((l) => l.startsWith('| `'))) {
    let section = '';
    for (const m of line.split('|')[1].matchAll(/`([A-Za-z]+)(?::([A-Za-z:]+))?`/g)) {
      if (m[2]) { section = m[1]; documented.add(`${m[1]}:${m[2]}`); } else if (section) documented.add(`${section}:${m[1]}`);
    }
  }
  assert.ok(documented.has('Jwt:SigningKey') && documented.has('Outbox:AlertWebhookUrl') && documented.has('EventBridge:BusName'));
  const c = appContainer('taskhub-production-web');
  const names = [...(c.Environment as Json[]).map((e) => e.Name), ...(c.Secrets as Json[]).map((s) => s.Name)]
    .filter((n: string) => n.includes('__') && !/^(ASPNETCORE|DOTNET|Logging)_/.test(n));
  const undocumented = names.filter((n: string) => !documented.has(n.replace(/__/g, ':')));
  assert.deepEqual(undocumented, []);
  const env = Object.fromEntries((c.Environment as Json[]).map((e) => [e.Name, e.Value]));
  assert.equal(env.Database__MigrateOnStart, 'false');
  assert.equal(env.Email__Transport, 'eventbridge');
  assert.deepEqual(env.EventBridge__BusName, { Ref: Object.entries(resources).find(([, r]) => r.Type === 'AWS::Events::EventBus')![0] });
  assert.deepEqual(env.DynamoDb__TableName, { Ref: one('AWS::DynamoDB::Table')[0] });
});

test('migrate: a one-off task definition running `migrate` with its own image tag parameter, and the outputs CD needs', () => {
  const c = appContainer('taskhub-production-migrate');
  assert.deepEqual(c.Command, ['migrate']);
  assert.match(JSON.stringify(c.Image), /MigrateImageTag/);
  assert.match(JSON.stringify(appContainer('taskhub-production-web').Image), /ServiceImageTag/);
  for (const o of ['ClusterName', 'ServiceName', 'MigrateTaskDefinitionArn', 'MigrateSubnets', 'MigrateSecurityGroup', 'LoadBalancerDnsName']) assert.ok(t.Outputs[o], o);
});

test('autoscaling on CPU and on ALB requests per target, within the configured bounds', () => {
  template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
    MinCapacity: config.service.minTasks, MaxCapacity: config.service.maxTasks, ScalableDimension: 'ecs:service:DesiredCount',
  });
  assert.ok(config.service.minTasks >= 2, 'at least one task per AZ');
  const policies = ofType('AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties.TargetTrackingScalingPolicyConfiguration);
  const metric = (type: string) => policies.find((p) => p.PredefinedMetricSpecification.PredefinedMetricType === type);
  assert.equal(metric('ECSServiceAverageCPUUtilization')?.TargetValue, config.service.cpuTargetPercent);
  assert.equal(metric('ALBRequestCountPerTarget')?.TargetValue, config.service.requestsPerTargetPerMinute);
});

test('EventBridge: bus, archive of everything, EmailRequested -> SES target, overdue and escalation -> SNS, dead letters', () => {
  const [busId] = one('AWS::Events::EventBus');
  template.hasResourceProperties('AWS::Events::Archive', { SourceArn: { 'Fn::GetAtt': [busId, 'Arn'] }, RetentionDays: 365 });
  const rules = ofType('AWS::Events::Rule').map(([, r]) => r.Properties);
  assert.ok(rules.every((r) => ref(r.EventBusName) === busId));
  const dlq = one('AWS::SQS::Queue')[0];
  for (const r of rules) for (const target of r.Targets) {
    assert.equal(ref(target.DeadLetterConfig?.Arn), dlq, 'every rule target has the dead-letter queue');
    assert.ok(target.RetryPolicy.MaximumRetryAttempts > 0);
  }
  const byType = (type: string) => rules.filter((r) => r.EventPattern['detail-type'].includes(type));
  const fn = (prefix: string) => Object.keys(resources).find((k) => k.startsWith(prefix) && resources[k].Type === 'AWS::Lambda::Function')!;
  assert.deepEqual(byType('EmailRequested').map((r) => ref(r.Targets[0].Arn)), [fn('EmailSender')]);
  assert.deepEqual(byType('DigestReady'), [], 'digests already arrive as EmailRequested: routing DigestReady to SES would mail them twice');
  const notices = Object.keys(resources).find((k) => k.startsWith('Notices') && resources[k].Type === 'AWS::SNS::Topic');
  assert.deepEqual(byType('TaskOverdue').map((r) => ref(r.Targets[0].Arn)), [notices]);
  const escalation = byType('TaskUpdated');
  assert.equal(escalation.length, 1);
  assert.deepEqual(escalation[0].EventPattern.detail, { event: { actorId: [null], changes: { field: ['priority'] } } });
  assert.equal(ref(escalation[0].Targets[0].Arn), notices);
  // The email sender's own failed retries also land in the dead-letter queue.
  assert.equal(ref(resources[fn('EmailSender')].Properties.DeadLetterConfig.TargetArn), dlq);
  // ses:SendEmail only from the configured identity
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'ses:SendEmail', Resource: Match.objectLike({ 'Fn::Join': Match.anyValue() }) })]) },
  });
});

test('every alarm is present and notifies the alarm topic, which posts to the chat webhook', () => {
  const alarms = Object.fromEntries(ofType('AWS::CloudWatch::Alarm').map(([, a]) => [a.Properties.AlarmName, a.Properties]));
  const topic = Object.keys(resources).find((k) => k.startsWith('Alarms') && resources[k].Type === 'AWS::SNS::Topic');
  const expected = ['http-5xx-rate', 'target-response-time-p99', 'unhealthy-targets', 'outbox-oldest-age', 'outbox-backlog', 'db-cpu', 'redis-engine-cpu', 'dead-letters'];
  assert.deepEqual(Object.keys(alarms).sort(), expected.map((n) => `taskhub-production-${n}`).sort());
  for (const [name, a] of Object.entries(alarms) as [string, Json][]) assert.deepEqual(a.AlarmActions.map(ref), [topic], name);
  assert.equal(alarms['taskhub-production-dead-letters'].MetricName, 'ApproximateNumberOfMessagesVisible');
  assert.equal(alarms['taskhub-production-db-cpu'].MetricName, 'CPUUtilization');
  assert.equal(alarms['taskhub-production-outbox-backlog'].MetricName, 'taskhub_outbox_pending');
  assert.equal(alarms['taskhub-production-outbox-oldest-age'].MetricName, 'taskhub_outbox_oldest_age_seconds');
  assert.match(JSON.stringify(alarms['taskhub-production-http-5xx-rate'].Metrics), /HTTPCode_Target_5XX_Count/);
  const chat = Object.keys(resources).find((k) => k.startsWith('ChatNotifier') && resources[k].Type === 'AWS::Lambda::Function');
  template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'lambda', TopicArn: { Ref: topic }, Endpoint: { 'Fn::GetAtt': [chat, 'Arn'] } });
  // The forwarded series exist in the app (deploy/README.md's metrics table).
  const ops = fs.readFileSync(path.resolve(pkgRoot, '..', 'README.md'), 'utf8');
  for (const m of ['taskhub_outbox_pending', 'taskhub_outbox_oldest_age_seconds']) assert.ok(ops.includes(m), m);
});

test('IAM: no data-plane statement on Resource "*"; the task role reaches only its table, bus and bucket', () => {
  const dataPlane = /^(dynamodb|s3|events|secretsmanager|sqs|sns|ses|kms|elasticache|rds-db):/;
  const statements = ofType('AWS::IAM::Policy').flatMap(([id, p]) => (p.Properties.PolicyDocument.Statement as Json[]).map((s) => ({ id, s })));
  const roleInline = ofType('AWS::IAM::Role').flatMap(([id, r]) => (r.Properties.Policies ?? []).flatMap((p: Json) => p.PolicyDocument.Statement.map((s: Json) => ({ id, s }))));
  for (const { id, s } of [...statements, ...roleInline]) {
    const actions: string[] = [].concat(s.Action);
    const res: Json[] = [].concat(s.Resource);
    if (actions.some((a) => dataPlane.test(a))) assert.ok(!res.includes('*'), `${id}: ${actions.join(',')} on *`);
  }
  const taskRole = Object.keys(resources).find((k) => k.startsWith('TaskRole') && resources[k].Type === 'AWS::IAM::Role')!;
  const taskStatements = statements.filter(({ id }) => resources[id].Properties.Roles.some((r: Json) => ref(r) === taskRole)).map(({ s }) => s);
  const services = new Set(taskStatements.flatMap((s) => [].concat(s.Action).map((a: string) => a.split(':')[0])));
  assert.deepEqual([...services].sort(), ['cloudwatch', 'dynamodb', 'events', 'logs', 's3']);
  const wildcard = taskStatements.filter((s) => [].concat(s.Resource).includes('*' as never));
  assert.deepEqual(wildcard.map((s) => s.Action), ['cloudwatch:PutMetricData']);
  assert.deepEqual(wildcard[0].Condition, { StringEquals: { 'cloudwatch:namespace': 'TaskHub/App' } });
});

test('the template matches the reviewed snapshot (test/__snapshots__/, UPDATE_SNAPSHOT=1 to rewrite)', () => {
  const file = path.join(pkgRoot, 'test', '__snapshots__', `${stack.stackName}.template.json`);
  const actual = JSON.stringify(t, null, 2) + '\n';
  if (process.env.UPDATE_SNAPSHOT === '1' || !fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  const expected = fs.readFileSync(file, 'utf8');
  if (expected !== actual) assert.fail(`template differs from ${path.relative(pkgRoot, file)}:\n${templateDiff(JSON.parse(expected), t).join('\n')}`);
});
