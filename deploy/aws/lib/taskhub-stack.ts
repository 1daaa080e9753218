import * as fs from 'fs';
import * as path from 'path';
import {
  Aws, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, SecretValue, Stack, StackProps, Tags, Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EnvironmentConfig } from './config';

export interface TaskHubStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  /** ECR repository name (created by the registry stack). */
  readonly repositoryName: string;
}

/** Aurora MySQL 3.08 is MySQL 8.0.39: the server version Pomelo generates SQL for (Database:MySqlServerVersion). */
const AURORA_ENGINE = rds.AuroraMysqlEngineVersion.VER_3_08_2;
const MYSQL_SERVER_VERSION = '8.0.39-mysql';
const APP_PORT = 8080;
/** The app's Prometheus series the CloudWatch agent sidecar forwards (deploy/README.md lists them all). */
const APP_METRICS_NAMESPACE = 'TaskHub/App';
const FORWARDED_SERIES = ['taskhub_outbox_pending', 'taskhub_outbox_oldest_age_seconds', 'taskhub_outbox_dead_letters_total',
  'taskhub_backplane_errors_total', 'taskhub_signalr_connections'];

function lambdaSource(file: string): string {
  // Compiled to build/lib/, sources in lib/: the Lambda code sits beside the package root in lambda/.
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return fs.readFileSync(path.join(dir, 'lambda', file), 'utf8');
}

/**
 * TaskHub's production architecture: VPC over two AZs (public: ALB, NAT; private: Fargate tasks; isolated:
 * Aurora MySQL, ElastiCache Redis), the ALB with HTTPS and WebSocket-friendly idle timeout, the Fargate
 * service with autoscaling, the one-off `migrate` task, DynamoDB change log, EventBridge bus, rules and
 * archive, SES email target, SNS notices, a dead-letter queue, alarms to a chat webhook.
 */
export class TaskHubStack extends Stack {
  private readonly azs: string[];

  /** The configured AZs: no availability-zones lookup, so synthesis needs no AWS account. */
  override get availabilityZones(): string[] { return this.azs; }

  constructor(scope: Construct, id: string, props: TaskHubStackProps) {
    super(scope, id, props);
    const cfg = props.config;
    this.azs = [...cfg.availabilityZones];
    Validations.of(this).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'AZs are named per environment in config.ts so that synthesis needs no AZ lookup (no AWS account)',
    });
    const prefix = `taskhub-${cfg.name}`;
    Tags.of(this).add('app', 'taskhub');
    Tags.of(this).add('environment', cfg.name);

    // ---- parameters: what changes per deployment -----------------------------------------------------
    const certificateArn = new CfnParameter(this, 'CertificateArn', {
      type: 'String',
      description: `ACM certificate (same region) for ${cfg.domainName}; the HTTPS listener serves it`,
      allowedPattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$',
    });
    const serviceImageTag = new CfnParameter(this, 'ServiceImageTag', {
      type: 'String', default: 'main',
      description: 'Image tag the web service runs (CD sets it after the migration succeeded)',
    });
    const migrateImageTag = new CfnParameter(this, 'MigrateImageTag', {
      type: 'String', default: 'main',
      description: 'Image tag of the one-off migrate task definition (CD sets it first, runs the task, then moves ServiceImageTag)',
    });

    // ---- network -------------------------------------------------------------------------------------
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.40.0.0/16'),
      availabilityZones: cfg.availabilityZones,
      natGateways: cfg.natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
        { name: 'data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const appSubnets = { subnetGroupName: 'app' };
    const dataSubnets = { subnetGroupName: 'data' };

    const albSg = new ec2.SecurityGroup(this, 'AlbSecurityGroup', { vpc, description: 'ALB: HTTPS and HTTP (redirect) from anywhere', allowAllOutbound: false });
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS');
    albSg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP, redirected to HTTPS');
    const serviceSg = new ec2.SecurityGroup(this, 'ServiceSecurityGroup', { vpc, description: 'TaskHub tasks (web service and migrate): from the ALB only' });
    serviceSg.addIngressRule(albSg, ec2.Port.tcp(APP_PORT), 'ALB to the app');
    albSg.addEgressRule(serviceSg, ec2.Port.tcp(APP_PORT), 'ALB to the app');
    const dbSg = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', { vpc, description: 'Aurora MySQL: from TaskHub tasks only', allowAllOutbound: false });
    dbSg.addIngressRule(serviceSg, ec2.Port.tcp(3306), 'TaskHub tasks');
    const cacheSg = new ec2.SecurityGroup(this, 'CacheSecurityGroup', { vpc, description: 'ElastiCache Redis: from TaskHub tasks only', allowAllOutbound: false });
    cacheSg.addIngressRule(serviceSg, ec2.Port.tcp(6379), 'TaskHub tasks');

    // ---- secrets (values never in the template, the task definition or GitHub) ------------------------
    const jwtKey = new secretsmanager.Secret(this, 'JwtSigningKey', {
      secretName: `taskhub/${cfg.name}/jwt-signing-key`,
      description: 'Jwt:SigningKey (HMAC, >= 32 chars); rotate by moving the old value to Jwt:PreviousSigningKeys',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });
    const smtp = new secretsmanager.Secret(this, 'SmtpCredentials', {
      secretName: `taskhub/${cfg.name}/smtp`,
      description: 'SES SMTP credentials {"username","password"} for Email:Transport=smtp (fill in after creating them in SES)',
      generateSecretString: { secretStringTemplate: JSON.stringify({ username: 'set-me' }), generateStringKey: 'password', excludePunctuation: true },
    });
    const chatWebhook = new secretsmanager.Secret(this, 'ChatWebhookUrl', {
      secretName: `taskhub/${cfg.name}/chat-webhook-url`,
      description: 'Team chat incoming-webhook URL (Slack-compatible) for alarms and outbox dead letters: put the real URL here',
      secretStringValue: SecretValue.unsafePlainText('https://chat.invalid/replace-with-the-team-webhook'),
    });
    const redisAuth = new secretsmanager.Secret(this, 'RedisAuthToken', {
      secretName: `taskhub/${cfg.name}/redis-auth-token`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
    });

    // ---- Aurora MySQL: writer + reader(s) across both AZs, encrypted, private, backed up ---------------
    const dbParams = new rds.ParameterGroup(this, 'DatabaseParameters', {
      engine: rds.DatabaseClusterEngine.auroraMysql({ version: AURORA_ENGINE }),
      description: 'TaskHub: READ COMMITTED (the board lock relies on it), utf8mb4',
      parameters: {
        transaction_isolation: 'READ-COMMITTED',
        character_set_server: 'utf8mb4',
        collation_server: 'utf8mb4_unicode_ci',
        require_secure_transport: 'ON',
      },
    });
    const instanceType = new ec2.InstanceType(cfg.database.instanceType);
    const db = new rds.DatabaseCluster(this, 'Database', {
      engine: rds.DatabaseClusterEngine.auroraMysql({ version: AURORA_ENGINE }),
      credentials: rds.Credentials.fromGeneratedSecret('taskhub', { secretName: `taskhub/${cfg.name}/db-credentials` }),
      defaultDatabaseName: 'taskhub',
      parameterGroup: dbParams,
      vpc,
      vpcSubnets: dataSubnets,
      securityGroups: [dbSg],
      writer: rds.ClusterInstance.provisioned('writer', {
        instanceType, publiclyAccessible: false, availabilityZone: cfg.availabilityZones[0], enablePerformanceInsights: false,
      }),
      readers: Array.from({ length: cfg.database.readers }, (_, i) => rds.ClusterInstance.provisioned(`reader${i + 1}`, {
        instanceType, publiclyAccessible: false, promotionTier: 1, availabilityZone: cfg.availabilityZones[(i + 1) % 2], enablePerformanceInsights: false,
      })),
      storageEncrypted: true,
      backup: { retention: Duration.days(cfg.database.backupRetentionDays), preferredWindow: '02:00-03:00' },
      preferredMaintenanceWindow: 'sun:03:30-sun:04:30',
      deletionProtection: cfg.database.deletionProtection,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      cloudwatchLogsExports: ['error', 'slowquery'],
      cloudwatchLogsRetention: cfg.logRetentionDays as logs.RetentionDays,
      copyTagsToSnapshot: true,
    });
    const dbSecret = db.secret!;
    // ConnectionStrings:MySql as one secret, assembled by CloudFormation from the generated credentials
    // through a dynamic reference: the password never appears in the template. (Rotating the database
    // password means re-deploying so this secret follows.)
    const mysqlConnection = new secretsmanager.Secret(this, 'MySqlConnectionString', {
      secretName: `taskhub/${cfg.name}/mysql-connection-string`,
      description: 'ConnectionStrings:MySql, built from the Aurora credentials secret at deploy time',
      secretStringValue: SecretValue.unsafePlainText(Fn.join('', [
        'Server=', db.clusterEndpoint.hostname, ';Port=', db.clusterEndpoint.port.toString(),
        ';Database=taskhub;User ID=taskhub;Password=', dbSecret.secretValueFromJson('password').unsafeUnwrap(),
        ';SslMode=Required;MaximumPoolSize=100',
      ])),
    });

    // ---- ElastiCache Redis: primary + replica(s), automatic failover, encrypted, AUTH ------------------
    const cacheSubnets = new elasticache.CfnSubnetGroup(this, 'CacheSubnets', {
      description: 'TaskHub Redis: isolated data subnets',
      subnetIds: vpc.selectSubnets(dataSubnets).subnetIds,
    });
    const redis = new elasticache.CfnReplicationGroup(this, 'Redis', {
      replicationGroupDescription: 'TaskHub: SignalR backplane, presence, Hangfire storage, auth throttling',
      engine: 'redis',
      engineVersion: '7.1',
      cacheNodeType: cfg.cache.nodeType,
      numCacheClusters: 1 + cfg.cache.replicas,
      automaticFailoverEnabled: true,
      multiAzEnabled: true,
      preferredCacheClusterAZs: Array.from({ length: 1 + cfg.cache.replicas }, (_, i) => cfg.availabilityZones[i % 2]),
      cacheSubnetGroupName: cacheSubnets.ref,
      securityGroupIds: [cacheSg.securityGroupId],
      atRestEncryptionEnabled: true,
      transitEncryptionEnabled: true,
      authToken: redisAuth.secretValue.unsafeUnwrap(),
      port: 6379,
      snapshotRetentionLimit: 1,
      autoMinorVersionUpgrade: true,
    });
    const redisConnection = new secretsmanager.Secret(this, 'RedisConnectionString', {
      secretName: `taskhub/${cfg.name}/redis-connection-string`,
      description: 'ConnectionStrings:Redis (StackExchange.Redis syntax), built at deploy time',
      secretStringValue: SecretValue.unsafePlainText(Fn.join('', [
        redis.attrPrimaryEndPointAddress, ':', redis.attrPrimaryEndPointPort,
        ',ssl=true,abortConnect=false,password=', redisAuth.secretValue.unsafeUnwrap(),
      ])),
    });

    // ---- DynamoDB change log (the schema DynamoChangeLog creates locally; README "The change log") -----
    const changes = new dynamodb.Table(this, 'ChangeLog', {
      tableName: `taskhub-changes-${cfg.name}`,
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.NUMBER },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    changes.addGlobalSecondaryIndex({
      indexName: 'by-board',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.NUMBER },
    });
    changes.addGlobalSecondaryIndex({
      indexName: 'by-actor',
      partitionKey: { name: 'gsi2pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi2sk', type: dynamodb.AttributeType.STRING },
    });

    // ---- buckets -------------------------------------------------------------------------------------
    const logsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED, // the only encryption ALB access logs accept
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const filesBucket = new s3.Bucket(this, 'Files', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: logsBucket,
      serverAccessLogsPrefix: 'files/',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- EventBridge: bus, archive, rules; dead letters; SES and SNS targets ---------------------------
    const bus = new events.EventBus(this, 'Bus', { eventBusName: prefix });
    bus.archive('Archive', {
      archiveName: `${prefix}-all`,
      description: 'Every TaskHub event, replayable',
      eventPattern: { account: [Aws.ACCOUNT_ID] },
      retention: Duration.days(365),
    });
    const deadLetters = new sqs.Queue(this, 'DeadLetters', {
      queueName: `${prefix}-dead-letters`,
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    const alarmTopic = new sns.Topic(this, 'Alarms', { topicName: `${prefix}-alarms`, displayName: 'TaskHub alarms' });
    const noticeTopic = new sns.Topic(this, 'Notices', {
      topicName: `${prefix}-notices`,
      displayName: 'TaskHub', // the SMS sender name
    });

    const chatFn = new lambda.Function(this, 'ChatNotifier', {
      description: 'Posts alarm notifications to the team chat webhook',
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(lambdaSource('chat-webhook.js')),
      timeout: Duration.seconds(15),
      environment: { WEBHOOK_SECRET_ARN: chatWebhook.secretArn, TASKHUB_ENV: cfg.name },
      logGroup: new logs.LogGroup(this, 'ChatNotifierLogs', { retention: cfg.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
    });
    chatWebhook.grantRead(chatFn);
    alarmTopic.addSubscription(new subs.LambdaSubscription(chatFn));

    const sesFn = new lambda.Function(this, 'EmailSender', {
      description: 'EventBridge target: sends EmailRequested events through SES',
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(lambdaSource('ses-sender.js')),
      timeout: Duration.seconds(30),
      environment: { EMAIL_FROM: cfg.emailFrom },
      deadLetterQueue: deadLetters,
      retryAttempts: 2,
      logGroup: new logs.LogGroup(this, 'EmailSenderLogs', { retention: cfg.logRetentionDays as logs.RetentionDays, removalPolicy: RemovalPolicy.DESTROY }),
    });
    sesFn.addToRolePolicy(new iam.PolicyStatement({
      actions: ['ses:SendEmail'],
      resources: [`arn:${Aws.PARTITION}:ses:${cfg.region}:${Aws.ACCOUNT_ID}:identity/${cfg.sesIdentity}`],
    }));

    const source = ['taskhub']; // EventBridge:Source
    // Every email the app sends (change emails, reminders, digests, reports) is one EmailRequested event
    // under Email:Transport=eventbridge. DigestReady is the digest as a domain event for other consumers;
    // it is NOT routed to SES, or every digest would be mailed twice.
    new events.Rule(this, 'EmailRule', {
      eventBus: bus,
      description: 'EmailRequested -> SES',
      eventPattern: { source, detailType: ['EmailRequested'] },
      targets: [new targets.LambdaFunction(sesFn, { deadLetterQueue: deadLetters, retryAttempts: 8, maxEventAge: Duration.hours(6) })],
    });
    new events.Rule(this, 'OverdueRule', {
      eventBus: bus,
      description: 'TaskOverdue -> SNS notices (SMS subscribers)',
      eventPattern: { source, detailType: ['TaskOverdue'] },
      targets: [new targets.SnsTopic(noticeTopic, {
        message: events.RuleTargetInput.fromText(`TaskHub: "${events.EventField.fromPath('$.detail.event.title')}" is overdue`),
        deadLetterQueue: deadLetters, retryAttempts: 8, maxEventAge: Duration.hours(6),
      })],
    });
    // Escalation is the system (actorId null) raising a task's priority: a TaskUpdated with a priority change.
    new events.Rule(this, 'EscalationRule', {
      eventBus: bus,
      description: 'Escalated tasks (TaskUpdated by the system on priority) -> SNS notices',
      eventPattern: { source, detailType: ['TaskUpdated'], detail: { event: { actorId: [null], changes: { field: ['priority'] } } } },
      targets: [new targets.SnsTopic(noticeTopic, {
        message: events.RuleTargetInput.fromText(`TaskHub: "${events.EventField.fromPath('$.detail.event.task.title')}" was escalated`),
        deadLetterQueue: deadLetters, retryAttempts: 8, maxEventAge: Duration.hours(6),
      })],
    });

    // ---- ECS: cluster, roles, the web service and the migrate task -----------------------------------
    const cluster = new ecs.Cluster(this, 'Cluster', { vpc, clusterName: prefix, containerInsightsV2: ecs.ContainerInsights.ENABLED });
    const repository = ecr.Repository.fromRepositoryName(this, 'Repository', props.repositoryName);
    const appLogs = new logs.LogGroup(this, 'AppLogs', {
      logGroupName: `/taskhub/${cfg.name}/app`,
      retention: cfg.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Task role: exactly the data the app touches.
    const taskRole = new iam.Role(this, 'TaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'TaskHub app: its change-log table, its bus, its bucket',
    });
    taskRole.addToPolicy(new iam.PolicyStatement({
      sid: 'ChangeLog',
      actions: ['dynamodb:DescribeTable', 'dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'],
      resources: [changes.tableArn, `${changes.tableArn}/index/*`],
    }));
    taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'Bus', actions: ['events:PutEvents'], resources: [bus.eventBusArn] }));
    taskRole.addToPolicy(new iam.PolicyStatement({
      sid: 'Files',
      actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
      resources: [filesBucket.arnForObjects('*')],
    }));
    taskRole.addToPolicy(new iam.PolicyStatement({ sid: 'FilesList', actions: ['s3:ListBucket'], resources: [filesBucket.bucketArn] }));
    // The CloudWatch agent sidecar: PutMetricData has no resource-level permissions; the namespace condition narrows it.
    taskRole.addToPolicy(new iam.PolicyStatement({
      sid: 'AppMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': APP_METRICS_NAMESPACE } },
    }));
    appLogs.grantWrite(taskRole);
    const migrateRole = new iam.Role(this, 'MigrateTaskRole', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'TaskHub migrate: needs the database only (reached through the network and its secret)',
    });

    const environment: Record<string, string> = {
      ASPNETCORE_ENVIRONMENT: 'Production',
      ASPNETCORE_HTTP_PORTS: String(APP_PORT),
      AWS_REGION: cfg.region,
      Database__MigrateOnStart: 'false',
      Database__MySqlServerVersion: MYSQL_SERVER_VERSION,
      DynamoDb__Region: cfg.region,
      DynamoDb__TableName: changes.tableName,
      EventBridge__BusName: bus.eventBusName,
      EventBridge__Region: cfg.region,
      EventBridge__Source: source[0],
      Email__Transport: 'eventbridge',
      Email__From: cfg.emailFrom,
      Email__PublicBaseUrl: `https://${cfg.domainName}`,
      Smtp__Host: `email-smtp.${cfg.region}.amazonaws.com`,
      Smtp__Port: '587',
      Smtp__UseTls: 'true',
      Realtime__HeadIntervalSeconds: '15',
      // The target group's slow start, below: no hub connections are moved to a new task while its share ramps up.
      Realtime__Rebalance__WarmUpSeconds: String(cfg.service.slowStartSeconds),
      Api__MaxRequestBodyBytes: '262144',
      Jobs__ServerEnabled: 'true',
      Logging__Console__FormatterName: 'json',
    };
    const secrets: Record<string, ecs.Secret> = {
      ConnectionStrings__MySql: ecs.Secret.fromSecretsManager(mysqlConnection),
      ConnectionStrings__Redis: ecs.Secret.fromSecretsManager(redisConnection),
      Jwt__SigningKey: ecs.Secret.fromSecretsManager(jwtKey),
      Smtp__UserName: ecs.Secret.fromSecretsManager(smtp, 'username'),
      Smtp__Password: ecs.Secret.fromSecretsManager(smtp, 'password'),
      Outbox__AlertWebhookUrl: ecs.Secret.fromSecretsManager(chatWebhook),
    };
    const appContainer = (td: ecs.FargateTaskDefinition, tag: string, command?: string[]) => {
      const c = td.addContainer('taskhub', {
        image: ecs.ContainerImage.fromEcrRepository(repository, tag),
        command,
        environment,
        secrets,
        essential: true,
        readonlyRootFilesystem: true,
        user: '1654', // the aspnet image's non-root `app` user ($APP_UID)
        stopTimeout: Duration.seconds(30),
        logging: ecs.LogDrivers.awsLogs({ logGroup: appLogs, streamPrefix: command ? 'migrate' : 'web' }),
        portMappings: command ? [] : [{ containerPort: APP_PORT, name: 'http', appProtocol: ecs.AppProtocol.http }],
        ulimits: [{ name: ecs.UlimitName.NOFILE, softLimit: 65536, hardLimit: 65536 }],
        healthCheck: command ? undefined : {
          command: ['CMD', 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${APP_PORT} && printf 'GET /healthz HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`],
          interval: Duration.seconds(15), timeout: Duration.seconds(5), retries: 3, startPeriod: Duration.seconds(30),
        },
      });
      // Writable scratch space on a read-only root: /tmp and the app's data directory.
      for (const [name, p] of [['tmp', '/tmp'], ['data', '/app/data']]) {
        td.addVolume({ name });
        c.addMountPoints({ sourceVolume: name, containerPath: p, readOnly: false });
      }
      return c;
    };

    const webTask = new ecs.FargateTaskDefinition(this, 'WebTask', {
      family: `${prefix}-web`,
      cpu: cfg.service.cpu,
      memoryLimitMiB: cfg.service.memoryMiB,
      taskRole,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    appContainer(webTask, serviceImageTag.valueAsString);
    // CloudWatch agent sidecar: scrapes the app's /metrics and forwards the outbox/realtime series as EMF
    // metrics (namespace TaskHub/App), which the outbox alarms watch.
    webTask.addContainer('cloudwatch-agent', {
      image: ecs.ContainerImage.fromRegistry('public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300051.0b992'),
      essential: false,
      memoryReservationMiB: 64,
      logging: ecs.LogDrivers.awsLogs({ logGroup: appLogs, streamPrefix: 'cwagent' }),
      environment: {
        PROMETHEUS_CONFIG_CONTENT: [
          'global: { scrape_interval: 30s, scrape_timeout: 10s }',
          'scrape_configs:',
          `  - { job_name: taskhub, metrics_path: /metrics, static_configs: [ { targets: ["127.0.0.1:${APP_PORT}"] } ] }`,
        ].join('\n'),
        CW_CONFIG_CONTENT: JSON.stringify({
          logs: {
            metrics_collected: {
              prometheus: {
                log_group_name: appLogs.logGroupName,
                prometheus_config_path: 'env:PROMETHEUS_CONFIG_CONTENT',
                emf_processor: {
                  metric_namespace: APP_METRICS_NAMESPACE,
                  metric_declaration: [{
                    source_labels: ['job'], label_matcher: '^taskhub$', dimensions: [['job']],
                    metric_selectors: FORWARDED_SERIES.map((s) => `^${s}$`),
                  }],
                },
              },
            },
            force_flush_interval: 5,
          },
        }),
      },
    });

    const migrateTask = new ecs.FargateTaskDefinition(this, 'MigrateTask', {
      family: `${prefix}-migrate`,
      cpu: 512,
      memoryLimitMiB: 1024,
      taskRole: migrateRole,
      runtimePlatform: { operatingSystemFamily: ecs.OperatingSystemFamily.LINUX, cpuArchitecture: ecs.CpuArchitecture.X86_64 },
    });
    appContainer(migrateTask, migrateImageTag.valueAsString, ['migrate']);

    const service = new ecs.FargateService(this, 'Service', {
      cluster,
      serviceName: `${prefix}-web`,
      taskDefinition: webTask,
      desiredCount: cfg.service.minTasks,
      // A deployment replaces part of the fleet at a time (2 tasks: one; 10: five), not all of it at once: each old task's
      // SIGTERM hands its clients over to the replicas still running, and a task started a minute before spends most of
      // a handover compiling (bench/README.md, "Thirty-ninth round"); so most of them land on warm tasks.
      minHealthyPercent: 100,
      maxHealthyPercent: 150,
      vpcSubnets: appSubnets,
      securityGroups: [serviceSg],
      assignPublicIp: false,
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(60),
      platformVersion: ecs.FargatePlatformVersion.LATEST,
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    // ---- ALB: public, HTTPS from the certificate parameter, WebSocket idle timeout, /readyz -------------
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: albSg,
      idleTimeout: Duration.seconds(cfg.albIdleTimeoutSeconds),
      deletionProtection: cfg.database.deletionProtection,
      dropInvalidHeaderFields: true,
    });
    alb.logAccessLogs(logsBucket, 'alb');
    alb.addListener('Http', {
      port: 80,
      open: false,
      defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    const https = alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(certificateArn.valueAsString)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
    });
    const targetGroup = https.addTargets('Web', {
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [service],
      deregistrationDelay: Duration.seconds(30),
      // A new task gets a share of the requests (REST and hub connects alike) that ramps up over its JIT warm-up, not its
      // full share at once; round robin, the algorithm slow start works with.
      slowStart: Duration.seconds(cfg.service.slowStartSeconds),
      // No stickiness: clients use WebSockets only, and the Redis backplane reaches every replica.
      healthCheck: {
        path: '/readyz', healthyHttpCodes: '200', interval: Duration.seconds(15), timeout: Duration.seconds(5),
        healthyThresholdCount: 2, unhealthyThresholdCount: 3,
      },
    });

    // ---- autoscaling: CPU and requests per target ----------------------------------------------------
    const scaling = service.autoScaleTaskCount({ minCapacity: cfg.service.minTasks, maxCapacity: cfg.service.maxTasks });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: cfg.service.cpuTargetPercent,
      scaleInCooldown: Duration.minutes(5), scaleOutCooldown: Duration.minutes(1),
    });
    scaling.scaleOnRequestCount('Requests', {
      requestsPerTarget: cfg.service.requestsPerTargetPerMinute,
      targetGroup,
      scaleInCooldown: Duration.minutes(5), scaleOutCooldown: Duration.minutes(1),
    });

    // ---- alarms -> SNS -> chat webhook ---------------------------------------------------------------
    const toChat = new cwActions.SnsAction(alarmTopic);
    const alarm = (id: string, a: cloudwatch.Alarm) => { a.addAlarmAction(toChat); a.addOkAction(toChat); return a; };
    const lbMetric = (metricName: string, statistic: string) => new cloudwatch.Metric({
      namespace: 'AWS/ApplicationELB', metricName, statistic, period: Duration.minutes(1),
      dimensionsMap: { LoadBalancer: alb.loadBalancerFullName, TargetGroup: targetGroup.targetGroupFullName },
    });
    alarm('5xx', new cloudwatch.Alarm(this, 'Http5xxRate', {
      alarmName: `${prefix}-http-5xx-rate`,
      alarmDescription: 'More than 5 % of requests answered 5xx by the app for 5 minutes',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests > 0, 100 * errors / requests, 0)',
        usingMetrics: { errors: lbMetric('HTTPCode_Target_5XX_Count', 'Sum'), requests: lbMetric('RequestCount', 'Sum') },
        period: Duration.minutes(1),
      }),
      threshold: 5, evaluationPeriods: 5, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
    alarm('latency', new cloudwatch.Alarm(this, 'TargetResponseTime', {
      alarmName: `${prefix}-target-response-time-p99`,
      alarmDescription: 'p99 target response time above 1 s for 10 minutes',
      metric: lbMetric('TargetResponseTime', 'p99'),
      threshold: 1, evaluationPeriods: 10, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
    alarm('unhealthy', new cloudwatch.Alarm(this, 'UnhealthyTargets', {
      alarmName: `${prefix}-unhealthy-targets`,
      alarmDescription: 'A task failed /readyz for 3 minutes',
      metric: lbMetric('UnHealthyHostCount', 'Maximum'),
      threshold: 0, evaluationPeriods: 3, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
    const appMetric = (metricName: string) => new cloudwatch.Metric({
      namespace: APP_METRICS_NAMESPACE, metricName, statistic: 'Maximum', period: Duration.minutes(1), dimensionsMap: { job: 'taskhub' },
    });
    alarm('outboxAge', new cloudwatch.Alarm(this, 'OutboxStuck', {
      alarmName: `${prefix}-outbox-oldest-age`,
      alarmDescription: 'The oldest undelivered outbox message is older than 5 minutes (taskhub_outbox_oldest_age_seconds)',
      metric: appMetric('taskhub_outbox_oldest_age_seconds'),
      threshold: 300, evaluationPeriods: 5, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING, // no data = the agent or every task is gone
    }));
    alarm('outboxBacklog', new cloudwatch.Alarm(this, 'OutboxBacklog', {
      alarmName: `${prefix}-outbox-backlog`,
      alarmDescription: 'More than 1000 outbox messages pending for 10 minutes (taskhub_outbox_pending)',
      metric: appMetric('taskhub_outbox_pending'),
      threshold: 1000, evaluationPeriods: 10, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));
    alarm('dbCpu', new cloudwatch.Alarm(this, 'DatabaseCpu', {
      alarmName: `${prefix}-db-cpu`,
      alarmDescription: 'Aurora CPU above 80 % for 10 minutes',
      metric: db.metricCPUUtilization({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 80, evaluationPeriods: 10, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }));
    alarm('redisCpu', new cloudwatch.Alarm(this, 'RedisCpu', {
      alarmName: `${prefix}-redis-engine-cpu`,
      alarmDescription: 'Redis engine CPU above 80 % for 10 minutes',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/ElastiCache', metricName: 'EngineCPUUtilization', statistic: 'Maximum', period: Duration.minutes(1),
        dimensionsMap: { ReplicationGroupId: redis.ref },
      }),
      threshold: 80, evaluationPeriods: 10, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    }));
    alarm('dlq', new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmName: `${prefix}-dead-letters`,
      alarmDescription: 'An event could not be delivered by an EventBridge rule (or the email sender gave up): see the dead-letter queue',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1, evaluationPeriods: 1, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }));

    // ---- outputs the CD workflow reads -------------------------------------------------------------
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('LoadBalancerDnsName', alb.loadBalancerDnsName, `point ${cfg.domainName} here (CNAME/alias)`);
    out('ClusterName', cluster.clusterName, 'ECS cluster');
    out('ServiceName', service.serviceName, 'ECS web service');
    out('MigrateTaskDefinitionArn', migrateTask.taskDefinitionArn, 'run once per release before the service update');
    out('MigrateSubnets', vpc.selectSubnets(appSubnets).subnetIds.join(','), 'subnets of the migrate task');
    out('MigrateSecurityGroup', serviceSg.securityGroupId, 'security group of the migrate task');
    out('EventBusName', bus.eventBusName, 'EventBridge:BusName');
    out('ChangeLogTableName', changes.tableName, 'DynamoDb:TableName');
    out('NoticeTopicArn', noticeTopic.topicArn, 'subscribe phones: aws sns subscribe --protocol sms');
    out('ChatWebhookSecretArn', chatWebhook.secretArn, 'put the team chat webhook URL here');
    out('SmtpSecretArn', smtp.secretArn, 'SES SMTP credentials, for Email:Transport=smtp');
  }
}
